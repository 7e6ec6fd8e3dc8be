//! Progress on stderr: indicatif bars when stderr is a terminal that is not also the link (a
//! bar per file, plus a total for a batch), verbose lines, and notes.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use xyzmodem::files::names::{printable, printable_path};
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

/// A path's last component, for labels and summaries, fit for a terminal
/// ([`names::printable`]).
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| printable_path(path), |n| printable_path(Path::new(n)))
}

/// The label of a port's bars and notes when several run at once: `"ttyUSB0: "`.
pub fn tag(port: Option<&str>) -> String {
    port.map(|p| format!("{}: ", display_name(Path::new(p))))
        .unwrap_or_default()
}

/// Reports a session's progress.
#[derive(Debug)]
pub struct Progress {
    multi: MultiProgress,
    file: Option<ProgressBar>,
    total: Option<ProgressBar>,
    verbosity: Verbosity,
    /// stderr is the same terminal as the link: print nothing during the transfer, or it
    /// would land in the protocol stream.
    silent_during: bool,
    retries: u32,
    /// Bytes of the files already completed, for the total bar.
    done: u64,
    /// Prefix of bar labels and notes: `"ttyUSB0: "` when several ports run at once.
    tag: String,
}

fn style(known_total: bool) -> ProgressStyle {
    let template = if known_total {
        "{prefix:20!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}"
    } else {
        "{spinner} {prefix:20!} {bytes} {bytes_per_sec} {elapsed} {msg}"
    };
    ProgressStyle::with_template(template)
        .expect("valid template")
        .progress_chars("=> ")
}

impl Progress {
    /// A reporter; `batch_total` adds a total bar for a batch of known size.
    pub fn new(verbosity: Verbosity, stderr_is_link: bool, batch_total: Option<u64>) -> Self {
        let multi = Self::display(verbosity, stderr_is_link);
        Self::in_display(
            &multi,
            verbosity,
            stderr_is_link,
            batch_total,
            String::new(),
        )
    }

    /// Where bars go: stderr when it is a terminal that is not the link, else nowhere.
    pub fn display(verbosity: Verbosity, stderr_is_link: bool) -> MultiProgress {
        let visible =
            verbosity != Verbosity::Quiet && !stderr_is_link && std::io::stderr().is_terminal();
        MultiProgress::with_draw_target(if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        })
    }

    /// A reporter drawing into `multi`, which other sessions (ports) may share; its bars and
    /// notes start with `tag`.
    pub fn in_display(
        multi: &MultiProgress,
        verbosity: Verbosity,
        stderr_is_link: bool,
        batch_total: Option<u64>,
        tag: String,
    ) -> Self {
        let total = batch_total.map(|n| {
            let bar = multi.add(ProgressBar::new(n));
            bar.set_style(style(true));
            bar.set_prefix(format!("{tag}total"));
            bar
        });
        Self {
            multi: multi.clone(),
            file: None,
            total,
            verbosity,
            silent_during: stderr_is_link,
            retries: 0,
            done: 0,
            tag,
        }
    }

    /// Add a total bar once the batch size is known (a receiver learns it from the first
    /// YMODEM header), unless there is one already.
    pub fn set_batch_total(&mut self, total: u64) {
        if self.total.is_none() {
            let bar = self.multi.add(ProgressBar::new(total));
            bar.set_style(style(true));
            bar.set_prefix(format!("{}total", self.tag));
            bar.set_position(self.done);
            self.total = Some(bar);
        }
    }

    /// A new file begins: a fresh bar labelled `label`, of `size` bytes if known.
    pub fn file_start(&mut self, label: &str, size: Option<u64>) {
        if let Some(old) = self.file.take() {
            old.finish_and_clear();
        }
        let bar = ProgressBar::with_draw_target(size, ProgressDrawTarget::hidden());
        let bar = match &self.total {
            Some(t) => self.multi.insert_before(t, bar),
            None => self.multi.add(bar),
        };
        bar.set_style(style(size.is_some()));
        bar.set_prefix(format!("{}{}", self.tag, printable(label)));
        bar.enable_steady_tick(Duration::from_millis(200));
        self.file = Some(bar);
    }

    /// Print a note above the bars, unless quiet (or stderr is the link). Characters unsafe
    /// on a terminal (a peer's name may hold them) are escaped.
    pub fn note(&self, line: &str) {
        if self.verbosity != Verbosity::Quiet && !self.silent_during {
            let line = printable(line);
            self.multi
                .suspend(|| eprintln!("xyzmodem: {}{line}", self.tag));
        }
    }

    fn verbose_line(&self, line: &str) {
        if self.verbosity == Verbosity::Verbose {
            self.note(line);
        }
    }

    /// Show an engine event.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::Started { protocol, check } => {
                self.verbose_line(&format!("started: {protocol} with {check}"));
            }
            Event::Progress { bytes, .. } => {
                if let Some(bar) = &self.file {
                    bar.set_position(*bytes);
                }
                if let Some(total) = &self.total {
                    total.set_position(self.done + bytes);
                }
            }
            Event::FileEnd { bytes } => {
                self.done += bytes;
                if let Some(bar) = self.file.take() {
                    bar.finish_and_clear();
                }
            }
            Event::Retry { reason, attempt } => {
                self.retries += 1;
                for bar in self.file.iter().chain(&self.total) {
                    bar.set_message(format!("retries: {}", self.retries));
                }
                self.verbose_line(&format!("retry {attempt}: {reason}"));
            }
            Event::FileStart(_) | Event::Finished | Event::Failed(_) => {}
        }
    }

    /// Remove the bars.
    pub fn finish(&self) {
        for bar in self.file.iter().chain(&self.total) {
            bar.finish_and_clear();
        }
    }
}

/// "1.5 MiB" style sizes for summary lines.
pub fn human_bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}
