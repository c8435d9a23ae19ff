//! The `run` and `reference-his` verbs: flags to a validated `RunConfig`,
//! the embedded reference receiver when no target is given, reports to
//! the terminal and to files, and the exit code.

use crate::cli::{SecretArgs, SigningArg, EXIT_CODES};
use anyhow::{bail, Context, Result};
use chup_harness::check::CheckId;
use chup_harness::exit_code;
use chup_harness::reference::{self, Faults, ReferenceConfig};
use chup_harness::runner::{self, RunConfig};
use chup_harness::scenario;
use chup_harness::snapshot::{Mode, Store};
use chup_harness::status::StatusSet;
use chup_harness::transport::Target;
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

const RUN_ABOUT: &str = "\
Checks: valid-accepted, bad-signature-rejected, missing-signature-rejected, malformed-rejected, \
unknown-event-accepted, duplicate-idempotent, out-of-order-newest-wins, dialects-accepted, \
burst-no-5xx, hostile-content-safe, latency-budget, snapshot-match (`--list` describes each).

Without --target the built-in reference receiver is started on a free loopback port and tested, \
with its state probe. Snapshots: new or changed responses are written as pending .snap.new files \
(review with `cargo insta review`, or accept with --accept); with CI=true nothing is written and a \
missing or changed snapshot fails.";

/// Run the contract suite against a receiver.
///
/// Fires every standard scenario (and those of --contracts) and every
/// protocol check of SPEC section 4 at the target, signed with the secret,
/// and judges the answers; with --state-url it also reads the receiver's
/// state to judge effects (a bad signature changed nothing, a duplicate had
/// no second effect, the newest state stands). Every run uses fresh record
/// ids (an id base printed in the report) and the run's own clock.
#[derive(Args, Debug)]
#[command(after_help = format!("{RUN_ABOUT}\n\n{EXIT_CODES}"))]
pub struct RunArgs {
    /// The receiver's webhook URL; credentials in it (user:pass@, ?token=) are used and redacted
    /// [default: the built-in reference receiver].
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// How payloads are encoded before signing.
    #[arg(long, value_enum, default_value_t)]
    pub signing: SigningArg,
    /// State probe URL template with {kind} (visits|appointments) and {id}, e.g.
    /// http://his.local/chup/{kind}/{id} [default with the reference receiver: its probe].
    #[arg(long, value_name = "TEMPLATE")]
    pub state_url: Option<String>,
    /// A directory of scenario files (*.toml) that add to or replace the standard ones by name.
    #[arg(long, value_name = "DIR")]
    pub contracts: Option<PathBuf>,
    /// Snapshot directory [default: snapshots/reference for the built-in receiver,
    /// snapshots/receiver with --target].
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Run only this scenario (repeatable); `none` runs no scenario.
    #[arg(long, value_name = "NAME")]
    pub scenario: Vec<String>,
    /// Run only this check (repeatable).
    #[arg(long, value_name = "CHECK")]
    pub only: Vec<String>,
    /// Skip this check (repeatable).
    #[arg(long, value_name = "CHECK")]
    pub skip: Vec<String>,
    /// Expected statuses of a check, e.g. malformed-rejected=400,401,422 or valid-accepted=2xx.
    #[arg(long, value_name = "CHECK=SET")]
    pub expect: Vec<String>,
    /// Connect and total timeout of each delivery (5s, 500ms, 1m).
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub timeout: String,
    /// Latency budget each answer must keep [default: the timeout].
    #[arg(long, value_name = "DURATION")]
    pub budget: Option<String>,
    /// Scenarios in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Stop sending after this many consecutive deliveries got no answer for the same reason
    /// (timeouts, refused connections, broken HTTP): the rest are reported as "skipped: receiver
    /// stopped answering" and the run exits 3. 0 never stops.
    #[arg(long, default_value_t = runner::DEFAULT_STOP_AFTER, value_name = "N")]
    pub stop_after: usize,
    /// Deliveries in flight at once in burst-no-5xx (at least 32).
    #[arg(long, default_value_t = 32)]
    pub burst: usize,
    /// An extra request header, `Name: value` (repeatable).
    #[arg(long, value_name = "HEADER")]
    pub header: Vec<String>,
    /// First record id of this run [default: drawn per run, below 2^31].
    #[arg(long)]
    pub id_base: Option<u64>,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write new or changed snapshots as approved (refused when CI=true).
    #[arg(long)]
    pub accept: bool,
    /// List the scenarios and checks, then exit.
    #[arg(long)]
    pub list: bool,
}

/// Run the reference receiver: a correct Chup webhook receiver to read and to test against.
///
/// POST /webhook takes signed webhooks; GET /visits/{id} and
/// GET /appointments/{id} are its state probe (use
/// --state-url http://ADDR/{kind}/{id}). Stops on Ctrl-C.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct ReferenceArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4020")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// Keep state in this SQLite file (default: in memory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Test-only: break the receiver on purpose (comma list), to see a check fail.
    #[arg(long, hide = true)]
    pub fault: Option<String>,
}

/// A first record id never used by an earlier run (drawn per run).
pub fn fresh_id_base() -> u64 {
    // Below 2^31 so a receiver keeping ids in 32-bit columns is not
    // failed for it; aligned so runs do not overlap.
    let span = runner::SCENARIO_ID_SPAN * 64;
    100_000_000 + (crate::cli::drawn_seed() % ((2_000_000_000 - 100_000_000) / span)) * span
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn reference_his(a: ReferenceArgs) -> Result<i32> {
    let faults = match &a.fault {
        Some(f) => Faults::parse_list(f)
            .map_err(anyhow::Error::msg)
            .context("--fault")?,
        None => Faults::default(),
    };
    let config = ReferenceConfig {
        secret: a.secret.resolve()?,
        db: a.db.clone(),
        faults,
        ..ReferenceConfig::default()
    };
    runtime()?.block_on(async {
        let running = reference::start(config, a.listen).await?;
        // A closed stdout (a parent that read the URL and left) must not
        // stop the receiver.
        let say = |line: String| {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}").and_then(|_| out.flush());
        };
        say(format!(
            "reference receiver: webhook {}",
            running.webhook_url()
        ));
        say(format!(
            "state probe: --state-url '{}'",
            running.state_url_template()
        ));
        if !faults.is_none() {
            say(format!("faults on purpose: {faults}"));
        }
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        running.shutdown().await;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(exit_code::SUCCESS)
}

fn checks_from(names: &[String], flag: &str) -> Result<BTreeSet<CheckId>> {
    names
        .iter()
        .flat_map(|n| n.split(','))
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            n.trim()
                .parse::<CheckId>()
                .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
        })
        .collect()
}

fn list(scenarios: &[scenario::ScenarioDef]) {
    println!("scenarios:");
    for s in scenarios {
        println!("  {:<32} {}", s.name(), s.description());
    }
    println!("\nchecks:");
    for c in CheckId::ALL {
        println!(
            "  {:<28} [{}] {}",
            c.name(),
            c.default_expect(),
            c.description()
        );
    }
}

/// Refuses a report path that cannot be written before anything is sent, so
/// a run is not wasted on a report that is then lost. Nothing is changed: an
/// existing file is opened for appending and not written; a file this check
/// creates is removed again.
fn writable_report(flag: &str, p: &std::path::Path) -> Result<()> {
    if p.is_dir() {
        bail!(
            "{flag} {} is a directory: give a file path, e.g. {}",
            p.display(),
            p.join(if flag == "--junit" {
                "report.xml"
            } else {
                "report.json"
            })
            .display()
        );
    }
    let existed = p.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(p)
        .with_context(|| {
            format!(
                "{flag} {} cannot be written (choose a path you can write to)",
                p.display()
            )
        })?;
    if !existed {
        let _ = std::fs::remove_file(p);
    }
    Ok(())
}

/// A scenario file error, with where to read the format.
fn contracts_error(dir: &std::path::Path, e: scenario::LoadError) -> anyhow::Error {
    match e {
        scenario::LoadError::Io { .. } => anyhow::Error::new(e).context(format!(
            "--contracts {}: give a readable directory of *.toml scenario files",
            dir.display()
        )),
        scenario::LoadError::At { .. } => {
            anyhow::anyhow!("{e}; fix the file (the scenario format is in contracts/README.md)")
        }
    }
}

pub fn run(a: RunArgs) -> Result<i32> {
    let secret = a.secret.resolve()?;
    let timeout = chup_harness::duration::parse(&a.timeout)
        .map_err(anyhow::Error::msg)
        .context("--timeout")?;
    let budget = match &a.budget {
        Some(b) => chup_harness::duration::parse(b)
            .map_err(anyhow::Error::msg)
            .context("--budget")?,
        None => timeout,
    };
    let mut scenarios = scenario::builtin();
    if let Some(dir) = &a.contracts {
        let extra = scenario::load_dir(dir).map_err(|e| contracts_error(dir, e))?;
        scenarios = scenario::merge(scenarios, extra);
    }
    if a.list {
        list(&scenarios);
        return Ok(exit_code::SUCCESS);
    }
    if !a.scenario.is_empty() {
        let wanted: Vec<&str> = a
            .scenario
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .collect();
        if wanted != ["none"] {
            for w in &wanted {
                if !scenarios.iter().any(|s| s.name() == *w) {
                    let known: Vec<&str> = scenarios.iter().map(|s| s.name()).collect();
                    bail!(
                        "--scenario {w:?} is not a known scenario (known: {})",
                        known.join(", ")
                    );
                }
            }
        }
        scenarios.retain(|s| wanted.contains(&s.name()));
    }
    let only = checks_from(&a.only, "--only")?;
    let skip = checks_from(&a.skip, "--skip")?;
    let mut selected: BTreeSet<CheckId> = if only.is_empty() {
        CheckId::ALL.into_iter().collect()
    } else {
        only
    };
    selected.retain(|c| !skip.contains(c));
    if selected.is_empty() {
        bail!("--only/--skip leave no check to run");
    }
    let mut expect = BTreeMap::new();
    for e in &a.expect {
        let (name, set) = e.split_once('=').with_context(|| {
            format!("--expect {e:?}: expected CHECK=STATUSES, e.g. malformed-rejected=400,422")
        })?;
        let check: CheckId = name
            .trim()
            .parse()
            .map_err(anyhow::Error::msg)
            .context("--expect")?;
        let set: StatusSet = set
            .parse()
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("--expect {e:?}"))?;
        expect.insert(check, set);
    }
    let mut headers = Vec::new();
    for h in &a.header {
        let (k, v) = h
            .split_once(':')
            .with_context(|| format!("--header {h:?}: expected `Name: value`"))?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if a.accept && ci {
        bail!(
            "--accept with CI set: CI never writes snapshots; accept them locally and commit them"
        );
    }
    let mode = if ci {
        Mode::Ci
    } else if a.accept {
        Mode::Accept
    } else {
        Mode::Pending
    };
    for (flag, path) in [("--json", &a.json), ("--junit", &a.junit)] {
        if let Some(p) = path {
            let parent = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            if !parent.is_dir() {
                bail!(
                    "{flag} {}: the directory {} does not exist; create it or choose another path",
                    p.display(),
                    parent.display()
                );
            }
            writable_report(flag, p)?;
        }
    }
    let default_snaps = if a.target.is_some() {
        "snapshots/receiver"
    } else {
        "snapshots/reference"
    };
    let snap_dir = a
        .snapshots
        .clone()
        .unwrap_or_else(|| PathBuf::from(default_snaps));
    let id_base = a.id_base.unwrap_or_else(fresh_id_base);
    let start_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();

    let rt = runtime()?;
    let outcome = rt.block_on(async {
        let (target_url, state_url, reference) = match &a.target {
            Some(t) => (t.clone(), a.state_url.clone(), None),
            None => {
                let config = ReferenceConfig {
                    secret: secret.clone(),
                    ..ReferenceConfig::default()
                };
                let running =
                    reference::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
                let state = a
                    .state_url
                    .clone()
                    .or_else(|| Some(running.state_url_template()));
                (running.webhook_url(), state, Some(running))
            }
        };
        let target = Target::parse(&target_url)?;
        let mut rerun = format!("chup-harness run --target {}", target.shown());
        if a.target.is_none() {
            rerun = "chup-harness run".to_owned();
        } else if let Some(s) = &state_url {
            rerun.push_str(&format!(
                " --state-url '{}'",
                chup_harness::transport::redact_url_text(s)
            ));
        }
        if a.signing != SigningArg::Compact {
            rerun.push_str(" --signing php");
        }
        let config = RunConfig {
            target,
            secret: secret.clone(),
            profile: a.signing.into(),
            state_url,
            timeout,
            budget,
            concurrency: a.concurrency.max(1),
            burst: a.burst.max(32),
            selected,
            expect,
            scenarios,
            snapshots: Store::new(snap_dir, mode),
            id_base,
            start_unix,
            headers,
            stop_after: a.stop_after,
            rerun,
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let tty = std::io::stderr().is_terminal();
        let printer = tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                if tty {
                    eprintln!("{}", chup_harness::report::progress_line(&e));
                }
            }
        });
        let report = runner::run(config, Some(tx)).await;
        let _ = printer.await;
        if let Some(r) = reference {
            r.shutdown().await;
        }
        Ok::<_, anyhow::Error>(report)
    })?;
    let report = match crate::cli::settle(outcome)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    crate::cli::print_report(&chup_harness::report::human(&report));
    if let Some(p) = &a.json {
        std::fs::write(p, chup_harness::report::json(&report))
            .with_context(|| format!("cannot write --json {}", p.display()))?;
    }
    if let Some(p) = &a.junit {
        std::fs::write(p, chup_harness::report::junit(&report))
            .with_context(|| format!("cannot write --junit {}", p.display()))?;
    }
    if let Some(stopped) = &report.stopped {
        eprintln!(
            "chup-harness: error: target {} {}; {} deliveries not sent: check that it is up and answers within --timeout {}",
            report.meta.target,
            stopped.reason.trim_start_matches("receiver "),
            stopped.skipped,
            a.timeout
        );
        return Ok(exit_code::UNREACHABLE);
    }
    Ok(if report.passed {
        exit_code::SUCCESS
    } else {
        exit_code::FAILED
    })
}
