//! The Load level's burst: deliveries fired at a stated rate (not all at
//! once, which `burst-no-5xx` already does) for a stated time, each judged
//! 2xx within the latency budget, with the achieved rate and the latency
//! percentiles measured and recorded.
//!
//! It is the load mode (`crate::load`) run with the suite's seed (so every
//! run sends the same events in the same dialects) and fresh record ids
//! from the run's id range (so a receiver that keeps state sees new records).

use crate::load::{self, LoadConfig, LoadFailure, Mix};
use crate::runner::RunError;
use crate::signing::{Profile, Secret};
use crate::transport::Target;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The achieved rate must reach this fraction of the stated one.
pub const MIN_RATE_FRACTION: f64 = 0.9;

/// A stated rate for a stated time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadPlan {
    pub rate_per_s: u32,
    pub duration: Duration,
}

impl Default for LoadPlan {
    /// The suite's plan: 50 deliveries a second for 2 seconds.
    fn default() -> Self {
        LoadPlan {
            rate_per_s: 50,
            duration: Duration::from_secs(2),
        }
    }
}

impl LoadPlan {
    pub fn deliveries(&self) -> usize {
        (f64::from(self.rate_per_s) * self.duration.as_secs_f64()).round() as usize
    }
}

/// What the burst measured.
#[derive(Clone, Debug, Serialize)]
pub struct LoadResult {
    pub stated_rate_per_s: u32,
    pub stated_duration_ms: u128,
    pub latency_budget_ms: u128,
    pub deliveries: usize,
    pub answered_2xx: usize,
    /// Answers by status class and failures by kind.
    pub outcomes: BTreeMap<String, usize>,
    pub achieved_rate_per_s: f64,
    /// From each delivery's intended send time (see `crate::load`).
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub failures: Vec<LoadFailure>,
}

impl LoadResult {
    pub fn failure(&self) -> Option<String> {
        let mut why = Vec::new();
        if self.deliveries == 0 {
            why.push("no delivery was sent".to_owned());
        }
        let bad = self.deliveries.saturating_sub(self.answered_2xx);
        if bad > 0 {
            let shown: Vec<String> = self
                .outcomes
                .iter()
                .filter(|(k, _)| !k.starts_with('2'))
                .map(|(k, n)| format!("{n} x {k}"))
                .collect();
            why.push(format!(
                "{bad} of {} deliveries were not answered 2xx ({})",
                self.deliveries,
                shown.join(", ")
            ));
        }
        if self.max_ms > self.latency_budget_ms as f64 {
            why.push(format!(
                "the slowest answer took {:.0} ms, over the {} ms budget (p99 {:.0} ms)",
                self.max_ms, self.latency_budget_ms, self.p99_ms
            ));
        }
        let floor = f64::from(self.stated_rate_per_s) * MIN_RATE_FRACTION;
        if self.deliveries > 0 && self.achieved_rate_per_s < floor {
            why.push(format!(
                "achieved {:.1} answers per second, below {:.1} ({}% of the stated {} per second)",
                self.achieved_rate_per_s,
                floor,
                (MIN_RATE_FRACTION * 100.0) as u32,
                self.stated_rate_per_s
            ));
        }
        (!why.is_empty()).then(|| why.join("; "))
    }
}

/// Fires the plan with the load mode (`crate::load`): an open model at the
/// stated rate, latency from the intended send time.
pub(super) async fn run(
    target: &Target,
    secret: &Secret,
    profile: Profile,
    plan: &LoadPlan,
    id_base: u64,
    start_unix: i64,
) -> Result<LoadResult, RunError> {
    let config = LoadConfig {
        target: target.clone(),
        secret: secret.clone(),
        profile,
        rate: f64::from(plan.rate_per_s.max(1)),
        duration: plan.duration,
        connections: super::BURST,
        mix: Mix::Events,
        timeout: super::TIMEOUT,
        seed: super::SUITE_SEED,
        id_base,
        start_unix,
        headers: Vec::new(),
    };
    let r = load::run(config, None).await?;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for (k, v) in r.statuses.iter().chain(&r.errors) {
        *outcomes.entry(k.clone()).or_default() += *v as usize;
    }
    // Tickets never sent before the deadline are deliveries that failed too.
    if r.not_sent > 0 {
        outcomes.insert(
            "not sent before the deadline".to_owned(),
            r.not_sent as usize,
        );
    }
    Ok(LoadResult {
        stated_rate_per_s: plan.rate_per_s,
        stated_duration_ms: plan.duration.as_millis(),
        latency_budget_ms: super::LATENCY_BUDGET.as_millis(),
        deliveries: r.scheduled as usize,
        answered_2xx: r.statuses.get("2xx").copied().unwrap_or_default() as usize,
        outcomes,
        achieved_rate_per_s: r.throughput,
        p50_ms: r.latency_ms.p50,
        p99_ms: r.latency_ms.p99,
        max_ms: r.latency_ms.max,
        failures: r.failures,
    })
}
