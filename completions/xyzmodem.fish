# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_xyzmodem_global_optspecs
    string join \n q/quiet v/verbose h/help V/version
end

function __fish_xyzmodem_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_xyzmodem_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_xyzmodem_using_subcommand
    set -l cmd (__fish_xyzmodem_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -s q -l quiet -d 'Print nothing but errors (no progress bar, no summary)'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -s v -l verbose -d 'Say more: retries, handshake details. Repeat for more'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -s V -l version -d 'Print version'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -f -a "send" -d 'Send files: one by XMODEM (the default), a batch by YMODEM (-Y) or ZMODEM (-Z)'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -f -a "recv" -d 'Receive files from an XMODEM, YMODEM, YMODEM-G or ZMODEM sender (detected)'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -f -a "term" -d 'A terminal on a serial port (--port DEV) or on COMMAND run in a new pseudo-terminal (-- COMMAND, e.g. `-- ssh board`), with X/Y/ZMODEM built in: a remote `sz` or `rz` starts the transfer by itself. Ctrl-T ? lists the keys, Ctrl-T q quits'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -f -a "install-links" -d 'Link sz, rz, sx, rx, sb, rb, sy and ry in DIR to this program, which then behaves like lrzsz\'s programs of those names (see docs/LRZSZ.md)'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -f -a "manpage" -d 'Print the man page (roff) to stdout, or with --dir write every page (xyzmodem.1, xyzmodem-send.1, ...) into DIR, e.g. ~/.local/share/man/man1'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -f -a "ports" -d 'List the serial ports, with USB vendor:product ids, serial number and product name where the system provides them'
complete -c xyzmodem -n "__fish_xyzmodem_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l subpacket -d 'ZMODEM: data bytes per subpacket, 32 to 8192. Receivers that are not lrzsz may accept no more than 1024' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l window -d 'ZMODEM: at most this many bytes ahead of the receiver\'s acknowledgement (ZCRCQ windows); default: stream freely until the receiver first asks for data again (on a long link, one that took 20 ms or more to answer, from the first data), then a window sized to the link (its measured round trip and rate)' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l header-wait -d 'YMODEM: seconds to wait for the receiver\'s `C` after it acknowledged a file header, before sending the data anyway. U-Boot `loady` never sends it' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l escape -d 'ZMODEM: what to escape, on top of what the receiver asks for (docs/LRZSZ.md)' -r -f -a "minimal\t'What lrzsz escapes by default: ZDLE, DLE, XON, XOFF (also with bit 7), CR after `@`'
all\t'Every control character, 0x00-0x1F and 0x80-0x9F (lrzsz -e, ESCCTL)'
telnet\t'Minimal and 0xFF, so that no telnet IAC is formed'
ssh\t'Minimal and CR and LF, so that `~` never follows a newline (OpenSSH\'s escape)'"
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l if-exists -d 'ZMODEM: ask the receiver what to do with a file it already has (lrzsz `rz` follows it; xyzmodem\'s receiver decides by its own options)' -r -f -a "overwrite\t'Replace it (-y)'
overwrite-or-skip\t'Replace it, and skip files the receiver does not have (-Y)'
rename\t'Keep it and store the new one under another name (-E)'
protect\t'Keep it and skip the file (-p)'
newer\t'Replace it if the sender\'s file is newer (-n)'
newer-or-longer\t'Replace it if the sender\'s file is newer or longer (-N)'
append\t'Append to it (-+)'
crc\t'Replace it if its CRC or length differs (-H)'"
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l retries -d 'Errors allowed per block before the transfer is cancelled' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l timeout -d 'Seconds to wait for the other side to start (receiving: for its first block or file, whatever it sends before), and for room to write when it stops reading' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l idle-timeout -d 'Seconds a started session may go without progress (new data, a new file, a file\'s end) before it fails, however busy the other side keeps the line' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -s p -l port -d 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as \'/dev/ttyUSB*\', to send to several ports at once' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -s b -l baud -d 'Serial speed in bits per second' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l data-bits -d 'Data bits per character' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l parity -d 'Parity' -r -f -a "none\t'No parity bit'
odd\t'Odd parity'
even\t'Even parity'"
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l stop-bits -d 'Stop bits' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l flow-control -d 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes' -r -f -a "none\t'No flow control'
software\t'XON/XOFF'
hardware\t'RTS/CTS'"
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l init -d 'Write STRING to the link before the transfer, e.g. \'loady 0x82000000\\r\'. Escapes: \\r \\n \\t \\0 \\e \\\\ \\xNN' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l expect -d 'Wait until the device prints TEXT (same escapes), e.g. \'Ready for binary\', before the transfer starts. What the device sends right after it (its first `C`) is not lost' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l expect-timeout -d 'Seconds --expect waits for its text before the transfer fails' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l after -d 'Write STRING (same escapes) after a successful transfer, e.g. \'bootm 0x82000000\\r\'' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l report -d 'Write a JSON line per file (and per port) plus a session summary line to FILE; `-` is stdout (only with --port, when stdout is not the link)' -r -F
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l trace -d 'Log every byte on the link to FILE: time, direction, decoded view and hex. With several ports, one file per port (FILE with the port name before its extension)' -r -F
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -s X -l xmodem -d 'Use XMODEM (the default): one file, no name or size'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -s Y -l ymodem -d 'Use YMODEM: a batch of files with name, size, time and mode; YMODEM-G when the receiver asks for it'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -s Z -l zmodem -d 'Use ZMODEM: a batch streamed with error recovery by offset (what `rz` receives). Files must be smaller than 4 GiB (ZMODEM positions are 32 bits; YMODEM has no limit)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -s k -l 1k -d 'XMODEM: send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte blocks when that saves padding. (YMODEM uses 1K blocks unless --128.)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l 128 -d 'YMODEM: send 128-byte blocks (for receivers that only know SOH blocks)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l full-path -d 'YMODEM: send each path as given (relative paths only), not just its base name'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l force-device -d 'Send a character or block device (e.g. /dev/ttyS1, /dev/zero) as it reads, announcing no size. Refused otherwise: its size is unknown and its data may never end'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l escape-controls -d 'ZMODEM: the same as --escape all'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l resume -d 'ZMODEM: ask the receiver to resume files it holds in part'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l then-term -d 'After a successful send (and --after), stay on the port as `xyzmodem term` does, e.g. to watch the board boot; Ctrl-T q leaves'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -l telnet -d 'stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and answered'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -s q -l quiet -d 'Print nothing but errors (no progress bar, no summary)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -s v -l verbose -d 'Say more: retries, handshake details. Repeat for more'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s o -l output -d 'Name for data from an XMODEM sender (which sends no name) when receiving into a directory' -r -F
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l escape -d 'ZMODEM: `all` (or `ssh`) asks the sender to escape every control character (ESCCTL), for links that eat or change them; `telnet` cannot be asked for (the sender chooses)' -r -f -a "minimal\t'What lrzsz escapes by default: ZDLE, DLE, XON, XOFF (also with bit 7), CR after `@`'
all\t'Every control character, 0x00-0x1F and 0x80-0x9F (lrzsz -e, ESCCTL)'
telnet\t'Minimal and 0xFF, so that no telnet IAC is formed'
ssh\t'Minimal and CR and LF, so that `~` never follows a newline (OpenSSH\'s escape)'"
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l retries -d 'Errors allowed per block before the transfer is cancelled' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l timeout -d 'Seconds to wait for the other side to start (receiving: for its first block or file, whatever it sends before), and for room to write when it stops reading' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l idle-timeout -d 'Seconds a started session may go without progress (new data, a new file, a file\'s end) before it fails, however busy the other side keeps the line' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s p -l port -d 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as \'/dev/ttyUSB*\', to send to several ports at once' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s b -l baud -d 'Serial speed in bits per second' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l data-bits -d 'Data bits per character' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l parity -d 'Parity' -r -f -a "none\t'No parity bit'
odd\t'Odd parity'
even\t'Even parity'"
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l stop-bits -d 'Stop bits' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l flow-control -d 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes' -r -f -a "none\t'No flow control'
software\t'XON/XOFF'
hardware\t'RTS/CTS'"
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l init -d 'Write STRING to the link before the transfer, e.g. \'loady 0x82000000\\r\'. Escapes: \\r \\n \\t \\0 \\e \\\\ \\xNN' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l expect -d 'Wait until the device prints TEXT (same escapes), e.g. \'Ready for binary\', before the transfer starts. What the device sends right after it (its first `C`) is not lost' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l expect-timeout -d 'Seconds --expect waits for its text before the transfer fails' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l after -d 'Write STRING (same escapes) after a successful transfer, e.g. \'bootm 0x82000000\\r\'' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l report -d 'Write a JSON line per file (and per port) plus a session summary line to FILE; `-` is stdout (only with --port, when stdout is not the link)' -r -F
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l trace -d 'Log every byte on the link to FILE: time, direction, decoded view and hex. With several ports, one file per port (FILE with the port name before its extension)' -r -F
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s X -l xmodem -d 'Receive with XMODEM only: PATH is the file to write'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s Y -l ymodem -d 'Receive with YMODEM (a sender that sends no file header is taken as XMODEM-1K)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s g -l streaming -d 'Receive with YMODEM-G (alone or with -Y): ask for streaming (no per-block ACKs). Fast on reliable links; any error ends the transfer, since YMODEM-G cannot retransmit'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s Z -l zmodem -d 'Receive with ZMODEM: start with ZRINIT (as `rz` does), and take an X/YMODEM sender if none answers in 40 s (two thirds of a shorter --timeout). Without a protocol option, ZMODEM senders are detected too'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l checksum -d 'Ask for the 8-bit checksum (start with NAK) instead of CRC-16 (`C`). Without it, the receiver asks for CRC-16 and falls back to checksum after 4 unanswered requests'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l overwrite -d 'Replace an existing file (only once the new one is complete)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l rename -d 'Keep an existing file and store the new one as NAME.1, NAME.2, ...'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l skip-existing -d 'Receive and discard a file that already exists, and go on with the batch'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l keep-dirs -d 'YMODEM: keep sub-directories in the sender\'s names, confined to the target directory (never `..`, never absolute, never through a symlink)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l keep-partial -d 'On failure, keep what arrived as NAME.part instead of deleting it, whatever the protocol. From a ZMODEM sender it is kept without this (--resume continues it)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l delete-partial -d 'On failure, delete what arrived, even from a ZMODEM sender (whose partial files are otherwise kept as NAME.part for --resume)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l resume -d 'ZMODEM: continue a file kept as NAME.part by an earlier failed receive, from its length (the sender is asked for the rest)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l escape-controls -d 'ZMODEM: the same as --escape all'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l strip-padding -d 'XMODEM: drop trailing 0x1A padding bytes from the last block. XMODEM carries no file length, so this is lossy for data that really ends in 0x1A. (YMODEM sends the length.)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -l telnet -d 'stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and answered'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s q -l quiet -d 'Print nothing but errors (no progress bar, no summary)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s v -l verbose -d 'Say more: retries, handshake details. Repeat for more'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand recv" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l download-dir -d 'Where files that the remote side sends (its `sz`) go: the same names and rules as `recv` into a directory' -r -F
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l escape-key -d 'The key that starts a command: a letter for Ctrl and that letter (`a` is Ctrl-A), or `^A` / `C-a`' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l map -d 'Map CR and LF on their way, for devices that need it: a list of icrnl (in: CR becomes LF), igncr (in: CR dropped), inlcrnl (in: LF becomes CR LF), ocrnl (out: CR, the Enter key, becomes LF), onlcrnl (out: LF becomes CR LF)' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l log -d 'Append what the session shows to FILE (transfers summarised in a line, not their data); Ctrl-T l stops and starts it' -r -F
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l retries -d 'Errors allowed per block before the transfer is cancelled' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l timeout -d 'Seconds to wait for the other side to start (receiving: for its first block or file, whatever it sends before), and for room to write when it stops reading' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l idle-timeout -d 'Seconds a started session may go without progress (new data, a new file, a file\'s end) before it fails, however busy the other side keeps the line' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -s p -l port -d 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as \'/dev/ttyUSB*\', to send to several ports at once' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -s b -l baud -d 'Serial speed in bits per second' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l data-bits -d 'Data bits per character' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l parity -d 'Parity' -r -f -a "none\t'No parity bit'
odd\t'Odd parity'
even\t'Even parity'"
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l stop-bits -d 'Stop bits' -r
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l flow-control -d 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes' -r -f -a "none\t'No flow control'
software\t'XON/XOFF'
hardware\t'RTS/CTS'"
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l overwrite -d 'Downloads: replace an existing file (only once the new one is complete)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l rename -d 'Downloads: keep an existing file and store the new one as NAME.1, NAME.2, ...'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l local-echo -d 'Show what is typed (for a device that does not echo it)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l timestamps -d 'Start each line shown with the seconds since the terminal started'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l no-reconnect -d 'When the port goes away (a USB adapter unplugged), end instead of waiting for it to come back'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l no-auto -d 'Do not start ZMODEM transfers by themselves when the remote side runs `sz` or `rz`'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -l telnet -d 'stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and answered'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -s q -l quiet -d 'Print nothing but errors (no progress bar, no summary)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -s v -l verbose -d 'Say more: retries, handshake details. Repeat for more'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand term" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand completions" -s q -l quiet -d 'Print nothing but errors (no progress bar, no summary)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand completions" -s v -l verbose -d 'Say more: retries, handshake details. Repeat for more'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand completions" -s h -l help -d 'Print help'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand install-links" -l force -d 'Replace files and other links that are in the way (never a directory)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand install-links" -l lsz-names -d 'Also lrzsz\'s l-prefixed names: lsz, lrz, lsx, lrx, lsb, lrb'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand install-links" -s q -l quiet -d 'Print nothing but errors (no progress bar, no summary)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand install-links" -s v -l verbose -d 'Say more: retries, handshake details. Repeat for more'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand install-links" -s h -l help -d 'Print help'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand manpage" -l dir -d 'Write all the pages into this directory instead' -r -F
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand manpage" -s q -l quiet -d 'Print nothing but errors (no progress bar, no summary)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand manpage" -s v -l verbose -d 'Say more: retries, handshake details. Repeat for more'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand manpage" -s h -l help -d 'Print help'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand ports" -s q -l quiet -d 'Print nothing but errors (no progress bar, no summary)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand ports" -s v -l verbose -d 'Say more: retries, handshake details. Repeat for more'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand ports" -s h -l help -d 'Print help'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand help; and not __fish_seen_subcommand_from send recv term completions install-links manpage ports help" -f -a "send" -d 'Send files: one by XMODEM (the default), a batch by YMODEM (-Y) or ZMODEM (-Z)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand help; and not __fish_seen_subcommand_from send recv term completions install-links manpage ports help" -f -a "recv" -d 'Receive files from an XMODEM, YMODEM, YMODEM-G or ZMODEM sender (detected)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand help; and not __fish_seen_subcommand_from send recv term completions install-links manpage ports help" -f -a "term" -d 'A terminal on a serial port (--port DEV) or on COMMAND run in a new pseudo-terminal (-- COMMAND, e.g. `-- ssh board`), with X/Y/ZMODEM built in: a remote `sz` or `rz` starts the transfer by itself. Ctrl-T ? lists the keys, Ctrl-T q quits'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand help; and not __fish_seen_subcommand_from send recv term completions install-links manpage ports help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand help; and not __fish_seen_subcommand_from send recv term completions install-links manpage ports help" -f -a "install-links" -d 'Link sz, rz, sx, rx, sb, rb, sy and ry in DIR to this program, which then behaves like lrzsz\'s programs of those names (see docs/LRZSZ.md)'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand help; and not __fish_seen_subcommand_from send recv term completions install-links manpage ports help" -f -a "manpage" -d 'Print the man page (roff) to stdout, or with --dir write every page (xyzmodem.1, xyzmodem-send.1, ...) into DIR, e.g. ~/.local/share/man/man1'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand help; and not __fish_seen_subcommand_from send recv term completions install-links manpage ports help" -f -a "ports" -d 'List the serial ports, with USB vendor:product ids, serial number and product name where the system provides them'
complete -c xyzmodem -n "__fish_xyzmodem_using_subcommand help; and not __fish_seen_subcommand_from send recv term completions install-links manpage ports help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
