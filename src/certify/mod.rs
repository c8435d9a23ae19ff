//! Certification: the fixed, versioned conformance suite
//! `chup-receiver-conformance` (documented in `contracts/conformance/`), its
//! levels (Core, Robust, Load) as a data table, running it against a
//! receiver, and the verifiable bundle a vendor hands over (`bundle`,
//! `keys`).
//!
//! What "fixed" means: the suite's choices are fixed by its version and
//! [`SUITE_SEED`]: which scenarios and protocol checks run, their cases, their
//! expected statuses, the timeouts and budgets, and the payloads of the load
//! burst (generated from the seed). Record ids and the clock are NOT fixed:
//! a receiver keeps state between runs, so every run draws fresh ids and
//! uses its own clock (both are recorded in `report.json`). The
//! `verdicts` list of a report has them redacted, and is identical between
//! two runs against the same receiver.
//!
//! Snapshots are left out on purpose: a snapshot is a receiver team's own
//! approved answer, not part of the protocol contract every receiver must
//! keep, so `snapshot-match` is not selected and no level requires it.
//!
//! The protocol checks themselves are `runner`'s; this module selects them,
//! adds the load burst (`load`), and judges levels. Rendering is `report`'s
//! (`report::certify_html`, `report::certify_junit`).

mod bundle;
mod journeys;
mod keys;
mod load;

pub use crate::load::LoadFailure;
pub use bundle::{
    read_manifest, verify_bundle, write_bundle, BundleError, FileEntry, Manifest,
    ManifestSignature, ManifestSuite, Problem, Renderings, MANIFEST_FILE, SIGNATURE_FILE,
};
pub use journeys::{PropertyJourneys, JOURNEY_CASES};
pub use keys::public_hex;
pub use keys::{generate_key_pair, read_public_key, read_signing_key, write_key_pair, KeyError};
pub use load::{LoadPlan, LoadResult, MIN_RATE_FRACTION};

use crate::check::{CheckId, Verdict};
use crate::runner::{self, RunConfig, RunError, RunReport};
use crate::signing::{Profile, Secret};
use crate::snapshot::{Mode, Store};
use crate::transport::Target;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The suite's name, as it appears in every report and manifest.
pub const SUITE_NAME: &str = "chup-receiver-conformance";
/// The suite's version (semver). A change of what is sent or judged is a
/// new version; see `contracts/conformance/README.md`.
pub const SUITE_VERSION: &str = "2.0.0";
/// The seed of the suite's generated payloads (the load burst).
pub const SUITE_SEED: u64 = 20_261_204;
/// Each delivery's connect and total timeout, and the latency budget.
pub const TIMEOUT: Duration = Duration::from_secs(5);
pub const LATENCY_BUDGET: Duration = Duration::from_secs(5);
/// Deliveries in flight at once in burst-no-5xx and the concurrent reorder.
pub const BURST: usize = 32;
/// Scenarios in flight at once.
pub const CONCURRENCY: usize = 8;

/// A certification level. Levels are cumulative: Robust requires Core,
/// Load requires Robust.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Core,
    Robust,
    Load,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Core, Level::Robust, Level::Load];

    pub fn name(self) -> &'static str {
        match self {
            Level::Core => "core",
            Level::Robust => "robust",
            Level::Load => "load",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Level::Core => "Core",
            Level::Robust => "Robust",
            Level::Load => "Load",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        Level::ALL
            .into_iter()
            .find(|l| l.name() == s.to_ascii_lowercase())
            .ok_or_else(|| format!("unknown level {s:?} (known: core, robust, load)"))
    }
}

/// One thing a level demands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// A protocol check of the runner passed.
    Check(CheckId),
    /// Every standard scenario ran and none of its steps failed.
    Scenarios,
    /// A state URL was given, and every effect of the level's checks was seen.
    StateObserved,
    /// The property journeys of the plugged-in [`JourneyRunner`] passed.
    Journeys,
    /// The load burst kept its stated rate within the latency budget.
    SustainedRate,
}

impl Requirement {
    pub fn name(self) -> String {
        match self {
            Requirement::Check(c) => c.name().to_owned(),
            Requirement::Scenarios => "seed-scenarios".to_owned(),
            Requirement::StateObserved => "state-observed".to_owned(),
            Requirement::Journeys => "property-journeys".to_owned(),
            Requirement::SustainedRate => "sustained-rate".to_owned(),
        }
    }

    pub fn description(self, plan: &LoadPlan) -> String {
        match self {
            Requirement::Check(c) => c.description().to_owned(),
            Requirement::Scenarios => {
                "every standard scenario (each flow of the Chup webhook examples page, and the three journeys) is accepted step by step".to_owned()
            }
            Requirement::StateObserved => {
                "a --state-url is given and every effect (no change after a rejected delivery, no second effect of a duplicate, newest state stands, content stored verbatim) was observed through it".to_owned()
            }
            Requirement::Journeys => {
                format!("property journeys: {} seeded cases of several patients' interleaved journeys under delivery faults (duplicates, reorders, retries, bursts), every delivery 2xx and, through the state probe, every record's newest state standing", JOURNEY_CASES)
            }
            Requirement::SustainedRate => format!(
                "a burst of {} deliveries at {} per second ({} s), each answered 2xx within the {} ms latency budget, at an achieved rate of at least {}% of the stated one",
                plan.deliveries(),
                plan.rate_per_s,
                plan.duration.as_secs_f64(),
                LATENCY_BUDGET.as_millis(),
                (load::MIN_RATE_FRACTION * 100.0) as u32
            ),
        }
    }
}

/// The level table: what each level requires. `journeys` says whether a
/// journey runner is plugged in; without one, Robust cannot demand journeys
/// and the report says they are not part of this build.
pub fn level_table(journeys: bool) -> Vec<(Level, Vec<Requirement>)> {
    use CheckId::*;
    let mut robust = vec![
        Requirement::Check(DialectsAccepted),
        Requirement::Check(DuplicateIdempotent),
        Requirement::Check(OutOfOrderNewestWins),
        Requirement::Check(HostileContentSafe),
        Requirement::StateObserved,
    ];
    if journeys {
        robust.push(Requirement::Journeys);
    }
    vec![
        (
            Level::Core,
            vec![
                Requirement::Check(ValidAccepted),
                Requirement::Check(BadSignatureRejected),
                Requirement::Check(MissingSignatureRejected),
                Requirement::Check(MalformedRejected),
                Requirement::Check(UnknownEventAccepted),
                Requirement::Scenarios,
            ],
        ),
        (Level::Robust, robust),
        (
            Level::Load,
            vec![
                Requirement::Check(BurstNo5xx),
                Requirement::Check(LatencyBudget),
                Requirement::SustainedRate,
            ],
        ),
    ]
}

/// What a journey runner is given.
#[derive(Clone, Debug)]
pub struct JourneyContext {
    pub target: Target,
    pub secret: Secret,
    pub profile: Profile,
    pub state_url: Option<String>,
    pub seed: u64,
    /// The first id the journeys may use; ids below it belong to the rest of the suite.
    pub id_base: u64,
    pub start_unix: i64,
    pub timeout: Duration,
}

/// What a journey runner found.
#[derive(Clone, Debug, Serialize)]
pub struct JourneyOutcome {
    pub journeys: usize,
    /// One line per failed journey, with how to reproduce it.
    pub failures: Vec<String>,
}

/// The hook the property-journey runner plugs into (it lives elsewhere).
pub trait JourneyRunner: Send + Sync {
    fn run<'a>(
        &'a self,
        ctx: &'a JourneyContext,
    ) -> Pin<Box<dyn Future<Output = JourneyOutcome> + Send + 'a>>;
}

/// Who is being certified; free text, shown in the report.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Product {
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub product_version: Option<String>,
}

/// Everything a certification run needs.
#[derive(Clone)]
pub struct CertifyConfig {
    pub target: Target,
    pub secret: Secret,
    pub profile: Profile,
    pub state_url: Option<String>,
    pub product: Product,
    /// Fresh per run (see the module docs).
    pub id_base: u64,
    pub start_unix: i64,
    pub load: LoadPlan,
    pub journeys: Option<Arc<dyn JourneyRunner>>,
    /// The command line that reproduces this run (credentials redacted).
    pub command: String,
}

/// The verdict on one requirement.
#[derive(Clone, Debug, Serialize)]
pub struct RequirementResult {
    pub name: String,
    pub description: String,
    pub passed: bool,
    /// Why it did not pass.
    pub why: Option<String>,
}

/// The verdict on one level.
#[derive(Clone, Debug, Serialize)]
pub struct LevelResult {
    pub level: Level,
    pub passed: bool,
    pub requirements: Vec<RequirementResult>,
    /// Why it did not pass, one line per reason, in words a reviewer can act on.
    pub why: Vec<String>,
}

/// The suite's identity and fixed parameters.
#[derive(Clone, Debug, Serialize)]
pub struct SuiteInfo {
    pub name: String,
    pub version: String,
    pub seed: u64,
    pub timeout_ms: u128,
    pub latency_budget_ms: u128,
    pub burst: usize,
    pub snapshots: String,
    pub journeys: String,
}

/// One case's verdict with run-varying ids redacted: identical between
/// two runs against the same receiver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseVerdict {
    pub check: CheckId,
    pub case: String,
    pub verdict: Verdict,
}

/// The whole outcome of a certification run: what `report.json` holds.
#[derive(Clone, Debug, Serialize)]
pub struct CertReport {
    pub suite: SuiteInfo,
    pub harness_version: String,
    pub product: Product,
    pub target: String,
    pub state_url: Option<String>,
    pub signing_profile: String,
    pub secret_fingerprint: String,
    pub command: String,
    pub started_unix: i64,
    pub finished_unix: i64,
    pub elapsed_ms: f64,
    /// The highest level reached (levels are cumulative); `None` when Core failed.
    pub highest_level: Option<Level>,
    pub levels: Vec<LevelResult>,
    pub load: LoadResult,
    pub journeys: Option<JourneyOutcome>,
    pub verdicts: Vec<CaseVerdict>,
    /// Every check, case, step and timing of the protocol run.
    pub run: RunReport,
}

impl CertReport {
    pub fn level(&self, level: Level) -> Option<&LevelResult> {
        self.levels.iter().find(|l| l.level == level)
    }

    /// True when `level` was reached.
    pub fn reached(&self, level: Level) -> bool {
        self.highest_level.is_some_and(|h| h >= level)
    }
}

/// The checks the suite selects: all but snapshot-match.
pub fn selected_checks() -> BTreeSet<CheckId> {
    CheckId::ALL
        .into_iter()
        .filter(|c| *c != CheckId::SnapshotMatch)
        .collect()
}

/// Replaces what varies between runs in a case name: record ids
/// (`visits/123456789`) and measured times (`(slowest 71 ms)`).
fn redact_ids(name: &str) -> String {
    let name = match name.find(" (slowest ") {
        Some(at) if name.ends_with(" ms)") => format!("{} (slowest <measured>)", &name[..at]),
        _ => name.to_owned(),
    };
    let name = name.as_str();
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(pos) = rest.find('/') {
        let (head, tail) = rest.split_at(pos + 1);
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        let is_record = ["visits/", "appointments/"]
            .iter()
            .any(|k| head.ends_with(k));
        if is_record && digits > 0 {
            out.push_str("<id>");
            rest = &tail[digits..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Runs the suite against the receiver and judges every level.
pub async fn certify(config: CertifyConfig) -> Result<CertReport, RunError> {
    let started = Instant::now();
    let scenarios = crate::scenario::builtin();
    let scenario_names: Vec<String> = scenarios.iter().map(|s| s.name().to_owned()).collect();
    let run_config = RunConfig {
        target: config.target.clone(),
        secret: config.secret.clone(),
        profile: config.profile,
        state_url: config.state_url.clone(),
        timeout: TIMEOUT,
        budget: LATENCY_BUDGET,
        concurrency: CONCURRENCY,
        burst: BURST,
        selected: selected_checks(),
        expect: BTreeMap::new(),
        scenarios,
        // Never consulted: snapshot-match is not selected (module docs).
        snapshots: Store::new("(snapshots are not judged by certification)", Mode::Ci),
        id_base: config.id_base,
        start_unix: config.start_unix,
        headers: Vec::new(),
        // A receiver that stopped answering ends the run (Core fails) rather
        // than costing a timeout per remaining delivery.
        stop_after: runner::DEFAULT_STOP_AFTER,
        rerun: config.command.clone(),
    };
    let run = runner::run(run_config, None).await?;

    // Ids above the scenarios' ranges are free for the load burst and journeys.
    let free = config.id_base + (scenario_names.len() as u64 + 2) * runner::SCENARIO_ID_SPAN;
    let load = load::run(
        &config.target,
        &config.secret,
        config.profile,
        &config.load,
        free,
        config.start_unix,
    )
    .await?;

    let journeys = match &config.journeys {
        Some(j) => {
            let ctx = JourneyContext {
                target: config.target.clone(),
                secret: config.secret.clone(),
                profile: config.profile,
                state_url: config.state_url.clone(),
                seed: SUITE_SEED,
                id_base: free + 2 * runner::SCENARIO_ID_SPAN,
                start_unix: config.start_unix,
                timeout: TIMEOUT,
            };
            Some(j.run(&ctx).await)
        }
        None => None,
    };

    let levels = judge(
        &run,
        &scenario_names,
        &load,
        journeys.as_ref(),
        config.journeys.is_some(),
        &config.load,
    );
    let highest_level = levels
        .iter()
        .take_while(|l| l.passed)
        .map(|l| l.level)
        .last();
    let verdicts = run
        .cases
        .iter()
        .map(|c| CaseVerdict {
            check: c.check,
            case: redact_ids(&c.name),
            verdict: c.verdict(),
        })
        .collect();
    let finished_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(config.start_unix);
    Ok(CertReport {
        suite: SuiteInfo {
            name: SUITE_NAME.to_owned(),
            version: SUITE_VERSION.to_owned(),
            seed: SUITE_SEED,
            timeout_ms: TIMEOUT.as_millis(),
            latency_budget_ms: LATENCY_BUDGET.as_millis(),
            burst: BURST,
            snapshots: "not judged: a snapshot is a receiver team's own approved answer, not part of the protocol contract".to_owned(),
            journeys: if config.journeys.is_some() {
                "required by robust".to_owned()
            } else {
                "property journeys: not part of this build".to_owned()
            },
        },
        harness_version: env!("CARGO_PKG_VERSION").to_owned(),
        product: config.product.clone(),
        target: run.meta.target.clone(),
        state_url: config
            .state_url
            .as_deref()
            .map(crate::transport::redact_url_text),
        signing_profile: config.profile.to_string(),
        secret_fingerprint: config.secret.fingerprint(),
        command: config.command.clone(),
        started_unix: config.start_unix,
        finished_unix,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        highest_level,
        levels,
        load,
        journeys,
        verdicts,
        run,
    })
}

/// Judges every level of the table against what the run found.
fn judge(
    run: &RunReport,
    scenario_names: &[String],
    load: &LoadResult,
    journeys: Option<&JourneyOutcome>,
    with_journeys: bool,
    plan: &LoadPlan,
) -> Vec<LevelResult> {
    let mut out: Vec<LevelResult> = Vec::new();
    for (level, requires) in level_table(with_journeys) {
        let requirements: Vec<RequirementResult> = requires
            .iter()
            .map(|r| {
                let why = requirement_failure(*r, &requires, run, scenario_names, load, journeys);
                RequirementResult {
                    name: r.name(),
                    description: r.description(plan),
                    passed: why.is_none(),
                    why,
                }
            })
            .collect();
        let mut why: Vec<String> = requirements
            .iter()
            .filter_map(|r| r.why.as_ref().map(|w| format!("{}: {w}", r.name)))
            .collect();
        if let Some(below) = out.last().filter(|l| !l.passed) {
            why.insert(
                0,
                format!(
                    "requires the {} level, which did not pass",
                    below.level.title()
                ),
            );
        }
        out.push(LevelResult {
            level,
            passed: why.is_empty(),
            requirements,
            why,
        });
    }
    out
}

fn requirement_failure(
    r: Requirement,
    level_requires: &[Requirement],
    run: &RunReport,
    scenario_names: &[String],
    load: &LoadResult,
    journeys: Option<&JourneyOutcome>,
) -> Option<String> {
    match r {
        Requirement::Check(c) => {
            let Some(s) = run.checks.iter().find(|s| s.check == c) else {
                return Some("the check did not run".to_owned());
            };
            match s.verdict {
                Verdict::Passed if s.cases > 0 => None,
                Verdict::Passed => Some("the check produced no case".to_owned()),
                Verdict::Failed => {
                    let first = run
                        .cases
                        .iter()
                        .find(|k| k.check == c && k.verdict() == Verdict::Failed);
                    Some(format!(
                        "{} of {} cases failed{}",
                        s.failed,
                        s.cases,
                        first
                            .map(|k| format!(
                                ", first: {} ({})",
                                k.name,
                                k.reason.as_deref().unwrap_or("no reason recorded")
                            ))
                            .unwrap_or_default()
                    ))
                }
                other => Some(format!("the check was {other}")),
            }
        }
        Requirement::Scenarios => {
            let mut missing = Vec::new();
            let mut failed = Vec::new();
            for name in scenario_names {
                match run.scenarios.iter().find(|s| &s.name == name) {
                    None => missing.push(name.as_str()),
                    Some(s) if s.failed > 0 => failed.push(format!("{name} ({} failed)", s.failed)),
                    Some(_) => {}
                }
            }
            match (missing.is_empty(), failed.is_empty()) {
                (true, true) => None,
                _ => Some(
                    [
                        (!failed.is_empty())
                            .then(|| format!("scenarios with failed steps: {}", failed.join(", "))),
                        (!missing.is_empty())
                            .then(|| format!("scenarios not run: {}", missing.join(", "))),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; "),
                ),
            }
        }
        Requirement::StateObserved => {
            if run.meta.state_url.is_none() {
                return Some(
                    "no --state-url was given, so the effects of duplicates, reordering and hostile content were not observed".to_owned(),
                );
            }
            let checks: Vec<CheckId> = level_requires
                .iter()
                .filter_map(|r| match r {
                    Requirement::Check(c) => Some(*c),
                    _ => None,
                })
                .collect();
            let unseen: Vec<String> = run
                .cases
                .iter()
                .filter(|c| checks.contains(&c.check) && c.effect == Verdict::NotObserved)
                .map(|c| format!("{} / {}", c.check, c.name))
                .collect();
            (!unseen.is_empty()).then(|| {
                format!(
                    "{} cases' effects were not observed through the state probe, e.g. {}",
                    unseen.len(),
                    unseen[0]
                )
            })
        }
        Requirement::Journeys => match journeys {
            None => Some("property journeys: not part of this build".to_owned()),
            Some(j) if j.journeys == 0 => Some("no journey ran".to_owned()),
            Some(j) if !j.failures.is_empty() => Some(format!(
                "{} of {} journeys failed, first: {}",
                j.failures.len(),
                j.journeys,
                j.failures[0]
            )),
            Some(_) => None,
        },
        Requirement::SustainedRate => load.failure(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_record_ids_in_case_names_only() {
        assert_eq!(
            redact_ids("join: visits/123456789 shows the state of step 2"),
            "join: visits/<id> shows the state of step 2"
        );
        assert_eq!(
            redact_ids("appointments/42 and 32 in flight, 1/2"),
            "appointments/<id> and 32 in flight, 1/2"
        );
        assert_eq!(
            redact_ids("235 deliveries within 5s (slowest 71 ms)"),
            "235 deliveries within 5s (slowest <measured>)"
        );
    }

    #[test]
    fn level_table_demands_journeys_only_with_a_runner() {
        let without = level_table(false);
        let with = level_table(true);
        let has = |t: &[(Level, Vec<Requirement>)]| {
            t.iter().any(|(_, r)| r.contains(&Requirement::Journeys))
        };
        assert!(!has(&without));
        assert!(has(&with));
        assert_eq!(
            without.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            Level::ALL.to_vec()
        );
    }

    #[test]
    fn no_level_requires_snapshot_match() {
        for (_, reqs) in level_table(true) {
            assert!(!reqs.contains(&Requirement::Check(CheckId::SnapshotMatch)));
        }
        assert!(!selected_checks().contains(&CheckId::SnapshotMatch));
    }

    #[test]
    fn every_selected_check_belongs_to_a_level() {
        let table = level_table(false);
        for c in selected_checks() {
            assert!(
                table
                    .iter()
                    .any(|(_, r)| r.contains(&Requirement::Check(c))),
                "{c} is run but no level requires it"
            );
        }
    }
}
