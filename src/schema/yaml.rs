//! A small YAML writer for JSON values, enough for the AsyncAPI document.
//!
//! Why our own: the YAML crates are unmaintained or heavy, and a JSON value
//! needs only block mappings, block sequences and scalars. Every string
//! value is double-quoted with JSON-style escapes (a double-quoted YAML
//! scalar accepts them), and anything outside printable ASCII is escaped,
//! so no string can be read back as a number, a boolean, a comment or a
//! line break. Keys stay plain only when they cannot be misread.

use serde_json::Value;
use std::fmt::Write;

/// Renders a value as block-style YAML, ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    if is_block(value) {
        block(value, 0, &mut out);
    } else {
        out.push_str(&scalar(value));
        out.push('\n');
    }
    out
}

/// A non-empty mapping or sequence, written over several lines.
fn is_block(value: &Value) -> bool {
    match value {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn block(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pad(indent, out);
                out.push_str(&key(k));
                out.push(':');
                entry(v, indent + 2, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                if is_block(item) {
                    // Render the item one level in, then hang its first line
                    // on the dash: `- key: v` followed by `  key2: v`.
                    let mut inner = String::new();
                    block(item, indent + 2, &mut inner);
                    pad(indent, out);
                    out.push_str("- ");
                    out.push_str(&inner[indent + 2..]);
                } else {
                    pad(indent, out);
                    out.push_str("- ");
                    out.push_str(&scalar(item));
                    out.push('\n');
                }
            }
        }
        _ => {
            pad(indent, out);
            out.push_str(&scalar(value));
            out.push('\n');
        }
    }
}

/// The value after `key:`: inline when it is a scalar or empty, else on
/// the following lines.
fn entry(value: &Value, indent: usize, out: &mut String) {
    if is_block(value) {
        out.push('\n');
        block(value, indent, out);
    } else {
        out.push(' ');
        out.push_str(&scalar(value));
        out.push('\n');
    }
}

fn pad(indent: usize, out: &mut String) {
    out.push_str(&" ".repeat(indent));
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Words YAML 1.1 readers take for booleans or null when left plain.
const RESERVED: [&str; 9] = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"];

fn key(k: &str) -> String {
    let mut chars = k.chars();
    let plain_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$');
    let plain_rest = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain_start && plain_rest && !RESERVED.contains(&k.to_ascii_lowercase().as_str()) {
        k.to_owned()
    } else {
        quote(k)
    }
}

/// A double-quoted scalar: printable ASCII as is, everything else escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => {
                write!(out, "\\u{:04X}", u32::from(c)).expect("writing to a String cannot fail")
            }
            c => write!(out, "\\U{:08X}", u32::from(c)).expect("writing to a String cannot fail"),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_nested_mappings_and_sequences_in_block_style() {
        let v = json!({
            "asyncapi": "3.0.0",
            "info": {"title": "T", "version": "0.1.0"},
            "list": [1, "two", {"a": true, "b": null}, [], {}, ["x"]],
            "empty": {}
        });
        let expected = "\
asyncapi: \"3.0.0\"
info:
  title: \"T\"
  version: \"0.1.0\"
list:
  - 1
  - \"two\"
  - a: true
    b: null
  - []
  - {}
  - - \"x\"
empty: {}
";
        assert_eq!(to_yaml(&v), expected);
    }

    #[test]
    fn quotes_keys_that_a_reader_could_misread() {
        let v = json!({"$ref": 1, "Content-Type": 2, "on": 3, "200": 4, "a b": 5, "x:y": 6});
        assert_eq!(
            to_yaml(&v),
            "$ref: 1\nContent-Type: 2\n\"on\": 3\n\"200\": 4\n\"a b\": 5\n\"x:y\": 6\n"
        );
    }

    #[test]
    fn escapes_quotes_control_characters_and_non_ascii() {
        let v = json!("say \"hi\"\\\n\t# → 😀 \u{7f}");
        assert_eq!(
            to_yaml(&v),
            "\"say \\\"hi\\\"\\\\\\n\\t# \\u2192 \\U0001F600 \\u007F\"\n"
        );
    }
}
