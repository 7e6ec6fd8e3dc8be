//! The command-line interface: parse ([`args`]), resolve ([`settings`]), run a session
//! ([`session`], [`parallel`]), map the result to an exit code ([`exit`]). Everything that
//! talks to the user lives here.

mod args;
mod exit;
mod handlers;
mod handshake;
mod hints;
mod lrzsz;
mod parallel;
mod ports;
mod progress;
mod report;
mod session;
mod settings;
mod term;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use args::Cli;
use exit::Code;
use report::Report;
use session::INTERRUPTED;
use settings::{Action, Settings};

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // Invoked as sx, rx, sb, rb, sy or ry: behave like that lrzsz program.
    if let Some(code) = lrzsz::main_if_personality(run) {
        return code;
    }
    // clap prints help/version (exit 0) or a usage error (exit 2) itself.
    let cli = Cli::try_parse().unwrap_or_else(|e| e.exit());
    match act(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let text = hints::render(&e);
            eprintln!(
                "xyzmodem: error: {}",
                xyzmodem::files::names::printable(&text)
            );
            exit::for_anyhow(&e).into()
        }
    }
}

/// Run a parsed command line: resolve it, then act. Errors carry their type for
/// [`exit::for_anyhow`].
pub fn run(cli: &Cli) -> anyhow::Result<()> {
    act(cli).map(|_| ())
}

/// [`run`], with the exit code of a success: 0, or the status of `term`'s program.
fn act(cli: &Cli) -> anyhow::Result<u8> {
    let Settings { verbosity, action } = settings::resolve(cli)?;
    install_signal_handlers().context("cannot install signal handlers")?;
    match action {
        Action::Send(s) => {
            let report = Report::open(s.records.report.as_deref(), s.ports.is_empty())?;
            if s.ports.len() > 1 {
                parallel::send(&s, verbosity, &report)
            } else {
                let mut kept = None;
                let keep = s.then_term.is_some().then_some(&mut kept);
                session::send(&s, verbosity, &report, keep)?;
                // The board goes on (booting what it got): the console stays open.
                match (&s.then_term, kept) {
                    (Some(t), Some(link)) => return term::run_on(t, verbosity, link),
                    _ => Ok(()),
                }
            }
        }
        Action::Recv(r) => session::recv(&r, verbosity),
        Action::Completions(shell) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "xyzmodem", &mut std::io::stdout());
            Ok(())
        }
        Action::InstallLinks {
            dir,
            force,
            lsz_names,
        } => lrzsz::install_links(&dir, force, lsz_names, verbosity),
        Action::Ports => ports::list(),
        // As `generate_to` does, so that the page names no `xyzmodem-help(1)`.
        Action::Manpage(None) => clap_mangen::Man::new(
            <Cli as clap::CommandFactory>::command().disable_help_subcommand(true),
        )
        .render(&mut std::io::stdout())
        .context("writing the man page"),
        Action::Manpage(Some(dir)) => std::fs::create_dir_all(&dir)
            .and_then(|()| clap_mangen::generate_to(<Cli as clap::CommandFactory>::command(), &dir))
            .with_context(|| format!("writing the man pages into {}", dir.display())),
        Action::Term(t) => return term::run(&t, verbosity),
    }
    .map(|()| Code::Success as u8)
}

fn install_signal_handlers() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let all = [SIGINT, SIGTERM, SIGHUP];
    for sig in all {
        signal_hook::flag::register(sig, &INTERRUPTED)?;
    }
    // A second signal while the first is being handled (a cancel to send, a terminal's
    // output to drain) ends the process at once, the terminals' settings put back first.
    // A panic unwinds to the guards that restore the terminals, but the message comes first:
    // put the terminals back before it is printed, so it shows as text.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        xyzmodem::link::restore_terminals();
        previous(info);
    }));
    let mut signals = signal_hook::iterator::Signals::new(all)?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                if session::SIGNALS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
                    xyzmodem::link::restore_terminals();
                    std::process::exit(Code::Interrupted as i32);
                }
            }
        })?;
    Ok(())
}
