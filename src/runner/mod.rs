//! Fires deliveries at the receiver and turns what comes back into cases
//! (see `check`). Scenarios run in parallel, the steps of one scenario in
//! order; then each selected protocol check sends its own cases. The runner
//! emits [`Event`]s as it goes and returns a [`RunReport`]; it knows no
//! output format (that is `report`'s job).

mod breaker;
mod cases;
mod fixture;
mod probe;
pub(crate) mod scrub;

pub use breaker::DEFAULT_STOP_AFTER;
pub use fixture::Fixture;
pub use probe::{Probe, Seen};
pub use scrub::MIN_SCRUBBED_LEN;

use crate::check::{self, Case, CheckId, CheckSummary, Received, Sent, Verdict};
use crate::model::{Payload, RecordKind};
use crate::scenario::{CompileCtx, PlannedStep, ScenarioDef};
use crate::signing::{self, Profile, Secret};
use crate::snapshot::{self, Store};
use crate::status::StatusSet;
use crate::transport::{Delivery, Target, Transport};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// Ids each scenario may use above its own base; scenario `i` of a run
/// starts at `id_base + (i + 1) * SCENARIO_ID_SPAN`.
pub const SCENARIO_ID_SPAN: u64 = crate::clinic::ID_SPAN;

/// Everything a run needs, validated.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub target: Target,
    pub secret: Secret,
    pub profile: Profile,
    pub state_url: Option<String>,
    pub timeout: Duration,
    pub budget: Duration,
    /// Scenarios in flight at once.
    pub concurrency: usize,
    /// Deliveries in flight at once in the burst check (at least 32).
    pub burst: usize,
    pub selected: BTreeSet<CheckId>,
    pub expect: BTreeMap<CheckId, StatusSet>,
    pub scenarios: Vec<ScenarioDef>,
    pub snapshots: Store,
    pub id_base: u64,
    pub start_unix: i64,
    pub headers: Vec<(String, String)>,
    /// Consecutive unanswered deliveries of one kind after which the rest of
    /// the run is not sent (see `breaker.rs`); 0 never stops.
    pub stop_after: usize,
    /// The command that reruns this run, without scenario/check selection;
    /// failure reports append `--scenario X` or `--only Y` to it.
    pub rerun: String,
}

/// What the runner tells a reporter while it works.
#[derive(Clone, Debug)]
pub enum Event {
    ScenarioFinished {
        name: String,
        steps: usize,
        failed: usize,
        elapsed: Duration,
    },
    CheckFinished(CheckSummary),
}

/// Facts about the run that every report carries.
#[derive(Clone, Debug, Serialize)]
pub struct RunMeta {
    pub harness_version: String,
    pub target: String,
    pub state_url: Option<String>,
    pub signing_profile: String,
    pub secret_fingerprint: String,
    pub id_base: u64,
    pub started_unix: i64,
    pub timeout_ms: u128,
    pub latency_budget_ms: u128,
    pub snapshot_dir: String,
    pub snapshot_mode: snapshot::Mode,
    pub rerun: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub steps: usize,
    pub failed: usize,
    pub elapsed_ms: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SnapshotStats {
    pub matched: usize,
    pub new: usize,
    pub changed: usize,
    pub written: Vec<String>,
}

/// The whole outcome of a run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub meta: RunMeta,
    pub passed: bool,
    pub scenarios: Vec<ScenarioResult>,
    pub checks: Vec<CheckSummary>,
    pub cases: Vec<Case>,
    pub snapshots: SnapshotStats,
    pub deliveries: usize,
    /// Set when the receiver stopped answering and the rest of the run was
    /// not sent (the circuit breaker); the run then ends with exit code 3.
    pub stopped: Option<Stopped>,
    pub elapsed_ms: f64,
}

/// Why a run stopped sending before its end.
#[derive(Clone, Debug, Serialize)]
pub struct Stopped {
    /// E.g. "receiver stopped answering (10 consecutive timeouts)".
    pub reason: String,
    /// Deliveries not sent because of it.
    pub skipped: usize,
}

impl RunReport {
    pub fn failed_cases(&self) -> impl Iterator<Item = &Case> {
        self.cases.iter().filter(|c| c.verdict() == Verdict::Failed)
    }
}

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("target {target} is unreachable: {reason}")]
    Unreachable { target: String, reason: String },
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Scenario(#[from] crate::scenario::LoadError),
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
}

/// One delivery and how it was described.
#[derive(Clone, Debug)]
pub(crate) struct Exchange {
    pub sent: Sent,
    pub received: Received,
    pub delivery: Delivery,
}

/// What every case builder shares.
#[derive(Debug)]
pub(crate) struct Ctx {
    transport: Transport,
    target: Target,
    secret: Secret,
    profile: Profile,
    probe: Option<Probe>,
    fixture: Fixture,
    expect: BTreeMap<CheckId, StatusSet>,
    /// Removes the secret and URL credentials from what receivers answer.
    scrub: scrub::Scrub,
    /// Stops sending to a receiver that stopped answering.
    breaker: breaker::Breaker,
    /// The same for the state probe, which may be another server.
    probe_breaker: breaker::Breaker,
    /// (what, latency, status) of every delivery, for the latency check.
    log: Mutex<Vec<(String, Duration, Option<u16>)>>,
}

fn record_label(p: &Payload) -> Option<String> {
    let id = p.data.id()?;
    let kind = match p.data.kind()? {
        RecordKind::Visit => "visits",
        RecordKind::Appointment => "appointments",
        RecordKind::Client => "clients",
        RecordKind::Service => "services",
        RecordKind::Staff => "staff",
    };
    Some(format!("{kind}/{id}"))
}

fn received(d: &Delivery, scrub: &scrub::Scrub) -> Received {
    Received {
        status: d.status(),
        error: match (&d.error, &d.answer) {
            (Some((k, m)), _) => Some(scrub.text(&format!("{k}: {m}"))),
            (None, Some(a)) => a
                .location
                .as_ref()
                .map(|to| scrub.text(&format!("{}: {to}", crate::transport::ErrorKind::Redirect))),
            (None, None) => None,
        },
        latency_ms: d.latency.as_secs_f64() * 1000.0,
        body: d
            .answer
            .as_ref()
            .map(|a| probe::truncate(&scrub.text(&a.body_text()), 2048))
            .unwrap_or_default(),
    }
}

impl Ctx {
    fn expect(&self, check: CheckId) -> StatusSet {
        self.expect
            .get(&check)
            .cloned()
            .unwrap_or_else(|| check.default_expect())
    }

    fn body(&self, p: &Payload) -> Vec<u8> {
        signing::signed_body(p, self.profile, &self.secret)
    }

    async fn send_payload(&self, p: &Payload, variant: &str) -> Exchange {
        self.send_bytes(self.body(p), p, variant).await
    }

    async fn send_bytes(&self, bytes: Vec<u8>, p: &Payload, variant: &str) -> Exchange {
        let sent = Sent {
            event: p.event.clone(),
            record: record_label(p),
            variant: variant.to_owned(),
            bytes: bytes.len(),
        };
        self.deliver(bytes, sent).await
    }

    async fn send_raw(&self, bytes: Vec<u8>, event: &str, variant: &str) -> Exchange {
        let sent = Sent {
            event: event.to_owned(),
            record: None,
            variant: variant.to_owned(),
            bytes: bytes.len(),
        };
        self.deliver(bytes, sent).await
    }

    async fn deliver(&self, bytes: Vec<u8>, sent: Sent) -> Exchange {
        if let Some(delivery) = self.breaker.refuse() {
            // Not sent, so not logged: it is no delivery and has no latency.
            return Exchange {
                received: received(&delivery, &self.scrub),
                sent,
                delivery,
            };
        }
        let mut delivery = self.transport.post(self.target.url(), bytes).await;
        self.breaker.record(&delivery);
        // Snapshots render the answer's body: scrub it once, here.
        if let Some(a) = &mut delivery.answer {
            a.body = self.scrub.bytes(&a.body);
        }
        let what = match &sent.record {
            Some(r) => format!("{} {r} ({})", sent.event, sent.variant),
            None => format!("{} ({})", sent.event, sent.variant),
        };
        if let Ok(mut log) = self.log.lock() {
            log.push((what, delivery.latency, delivery.status()));
        }
        Exchange {
            received: received(&delivery, &self.scrub),
            sent,
            delivery,
        }
    }

    async fn seen(&self, kind: RecordKind, id: u64) -> Seen {
        let Some(p) = &self.probe else {
            return Seen::Unobservable;
        };
        if let Some(skipped) = self.probe_breaker.refuse() {
            return Seen::Broken(skipped.summary());
        }
        let (seen, delivery) = p.read_with(kind, id).await;
        if let Some(d) = &delivery {
            self.probe_breaker.record(d);
        }
        seen
    }
}

/// Checks the target accepts TCP connections before anything is sent, so an
/// unreachable receiver is one clear error (exit 3), not a hundred failures.
pub async fn preflight(target: &Target, timeout: Duration) -> Result<(), RunError> {
    let url = target.url();
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let unreachable = |reason: String| RunError::Unreachable {
        target: target.shown().to_owned(),
        reason,
    };
    match tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no connection within {}",
            crate::duration::show(timeout)
        ))),
    }
}

/// Runs the suite.
pub async fn run(
    config: RunConfig,
    events: Option<UnboundedSender<Event>>,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let transport = Transport::new(config.timeout, config.headers.clone())
        .map_err(|e| RunError::Config(e.to_string()))?;
    let probe = match &config.state_url {
        Some(t) => Some(Probe::new(t, transport.clone()).map_err(RunError::Config)?),
        None => None,
    };
    // Compile every scenario before sending anything: a broken contract is
    // a usage error, never a half-run.
    let mut planned = Vec::new();
    let scenario_checks = [
        CheckId::ValidAccepted,
        CheckId::SnapshotMatch,
        CheckId::LatencyBudget,
    ];
    if scenario_checks.iter().any(|c| config.selected.contains(c)) {
        for (i, s) in config.scenarios.iter().enumerate() {
            let ctx = CompileCtx {
                id_base: config.id_base + (i as u64 + 1) * SCENARIO_ID_SPAN,
                start_unix: config.start_unix,
            };
            planned.push((s.name().to_owned(), s.compile(&ctx)?));
        }
    }
    preflight(&config.target, config.timeout).await?;

    let ctx = Arc::new(Ctx {
        transport,
        target: config.target.clone(),
        secret: config.secret.clone(),
        profile: config.profile,
        probe,
        fixture: Fixture::new(config.id_base, config.start_unix),
        expect: config.expect.clone(),
        scrub: scrub::Scrub::new(
            &config.secret,
            &[
                config.target.url().as_str(),
                config.state_url.as_deref().unwrap_or(""),
            ],
            &config.headers,
        ),
        breaker: breaker::Breaker::new(config.stop_after, "receiver"),
        probe_breaker: breaker::Breaker::new(config.stop_after, "state probe"),
        log: Mutex::new(Vec::new()),
    });

    let mut cases = Vec::new();
    let mut scenarios = Vec::new();
    let mut stats = SnapshotStats::default();
    let sem = Arc::new(tokio::sync::Semaphore::new(config.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (name, steps) in planned {
        let (ctx, sem, config) = (ctx.clone(), sem.clone(), config.clone());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            run_scenario(&ctx, &config, &name, steps).await
        });
    }
    let mut scenario_outputs = Vec::new();
    while let Some(done) = set.join_next().await {
        let out = done.map_err(|e| RunError::Config(format!("a scenario task failed: {e}")))??;
        if let Some(tx) = &events {
            let _ = tx.send(Event::ScenarioFinished {
                name: out.result.name.clone(),
                steps: out.result.steps,
                failed: out.result.failed,
                elapsed: Duration::from_secs_f64(out.result.elapsed_ms / 1000.0),
            });
        }
        scenario_outputs.push(out);
    }
    scenario_outputs.sort_by(|a, b| a.result.name.cmp(&b.result.name));
    for out in scenario_outputs {
        scenarios.push(out.result);
        cases.extend(out.cases);
        stats.matched += out.snapshots.matched;
        stats.new += out.snapshots.new;
        stats.changed += out.snapshots.changed;
        stats.written.extend(out.snapshots.written);
    }

    for check in CheckId::ALL
        .into_iter()
        .filter(|c| c.sends() && config.selected.contains(c))
    {
        let c = ctx.clone();
        let found = match check {
            CheckId::BadSignatureRejected => cases::bad_signature(c).await,
            CheckId::MissingSignatureRejected => cases::missing_signature(c).await,
            CheckId::MalformedRejected => cases::malformed(c).await,
            CheckId::UnknownEventAccepted => cases::unknown_event(c).await,
            CheckId::DuplicateIdempotent => cases::duplicate(c).await,
            CheckId::OutOfOrderNewestWins => cases::out_of_order(c, config.burst.max(32)).await,
            CheckId::DialectsAccepted => cases::dialects(c).await,
            CheckId::BurstNo5xx => cases::burst(c, config.burst.max(32)).await,
            CheckId::HostileContentSafe => cases::hostile(c).await,
            _ => Vec::new(),
        };
        let summary = check::summarize(check, true, &ctx.expect(check), &found);
        if let Some(tx) = &events {
            let _ = tx.send(Event::CheckFinished(summary));
        }
        cases.extend(found);
    }

    // Reasons quote probe answers and bodies; one last pass over all of it.
    for c in &mut cases {
        c.name = ctx.scrub.text(&c.name);
        c.reason = c.reason.as_deref().map(|r| ctx.scrub.text(r));
        c.diff = c.diff.as_deref().map(|d| ctx.scrub.text(d));
    }
    let log = ctx.log.lock().map(|l| l.clone()).unwrap_or_default();
    if config.selected.contains(&CheckId::LatencyBudget) {
        cases.push(latency_case(&log, config.budget));
    }

    let checks: Vec<CheckSummary> = CheckId::ALL
        .into_iter()
        .map(|c| check::summarize(c, config.selected.contains(&c), &ctx.expect(c), &cases))
        .collect();
    if let Some(tx) = &events {
        for s in checks.iter().filter(|s| !s.check.sends()) {
            let _ = tx.send(Event::CheckFinished(s.clone()));
        }
    }
    let passed = checks.iter().all(|c| c.verdict != Verdict::Failed);
    Ok(RunReport {
        meta: RunMeta {
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
            target: config.target.shown().to_owned(),
            state_url: ctx.probe.as_ref().map(Probe::shown),
            signing_profile: config.profile.to_string(),
            secret_fingerprint: config.secret.fingerprint(),
            id_base: config.id_base,
            started_unix: config.start_unix,
            timeout_ms: config.timeout.as_millis(),
            latency_budget_ms: config.budget.as_millis(),
            snapshot_dir: config.snapshots.dir().display().to_string(),
            snapshot_mode: config.snapshots.mode(),
            rerun: config.rerun.clone(),
        },
        passed,
        scenarios,
        checks,
        cases,
        snapshots: stats,
        deliveries: log.len(),
        stopped: ctx
            .breaker
            .outcome()
            .map(|(reason, skipped)| Stopped { reason, skipped }),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

fn latency_case(log: &[(String, Duration, Option<u16>)], budget: Duration) -> Case {
    let slow: Vec<&(String, Duration, Option<u16>)> =
        log.iter().filter(|(_, l, _)| *l > budget).collect();
    let max = log.iter().map(|(_, l, _)| *l).max().unwrap_or_default();
    let reason = (!slow.is_empty()).then(|| {
        let worst: Vec<String> = slow
            .iter()
            .take(5)
            .map(|(w, l, _)| format!("{w}: {:.0} ms", l.as_secs_f64() * 1000.0))
            .collect();
        format!(
            "{} of {} deliveries took longer than the {} budget: {}",
            slow.len(),
            log.len(),
            crate::duration::show(budget),
            worst.join("; ")
        )
    });
    let name = format!(
        "{} deliveries within {} (slowest {:.0} ms)",
        log.len(),
        crate::duration::show(budget),
        max.as_secs_f64() * 1000.0
    );
    Case {
        response: if slow.is_empty() {
            Verdict::Passed
        } else {
            Verdict::Failed
        },
        reason,
        ..Case::new(CheckId::LatencyBudget, name)
    }
}

struct ScenarioOutput {
    result: ScenarioResult,
    cases: Vec<Case>,
    snapshots: SnapshotStats,
}

/// The run-varying values of a step's payload, for snapshot redaction.
fn volatile_of(p: &Payload) -> snapshot::Volatile {
    let mut out = Vec::new();
    if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(p) {
        if let Some(serde_json::Value::Object(d)) = m.get("data") {
            for key in [
                "id",
                "appointment_id",
                "registered_client_id",
                "created_at",
                "updated_at",
                "date",
                "original_date",
                "appointment_date",
            ] {
                if let Some(v) = d.get(key).filter(|v| !v.is_null()) {
                    out.push((format!("data.{key}"), v.clone()));
                }
            }
        }
        if let Some(t) = m.get("timestamp") {
            out.push(("timestamp".to_owned(), t.clone()));
        }
    }
    out
}

async fn run_scenario(
    ctx: &Ctx,
    config: &RunConfig,
    name: &str,
    steps: Vec<PlannedStep>,
) -> Result<ScenarioOutput, RunError> {
    let started = Instant::now();
    let mut cases = Vec::new();
    let mut snaps = SnapshotStats::default();
    // The last state sent for each record the scenario touched.
    let mut last: BTreeMap<(RecordKind, u64), (String, Option<i64>)> = BTreeMap::new();
    let n = steps.len();
    for step in steps {
        let x = ctx.send_payload(&step.payload, "scenario step").await;
        let mut case = Case {
            scenario: Some(name.to_owned()),
            step: Some(step.name.clone()),
            sent: vec![x.sent.clone()],
            received: vec![x.received.clone()],
            ..Case::new(CheckId::ValidAccepted, format!("{name} / {}", step.name))
        };
        match x.delivery.status() {
            Some(s) if step.expect.status.contains(s) => {}
            Some(s) => {
                case.response = Verdict::Failed;
                case.reason = Some(format!("answered {s}, expected {}", step.expect.status));
            }
            None => {
                case.response = Verdict::Failed;
                case.reason = Some(x.delivery.summary());
            }
        }
        if let Some((kind, id)) = step.record {
            let state = match &step.payload.data {
                crate::model::Record::Visit(v) => Some(v.state.code()),
                crate::model::Record::Appointment(a) => Some(a.state.code()),
                _ => None,
            };
            let deleted = step.payload.event.ends_with("_deleted");
            last.insert(
                (kind, id),
                (step.name.clone(), if deleted { None } else { state }),
            );
        }
        if config.selected.contains(&CheckId::ValidAccepted) {
            cases.push(case);
        }
        if config.selected.contains(&CheckId::SnapshotMatch) && step.expect.snapshot {
            cases.push(snapshot_case(config, name, &step, &x, &mut snaps)?);
        }
    }
    if config.selected.contains(&CheckId::ValidAccepted) {
        for ((kind, id), (step, state)) in &last {
            if !matches!(kind, RecordKind::Visit | RecordKind::Appointment) {
                continue;
            }
            let label = format!(
                "{}/{id}",
                if *kind == RecordKind::Visit {
                    "visits"
                } else {
                    "appointments"
                }
            );
            let seen = ctx.seen(*kind, *id).await;
            let mut case = Case {
                scenario: Some(name.to_owned()),
                step: Some(step.clone()),
                ..Case::new(
                    CheckId::ValidAccepted,
                    format!("{name}: {label} shows the state of step {step}"),
                )
            };
            match cases::state_is_pub(&seen, *state, &label) {
                None => case.effect = Verdict::NotObserved,
                Some(Ok(())) => {}
                Some(Err(r)) => {
                    case.effect = Verdict::Failed;
                    case.reason = Some(r);
                }
            }
            cases.push(case);
        }
    }
    let failed = cases
        .iter()
        .filter(|c| c.verdict() == Verdict::Failed)
        .count();
    Ok(ScenarioOutput {
        result: ScenarioResult {
            name: name.to_owned(),
            steps: n,
            failed,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        },
        cases,
        snapshots: snaps,
    })
}

fn snapshot_case(
    config: &RunConfig,
    scenario: &str,
    step: &PlannedStep,
    x: &Exchange,
    stats: &mut SnapshotStats,
) -> Result<Case, RunError> {
    let mut case = Case {
        scenario: Some(scenario.to_owned()),
        step: Some(step.name.clone()),
        sent: vec![x.sent.clone()],
        received: vec![x.received.clone()],
        ..Case::new(
            CheckId::SnapshotMatch,
            format!("{scenario} / {}", step.name),
        )
    };
    let Some(answer) = &x.delivery.answer else {
        case.response = Verdict::Failed;
        case.reason = Some(format!("no response to snapshot: {}", x.delivery.summary()));
        return Ok(case);
    };
    let rendered = snapshot::render(
        answer.status,
        answer.content_type.as_deref(),
        &answer.body,
        &step.expect.redact,
        &volatile_of(&step.payload),
    );
    let title = format!("{scenario} / {}: {}", step.name, step.payload.event);
    let shown = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    match config
        .snapshots
        .check(scenario, &step.name, &title, &rendered)?
    {
        snapshot::Outcome::Matched => stats.matched += 1,
        snapshot::Outcome::New { written } => {
            stats.new += 1;
            let accepted = config.snapshots.mode() == snapshot::Mode::Accept;
            if !accepted {
                case.response = Verdict::Failed;
                case.reason = Some(match &written {
                    Some(p) => format!("new snapshot, pending review: {}", p.display()),
                    None => format!(
                        "no approved snapshot {} (CI writes nothing: run without CI=true and accept it)",
                        config.snapshots.path_for(scenario, &step.name).display()
                    ),
                });
                case.diff = Some(rendered);
            }
            stats.written.extend(shown(&written));
        }
        snapshot::Outcome::Changed { diff, written } => {
            stats.changed += 1;
            if config.snapshots.mode() != snapshot::Mode::Accept {
                case.response = Verdict::Failed;
                case.reason = Some(match &written {
                    Some(p) => format!(
                        "response differs from its snapshot; pending: {}",
                        p.display()
                    ),
                    None => "response differs from its approved snapshot".to_owned(),
                });
                case.diff = Some(diff);
            }
            stats.written.extend(shown(&written));
        }
    }
    Ok(case)
}

/// The first line of `s`, at most `max` bytes, for one-line displays.
pub fn truncate_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    probe::truncate(line, max)
}
