//! The secret and the credentials of target URLs never appear in any output.
//! The whole suite runs with a recognisable secret, basic-auth credentials
//! and a query token, against the built-in reference receiver, a reference
//! receiver in its own process, and a receiver that echoes everything it was
//! sent (and its own secret) back; then every artefact is searched: stdout,
//! stderr, the JSON and JUnit reports, every pending snapshot and any other
//! file the run left. Reports carry the secret's fingerprint instead.

use chup_harness::signing::Secret;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "S3CRET-canary-7f3a";
const USER: &str = "user-canary-41b0";
const PASSWORD: &str = "PW-canary-91c2";
const TOKEN: &str = "TOKEN-canary-5d8e";
/// `USER:PASSWORD` in base64, as an echoed basic-auth header shows it.
const BASIC: &str = "dXNlci1jYW5hcnktNDFiMDpQVy1jYW5hcnktOTFjMg==";
const CANARIES: [&str; 5] = [SECRET, USER, PASSWORD, TOKEN, BASIC];

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chup-harness"));
    c.env_remove("CHUP_SECRET").env_remove("CI");
    c
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("chup-secrets-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A reference receiver in its own process; killed on drop.
struct Reference {
    child: Child,
    addr: String,
    stdout: String,
}

impl Reference {
    fn start() -> Reference {
        let mut child = bin()
            .args([
                "reference-his",
                "--listen",
                "127.0.0.1:0",
                "--secret",
                SECRET,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("reference starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a first line").expect("utf8");
        let second = lines.next().expect("a second line").expect("utf8");
        let url = first.rsplit(' ').next().expect("url");
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches("/webhook")
            .to_owned();
        Reference {
            child,
            addr,
            stdout: format!("{first}\n{second}\n"),
        }
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file under `dir`, as text.
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned();
                out.push((p, text));
            }
        }
    }
    out
}

/// Runs the suite in `dir` with reports and snapshots there; returns the
/// output and every artefact by name.
fn run_suite(dir: &Path, extra: &[&str]) -> (Output, Vec<(String, String)>) {
    let out = bin()
        .args(["run", "--secret", SECRET, "--timeout", "2s"])
        .args([
            "--json",
            "report.json",
            "--junit",
            "report.xml",
            "--snapshots",
            "snaps",
        ])
        .args(extra)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    let mut artefacts = vec![
        (
            "stdout".to_owned(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ),
        (
            "stderr".to_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    ];
    for (p, text) in files(dir) {
        artefacts.push((p.display().to_string(), text));
    }
    (out, artefacts)
}

fn assert_clean(tag: &str, artefacts: &[(String, String)]) {
    let mut leaks = Vec::new();
    for (name, text) in artefacts {
        for c in CANARIES {
            if text.contains(c) {
                leaks.push(format!("{tag}: {c} in {name}"));
            }
        }
    }
    assert!(leaks.is_empty(), "leaked:\n{}", leaks.join("\n"));
}

fn assert_fingerprint(tag: &str, dir: &Path) {
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report.json")).expect("a JSON report"),
    )
    .expect("JSON");
    assert_eq!(
        json["meta"]["secret_fingerprint"],
        Secret::new(SECRET).fingerprint(),
        "{tag}: the report carries the secret's fingerprint"
    );
}

#[test]
fn a_run_against_the_built_in_receiver_leaks_nothing() {
    let dir = temp("builtin");
    let (out, artefacts) = run_suite(&dir, &[]);
    // New snapshots are pending (exit 1), but everything was sent.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{artefacts:?}");
    assert!(
        artefacts.iter().any(|(n, _)| n.ends_with(".snap.new")),
        "pending snapshots were written"
    );
    assert!(artefacts.len() > 4, "reports and snapshots were written");
    assert_clean("builtin", &artefacts);
    assert_fingerprint("builtin", &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn credentials_in_target_and_state_urls_never_show() {
    let reference = Reference::start();
    let dir = temp("target");
    let target = format!(
        "http://{USER}:{PASSWORD}@{}/webhook?token={TOKEN}",
        reference.addr
    );
    let state = format!(
        "http://{USER}:{PASSWORD}@{}/{{kind}}/{{id}}?token={TOKEN}",
        reference.addr
    );
    let (out, mut artefacts) = run_suite(&dir, &["--target", &target, "--state-url", &state]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{artefacts:?}");
    let stdout = &artefacts[0].1;
    assert!(
        stdout.contains("***:***@"),
        "the target is shown redacted: {stdout}"
    );
    artefacts.push(("reference-his stdout".to_owned(), reference.stdout.clone()));
    assert_clean("target", &artefacts);
    assert_fingerprint("target", &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Answers 400 quoting the request line, the headers, and its own secret,
/// as a careless receiver's error page might.
async fn echo_receiver() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let head = head
                    .split("\r\n\r\n")
                    .next()
                    .unwrap_or("")
                    .replace(['\r', '"'], "");
                let body = format!(
                    "{{\"error\":\"bad signature, expected HMAC with key {SECRET}\",\"request\":\"{}\"}}",
                    head.replace('\n', " | ")
                );
                let answer = format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_receiver_echoes_back_is_scrubbed() {
    let (addr, server) = echo_receiver().await;
    let dir = temp("echo");
    let target = format!("http://{USER}:{PASSWORD}@{addr}/webhook?token={TOKEN}");
    let d = dir.clone();
    let (out, artefacts) =
        tokio::task::spawn_blocking(move || run_suite(&d, &["--target", &target]))
            .await
            .expect("run");
    assert_eq!(out.status.code(), Some(1), "{artefacts:?}");
    let stdout = &artefacts[0].1;
    // The echo was read and reported, with the sensitive parts replaced.
    assert!(
        stdout.contains("expected HMAC with key ***"),
        "the echoed body is in the report: {stdout}"
    );
    assert_clean("echo", &artefacts);
    assert_fingerprint("echo", &dir);
    server.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generate_sign_and_verify_never_print_the_secret() {
    let gen = bin()
        .args([
            "generate", "--count", "3", "--seed", "7", "--secret", SECRET,
        ])
        .output()
        .expect("generate");
    assert_eq!(gen.status.code(), Some(0));
    let mut verify = bin()
        .args(["verify", "--secret", "wrong-secret-zz"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("verify");
    std::io::Write::write_all(verify.stdin.as_mut().expect("stdin"), &gen.stdout).expect("feed");
    drop(verify.stdin.take());
    let verify = verify.wait_with_output().expect("verify ends");
    assert_eq!(verify.status.code(), Some(1));
    let artefacts: Vec<(String, String)> = [
        ("generate stdout", &gen.stdout),
        ("generate stderr", &gen.stderr),
        ("verify stdout", &verify.stdout),
        ("verify stderr", &verify.stderr),
    ]
    .into_iter()
    .map(|(n, b)| (n.to_owned(), String::from_utf8_lossy(b).into_owned()))
    .collect();
    assert_clean("verbs", &artefacts);
}
