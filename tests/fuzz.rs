//! Property-based journeys against the reference receiver: the correct one
//! passes; each stateful fault (a stale update wins, a second create of an
//! id fails, concurrent updates get lost) is found by the default run,
//! shrunk to at most 4 deliveries, written as a replay file, and the
//! replay reproduces it against the faulty receiver and passes against the
//! correct one.

use chup_harness::fuzz::{self, FaultKind, FuzzConfig, FuzzReport, PlanOptions, Shard};
use chup_harness::model::DialectMode;
use chup_harness::reference::{self, Faults, ReferenceConfig, RunningReference};
use chup_harness::replay::{self, ReplayFile};
use chup_harness::signing::{Profile, Secret};
use chup_harness::transport::Target;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static NEXT: AtomicU64 = AtomicU64::new(0);

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "chup-fuzz-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

async fn receiver(faults: Faults, secret: &Secret) -> RunningReference {
    let cfg = ReferenceConfig {
        faults,
        secret: secret.clone(),
        ..ReferenceConfig::default()
    };
    reference::start(cfg, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("reference starts")
}

/// The configuration `chup-harness fuzz` uses by default (see fuzz_cmd).
fn default_config(r: &RunningReference, seed: u64, replay_dir: &Path) -> FuzzConfig {
    FuzzConfig {
        target: Target::parse(&r.webhook_url()).expect("target URL"),
        state_url: Some(r.state_url_template()),
        secret: Secret::default(),
        profile: Profile::Compact,
        mode: DialectMode::Mixed,
        timeout: Duration::from_secs(5),
        seed,
        cases: 100,
        shard: Shard::ALL,
        plan: PlanOptions {
            patients: 3,
            max_steps: 24,
            faults: FaultKind::ALL.into_iter().collect(),
        },
        id_base: 500_000_000 + NEXT.fetch_add(1, Ordering::Relaxed) * 10_000_000,
        start_unix: 1_796_400_000,
        max_shrink_iters: 1024,
        replay_dir: Some(replay_dir.to_owned()),
        rerun: "chup-harness fuzz".to_owned(),
    }
}

fn explain(r: &FuzzReport) -> String {
    match &r.failure {
        None => "passed".to_owned(),
        Some(f) => format!(
            "{}\n{}",
            f.schedule.render().join("\n"),
            f.problems
                .iter()
                .map(|p| p.0.clone())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_reference_passes_a_hundred_cases_and_covers_the_model() {
    let r = receiver(Faults::default(), &Secret::default()).await;
    let dir = temp_dir("pass");
    let config = default_config(&r, 7, &dir);
    let report = fuzz::fuzz(config.clone()).await.expect("runs");
    r.shutdown().await;
    assert!(report.passed(), "{}", explain(&report));
    assert_eq!(report.cases_run, 100);
    assert!(report.observed);
    assert!(
        report.deliveries > 1_000,
        "{} deliveries",
        report.deliveries
    );
    assert!(!dir.exists(), "a passing run writes no replay file");
    let line = report.coverage.line(&config.plan.faults);
    assert_eq!(
        line,
        "coverage: states 8/8, transitions 14/14, dialects 14/14, faults 5/5"
    );
}

/// Finds the fault with the default run, checks the shrunk failure and its
/// replay file, and returns the file.
async fn finds_and_shrinks(faults: Faults, seed: u64) -> (ReplayFile, PathBuf) {
    let r = receiver(faults, &Secret::default()).await;
    let dir = temp_dir("fault");
    let report = fuzz::fuzz(default_config(&r, seed, &dir))
        .await
        .expect("runs");
    r.shutdown().await;
    let failure = report
        .failure
        .as_ref()
        .unwrap_or_else(|| panic!("fault {faults} not found in {} cases", report.cases_run));
    let shrunk = failure.schedule.deliveries();
    assert!(
        shrunk <= 4,
        "fault {faults} shrunk only to {shrunk} deliveries:\n{}",
        explain(&report)
    );
    assert!(failure.original_deliveries >= shrunk);
    let path = failure
        .replay_file
        .clone()
        .unwrap_or_else(|| panic!("no replay file: {:?}", failure.replay_error));
    assert!(path.starts_with(&dir));
    let file = ReplayFile::read(&path).expect("the replay file reads back");
    assert_eq!(file.schedule, failure.schedule);
    assert_eq!(file.seed, seed);
    assert_eq!(file.problems.len(), failure.problems.len());
    (file, dir)
}

/// Replays against a fresh receiver with `faults`; true if it failed.
async fn replay_fails(file: &ReplayFile, faults: Faults) -> bool {
    let r = receiver(faults, &Secret::default()).await;
    let target = Target::parse(&r.webhook_url()).expect("target");
    let outcome = replay::replay(
        file,
        &target,
        Some(&r.state_url_template()),
        Duration::from_secs(5),
    )
    .await
    .expect("replays");
    r.shutdown().await;
    assert_eq!(outcome.deliveries, file.schedule.deliveries());
    !outcome.passed()
}

/// A race (a concurrent slot, an abandoned attempt) may not happen on a
/// given firing of the same bytes; it gets three tries. Anything else must
/// reproduce at once.
async fn check_fault(faults: Faults, seed: u64) {
    let (file, dir) = finds_and_shrinks(faults, seed).await;
    let timing = file
        .schedule
        .slots
        .iter()
        .any(|s| s.concurrent || s.attempts.iter().any(|a| a.abandon_after_ms.is_some()));
    let tries = if timing { 3 } else { 1 };
    let mut reproduced = false;
    for _ in 0..tries {
        if replay_fails(&file, faults).await {
            reproduced = true;
            break;
        }
    }
    assert!(
        reproduced,
        "replay did not reproduce {faults}: {:?}",
        file.plan
    );
    assert!(
        !replay_fails(&file, Faults::default()).await,
        "the correct receiver fails the replay of {faults}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_shrinks_and_replays_a_stale_update_that_wins() {
    let faults = Faults {
        stale_update_wins: true,
        ..Faults::default()
    };
    for seed in [1, 2] {
        check_fault(faults, seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_shrinks_and_replays_a_failing_second_create() {
    let faults = Faults {
        fail_duplicate_create: true,
        ..Faults::default()
    };
    for seed in [1, 2] {
        check_fault(faults, seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_shrinks_and_replays_a_lost_concurrent_update() {
    let faults = Faults {
        lose_concurrent_update: true,
        ..Faults::default()
    };
    for seed in [1, 2] {
        check_fault(faults, seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_files_hold_neither_the_secret_nor_url_credentials() {
    let secret = Secret::new("a-very-private-key-123");
    let r = receiver(
        Faults {
            fail_duplicate_create: true,
            ..Faults::default()
        },
        &secret,
    )
    .await;
    let dir = temp_dir("secret");
    let with_creds =
        r.webhook_url().replace("http://", "http://clinic:hunter2@") + "?token=tok-456";
    let mut config = default_config(&r, 1, &dir);
    config.target = Target::parse(&with_creds).expect("target");
    config.secret = secret.clone();
    let report = fuzz::fuzz(config).await.expect("runs");
    r.shutdown().await;
    let path = report
        .failure
        .and_then(|f| f.replay_file)
        .expect("a failure with a replay file");
    let text = std::fs::read_to_string(&path).expect("reads");
    for leak in ["a-very-private-key-123", "hunter2", "tok-456"] {
        assert!(!text.contains(leak), "{leak} in the replay file");
    }
    assert!(text.contains(&secret.fingerprint()));
    assert!(text.contains("***"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_split_the_cases_between_them() {
    let r = receiver(Faults::default(), &Secret::default()).await;
    let dir = temp_dir("shard");
    let mut ran = 0;
    for index in 0..3 {
        let mut c = default_config(&r, 3, &dir);
        c.cases = 10;
        c.shard = Shard { index, count: 3 };
        let report = fuzz::fuzz(c).await.expect("runs");
        assert!(report.passed(), "{}", explain(&report));
        ran += report.cases_run;
    }
    r.shutdown().await;
    // Cases 0..10 split 4 + 3 + 3.
    assert_eq!(ran, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_is_an_error_not_a_failure() {
    let r = receiver(Faults::default(), &Secret::default()).await;
    let dir = temp_dir("down");
    let config = default_config(&r, 1, &dir);
    r.shutdown().await;
    match fuzz::fuzz(config).await {
        Err(fuzz::FuzzError::Unreachable { .. }) => {}
        other => panic!("expected unreachable, got {:?}", other.map(|r| r.passed())),
    }
}
