//! Integration tests for the `xyzmodem` binary.

// Shared helpers: temp dirs, seeded data, child processes with deadlines, XMODEM framing.
mod common;
// The command line: help, usage errors, exit codes, scripted peers on stdin/stdout.
mod cli;
// Transfers against lrzsz (`sx`, `rx`) over pipes and ptys, and against ourselves.
mod interop;
// YMODEM and YMODEM-G batches: lrzsz `sb`/`rb`/`sz`, ourselves, scripted U-Boot and hostile peers.
mod ymodem;
// A terminal as the link: raw mode during the transfer, restored on every exit path.
mod tty;
// Generated files committed to the repository (completions, man page) are up to date.
mod generated;
