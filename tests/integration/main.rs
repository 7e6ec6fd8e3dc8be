//! Integration tests for the `xyzmodem` binary.

// Shared helpers: temp dirs, seeded data, child processes with deadlines, XMODEM framing.
mod common;
// The command line: help, usage errors, exit codes, scripted peers on stdin/stdout.
mod cli;
// Transfers against lrzsz (`sx`, `rx`) over pipes and ptys, and against ourselves.
mod interop;
// YMODEM and YMODEM-G batches: lrzsz `sb`/`rb`/`sz`, ourselves, scripted U-Boot and hostile peers.
mod ymodem;
// ZMODEM: lrzsz `sz`/`rz` both ways, faulty and cut lines, ptys, scripted peers, refusals.
mod zmodem;
// A terminal as the link: raw mode during the transfer, restored on every exit path.
mod tty;
// lrzsz personalities: install-links, sx/rx/sb/rb links against lrzsz, lrzsz's exit codes.
mod lrzsz;
// sz/rz links against lrzsz rz/sz: escape profiles with every byte value, the command lines
// terminal programs run, lrzsz's exit codes; a terminal program's ZMODEM trigger (GNU screen).
mod szrz;
// Generated files committed to the repository (completions, man page) are up to date.
mod generated;
// Around the transfer: ports, U-Boot handshake, parallel sends to several ptys, reports, traces.
mod ecosystem;
// Serial ports on the network: a real ser2net (rfc2217://, tcp://, telnet://) in front of ptys
// with lrzsz, telnet on stdin/stdout, a scripted telnet peer, network errors.
mod network;
// The fuzz target bodies (src/fuzzing/) as bounded proptest cases.
mod fuzz_bodies;
// Bounded waits: a receiver that stops reading, a last ACK that never comes (issue 9).
mod hangs;
// How a session ends when the other side ends it, hangs up, goes silent or moves nothing on;
// exit 3 for every cancel by the other side; the summary after a skipped file (issue 17).
mod endings;
// The source layout: files short enough to do one job, no import circle between modules.
mod layout;
// Seeded fault-injection properties and clean-line efficiency on the link simulator.
mod sim;
// What a receive leaves on disk and says: modes, partial files, batches into a file name,
// data beyond the announced size, resumed summaries, report records.
mod receive_files;
// `term` typed in a tmux pane: pass-through both ways, keys, window size, exit status.
mod term;
