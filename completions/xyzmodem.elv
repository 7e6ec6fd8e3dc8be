
use builtin;
use str;

set edit:completion:arg-completer[xyzmodem] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'xyzmodem'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'xyzmodem'= {
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Send files: one by XMODEM (the default), a batch by YMODEM (-Y) or ZMODEM (-Z)'
            cand recv 'Receive files from an XMODEM, YMODEM, YMODEM-G or ZMODEM sender (detected)'
            cand term 'A terminal on a serial port (--port DEV) or on COMMAND run in a new pseudo-terminal (-- COMMAND, e.g. `-- ssh board`), with X/Y/ZMODEM built in: a remote `sz` or `rz` starts the transfer by itself. Ctrl-T ? lists the keys, Ctrl-T q quits'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand install-links 'Link sz, rz, sx, rx, sb, rb, sy and ry in DIR to this program, which then behaves like lrzsz''s programs of those names (see docs/LRZSZ.md)'
            cand manpage 'Print the man page (roff) to stdout, or with --dir write every page (xyzmodem.1, xyzmodem-send.1, ...) into DIR, e.g. ~/.local/share/man/man1'
            cand ports 'List the serial ports, with USB vendor:product ids, serial number and product name where the system provides them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'xyzmodem;send'= {
            cand --subpacket 'ZMODEM: data bytes per subpacket, 32 to 8192. Receivers that are not lrzsz may accept no more than 1024'
            cand --window 'ZMODEM: at most this many bytes ahead of the receiver''s acknowledgement (ZCRCQ windows); default: stream freely until the receiver first asks for data again (on a long link, one that took 20 ms or more to answer, from the first data), then a window sized to the link (its measured round trip and rate)'
            cand --header-wait 'YMODEM: seconds to wait for the receiver''s `C` after it acknowledged a file header, before sending the data anyway. U-Boot `loady` never sends it'
            cand --escape 'ZMODEM: what to escape, on top of what the receiver asks for (docs/LRZSZ.md)'
            cand --if-exists 'ZMODEM: ask the receiver what to do with a file it already has (lrzsz `rz` follows it; xyzmodem''s receiver decides by its own options)'
            cand --retries 'Errors allowed per block before the transfer is cancelled'
            cand --timeout 'Seconds to wait for the other side to start (receiving: for its first block or file, whatever it sends before), and for room to write when it stops reading'
            cand --idle-timeout 'Seconds a started session may go without progress (new data, a new file, a file''s end) before it fails, however busy the other side keeps the line'
            cand -p 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once'
            cand --port 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once'
            cand -b 'Serial speed in bits per second'
            cand --baud 'Serial speed in bits per second'
            cand --data-bits 'Data bits per character'
            cand --parity 'Parity'
            cand --stop-bits 'Stop bits'
            cand --flow-control 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes'
            cand --init 'Write STRING to the link before the transfer, e.g. ''loady 0x82000000\r''. Escapes: \r \n \t \0 \e \\ \xNN'
            cand --expect 'Wait until the device prints TEXT (same escapes), e.g. ''Ready for binary'', before the transfer starts. What the device sends right after it (its first `C`) is not lost'
            cand --expect-timeout 'Seconds --expect waits for its text before the transfer fails'
            cand --after 'Write STRING (same escapes) after a successful transfer, e.g. ''bootm 0x82000000\r'''
            cand --report 'Write a JSON line per file (and per port) plus a session summary line to FILE; `-` is stdout (only with --port, when stdout is not the link)'
            cand --trace 'Log every byte on the link to FILE: time, direction, decoded view and hex. With several ports, one file per port (FILE with the port name before its extension)'
            cand -X 'Use XMODEM (the default): one file, no name or size'
            cand --xmodem 'Use XMODEM (the default): one file, no name or size'
            cand -Y 'Use YMODEM: a batch of files with name, size, time and mode; YMODEM-G when the receiver asks for it'
            cand --ymodem 'Use YMODEM: a batch of files with name, size, time and mode; YMODEM-G when the receiver asks for it'
            cand -Z 'Use ZMODEM: a batch streamed with error recovery by offset (what `rz` receives). Files must be smaller than 4 GiB (ZMODEM positions are 32 bits; YMODEM has no limit)'
            cand --zmodem 'Use ZMODEM: a batch streamed with error recovery by offset (what `rz` receives). Files must be smaller than 4 GiB (ZMODEM positions are 32 bits; YMODEM has no limit)'
            cand -k 'XMODEM: send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte blocks when that saves padding. (YMODEM uses 1K blocks unless --128.)'
            cand --1k 'XMODEM: send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte blocks when that saves padding. (YMODEM uses 1K blocks unless --128.)'
            cand --128 'YMODEM: send 128-byte blocks (for receivers that only know SOH blocks)'
            cand --full-path 'YMODEM: send each path as given (relative paths only), not just its base name'
            cand --force-device 'Send a character or block device (e.g. /dev/ttyS1, /dev/zero) as it reads, announcing no size. Refused otherwise: its size is unknown and its data may never end'
            cand --escape-controls 'ZMODEM: the same as --escape all'
            cand --resume 'ZMODEM: ask the receiver to resume files it holds in part'
            cand --then-term 'After a successful send (and --after), stay on the port as `xyzmodem term` does, e.g. to watch the board boot; Ctrl-T q leaves'
            cand --telnet 'stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and answered'
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'xyzmodem;recv'= {
            cand -o 'Name for data from an XMODEM sender (which sends no name) when receiving into a directory'
            cand --output 'Name for data from an XMODEM sender (which sends no name) when receiving into a directory'
            cand --escape 'ZMODEM: `all` (or `ssh`) asks the sender to escape every control character (ESCCTL), for links that eat or change them; `telnet` cannot be asked for (the sender chooses)'
            cand --retries 'Errors allowed per block before the transfer is cancelled'
            cand --timeout 'Seconds to wait for the other side to start (receiving: for its first block or file, whatever it sends before), and for room to write when it stops reading'
            cand --idle-timeout 'Seconds a started session may go without progress (new data, a new file, a file''s end) before it fails, however busy the other side keeps the line'
            cand -p 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once'
            cand --port 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once'
            cand -b 'Serial speed in bits per second'
            cand --baud 'Serial speed in bits per second'
            cand --data-bits 'Data bits per character'
            cand --parity 'Parity'
            cand --stop-bits 'Stop bits'
            cand --flow-control 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes'
            cand --init 'Write STRING to the link before the transfer, e.g. ''loady 0x82000000\r''. Escapes: \r \n \t \0 \e \\ \xNN'
            cand --expect 'Wait until the device prints TEXT (same escapes), e.g. ''Ready for binary'', before the transfer starts. What the device sends right after it (its first `C`) is not lost'
            cand --expect-timeout 'Seconds --expect waits for its text before the transfer fails'
            cand --after 'Write STRING (same escapes) after a successful transfer, e.g. ''bootm 0x82000000\r'''
            cand --report 'Write a JSON line per file (and per port) plus a session summary line to FILE; `-` is stdout (only with --port, when stdout is not the link)'
            cand --trace 'Log every byte on the link to FILE: time, direction, decoded view and hex. With several ports, one file per port (FILE with the port name before its extension)'
            cand -X 'Receive with XMODEM only: PATH is the file to write'
            cand --xmodem 'Receive with XMODEM only: PATH is the file to write'
            cand -Y 'Receive with YMODEM (a sender that sends no file header is taken as XMODEM-1K)'
            cand --ymodem 'Receive with YMODEM (a sender that sends no file header is taken as XMODEM-1K)'
            cand -g 'Receive with YMODEM-G (alone or with -Y): ask for streaming (no per-block ACKs). Fast on reliable links; any error ends the transfer, since YMODEM-G cannot retransmit'
            cand --streaming 'Receive with YMODEM-G (alone or with -Y): ask for streaming (no per-block ACKs). Fast on reliable links; any error ends the transfer, since YMODEM-G cannot retransmit'
            cand -Z 'Receive with ZMODEM: start with ZRINIT (as `rz` does), and take an X/YMODEM sender if none answers in 40 s (two thirds of a shorter --timeout). Without a protocol option, ZMODEM senders are detected too'
            cand --zmodem 'Receive with ZMODEM: start with ZRINIT (as `rz` does), and take an X/YMODEM sender if none answers in 40 s (two thirds of a shorter --timeout). Without a protocol option, ZMODEM senders are detected too'
            cand --checksum 'Ask for the 8-bit checksum (start with NAK) instead of CRC-16 (`C`). Without it, the receiver asks for CRC-16 and falls back to checksum after 4 unanswered requests'
            cand --overwrite 'Replace an existing file (only once the new one is complete)'
            cand --rename 'Keep an existing file and store the new one as NAME.1, NAME.2, ...'
            cand --skip-existing 'Receive and discard a file that already exists, and go on with the batch'
            cand --keep-dirs 'YMODEM: keep sub-directories in the sender''s names, confined to the target directory (never `..`, never absolute, never through a symlink)'
            cand --keep-partial 'On failure, keep what arrived as NAME.part instead of deleting it, whatever the protocol. From a ZMODEM sender it is kept without this (--resume continues it)'
            cand --delete-partial 'On failure, delete what arrived, even from a ZMODEM sender (whose partial files are otherwise kept as NAME.part for --resume)'
            cand --resume 'ZMODEM: continue a file kept as NAME.part by an earlier failed receive, from its length (the sender is asked for the rest)'
            cand --escape-controls 'ZMODEM: the same as --escape all'
            cand --strip-padding 'XMODEM: drop trailing 0x1A padding bytes from the last block. XMODEM carries no file length, so this is lossy for data that really ends in 0x1A. (YMODEM sends the length.)'
            cand --telnet 'stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and answered'
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'xyzmodem;term'= {
            cand --download-dir 'Where files that the remote side sends (its `sz`) go: the same names and rules as `recv` into a directory'
            cand --escape-key 'The key that starts a command: a letter for Ctrl and that letter (`a` is Ctrl-A), or `^A` / `C-a`'
            cand --map 'Map CR and LF on their way, for devices that need it: a list of icrnl (in: CR becomes LF), igncr (in: CR dropped), inlcrnl (in: LF becomes CR LF), ocrnl (out: CR, the Enter key, becomes LF), onlcrnl (out: LF becomes CR LF)'
            cand --log 'Append what the session shows to FILE (transfers summarised in a line, not their data); Ctrl-T l stops and starts it'
            cand --retries 'Errors allowed per block before the transfer is cancelled'
            cand --timeout 'Seconds to wait for the other side to start (receiving: for its first block or file, whatever it sends before), and for room to write when it stops reading'
            cand --idle-timeout 'Seconds a started session may go without progress (new data, a new file, a file''s end) before it fails, however busy the other side keeps the line'
            cand -p 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once'
            cand --port 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0, or a serial port on the network: rfc2217://HOST:PORT (telnet with RFC 2217: the serial settings below apply), telnet://HOST:PORT, tcp://HOST:PORT (a raw byte stream; also socket://). send: repeat it, or give a pattern such as ''/dev/ttyUSB*'', to send to several ports at once'
            cand -b 'Serial speed in bits per second'
            cand --baud 'Serial speed in bits per second'
            cand --data-bits 'Data bits per character'
            cand --parity 'Parity'
            cand --stop-bits 'Stop bits'
            cand --flow-control 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes'
            cand --overwrite 'Downloads: replace an existing file (only once the new one is complete)'
            cand --rename 'Downloads: keep an existing file and store the new one as NAME.1, NAME.2, ...'
            cand --local-echo 'Show what is typed (for a device that does not echo it)'
            cand --timestamps 'Start each line shown with the seconds since the terminal started'
            cand --no-reconnect 'When the port goes away (a USB adapter unplugged), end instead of waiting for it to come back'
            cand --no-auto 'Do not start ZMODEM transfers by themselves when the remote side runs `sz` or `rz`'
            cand --telnet 'stdin/stdout is a telnet connection handed to us (a BBS door, socat TCP-LISTEN with EXEC): 0xFF is sent doubled, and telnet commands are taken out of what is read and answered'
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'xyzmodem;completions'= {
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'xyzmodem;install-links'= {
            cand --force 'Replace files and other links that are in the way (never a directory)'
            cand --lsz-names 'Also lrzsz''s l-prefixed names: lsz, lrz, lsx, lrx, lsb, lrb'
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'xyzmodem;manpage'= {
            cand --dir 'Write all the pages into this directory instead'
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'xyzmodem;ports'= {
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'xyzmodem;help'= {
            cand send 'Send files: one by XMODEM (the default), a batch by YMODEM (-Y) or ZMODEM (-Z)'
            cand recv 'Receive files from an XMODEM, YMODEM, YMODEM-G or ZMODEM sender (detected)'
            cand term 'A terminal on a serial port (--port DEV) or on COMMAND run in a new pseudo-terminal (-- COMMAND, e.g. `-- ssh board`), with X/Y/ZMODEM built in: a remote `sz` or `rz` starts the transfer by itself. Ctrl-T ? lists the keys, Ctrl-T q quits'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand install-links 'Link sz, rz, sx, rx, sb, rb, sy and ry in DIR to this program, which then behaves like lrzsz''s programs of those names (see docs/LRZSZ.md)'
            cand manpage 'Print the man page (roff) to stdout, or with --dir write every page (xyzmodem.1, xyzmodem-send.1, ...) into DIR, e.g. ~/.local/share/man/man1'
            cand ports 'List the serial ports, with USB vendor:product ids, serial number and product name where the system provides them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'xyzmodem;help;send'= {
        }
        &'xyzmodem;help;recv'= {
        }
        &'xyzmodem;help;term'= {
        }
        &'xyzmodem;help;completions'= {
        }
        &'xyzmodem;help;install-links'= {
        }
        &'xyzmodem;help;manpage'= {
        }
        &'xyzmodem;help;ports'= {
        }
        &'xyzmodem;help;help'= {
        }
    ]
    $completions[$command]
}
