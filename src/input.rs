//! Reading the documents a verb is given: a file or standard input holding
//! one JSON document (pretty-printed or not) or NDJSON, one per line.
//! Errors name the source and the line, and are "could not run" errors;
//! what a document *says* is judged elsewhere.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Where documents come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// `-` or no argument is standard input.
    pub fn from_arg(arg: Option<&Path>) -> Source {
        match arg {
            None => Source::Stdin,
            Some(p) if p.as_os_str() == "-" => Source::Stdin,
            Some(p) => Source::File(p.to_path_buf()),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_owned(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// One document and the line it starts on (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc {
    pub line: usize,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {source_label} (check the path, or give - to read standard input)")]
    Read {
        source_label: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{source_label}: empty input: expected a JSON document or NDJSON lines")]
    Empty { source_label: String },
    #[error("{source_label}:{line}:{column}: not JSON: {message}; give one JSON document, or one per line (NDJSON)")]
    NotJson {
        source_label: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Reads all documents of a source. The whole input is one document when it
/// parses as one JSON value; otherwise each non-blank line is one.
pub fn read_documents(source: &Source) -> Result<Vec<Doc>, InputError> {
    let label = source.label();
    let mut bytes = Vec::new();
    let read = match source {
        Source::Stdin => std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ()),
        Source::File(p) => std::fs::read(p).map(|b| bytes = b),
    };
    read.map_err(|source| InputError::Read {
        source_label: label.clone(),
        source,
    })?;
    split_documents(&label, bytes)
}

/// As [`read_documents`], over bytes already read.
pub fn split_documents(label: &str, bytes: Vec<u8>) -> Result<Vec<Doc>, InputError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::Empty {
            source_label: label.to_owned(),
        });
    }
    let whole = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes);
    let multi_line = bytes.iter().filter(|b| **b == b'\n').count() > 1;
    match whole {
        Ok(_) => {
            let line = 1 + bytes
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .filter(|b| **b == b'\n')
                .count();
            return Ok(vec![Doc { line, bytes }]);
        }
        Err(e) if !multi_line || !e.is_syntax() => {
            return Err(not_json(label, &e, 0));
        }
        Err(_) => {}
    }
    let mut docs = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(line) {
            return Err(not_json(label, &e, i));
        }
        docs.push(Doc {
            line: i + 1,
            bytes: line.to_vec(),
        });
    }
    Ok(docs)
}

fn not_json(label: &str, e: &serde_json::Error, line_offset: usize) -> InputError {
    let text = e.to_string();
    InputError::NotJson {
        source_label: label.to_owned(),
        line: e.line() + line_offset,
        column: e.column(),
        message: text.split(" at line ").next().unwrap_or(&text).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pretty_document_is_one_doc() {
        let docs = split_documents("x", b"\n{\n  \"a\": 1\n}\n".to_vec()).expect("valid");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].line, 2);
    }

    #[test]
    fn ndjson_lines_are_docs_and_a_bad_line_is_named() {
        let docs = split_documents("x", b"{\"a\":1}\n\n{\"b\":2}\n".to_vec()).expect("valid");
        assert_eq!(docs.iter().map(|d| d.line).collect::<Vec<_>>(), vec![1, 3]);
        let err = split_documents("in.ndjson", b"{\"a\":1}\n{\"b\":2}\nnope\n".to_vec())
            .expect_err("bad line");
        assert!(err.to_string().starts_with("in.ndjson:3:"), "{err}");
    }

    #[test]
    fn empty_input_is_an_error() {
        assert!(matches!(
            split_documents("x", b"  \n".to_vec()),
            Err(InputError::Empty { .. })
        ));
    }
}
