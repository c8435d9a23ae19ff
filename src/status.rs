//! Sets of acceptable HTTP status codes: `2xx`, `401,403`, `400,422`.
//! Every check and every scenario step expects one; all are configurable.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Item {
    Code(u16),
    Class(u8),
}

/// A set of status codes and classes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StatusSet(Vec<Item>);

impl StatusSet {
    pub fn success() -> StatusSet {
        StatusSet(vec![Item::Class(2)])
    }

    pub fn codes(codes: &[u16]) -> StatusSet {
        StatusSet(codes.iter().map(|c| Item::Code(*c)).collect())
    }

    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|i| match i {
            Item::Code(c) => *c == status,
            Item::Class(k) => status / 100 == u16::from(*k),
        })
    }

    /// Parses one item: `2xx` or `404`.
    pub fn parse_item(s: &str) -> Result<StatusSet, String> {
        let s = s.trim().to_ascii_lowercase();
        if let Some(k) = s.strip_suffix("xx") {
            return match k.parse::<u8>() {
                Ok(k @ 1..=5) => Ok(StatusSet(vec![Item::Class(k)])),
                _ => Err(format!("{s:?} is not a status class (1xx to 5xx)")),
            };
        }
        match s.parse::<u16>() {
            Ok(c @ 100..=599) => Ok(StatusSet(vec![Item::Code(c)])),
            _ => Err(format!(
                "{s:?} is not an HTTP status (100 to 599, or a class like 2xx)"
            )),
        }
    }

    pub fn extend(&mut self, other: StatusSet) {
        for i in other.0 {
            if !self.0.contains(&i) {
                self.0.push(i);
            }
        }
    }
}

impl Default for StatusSet {
    fn default() -> Self {
        StatusSet::success()
    }
}

impl FromStr for StatusSet {
    type Err = String;
    /// `2xx`, `401,403`, `400|422`.
    fn from_str(s: &str) -> Result<StatusSet, String> {
        let mut set = StatusSet(Vec::new());
        for part in s.split([',', '|']).filter(|p| !p.trim().is_empty()) {
            set.extend(StatusSet::parse_item(part)?);
        }
        if set.0.is_empty() {
            return Err("an empty status set".to_owned());
        }
        Ok(set)
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|i| match i {
                Item::Code(c) => c.to_string(),
                Item::Class(k) => format!("{k}xx"),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl serde::Serialize for StatusSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_classes() {
        let s: StatusSet = "401,403".parse().expect("valid");
        assert!(s.contains(401) && s.contains(403) && !s.contains(400));
        let s: StatusSet = "2xx".parse().expect("valid");
        assert!(s.contains(200) && s.contains(204) && !s.contains(301));
        assert_eq!(s.to_string(), "2xx");
        for bad in ["", "6xx", "99", "abc", "2xy"] {
            assert!(bad.parse::<StatusSet>().is_err(), "{bad}");
        }
    }
}
