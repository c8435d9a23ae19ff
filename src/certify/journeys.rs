//! The Robust level's property journeys: the fuzz runner (`crate::fuzz`)
//! plugged into the certification's [`JourneyRunner`] hook, at the suite's
//! seed and a fixed case count, so two certifications of one receiver run
//! the same journeys (on fresh record ids).

use super::{JourneyContext, JourneyOutcome, JourneyRunner};
use crate::fuzz::{self, FaultKind, FuzzConfig, PlanOptions, Shard};
use crate::model::DialectMode;
use std::future::Future;
use std::pin::Pin;

/// Cases the suite runs: enough to cover every state, transition, dialect
/// and fault of the model (the fuzz tests show 100 do), few enough for a
/// certification to stay quick.
pub const JOURNEY_CASES: u64 = 100;

/// Property journeys from the fuzz runner.
#[derive(Clone, Debug, Default)]
pub struct PropertyJourneys;

impl JourneyRunner for PropertyJourneys {
    fn run<'a>(
        &'a self,
        ctx: &'a JourneyContext,
    ) -> Pin<Box<dyn Future<Output = JourneyOutcome> + Send + 'a>> {
        Box::pin(async move {
            let config = FuzzConfig {
                target: ctx.target.clone(),
                state_url: ctx.state_url.clone(),
                secret: ctx.secret.clone(),
                profile: ctx.profile,
                mode: DialectMode::Mixed,
                timeout: ctx.timeout,
                seed: ctx.seed,
                cases: JOURNEY_CASES,
                shard: Shard::ALL,
                plan: PlanOptions {
                    patients: 3,
                    max_steps: 24,
                    faults: FaultKind::ALL.into_iter().collect(),
                },
                id_base: ctx.id_base,
                start_unix: ctx.start_unix,
                max_shrink_iters: 1024,
                // A certification hands over its bundle, not replay files.
                replay_dir: None,
                rerun: format!(
                    "chup-harness fuzz --seed {} --cases {JOURNEY_CASES}",
                    ctx.seed
                ),
            };
            match fuzz::fuzz(config.clone()).await {
                Ok(report) => JourneyOutcome {
                    journeys: report.cases_run as usize,
                    failures: report
                        .failure
                        .as_ref()
                        .map(|_| vec![report.render(&config).trim().to_owned()])
                        .unwrap_or_default(),
                },
                Err(e) => JourneyOutcome {
                    journeys: 0,
                    failures: vec![format!("the journeys could not run: {e}")],
                },
            }
        })
    }
}
