//! `chup-harness fuzz` and `replay` as a user runs them: exit codes, the
//! seed and coverage lines, the shrunk list of deliveries, the replay file
//! and its replay; and the committed regression replays under
//! `contracts/replays/`, which the correct receiver passes and the faulty
//! one each names fails.

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
    let d = std::env::temp_dir().join(format!("chup-cli-fuzz-{tag}-{}", std::process::id()));
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
fn fuzz_without_a_target_passes_and_prints_seed_and_coverage() {
    let dir = temp("ok");
    let d = dir.display().to_string();
    let out = run(&["fuzz", "--cases", "20", "--seed", "5", "--replay-dir", &d]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("passed: 20 cases"), "{stdout}");
    assert!(stdout.contains("cases/s"), "{stdout}");
    assert!(stdout.contains("coverage: states "), "{stdout}");
    assert!(stdout.contains("seed 5 (rerun: chup-harness fuzz --seed 5 --cases 20"));
    assert!(text(&out.stderr).contains("seed 5"));
    assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 0);
}

#[test]
fn a_faulty_receiver_fails_with_a_shrunk_list_and_a_replay_file_that_reproduces() {
    let r = Reference::start(&["--fault", "stale-update-wins"]);
    let dir = temp("fail");
    let d = dir.display().to_string();
    let out = run(&[
        "fuzz",
        "--target",
        &r.url,
        "--state-url",
        &r.state,
        "--seed",
        "1",
        "--replay-dir",
        &d,
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("FAILED: case "), "{stdout}");
    assert!(stdout.contains("\n  1. payload "), "{stdout}");
    assert!(stdout.contains("the receiver shows state"), "{stdout}");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = files[0].display().to_string();
    assert!(stdout.contains(&format!("replay file: {file}")), "{stdout}");

    // A fresh faulty receiver: the bytes alone reproduce the failure.
    let again = Reference::start(&["--fault", "stale-update-wins"]);
    let out = run(&[
        "replay",
        &file,
        "--target",
        &again.url,
        "--state-url",
        &again.state,
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("the recorded failure reproduces"),
        "{stdout}"
    );
    // The built-in (correct) receiver passes it.
    let out = run(&["replay", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn committed_replays_pass_the_reference_and_fail_the_fault_they_name() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/replays");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("contracts/replays") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        seen += 1;
        let file = path.display().to_string();
        let out = run(&["replay", &file, "--resign"]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", text(&out.stdout));
        let fault = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("named after its fault");
        // A race may not happen on one firing: five tries.
        let reproduced = (0..5).any(|_| {
            let r = Reference::start(&["--fault", fault]);
            let out = run(&["replay", &file, "--target", &r.url, "--state-url", &r.state]);
            out.status.code() == Some(1)
        });
        assert!(reproduced, "{file} does not fail a receiver with {fault}");
    }
    assert!(seen >= 3, "{seen} committed replays");
}

#[test]
fn bad_flags_and_files_exit_two_and_an_unreachable_target_three() {
    for (args, says) in [
        (&["fuzz", "--shard", "3/2"][..], "--shard"),
        (&["fuzz", "--faults", "drop"][..], "unknown fault"),
        (&["fuzz", "--patients", "0"][..], "--patients"),
        (
            &["replay", "no-such-replay.json"][..],
            "no-such-replay.json",
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = run(&[
        "fuzz",
        "--target",
        "http://127.0.0.1:9/webhook",
        "--cases",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("unreachable"));
}

#[test]
fn a_replay_signed_with_another_secret_needs_that_secret_or_resign() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contracts/replays/stale-update-wins.json")
        .display()
        .to_string();
    let out = run(&["replay", &file, "--secret", "another-secret"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--resign"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["replay", &file, "--secret", "another-secret", "--resign"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn help_teaches_faults_and_exit_codes() {
    let out = run(&["fuzz", "--help"]);
    let help = text(&out.stdout);
    for word in [
        "--shard",
        "--faults",
        "duplicate-later",
        "replay",
        "Exit codes",
    ] {
        assert!(help.contains(word), "fuzz --help lacks {word}");
    }
    let help = text(&run(&["replay", "--help"]).stdout);
    assert!(help.contains("byte for byte") && help.contains("Exit codes"));
}
