//! Property-based journeys with delivery faults: finds what scripted
//! scenarios did not think of.
//!
//! A case is a plan of abstract steps drawn by proptest ([`model`]):
//! several patients' journeys interleaved, every event valid and causally
//! ordered per visit, in any dialect, each delivery clean or faulted
//! (duplicated at once or later, reordered within a window, retried after
//! an abandoned attempt, fired in a concurrent burst). The plan is played
//! against a `Clinic` into payloads, signed and scheduled ([`schedule`]),
//! fired at the receiver and judged ([`exec`]): every attempt must get its
//! status class, and through the state probe every record must end in the
//! state of its newest payload (deleted: 404).
//!
//! A failing case is shrunk by proptest (fewer steps, simpler steps, clean
//! deliveries) to a minimal plan, reported as a readable list of
//! deliveries and written as a replay file (see `replay`). Every execution
//! (case or shrink step) uses record ids no other execution used.
//!
//! Owns no output format beyond [`FuzzReport::render`] and no CLI.

pub mod exec;
pub mod model;
pub mod schedule;

pub use exec::{fire, Outcome, Problem};
pub use model::{Fault, FaultKind, PlanOptions, Step, Transition};
pub use schedule::{Attempt, Expect, FinalState, Schedule, Slot};

use crate::model::{Dialect, DialectMode};
use crate::rng::Rng;
use crate::runner::Probe;
use crate::signing::{Profile, Secret};
use crate::transport::{Target, TargetError, Transport};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Record ids each execution may use above its own base: a step allocates
/// at most one id of a kind (a visit, an appointment, a note) and each
/// patient one client id, so plans of `max_steps` need no more. Kept small
/// so that a run uses few ids and two runs' random bases rarely overlap.
pub fn id_stride(max_steps: usize) -> u64 {
    (max_steps.max(model::MAX_PATIENTS) as u64 + 1).next_power_of_two()
}

/// Which share of the cases this process runs: cases `i` with
/// `i % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N` (1-based K).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard {
            index: k - 1,
            count: n,
        })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

/// Everything a fuzz run needs, validated.
#[derive(Clone, Debug)]
pub struct FuzzConfig {
    pub target: Target,
    pub state_url: Option<String>,
    pub secret: Secret,
    pub profile: Profile,
    pub mode: DialectMode,
    pub timeout: Duration,
    pub seed: u64,
    pub cases: u64,
    pub shard: Shard,
    pub plan: PlanOptions,
    /// First record id of the run; executions are [`id_stride`] apart.
    pub id_base: u64,
    pub start_unix: i64,
    /// Shrink steps at most for a failing case.
    pub max_shrink_iters: u32,
    /// Where the replay file of a failure goes; `None` writes none.
    pub replay_dir: Option<PathBuf>,
    /// The command line that reruns this run, for reports and replay files.
    pub rerun: String,
}

/// Which parts of the model a run exercised.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub states: BTreeSet<Option<i64>>,
    pub transitions: BTreeSet<Transition>,
    pub dialects: BTreeSet<Dialect>,
    pub faults: BTreeSet<FaultKind>,
}

impl Coverage {
    fn add(&mut self, m: &model::Materialized) {
        self.states.extend(m.states.iter().copied());
        self.dialects.extend(m.dialects.iter().copied());
        for p in &m.planned {
            self.transitions.insert(p.transition);
            self.faults.extend(p.fault.kind());
        }
    }

    /// `coverage: states 8/8, transitions 14/14, dialects 14/14, faults 5/5`,
    /// naming what was missed.
    pub fn line(&self, faults: &BTreeSet<FaultKind>) -> String {
        fn part<T: Ord + Copy>(
            name: &str,
            all: &[T],
            seen: &BTreeSet<T>,
            show: impl Fn(T) -> String,
        ) -> String {
            let missed: Vec<String> = all
                .iter()
                .filter(|x| !seen.contains(x))
                .map(|x| show(*x))
                .collect();
            let hit = all.len() - missed.len();
            if missed.is_empty() {
                format!("{name} {hit}/{}", all.len())
            } else {
                format!("{name} {hit}/{} (missed: {})", all.len(), missed.join(" "))
            }
        }
        let mut states: Vec<Option<i64>> = crate::model::VisitState::KNOWN
            .iter()
            .map(|s| Some(s.0))
            .collect();
        states.push(None);
        let faults: Vec<FaultKind> = faults.iter().copied().collect();
        format!(
            "coverage: {}, {}, {}, {}",
            part("states", &states, &self.states, model::state_label),
            part("transitions", &Transition::all(), &self.transitions, |t| {
                t.as_str().to_owned()
            }),
            part("dialects", &Dialect::GENERATED, &self.dialects, |d| {
                d.to_string()
            }),
            part("faults", &faults, &self.faults, |f| f.as_str().to_owned()),
        )
    }
}

/// A case that failed, shrunk.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The case's index in the run (0-based).
    pub case: u64,
    /// Deliveries of the case as first drawn.
    pub original_deliveries: usize,
    /// Executions spent shrinking.
    pub shrink_steps: u32,
    /// The minimal failing schedule, bytes as sent.
    pub schedule: Schedule,
    pub problems: Vec<Problem>,
    pub replay_file: Option<PathBuf>,
    /// Why the replay file could not be written.
    pub replay_error: Option<String>,
}

/// The outcome of a fuzz run.
#[derive(Clone, Debug)]
pub struct FuzzReport {
    pub seed: u64,
    pub cases_run: u64,
    /// Executions in all, shrink steps included.
    pub executions: u64,
    pub deliveries: usize,
    pub probes: usize,
    pub observed: bool,
    pub elapsed: Duration,
    pub coverage: Coverage,
    pub failure: Option<Failure>,
}

impl FuzzReport {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    pub fn cases_per_second(&self) -> f64 {
        self.cases_run as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The human report.
    pub fn render(&self, config: &FuzzConfig) -> String {
        let mut s = String::new();
        if let Some(f) = &self.failure {
            s.push_str(&format!(
                "FAILED: case {} (seed {}), shrunk from {} to {} in {} steps:\n",
                f.case,
                self.seed,
                f.original_deliveries,
                match f.schedule.deliveries() {
                    1 => "1 delivery".to_owned(),
                    n => format!("{n} deliveries"),
                },
                f.shrink_steps
            ));
            for line in f.schedule.render() {
                s.push_str(&format!("  {line}\n"));
            }
            s.push_str("what went wrong:\n");
            for p in &f.problems {
                s.push_str(&format!("  - {}\n", p.0));
            }
            if let Some(path) = &f.replay_file {
                s.push_str(&format!(
                    "replay file: {}\n  re-fire it: chup-harness replay {}{}\n",
                    path.display(),
                    path.display(),
                    if config.rerun.contains("--target") {
                        " --target URL [--state-url TEMPLATE]"
                    } else {
                        ""
                    }
                ));
            }
            if let Some(e) = &f.replay_error {
                s.push_str(&format!("replay file NOT written: {e}\n"));
            }
        }
        let pace = if self.passed() {
            format!("{:.1} cases/s", self.cases_per_second())
        } else {
            format!("{} executions with shrinking", self.executions)
        };
        s.push_str(&format!(
            "{}: {} cases, {} deliveries, {} probe reads in {:.1}s ({pace}){}\n",
            if self.passed() { "passed" } else { "failed" },
            self.cases_run,
            self.deliveries,
            self.probes,
            self.elapsed.as_secs_f64(),
            if self.observed {
                ""
            } else {
                "; final states not observed (no --state-url)"
            }
        ));
        s.push_str(&self.coverage.line(&config.plan.faults));
        s.push('\n');
        s.push_str(&format!("seed {} (rerun: {})\n", self.seed, config.rerun));
        s
    }
}

/// Why a fuzz run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("{0}")]
    Config(String),
    #[error("target {target} is unreachable: {reason}")]
    Unreachable { target: String, reason: String },
    #[error("the fuzz loop failed: {0}")]
    Task(String),
}

/// The seed of proptest's generator for case `i`: a function of the run's
/// seed and `i` alone, so a shard draws the same case `i` as a full run.
fn case_rng(seed: u64, case: u64) -> TestRng {
    let mut r = Rng::new(seed ^ case.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&r.next_u64().to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// The shared state of the fuzz loop.
struct Ctx {
    config: FuzzConfig,
    probe: Option<Probe>,
    handle: tokio::runtime::Handle,
    executions: AtomicU64,
}

/// One execution of a plan: materialized on fresh ids, fired, judged.
struct Execution {
    materialized: model::Materialized,
    schedule: Schedule,
    outcome: Outcome,
}

impl Ctx {
    fn execute(&self, steps: &[Step]) -> Execution {
        let c = &self.config;
        let e = self.executions.fetch_add(1, Ordering::Relaxed);
        let slot = c.shard.index + c.shard.count * e;
        let m = model::materialize(
            steps,
            &model::MaterializeOptions {
                id_base: c.id_base + slot * id_stride(c.plan.max_steps),
                start_unix: c.start_unix,
                patients: c.plan.patients,
                mode: c.mode,
            },
        );
        let schedule = schedule::build(&m, c.profile, &c.secret);
        // A client of its own per execution: every execution starts with
        // no open connection, as a replay does, so a race found here
        // happens under the same conditions when the replay file is fired.
        let outcome = match Transport::new(c.timeout, Vec::new()) {
            Ok(transport) => self.handle.block_on(fire(
                &schedule,
                &transport,
                c.target.url(),
                self.probe.as_ref(),
            )),
            Err(e) => Outcome {
                problems: vec![Problem(format!("cannot build the HTTP client: {e}"))],
                ..Outcome::default()
            },
        };
        Execution {
            materialized: m,
            schedule,
            outcome,
        }
    }
}

/// Runs the cases of this shard; stops at the first failure and shrinks it.
/// Runs on the caller's tokio runtime (deliveries) and one of its blocking
/// threads (the proptest loop).
pub async fn fuzz(config: FuzzConfig) -> Result<FuzzReport, FuzzError> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|e| FuzzError::Task(format!("fuzz needs a tokio runtime: {e}")))?;
    let transport = Transport::new(config.timeout, Vec::new())?;
    let probe = match &config.state_url {
        Some(t) => Some(Probe::new(t, transport.clone()).map_err(FuzzError::Config)?),
        None => None,
    };
    crate::runner::preflight(&config.target, config.timeout)
        .await
        .map_err(|e| match e {
            crate::runner::RunError::Unreachable { target, reason } => {
                FuzzError::Unreachable { target, reason }
            }
            other => FuzzError::Config(other.to_string()),
        })?;
    let ctx = Ctx {
        config,
        probe,
        handle,
        executions: AtomicU64::new(0),
    };
    // proptest's value trees are synchronous; the loop runs on a blocking
    // thread and drives each delivery on the caller's runtime.
    tokio::task::spawn_blocking(move || run_cases(&ctx))
        .await
        .map_err(|e| FuzzError::Task(e.to_string()))
}

fn run_cases(ctx: &Ctx) -> FuzzReport {
    let c = &ctx.config;
    let started = Instant::now();
    let strategy = model::arb_plan(&c.plan);
    let mut report = FuzzReport {
        seed: c.seed,
        cases_run: 0,
        executions: 0,
        deliveries: 0,
        probes: 0,
        observed: ctx.probe.is_some(),
        elapsed: Duration::ZERO,
        coverage: Coverage::default(),
        failure: None,
    };
    for case in (0..c.cases).filter(|i| i % c.shard.count == c.shard.index) {
        let mut runner = TestRunner::new_with_rng(Config::default(), case_rng(c.seed, case));
        let mut tree = match strategy.new_tree(&mut runner) {
            Ok(t) => t,
            Err(_) => continue,
        };
        let first = ctx.execute(&tree.current());
        report.cases_run += 1;
        report.coverage.add(&first.materialized);
        report.deliveries += first.outcome.deliveries;
        report.probes += first.outcome.probes;
        if first.outcome.passed() {
            continue;
        }
        let original = first.schedule.deliveries();
        let (best, steps) = shrink(ctx, &mut tree, first, &mut report);
        let mut failure = Failure {
            case,
            original_deliveries: original,
            shrink_steps: steps,
            schedule: best.schedule,
            problems: best.outcome.problems,
            replay_file: None,
            replay_error: None,
        };
        if let Some(dir) = &c.replay_dir {
            let file = crate::replay::ReplayFile::new(c, &failure);
            match file.write_new(dir, &format!("fuzz-seed{}-case{case}", c.seed)) {
                Ok(p) => failure.replay_file = Some(p),
                Err(e) => failure.replay_error = Some(e.to_string()),
            }
        }
        report.failure = Some(failure);
        break;
    }
    report.executions = ctx.executions.load(Ordering::Relaxed);
    report.elapsed = started.elapsed();
    report
}

/// Whether a schedule's verdict may depend on timing (a concurrent slot or
/// an abandoned attempt), so that one passing execution proves little.
fn is_timing_dependent(s: &Schedule) -> bool {
    s.slots
        .iter()
        .any(|slot| slot.concurrent || slot.attempts.iter().any(|a| a.abandon_after_ms.is_some()))
}

/// Runs a shrink candidate; a timing-dependent one that passes is tried
/// again (up to [`TIMING_RETRIES`] times), so a race that did not happen
/// once does not stop the shrinker. Counts every execution against `budget`.
fn try_candidate(
    ctx: &Ctx,
    steps: &[Step],
    budget: &mut u32,
    report: &mut FuzzReport,
) -> Option<Execution> {
    let mut tries = 0;
    loop {
        *budget = budget.saturating_sub(1);
        tries += 1;
        let e = ctx.execute(steps);
        report.deliveries += e.outcome.deliveries;
        report.probes += e.outcome.probes;
        if !e.outcome.passed() {
            return Some(e);
        }
        if tries > TIMING_RETRIES || !is_timing_dependent(&e.schedule) || *budget == 0 {
            return None;
        }
    }
}

/// Extra executions of a timing-dependent shrink candidate that passed.
const TIMING_RETRIES: u32 = 2;

/// proptest's shrinking loop (simplify while the case still fails, step
/// back with complicate when a simplification passes), then one greedy
/// pass that drops any single step whose removal keeps the failure:
/// proptest deletes steps only before it simplifies them, and a simpler
/// step can make an earlier one unnecessary. Keeps the last failing
/// execution, whose bytes the replay file holds.
fn shrink(
    ctx: &Ctx,
    tree: &mut impl ValueTree<Value = Vec<Step>>,
    first: Execution,
    report: &mut FuzzReport,
) -> (Execution, u32) {
    let max = ctx.config.max_shrink_iters;
    let mut budget = max;
    let mut best = first;
    let mut best_steps = tree.current();
    if tree.simplify() {
        while budget > 0 {
            let steps = tree.current();
            let more = match try_candidate(ctx, &steps, &mut budget, report) {
                Some(e) => {
                    best = e;
                    best_steps = steps;
                    tree.simplify()
                }
                None => tree.complicate(),
            };
            if !more {
                break;
            }
        }
    }
    let mut i = 0;
    while i < best_steps.len() && best_steps.len() > 1 && budget > 0 {
        let mut candidate = best_steps.clone();
        candidate.remove(i);
        match try_candidate(ctx, &candidate, &mut budget, report) {
            Some(e) => {
                best = e;
                best_steps = candidate;
            }
            None => i += 1,
        }
    }
    (best, max - budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executions_never_share_an_id_of_a_kind() {
        let opts = PlanOptions {
            patients: model::MAX_PATIENTS,
            max_steps: 40,
            faults: BTreeSet::new(),
        };
        let stride = id_stride(opts.max_steps);
        assert_eq!(stride, 64);
        let mut runner = TestRunner::deterministic();
        let strategy = model::arb_plan(&opts);
        let mut seen = std::collections::BTreeSet::new();
        for e in 0..50u64 {
            let steps = strategy.new_tree(&mut runner).expect("draws").current();
            let m = model::materialize(
                &steps,
                &model::MaterializeOptions {
                    id_base: 900_000_000 + e * stride,
                    start_unix: 1_796_400_000,
                    patients: opts.patients,
                    mode: DialectMode::Canonical,
                },
            );
            let ids: std::collections::BTreeSet<_> =
                m.planned.iter().map(|p| (p.kind, p.id)).collect();
            for id in ids {
                assert!(seen.insert(id), "{id:?} used by two executions");
            }
        }
    }

    #[test]
    fn shards_split_cases_and_parse_k_of_n() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 1, count: 4 }));
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        assert!(Shard::parse("x").is_err());
        assert_eq!(Shard::parse("3/3").map(|s| s.to_string()), Ok("3/3".into()));
    }

    #[test]
    fn a_case_draws_the_same_plan_whichever_shard_runs_it() {
        let opts = PlanOptions {
            patients: 3,
            max_steps: 20,
            faults: FaultKind::ALL.into_iter().collect(),
        };
        let s = model::arb_plan(&opts);
        let draw = |seed, case| {
            let mut r = TestRunner::new_with_rng(Config::default(), case_rng(seed, case));
            s.new_tree(&mut r).expect("draws").current()
        };
        assert_eq!(draw(7, 3), draw(7, 3));
        assert_ne!(draw(7, 3), draw(7, 4));
        assert_ne!(draw(7, 3), draw(8, 3));
    }
}
