//! The `load` verb: flags to a `LoadConfig`, a live progress line, the
//! summary and the JSON report.

use crate::cli::{SecretArgs, SigningArg, EXIT_CODES};
use anyhow::{Context, Result};
use chup_harness::exit_code;
use chup_harness::load::{self, LoadConfig, Mix};
use chup_harness::transport::Target;
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MixArg {
    /// Single events of the whole catalogue, generated at random.
    #[default]
    Events,
    /// The steps of the standard scenarios, in order.
    Scenarios,
}

/// Fire valid signed deliveries at a constant rate and measure the receiver.
///
/// An open model: delivery i is due at start + i/RATE whatever the receiver
/// does, and its latency is measured from that intended time (corrected for
/// coordinated omission, as wrk2 does), so a stalling receiver shows the
/// queue it causes. Prints p50/p90/p99/p99.9/max, the throughput achieved
/// and errors by kind. Exit 0 when no delivery met a 5xx, a transport error
/// or the deadline; 1 otherwise.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct LoadArgs {
    /// The receiver's webhook URL (credentials in it are used and redacted).
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// Deliveries per second.
    #[arg(long)]
    pub rate: f64,
    /// How long deliveries are scheduled (10s, 1m).
    #[arg(long, value_name = "DURATION")]
    pub duration: String,
    /// Deliveries in flight at once at most.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// What is delivered.
    #[arg(long, value_enum, default_value_t)]
    pub mix: MixArg,
    #[command(flatten)]
    pub secret: SecretArgs,
    #[arg(long, value_enum, default_value_t)]
    pub signing: SigningArg,
    /// Timeout of each delivery.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub timeout: String,
    /// Seed of the generated payloads [default: drawn, printed].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

pub fn load(a: LoadArgs) -> Result<i32> {
    let duration = chup_harness::duration::parse(&a.duration)
        .map_err(anyhow::Error::msg)
        .context("--duration")?;
    let timeout = chup_harness::duration::parse(&a.timeout)
        .map_err(anyhow::Error::msg)
        .context("--timeout")?;
    if !(a.rate > 0.0 && a.rate.is_finite()) {
        anyhow::bail!(
            "--rate {} must be a positive number of deliveries per second",
            a.rate
        );
    }
    if let Some(p) = &a.json {
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        if !parent.is_dir() {
            anyhow::bail!(
                "--json {}: the directory {} does not exist",
                p.display(),
                parent.display()
            );
        }
    }
    let seed = a.seed.unwrap_or_else(crate::cli::drawn_seed);
    eprintln!("chup-harness: load seed {seed}");
    let start_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let config = LoadConfig {
        target: Target::parse(&a.target)?,
        secret: a.secret.resolve()?,
        profile: a.signing.into(),
        rate: a.rate,
        duration,
        connections: a.connections.max(1),
        mix: match a.mix {
            MixArg::Events => Mix::Events,
            MixArg::Scenarios => Mix::Scenarios,
        },
        timeout,
        seed,
        id_base: 100_000_000 + (seed % 1000) * 1_000_000,
        start_unix,
        headers: Vec::new(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let tty = std::io::stderr().is_terminal();
        let printer = tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                let p: load::Progress = p;
                let line = format!(
                    "{:>5.1} s: {} scheduled, {} completed, {} errors",
                    p.elapsed.as_secs_f64(),
                    p.scheduled,
                    p.completed,
                    p.errors
                );
                if tty {
                    eprint!("\r{line}   ");
                } else {
                    eprintln!("{line}");
                }
            }
            if tty {
                eprintln!();
            }
        });
        let r = load::run(config, Some(tx)).await;
        let _ = printer.await;
        r
    });
    let report = match crate::cli::settle(outcome)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    crate::cli::print_report(&load::summary(&report));
    if let Some(p) = &a.json {
        let text =
            serde_json::to_string_pretty(&report).context("the load report serializes")? + "\n";
        std::fs::write(p, text).with_context(|| format!("cannot write --json {}", p.display()))?;
    }
    Ok(if report.is_clean() {
        exit_code::SUCCESS
    } else {
        exit_code::FAILED
    })
}
