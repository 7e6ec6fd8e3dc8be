#!/usr/bin/env bash
# A scripted U-Boot console on stdin/stdout (the far end of a pty pair, or a terminal's
# COMMAND), for driving the U-Boot flow without a board:
#   - prints a banner and the `=> ` prompt, and echoes what is typed (Backspace erases,
#     Ctrl-C abandons the line, Enter or LF ends it), as U-Boot does;
#   - `loady [ADDR [BAUD]]` prints U-Boot's "## Ready for binary (ymodem) download to 0x…"
#     line and receives one YMODEM batch with lrzsz `rb`, stores the first file at ADDR in
#     a simulated RAM and prints "## Total Size      = 0x… = N Bytes" and "## Start Addr";
#   - `crc32 ADDR SIZE` prints the CRC-32 of SIZE bytes of that RAM at ADDR in U-Boot's format
#     ("crc32 for 82000000 ... 8200ffff ==> 1a2b3c4d"), bytes never loaded being zero;
#   - `bootm [ADDR]` prints "Starting kernel ..." and "booted SHA256 (N bytes)", the SHA-256 of
#     the N bytes the last `loady` loaded, read at ADDR (default: where they were loaded);
#   - `echo WORDS`, `printenv filesize`; anything else: "Unknown command 'X' - try 'help'".
# ADDR and SIZE are hex with or without 0x, as U-Boot reads them; `loady` without ADDR loads at
# 0x82000000. `rb` reads and writes pipes, not the pty: lrzsz flushes a tty's input after each
# `C` and its output on exit, which on a pty can drop a block or the last ACK; U-Boot reads its
# UART without flushing. What comes after the batch's end (`send --after`, typing) is read
# as typed input once the transfer is over. Needs bash, perl, lrzsz (`rb`), coreutils and
# gzip. Its scratch directory is made under $TMPDIR. A `loady` takes about 3 s more than its
# data needs: `rb` pauses 1 s before its first `C`, 1 s before it acknowledges the EOT and
# 1 s before it asks for the next header.
set -u
export LC_ALL=C
LOADADDR=0x82000000
work=$(mktemp -d)
# U-Boot's UART is raw: no echo by the line, no line editing, binary data passes as it is.
if [ -t 0 ]; then
  saved=$(stty -g)
  stty raw -echo
  trap 'rm -rf "$work"; stty "$saved" 2>/dev/null' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
# A hang-up or kill ends the script through its EXIT trap.
trap 'exit 129' HUP
trap 'exit 143' TERM
ram=$work/ram
: >"$ram"
filesize=
loaded_at=$((LOADADDR))
last=
# Input that came before a `loady` ended and was not part of its transfer: read first.
pending=

out() { printf '%b' "$1"; }

# hex VALUE -> decimal on stdout, or fails.
hex() {
  [[ $1 =~ ^(0[xX])?([0-9a-fA-F]{1,8})$ ]] || return 1
  echo $((16#${BASH_REMATCH[2]}))
}

# CRC-32 (zlib's) of stdin, as 8 hex digits: the gzip trailer holds it, least significant
# byte first.
crc32() {
  local b
  read -r -a b < <(gzip -1 -c | tail -c 8 | head -c 4 | od -An -tx1)
  echo "${b[3]}${b[2]}${b[1]}${b[0]}"
}

loady() {
  local addr=$LOADADDR
  [ $# -lt 1 ] || addr=$1
  local at
  if ! at=$(hex "$addr"); then
    out "Usage:\r\nloady [ off ] [ baud ]\r\n    - load binary file over serial line with offset 'off' and baudrate 'baud'\r\n"
    return
  fi
  printf '## Ready for binary (ymodem) download to 0x%08X at 115200 bps...\r\n' "$at"
  rm -rf "$work/rx" "$work/in" "$work/stop"
  mkdir "$work/rx"
  mkfifo "$work/in" "$work/stop"
  # Held open here, so that what the feeder passed on and `rb` did not read (a sender's
  # `--after`, typing) is still in the fifo when `rb` has gone.
  exec 4<>"$work/in" 6<>"$work/stop"
  # The feeder copies the pty to `rb` until told to stop, and then stops when it holds
  # nothing: what is typed after that is read by the prompt, and nothing is lost between.
  perl -e '
    my $rin = ""; vec($rin, 0, 1) = 1; vec($rin, 5, 1) = 1;
    while (1) {
      select(my $rout = $rin, undef, undef, undef) > 0 or next;
      if (vec($rout, 0, 1)) {
        my $n = sysread(STDIN, my $buf, 65536);
        last if !$n;
        syswrite(STDOUT, $buf) // last;
      } elsif (vec($rout, 5, 1)) {
        last;
      }
    }' <&0 >&4 5<"$work/stop" &
  local feeder=$!
  (cd "$work/rx" && exec rb -q) <"$work/in" 2>"$work/rb.log" | cat
  local rc=${PIPESTATUS[0]}
  echo >&6
  wait "$feeder" 2>/dev/null
  exec 6>&-
  local c
  while IFS= read -r -s -n1 -d '' -t 0.01 -u 4 c; do
    pending+=$c
  done
  exec 4<&-
  local files=("$work"/rx/*) size=0
  if [ -f "${files[0]}" ]; then
    size=$(stat -c %s "${files[0]}")
    dd if="${files[0]}" of="$ram" bs=1M oflag=seek_bytes seek="$at" conv=notrunc 2>/dev/null
  fi
  [ "$rc" = 0 ] || printf '## rb failed (exit %s): %s\r\n' "$rc" "$(tr '\n' ' ' <"$work/rb.log")"
  printf '## Total Size      = 0x%08x = %d Bytes\r\n## Start Addr      = 0x%08X\r\n' "$size" "$size" "$at"
  filesize=$(printf '%x' "$size")
  loaded_at=$at
}

crc() {
  local at len
  if [ $# -lt 2 ] || ! at=$(hex "$1") || ! len=$(hex "$2"); then
    out "Usage:\r\ncrc32 address count [addr]\r\n    - compute CRC32 checksum [save at addr]\r\n"
    return
  fi
  if [ "$len" -gt $((256 << 20)) ]; then
    out "crc32: the scripted U-Boot sums at most 256 MiB\r\n"
    return
  fi
  truncate -s ">$((at + len))" "$ram"
  local sum
  sum=$(dd if="$ram" bs=1M iflag=skip_bytes,count_bytes skip="$at" count="$len" 2>/dev/null | crc32)
  printf 'crc32 for %08x ... %08x ==> %s\r\n' "$at" $((at + len - 1)) "$sum"
}

# bootm [ADDR]: says what it would start, with the SHA-256 of the bytes last loaded (their
# size from `loady`) at ADDR, default the load address of the last `loady`.
boot() {
  local at=$loaded_at
  if [ $# -gt 0 ] && ! at=$(hex "$1"); then
    printf "bootm: bad address '%s'\r\n" "$1"
    return
  fi
  printf '## Booting kernel from Legacy Image at %08x ...\r\nStarting kernel ...\r\n' "$at"
  local len=$((16#${filesize:-0})) sum
  truncate -s ">$((at + len))" "$ram"
  sum=$(dd if="$ram" bs=1M iflag=skip_bytes,count_bytes skip="$at" count="$len" 2>/dev/null \
    | sha256sum)
  printf 'booted %s (%d bytes)\r\n' "${sum%% *}" "$len"
}

run() {
  local -a words
  read -r -a words <<<"$1"
  [ ${#words[@]} -gt 0 ] || return 0
  case ${words[0]} in
  loady) loady "${words[@]:1}" ;;
  crc32) crc "${words[@]:1}" ;;
  echo) printf '%s\r\n' "${words[*]:1}" ;;
  printenv)
    if [ "${words[1]:-}" = filesize ] && [ -n "$filesize" ]; then
      printf 'filesize=%s\r\n' "$filesize"
    else
      printf '## Error: "%s" not defined\r\n' "${words[1]:-}"
    fi
    ;;
  bootm) boot "${words[@]:1}" ;;
  *) printf "Unknown command '%s' - try 'help'\r\n" "${words[0]}" ;;
  esac
}

out "\r\n\r\nU-Boot 2023.01 (scripted, fake_uboot.sh)\r\n\r\nDRAM:  256 MiB\r\n"
out "Hit any key to stop autoboot:  0 \r\n=> "
# The next typed character into c: what `loady` left over first, then stdin.
next() {
  if [ -n "$pending" ]; then
    c=${pending:0:1}
    pending=${pending:1}
  else
    IFS= read -r -s -n1 -d '' c
  fi
}

line=
while next; do
  case $c in
  $'\r' | $'\n')
    # CR LF from a terminal that sends both ends one line.
    if [ "$c" = $'\n' ] && [ "$last" = $'\r' ]; then
      last=$c
      continue
    fi
    out "\r\n"
    run "$line"
    line=
    out "=> "
    ;;
  $'\x03')
    line=
    out "<INTERRUPT>\r\n=> "
    ;;
  $'\x08' | $'\x7f')
    if [ -n "$line" ]; then
      line=${line%?}
      out "\b \b"
    fi
    ;;
  *)
    line+=$c
    printf '%s' "$c"
    ;;
  esac
  last=$c
done
