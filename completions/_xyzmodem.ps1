
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'xyzmodem' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'xyzmodem'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'xyzmodem' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send files: one by XMODEM (the default), a batch by YMODEM (-Y) or ZMODEM (-Z)')
            [CompletionResult]::new('recv', 'recv', [CompletionResultType]::ParameterValue, 'Receive files from an XMODEM, YMODEM, YMODEM-G or ZMODEM sender (detected)')
            [CompletionResult]::new('term', 'term', [CompletionResultType]::ParameterValue, 'A terminal on a serial port (--port DEV) or on COMMAND run in a new pseudo-terminal (-- COMMAND, e.g. `-- ssh board`), with X/Y/ZMODEM built in: a remote `sz` or `rz` starts the transfer by itself. Ctrl-T ? lists the keys, Ctrl-T q quits')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('install-links', 'install-links', [CompletionResultType]::ParameterValue, 'Link sz, rz, sx, rx, sb, rb, sy and ry in DIR to this program, which then behaves like lrzsz''s programs of those names (see docs/LRZSZ.md)')
            [CompletionResult]::new('manpage', 'manpage', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout, or with --dir write every page (xyzmodem.1, xyzmodem-send.1, ...) into DIR, e.g. ~/.local/share/man/man1')
            [CompletionResult]::new('ports', 'ports', [CompletionResultType]::ParameterValue, 'List the serial ports, with USB vendor:product ids, serial number and product name where the system provides them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'xyzmodem;send' {
            [CompletionResult]::new('--subpacket', '--subpacket', [CompletionResultType]::ParameterName, 'ZMODEM: data bytes per subpacket, 32 to 8192. Receivers that are not lrzsz may accept no more than 1024')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'ZMODEM: at most this many bytes ahead of the receiver''s acknowledgement (ZCRCQ windows); default: stream freely until the receiver first asks for data again (on a long link, one that took 20 ms or more to answer, from the first data), then a window sized to the link (its measured round trip and rate)')
            [CompletionResult]::new('--header-wait', '--header-wait', [CompletionResultType]::ParameterName, 'YMODEM: seconds to wait for the receiver''s `C` after it acknowledged a file header, before sending the data anyway. U-Boot `loady` never sends it')
            [CompletionResult]::new('--escape', '--escape', [CompletionResultType]::ParameterName, 'ZMODEM: what to escape, on top of what the receiver asks for (docs/LRZSZ.md)')
            [CompletionResult]::new('--if-exists', '--if-exists', [CompletionResultType]::ParameterName, 'ZMODEM: ask the receiver what to do with a file it already has (lrzsz `rz` follows it; xyzmodem''s receiver decides by its own options)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Errors allowed per block before the transfer is cancelled')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the other side to start (receiving: for its first block or file, whatever it sends before), and for room to write when it stops reading')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Seconds a started session may go without progress (new data, a new file, a file''s end) before it fails, however busy the other side keeps the line')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--baud', '--baud', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--data-bits', '--data-bits', [CompletionResultType]::ParameterName, 'Data bits per character')
            [CompletionResult]::new('--parity', '--parity', [CompletionResultType]::ParameterName, 'Parity')
            [CompletionResult]::new('--stop-bits', '--stop-bits', [CompletionResultType]::ParameterName, 'Stop bits')
            [CompletionResult]::new('--flow-control', '--flow-control', [CompletionResultType]::ParameterName, 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes')
            [CompletionResult]::new('--init', '--init', [CompletionResultType]::ParameterName, 'Write STRING to the link before the transfer, e.g. ''loady 0x82000000\r''. Escapes: \r \n \t \0 \e \\ \xNN')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Wait until the device prints TEXT (same escapes), e.g. ''Ready for binary'', before the transfer starts. What the device sends right after it (its first `C`) is not lost')
            [CompletionResult]::new('--expect-timeout', '--expect-timeout', [CompletionResultType]::ParameterName, 'Seconds --expect waits for its text before the transfer fails')
            [CompletionResult]::new('--after', '--after', [CompletionResultType]::ParameterName, 'Write STRING (same escapes) after a successful transfer, e.g. ''bootm 0x82000000\r''')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write a JSON line per file (and per port) plus a session summary line to FILE; `-` is stdout (only with --port, when stdout is not the link)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Log every byte on the link to FILE: time, direction, decoded view and hex. With several ports, one file per port (FILE with the port name before its extension)')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'Use XMODEM (the default): one file, no name or size')
            [CompletionResult]::new('--xmodem', '--xmodem', [CompletionResultType]::ParameterName, 'Use XMODEM (the default): one file, no name or size')
            [CompletionResult]::new('-Y', '-Y ', [CompletionResultType]::ParameterName, 'Use YMODEM: a batch of files with name, size, time and mode; YMODEM-G when the receiver asks for it')
            [CompletionResult]::new('--ymodem', '--ymodem', [CompletionResultType]::ParameterName, 'Use YMODEM: a batch of files with name, size, time and mode; YMODEM-G when the receiver asks for it')
            [CompletionResult]::new('-Z', '-Z ', [CompletionResultType]::ParameterName, 'Use ZMODEM: a batch streamed with error recovery by offset (what `rz` receives). Files must be smaller than 4 GiB (ZMODEM positions are 32 bits; YMODEM has no limit)')
            [CompletionResult]::new('--zmodem', '--zmodem', [CompletionResultType]::ParameterName, 'Use ZMODEM: a batch streamed with error recovery by offset (what `rz` receives). Files must be smaller than 4 GiB (ZMODEM positions are 32 bits; YMODEM has no limit)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'XMODEM: send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte blocks when that saves padding. (YMODEM uses 1K blocks unless --128.)')
            [CompletionResult]::new('--1k', '--1k', [CompletionResultType]::ParameterName, 'XMODEM: send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte blocks when that saves padding. (YMODEM uses 1K blocks unless --128.)')
            [CompletionResult]::new('--128', '--128', [CompletionResultType]::ParameterName, 'YMODEM: send 128-byte blocks (for receivers that only know SOH blocks)')
            [CompletionResult]::new('--full-path', '--full-path', [CompletionResultType]::ParameterName, 'YMODEM: send each path as given (relative paths only), not just its base name')
            [CompletionResult]::new('--force-device', '--force-device', [CompletionResultType]::ParameterName, 'Send a character or block device (e.g. /dev/ttyS1, /dev/zero) as it reads, announcing no size. Refused otherwise: its size is unknown and its data may never end')
            [CompletionResult]::new('--escape-controls', '--escape-controls', [CompletionResultType]::ParameterName, 'ZMODEM: the same as --escape all')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'ZMODEM: ask the receiver to resume files it holds in part')
            [CompletionResult]::new('--then-term', '--then-term', [CompletionResultType]::ParameterName, 'After a successful send (and --after), stay on the port as `xyzmodem term` does, e.g. to watch the board boot; Ctrl-T q leaves')
            [CompletionResult]::new('--telnet', '--telnet', [CompletionResultType]::ParameterName, 'stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and answered')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'xyzmodem;recv' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Name for data from an XMODEM sender (which sends no name) when receiving into a directory')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Name for data from an XMODEM sender (which sends no name) when receiving into a directory')
            [CompletionResult]::new('--escape', '--escape', [CompletionResultType]::ParameterName, 'ZMODEM: `all` (or `ssh`) asks the sender to escape every control character (ESCCTL), for links that eat or change them; `telnet` cannot be asked for (the sender chooses)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Errors allowed per block before the transfer is cancelled')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the other side to start (receiving: for its first block or file, whatever it sends before), and for room to write when it stops reading')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Seconds a started session may go without progress (new data, a new file, a file''s end) before it fails, however busy the other side keeps the line')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--baud', '--baud', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--data-bits', '--data-bits', [CompletionResultType]::ParameterName, 'Data bits per character')
            [CompletionResult]::new('--parity', '--parity', [CompletionResultType]::ParameterName, 'Parity')
            [CompletionResult]::new('--stop-bits', '--stop-bits', [CompletionResultType]::ParameterName, 'Stop bits')
            [CompletionResult]::new('--flow-control', '--flow-control', [CompletionResultType]::ParameterName, 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes')
            [CompletionResult]::new('--init', '--init', [CompletionResultType]::ParameterName, 'Write STRING to the link before the transfer, e.g. ''loady 0x82000000\r''. Escapes: \r \n \t \0 \e \\ \xNN')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Wait until the device prints TEXT (same escapes), e.g. ''Ready for binary'', before the transfer starts. What the device sends right after it (its first `C`) is not lost')
            [CompletionResult]::new('--expect-timeout', '--expect-timeout', [CompletionResultType]::ParameterName, 'Seconds --expect waits for its text before the transfer fails')
            [CompletionResult]::new('--after', '--after', [CompletionResultType]::ParameterName, 'Write STRING (same escapes) after a successful transfer, e.g. ''bootm 0x82000000\r''')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write a JSON line per file (and per port) plus a session summary line to FILE; `-` is stdout (only with --port, when stdout is not the link)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Log every byte on the link to FILE: time, direction, decoded view and hex. With several ports, one file per port (FILE with the port name before its extension)')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'Receive with XMODEM only: PATH is the file to write')
            [CompletionResult]::new('--xmodem', '--xmodem', [CompletionResultType]::ParameterName, 'Receive with XMODEM only: PATH is the file to write')
            [CompletionResult]::new('-Y', '-Y ', [CompletionResultType]::ParameterName, 'Receive with YMODEM (a sender that sends no file header is taken as XMODEM-1K)')
            [CompletionResult]::new('--ymodem', '--ymodem', [CompletionResultType]::ParameterName, 'Receive with YMODEM (a sender that sends no file header is taken as XMODEM-1K)')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Receive with YMODEM-G (alone or with -Y): ask for streaming (no per-block ACKs). Fast on reliable links; any error ends the transfer, since YMODEM-G cannot retransmit')
            [CompletionResult]::new('--streaming', '--streaming', [CompletionResultType]::ParameterName, 'Receive with YMODEM-G (alone or with -Y): ask for streaming (no per-block ACKs). Fast on reliable links; any error ends the transfer, since YMODEM-G cannot retransmit')
            [CompletionResult]::new('-Z', '-Z ', [CompletionResultType]::ParameterName, 'Receive with ZMODEM: start with ZRINIT (as `rz` does), and take an X/YMODEM sender if none answers in 40 s (two thirds of a shorter --timeout). Without a protocol option, ZMODEM senders are detected too')
            [CompletionResult]::new('--zmodem', '--zmodem', [CompletionResultType]::ParameterName, 'Receive with ZMODEM: start with ZRINIT (as `rz` does), and take an X/YMODEM sender if none answers in 40 s (two thirds of a shorter --timeout). Without a protocol option, ZMODEM senders are detected too')
            [CompletionResult]::new('--checksum', '--checksum', [CompletionResultType]::ParameterName, 'Ask for the 8-bit checksum (start with NAK) instead of CRC-16 (`C`). Without it, the receiver asks for CRC-16 and falls back to checksum after 4 unanswered requests')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace an existing file (only once the new one is complete)')
            [CompletionResult]::new('--rename', '--rename', [CompletionResultType]::ParameterName, 'Keep an existing file and store the new one as NAME.1, NAME.2, ...')
            [CompletionResult]::new('--skip-existing', '--skip-existing', [CompletionResultType]::ParameterName, 'Receive and discard a file that already exists, and go on with the batch')
            [CompletionResult]::new('--keep-dirs', '--keep-dirs', [CompletionResultType]::ParameterName, 'YMODEM: keep sub-directories in the sender''s names, confined to the target directory (never `..`, never absolute, never through a symlink)')
            [CompletionResult]::new('--keep-partial', '--keep-partial', [CompletionResultType]::ParameterName, 'On failure, keep what arrived as NAME.part instead of deleting it, whatever the protocol. From a ZMODEM sender it is kept without this (--resume continues it)')
            [CompletionResult]::new('--delete-partial', '--delete-partial', [CompletionResultType]::ParameterName, 'On failure, delete what arrived, even from a ZMODEM sender (whose partial files are otherwise kept as NAME.part for --resume)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'ZMODEM: continue a file kept as NAME.part by an earlier failed receive, from its length (the sender is asked for the rest)')
            [CompletionResult]::new('--escape-controls', '--escape-controls', [CompletionResultType]::ParameterName, 'ZMODEM: the same as --escape all')
            [CompletionResult]::new('--strip-padding', '--strip-padding', [CompletionResultType]::ParameterName, 'XMODEM: drop trailing 0x1A padding bytes from the last block. XMODEM carries no file length, so this is lossy for data that really ends in 0x1A. (YMODEM sends the length.)')
            [CompletionResult]::new('--telnet', '--telnet', [CompletionResultType]::ParameterName, 'stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and answered')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'xyzmodem;term' {
            [CompletionResult]::new('--download-dir', '--download-dir', [CompletionResultType]::ParameterName, 'Where files that the remote side sends (its `sz`) go: the same names and rules as `recv` into a directory')
            [CompletionResult]::new('--escape-key', '--escape-key', [CompletionResultType]::ParameterName, 'The key that starts a command: a letter for Ctrl and that letter (`a` is Ctrl-A), or `^A` / `C-a`')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'Map CR and LF on their way, for devices that need it: a list of icrnl (in: CR becomes LF), igncr (in: CR dropped), inlcrnl (in: LF becomes CR LF), ocrnl (out: CR, the Enter key, becomes LF), onlcrnl (out: LF becomes CR LF)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append what the session shows to FILE (transfers summarised in a line, not their data); Ctrl-T l stops and starts it')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Errors allowed per block before the transfer is cancelled')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the other side to start (receiving: for its first block or file, whatever it sends before), and for room to write when it stops reading')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Seconds a started session may go without progress (new data, a new file, a file''s end) before it fails, however busy the other side keeps the line')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--baud', '--baud', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--data-bits', '--data-bits', [CompletionResultType]::ParameterName, 'Data bits per character')
            [CompletionResult]::new('--parity', '--parity', [CompletionResultType]::ParameterName, 'Parity')
            [CompletionResult]::new('--stop-bits', '--stop-bits', [CompletionResultType]::ParameterName, 'Stop bits')
            [CompletionResult]::new('--flow-control', '--flow-control', [CompletionResultType]::ParameterName, 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Downloads: replace an existing file (only once the new one is complete)')
            [CompletionResult]::new('--rename', '--rename', [CompletionResultType]::ParameterName, 'Downloads: keep an existing file and store the new one as NAME.1, NAME.2, ...')
            [CompletionResult]::new('--local-echo', '--local-echo', [CompletionResultType]::ParameterName, 'Show what is typed (for a device that does not echo it)')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Start each line shown with the seconds since the terminal started')
            [CompletionResult]::new('--no-reconnect', '--no-reconnect', [CompletionResultType]::ParameterName, 'When the port goes away (a USB adapter unplugged), end instead of waiting for it to come back')
            [CompletionResult]::new('--no-auto', '--no-auto', [CompletionResultType]::ParameterName, 'Do not start ZMODEM transfers by themselves when the remote side runs `sz` or `rz`')
            [CompletionResult]::new('--telnet', '--telnet', [CompletionResultType]::ParameterName, 'stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and answered')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'xyzmodem;completions' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'xyzmodem;install-links' {
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace files and other links that are in the way (never a directory)')
            [CompletionResult]::new('--lsz-names', '--lsz-names', [CompletionResultType]::ParameterName, 'Also lrzsz''s l-prefixed names: lsz, lrz, lsx, lrx, lsb, lrb')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'xyzmodem;manpage' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write all the pages into this directory instead')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'xyzmodem;ports' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'xyzmodem;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send files: one by XMODEM (the default), a batch by YMODEM (-Y) or ZMODEM (-Z)')
            [CompletionResult]::new('recv', 'recv', [CompletionResultType]::ParameterValue, 'Receive files from an XMODEM, YMODEM, YMODEM-G or ZMODEM sender (detected)')
            [CompletionResult]::new('term', 'term', [CompletionResultType]::ParameterValue, 'A terminal on a serial port (--port DEV) or on COMMAND run in a new pseudo-terminal (-- COMMAND, e.g. `-- ssh board`), with X/Y/ZMODEM built in: a remote `sz` or `rz` starts the transfer by itself. Ctrl-T ? lists the keys, Ctrl-T q quits')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('install-links', 'install-links', [CompletionResultType]::ParameterValue, 'Link sz, rz, sx, rx, sb, rb, sy and ry in DIR to this program, which then behaves like lrzsz''s programs of those names (see docs/LRZSZ.md)')
            [CompletionResult]::new('manpage', 'manpage', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout, or with --dir write every page (xyzmodem.1, xyzmodem-send.1, ...) into DIR, e.g. ~/.local/share/man/man1')
            [CompletionResult]::new('ports', 'ports', [CompletionResultType]::ParameterValue, 'List the serial ports, with USB vendor:product ids, serial number and product name where the system provides them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'xyzmodem;help;send' {
            break
        }
        'xyzmodem;help;recv' {
            break
        }
        'xyzmodem;help;term' {
            break
        }
        'xyzmodem;help;completions' {
            break
        }
        'xyzmodem;help;install-links' {
            break
        }
        'xyzmodem;help;manpage' {
            break
        }
        'xyzmodem;help;ports' {
            break
        }
        'xyzmodem;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
