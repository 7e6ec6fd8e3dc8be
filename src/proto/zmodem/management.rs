//! `ZFILE` F1: what the sender asks the receiver to do with a file it already has.

use std::fmt;
use std::str::FromStr;

/// A file management request (`ZFILE` F1, its low five bits: ZMODEM document §11.3;
/// `Rename` is lrzsz's `ZMCHNG`). The names are those of `--if-exists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Management {
    /// `ZMNEWL`: replace it if ours is newer or longer.
    NewerOrLonger,
    /// `ZMCRC`: replace it if its CRC or length differs.
    Crc,
    /// `ZMAPND`: append to it.
    Append,
    /// `ZMCLOB`: replace it.
    Overwrite,
    /// `ZMNEW`: replace it if ours is newer.
    Newer,
    /// `ZMDIFF`: replace it if its date or length differs.
    Differs,
    /// `ZMPROT`: keep it and skip the file.
    Protect,
    /// `ZMCHNG`: keep it and store ours under another name.
    Rename,
}

/// The F1 bits that hold a [`Management`] (`ZMMASK`).
const MASK: u8 = 0x1f;

impl Management {
    /// `ZMSKNOLOC`: the F1 bit that asks the receiver to skip a file it does not have.
    pub const SKIP_ABSENT: u8 = 0x80;

    /// Every request, in F1 order.
    pub const ALL: [Self; 8] = [
        Self::NewerOrLonger,
        Self::Crc,
        Self::Append,
        Self::Overwrite,
        Self::Newer,
        Self::Differs,
        Self::Protect,
        Self::Rename,
    ];

    /// The F1 value.
    pub const fn code(self) -> u8 {
        match self {
            Self::NewerOrLonger => 1,
            Self::Crc => 2,
            Self::Append => 3,
            Self::Overwrite => 4,
            Self::Newer => 5,
            Self::Differs => 6,
            Self::Protect => 7,
            Self::Rename => 8,
        }
    }

    /// The request an F1 byte carries (`ZMSKNOLOC` and the other high bits aside); `None`
    /// for no request (0) or a value this implementation does not know.
    pub fn from_f1(f1: u8) -> Option<Self> {
        let code = f1 & MASK;
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The F1 byte for `request`, with `ZMSKNOLOC` when `skip_absent`.
    pub fn f1(request: Option<Self>, skip_absent: bool) -> u8 {
        let skip = if skip_absent { Self::SKIP_ABSENT } else { 0 };
        request.map_or(0, Self::code) | skip
    }

    /// Its name, as `--if-exists` takes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NewerOrLonger => "newer-or-longer",
            Self::Crc => "crc",
            Self::Append => "append",
            Self::Overwrite => "overwrite",
            Self::Newer => "newer",
            Self::Differs => "differs",
            Self::Protect => "protect",
            Self::Rename => "rename",
        }
    }
}

impl fmt::Display for Management {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no [`Management`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown file management request {0:?}")]
pub struct UnknownManagement(pub String);

impl FromStr for Management {
    type Err = UnknownManagement;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownManagement(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_wire_values_round_trip() {
        let codes: Vec<u8> = Management::ALL.iter().map(|m| m.code()).collect();
        assert_eq!(codes, [1, 2, 3, 4, 5, 6, 7, 8]);
        for m in Management::ALL {
            assert_eq!(m.as_str().parse(), Ok(m));
            assert_eq!(Management::from_f1(m.code()), Some(m));
            assert_eq!(
                Management::from_f1(m.code() | Management::SKIP_ABSENT),
                Some(m)
            );
        }
        assert_eq!(Management::from_f1(0), None);
        assert_eq!(Management::from_f1(9), None);
        assert_eq!(
            "clobber".parse::<Management>(),
            Err(UnknownManagement("clobber".into()))
        );
        assert_eq!(Management::f1(Some(Management::Overwrite), true), 0x84);
        assert_eq!(Management::f1(Some(Management::Rename), false), 8);
        assert_eq!(Management::f1(None, false), 0);
    }
}
