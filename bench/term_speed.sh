#!/usr/bin/env bash
# The terminal's speed bars, on a socat pty pair (near end A for the terminal, far end B for
# the "remote" programs):
#   a) ZMODEM both ways, 100 MiB of random data: inside `xyzmodem term --port A` (the remote
#      `sz FILE` is received automatically into --download-dir; for the remote `rz` the path
#      is typed at the terminal's file prompt) against `xyzmodem recv -Z --port A` /
#      `xyzmodem send -Z --port A` with the same remote program, each on a terminal of its
#      own as a person runs it (so each draws its progress bar). Timed from the remote `sz`'s
#      start to its end and the file complete under its final name (download), and from the
#      sender's start or the Enter that gives the path at the prompt to the remote `rz`'s end
#      (upload).
#   b) The remote `cat`s 50 MiB of text (base64 lines) to B: the time from the first to the
#      last byte reaching the terminal's screen, through `term` and through picocom, and with
#      no terminal (A read directly: what the pty pair alone does); with each terminal's CPU
#      time.
#   c) Keystroke latency: one byte written to the terminal's keyboard until it is read on B,
#      1000 times (10 rounds of 100 per path, the paths taking turns), median and 99th
#      percentile, against a byte written to A directly.
# The terminals run on a pty of their own (80x24) that this script reads as a terminal
# emulator would, and answers cursor-position queries on; the remote programs run on B.
# Every received file is compared with the original; a mismatch is a FAIL.
#
#   bench/term_speed.sh                       # everything (about 2 minutes on an idle machine)
#   PARTS="b c" bench/term_speed.sh           # some parts only
#   TERMINALS=picocom bench/term_speed.sh     # b and c without term (term: xyzmodem term)
#   REMOTE=ours bench/term_speed.sh           # a with our sz/rz links on B instead of lrzsz
#   MIB=10 TEXT_MIB=5 KEYS=200 bench/term_speed.sh   # smaller runs
#   RUNS=3 bench/term_speed.sh                # runs per cell in a and b, taking turns (medians)
#   X=/path/to/xyzmodem bench/term_speed.sh   # that binary (default: this checkout, built)
#
# Needs (Debian): socat lrzsz picocom python3. Output: Markdown tables for docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
for prog in socat python3; do
  command -v "$prog" >/dev/null || { echo "FAIL: $prog is not installed" >&2; exit 1; }
done
if [ -z "${X:-}" ]; then
  cargo build --release -q --bins
  X=${CARGO_TARGET_DIR:-$PWD/target}/release/xyzmodem
fi
export X
export PARTS=${PARTS:-a b c} TERMINALS=${TERMINALS:-term picocom} REMOTE=${REMOTE:-lrzsz}
export MIB=${MIB:-100} TEXT_MIB=${TEXT_MIB:-50} KEYS=${KEYS:-1000} RUNS=${RUNS:-1}
W=$(mktemp -d)
export W
trap 'rm -rf "$W"' EXIT
echo "$(date -u +%FT%TZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $($X --version)," \
  "$(dpkg-query -W -f '${Package} ${Version}, ' socat lrzsz picocom 2>/dev/null)remote $REMOTE"
python3 - <<'EOF'
import fcntl, os, pty, re, select, signal, statistics, struct, subprocess, sys, termios
import threading, time, tty

X, W = os.environ["X"], os.environ["W"]
PARTS, TERMINALS = os.environ["PARTS"].split(), os.environ["TERMINALS"].split()
REMOTE, RUNS = os.environ["REMOTE"], int(os.environ["RUNS"])
MIB, TEXT_MIB, KEYS = int(os.environ["MIB"]), int(os.environ["TEXT_MIB"]), int(os.environ["KEYS"])
ROUNDS = 10
failed = []


def fail(what):
    failed.append(what)
    print(f"FAIL: {what}", flush=True)


class Pair:
    """A socat pty pair: W/a (the terminal's line) and W/b (the remote programs')."""

    def __init__(self):
        self.a, self.b = f"{W}/a", f"{W}/b"
        for p in (self.a, self.b):
            if os.path.lexists(p):
                os.unlink(p)
        self.log = open(f"{W}/socat.log", "w")
        self.proc = subprocess.Popen(
            ["socat", "-d", "-d", f"pty,raw,echo=0,link={self.a}", f"pty,raw,echo=0,link={self.b}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        end = time.time() + 10
        while not (os.path.exists(self.a) and os.path.exists(self.b)):
            if time.time() > end:
                sys.exit("FAIL: socat made no pty pair")
            time.sleep(0.01)
        # Held open so that nothing written before a program opens an end is lost.
        self.hold_a = os.open(self.a, os.O_RDWR | os.O_NOCTTY)
        self.hold_b = os.open(self.b, os.O_RDWR | os.O_NOCTTY)
        for fd in (self.hold_a, self.hold_b):
            tty.setraw(fd)

    def close(self):
        os.close(self.hold_a)
        os.close(self.hold_b)
        self.proc.terminate()
        self.proc.wait()


class Screen:
    """A program on a pty of its own, read by a thread as a terminal emulator would."""

    def __init__(self, argv, cwd=W):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = dict(os.environ, TERM="xterm-256color")

        def controlling():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                                     env=env, start_new_session=True, preexec_fn=controlling)
        os.close(slave)
        self.lock = threading.Condition()
        self.tail = b""  # the last 64 KiB of output
        self.total = 0
        self.first = None  # when output first came after reset()
        self.fresh = b""  # the output since reset(), its last 4 KiB
        self.marker, self.marker_at = None, None
        self.last_output = time.monotonic()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            now = time.monotonic()
            with self.lock:
                if not data:
                    self.lock.notify_all()
                    return
                if self.first is None:
                    self.first = now
                window = self.tail[-64:] + data
                if b"\x1b[6n" in window[-len(data) - 3:]:
                    os.write(self.master, b"\x1b[24;1R")
                if self.marker and self.marker_at is None and self.marker in window:
                    self.marker_at = now
                self.tail = (self.tail + data)[-65536:]
                self.fresh = (self.fresh + data)[-4096:]
                self.total += len(data)
                self.last_output = now
                self.lock.notify_all()

    def reset(self, marker=None):
        with self.lock:
            self.first, self.marker, self.marker_at = None, marker, None
            self.fresh = b""

    def wait(self, cond, timeout):
        end = time.monotonic() + timeout
        with self.lock:
            while not cond():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(min(left, 0.05))
            return True

    def prompted(self, timeout):
        """Waits until the output since reset() ends in a prompt (text ending in ": ", escape
        sequences aside) and then nothing more comes for 0.3 s."""
        def ready():
            text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\r", b"", self.fresh)
            return text.rstrip(b" ").endswith(b":") and time.monotonic() - self.last_output >= 0.3
        return self.wait(ready, timeout)

    def settle(self):
        """Waits until the program has printed nothing for 0.3 s (at most 3 s)."""
        return self.wait(lambda: time.monotonic() - self.last_output >= 0.3, 3)

    def type(self, data):
        os.write(self.master, data)

    def screen(self):
        with self.lock:
            text = self.tail[-3000:].decode("utf-8", "replace")
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)

    def cpu(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def quit(self, keys):
        self.type(keys)
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed"


TERMINAL = {
    "term": lambda port, dl: [X, "term", "--port", port, "--download-dir", dl],
    "picocom": lambda port, dl: ["picocom", "-q", "-b", "115200", port],
}
QUIT = {"term": b"\x14q", "picocom": b"\x01\x18"}


def remote(name):
    """The remote program `name` (sz, rz): lrzsz's, or our own link to the binary."""
    if REMOTE == "lrzsz":
        return name
    links = f"{W}/links"
    if not os.path.isdir(links):
        subprocess.run([X, "install-links", links], check=True, stdout=subprocess.DEVNULL)
    return f"{links}/{name}"


def on_b(pair, argv, cwd):
    fd = os.open(pair.b, os.O_RDWR | os.O_NOCTTY)
    p = subprocess.Popen(argv, stdin=fd, stdout=fd, stderr=open(f"{W}/remote.err", "w"), cwd=cwd)
    os.close(fd)
    return p


def fresh(d):
    subprocess.run(["rm", "-rf", d], check=True)
    os.makedirs(d)
    return d


def same(a, b):
    return os.path.exists(b) and subprocess.run(["cmp", "-s", a, b]).returncode == 0


def wait_file(path, size, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path) and os.path.getsize(path) == size:
            return True
        time.sleep(0.002)
    return False


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def part_a():
    pair = Pair()
    src = fresh(f"{W}/src")
    data = f"{src}/data.bin"
    subprocess.run(["head", "-c", str(MIB << 20), "/dev/urandom"], stdout=open(data, "wb"), check=True)
    size = os.path.getsize(data)
    times = {}

    def cell(key, secs):
        times.setdefault(key, []).append(secs)

    def program(argv, on_terminal, name):
        """send or recv: quiet with stderr in a file, or on a terminal of its own as a person
        runs it (drawing its progress bar, as term does)."""
        if on_terminal:
            return Screen(argv)
        return subprocess.Popen(argv[:2] + ["-q"] + argv[2:], stderr=open(f"{W}/{name}.err", "w"))

    def ended(p):
        return p.proc.wait(600) if isinstance(p, Screen) else p.wait(600)

    def said(p, name):
        return p.screen()[-500:] if isinstance(p, Screen) else open(f"{W}/{name}.err").read()[-500:]

    for run in range(RUNS):
        # send/recv --port with the remote program on B.
        for how, on_terminal in (("q", False), ("tty", True)):
            dl = fresh(f"{W}/dl")
            recv = program([X, "recv", "-Z", "--port", pair.a, dl + "/"], on_terminal, "recv")
            time.sleep(0.3)
            t0 = time.monotonic()
            sz = on_b(pair, [remote("sz"), "-q", data], src)
            rc = sz.wait(600)
            complete = wait_file(f"{dl}/data.bin", size)
            took = time.monotonic() - t0
            rc = (rc, ended(recv))
            if rc == (0, 0) and complete and same(data, f"{dl}/data.bin"):
                cell(f"download {how}", took)
            else:
                fail(f"recv --port: exits {rc}; it said:\n" + said(recv, "recv"))
            up = fresh(f"{W}/up")
            rz = on_b(pair, [remote("rz"), "-q"], up)
            time.sleep(0.3)
            t0 = time.monotonic()
            send = program([X, "send", "-Z", "--port", pair.a, data], on_terminal, "send")
            rc = rz.wait(600)
            took = time.monotonic() - t0
            rc = (ended(send), rc)
            if rc == (0, 0) and same(data, f"{up}/data.bin"):
                cell(f"upload {how}", took)
            else:
                fail(f"send --port: exits {rc}; it said:\n" + said(send, "send"))

        if "term" not in TERMINALS:
            continue
        dl = fresh(f"{W}/dl")
        term = Screen(TERMINAL["term"](pair.a, dl))
        term.settle()
        t0 = time.monotonic()
        sz = on_b(pair, [remote("sz"), "-q", data], src)
        rc = sz.wait(600)
        complete = wait_file(f"{dl}/data.bin", size)
        took = time.monotonic() - t0
        if rc == 0 and complete and same(data, f"{dl}/data.bin"):
            cell("download term", took)
        else:
            fail(f"term, remote sz: sz exit {rc}, {dl}/data.bin "
                 f"{'differs' if os.path.exists(f'{dl}/data.bin') else 'missing'}; the screen:\n"
                 + term.screen()[-1500:])
        up = fresh(f"{W}/up")
        term.settle()
        # A person's pause between the two: this measures transfers, not how soon after one
        # the terminal notices the next.
        time.sleep(2)
        term.reset()
        rz = on_b(pair, [remote("rz"), "-q"], up)
        if not term.prompted(10):
            fail("term, remote rz: no file prompt on the screen within 10 s:\n" + term.screen()[-1500:])
            rz.kill()
        else:
            t0 = time.monotonic()
            term.type(data.encode() + b"\r")
            rc = rz.wait(600)
            took = time.monotonic() - t0
            if rc == 0 and same(data, f"{up}/data.bin"):
                cell("upload term", took)
            else:
                fail(f"term, remote rz: rz exit {rc}; the screen:\n" + term.screen()[-1500:])
        term.settle()
        code = term.quit(QUIT["term"])
        if code != 0:
            fail(f"term: Ctrl-T q: exit {code}")
    pair.close()
    print(f"\n### ZMODEM, {MIB} MiB (remote: {REMOTE} sz/rz on the far pty; median of {RUNS})\n")
    print("| direction | `send`/`recv -q --port` | `send`/`recv --port` on a terminal | inside `term` "
          "| term / on a terminal |")
    print("|---|---|---|---|---|")
    def mbs(runs):
        s = median(runs)
        if s != s:
            return "-"
        each = ", ".join(f"{r:.2f}" for r in runs)
        return f"{s:.2f} s ({size / s / 2**20:.1f} MiB/s; {each})"

    for d in ("download", "upload"):
        q, b, t = (times.get(f"{d} {how}", []) for how in ("q", "tty", "term"))
        ratio = "-" if not t or not b else f"{median(t) / median(b):.3f}"
        print(f"| {d} (remote {'sz' if d == 'download' else 'rz'}) | {mbs(q)} | {mbs(b)} | {mbs(t)} "
              f"| {ratio} |")


def part_b():
    pair = Pair()
    text = f"{W}/text.txt"
    marker = b"END-OF-TEXT-%d" % os.getpid()
    subprocess.run(f"base64 -w 76 </dev/urandom | head -c {TEXT_MIB << 20} >{text}",
                   shell=True, check=True)
    with open(text, "ab") as f:
        f.write(b"\n" + marker + b"\n")
    size = os.path.getsize(text)
    whos = ["none"] + TERMINALS
    times, cpus = {w: [] for w in whos}, {w: [] for w in whos}
    # Runs interleaved, so that a change in the machine's load hits every terminal alike.
    for run in range(RUNS):
        for who in whos:
            if who == "none":
                screen = None
                fd = os.open(pair.a, os.O_RDWR | os.O_NOCTTY)
                tty.setraw(fd)
            else:
                screen = Screen(TERMINAL[who](pair.a, W))
                screen.settle()
                screen.reset(marker)
                cpu0 = screen.cpu()
            cat = on_b(pair, ["cat", text], W)
            if screen is None:
                first, buf = None, b""
                while True:
                    if not select.select([fd], [], [], 30)[0]:
                        fail("the text stopped coming on the near pty")
                        break
                    chunk = os.read(fd, 65536)
                    first = first or time.monotonic()
                    buf = (buf + chunk)[-4096:]
                    if marker in buf:
                        break
                last = time.monotonic()
                os.close(fd)
            elif screen.wait(lambda: screen.marker_at is not None, 600):
                first, last = screen.first, screen.marker_at
                cpus[who].append(screen.cpu() - cpu0)
            else:
                fail(f"{who}: the end of the text never showed; the screen:\n" + screen.screen()[-800:])
                first = last = None
            cat.wait()
            if screen is not None:
                screen.settle()
                code = screen.quit(QUIT[who])
                if code != 0:
                    fail(f"{who}: quit key: exit {code}")
            if first is not None:
                times[who].append(last - first)
    rows = [(w, median(times[w]), median(cpus[w]) if cpus[w] else None) for w in whos]
    pair.close()
    print(f"\n### Plain output: the remote `cat`s {size / 2**20:.1f} MiB of text (median of {RUNS})\n")
    print("| terminal | first to last byte | throughput | terminal's CPU |")
    print("|---|---|---|---|")
    for who, secs, cpu in rows:
        name = {"none": "none (the near pty read directly)", "term": "`xyzmodem term --port`",
                "picocom": "`picocom`"}[who]
        print(f"| {name} | {secs:.2f} s | {size / secs / 2**20:.1f} MiB/s | "
              f"{'-' if cpu is None else f'{cpu:.2f} s'} |")


def part_c():
    pair = Pair()
    rows = []
    b = os.open(pair.b, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(b)

    def drain():
        while select.select([b], [], [], 0)[0]:
            os.read(b, 4096)

    whos = ["direct"] + TERMINALS
    lat = {w: [] for w in whos}
    broken = set()
    # Rounds of KEYS / ROUNDS keys per path, interleaved, so that a change in the machine's
    # load hits every path alike.
    rounds = min(ROUNDS, KEYS)
    for r in range(rounds):
        for who in whos:
            if who in broken:
                continue
            if who == "direct":
                screen, near = None, os.open(pair.a, os.O_RDWR | os.O_NOCTTY)
                tty.setraw(near)
                write = lambda byte: os.write(near, byte)
            else:
                screen = Screen(TERMINAL[who](pair.a, W))
                screen.settle()
                write = screen.type
            time.sleep(0.1)
            drain()
            for i in range(KEYS * r // rounds, KEYS * (r + 1) // rounds):
                byte = b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1]
                t0 = time.perf_counter()
                write(byte)
                if not select.select([b], [], [], 2)[0]:
                    fail(f"{who}: keystroke {i} did not reach the far end within 2 s")
                    broken.add(who)
                    break
                got = os.read(b, 16)
                lat[who].append(time.perf_counter() - t0)
                if got != byte:
                    fail(f"{who}: keystroke {byte!r} arrived as {got!r}")
                    broken.add(who)
                    break
            if screen is None:
                os.close(near)
            else:
                code = screen.quit(QUIT[who])
                if code != 0:
                    fail(f"{who}: quit key: exit {code}")
    rows = []
    for who in whos:
        xs = sorted(lat[who])
        if xs:
            rows.append((who, statistics.median(xs), xs[min(len(xs) - 1, int(len(xs) * 0.99))]))
    os.close(b)
    pair.close()
    print(f"\n### Keystroke latency: a byte typed until it is read on the far pty ({KEYS} keys)\n")
    print("| path | median | p99 | median added |")
    print("|---|---|---|---|")
    base = rows[0][1] if rows and rows[0][0] == "direct" else None
    for who, med, p99 in rows:
        name = {"direct": "written to the near pty directly", "term": "through `xyzmodem term --port`",
                "picocom": "through `picocom`"}[who]
        added = "-" if who == "direct" or base is None else f"{(med - base) * 1e6:.0f} µs"
        print(f"| {name} | {med * 1e6:.0f} µs | {p99 * 1e6:.0f} µs | {added} |")


if "term" in TERMINALS:
    if subprocess.run([X, "term", "--help"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        fail(f"{X} has no term subcommand; measuring without it")
        TERMINALS.remove("term")
for part in PARTS:
    {"a": part_a, "b": part_b, "c": part_c}[part]()
    sys.stdout.flush()
print()
if failed:
    print(f"FAIL: {len(failed)} failure(s) above")
    sys.exit(1)
print("PASS: every transfer byte-exact, every terminal quit with exit 0")
EOF
