//! Serial ports: `xyzmodem ports` lists them, and `--port` values (repeated, or patterns
//! such as `/dev/ttyUSB*`) are expanded into the list of ports a session uses.

use std::io;
use std::path::Path;

use anyhow::Context;
use serialport::{SerialPortInfo, SerialPortType};

use super::exit::UsageError;

/// One line of `xyzmodem ports`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Line {
    name: String,
    kind: &'static str,
    usb: Option<Usb>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Usb {
    vid: u16,
    pid: u16,
    serial: Option<String>,
    manufacturer: Option<String>,
    product: Option<String>,
}

impl From<SerialPortInfo> for Line {
    fn from(p: SerialPortInfo) -> Self {
        let (kind, usb) = match p.port_type {
            SerialPortType::UsbPort(u) => (
                "usb",
                Some(Usb {
                    vid: u.vid,
                    pid: u.pid,
                    serial: u.serial_number,
                    manufacturer: u.manufacturer,
                    product: u.product,
                }),
            ),
            SerialPortType::PciPort => ("pci", None),
            SerialPortType::BluetoothPort => ("bluetooth", None),
            SerialPortType::Unknown => ("other", None),
        };
        Self {
            name: p.port_name,
            kind,
            usb,
        }
    }
}

impl Line {
    /// `/dev/ttyUSB0  usb 0403:6001 serial="A50285BI" product="FT232R USB UART" ...`,
    /// the name padded to `width`.
    fn render(&self, width: usize) -> String {
        let mut s = format!("{:width$}  {}", self.name, self.kind);
        if let Some(u) = &self.usb {
            s.push_str(&format!(" {:04x}:{:04x}", u.vid, u.pid));
            for (key, value) in [
                ("serial", &u.serial),
                ("product", &u.product),
                ("manufacturer", &u.manufacturer),
            ] {
                if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                    s.push_str(&format!(" {key}={v:?}"));
                }
            }
        }
        s
    }
}

/// `xyzmodem ports`: one line per port on stdout, sorted by name; "no serial ports found"
/// on stderr (and exit 0) when there are none.
pub fn list() -> anyhow::Result<()> {
    let mut lines: Vec<Line> = available()?.into_iter().map(Line::from).collect();
    lines.sort_by(|a, b| natural_cmp(&a.name, &b.name));
    if lines.is_empty() {
        eprintln!("xyzmodem: no serial ports found");
        return Ok(());
    }
    let width = lines.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for line in &lines {
        println!("{}", line.render(width));
    }
    Ok(())
}

fn available() -> anyhow::Result<Vec<SerialPortInfo>> {
    // Without libudev, serialport scans /sys/class/tty and panics when it is missing (a
    // container without sysfs): no sysfs, no ports to report.
    if cfg!(target_os = "linux") && !Path::new("/sys/class/tty").is_dir() {
        return Ok(Vec::new());
    }
    serialport::available_ports()
        .map_err(io::Error::from)
        .context("cannot list the serial ports")
}

/// The ports named by `--port` values, in the order given: a value with `*`, `?` or `[` (and
/// no `://`: a network port's URL is taken as it is) is a pattern, expanded in natural name order (`ttyUSB2` before `ttyUSB10`); a pattern matching
/// nothing is an error (exit 4). Duplicates are dropped.
pub fn expand(given: &[String]) -> anyhow::Result<Vec<String>> {
    let mut ports: Vec<String> = Vec::new();
    for value in given {
        // A network port's URL is never a pattern (`[::1]` is an address).
        if value.contains("://") || !value.contains(['*', '?', '[']) {
            if !ports.contains(value) {
                ports.push(value.clone());
            }
            continue;
        }
        let paths = glob::glob(value)
            .map_err(|_| UsageError("not a valid pattern"))
            .with_context(|| format!("--port {value}"))?;
        let mut matched: Vec<String> = paths
            .filter_map(Result::ok)
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if matched.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no serial port matches {value} (are the devices plugged in?)"),
            )
            .into());
        }
        matched.sort_by(|a, b| natural_cmp(a, b));
        for port in matched {
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
    }
    Ok(ports)
}

/// Compare names with their digit runs as numbers: `ttyUSB2` < `ttyUSB10`.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let ord = match (x, y) {
            ((true, x), (true, y)) => {
                let (tx, ty) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if ord.is_ne() {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// The trace file for `port` when several ports run at once: `trace.log` for `/dev/ttyUSB0`
/// is `trace.ttyUSB0.log` (`trace.ttyUSB0` without an extension).
pub fn per_port_path(base: &Path, port: &str) -> std::path::PathBuf {
    let tag: String = Path::new(port)
        .file_name()
        .map_or_else(|| port.to_owned(), |n| n.to_string_lossy().into_owned())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = base
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match base.extension() {
        Some(ext) => format!("{stem}.{tag}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{tag}"),
    };
    base.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_ports_are_taken_as_given() {
        // `[::1]` would be a character class in a pattern.
        let given = [
            "tcp://[::1]:3001".to_owned(),
            "rfc2217://rack1:3002".to_owned(),
        ];
        assert_eq!(expand(&given).unwrap(), given);
    }

    #[test]
    fn natural_order() {
        let mut names = vec!["ttyUSB10", "ttyUSB2", "ttyACM0", "ttyUSB1", "ttyUSB02"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            ["ttyACM0", "ttyUSB1", "ttyUSB02", "ttyUSB2", "ttyUSB10"]
        );
    }

    #[test]
    fn patterns_expand_in_order_without_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["p10", "p2", "p1", "q"] {
            std::fs::write(dir.path().join(n), "").unwrap();
        }
        let d = dir.path().display();
        let got = expand(&[format!("{d}/q"), format!("{d}/p*"), format!("{d}/p1")]).unwrap();
        let want: Vec<String> = ["q", "p1", "p2", "p10"]
            .iter()
            .map(|n| format!("{d}/{n}"))
            .collect();
        assert_eq!(got, want);
        // A plain name is taken as given, existing or not (opening it says what is wrong).
        assert_eq!(expand(&["/dev/nope".into()]).unwrap(), ["/dev/nope"]);
        let e = expand(&[format!("{d}/z*")]).unwrap_err();
        assert!(e.to_string().contains("no serial port matches"), "{e}");
        assert!(e.is::<io::Error>());
        let e = expand(&[format!("{d}/[")]).unwrap_err();
        assert!(e.chain().any(|c| c.is::<UsageError>()), "{e:#}");
    }

    #[test]
    fn rendering() {
        let line = Line {
            name: "/dev/ttyUSB0".into(),
            kind: "usb",
            usb: Some(Usb {
                vid: 0x0403,
                pid: 0x6001,
                serial: Some("A50285BI".into()),
                manufacturer: Some("FTDI".into()),
                product: Some("FT232R USB UART".into()),
            }),
        };
        assert_eq!(
            line.render(14),
            r#"/dev/ttyUSB0    usb 0403:6001 serial="A50285BI" product="FT232R USB UART" manufacturer="FTDI""#
        );
        let plain = Line {
            name: "/dev/ttyS0".into(),
            kind: "pci",
            usb: None,
        };
        assert_eq!(plain.render(10), "/dev/ttyS0  pci");
    }

    #[test]
    fn trace_paths_per_port() {
        assert_eq!(
            per_port_path(Path::new("/tmp/t.log"), "/dev/ttyUSB0"),
            Path::new("/tmp/t.ttyUSB0.log")
        );
        assert_eq!(
            per_port_path(Path::new("trace"), "/dev/serial/by-id/usb-FTDI:x"),
            Path::new("trace.usb-FTDI_x")
        );
    }
}
