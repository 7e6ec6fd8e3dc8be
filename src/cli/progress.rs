//! Progress on stderr: an indicatif bar when stderr is a terminal that is
//! not also the link, plus verbose lines and the final summary.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use xyzmodem::proto::Event;

/// How chatty to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Progress bar and summary.
    Normal,
    /// Also retries and handshake details.
    Verbose,
}

/// Reports one transfer's progress.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    verbosity: Verbosity,
    /// stderr is the same terminal as the link: print nothing during the
    /// transfer, or it would land in the protocol stream.
    silent_during: bool,
    retries: u32,
}

impl Progress {
    /// A bar for `label` (e.g. "sending foo.bin"), with `total` bytes if known.
    pub fn new(
        label: &str,
        total: Option<u64>,
        verbosity: Verbosity,
        stderr_is_link: bool,
    ) -> Self {
        let visible =
            verbosity != Verbosity::Quiet && !stderr_is_link && std::io::stderr().is_terminal();
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), target(visible)),
            None => ProgressBar::with_draw_target(None, target(visible)),
        };
        let template = if total.is_some() {
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}"
        } else {
            "{spinner} {prefix} {bytes} {bytes_per_sec} {elapsed} {msg}"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        Self {
            bar,
            verbosity,
            silent_during: stderr_is_link,
            retries: 0,
        }
    }

    /// Print a line above the bar (only with --verbose).
    fn verbose_line(&self, line: String) {
        if self.verbosity == Verbosity::Verbose && !self.silent_during {
            self.bar.suspend(|| eprintln!("xyzmodem: {line}"));
        }
    }

    /// Show an engine event.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::Started { check } => self.verbose_line(format!("started, using {check}")),
            Event::Progress { bytes, .. } => self.bar.set_position(*bytes),
            Event::Retry { reason, attempt } => {
                self.retries += 1;
                self.bar.set_message(format!("retries: {}", self.retries));
                self.verbose_line(format!("retry {attempt}: {reason}"));
            }
            Event::Finished | Event::Failed(_) => {}
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn target(visible: bool) -> ProgressDrawTarget {
    if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// "1.5 MiB" style sizes for the summary line.
pub fn human_bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}
