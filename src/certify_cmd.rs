//! The `certify`, `keygen` and `verify-report` verbs: flags to a
//! `CertifyConfig`, the bundle written to a directory, key files, bundle
//! checks, and their exit codes. The suite, levels and bundle format are
//! the library's (`chup_harness::certify`).

use crate::cli::{SecretArgs, SigningArg, EXIT_CODES};
use anyhow::{bail, Context, Result};
use chup_harness::certify::{self, CertifyConfig, Level, LoadPlan, Product, Renderings};
use chup_harness::exit_code;
use chup_harness::transport::{redact_url_text, Target};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

const CERTIFY_ABOUT: &str = "\
Levels (cumulative; contracts/conformance/README.md lists every check):
  core    valid events accepted (every standard scenario), signatures enforced, malformed input
          rejected, unknown events tolerated
  robust  every dialect, duplicates, reordering, hostile content, all effects observed through
          --state-url (required for this level)
  load    a burst of 100 deliveries at 50 per second, each 2xx within the 5 s latency budget;
          the concurrent burst without 5xx; every delivery of the run within budget

Exit 0 when at least core passes (the report names the highest level reached), 1 when core fails
or --require-level is not reached, 3 when the target is unreachable (nothing is written).

The bundle: report.json (every check, case, verdict, timing), report.html (one printable page),
junit.xml, manifest.json (SHA-256 of each file, suite and harness versions, seed, target with
credentials redacted, signing profile, secret fingerprint, times) and, with --sign-key,
manifest.sig (ed25519 over manifest.json). Check it with `chup-harness verify-report DIR`.";

/// Certify a receiver: run the fixed conformance suite and write a verifiable report bundle.
///
/// Runs `chup-receiver-conformance` (a fixed, versioned suite at a fixed
/// seed: the same cases and payloads every run) against the target and
/// judges the Core, Robust and Load levels. Record ids and the clock are
/// fresh per run, so a receiver that keeps state passes run after run, and
/// two runs against the same receiver give the same verdicts. Snapshots
/// are not judged: they are a receiver team's own approved answers, not the
/// protocol contract.
#[derive(Args, Debug)]
#[command(after_help = format!("{CERTIFY_ABOUT}\n\n{EXIT_CODES}"))]
pub struct CertifyArgs {
    /// The receiver's webhook URL; credentials in it are used and redacted in every file.
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// The bundle directory (created; must be empty unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// The receiver's state probe template, e.g. http://his.local/chup/{kind}/{id}
    /// (required for the robust level).
    #[arg(long, value_name = "TEMPLATE")]
    pub state_url: Option<String>,
    /// How payloads are encoded before signing (recorded in the manifest).
    #[arg(long, value_enum, default_value_t)]
    pub signing: SigningArg,
    /// The vendor's name, shown in the report.
    #[arg(long, value_name = "NAME")]
    pub vendor: Option<String>,
    /// The product's name, shown in the report.
    #[arg(long, value_name = "NAME")]
    pub product: Option<String>,
    /// The product's version, shown in the report.
    #[arg(long, value_name = "V")]
    pub product_version: Option<String>,
    /// Sign the manifest with this ed25519 secret key file (made by `chup-harness keygen`).
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
    /// Exit 1 unless this level is reached.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub require_level: Option<LevelArg>,
    /// Replace the bundle files in a non-empty --out directory.
    #[arg(long)]
    pub force: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelArg {
    Core,
    Robust,
    Load,
}

impl From<LevelArg> for Level {
    fn from(l: LevelArg) -> Level {
        match l {
            LevelArg::Core => Level::Core,
            LevelArg::Robust => Level::Robust,
            LevelArg::Load => Level::Load,
        }
    }
}

/// Make an ed25519 key pair for signing certification bundles.
///
/// Writes PREFIX.key (the secret key, mode 0600; keep it private) and
/// PREFIX.pub (the public key, for whoever checks your bundles). Each is two
/// lines of text: a header naming the kind of key, then 64 hex digits.
/// Existing files are never overwritten without --force.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct KeygenArgs {
    /// Path prefix of the two files.
    #[arg(long, value_name = "PREFIX", default_value = "chup-certify")]
    pub out: PathBuf,
    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

/// Check a certification bundle: every file matches its manifest, and the
/// signature verifies.
///
/// Exit 0 when every SHA-256 in manifest.json matches, the manifest's own
/// hash matches, no file was added, and a signature (if the bundle has one)
/// verifies; with --public-key, the bundle must also be signed by that key.
/// Exit 1 naming each file that was changed, added or removed.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct VerifyReportArgs {
    /// The bundle directory written by `chup-harness certify --out`.
    pub dir: PathBuf,
    /// The signer's public key file (PREFIX.pub from `chup-harness keygen`).
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The command line that reproduces a run, with credentials redacted and
/// without the secret.
fn command_line(a: &CertifyArgs, target: &Target) -> String {
    let mut c = format!(
        "chup-harness certify --target {} --out {}",
        target.shown(),
        a.out.display()
    );
    if let Some(s) = &a.state_url {
        c.push_str(&format!(" --state-url '{}'", redact_url_text(s)));
    }
    if a.signing != SigningArg::Compact {
        c.push_str(" --signing php");
    }
    for (flag, v) in [
        ("--vendor", &a.vendor),
        ("--product", &a.product),
        ("--product-version", &a.product_version),
    ] {
        if let Some(v) = v {
            c.push_str(&format!(" {flag} {v:?}"));
        }
    }
    c
}

pub fn certify(a: CertifyArgs) -> Result<i32> {
    let secret = a.secret.resolve()?;
    let target = Target::parse(&a.target).context("--target")?;
    let key = match &a.sign_key {
        Some(p) => Some(certify::read_signing_key(p).context("--sign-key")?),
        None => None,
    };
    if a.out.exists() && !a.force && std::fs::read_dir(&a.out).is_ok_and(|mut d| d.next().is_some())
    {
        bail!(
            "--out {} exists and is not empty; choose an empty directory or pass --force",
            a.out.display()
        );
    }
    let config = CertifyConfig {
        target: target.clone(),
        secret,
        profile: a.signing.into(),
        state_url: a.state_url.clone(),
        product: Product {
            vendor: a.vendor.clone(),
            product: a.product.clone(),
            product_version: a.product_version.clone(),
        },
        id_base: crate::run_cmd::fresh_id_base(),
        start_unix: now_unix(),
        load: LoadPlan::default(),
        journeys: Some(std::sync::Arc::new(chup_harness::certify::PropertyJourneys)),
        command: command_line(&a, &target),
    };
    eprintln!(
        "chup-harness: certifying {} with {} {} (this takes a few seconds)",
        target.shown(),
        certify::SUITE_NAME,
        certify::SUITE_VERSION
    );
    let outcome = crate::run_cmd::runtime()?.block_on(certify::certify(config));
    let report = match crate::cli::settle(outcome)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let renderings = Renderings {
        json: {
            let mut s = serde_json::to_string_pretty(&report).context("report.json")?;
            s.push('\n');
            s
        },
        html: chup_harness::report::certify_html(&report),
        junit: chup_harness::report::certify_junit(&report),
    };
    let manifest = certify::write_bundle(&a.out, &report, &renderings, key.as_ref(), a.force)?;

    for l in &report.levels {
        println!(
            "{} {:<7}{}",
            if l.passed { "ok  " } else { "FAIL" },
            l.level.name(),
            l.why.first().map(|w| format!(" {w}")).unwrap_or_default()
        );
    }
    println!(
        "load: {} deliveries at {}/s, achieved {:.1}/s, p50 {:.1} ms, p99 {:.1} ms",
        report.load.deliveries,
        report.load.stated_rate_per_s,
        report.load.achieved_rate_per_s,
        report.load.p50_ms,
        report.load.p99_ms
    );
    match report.highest_level {
        Some(l) => println!("highest level reached: {}", l.title()),
        None => println!("not certified: the Core level failed"),
    }
    println!(
        "bundle: {} ({}{})",
        a.out.display(),
        manifest
            .files
            .iter()
            .map(|f| f.path.as_str())
            .chain([certify::MANIFEST_FILE])
            .collect::<Vec<_>>()
            .join(", "),
        if manifest.signature.is_some() {
            format!(
                ", {} signed by {}",
                certify::SIGNATURE_FILE,
                short_key(&manifest)
            )
        } else {
            String::new()
        }
    );
    let required = a.require_level.map(Level::from).unwrap_or(Level::Core);
    if !report.reached(required) {
        if a.require_level.is_some() {
            eprintln!(
                "chup-harness: --require-level {} was not reached",
                required.name()
            );
        }
        return Ok(exit_code::FAILED);
    }
    Ok(exit_code::SUCCESS)
}

fn short_key(m: &certify::Manifest) -> String {
    m.signature
        .as_ref()
        .map(|s| format!("key {}…", &s.public_key[..s.public_key.len().min(16)]))
        .unwrap_or_default()
}

pub fn keygen(a: KeygenArgs) -> Result<i32> {
    let with = |ext: &str| {
        let mut s = a.out.clone().into_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    let (secret_path, public_path) = (with(".key"), with(".pub"));
    let key = certify::generate_key_pair()?;
    certify::write_key_pair(&key, &secret_path, &public_path, a.force)?;
    println!("secret key: {} (keep it private)", secret_path.display());
    println!(
        "public key: {} ({})",
        public_path.display(),
        certify::public_hex(&key.verifying_key())
    );
    Ok(exit_code::SUCCESS)
}

pub fn verify_report(a: VerifyReportArgs) -> Result<i32> {
    let expected = match &a.public_key {
        Some(p) => Some(certify::read_public_key(p).context("--public-key")?),
        None => None,
    };
    if !Path::new(&a.dir).is_dir() {
        bail!("{} is not a directory", a.dir.display());
    }
    let (manifest, problems) = certify::verify_bundle(&a.dir, expected.as_ref())?;
    if problems.is_empty() {
        println!(
            "ok: {} files match {} ({} {}, highest level {}){}",
            manifest.files.len(),
            certify::MANIFEST_FILE,
            manifest.suite.name,
            manifest.suite.version,
            manifest.highest_level.as_deref().unwrap_or("none"),
            match (&manifest.signature, &expected) {
                (Some(_), Some(_)) =>
                    format!(", signed by the given key ({})", short_key(&manifest)),
                (Some(_), None) => format!(
                    ", signature intact ({}; pass --public-key to check who signed)",
                    short_key(&manifest)
                ),
                _ => ", unsigned".to_owned(),
            }
        );
        return Ok(exit_code::SUCCESS);
    }
    for p in &problems {
        println!("changed: {p}");
    }
    eprintln!(
        "chup-harness: the bundle {} does not verify: {} problem{}",
        a.dir.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    Ok(exit_code::FAILED)
}
