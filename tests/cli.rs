//! The binary's sign, verify and inspect verbs: exit codes and messages, run
//! as a user would, with a scrubbed environment.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chup-harness"));
    c.env_remove("CHUP_SECRET").env_remove("CI");
    c
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    // A child that fails before reading its input closes the pipe: not an error here.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    child.wait_with_output().expect("finishes")
}

fn seed(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seed")
        .join(name)
        .display()
        .to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn sign_then_verify_round_trips_under_both_profiles() {
    for profile in ["compact", "php"] {
        let signed = run(
            &["sign", "--signing", profile, &seed("04-serving.json")],
            b"",
        );
        assert_eq!(signed.status.code(), Some(0), "{}", text(&signed.stderr));
        assert!(text(&signed.stdout).starts_with("{\"payload\":{\"event\":\"live_queue_updated\""));
        let verified = run(&["verify", "-"], &signed.stdout);
        assert_eq!(
            verified.status.code(),
            Some(0),
            "{}",
            text(&verified.stdout)
        );
        assert!(text(&verified.stdout).contains("valid: signature matches the raw payload bytes"));
    }
}

#[test]
fn verify_with_the_wrong_secret_exits_one_and_says_what_was_tried() {
    let signed = run(&["sign", "--secret", "one", &seed("01-join.json")], b"");
    let out = run(&["verify", "--secret", "two"], &signed.stdout);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("does not match; tried raw payload bytes, profile compact, profile php"),
        "{stdout}"
    );
    assert!(
        !text(&out.stderr).contains("two"),
        "the secret must never be printed"
    );
}

#[test]
fn verify_reads_the_secret_from_env_and_file() {
    let signed = run(
        &["sign", "--secret", "from-env"],
        std::fs::read(seed("01-join.json"))
            .expect("seed")
            .as_slice(),
    );
    let mut c = bin();
    let out = c
        .env("CHUP_SECRET", "from-env")
        .args(["verify"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut ch| {
            ch.stdin.take().expect("stdin").write_all(&signed.stdout)?;
            ch.wait_with_output()
        })
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let dir = std::env::temp_dir().join(format!("chup-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, "from-env\n").expect("write");
    let out = run(
        &[
            "verify",
            "--secret-file",
            &secret_file.display().to_string(),
        ],
        &signed.stdout,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let missing = run(
        &["verify", "--secret-file", "/nonexistent/secret"],
        &signed.stdout,
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read --secret-file /nonexistent/secret"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn verify_names_each_signature_problem() {
    let cases: &[(&str, &str)] = &[
        (r#"{"payload":{"event":"x"}}"#, "no \"signature\" field"),
        (
            r#"{"payload":{"event":"x"},"signature":"abc"}"#,
            "has 3 hex digits, expected 64",
        ),
        (
            r#"{"payload":{"event":"x"},"signature":"xyz"}"#,
            "not hexadecimal",
        ),
    ];
    for (body, reason) in cases {
        let out = run(&["verify"], body.as_bytes());
        assert_eq!(out.status.code(), Some(1), "{body}");
        assert!(text(&out.stdout).contains(reason), "{}", text(&out.stdout));
    }
}

#[test]
fn verify_of_ndjson_names_the_bad_line_and_exits_two() {
    let out = run(
        &["verify"],
        b"{\"payload\":{}}\n{\"payload\":{}}\n{not json\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("chup-harness: error: <stdin>:3:"), "{err}");
    assert_eq!(err.lines().count(), 1, "one-line error: {err}");
}

#[test]
fn inspect_reports_event_dialects_and_violations() {
    let out = run(&["inspect", &seed("00-overview.json")], b"");
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(s.contains("live_queue_updated"), "{s}");
    assert!(
        s.contains("state:object") && s.contains("notes:collection"),
        "{s}"
    );
    assert!(s.contains("violations: none"), "{s}");

    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(seed("05-served.json")).expect("seed"))
            .expect("json");
    v["payload"]["data"]["state_name"] = "Serving".into();
    let out = run(&["inspect", "-"], v.to_string().as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(
        "payload.data.state_name: \"Serving\" does not name value 5 (expected \"Served\")"
    ));
}

#[test]
fn inspect_of_a_missing_file_is_a_one_line_usage_error() {
    let out = run(&["inspect", "/nonexistent/body.json"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.trim(), "chup-harness: error: cannot read /nonexistent/body.json (check the path, or give - to read standard input): No such file or directory (os error 2)");
}

#[test]
fn unknown_flags_exit_two() {
    let out = run(&["verify", "--frobnicate"], b"");
    assert_eq!(out.status.code(), Some(2));
}
