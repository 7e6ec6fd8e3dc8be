//! Sending the same files to several ports at once: `send --port A --port B ...` or a
//! pattern such as `--port '/dev/ttyUSB*'`.
//!
//! Each port gets its own thread, with its own link, engine, file sources, handshake and
//! trace; the bars share one display. A line per port says how it went, in port order. The
//! exit code is 0 if every port succeeded, else the code of the first failed port in port
//! order. Ctrl-C (the shared interrupt flag) cancels every port.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::thread;

use xyzmodem::driver::Summary;
use xyzmodem::files::Source;

use super::ports;
use super::progress::{Progress, Verbosity, display_name};
use super::report::{Recorder, Report};
use super::session;
use super::settings::SendSettings;

/// Send `a.files` to every port in `a.ports` concurrently.
pub fn send(a: &SendSettings, verbosity: Verbosity, report: &Report) -> anyhow::Result<()> {
    let ports = &a.ports;
    // The files once, before any port: a missing file fails once, and at once.
    for f in &a.files {
        Source::open_with(f, a.force_device)?;
    }
    let traces = trace_paths(a.records.trace.as_deref(), ports);
    let display = Progress::display(verbosity, false);
    let outcomes: Vec<(anyhow::Result<Summary>, Recorder)> = thread::scope(|s| {
        let handles: Vec<_> = ports
            .iter()
            .zip(&traces)
            .map(|(port, trace)| {
                let display = &display;
                s.spawn(move || {
                    let mut rec = Recorder::send(Some(port), &a.files);
                    let result = session::send_port(
                        a,
                        Some(port),
                        trace.as_deref(),
                        Some(display),
                        verbosity,
                        &mut rec,
                        None,
                    );
                    rec.finish(result.as_ref().err());
                    report.files(&rec);
                    (result, rec)
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(ports)
            .map(|(handle, port)| {
                handle.join().unwrap_or_else(|_| {
                    let mut rec = Recorder::send(Some(port), &a.files);
                    let e = anyhow::anyhow!("internal error: the session panicked");
                    rec.finish(Some(&e));
                    report.files(&rec);
                    (Err(e), rec)
                })
            })
            .collect()
    });
    display.clear().ok();

    let mut first_error: Option<anyhow::Error> = None;
    let mut failed = 0;
    let mut recs = Vec::with_capacity(ports.len());
    for (port, (result, rec)) in ports.iter().zip(outcomes) {
        match result {
            Ok(summary) => {
                if verbosity != Verbosity::Quiet {
                    eprintln!(
                        "xyzmodem: {port}: ok ({} bytes, {:.2} s)",
                        summary.bytes,
                        rec.elapsed().as_secs_f64()
                    );
                }
                if verbosity != Verbosity::Quiet
                    && let Some(warning) = session::unconfirmed_warning(&summary)
                {
                    eprintln!("xyzmodem: {port}: warning: {warning}");
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!(
                    "xyzmodem: {port}: failed: {}",
                    xyzmodem::files::names::printable(&super::hints::with_hint(
                        without_port(&e, port),
                        &e
                    ))
                );
                if first_error.is_none() {
                    first_error = Some(naming_port(e, port));
                }
            }
        }
        recs.push(rec);
    }
    let error = first_error.map(|e| {
        e.context(format!(
            "{failed} of {} ports failed; the first in port order",
            ports.len()
        ))
    });
    let recs: Vec<&Recorder> = recs.iter().collect();
    let reported = report.session("send", &recs, error.as_ref());
    match error {
        Some(e) => Err(e),
        None => reported,
    }
}

/// The text of `e` (as `{e:#}` shows it) for a line that already names `port`: a message that
/// starts with the port's name (a link's errors do: `/dev/ttyUSB0: the device did not
/// print ...`) loses that start.
fn without_port(e: &anyhow::Error, port: &str) -> String {
    let prefix = format!("{port}: ");
    let parts: Vec<String> = e
        .chain()
        .map(|cause| {
            let text = cause.to_string();
            match text.strip_prefix(&prefix) {
                Some(rest) => rest.to_owned(),
                None => text,
            }
        })
        .collect();
    parts.join(": ")
}

/// `e`, named by `port` once: as it is when one of its messages already starts with the
/// port's name, else with the name as context.
fn naming_port(e: anyhow::Error, port: &str) -> anyhow::Error {
    let prefix = format!("{port}: ");
    if e.chain()
        .any(|cause| cause.to_string().starts_with(&prefix))
    {
        e
    } else {
        e.context(port.to_owned())
    }
}

/// One trace file per port: `t.log` becomes `t.ttyUSB0.log`, ... (with the port's position
/// too, `t.1-pty.log`, when two ports share a name).
fn trace_paths(base: Option<&Path>, ports: &[String]) -> Vec<Option<PathBuf>> {
    let Some(base) = base else {
        return vec![None; ports.len()];
    };
    let paths: Vec<PathBuf> = ports
        .iter()
        .map(|p| ports::per_port_path(base, p))
        .collect();
    if paths.iter().collect::<HashSet<_>>().len() == paths.len() {
        return paths.into_iter().map(Some).collect();
    }
    ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let tag = format!("{}-{}", i + 1, display_name(Path::new(p)));
            Some(ports::per_port_path(base, &tag))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_file_per_port() {
        let ports = ["/dev/ttyUSB0".to_owned(), "/dev/ttyUSB1".to_owned()];
        assert_eq!(
            trace_paths(Some(Path::new("/t/x.log")), &ports),
            [
                Some(PathBuf::from("/t/x.ttyUSB0.log")),
                Some(PathBuf::from("/t/x.ttyUSB1.log"))
            ]
        );
        let same = ["/a/pty".to_owned(), "/b/pty".to_owned()];
        assert_eq!(
            trace_paths(Some(Path::new("x.log")), &same),
            [
                Some(PathBuf::from("x.1-pty.log")),
                Some(PathBuf::from("x.2-pty.log"))
            ]
        );
        assert_eq!(trace_paths(None, &same), [None, None]);
    }

    /// A port's error that names the port itself is shown with the name once.
    #[test]
    fn the_port_is_named_once() {
        let port = "/dev/ttyP2";
        let own = anyhow::anyhow!("{port}: the device did not print \"Ready\"");
        assert_eq!(
            without_port(&own, port),
            "the device did not print \"Ready\""
        );
        assert_eq!(
            format!("{:#}", naming_port(own, port)),
            "/dev/ttyP2: the device did not print \"Ready\""
        );
        let deep = anyhow::anyhow!("{port}: the link was closed").context("sending f.bin");
        assert_eq!(
            without_port(&deep, port),
            "sending f.bin: the link was closed"
        );
        assert_eq!(
            format!("{:#}", naming_port(deep, port)),
            "sending f.bin: /dev/ttyP2: the link was closed"
        );
        let other = anyhow::anyhow!("cancelled by peer").context("sending f.bin");
        assert_eq!(
            format!("{:#}", naming_port(other, port)),
            "/dev/ttyP2: sending f.bin: cancelled by peer"
        );
    }
}
