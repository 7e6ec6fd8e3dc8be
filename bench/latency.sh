#!/usr/bin/env bash
# ZMODEM on long, fast, noisy links: xyzmodem (`send -Z`/`recv -Z`) against lrzsz (`sz`/`rz`)
# through the same seeded line, 50 ms of latency each way.
#
#   bench/latency.sh                        # every cell below, seeds 1 and 2
#   CELLS="fast-noisy slow-noisy" bench/latency.sh
#   SEEDS="1 2 3" bench/latency.sh
#   OLD=/path/to/old/xyzmodem bench/latency.sh   # also an older build of ours, same seeds
#   LIMIT=280 bench/latency.sh              # seconds a run may take before it is killed
#   PROGRAMS=ours bench/latency.sh          # ours only (or lrzsz only)
#
# Cells (examples/line_relay.rs, --latency-ms 50, bit errors in both directions):
#   fast-clean   921600 baud, no errors, 2 000 000 bytes (one run; the line bound is
#                2 000 000 * 10 / 921600 = 21.7 s)
#   fast-noisy   921600 baud, BER 1e-5, 2 000 000 bytes, per seed
#   slow-noisy   115200 baud, BER 1e-5, 200 000 bytes, per seed (bound 17.4 s)
#   unpaced      --baud 0 (no pacing: only the latency), BER 1e-5, 5 000 000 bytes, per seed
# Each file is random data, the same for every program; every received file is compared with
# it. A run that fails, delivers wrong data or is killed after LIMIT seconds is shown as FAIL
# and left out of the median. The binaries are the ones cargo builds into CARGO_TARGET_DIR (or
# ./target); X= and RELAY= name others.
# Output: a Markdown table on stdout, for docs/BENCHMARKS.md; per-run relay lines on stderr.
# This is a measurement, not a test: run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-1 2}
CELLS=${CELLS:-fast-clean fast-noisy slow-noisy unpaced}
LIMIT=${LIMIT:-300}
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

median() { { grep . || true; } | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# cell NAME -> BAUD BER SIZE CELL_SEEDS
cell() {
  case $1 in
    fast-clean) BAUD=921600 BER=0 SIZE=2000000 CELL_SEEDS=1 ;;
    fast-noisy) BAUD=921600 BER=1e-5 SIZE=2000000 CELL_SEEDS=$SEEDS ;;
    slow-noisy) BAUD=115200 BER=1e-5 SIZE=200000 CELL_SEEDS=$SEEDS ;;
    unpaced) BAUD=0 BER=1e-5 SIZE=5000000 CELL_SEEDS=$SEEDS ;;
    *) echo "unknown cell $1" >&2; exit 2 ;;
  esac
}

# cmds WHO -> S, R (the receiver works in ./rx)
cmds() {
  local bin=$X
  [ "$1" = old ] && bin=$OLD
  case $1 in
    lrzsz) S="sz -q f"; R="sh -c 'cd rx && exec rz -q'" ;;
    *) S="$bin send -q -Z f"; R="$bin recv -q -Z rx" ;;
  esac
}

read -r -a WHO <<<"${PROGRAMS:-ours lrzsz}"
[ -n "$OLD" ] && WHO=(ours old lrzsz)

echo "### ZMODEM, 50 ms latency each way, bit errors in both directions (seeds $SEEDS)"
echo
echo "| link | program | per seed | median | vs lrzsz | line bound |"
echo "|---|---|---|---|---|---|"
for c in $CELLS; do
  cell "$c"
  head -c "$SIZE" /dev/urandom >f
  declare -A MED=()
  declare -A ROW=()
  for who in "${WHO[@]}"; do
    times=()
    row=""
    for seed in $CELL_SEEDS; do
      rm -rf rx && mkdir rx
      cmds "$who"
      noise=()
      [ "$BER" != 0 ] && noise=(--ber "$BER" --seed "$seed")
      line=$(timeout "$LIMIT" "$RELAY" --baud "$BAUD" --latency-ms 50 "${noise[@]}" "$S" "$R" 2>&1 >/dev/null | tail -1) || true
      [[ "$line" == *wall=* ]] || line=""
      echo "  $c $who seed $seed: ${line:-killed after $LIMIT s}" >&2
      if [[ "$line" == *"sender=0 receiver=0"* ]] && cmp -s f rx/f; then
        wall=$(sed -E 's/.*wall=([0-9.]+).*/\1/' <<<"$line")
        times+=("$wall")
        row="$row $wall s,"
      elif [ -z "$line" ]; then
        row="$row FAIL (killed after $LIMIT s),"
      else
        row="$row FAIL ($(sed -E 's/.*wall=([0-9.]+).*/\1/' <<<"$line") s),"
      fi
    done
    MED[$who]=$(printf '%s\n' "${times[@]}" | median)
    ROW[$who]=${row%,}
  done
  if [ "$BAUD" = 0 ]; then
    link="no pacing"; bound="-"
  else
    link="$BAUD baud"; bound="$(echo "$SIZE $BAUD" | awk '{printf "%.1f s", $1 * 10 / $2}')"
  fi
  [ "$BER" = 0 ] && link="$link, no errors" || link="$link, BER $BER"
  link="$link, $SIZE bytes"
  for who in "${WHO[@]}"; do
    label=$(case $who in ours) echo "xyzmodem" ;; old) echo "xyzmodem (old)" ;; lrzsz) echo "lrzsz" ;; esac)
    if [ "$who" = lrzsz ] || [ "${MED[$who]}" = - ] || [ "${MED[lrzsz]:--}" = - ]; then
      vs="-"
    else
      vs="$(echo "${MED[lrzsz]} ${MED[$who]}" | awk '{printf "%.2fx faster", $1 / $2}')"
    fi
    m=${MED[$who]}
    [ "$m" != - ] && m="$m s"
    echo "| $link | $label |${ROW[$who]} | $m | $vs | $bound |"
  done
  unset MED ROW
done
echo
