//! Which lrzsz program the binary is, from the name it was called by (`argv[0]`).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Which way the files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Send,
    Recv,
}

/// The protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Proto {
    Xmodem,
    Ymodem,
    Zmodem,
}

/// One lrzsz program the binary can stand in for.
#[derive(Debug)]
pub(super) struct Program {
    /// The name, without lrzsz's `v` and `l` prefixes.
    pub(super) name: &'static str,
    pub(super) side: Side,
    pub(super) proto: Proto,
    /// `install-links --lsz-names` also makes the `l` name (`lsx`).
    pub(super) lsz_name: bool,
}

const fn program(name: &'static str, side: Side, proto: Proto, lsz_name: bool) -> Program {
    Program {
        name,
        side,
        proto,
        lsz_name,
    }
}

/// The programs, in the order `install-links` makes their links. The option table of each is
/// chosen by its side (`options::table`).
pub(super) const PROGRAMS: &[Program] = &[
    program("sz", Side::Send, Proto::Zmodem, true),
    program("rz", Side::Recv, Proto::Zmodem, true),
    program("sx", Side::Send, Proto::Xmodem, true),
    program("rx", Side::Recv, Proto::Xmodem, true),
    program("sb", Side::Send, Proto::Ymodem, true),
    program("rb", Side::Recv, Proto::Ymodem, true),
    program("sy", Side::Send, Proto::Ymodem, false),
    program("ry", Side::Recv, Proto::Ymodem, false),
];

/// The lrzsz program the binary was invoked as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Personality {
    /// The name for messages, as lrzsz prints it (`sx`, `lsx`).
    pub(super) name: String,
    pub(super) side: Side,
    /// The protocol the name selects; `-X` / `--ymodem` override it.
    pub(super) proto: Proto,
    /// 1 when called with lrzsz's `v` prefix (`vsx`).
    pub(super) verbose: u8,
}

impl Personality {
    /// lrzsz's `chkinvok()`: leading `-`s and the directory go, a `v` prefix means verbose, an
    /// `l` prefix is skipped (`lsx`). Unlike lrzsz (which looks at two letters only) the rest
    /// must be exactly one of the names in [`PROGRAMS`], so nothing else is ever taken for one.
    pub(super) fn from_argv0(argv0: &OsStr) -> Option<Self> {
        let bytes = argv0.as_bytes();
        let bytes = &bytes[bytes.iter().take_while(|&&b| b == b'-').count()..];
        let base = bytes.rsplit(|&b| b == b'/').next().unwrap_or(bytes);
        let (verbose, name) = match base.strip_prefix(b"v") {
            Some(rest) => (1, rest),
            None => (0, base),
        };
        let short = name.strip_prefix(b"l").unwrap_or(name);
        let program = PROGRAMS.iter().find(|p| p.name.as_bytes() == short)?;
        Some(Self {
            name: String::from_utf8_lossy(name).into_owned(),
            side: program.side,
            proto: program.proto,
            verbose,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(argv0: &str) -> Option<(String, Side, Proto, u8)> {
        Personality::from_argv0(OsStr::new(argv0)).map(|p| (p.name, p.side, p.proto, p.verbose))
    }

    #[test]
    fn names() {
        use {Proto::*, Side::*};
        assert_eq!(who("sx"), Some(("sx".into(), Send, Xmodem, 0)));
        assert_eq!(
            who("/usr/local/bin/rb"),
            Some(("rb".into(), Recv, Ymodem, 0))
        );
        assert_eq!(who("-lsy"), Some(("lsy".into(), Send, Ymodem, 0)));
        assert_eq!(who("vlrx"), Some(("lrx".into(), Recv, Xmodem, 1)));
        assert_eq!(who("dir/vry"), Some(("ry".into(), Recv, Ymodem, 1)));
        assert_eq!(who("sb"), Some(("sb".into(), Send, Ymodem, 0)));
        assert_eq!(who("sz"), Some(("sz".into(), Send, Zmodem, 0)));
        assert_eq!(who("/usr/bin/lrz"), Some(("lrz".into(), Recv, Zmodem, 0)));
        assert_eq!(who("vrz"), Some(("rz".into(), Recv, Zmodem, 1)));
        for other in [
            "xyzmodem",
            "szz",
            "lvrz",
            "lvsx",
            "sxx",
            "s",
            "",
            "/",
            "v",
            "l",
            "target/debug/xyzmodem",
        ] {
            assert_eq!(who(other), None, "{other}");
        }
    }
}
