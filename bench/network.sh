#!/usr/bin/env bash
# Transfers through a local ser2net (raw tcp:// and rfc2217://) against the same transfers on
# the pty that ser2net serves, with lrzsz on the other end of the pty pair as the device.
#   bench/network.sh [MiB] [runs] [protocols]
# (default: 100 MiB, 1 run of each, "zmodem ymodem xmodem"; runs are interleaved)
# ZMODEM and YMODEM move MiB of random data (0xFF bytes included: doubled over rfc2217://);
# XMODEM-CRC (128-byte blocks, stop-and-wait) moves 1 MiB: it waits for every answer, so it
# shows what a round trip through the network link costs. Prints one line per transfer:
# the wall time of the sender, and the rate. Uses target/release/xyzmodem unless XYZMODEM says
# otherwise; needs socat, ser2net, lrzsz and GNU time. Each line also gives the sender's CPU
# time (user + system): the share of the wall time our side was busy, and ser2net's CPU time
# meanwhile (0 for the pty and socat runs, which do not go through it). ZMODEM also runs through
# socat as the TCP-to-pty relay instead of ser2net (`tcp:// socat`): the same link of ours, the
# server's relay replaced.
# ser2net's relay buffers are BUFSIZE bytes each way (default 65536, as docs/OPERATIONS.md
# advises; BUFSIZE=64 is ser2net's own default).
set -eu
BUFSIZE=${BUFSIZE:-65536}
bin=$(realpath "${XYZMODEM:-target/release/xyzmodem}")
mib=${1:-100}
runs=${2:-1}
protocols=${3:-zmodem ymodem xmodem}
d=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$d"
}
trap cleanup EXIT

socat pty,raw,echo=0,link="$d/dev" pty,raw,echo=0,link="$d/host" 2>/dev/null &
pids+=($!)
while [ ! -e "$d/dev" ] || [ ! -e "$d/host" ]; do sleep 0.01; done
# Both ends held open: a pty nobody has open loses what arrives on it.
exec 3<>"$d/dev" 4<>"$d/host"

base=$((20000 + RANDOM % 20000))
cat >"$d/ser2net.yaml" <<YAML
connection: &r
  accepter: telnet(rfc2217),tcp,127.0.0.1,$base
  connector: serialdev,$d/dev,115200n81,local
  options:
    chardelay: false
    dev-to-net-bufsize: $BUFSIZE
    net-to-dev-bufsize: $BUFSIZE
connection: &t
  accepter: tcp,127.0.0.1,$((base + 1))
  connector: serialdev,$d/dev,115200n81,local
  options:
    chardelay: false
    dev-to-net-bufsize: $BUFSIZE
    net-to-dev-bufsize: $BUFSIZE
YAML
ser2net -n -u -P "$d/ser2net.pid" -c "$d/ser2net.yaml" 2>/dev/null &
pids+=($!)
sleep 0.5

head -c "${mib}MiB" /dev/urandom >"$d/data.bin"
head -c 1MiB /dev/urandom >"$d/small.bin"
mkdir "$d/out"

# run LABEL DEVICE-COMMAND PORT SEND-ARGS FILE: the device side in $d/out on the pty, then our
# sender on PORT; the copy is compared.
run() {
  local label=$1 device=$2 port=$3 args=$4 file=$5
  rm -f "$d/out/"*
  (cd "$d/out" && exec $device <"$d/host" >"$d/host" 2>/dev/null) &
  local dev=$!
  local start end relay0 relay1
  relay0=$(relay_ticks)
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  /usr/bin/time -f "%U %S" -o "$d/cpu" "$bin" send -q $args --port "$port" "$d/$file" </dev/null
  end=$(date +%s.%N)
  relay1=$(relay_ticks)
  wait "$dev"
  local got
  got=$(ls "$d/out")
  if [ "$label" = "${label#xmodem}" ]; then
    cmp -s "$d/out/$got" "$d/$file" || { echo "$label: the copy differs" >&2; exit 1; }
  else
    cmp -s -n "$(stat -c %s "$d/$file")" "$d/out/$got" "$d/$file" \
      || { echo "$label: the copy differs" >&2; exit 1; }
  fi
  local size secs user sys
  size=$(stat -c %s "$d/$file")
  secs=$(echo "$end - $start" | bc)
  read -r user sys <"$d/cpu"
  printf '%-22s %8.3f s %8.2f MiB/s  sender cpu %6.2f s  ser2net cpu %6.2f s\n' "$label" "$secs" \
    "$(echo "$size / 1048576 / $secs" | bc -l)" "$(echo "$user + $sys" | bc)" \
    "$(echo "($relay1 - $relay0) / $(getconf CLK_TCK)" | bc -l)"
}

# ser2net's CPU time so far (user + system, in clock ticks), from /proc.
relay_ticks() {
  awk '{print $14 + $15}' "/proc/$(cat "$d/ser2net.pid")/stat"
}

tcp="tcp://127.0.0.1:$((base + 1))"
rfc="rfc2217://127.0.0.1:$base"
for _ in $(seq "$runs"); do
  for p in $protocols; do
    case $p in
    zmodem)
      run "zmodem pty" "rz -y" "$d/dev" -Z data.bin
      run "zmodem tcp://" "rz -y" "$tcp" -Z data.bin
      run "zmodem rfc2217://" "rz -y" "$rfc" -Z data.bin
      socat TCP-LISTEN:$((base + 2)),bind=127.0.0.1,reuseaddr "FILE:$d/dev,raw,echo=0" 2>/dev/null &
      sleep 0.3
      run "zmodem tcp:// socat" "rz -y" "tcp://127.0.0.1:$((base + 2))" -Z data.bin
      ;;
    ymodem)
      run "ymodem pty" "rb -y" "$d/dev" -Y data.bin
      run "ymodem tcp://" "rb -y" "$tcp" -Y data.bin
      run "ymodem rfc2217://" "rb -y" "$rfc" -Y data.bin
      ;;
    xmodem)
      run "xmodem-crc pty" "rx -c x.bin" "$d/dev" "" small.bin
      run "xmodem-crc tcp://" "rx -c x.bin" "$tcp" "" small.bin
      run "xmodem-crc rfc2217://" "rx -c x.bin" "$rfc" "" small.bin
      ;;
    esac
  done
done
