//! Progress on stderr: indicatif bars when stderr is a terminal that is not also the link (a
//! bar per file, plus a total for a batch), verbose lines, and notes.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

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
    /// The sending side: a file whose data is all acknowledged waits for the end's ACK.
    sending: bool,
    /// When both bars were last drawn together.
    drawn: Option<Instant>,
    /// The display is hidden (quiet, or stderr is no terminal): progress is not followed.
    hidden: bool,
    /// The terminal's width now ([`stderr_width`]; tests set their own).
    width: fn() -> u16,
    /// The width the bars' styles were chosen for.
    styled_for: u16,
}

/// How often the bars are redrawn on progress (each bar also redraws itself on a steady tick,
/// so a stall still shows its elapsed time).
const REDRAW: Duration = Duration::from_millis(100);

/// A bar's steady tick.
const TICK: Duration = Duration::from_millis(200);

/// What the sender's bar says once all of a file's data is acknowledged.
pub const AWAITING_END: &str = "all data acknowledged; waiting for the receiver to confirm the end";

/// A bar's look for a terminal `width` columns wide: the widest layout whose fixed part fits
/// (at most, each field at its longest: sizes `1023.99 KiB`, rates `1023.99 KiB/s`, times cut
/// to 3 columns such as `59s`, `12h`), and the message in what is left of the line, cut to
/// fit (`{wide_msg}`). A bar never wraps: a wrapped line (the message "waiting for the
/// receiver to confirm the end" on 120 columns) made each redraw leave a stale line behind.
fn style(known_total: bool, width: u16) -> ProgressStyle {
    // (template, the columns its fixed part takes at most)
    const KNOWN: [(&str, u16); 5] = [
        (
            "{prefix:20!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta:3!} {wide_msg}",
            100,
        ),
        (
            "{prefix:16!} [{bar:12}] {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}",
            70,
        ),
        ("{prefix:12!} {percent:>3}% {bytes_per_sec} {wide_msg}", 32),
        ("{prefix:8!} {percent:>3}% {wide_msg}", 14),
        ("{percent:>3}% {wide_msg}", 5),
    ];
    const UNKNOWN: [(&str, u16); 4] = [
        (
            "{spinner} {prefix:20!} {bytes} {bytes_per_sec} {elapsed:3!} {wide_msg}",
            53,
        ),
        ("{spinner} {prefix:12!} {bytes} {wide_msg}", 27),
        ("{spinner} {bytes} {wide_msg}", 14),
        ("{spinner} {wide_msg}", 2),
    ];
    let layouts: &[(&str, u16)] = if known_total { &KNOWN } else { &UNKNOWN };
    let template = layouts
        .iter()
        .find(|&&(_, fixed)| fixed <= width)
        .map_or("{wide_msg}", |&(template, _)| template);
    ProgressStyle::with_template(template)
        .expect("valid template")
        .progress_chars("=> ")
}

/// The width of the terminal on stderr; 80 when it does not say.
fn stderr_width() -> u16 {
    rustix::termios::tcgetwinsize(rustix::stdio::stderr())
        .ok()
        .map(|w| w.ws_col)
        .filter(|&w| w > 0)
        .unwrap_or(80)
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
        Self::measured(
            multi,
            verbosity,
            stderr_is_link,
            batch_total,
            tag,
            stderr_width,
        )
    }

    /// [`in_display`](Self::in_display) on a terminal whose width `width` tells.
    fn measured(
        multi: &MultiProgress,
        verbosity: Verbosity,
        stderr_is_link: bool,
        batch_total: Option<u64>,
        tag: String,
        width: fn() -> u16,
    ) -> Self {
        let columns = width();
        let total = batch_total.map(|n| total_bar(multi, n, &tag, columns));
        Self {
            hidden: multi.is_hidden(),
            multi: multi.clone(),
            file: None,
            total,
            verbosity,
            silent_during: stderr_is_link,
            retries: 0,
            done: 0,
            tag,
            sending: false,
            drawn: None,
            width,
            styled_for: columns,
        }
    }

    /// This reporter shows a sending session (it says when the data is all acknowledged and
    /// the end is awaited).
    pub fn sending(mut self) -> Self {
        self.sending = true;
        self
    }

    /// Draw both bars from their current state: at most every [`REDRAW`], unless `now_too`.
    /// Each bar drawing itself on its own schedule (indicatif's rate limit shared by the
    /// bars) left one showing a stale state: a file bar stuck at `0 B` while the total moved,
    /// a total short of its end.
    fn redraw(&mut self, now_too: bool) {
        let now = Instant::now();
        if !now_too && self.drawn.is_some_and(|t| now.duration_since(t) < REDRAW) {
            return;
        }
        self.drawn = Some(now);
        let width = (self.width)();
        if width != self.styled_for {
            self.styled_for = width;
            for bar in self.file.iter().chain(&self.total) {
                bar.set_style(style(bar.length().is_some(), width));
            }
        }
        for bar in self.file.iter().chain(&self.total) {
            bar.force_draw();
        }
    }

    /// Add a total bar once the batch size is known (a receiver learns it from the first
    /// YMODEM header), unless there is one already.
    pub fn set_batch_total(&mut self, total: u64) {
        if self.total.is_none() {
            let bar = total_bar(&self.multi, total, &self.tag, self.styled_for);
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
        bar.set_style(style(size.is_some(), self.styled_for));
        bar.set_prefix(format!("{}{}", self.tag, printable(label)));
        bar.enable_steady_tick(TICK);
        self.file = Some(bar);
        self.redraw(true);
    }

    /// Its notes start with a port's name (several ports run at once).
    pub fn tagged(&self) -> bool {
        !self.tag.is_empty()
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
            Event::Started {
                protocol, check, ..
            } => {
                self.verbose_line(&format!("started: {protocol} with {check}"));
            }
            // Nothing is drawn: a fast link has an event per 1 KiB subpacket, and updating
            // bars no one sees read the clock three times for each (a few percent of the CPU
            // of a 100 MiB ZMODEM transfer over a pipe pair).
            Event::Progress { .. } if self.hidden => {}
            Event::Progress { bytes, .. } => {
                let mut complete = false;
                if let Some(bar) = &self.file {
                    bar.set_position(*bytes);
                    complete = bar.length().is_some_and(|len| *bytes >= len);
                    if complete && self.sending {
                        bar.set_message(AWAITING_END);
                    }
                }
                if let Some(total) = &self.total {
                    total.set_position(self.done + bytes);
                }
                self.redraw(complete);
            }
            Event::FileEnd { bytes } => {
                self.done += bytes;
                if let Some(total) = &self.total {
                    total.set_position(self.done);
                }
                if let Some(bar) = self.file.take() {
                    bar.finish_and_clear();
                }
                self.redraw(true);
            }
            Event::Retry { reason, attempt } => {
                self.retries += 1;
                let retries = format!("retries: {}", self.retries);
                for bar in self.file.iter().chain(&self.total) {
                    let awaiting = bar.message().starts_with(AWAITING_END);
                    bar.set_message(if awaiting {
                        format!("{AWAITING_END}; {retries}")
                    } else {
                        retries.clone()
                    });
                }
                self.redraw(false);
                self.verbose_line(&format!("retry {attempt}: {reason}"));
            }
            Event::FileSkipped => {
                if let Some(bar) = self.file.take() {
                    bar.finish_and_clear();
                }
                self.note("the receiver skipped the file");
            }
            Event::Note(text) => self.note(text),
            // The session prints the warning once the terminal is free.
            Event::EndUnconfirmed { .. } | Event::Finished | Event::Failed(_) => {}
        }
    }

    /// The bars as they are now (tests).
    #[cfg(test)]
    fn bars(&self) -> (Option<&ProgressBar>, Option<&ProgressBar>) {
        (self.file.as_ref(), self.total.as_ref())
    }

    /// Remove the bars.
    pub fn finish(&self) {
        for bar in self.file.iter().chain(&self.total) {
            bar.finish_and_clear();
        }
    }
}

/// The total bar of a batch of `n` bytes.
fn total_bar(multi: &MultiProgress, n: u64, tag: &str, width: u16) -> ProgressBar {
    let bar = multi.add(ProgressBar::new(n));
    bar.set_style(style(true, width));
    bar.set_prefix(format!("{tag}total"));
    bar.enable_steady_tick(TICK);
    bar
}

/// "1.5 MiB" style sizes for summary lines.
pub fn human_bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::TermLike;
    use std::sync::{Arc, Mutex};

    /// A terminal that keeps every line drawn.
    #[derive(Debug, Clone)]
    struct Screen(Arc<Mutex<Vec<String>>>, u16);

    impl Default for Screen {
        fn default() -> Self {
            Self(Arc::default(), 200)
        }
    }

    impl Screen {
        /// The last line drawn that starts with `prefix`.
        fn last(&self, prefix: &str) -> String {
            let lines = self.0.lock().unwrap();
            lines
                .iter()
                .rev()
                .find(|l| l.starts_with(prefix))
                .cloned()
                .unwrap_or_else(|| panic!("no line for {prefix:?} in {lines:#?}"))
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            self.1
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            let mut lines = self.0.lock().unwrap();
            lines.extend(s.lines().map(|l| l.trim_end().to_owned()));
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn progress(screen: &Screen, batch: u64) -> Progress {
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(screen.clone()), 20);
        let multi = MultiProgress::with_draw_target(target);
        Progress::measured(
            &multi,
            Verbosity::Normal,
            false,
            Some(batch),
            String::new(),
            || 200,
        )
        .sending()
    }

    /// The width [`bars_fit_any_width`] draws at.
    static WIDTH: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);

    /// At every width from 1 to 200 columns, with every field at its longest (a long name, a
    /// size over 1000 GiB, a rate in PiB/s, the sender's waiting message and retries), no
    /// line drawn is wider than the terminal, for a bar of known size and one without. At 120
    /// columns "waiting for the receiver to confirm the end" used to wrap.
    #[test]
    fn bars_fit_any_width() {
        use std::sync::atomic::Ordering;
        const BIG: u64 = (1 << 40) - 1;
        // 120 first: the width the wrap was seen at.
        for width in std::iter::once(120).chain(1..=200u16) {
            WIDTH.store(width, Ordering::Relaxed);
            let screen = Screen(Arc::default(), width);
            let target = ProgressDrawTarget::term_like_with_hz(Box::new(screen.clone()), 20);
            let multi = MultiProgress::with_draw_target(target);
            let mut p = Progress::measured(
                &multi,
                Verbosity::Normal,
                false,
                Some(2 * BIG),
                "ttyUSB0: ".to_owned(),
                || WIDTH.load(Ordering::Relaxed),
            )
            .sending();
            p.file_start("a-file-name-longer-than-any-label.bin", Some(BIG));
            p.event(&block(BIG - 1));
            p.event(&block(BIG));
            p.event(&Event::Retry {
                reason: xyzmodem::proto::RetryReason::Timeout,
                attempt: 1,
            });
            p.event(&Event::FileEnd { bytes: BIG });
            p.file_start("no-size-known-for-this-one.bin", None);
            p.event(&block(BIG));
            p.redraw(true);
            p.finish();
            let lines = screen.0.lock().unwrap().clone();
            assert!(lines.iter().any(|l| l.contains('%') || l.contains("B")) || width < 6);
            for line in lines.iter() {
                assert!(
                    line.chars().count() <= usize::from(width),
                    "{width} columns: {} in {line:?}",
                    line.chars().count()
                );
            }
            if width == 120 {
                let awaiting = lines.iter().find(|l| l.contains("all data acknowledged"));
                assert!(awaiting.is_some(), "{lines:#?}");
            }
        }
    }

    fn block(bytes: u64) -> Event {
        Event::Progress { bytes, frame: 1024 }
    }

    /// Issue 9, item 13: on a fast link the file bar stayed at `0 B/292.97 KiB` while the
    /// total moved, the total stopped short of its end, and a sender whose data was all
    /// acknowledged showed 100 % without saying it waits for the last ACK. What is drawn now
    /// follows the events, whatever their rate.
    #[test]
    fn bars_show_the_state_of_the_events_at_any_rate() {
        let screen = Screen::default();
        let mut p = progress(&screen, 400 * 1024);
        p.file_start("a.bin", Some(300 * 1024));
        for k in 1..=300 {
            p.event(&block(k * 1024));
        }
        let a = screen.last("a.bin");
        assert!(a.contains("300.00 KiB/300.00 KiB"), "{a}");
        assert!(a.contains(AWAITING_END), "{a}");
        let total = screen.last("total");
        assert!(total.contains("300.00 KiB/400.00 KiB"), "{total}");
        p.event(&Event::Retry {
            reason: xyzmodem::proto::RetryReason::Timeout,
            attempt: 1,
        });
        p.event(&Event::FileEnd { bytes: 300 * 1024 });
        p.file_start("b.bin", Some(100 * 1024));
        for k in 1..=99 {
            p.event(&block(k * 1024));
        }
        // The last block is short: 1024 - 100 bytes of it are padding the sender never counts.
        p.event(&block(100 * 1024 - 100));
        p.event(&Event::FileEnd {
            bytes: 100 * 1024 - 100,
        });
        let total = screen.last("total");
        assert!(total.contains("399.90 KiB/400.00 KiB"), "{total}");
        let (file, bar) = p.bars();
        assert!(file.is_none());
        assert_eq!(bar.map(ProgressBar::position), Some(400 * 1024 - 100));
    }
}
