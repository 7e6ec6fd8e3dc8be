
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
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send a file')
            [CompletionResult]::new('recv', 'recv', [CompletionResultType]::ParameterValue, 'Receive a file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('manpage', 'manpage', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'xyzmodem;send' {
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Errors allowed per block before the transfer is cancelled')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the other side to start')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--baud', '--baud', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--data-bits', '--data-bits', [CompletionResultType]::ParameterName, 'Data bits per character')
            [CompletionResult]::new('--parity', '--parity', [CompletionResultType]::ParameterName, 'Parity')
            [CompletionResult]::new('--stop-bits', '--stop-bits', [CompletionResultType]::ParameterName, 'Stop bits')
            [CompletionResult]::new('--flow-control', '--flow-control', [CompletionResultType]::ParameterName, 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte blocks when that saves padding')
            [CompletionResult]::new('--1k', '--1k', [CompletionResultType]::ParameterName, 'Send 1024-byte blocks (XMODEM-1K). The tail of the file goes in 128-byte blocks when that saves padding')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'Use XMODEM (the default, and for now the only protocol)')
            [CompletionResult]::new('--xmodem', '--xmodem', [CompletionResultType]::ParameterName, 'Use XMODEM (the default, and for now the only protocol)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'xyzmodem;recv' {
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Errors allowed per block before the transfer is cancelled')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the other side to start')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Serial device to use instead of stdin/stdout, e.g. /dev/ttyUSB0')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--baud', '--baud', [CompletionResultType]::ParameterName, 'Serial speed in bits per second')
            [CompletionResult]::new('--data-bits', '--data-bits', [CompletionResultType]::ParameterName, 'Data bits per character')
            [CompletionResult]::new('--parity', '--parity', [CompletionResultType]::ParameterName, 'Parity')
            [CompletionResult]::new('--stop-bits', '--stop-bits', [CompletionResultType]::ParameterName, 'Stop bits')
            [CompletionResult]::new('--flow-control', '--flow-control', [CompletionResultType]::ParameterName, 'Flow control. X/YMODEM need an 8-bit clean line: prefer hardware (RTS/CTS) or none; software (XON/XOFF) eats 0x11/0x13 data bytes')
            [CompletionResult]::new('--checksum', '--checksum', [CompletionResultType]::ParameterName, 'Ask for the 8-bit checksum (start with NAK) instead of CRC-16 (`C`). Without it, the receiver asks for CRC-16 and falls back to checksum after 4 unanswered requests')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace the output file if it exists (only once the transfer is complete)')
            [CompletionResult]::new('--keep-partial', '--keep-partial', [CompletionResultType]::ParameterName, 'On failure, keep what arrived as FILE.part instead of deleting it')
            [CompletionResult]::new('--strip-padding', '--strip-padding', [CompletionResultType]::ParameterName, 'Drop trailing 0x1A padding bytes from the last block. XMODEM carries no file length, so this is lossy for data that really ends in 0x1A')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'Use XMODEM (the default, and for now the only protocol)')
            [CompletionResult]::new('--xmodem', '--xmodem', [CompletionResultType]::ParameterName, 'Use XMODEM (the default, and for now the only protocol)')
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
        'xyzmodem;manpage' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (no progress bar, no summary)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: retries, handshake details. Repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'xyzmodem;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send a file')
            [CompletionResult]::new('recv', 'recv', [CompletionResultType]::ParameterValue, 'Receive a file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('manpage', 'manpage', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'xyzmodem;help;send' {
            break
        }
        'xyzmodem;help;recv' {
            break
        }
        'xyzmodem;help;completions' {
            break
        }
        'xyzmodem;help;manpage' {
            break
        }
        'xyzmodem;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
