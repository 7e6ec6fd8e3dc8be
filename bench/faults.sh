#!/usr/bin/env bash
# Recovery from bit errors: xyzmodem against lrzsz through the same seeded noise on a paced line.
#
#   bench/faults.sh                         # XMODEM-CRC, 64 KiB, BER 1e-4, 115200 baud, seeds 1-5
#   SEEDS="1 2 3" BER=1e-5 bench/faults.sh
#   PROTOS="x xk y z" bench/faults.sh       # x: XMODEM-CRC (128-byte blocks), xk: XMODEM-1K,
#                                           # y: YMODEM (1K blocks), z: ZMODEM (default flags)
#   OLD=/path/to/old/xyzmodem bench/faults.sh   # also an older build of ours, same seeds
#   FORWARD_ONLY=1 bench/faults.sh          # bit errors sender-to-receiver only
#   X=/path/to/xyzmodem RELAY=/path/to/line_relay bench/faults.sh   # these builds (default:
#                                           # cargo's release build in CARGO_TARGET_DIR or ./target)
#
# Each pair talks through examples/line_relay.rs at BAUD (default 115200, 10 bits per byte, no
# latency, the relay's default transmit buffer of 4 KiB per direction) with --ber BER --seed
# SEED: every bit on the line is flipped with probability BER, in both directions unless
# FORWARD_ONLY=1, at positions drawn from the seed (per direction, by byte offset), so every
# program meets the same noise process for a given seed. The file is
# SIZE bytes of random data (default 65536, the same file for every run); every received file
# is compared with it (XMODEM: followed only by 0x1A padding). A run that fails or delivers
# wrong data is shown as FAIL and left out of the median. Our receiver is told the protocol
# (-X, -Y, -Z) as lrzsz's `rx`, `rb` and `rz` are; `rb` and `rz` run in ./rx (they take no
# directory) and get relative names.
# Output: a Markdown table on stdout (per-seed wall times with the bytes the sender put on the
# line, and medians), for docs/BENCHMARKS.md;
# per-run relay lines on stderr. This is a measurement, not a test: run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-1 2 3 4 5}
BER=${BER:-1e-4}
BAUD=${BAUD:-115200}
SIZE=${SIZE:-65536}
PROTOS=${PROTOS:-x}
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
if [ -z "${X:-}" ] || [ -z "${RELAY:-}" ]; then
  cargo build --release -q --bins --examples
fi
X=${X:-$TARGET/release/xyzmodem}
RELAY=${RELAY:-$TARGET/release/examples/line_relay}
OLD=${OLD:-}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
head -c "$SIZE" /dev/urandom >f

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# ok RECEIVED PROTO: equal to f, or (XMODEM) equal followed only by 0x1A padding.
ok() {
  [ -f "$1" ] || return 1
  case $2 in x | xk) ;; *) cmp -s f "$1"; return ;; esac
  cmp -s -n "$SIZE" f "$1" || return 1
  [ "$(stat -c %s "$1")" -ge "$SIZE" ] || return 1
  [ -z "$(tail -c +$((SIZE + 1)) "$1" | tr -d '\032')" ]
}

# cmds PROTO WHO -> S, R (the receiver works in ./rx) and OUT (what it writes)
cmds() {
  local bin=$X
  [ "$2" = old ] && bin=$OLD
  case "$1-$2" in
    x-lrzsz) S="sx -q f"; R="rx -q -c rx/out"; OUT=rx/out ;;
    xk-lrzsz) S="sx -q -k f"; R="rx -q -c rx/out"; OUT=rx/out ;;
    y-lrzsz) S="sb -q -k f"; R="sh -c 'cd rx && exec rb -q'"; OUT=rx/f ;;
    z-lrzsz) S="sz -q f"; R="sh -c 'cd rx && exec rz -q'"; OUT=rx/f ;;
    x-*) S="$bin send -q f"; R="$bin recv -q -X rx/out"; OUT=rx/out ;;
    xk-*) S="$bin send -q -k f"; R="$bin recv -q -X rx/out"; OUT=rx/out ;;
    y-*) S="$bin send -q -Y f"; R="$bin recv -q -Y rx"; OUT=rx/f ;;
    z-*) S="$bin send -q -Z f"; R="$bin recv -q -Z rx"; OUT=rx/f ;;
  esac
}

WHO=(ours lrzsz)
[ -n "$OLD" ] && WHO=(ours old lrzsz)
forward=""
[ "${FORWARD_ONLY:-0}" = 1 ] && forward="--ber-forward-only"

echo "### Bit errors: $SIZE bytes at $BAUD baud, BER $BER $([ -n "$forward" ] && echo "(forward only)" || echo "(both directions)"), seeds $SEEDS"
echo
header="| protocol | program |"
rule="|---|---|"
for seed in $SEEDS; do header="$header seed $seed |"; rule="$rule---|"; done
echo "$header median | vs lrzsz |"
echo "$rule---|---|"
for p in $PROTOS; do
  declare -A MED=()
  declare -A ROW=()
  for who in "${WHO[@]}"; do
    times=()
    row=""
    for seed in $SEEDS; do
      rm -rf rx && mkdir rx
      cmds "$p" "$who"
      line=$("$RELAY" --baud "$BAUD" --ber "$BER" --seed "$seed" $forward "$S" "$R" 2>&1 >/dev/null | tail -1)
      echo "  $p $who seed $seed: $line" >&2
      wall=$(sed -E 's/.*wall=([0-9.]+).*/\1/' <<<"$line")
      out=$(sed -E 's/.*bytes_out=([0-9]+).*/\1/' <<<"$line")
      if [[ "$line" == *"sender=0 receiver=0"* ]] && ok "$OUT" "$p"; then
        times+=("$wall")
        row="$row $wall s ($out B) |"
      else
        row="$row FAIL ($wall s, $out B) |"
      fi
    done
    MED[$who]=$(printf '%s\n' "${times[@]}" | median)
    ROW[$who]=$row
  done
  name=$(case $p in x) echo "XMODEM-CRC" ;; xk) echo "XMODEM-1K" ;; y) echo "YMODEM" ;; z) echo "ZMODEM" ;; esac)
  for who in "${WHO[@]}"; do
    label=$(case $who in ours) echo "xyzmodem" ;; old) echo "xyzmodem (old)" ;; lrzsz) echo "lrzsz" ;; esac)
    if [ "$who" = lrzsz ] || [ "${MED[$who]}" = - ] || [ "${MED[lrzsz]}" = - ]; then
      vs="-"
    else
      vs="$(echo "scale=2; ${MED[lrzsz]} / ${MED[$who]}" | bc)x faster"
    fi
    echo "| $name | $label |${ROW[$who]} ${MED[$who]} s | $vs |"
  done
  unset MED ROW
done
echo
