//! `chup-harness run`, `reference-his` and `generate` as a user runs them:
//! exit codes, what the report names, the files it writes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chup-harness"));
    c.env_remove("CHUP_SECRET")
        .env("CI", "true")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("chup-cli-run-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A reference receiver in its own process, on a free port; killed on drop.
struct Reference {
    child: Child,
    url: String,
    state: String,
}

impl Reference {
    fn start(extra: &[&str]) -> Reference {
        let mut child = bin()
            .args(["reference-his", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("reference starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = lines.next().expect("a first line").expect("utf8");
        let state = lines.next().expect("a second line").expect("utf8");
        Reference {
            child,
            url: url.rsplit(' ').next().expect("url").to_owned(),
            state: state
                .split('\'')
                .nth(1)
                .expect("quoted template")
                .to_owned(),
        }
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn run_without_a_target_passes_against_the_built_in_receiver_and_writes_reports() {
    let dir = temp("ok");
    let (json, junit) = (dir.join("r.json"), dir.join("r.xml"));
    let out = run(&[
        "run",
        "--json",
        &json.display().to_string(),
        "--junit",
        &junit.display().to_string(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("result: PASSED"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json");
    assert_eq!(report["passed"], true);
    assert_eq!(report["checks"].as_array().map(Vec::len), Some(12));
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("<testsuite name=\"duplicate-idempotent\"") && !xml.contains("<failure"),
        "{xml}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_receiver_letting_stale_updates_win_fails_naming_check_and_step() {
    let r = Reference::start(&["--fault", "stale-update-wins"]);
    let out = run(&[
        "run",
        "--target",
        &r.url,
        "--state-url",
        &r.state,
        "--skip",
        "snapshot-match",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("FAIL out-of-order-newest-wins: Alerted (older) arrives after Serving (newer)"),
        "{s}"
    );
    assert!(
        s.contains("should show state 4, the probe shows state 2"),
        "{s}"
    );
    assert!(
        s.contains("--only out-of-order-newest-wins"),
        "a rerun command: {s}"
    );
}

#[test]
fn a_receiver_ignoring_signatures_fails_the_signature_checks() {
    let r = Reference::start(&["--fault", "ignore-signature"]);
    let out = run(&["run", "--target", &r.url, "--skip", "snapshot-match"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(
        s.contains("FAIL bad-signature-rejected: live_queue_created signed with another secret"),
        "{s}"
    );
    assert!(s.contains("answered 200, expected 401, 403"), "{s}");
    assert!(s.contains("(effects not observed: no --state-url)"), "{s}");
}

#[test]
fn a_500_for_the_object_form_of_state_fails_dialects_accepted() {
    let r = Reference::start(&["--fault", "reject-state-object"]);
    let out = run(&["run", "--target", &r.url, "--only", "dialects-accepted"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(
        s.contains("FAIL dialects-accepted: visit in dialect state-object"),
        "{s}"
    );
    assert!(s.contains("answered 500"), "{s}");
}

#[test]
fn credentials_in_the_target_url_are_used_and_never_shown() {
    let r = Reference::start(&[]);
    let with_creds = r.url.replace("http://", "http://his-user:s3cr3t-pw@") + "?token=tok-98765";
    let out = run(&[
        "run",
        "--target",
        &with_creds,
        "--only",
        "malformed-rejected",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        !all.contains("s3cr3t-pw") && !all.contains("tok-98765") && !all.contains("his-user"),
        "{all}"
    );
    assert!(all.contains("token=***"), "{all}");
}

#[test]
fn an_unreachable_target_exits_three_with_one_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = run(&[
        "run",
        "--target",
        &format!("http://127.0.0.1:{port}/webhook"),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is unreachable"), "{err}");
}

#[test]
fn a_broken_contract_exits_two_naming_file_line_and_column() {
    let dir = temp("contract");
    std::fs::write(
        dir.join("mine.toml"),
        "name = \"mine\"\ndescription = \"x\"\n\n[[step]]\ndo = \"alert\"\nvisit = \"v9\"\n",
    )
    .expect("write");
    let before = std::fs::read(dir.join("mine.toml")).expect("read");
    let out = run(&["run", "--contracts", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("mine.toml:6:"), "{err}");
    assert_eq!(
        std::fs::read(dir.join("mine.toml")).expect("read"),
        before,
        "the user's file is untouched"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_flags_exit_two_with_what_to_do() {
    for (args, needle) in [
        (&["run", "--timeout", "soon"][..], "--timeout"),
        (&["run", "--only", "nope"][..], "unknown check \"nope\""),
        (&["run", "--scenario", "nope"][..], "not a known scenario"),
        (&["run", "--target", "not a url"][..], "is not a URL"),
        (
            &["run", "--json", "/nonexistent/dir/r.json"][..],
            "does not exist",
        ),
        (
            &["run", "--expect", "malformed-rejected"][..],
            "CHECK=STATUSES",
        ),
        (&["run", "--accept"][..], "CI never writes snapshots"),
    ] {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stdout)
        );
        let err = text(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn generate_is_reproducible_and_valid() {
    let a = run(&[
        "generate",
        "--count",
        "50",
        "--seed",
        "42",
        "--dialect",
        "mixed",
    ]);
    let b = run(&[
        "generate",
        "--count",
        "50",
        "--seed",
        "42",
        "--dialect",
        "mixed",
    ]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout, "same seed, same bytes");
    assert_eq!(text(&a.stdout).lines().count(), 50);
    let dir = temp("gen");
    let file = dir.join("bodies.ndjson");
    std::fs::write(&file, &a.stdout).expect("write");
    let f = file.display().to_string();
    assert_eq!(run(&["verify", &f]).status.code(), Some(0));
    assert_eq!(run(&["inspect", &f]).status.code(), Some(0));
    let unseeded = run(&["generate", "--count", "1"]);
    assert!(
        text(&unseeded.stderr).contains("rerun with --seed"),
        "{}",
        text(&unseeded.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn list_names_every_scenario_and_check() {
    let out = run(&["run", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    for name in [
        "join",
        "no-show-cancelled-by-system",
        "journey-walk-in",
        "hostile-content-safe",
    ] {
        assert!(s.contains(name), "{name}: {s}");
    }
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots/reference")
        .is_dir());
}

#[test]
fn schema_writes_what_is_committed_under_contracts_schema() {
    let dir = temp("schema");
    let out = run(&["schema", "--out", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = text(&out.stdout);
    assert_eq!(written.lines().count(), 19, "{written}");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/schema");
    for line in written.lines() {
        let rel = Path::new(line).strip_prefix(&dir).expect("inside --out");
        assert_eq!(
            std::fs::read(line).expect("written"),
            std::fs::read(committed.join(rel)).expect("committed"),
            "{}",
            rel.display()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn load_rejects_a_bad_rate_and_an_unreachable_target() {
    let out = run(&[
        "load",
        "--target",
        "http://127.0.0.1:9/x",
        "--rate",
        "0",
        "--duration",
        "1s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--rate 0 must be a positive number"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = run(&[
        "load",
        "--target",
        &format!("http://127.0.0.1:{port}/"),
        "--rate",
        "10",
        "--duration",
        "1s",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
}
