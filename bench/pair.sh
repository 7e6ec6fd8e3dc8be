#!/usr/bin/env bash
# Run two commands joined by a pipe pair (two fifos) and report the wall time and, per side,
# exit code, user/system CPU seconds and peak RSS (GNU time).
#   bench/pair.sh "SENDER COMMAND" "RECEIVER COMMAND"
# The sender's stdin/stdout are the receiver's stdout/stdin. Both sides' stderr is discarded
# unless PAIR_STDERR=1 (then the receiver's stderr is shown).
set -u
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkfifo "$d/a" "$d/b"
timer=(/usr/bin/time -f "%x %U %S %M")
start=$(date +%s.%N)
# The sender opens its input fifo read-write, so neither side blocks in open().
"${timer[@]}" -o "$d/ts" bash -c "exec $1" <>"$d/a" >"$d/b" 2>/dev/null &
p1=$!
if [ "${PAIR_STDERR:-0}" = 1 ]; then
  "${timer[@]}" -o "$d/tr" bash -c "exec $2" <"$d/b" >"$d/a" &
else
  "${timer[@]}" -o "$d/tr" bash -c "exec $2" <"$d/b" >"$d/a" 2>/dev/null &
fi
p2=$!
wait $p1 $p2
end=$(date +%s.%N)
read -r src sus sss smx <"$d/ts"
read -r rrc rus rss rmx <"$d/tr"
printf 'wall=%.3f sender: rc=%s cpu=%.2f rss=%sKiB receiver: rc=%s cpu=%.2f rss=%sKiB\n' \
  "$(echo "$end - $start" | bc)" "$src" "$(echo "$sus + $sss" | bc)" "$smx" \
  "$rrc" "$(echo "$rus + $rss" | bc)" "$rmx"
