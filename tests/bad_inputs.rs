//! Broken inputs, as a user makes them: each must end with exit code 2 and
//! one line on stderr that names the file and line, or the flag, and says
//! what to do; nothing the user wrote may change. The messages are
//! snapshot-tested together (`tests/snapshots/bad_inputs__messages.snap`), with
//! the temporary directory shown as `[DIR]`.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const VALID: &str = "[[patient]]\nname = \"p\"\nclient_name = \"Ali\"\nphone = \"60123456789\"\n[[step]]\ndo = \"join\"\nservice = \"Registration\"\n";

const PATIENT: &str = "[[patient]]\nname = \"p\"\nclient_name = \"Ali\"\nphone = \"60123456789\"\n";

/// One broken input: the files the user wrote, the command, and what the
/// message must name.
struct Bad {
    name: &'static str,
    files: Vec<(&'static str, String)>,
    args: Vec<&'static str>,
    names: &'static str,
}

fn bad(name: &'static str, args: &[&'static str], names: &'static str) -> Bad {
    Bad {
        name,
        files: Vec::new(),
        args: args.to_vec(),
        names,
    }
}

fn with(mut b: Bad, path: &'static str, text: impl Into<String>) -> Bad {
    b.files.push((path, text.into()));
    b
}

fn scenario(body: &str) -> String {
    format!("name = \"mine\"\ndescription = \"d\"\n{body}")
}

/// A copy of an approved reference snapshot, for the corrupt-snapshot cases.
fn approved(step: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("snapshots/reference/join__{step}.snap"));
    std::fs::read_to_string(p).expect("approved snapshot")
}

fn cases() -> Vec<Bad> {
    let contracts = &["run", "--contracts", "c", "--list"][..];
    let snap_run = &[
        "run",
        "--snapshots",
        "s",
        "--scenario",
        "join",
        "--only",
        "snapshot-match",
    ][..];
    vec![
        with(bad("scenario-syntax-error", contracts, "c/a.toml:3"),
            "c/a.toml", scenario("[[step]\ndo = \"join\"\n")),
        with(bad("scenario-unknown-field", contracts, "c/a.toml:3"),
            "c/a.toml", scenario("colour = \"blue\"\n")),
        with(bad("scenario-unknown-event", contracts, "c/a.toml:9"),
            "c/a.toml", scenario(&format!("{PATIENT}[[step]]\ndo = \"event\"\nevent = \"client_updatd\"\n"))),
        with(bad("scenario-unknown-action", contracts, "c/a.toml:8"),
            "c/a.toml", scenario(&format!("{PATIENT}[[step]]\ndo = \"teleport\"\n"))),
        with(bad("scenario-missing-step-reference", contracts, "c/a.toml:12"),
            "c/a.toml", scenario(&format!(
                "{PATIENT}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n[[step]]\ndo = \"alert\"\nvisit = \"nobody\"\n"))),
        with(bad("scenario-wrong-type", contracts, "c/a.toml:2"),
            "c/a.toml", "name = \"mine\"\ndescription = 5\n"),
        with(bad("scenario-bad-name", contracts, "c/a.toml:1"),
            "c/a.toml", "name = \"my scenario!\"\ndescription = \"d\"\n"),
        with(with(bad("scenario-duplicate-name", contracts, "c/b.toml:1"),
            "c/a.toml", scenario(VALID)), "c/b.toml", scenario(VALID)),
        bad("contracts-dir-missing", contracts, "--contracts"),
        with(bad("snapshot-corrupt-yaml", snap_run, "s/join__book.snap"),
            "s/join__book.snap", "---\nsource: [unclosed\n---\nstatus: 200\n"),
        with(with(with(bad("snapshot-without-header", snap_run, "s/join__book.snap"),
            "s/join__book.snap", "garbage \u{1} not a snapshot\n"),
            "s/join__check-in.snap", approved("check-in")),
            "s/join__walk-in.snap", approved("walk-in")),
        bad("unknown-flag", &["run", "--frobnicate"], "--frobnicate"),
        bad("misspelt-flag", &["run", "--timout", "5s"], "--timout"),
        bad("unknown-verb", &["frobnicate"], "frobnicate"),
        bad("flag-value-not-a-number", &["run", "--concurrency", "many"], "--concurrency"),
        bad("unknown-check", &["run", "--only", "fast-answers"], "--only"),
        bad("expect-without-equals", &["run", "--expect", "malformed-rejected"], "--expect"),
        bad("bad-timeout", &["run", "--timeout", "5 parsecs"], "--timeout"),
        bad("target-not-a-url", &["run", "--target", "his.example/webhook"], "target"),
        bad("target-not-http", &["run", "--target", "ftp://his.example/webhook"], "target"),
        bad("missing-secret-file", &["run", "--secret-file", "nope.key"], "--secret-file nope.key"),
        with(bad("empty-secret-file", &["run", "--secret-file", "empty.key"], "--secret-file empty.key"),
            "empty.key", "\n"),
        bad("report-dir-missing", &["run", "--json", "out/report.json"], "--json out/report.json"),
        with(bad("report-path-is-a-directory", &["run", "--junit", "reports"], "--junit reports"),
            "reports/keep.txt", "mine\n"),
        bad("header-without-colon", &["run", "--header", "X-Token"], "--header"),
        bad("state-url-without-id", &["run", "--target", "http://127.0.0.1:9/webhook", "--state-url", "http://127.0.0.1:9/state"], "--state-url"),
        bad("accept-in-ci", &["run", "--accept"], "--accept"),
        with(bad("verify-ndjson-line-not-json", &["verify", "bodies.ndjson"], "bodies.ndjson:2"),
            "bodies.ndjson", "{\"payload\":{\"event\":\"x\"},\"signature\":\"ab\"}\nnot json at all\n"),
        with(bad("inspect-ndjson-line-not-json", &["inspect", "bodies.ndjson"], "bodies.ndjson:3"),
            "bodies.ndjson", "{\"event\":\"x\"}\n{\"event\":\"y\"}\n{\"event\":\n"),
        bad("verify-missing-file", &["verify", "missing.json"], "missing.json"),
        with(bad("sign-not-json", &["sign", "payload.json"], "payload.json:1"),
            "payload.json", "{event: live_queue_created}\n"),
        bad("generate-unknown-event", &["generate", "--event", "queue_joined"], "--event"),
    ]
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("chup-bad-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Every file under `dir` with the SHA-256 of its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                out.insert(p.clone(), "dir".to_owned());
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read file");
                out.insert(p, hex::encode(Sha256::digest(bytes)));
            }
        }
    }
    out
}

#[test]
fn every_broken_input_is_exit_2_with_one_line_naming_it() {
    let all = cases();
    assert!(all.len() >= 20, "at least 20 broken inputs");
    let mut messages = String::new();
    let mut problems = Vec::new();
    for case in &all {
        let dir = temp(case.name);
        for (path, text) in &case.files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write input");
        }
        let before = tree(&dir);
        let out = Command::new(env!("CARGO_BIN_EXE_chup-harness"))
            .args(&case.args)
            .env_remove("CHUP_SECRET")
            .env("CI", "true")
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        let stderr =
            String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "[DIR]");
        let code = out.status.code();
        if code != Some(2) {
            problems.push(format!(
                "{}: exit {code:?}, expected 2: {stderr}",
                case.name
            ));
        }
        if stderr.lines().count() != 1 {
            problems.push(format!(
                "{}: {} lines on stderr:\n{stderr}",
                case.name,
                stderr.lines().count()
            ));
        }
        if !stderr.contains(case.names) {
            problems.push(format!(
                "{}: the message does not name {:?}: {stderr}",
                case.name, case.names
            ));
        }
        if stderr.contains("panicked") {
            problems.push(format!("{}: panic: {stderr}", case.name));
        }
        if tree(&dir) != before {
            problems.push(format!(
                "{}: files in the working directory changed",
                case.name
            ));
        }
        messages.push_str(&format!("{}: {}\n", case.name, stderr.trim_end()));
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    insta::assert_snapshot!("messages", messages);
}
