//! The `fuzz` and `replay` verbs: flags to a validated `FuzzConfig`, the
//! embedded reference receiver when no target is given, the report on the
//! terminal, and the exit code.

use crate::cli::{DialectArg, SecretArgs, SigningArg, EXIT_CODES};
use anyhow::{bail, Context, Result};
use chup_harness::exit_code;
use chup_harness::fuzz::{self, FaultKind, FuzzConfig, PlanOptions, Shard};
use chup_harness::reference::{self, ReferenceConfig};
use chup_harness::replay::{self, ReplayFile};
use chup_harness::signing::Secret;
use chup_harness::transport::{redact_url_text, Target};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

const FUZZ_ABOUT: &str = "\
Faults (--faults, comma list, `all` or `none`): duplicate (the same bytes again at once), \
duplicate-later (again after up to 4 later deliveries), reorder (held back behind up to 4 later \
deliveries), retry (a first attempt abandoned after 1-20 ms, then the same bytes again: what a receiver \
sees when the sender retries after a timeout or a non-2xx, the first attempt's effect committed or \
not), burst (2-6 deliveries in flight at once, launched newest first, 1 ms apart).

Every delivery must get a 2xx (an abandoned attempt may get none). With a state probe every visit \
and appointment must end in the state of its newest payload by updated_at, 404 if that deleted \
it. A failing case is shrunk to a minimal list of deliveries, printed, and written as a replay \
file (`chup-harness replay FILE` re-fires it byte for byte). Without --target the built-in \
reference receiver is started and tested, with its state probe.";

/// Fuzz a receiver with random patient journeys under delivery faults.
///
/// Draws cases of several patients' interleaved journeys through a
/// simulated clinic (join, alert, arrive, serve, served, move, no-show,
/// back from no-show, system cancel, patient cancel, book, reschedule,
/// check-in, deletes), every event valid and in order per visit, in any
/// dialect, each delivery clean or faulted; fires them and judges the
/// answers and the final states. The seed is always printed; the same seed
/// and flags draw the same cases. Every case uses record ids no other used.
#[derive(Args, Debug)]
#[command(after_help = format!("{FUZZ_ABOUT}\n\n{EXIT_CODES}"))]
pub struct FuzzArgs {
    /// The receiver's webhook URL; credentials in it are used and redacted
    /// [default: the built-in reference receiver].
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// State probe URL template with {kind} (visits|appointments) and {id}
    /// [default with the reference receiver: its probe].
    #[arg(long, value_name = "TEMPLATE")]
    pub state_url: Option<String>,
    /// How many cases (journey plans) to run.
    #[arg(long, default_value_t = 100)]
    pub cases: u64,
    /// Seed of the case generator [default: drawn and printed].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Patients per case (1-16).
    #[arg(long, default_value_t = 3)]
    pub patients: usize,
    /// Most steps (transitions) per case (1-900).
    #[arg(long, default_value_t = 24)]
    pub max_steps: usize,
    /// Delivery faults to draw from.
    #[arg(long, default_value = "all", value_name = "LIST")]
    pub faults: String,
    /// Run only share K of N of the cases (deterministic: case i runs in shard i mod N + 1).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Where replay files of failures are written.
    #[arg(long, default_value = "chup-failures", value_name = "DIR")]
    pub replay_dir: PathBuf,
    /// Which dialects of the real sender to produce.
    #[arg(long, value_enum, default_value_t = DialectArg::Mixed)]
    pub dialect: DialectArg,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// How payloads are encoded before signing.
    #[arg(long, value_enum, default_value_t)]
    pub signing: SigningArg,
    /// Connect and total timeout of each delivery (5s, 500ms).
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub timeout: String,
    /// Most shrink steps for a failing case.
    #[arg(long, default_value_t = 1024)]
    pub max_shrink: u32,
    /// First record id of the run [default: drawn per run].
    #[arg(long)]
    pub id_base: Option<u64>,
}

/// Re-fire a replay file written by `fuzz`, byte for byte, and judge it again.
///
/// Sends the recorded bodies with the recorded headers, in the recorded
/// order and concurrency (abandoned first attempts included), checks each
/// status class and, with a state probe, the final state of every record.
/// Replays need no secret (bodies are signed); the built-in reference
/// receiver must hold the secret the file was signed with (its fingerprint
/// is in the file).
#[derive(Args, Debug)]
#[command(
    after_help = "Exit codes: 0 the replay passes, 1 it fails, 2 usage or input error, 3 target unreachable."
)]
pub struct ReplayArgs {
    /// The replay file (JSON, from `fuzz`).
    pub file: PathBuf,
    /// The receiver's webhook URL [default: the built-in reference receiver].
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// State probe URL template with {kind} and {id} [default with the reference receiver: its probe].
    #[arg(long, value_name = "TEMPLATE")]
    pub state_url: Option<String>,
    /// The secret of the built-in reference receiver [default: as `fuzz`].
    #[command(flatten)]
    pub secret: SecretArgs,
    /// Timeout of each delivery [default: as recorded].
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Re-sign every body with the secret given (--secret, --secret-file,
    /// CHUP_SECRET), keeping the payload bytes: for committed regression
    /// files replayed against a receiver that holds another secret.
    #[arg(long)]
    pub resign: bool,
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The built-in reference receiver, when no target is given.
async fn target_or_reference(
    target: &Option<String>,
    state_url: &Option<String>,
    secret: &Secret,
) -> Result<(String, Option<String>, Option<reference::RunningReference>)> {
    Ok(match target {
        Some(t) => (t.clone(), state_url.clone(), None),
        None => {
            let config = ReferenceConfig {
                secret: secret.clone(),
                ..ReferenceConfig::default()
            };
            let running = reference::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
            let state = state_url
                .clone()
                .or_else(|| Some(running.state_url_template()));
            (running.webhook_url(), state, Some(running))
        }
    })
}

pub fn fuzz(a: FuzzArgs) -> Result<i32> {
    let secret = a.secret.resolve()?;
    let timeout = chup_harness::duration::parse(&a.timeout)
        .map_err(anyhow::Error::msg)
        .context("--timeout")?;
    let faults = FaultKind::parse_list(&a.faults)
        .map_err(anyhow::Error::msg)
        .context("--faults")?;
    let shard = match &a.shard {
        Some(s) => Shard::parse(s).map_err(anyhow::Error::msg)?,
        None => Shard::ALL,
    };
    if !(1..=fuzz::model::MAX_PATIENTS).contains(&a.patients) {
        bail!(
            "--patients {}: expected 1 to {}",
            a.patients,
            fuzz::model::MAX_PATIENTS
        );
    }
    if !(1..=fuzz::model::MAX_STEPS).contains(&a.max_steps) {
        bail!(
            "--max-steps {}: expected 1 to {}",
            a.max_steps,
            fuzz::model::MAX_STEPS
        );
    }
    if a.cases == 0 {
        bail!("--cases 0: nothing to run");
    }
    let seed = a.seed.unwrap_or_else(crate::cli::drawn_seed);
    let id_base = a.id_base.unwrap_or_else(|| {
        // Anywhere in [10^8, 2^31) with room for 100,000 executions, so
        // ids fit 32-bit columns; a run uses few ids (a stride of 32 per
        // execution by default), so two runs' ranges rarely overlap.
        let stride = fuzz::id_stride(a.max_steps);
        let top = (1u64 << 31) - stride * 100_000;
        100_000_000 + (crate::cli::drawn_seed() % ((top - 100_000_000) / stride)) * stride
    });
    let mut rerun = String::from("chup-harness fuzz");
    if let Some(t) = &a.target {
        rerun.push_str(&format!(" --target {}", redact_url_text(t)));
        if let Some(s) = &a.state_url {
            rerun.push_str(&format!(" --state-url '{}'", replay::shown_template(s)));
        }
    }
    rerun.push_str(&format!(
        " --seed {seed} --cases {} --patients {} --max-steps {} --faults {} --dialect {}",
        a.cases,
        a.patients,
        a.max_steps,
        if faults.is_empty() {
            "none".to_owned()
        } else {
            faults
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(",")
        },
        chup_harness::model::DialectMode::from(a.dialect)
    ));
    if a.signing != SigningArg::Compact {
        rerun.push_str(" --signing php");
    }
    if shard != Shard::ALL {
        rerun.push_str(&format!(" --shard {shard}"));
    }
    eprintln!("chup-harness fuzz: seed {seed}, id base {id_base}");
    let rt = crate::run_cmd::runtime()?;
    let outcome = rt.block_on(async {
        let (url, state_url, reference) =
            target_or_reference(&a.target, &a.state_url, &secret).await?;
        let config = FuzzConfig {
            target: Target::parse(&url)?,
            state_url,
            secret: secret.clone(),
            profile: a.signing.into(),
            mode: a.dialect.into(),
            timeout,
            seed,
            cases: a.cases,
            shard,
            plan: PlanOptions {
                patients: a.patients,
                max_steps: a.max_steps,
                faults,
            },
            id_base,
            start_unix: now_unix(),
            max_shrink_iters: a.max_shrink,
            replay_dir: Some(a.replay_dir.clone()),
            rerun,
        };
        eprintln!(
            "target {}{}; {} cases (shard {shard}), {} patients, up to {} steps, secret {}",
            config.target.shown(),
            if a.target.is_none() {
                " (built-in reference receiver)"
            } else {
                ""
            },
            a.cases,
            a.patients,
            a.max_steps,
            secret.fingerprint()
        );
        let report = fuzz::fuzz(config.clone()).await;
        if let Some(r) = reference {
            r.shutdown().await;
        }
        Ok::<_, anyhow::Error>((report, config))
    })?;
    let (report, config) = outcome;
    let report = match crate::cli::settle(report)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    crate::cli::print_report(&report.render(&config));
    Ok(if report.passed() {
        exit_code::SUCCESS
    } else {
        exit_code::FAILED
    })
}

pub fn replay(a: ReplayArgs) -> Result<i32> {
    let mut file = ReplayFile::read(&a.file)?;
    let timeout = match &a.timeout {
        Some(t) => chup_harness::duration::parse(t)
            .map_err(anyhow::Error::msg)
            .context("--timeout")?,
        None => file.timeout(),
    };
    let secret = a.secret.resolve()?;
    if a.resign {
        file.resign(&secret)?;
    }
    if a.target.is_none() && secret.fingerprint() != file.secret_fingerprint {
        bail!(
            "{} was signed with secret {}, the built-in reference receiver would hold {}: \
             pass that secret (--secret, --secret-file or CHUP_SECRET), or --resign",
            a.file.display(),
            file.secret_fingerprint,
            secret.fingerprint()
        );
    }
    let rt = crate::run_cmd::runtime()?;
    let outcome = rt.block_on(async {
        let (url, state_url, reference) =
            target_or_reference(&a.target, &a.state_url, &secret).await?;
        let target = Target::parse(&url)?;
        println!(
            "replay {}: {} deliveries (seed {}, case {}, harness {}) at {}",
            a.file.display(),
            file.schedule.deliveries(),
            file.seed,
            file.case,
            file.harness_version,
            target.shown()
        );
        for line in &file.plan {
            println!("  {line}");
        }
        let outcome = replay::replay(&file, &target, state_url.as_deref(), timeout).await;
        if let Some(r) = reference {
            r.shutdown().await;
        }
        Ok::<_, anyhow::Error>(outcome)
    })?;
    let outcome = match crate::cli::settle(outcome)? {
        Ok(o) => o,
        Err(code) => return Ok(code),
    };
    let verdict = |passed: bool| if passed { "passed" } else { "failed" };
    println!(
        "recorded verdict: {} ({} problems)",
        verdict(file.problems.is_empty()),
        file.problems.len()
    );
    for p in &file.problems {
        println!("  - {p}");
    }
    println!(
        "replay verdict: {} ({} problems){}",
        verdict(outcome.passed()),
        outcome.problems.len(),
        if outcome.observed {
            ""
        } else {
            "; final states not observed (no --state-url)"
        }
    );
    for p in &outcome.problems {
        println!("  - {}", p.0);
    }
    println!(
        "{}",
        match (file.problems.is_empty(), outcome.passed()) {
            (false, false) => "the recorded failure reproduces",
            (false, true) => "the recorded failure does not reproduce: this receiver passes",
            (true, false) => "this receiver fails, though the recording passed",
            (true, true) => "passes, as recorded",
        }
    );
    Ok(if outcome.passed() {
        exit_code::SUCCESS
    } else {
        exit_code::FAILED
    })
}
