
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
            cand send 'Send a file'
            cand recv 'Receive a file'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand manpage 'Print the man page (roff) to stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'xyzmodem;send'= {
            cand --retries 'Errors allowed per block before the transfer is cancelled'
            cand --timeout 'Seconds to wait for the other side to start'
            cand -p 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0'
            cand --port 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0'
            cand -b 'Serial speed in bits per second'
            cand --baud 'Serial speed in bits per second'
            cand --data-bits 'Data bits per character'
            cand --parity 'Parity'
            cand --stop-bits 'Stop bits'
            cand --flow-control 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes'
            cand -k 'Send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte blocks when that saves padding'
            cand --1k 'Send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte blocks when that saves padding'
            cand -X 'Use XMODEM (the default, and for now the only protocol)'
            cand --xmodem 'Use XMODEM (the default, and for now the only protocol)'
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'xyzmodem;recv'= {
            cand --retries 'Errors allowed per block before the transfer is cancelled'
            cand --timeout 'Seconds to wait for the other side to start'
            cand -p 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0'
            cand --port 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0'
            cand -b 'Serial speed in bits per second'
            cand --baud 'Serial speed in bits per second'
            cand --data-bits 'Data bits per character'
            cand --parity 'Parity'
            cand --stop-bits 'Stop bits'
            cand --flow-control 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes'
            cand --checksum 'Ask for the 8-bit checksum (start with NAK) instead of CRC-16 (`C`). Without it, the receiver asks for CRC-16 and falls back to checksum after 4 unanswered requests'
            cand --overwrite 'Replace the output file if it exists (only once the transfer is complete)'
            cand --keep-partial 'On failure, keep what arrived as FILE.part instead of deleting it'
            cand --strip-padding 'Drop trailing 0x1A padding bytes from the last block. XMODEM carries no file length, so this is lossy for data that really ends in 0x1A'
            cand -X 'Use XMODEM (the default, and for now the only protocol)'
            cand --xmodem 'Use XMODEM (the default, and for now the only protocol)'
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
        &'xyzmodem;manpage'= {
            cand -q 'Print nothing but errors (no progress bar, no summary)'
            cand --quiet 'Print nothing but errors (no progress bar, no summary)'
            cand -v 'Say more: retries, handshake details. Repeat for more'
            cand --verbose 'Say more: retries, handshake details. Repeat for more'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'xyzmodem;help'= {
            cand send 'Send a file'
            cand recv 'Receive a file'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand manpage 'Print the man page (roff) to stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'xyzmodem;help;send'= {
        }
        &'xyzmodem;help;recv'= {
        }
        &'xyzmodem;help;completions'= {
        }
        &'xyzmodem;help;manpage'= {
        }
        &'xyzmodem;help;help'= {
        }
    ]
    $completions[$command]
}
