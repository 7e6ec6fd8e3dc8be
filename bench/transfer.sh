#!/usr/bin/env bash
# Whole-transfer benchmark: xyzmodem against lrzsz on the same files, side by side.
#
#   bench/transfer.sh            # everything (the paced runs take ~25 minutes)
#   PACED=0 bench/transfer.sh    # pipe pair only
#   PIPE=0 bench/transfer.sh     # paced line only
#   RUNS=5 bench/transfer.sh     # more runs per cell (default 3; medians are reported)
#
# Pipe pair (bench/pair.sh): 10 MiB and 100 MiB of random data, XMODEM-1K, YMODEM and ZMODEM
# (ours `send -Z`/`recv -Z` against lrzsz `sz`/`rz`, default flags).
# Paced line (examples/line_relay.rs): 115200 baud (10 bits per byte), 0 and 20 ms one-way
# latency, 1 MiB, XMODEM-1K, YMODEM and ZMODEM. Efficiency there is throughput divided by
# the stop-and-wait bound 1024 / ((1029 + 1) * 10 / baud + 2 * latency) bytes/s for X/YMODEM,
# and by the line rate (baud / 10 bytes/s) for ZMODEM, which streams.
# Peak RSS: one 1 GiB YMODEM and one 1 GiB ZMODEM transfer between our own sender and
# receiver.
# Every received file is compared with the original; a mismatch aborts the run.
# Output: Markdown tables on stdout, for docs/BENCHMARKS.md. Run it on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
cargo build --release -q --bins --examples
X=$PWD/target/release/xyzmodem
RELAY=$PWD/target/release/examples/line_relay
PAIR=$PWD/bench/pair.sh
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# check ORIGINAL RECEIVED: equal, or (XMODEM) equal followed only by 0x1A padding.
check() {
  local n
  n=$(stat -c %s "$1")
  if ! cmp -s -n "$n" "$1" "$2" || [ -n "$(tail -c +$((n + 1)) "$2" | tr -d '\032')" ]; then
    echo "MISMATCH: $2 differs from $1" >&2
    exit 1
  fi
}

# cmd PROTO WHO FILE -> the sender and receiver commands (receiver works in ./rx)
cmds() {
  case "$1-$2" in
    x-ours) S="$X send -q -k $3"; R="$X recv -q rx/out" ;;
    x-lrzsz) S="sx -q -k $3"; R="rx -q -c rx/out" ;;
    y-ours) S="$X send -q -Y $3"; R="$X recv -q -Y rx" ;;
    y-lrzsz) S="sb -q -k $3"; R="sh -c 'cd rx && exec rb -q'" ;;
    z-ours) S="$X send -q -Z $3"; R="$X recv -q -Z rx" ;;
    z-lrzsz) S="sz -q $3"; R="sh -c 'cd rx && exec rz -q'" ;;
  esac
}

received() { if [ "$1" = x ]; then echo rx/out; else echo "rx/$(basename "$2")"; fi; }

declare -A WALL CPU RSS
pipe_cell() { # PROTO WHO FILE
  local walls=() cpus=() rsss=() line
  for _ in $(seq "$RUNS"); do
    rm -rf rx && mkdir rx
    cmds "$1" "$2" "$3"
    line=$("$PAIR" "$S" "$R")
    check "$3" "$(received "$1" "$3")"
    walls+=("$(sed -E 's/.*wall=([0-9.]+).*/\1/' <<<"$line")")
    cpus+=("$(sed -E 's/.*sender: rc=0 cpu=([0-9.]+).*receiver: rc=0 cpu=([0-9.]+).*/\1 + \2/' <<<"$line" | bc)")
    rsss+=("$(sed -E 's/.*sender: rc=0 cpu=[0-9.]+ rss=([0-9]+)KiB receiver: rc=0 cpu=[0-9.]+ rss=([0-9]+)KiB/\1 \2/' <<<"$line" | tr ' ' '\n' | sort -g | tail -1)")
  done
  local k="$1-$2-$3"
  WALL[$k]=$(printf '%s\n' "${walls[@]}" | median)
  CPU[$k]=$(printf '%s\n' "${cpus[@]}" | median)
  RSS[$k]=$(printf '%s\n' "${rsss[@]}" | sort -g | tail -1)
  echo "  $k: walls ${walls[*]}" >&2
}

mbps() { echo "scale=1; $1 / 1000000 / $2" | bc; }
proto_name() { case "$1" in x) echo XMODEM-1K ;; y) echo YMODEM ;; z) echo ZMODEM ;; esac; }
ratio() { echo "scale=2; $1 / $2" | bc; }

if [ "${PIPE:-1}" = 1 ]; then
  head -c $((10 << 20)) /dev/urandom >f10m
  head -c $((100 << 20)) /dev/urandom >f100m
  echo "### Pipe pair ($RUNS runs per cell, medians)"
  echo
  echo "| protocol | size | xyzmodem wall | MB/s | CPU s | peak RSS | lrzsz wall | MB/s | CPU s | peak RSS | speed-up |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for p in ${PROTOS:-x y z}; do
    for f in f10m f100m; do
      pipe_cell "$p" ours "$f"
      pipe_cell "$p" lrzsz "$f"
      size=$(stat -c %s "$f")
      o="$p-ours-$f" l="$p-lrzsz-$f"
      name=$(proto_name "$p")
      echo "| $name | $((size >> 20)) MiB | ${WALL[$o]} s | $(mbps "$size" "${WALL[$o]}") | ${CPU[$o]} | $((RSS[$o] / 1024)) MiB | ${WALL[$l]} s | $(mbps "$size" "${WALL[$l]}") | ${CPU[$l]} | $((RSS[$l] / 1024)) MiB | $(ratio "${WALL[$l]}" "${WALL[$o]}")x |"
    done
  done
  echo
fi

if [ "${PACED:-1}" = 1 ]; then
  head -c $((1 << 20)) /dev/urandom >f1m
  size=$((1 << 20))
  echo "### Paced line, 115200 baud, 1 MiB ($RUNS runs per cell, medians)"
  echo
  echo "| protocol | latency | bound | xyzmodem wall | efficiency | lrzsz wall | efficiency | speed-up |"
  echo "|---|---|---|---|---|---|---|---|"
  for p in ${PROTOS:-x y z}; do
    for lat in 0 20; do
      if [ "$p" = z ]; then
        bound=$(echo "scale=6; 115200 / 10" | bc)
      else
        bound=$(echo "scale=6; 1024 / (1030 * 10 / 115200 + 2 * $lat / 1000)" | bc)
      fi
      for who in ours lrzsz; do
        walls=()
        for _ in $(seq "$RUNS"); do
          rm -rf rx && mkdir rx
          cmds "$p" "$who" f1m
          line=$("$RELAY" --baud 115200 --latency-ms "$lat" "$S" "$R" 2>&1 >/dev/null | tail -1)
          case "$line" in *"sender=0 receiver=0"*) ;; *) echo "FAILED: $line" >&2; exit 1 ;; esac
          check f1m "$(received "$p" f1m)"
          walls+=("$(sed -E 's/.*wall=([0-9.]+).*/\1/' <<<"$line")")
        done
        WALL[$who]=$(printf '%s\n' "${walls[@]}" | median)
        echo "  $p $lat ms $who: walls ${walls[*]}" >&2
      done
      eff() { echo "scale=1; 100 * $size / $1 / $bound" | bc; }
      name=$(proto_name "$p")
      echo "| $name | $lat ms | $(echo "scale=1; $bound / 1000" | bc) kB/s | ${WALL[ours]} s | $(eff "${WALL[ours]}") % | ${WALL[lrzsz]} s | $(eff "${WALL[lrzsz]}") % | $(ratio "${WALL[lrzsz]}" "${WALL[ours]}")x |"
    done
  done
  echo
fi

if [ "${RSS1G:-1}" = 1 ]; then
  head -c $((1 << 30)) /dev/urandom >f1g
  rm -rf rx && mkdir rx
  line=$("$PAIR" "$X send -q -Y f1g" "$X recv -q -Y rx")
  check f1g rx/f1g
  echo "### 1 GiB, xyzmodem to xyzmodem over a pipe"
  echo
  echo "YMODEM: \`$line\`"
  echo
  rm -rf rx && mkdir rx
  line=$("$PAIR" "$X send -q -Z f1g" "$X recv -q -Z rx")
  check f1g rx/f1g
  echo "ZMODEM: \`$line\`"
  echo
fi
