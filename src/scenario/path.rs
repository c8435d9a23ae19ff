//! The small path syntax of scenario files, in two flavours:
//!
//! - field paths into a payload, for `[step.set]` keys and `${step:path}`
//!   references: `data.client_name`, `data.notes[0].content`,
//!   `data["odd.key"]`; no wildcards;
//! - redaction paths into a response body, for `redact = [...]`:
//!   `.received_at`, `.items[].id`, `.items[0]`, `.*.secret`; they start
//!   with `.` or `[` (as insta's selectors do) and may use `[]` (every
//!   element) and `.*` (every key).
//!
//! Parsing and walking JSON values only; what the paths mean to a step is
//! the compiler's business.

use serde_json::Value;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
    /// `.*`: every key of an object.
    AnyKey,
    /// `[]`: every element of an array.
    AnyIndex,
}

fn is_plain(c: char) -> bool {
    c != '.' && c != '[' && c != ']' && c != '"' && !c.is_whitespace()
}

fn lex(s: &str, leading_dot: bool) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    let mut rest = s;
    if !leading_dot && !rest.starts_with('[') {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        let end = rest.find(|c| !is_plain(c)).unwrap_or(rest.len());
        if end == 0 {
            return Err("starts with neither a field name nor [".into());
        }
        segs.push(Seg::Key(rest[..end].to_owned()));
        rest = &rest[end..];
    } else if leading_dot && !rest.starts_with(['.', '[']) {
        return Err("a redaction path starts with \".\" or \"[\" (e.g. \".received_at\")".into());
    }
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            if let Some(r) = r.strip_prefix('*') {
                segs.push(Seg::AnyKey);
                rest = r;
                continue;
            }
            let end = r.find(|c| !is_plain(c)).unwrap_or(r.len());
            if end == 0 {
                return Err(format!("expected a field name after \".\" at {:?}", rest));
            }
            segs.push(Seg::Key(r[..end].to_owned()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| format!("unclosed [ at {rest:?}"))?;
            let inner = &r[..close];
            segs.push(if inner.is_empty() {
                Seg::AnyIndex
            } else if let Some(key) = inner.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
                Seg::Key(key.to_owned())
            } else {
                Seg::Index(
                    inner.parse().map_err(|_| {
                        format!("[{inner}] is neither an index, [] nor a quoted key")
                    })?,
                )
            });
            rest = &r[close + 1..];
        } else {
            return Err(format!("expected \".\" or \"[\" at {rest:?}"));
        }
    }
    Ok(segs)
}

/// Writes segments back in field-path form (`data.notes[0].content`).
pub(crate) fn show(segs: &[Seg]) -> String {
    let mut out = String::new();
    for (i, s) in segs.iter().enumerate() {
        match s {
            Seg::Key(k) if k.chars().all(is_plain) && !k.is_empty() => {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Key(k) => out.push_str(&format!("[\"{k}\"]")),
            Seg::Index(n) => out.push_str(&format!("[{n}]")),
            Seg::AnyKey => out.push_str(".*"),
            Seg::AnyIndex => out.push_str("[]"),
        }
    }
    out
}

/// Parses a field path (`data.notes[0].content`).
pub(crate) fn parse_field_path(s: &str) -> Result<Vec<Seg>, String> {
    let segs = lex(s, false)?;
    if segs
        .iter()
        .any(|s| matches!(s, Seg::AnyKey | Seg::AnyIndex))
    {
        return Err(
            "wildcards ([] and .*) are for redactions only; a field path names one value".into(),
        );
    }
    Ok(segs)
}

/// The value at a field path, if there is one.
pub(crate) fn get<'a>(v: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    segs.iter().try_fold(v, |v, s| match (s, v) {
        (Seg::Key(k), Value::Object(m)) => m.get(k),
        (Seg::Index(i), Value::Array(a)) => a.get(*i),
        _ => None,
    })
}

/// Sets the value at a field path. Every step but the last must exist;
/// the last may add a key to an object or append to an array (index ==
/// length).
pub(crate) fn set(root: &mut Value, segs: &[Seg], new: Value) -> Result<(), String> {
    let Some((last, parents)) = segs.split_last() else {
        return Err("an empty path names nothing".into());
    };
    let mut v = root;
    for (i, s) in parents.iter().enumerate() {
        let here = show(&segs[..=i]);
        let kind = crate::model::kind_of(v);
        v = match (s, v) {
            (Seg::Key(k), Value::Object(m)) => m
                .get_mut(k)
                .ok_or_else(|| format!("{here}: no such field"))?,
            (Seg::Index(n), Value::Array(a)) => {
                let len = a.len();
                a.get_mut(*n).ok_or_else(|| {
                    format!("{here}: index {n} is out of range (the array has {len} items)")
                })?
            }
            _ => return Err(format!("{here}: {} is {kind}", show(&segs[..i]))),
        };
    }
    let kind = crate::model::kind_of(v);
    match (last, v) {
        (Seg::Key(k), Value::Object(m)) => {
            m.insert(k.clone(), new);
        }
        (Seg::Index(n), Value::Array(a)) if *n < a.len() => a[*n] = new,
        (Seg::Index(n), Value::Array(a)) if *n == a.len() => a.push(new),
        (Seg::Index(n), Value::Array(a)) => {
            return Err(format!(
                "{}: index {n} is out of range (the array has {} items)",
                show(segs),
                a.len()
            ))
        }
        _ => return Err(format!("{}: {} is {kind}", show(segs), show(parents))),
    }
    Ok(())
}

/// A redaction path into a response body (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedactPath {
    text: String,
    segs: Vec<Seg>,
}

impl RedactPath {
    pub fn parse(s: &str) -> Result<RedactPath, String> {
        Ok(RedactPath {
            text: s.to_owned(),
            segs: lex(s, true)?,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Replaces every value the path matches with `with`; returns how many.
    pub fn redact(&self, v: &mut Value, with: &Value) -> usize {
        fn walk(v: &mut Value, segs: &[Seg], with: &Value) -> usize {
            let Some((first, rest)) = segs.split_first() else {
                *v = with.clone();
                return 1;
            };
            match (first, v) {
                (Seg::Key(k), Value::Object(m)) => m.get_mut(k).map_or(0, |v| walk(v, rest, with)),
                (Seg::AnyKey, Value::Object(m)) => {
                    m.values_mut().map(|v| walk(v, rest, with)).sum()
                }
                (Seg::Index(n), Value::Array(a)) => {
                    a.get_mut(*n).map_or(0, |v| walk(v, rest, with))
                }
                (Seg::AnyIndex, Value::Array(a)) => a.iter_mut().map(|v| walk(v, rest, with)).sum(),
                _ => 0,
            }
        }
        walk(v, &self.segs, with)
    }
}

impl FromStr for RedactPath {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        RedactPath::parse(s)
    }
}

impl fmt::Display for RedactPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_writes_field_paths() {
        let segs = parse_field_path("data.notes[0].content").expect("valid");
        assert_eq!(
            segs,
            vec![
                Seg::Key("data".into()),
                Seg::Key("notes".into()),
                Seg::Index(0),
                Seg::Key("content".into())
            ]
        );
        assert_eq!(show(&segs), "data.notes[0].content");
        assert_eq!(
            parse_field_path("data[\"a.b\"]").expect("quoted"),
            vec![Seg::Key("data".into()), Seg::Key("a.b".into())]
        );
        for bad in ["", "data..x", "data[x]", "data[0", "data.items[]", "data.*"] {
            assert!(parse_field_path(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn set_adds_keys_appends_and_refuses_missing_parents() {
        let mut v = json!({"data": {"notes": [], "id": 1}});
        set(
            &mut v,
            &parse_field_path("data.extra").expect("p"),
            json!("x"),
        )
        .expect("new key");
        set(
            &mut v,
            &parse_field_path("data.notes[0]").expect("p"),
            json!({"a": 1}),
        )
        .expect("append");
        set(
            &mut v,
            &parse_field_path("data.notes[0].a").expect("p"),
            json!(2),
        )
        .expect("replace");
        assert_eq!(
            v,
            json!({"data": {"notes": [{"a": 2}], "id": 1, "extra": "x"}})
        );
        assert_eq!(
            set(
                &mut v,
                &parse_field_path("data.notes[3].a").expect("p"),
                json!(1)
            ),
            Err("data.notes[3]: index 3 is out of range (the array has 1 items)".into())
        );
        assert_eq!(
            set(&mut v, &parse_field_path("data.id.x").expect("p"), json!(1)),
            Err("data.id.x: data.id is a number".into())
        );
        assert_eq!(
            set(
                &mut v,
                &parse_field_path("data.nothing.x").expect("p"),
                json!(1)
            ),
            Err("data.nothing: no such field".into())
        );
        assert_eq!(
            get(&v, &parse_field_path("data.notes[0].a").expect("p")),
            Some(&json!(2))
        );
    }

    #[test]
    fn redaction_paths_match_wildcards_and_require_a_leading_dot() {
        let mut v = json!({"received_at": "t", "items": [{"id": 1}, {"id": 2}], "m": {"a": {"s": 1}, "b": {"s": 2}}});
        let r = |s: &str| RedactPath::parse(s).expect("valid");
        assert_eq!(r(".items[].id").redact(&mut v, &json!("[id]")), 2);
        assert_eq!(r(".received_at").redact(&mut v, &json!("[t]")), 1);
        assert_eq!(r(".m.*.s").redact(&mut v, &json!(0)), 2);
        assert_eq!(r(".absent").redact(&mut v, &json!(0)), 0);
        assert_eq!(
            v,
            json!({"received_at": "[t]", "items": [{"id": "[id]"}, {"id": "[id]"}], "m": {"a": {"s": 0}, "b": {"s": 0}}})
        );
        assert!(RedactPath::parse("received_at").is_err());
        assert!(RedactPath::parse(".items[x]").is_err());
    }
}
