//! The committed schema export (`contracts/schema/`) is exactly what
//! `chup-harness schema --out DIR` writes today: the command is run into a
//! temporary directory and every file compared, so a change to the model
//! that is not re-exported fails here, naming the file and the command that
//! refreshes the copy.

use chup_harness::schema;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const REFRESH: &str =
    "refresh the copy with `cargo run -- schema --out contracts/schema` (or `make schema`), review the diff and commit it";

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/schema")
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("chup-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every generated file under `dir` (the hand-written README excepted).
fn generated_files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.file_name().is_some_and(|n| n != "README.md") {
                out.insert(path.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    out
}

/// The first line where two texts differ, for the failure message.
fn first_difference(a: &str, b: &str) -> String {
    let line = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.lines().count().min(b.lines().count()));
    format!(
        "first difference at line {}:\n  committed: {:?}\n  generated: {:?}",
        line + 1,
        a.lines().nth(line).unwrap_or("(end of file)"),
        b.lines().nth(line).unwrap_or("(end of file)")
    )
}

#[test]
fn committed_schema_export_matches_what_the_command_writes() {
    let fresh = TempDir::new("schema-drift");
    schema::write_all(&fresh.0).expect("writes the export");
    let want = generated_files(&fresh.0);
    let have = generated_files(&committed());
    let mut problems = Vec::new();
    for missing in want.difference(&have) {
        problems.push(format!("contracts/schema/{} is missing", missing.display()));
    }
    for stale in have.difference(&want) {
        problems.push(format!(
            "contracts/schema/{} is not written by the command any more (delete it)",
            stale.display()
        ));
    }
    for file in want.intersection(&have) {
        let generated = std::fs::read_to_string(fresh.0.join(file)).expect("readable");
        let on_disk = std::fs::read_to_string(committed().join(file)).expect("readable");
        if generated != on_disk {
            problems.push(format!(
                "contracts/schema/{} differs from the command's output; {}",
                file.display(),
                first_difference(&on_disk, &generated)
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the committed schema export has drifted:\n- {}\n{REFRESH}",
        problems.join("\n- ")
    );
    assert_eq!(want.len(), 19, "body, 17 payloads, asyncapi");
}

#[test]
fn drift_is_reported_with_the_file_and_the_line() {
    let text = "a\nb\nc\n";
    assert_eq!(
        first_difference(text, "a\nB\nc\n"),
        "first difference at line 2:\n  committed: \"b\"\n  generated: \"B\""
    );
    assert!(first_difference("a\n", "a\nb\n").contains("committed: \"(end of file)\""));
}
