//! The Load level's burst: deliveries fired at a stated rate (not all at
//! once, which `burst-no-5xx` already does) for a stated time, each judged
//! 2xx within the latency budget, with the achieved rate and the latency
//! percentiles measured and recorded.
//!
//! The payloads are generated from the suite's seed (so every run sends the
//! same events in the same dialects) and then given fresh record ids from
//! the run's id range (so a receiver that keeps state sees new records).

use crate::generate;
use crate::model::{DialectMode, EventName, Id, Payload, Record};
use crate::rng::Rng;
use crate::signing::{self, Profile, Secret};
use crate::transport::{Target, TargetError, Transport};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

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

/// One delivery of the burst that was not a timely 2xx.
#[derive(Clone, Debug, Serialize)]
pub struct LoadFailure {
    pub event: String,
    pub record: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: f64,
    pub body: String,
}

/// What the burst measured.
#[derive(Clone, Debug, Serialize)]
pub struct LoadResult {
    pub stated_rate_per_s: u32,
    pub stated_duration_ms: u128,
    pub latency_budget_ms: u128,
    pub deliveries: usize,
    pub answered_2xx: usize,
    /// Status codes (or transport error kinds) and how often each came back.
    pub outcomes: BTreeMap<String, usize>,
    /// Timely 2xx answers per second, from the first send to the last answer.
    pub achieved_rate_per_s: f64,
    pub elapsed_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The first few deliveries that were not a timely 2xx.
    pub failures: Vec<LoadFailure>,
}

impl LoadResult {
    /// Why the burst fails the Load level, or `None` when it passes.
    pub fn failure(&self) -> Option<String> {
        let mut why = Vec::new();
        if self.deliveries == 0 {
            why.push("no delivery was sent".to_owned());
        }
        let bad = self.deliveries - self.answered_2xx;
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
                "achieved {:.1} timely 2xx answers per second, below {:.1} ({}% of the stated {} per second)",
                self.achieved_rate_per_s,
                floor,
                (MIN_RATE_FRACTION * 100.0) as u32,
                self.stated_rate_per_s
            ));
        }
        (!why.is_empty()).then(|| why.join("; "))
    }
}

/// The `q` quantile (nearest rank) of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn fresh(id: &Id, n: u64) -> Id {
    match id {
        Id::Num(_) => Id::Num(n),
        Id::Text(_) => Id::Text(n.to_string()),
    }
}

/// The burst's payloads: the suite's seed picks them, `id_base` renames them.
pub fn payloads(n: usize, seed: u64, id_base: u64) -> Vec<Payload> {
    let events = [
        EventName::LiveQueueCreated,
        EventName::LiveQueueUpdated,
        EventName::AppointmentCreated,
        EventName::AppointmentUpdated,
    ];
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let event = events[i % events.len()];
            let mut p = generate::payload(event, DialectMode::Mixed, &mut rng);
            let id = id_base + i as u64;
            match &mut p.data {
                Record::Visit(v) => v.id = fresh(&v.id, id),
                Record::Appointment(a) => a.id = fresh(&a.id, id),
                _ => {}
            }
            p
        })
        .collect()
}

fn label(p: &Payload) -> String {
    let kind = match &p.data {
        Record::Appointment(_) => "appointments",
        _ => "visits",
    };
    let id = p
        .data
        .id()
        .map(|i| i.to_string())
        .unwrap_or_else(|| "?".to_owned());
    format!("{kind}/{id}")
}

/// Fires the burst and measures it.
pub(super) async fn run(
    target: &Target,
    secret: &Secret,
    profile: Profile,
    plan: &LoadPlan,
    id_base: u64,
) -> Result<LoadResult, TargetError> {
    let budget = super::LATENCY_BUDGET;
    let transport = Transport::new(super::TIMEOUT, Vec::new())?.with_body_cap(4096);
    let n = plan.deliveries();
    // Sign everything first: the schedule must not wait for the harness.
    let bodies: Vec<(Payload, Vec<u8>)> = payloads(n, super::SUITE_SEED, id_base)
        .into_iter()
        .map(|p| {
            let b = signing::signed_body(&p, profile, secret);
            (p, b)
        })
        .collect();
    let interval = Duration::from_secs_f64(1.0 / f64::from(plan.rate_per_s.max(1)));
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (i, (p, body)) in bodies.into_iter().enumerate() {
        tokio::time::sleep_until((started + interval * i as u32).into()).await;
        let (t, url) = (transport.clone(), target.url().clone());
        set.spawn(async move {
            let d = t.post(&url, body).await;
            (p, d, Instant::now())
        });
    }
    let mut outcomes = BTreeMap::new();
    let mut latencies = Vec::with_capacity(n);
    let mut failures = Vec::new();
    let mut ok = 0;
    let mut timely_ok = 0;
    let mut last = started;
    while let Some(done) = set.join_next().await {
        let Ok((p, d, at)) = done else { continue };
        last = last.max(at);
        let key = match (&d.answer, &d.error) {
            (Some(a), _) => a.status.to_string(),
            (None, Some((kind, _))) => kind.to_string(),
            (None, None) => "no answer".to_owned(),
        };
        *outcomes.entry(key).or_insert(0) += 1;
        let ms = d.latency.as_secs_f64() * 1000.0;
        latencies.push(ms);
        let is_2xx = d.status().is_some_and(|s| (200..300).contains(&s));
        if is_2xx {
            ok += 1;
            if d.latency <= budget {
                timely_ok += 1;
            }
        }
        if (!is_2xx || d.latency > budget) && failures.len() < 5 {
            failures.push(LoadFailure {
                event: p.event.clone(),
                record: label(&p),
                status: d.status(),
                error: d.error.as_ref().map(|(k, m)| format!("{k}: {m}")),
                latency_ms: ms,
                body: d
                    .answer
                    .as_ref()
                    .map(|a| crate::runner::truncate_line(&a.body_text(), 300))
                    .unwrap_or_default(),
            });
        }
    }
    let elapsed = last.duration_since(started).as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Ok(LoadResult {
        stated_rate_per_s: plan.rate_per_s,
        stated_duration_ms: plan.duration.as_millis(),
        latency_budget_ms: budget.as_millis(),
        deliveries: n,
        answered_2xx: ok,
        outcomes,
        // The schedule spans (n - 1) intervals; a receiver that keeps up
        // finishes one latency after the last send, so it reaches the rate.
        achieved_rate_per_s: if elapsed > 0.0 {
            timely_ok as f64 / elapsed
        } else {
            0.0
        },
        elapsed_ms: elapsed * 1000.0,
        p50_ms: quantile(&latencies, 0.50),
        p99_ms: quantile(&latencies, 0.99),
        max_ms: latencies.last().copied().unwrap_or_default(),
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suite_seed_fixes_the_payloads_and_the_id_base_renames_them() {
        let a = payloads(8, 7, 1000);
        let b = payloads(8, 7, 5000);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.event, y.event);
            assert_eq!(x.timestamp, y.timestamp);
        }
        let ids: Vec<String> = a.iter().map(label).collect();
        assert_eq!(ids[0], "visits/1000");
        assert_eq!(ids[2], "appointments/1002");
        assert_ne!(payloads(8, 8, 1000), a, "another seed, other payloads");
    }

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn a_slow_or_failing_burst_says_why() {
        let mut r = LoadResult {
            stated_rate_per_s: 50,
            stated_duration_ms: 2000,
            latency_budget_ms: 5000,
            deliveries: 100,
            answered_2xx: 100,
            outcomes: BTreeMap::from([("200".to_owned(), 100)]),
            achieved_rate_per_s: 50.2,
            elapsed_ms: 1990.0,
            p50_ms: 2.0,
            p99_ms: 9.0,
            max_ms: 12.0,
            failures: Vec::new(),
        };
        assert_eq!(r.failure(), None);
        r.answered_2xx = 97;
        r.outcomes = BTreeMap::from([("200".to_owned(), 97), ("500".to_owned(), 3)]);
        r.achieved_rate_per_s = 20.0;
        let why = r.failure().expect("fails");
        assert!(
            why.contains("3 of 100 deliveries were not answered 2xx (3 x 500)"),
            "{why}"
        );
        assert!(why.contains("below 45.0"), "{why}");
    }
}
