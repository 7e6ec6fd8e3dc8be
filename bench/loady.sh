#!/usr/bin/env bash
# How long senders take to deliver a file to a U-Boot `loady`-like receiver, which ACKs the
# YMODEM header and sends no `C` after it (examples/loady_sim.rs). Compares our sender with
# lrzsz `sb -k`, 3 runs each, for a 1-byte and a 1 MiB file.
#   bench/loady.sh
set -eu
cd "$(dirname "$0")/.."
cargo build --release -q --bins --examples
X=$PWD/target/release/xyzmodem
L=$PWD/target/release/examples/loady_sim
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
head -c 1 /dev/urandom >"$w/f1"
head -c 1048576 /dev/urandom >"$w/f1m"
cd "$w"
for f in f1 f1m; do
  for who in ours sb; do
    for _ in 1 2 3; do
      if [ $who = ours ]; then s="$X send -q -Y $f"; else s="sb -q -k $f"; fi
      r=$(PAIR_STDERR=1 "$OLDPWD/bench/pair.sh" "$s" "$L out" 2>&1 | tr '\n' ' ')
      cmp -s out "$f" && ok=exact || ok=DIFFERENT
      echo "$f $who $ok $r"
    done
  done
done
