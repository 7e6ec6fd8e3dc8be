#!/usr/bin/env bash
# The U-Boot flow against the real U-Boot, booted in QEMU (the `virt` machine, 32-bit ARM), on
# a pseudo-terminal: `loady`, a YMODEM upload, then U-Boot's own `crc32` over the loaded bytes
# must equal the file's CRC-32.
#   1. `xyzmodem send -Y --port PTY --init 'loady ADDR\r' --expect 'Ready for binary' FILE`
#   2. the same as a person does it, typed into `xyzmodem term --port PTY` in a tmux pane:
#      `loady ADDR` Enter, Ctrl-T y, the file's path at the prompt, `## Total Size` on the
#      screen, `crc32 ADDR SIZE` Enter, Ctrl-T q (exit 0).
# Each step prints a PASS or FAIL line with its timings; the last line sums up (exit 0 when
# every step passed, 1 otherwise).
#
#   bench/uboot_term.sh                  # a 256 KiB file for each step
#   SIZE=1048576 bench/uboot_term.sh     # another size (bytes; at most 200 MiB)
#   TERMINAL=picocom bench/uboot_term.sh # step 2 with picocom (Ctrl-A Ctrl-S, lrzsz `sb`)
#   STEPS=term bench/uboot_term.sh       # only step 2 (`send` and `term` are the two steps)
#   KEEP=1 bench/uboot_term.sh           # keep the work directory (logs, the pane's text)
#   X=/path/to/xyzmodem bench/uboot_term.sh   # that binary (default: this checkout, built)
#
# Needs (Debian): qemu-system-arm u-boot-qemu tmux python3 (and lrzsz for TERMINAL=picocom).
# U-Boot in QEMU receives at about 50 KiB/s (the emulated PL011 UART), so 256 KiB takes ~5 s
# on an idle machine, several times that on a busy one (QEMU needs the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-262144}
TERMINAL=${TERMINAL:-xyzmodem}
STEPS=${STEPS:-send term}
UBOOT=${UBOOT:-/usr/lib/u-boot/qemu_arm/u-boot.bin}
# `virt` has its RAM at 0x40000000 (256 MiB with -m 256); U-Boot's own loadaddr is 0x40200000
# and it relocates itself to the top, from 0x4ddf3000 on (`bdinfo`).
ADDR=0x40200000
for prog in qemu-system-arm tmux python3; do
  command -v "$prog" >/dev/null || { echo "FAIL: $prog is not installed" >&2; exit 1; }
done
[ -r "$UBOOT" ] || { echo "FAIL: no U-Boot image at $UBOOT (Debian: u-boot-qemu)" >&2; exit 1; }
[ "$SIZE" -le $((200 << 20)) ] || { echo "FAIL: SIZE is over 200 MiB" >&2; exit 1; }

if [ -z "${X:-}" ]; then
  cargo build --release -q --bins
  X=${CARGO_TARGET_DIR:-$PWD/target}/release/xyzmodem
fi
W=$(mktemp -d)
QEMU= CONSOLE=
TMUX_CMD=(tmux -S "$W/tmux.sock")
cleanup() {
  [ -z "$CONSOLE" ] || kill "$CONSOLE" 2>/dev/null || true
  [ -z "$QEMU" ] || kill "$QEMU" 2>/dev/null || true
  "${TMUX_CMD[@]}" kill-server 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
kib_s() { awk -v n="$SIZE" -v s="$1" 'BEGIN { printf "%.1f", n / 1024 / s }'; }
crc32() { python3 -c 'import sys, zlib; print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read()))' "$1"; }

# until_true SECS COMMAND...: runs COMMAND every 50 ms until it succeeds; false after SECS.
until_true() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.05
  done
}

# The console: what U-Boot prints goes to $W/console while `console_on` runs; off while
# another program has the port.
console_on() {
  : >"$W/console"
  cat "$PTY" >>"$W/console" &
  CONSOLE=$!
  sleep 0.1
}
console_off() {
  kill "$CONSOLE" 2>/dev/null || true
  wait "$CONSOLE" 2>/dev/null || true
  CONSOLE=
}
console_has() { grep -aqE "$1" "$W/console"; }
type_line() { printf '%s\r' "$1" >"$PTY"; }

# Boot U-Boot and stop its autoboot with Enter until the prompt comes.
start=$(now)
qemu-system-arm -M virt -m 256 -display none -monitor none -nic none -serial pty \
  -bios "$UBOOT" >"$W/qemu.out" 2>&1 </dev/null &
QEMU=$!
until_true 10 grep -qs 'redirected to /dev/pts/' "$W/qemu.out" \
  || { cat "$W/qemu.out" >&2; echo "FAIL: QEMU did not open a pty"; exit 1; }
PTY=$(grep -o '/dev/pts/[0-9]*' "$W/qemu.out" | head -1)
# Raw, and no echo: the pty's echo would send U-Boot's own output back to it as input.
stty -F "$PTY" raw -echo
console_on
prompt() { console_has '=> *$' || { type_line ''; sleep 0.5; false; }; }
until_true 60 prompt || { cat -v "$W/console" >&2; echo "FAIL: no U-Boot prompt on $PTY"; exit 1; }
boot=$(since "$start")
: >"$W/console"
type_line version
until_true 5 console_has 'U-Boot 20[^ ]*' || true
version=$(grep -aom1 'U-Boot 20[^ ]*' "$W/console" || echo 'U-Boot')
console_off
echo "booted $version in QEMU on $PTY in $boot s; file size $SIZE bytes, load address $ADDR"

failed=0
size_hex=$(printf '0x%x' "$SIZE")
# uboot_crc: U-Boot's CRC-32 of the loaded bytes, from a `crc32` typed on the console.
uboot_crc() {
  console_on
  type_line "crc32 $ADDR $size_hex"
  until_true 30 console_has '==> [0-9a-f]{8}' || true
  console_off
  grep -aoE '==> [0-9a-f]{8}' "$W/console" | tail -1 | cut -c5-
}

case " $STEPS " in
*" send "*)
  head -c "$SIZE" /dev/urandom >"$W/send.bin"
  want=$(crc32 "$W/send.bin")
  start=$(now)
  rc=0
  "$X" send -q -Y --port "$PTY" --init "loady $ADDR\\r" --expect 'Ready for binary' \
    --report "$W/send.json" "$W/send.bin" 2>"$W/send.err" || rc=$?
  retries=$(grep -o '"retries":[0-9]*' "$W/send.json" | tail -1 | cut -d: -f2 || true)
  took=$(since "$start")
  console_on
  until_true 10 console_has '## Total Size' || true
  console_off
  total=$(grep -aoE '## Total Size *= 0x[0-9a-f]+ = [0-9]+ Bytes' "$W/console" || true)
  got=$(uboot_crc)
  if [ "$rc" = 0 ] && [ "$total" != "" ] && [ "$got" = "$want" ]; then
    echo "PASS send: exit 0, $total, crc32 $got = file's $want, $took s ($(kib_s "$took") KiB/s), ${retries:-?} retries"
  else
    failed=1
    echo "FAIL send: exit $rc, '${total:-no ## Total Size}', crc32 '${got:-none}', file's $want, $took s; stderr: $(tr '\n' ' ' <"$W/send.err")"
  fi
  ;;
esac

case " $STEPS " in
*" term "*)
  head -c "$SIZE" /dev/urandom >"$W/term.bin"
  want=$(crc32 "$W/term.bin")
  case $TERMINAL in
  xyzmodem)
    if ! "$X" term --help >/dev/null 2>&1; then
      echo "FAIL term: $X has no term subcommand"
      exit 1
    fi
    cmd="$X term --port $PTY" upload=(C-t y) quit=(C-t q)
    ;;
  picocom)
    cmd="picocom -q -b 115200 --send-cmd 'sb -q' $PTY" upload=(C-a C-s) quit=(C-a C-x)
    ;;
  *) echo "FAIL: TERMINAL is xyzmodem or picocom, not $TERMINAL"; exit 1 ;;
  esac
  pane() { "${TMUX_CMD[@]}" capture-pane -p -J -S - -t bench; }
  pane_has() { pane | grep -aqE "$1"; }
  keys() { "${TMUX_CMD[@]}" send-keys -t bench "$@"; }
  "${TMUX_CMD[@]}" new-session -d -s bench -x 160 -y 50 \
    "$cmd; echo \$? >$W/term.exit; sleep 3600"
  # The terminal is up once Enter brings the prompt into the pane.
  prompt() { pane_has '=> *$' || { keys Enter; sleep 0.5; false; }; }
  step=""
  if ! until_true 10 prompt; then
    step="no U-Boot prompt in the pane"
  else
    keys -l "loady $ADDR"
    keys Enter
    if ! until_true 10 pane_has 'Ready for binary'; then
      step="no 'Ready for binary' after loady"
    else
      before=$(pane)
      keys "${upload[@]}"
      # The file prompt has appeared once the pane changes.
      changed() { [ "$(pane)" != "$before" ]; }
      if ! until_true 5 changed; then
        step="nothing on the screen after ${upload[*]}"
      else
        sleep 0.2
        keys -l "$W/term.bin"
        keys Enter
        start=$(now)
        # A minute, and 1 s per 10 KiB: 5 times what the data needs in QEMU.
        limit=$((60 + SIZE / 10240))
        if ! until_true "$limit" pane_has '## Total Size'; then
          step="no '## Total Size' within $limit s"
        fi
        took=$(since "$start")
      fi
    fi
  fi
  total=$(pane | grep -aoE '## Total Size *= 0x[0-9a-f]+ = [0-9]+ Bytes' || true)
  got=
  if [ -z "$step" ]; then
    until_true 5 pane_has '=> *$' || true
    # Enter on an empty line repeats U-Boot's last command: the pane may show older sums.
    sums() { pane | grep -acE '==> [0-9a-f]{8}' || true; }
    old=$(sums)
    more() { [ "$(sums)" -gt "$old" ]; }
    keys -l "crc32 $ADDR $size_hex"
    keys Enter
    until_true 30 more || true
    got=$(pane | grep -aoE '==> [0-9a-f]{8}' | tail -1 | cut -c5-)
  fi
  keys "${quit[@]}"
  until_true 10 test -s "$W/term.exit" || true
  code=$(cat "$W/term.exit" 2>/dev/null || echo "none (still running)")
  pane >"$W/pane.txt" || true
  if [ -z "$step" ] && [ "$got" = "$want" ] && [ "$code" = 0 ]; then
    echo "PASS term ($TERMINAL): $total, crc32 $got = file's $want, $took s from Enter at the path to '## Total Size' ($(kib_s "$took") KiB/s), quit: exit 0"
  else
    failed=1
    [ -n "$step" ] || step="'${total:-no ## Total Size}', crc32 '${got:-none}', file's $want"
    echo "FAIL term ($TERMINAL): $step, quit: exit $code; the pane:"
    # The pane without its blank bottom lines.
    awk '{ line[NR] = $0 } NF { last = NR } END { for (i = 1; i <= last; i++) print "  | " line[i] }' \
      "$W/pane.txt" | tail -40
  fi
  ;;
esac

if [ "$failed" = 0 ]; then echo "PASS: U-Boot flow ($STEPS) in QEMU"; else echo "FAIL: U-Boot flow ($STEPS) in QEMU"; exit 1; fi
