//! Response contracts: each scenario step's response (status and body, with
//! redactions applied) is stored as an insta-format `.snap` file under the
//! snapshot directory. A new or changed response is written beside it as a
//! pending `.snap.new` (review with `cargo insta review`, or accept with
//! `chup-harness run --accept`); in CI nothing is ever written.
//!
//! Reading goes through insta itself (`insta::Snapshot::from_file`), so a
//! file insta cannot read is an error here too. Writing uses insta's file
//! layout: a YAML header between `---` lines, then the contents.

use crate::scenario::RedactPath;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What the store may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Write nothing; a missing or changed snapshot fails (CI).
    Ci,
    /// Write new or changed snapshots as pending `.snap.new` files.
    Pending,
    /// Write new or changed snapshots as approved `.snap` files.
    Accept,
}

/// The result of holding one response against its snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    /// No snapshot existed; `written` is the pending or accepted file, if any.
    New {
        written: Option<PathBuf>,
    },
    /// The snapshot differs; `diff` is a unified diff old → new.
    Changed {
        diff: String,
        written: Option<PathBuf>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot {path}: cannot be read as an insta snapshot: {message}; restore it from version control, or delete it and run without CI=true to record it again")]
    Corrupt { path: String, message: String },
    #[error("snapshot {path}: cannot be written")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The snapshot directory of a run.
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
    mode: Mode,
}

/// A file name part from a scenario or step name: `[a-z0-9-_]` only.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>, mode: Mode) -> Store {
        Store {
            dir: dir.into(),
            mode,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn path_for(&self, scenario: &str, step: &str) -> PathBuf {
        self.dir
            .join(format!("{}__{}.snap", slug(scenario), slug(step)))
    }

    /// Holds `rendered` against the snapshot of `scenario`/`step`.
    pub fn check(
        &self,
        scenario: &str,
        step: &str,
        title: &str,
        rendered: &str,
    ) -> Result<Outcome, SnapshotError> {
        let path = self.path_for(scenario, step);
        let new = insta::internals::TextSnapshotContents::new(
            rendered.to_owned(),
            insta::TextSnapshotKind::File,
        );
        let old = if path.exists() {
            let corrupt = |message: String| SnapshotError::Corrupt {
                path: path.display().to_string(),
                message,
            };
            // insta reads a file without its `---` header as a legacy
            // snapshot whose whole text is the body; every file we write has
            // the header, so a file without one is damaged, not "changed".
            let head = std::fs::read(&path).map_err(|e| corrupt(e.to_string()))?;
            if !head.starts_with(b"---") {
                return Err(corrupt(
                    "no insta header (the file should start with ---)".to_owned(),
                ));
            }
            let snap = insta::Snapshot::from_file(&path).map_err(|e| {
                // insta's first line says what failed; the rest advises
                // `cargo insta` commands that do not apply here.
                corrupt(e.to_string().lines().next().unwrap_or("").to_owned())
            })?;
            let text = snap.contents().as_text().cloned().ok_or_else(|| {
                corrupt("a binary snapshot where a text one was expected".to_owned())
            })?;
            Some(text)
        } else {
            None
        };
        let pending = path.with_extension("snap.new");
        match old {
            Some(old) if old.matches_latest(&new) => {
                // A stale pending file from an earlier run would mislead a review.
                if self.mode != Mode::Ci && pending.exists() {
                    let _ = std::fs::remove_file(&pending);
                }
                Ok(Outcome::Matched)
            }
            Some(old) => {
                let diff = similar::TextDiff::from_lines(&old.to_string(), &new.to_string())
                    .unified_diff()
                    .context_radius(3)
                    .header("approved", "received")
                    .to_string();
                let written = self.write(&path, &pending, title, rendered)?;
                Ok(Outcome::Changed { diff, written })
            }
            None => Ok(Outcome::New {
                written: self.write(&path, &pending, title, rendered)?,
            }),
        }
    }

    fn write(
        &self,
        approved: &Path,
        pending: &Path,
        title: &str,
        rendered: &str,
    ) -> Result<Option<PathBuf>, SnapshotError> {
        let target = match self.mode {
            Mode::Ci => return Ok(None),
            Mode::Pending => pending,
            Mode::Accept => approved,
        };
        let io = |source| SnapshotError::Write {
            path: target.display().to_string(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let expression = serde_json::to_string(title).expect("a string serializes");
        let text =
            format!("---\nsource: chup-harness\nexpression: {expression}\n---\n{rendered}\n");
        std::fs::write(target, text).map_err(io)?;
        if self.mode == Mode::Accept && pending.exists() {
            let _ = std::fs::remove_file(pending);
        }
        Ok(Some(target.to_path_buf()))
    }

    /// Promotes every pending `.snap.new` in the directory to `.snap`.
    pub fn accept_pending(&self) -> Result<Vec<PathBuf>, SnapshotError> {
        let mut accepted = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Ok(accepted);
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.to_string_lossy().ends_with(".snap.new") {
                let target = p.with_extension("");
                std::fs::rename(&p, &target).map_err(|source| SnapshotError::Write {
                    path: target.display().to_string(),
                    source,
                })?;
                accepted.push(target);
            }
        }
        accepted.sort();
        Ok(accepted)
    }
}

/// Values of a request that vary from run to run, and the placeholder that
/// stands for each in a snapshot (`[data.id]`), so an echoing receiver still
/// gives the same snapshot run after run.
pub type Volatile = Vec<(String, Value)>;

/// Renders a response for a snapshot: status, content type and body (JSON
/// pretty-printed with `redact` paths and volatile values replaced).
pub fn render(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    redact: &[RedactPath],
    volatile: &Volatile,
) -> String {
    let ct = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_owned());
    let mut out = format!("status: {status}\n");
    if let Some(ct) = &ct {
        out.push_str(&format!("content-type: {ct}\n"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) if !body.is_empty() => {
            let hidden = Value::String("[redacted]".to_owned());
            for path in redact {
                path.redact(&mut v, &hidden);
            }
            replace_volatile(&mut v, volatile);
            out.push_str("body:\n");
            out.push_str(&serde_json::to_string_pretty(&v).expect("a JSON value serializes"));
        }
        _ if body.is_empty() => out.push_str("body: (empty)"),
        _ => {
            let mut text = String::from_utf8_lossy(body).into_owned();
            for (name, value) in volatile {
                let needle = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if needle.len() >= 3 {
                    text = text.replace(&needle, &format!("[{name}]"));
                }
            }
            out.push_str("body (text):\n");
            out.push_str(text.trim_end());
        }
    }
    out
}

fn replace_volatile(v: &mut Value, volatile: &Volatile) {
    match v {
        Value::Object(m) => m.values_mut().for_each(|x| replace_volatile(x, volatile)),
        Value::Array(a) => a.iter_mut().for_each(|x| replace_volatile(x, volatile)),
        leaf => {
            if let Some((name, _)) = volatile.iter().find(|(_, val)| same_leaf(val, leaf)) {
                *leaf = Value::String(format!("[{name}]"));
            }
        }
    }
}

/// Equal as JSON, or the same id written as a number and as a string.
fn same_leaf(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            n.to_string() == *s
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_paths_and_volatile_values() {
        let body = json!({"id": 123, "echo": "123", "items": [{"id": 1, "at": "x"}, {"id": 2}], "meta": {"a": 1}});
        let text = render(
            200,
            Some("application/json; charset=utf-8"),
            body.to_string().as_bytes(),
            &[
                RedactPath::parse(".items[].id").expect("path"),
                RedactPath::parse(".meta.*").expect("path"),
            ],
            &vec![("data.id".into(), json!(123))],
        );
        assert!(
            text.starts_with("status: 200\ncontent-type: application/json\nbody:\n"),
            "{text}"
        );
        let v: Value =
            serde_json::from_str(text.split_once("body:\n").expect("body").1).expect("json");
        assert_eq!(v["id"], "[data.id]");
        assert_eq!(v["echo"], "[data.id]");
        assert_eq!(v["items"][0]["id"], "[redacted]");
        assert_eq!(v["items"][0]["at"], "x");
        assert_eq!(v["meta"]["a"], "[redacted]");
    }

    #[test]
    fn pending_then_accept_then_match_then_change() {
        let dir = std::env::temp_dir().join(format!(
            "chup-snap-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let pending = Store::new(&dir, Mode::Pending);
        let first = pending
            .check("move", "01-join", "t", "status: 200")
            .expect("ok");
        assert!(
            matches!(first, Outcome::New { written: Some(ref p) } if p.to_string_lossy().ends_with("move__01-join.snap.new"))
        );
        assert_eq!(pending.accept_pending().expect("accept").len(), 1);
        let ci = Store::new(&dir, Mode::Ci);
        assert_eq!(
            ci.check("move", "01-join", "t", "status: 200").expect("ok"),
            Outcome::Matched
        );
        match ci.check("move", "01-join", "t", "status: 500").expect("ok") {
            Outcome::Changed {
                diff,
                written: None,
            } => assert!(
                diff.contains("-status: 200") && diff.contains("+status: 500"),
                "{diff}"
            ),
            other => panic!("expected a change, got {other:?}"),
        }
        std::fs::write(dir.join("bad__x.snap"), "---\nsource: [unclosed\n---\nx").expect("write");
        assert!(matches!(
            ci.check("bad", "x", "t", "y"),
            Err(SnapshotError::Corrupt { .. })
        ));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
