//! Sets of acceptable HTTP statuses: codes (`409`) and classes (`"2xx"`).
//! Every check and every scenario step expects one; scenario files write
//! them as `status = ["2xx", 409]`, the command line as `401,403`.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

/// One member of a status set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusMatch {
    Code(u16),
    /// The hundreds digit: `Class(2)` is `2xx`.
    Class(u8),
}

impl StatusMatch {
    pub fn matches(self, code: u16) -> bool {
        match self {
            StatusMatch::Code(c) => c == code,
            StatusMatch::Class(k) => code / 100 == u16::from(k),
        }
    }

    fn from_code(n: i64) -> Result<StatusMatch, String> {
        u16::try_from(n)
            .ok()
            .filter(|c| (100..=599).contains(c))
            .map(StatusMatch::Code)
            .ok_or_else(|| format!("status {n} is not an HTTP status (100-599)"))
    }
}

impl FromStr for StatusMatch {
    type Err = String;
    fn from_str(s: &str) -> Result<StatusMatch, String> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && b[1..].eq_ignore_ascii_case(b"xx") {
            return Ok(StatusMatch::Class(b[0] - b'0'));
        }
        match s.parse::<i64>() {
            Ok(n) => StatusMatch::from_code(n),
            Err(_) => Err(format!(
                "{s:?} is neither a status code (409) nor a class (\"2xx\")"
            )),
        }
    }
}

impl fmt::Display for StatusMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusMatch::Code(c) => write!(f, "{c}"),
            StatusMatch::Class(k) => write!(f, "{k}xx"),
        }
    }
}

/// The statuses a step accepts; by default any `2xx`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StatusSet(Vec<StatusMatch>);

impl StatusSet {
    pub fn new(items: Vec<StatusMatch>) -> Result<StatusSet, String> {
        if items.is_empty() {
            Err("a status set needs at least one code or class".into())
        } else {
            Ok(StatusSet(items))
        }
    }

    /// Any 2xx.
    pub fn success() -> StatusSet {
        StatusSet(vec![StatusMatch::Class(2)])
    }

    pub fn contains(&self, code: u16) -> bool {
        self.0.iter().any(|m| m.matches(code))
    }

    pub fn items(&self) -> &[StatusMatch] {
        &self.0
    }

    /// Exactly these codes (`codes(&[401, 403])`).
    pub fn codes(codes: &[u16]) -> StatusSet {
        StatusSet(codes.iter().copied().map(StatusMatch::Code).collect())
    }

    /// Adds the codes and classes of `other` not already in the set.
    pub fn extend(&mut self, other: StatusSet) {
        for m in other.0 {
            if !self.0.contains(&m) {
                self.0.push(m);
            }
        }
    }
}

impl Default for StatusSet {
    fn default() -> Self {
        StatusSet::success()
    }
}

/// `2xx`, `200, 202`, `4xx, 409`.
impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

/// Reads `2xx,409` (the form a command-line flag takes).
impl FromStr for StatusSet {
    type Err = String;
    fn from_str(s: &str) -> Result<StatusSet, String> {
        StatusSet::new(s.split(',').map(str::parse).collect::<Result<_, _>>()?)
    }
}

/// Reads `["2xx", 409]`, or a single `409` / `"2xx"`.
impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct One(StatusMatch);
        impl<'de> Deserialize<'de> for One {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(OneVisitor)
            }
        }
        struct OneVisitor;
        impl Visitor<'_> for OneVisitor {
            type Value = One;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status code (409) or class (\"2xx\")")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<One, E> {
                StatusMatch::from_code(v).map(One).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<One, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<One, E> {
                v.parse().map(One).map_err(E::custom)
            }
        }
        struct SetVisitor;
        impl<'de> Visitor<'de> for SetVisitor {
            type Value = StatusSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of status codes and classes, e.g. [\"2xx\", 409]")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusSet, E> {
                Ok(StatusSet(vec![OneVisitor.visit_i64::<E>(v)?.0]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusSet, E> {
                Ok(StatusSet(vec![OneVisitor.visit_u64::<E>(v)?.0]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusSet, E> {
                Ok(StatusSet(vec![OneVisitor.visit_str::<E>(v)?.0]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSet, A::Error> {
                let mut items = Vec::new();
                while let Some(One(m)) = seq.next_element()? {
                    items.push(m);
                }
                StatusSet::new(items).map_err(de::Error::custom)
            }
        }
        d.deserialize_any(SetVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_codes_and_classes() {
        let s: StatusSet = "2xx, 409".parse().expect("valid");
        assert!(s.contains(200) && s.contains(204) && s.contains(409));
        assert!(!s.contains(400) && !s.contains(500));
        assert_eq!(s.to_string(), "2xx, 409");
        assert_eq!(StatusSet::default().to_string(), "2xx");
        assert!(StatusSet::default().contains(299));
    }

    #[test]
    fn rejects_what_is_not_a_status() {
        assert_eq!(
            "700".parse::<StatusSet>(),
            Err("status 700 is not an HTTP status (100-599)".into())
        );
        assert!("6xx".parse::<StatusSet>().is_err());
        assert!("ok".parse::<StatusSet>().is_err());
        assert!(StatusSet::new(vec![]).is_err());
    }
}
