//! Fires a [`Schedule`] at a receiver and judges it: every attempt's status
//! against its expected class, then (with a state probe) every record's
//! final state against the state of its newest payload. Shared by fuzz
//! cases and by `replay`, so both reach the same verdict on the same bytes.
//!
//! A receiver's wrong answer is a [`Problem`] (data), never an `Err`.

use super::schedule::{Attempt, Expect, Schedule};
use crate::runner::{Probe, Seen};
use crate::transport::{Delivery, Transport};
use std::time::Duration;

/// One thing the receiver got wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem(pub String);

/// What firing a schedule showed.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub problems: Vec<Problem>,
    /// HTTP POSTs made.
    pub deliveries: usize,
    /// State probe reads made.
    pub probes: usize,
    /// Whether final states were read (there was a probe).
    pub observed: bool,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What came of one attempt.
enum Got {
    Answer(Delivery),
    Abandoned,
}

async fn send(transport: &Transport, url: &reqwest::Url, a: &Attempt) -> Got {
    let post = transport.post(url, a.body.clone().into_bytes());
    match a.abandon_after_ms {
        // Dropping the request future closes the connection: the sender
        // gave up, whatever the receiver was doing with it.
        Some(ms) => match tokio::time::timeout(Duration::from_millis(ms), post).await {
            Ok(d) => Got::Answer(d),
            Err(_) => Got::Abandoned,
        },
        None => Got::Answer(post.await),
    }
}

fn judge(n: usize, a: &Attempt, got: &Got) -> Option<Problem> {
    let d = match got {
        Got::Abandoned => return None,
        Got::Answer(d) => d,
    };
    match (d.status(), a.expect) {
        (Some(s), _) if (200..300).contains(&s) => None,
        (None, Expect::SuccessOrAbandoned) => None,
        (Some(_), _) | (None, Expect::Success) => {
            let body = d
                .answer
                .as_ref()
                .map(|a| a.body_text())
                .filter(|b| !b.trim().is_empty())
                .map(|b| format!(": {}", crate::runner::truncate_line(b.trim(), 160)))
                .unwrap_or_default();
            Some(Problem(format!(
                "delivery {n} ({}): expected {}, got {}{body}",
                a.label,
                a.expect.as_str(),
                d.summary()
            )))
        }
    }
}

/// Fires every slot in order (a concurrent slot's attempts all in flight
/// together), then reads the final states through `probe`.
pub async fn fire(
    schedule: &Schedule,
    transport: &Transport,
    url: &reqwest::Url,
    probe: Option<&Probe>,
) -> Outcome {
    let mut out = Outcome::default();
    let mut n = 0;
    for slot in &schedule.slots {
        if !slot.concurrent || slot.attempts.len() < 2 {
            for a in &slot.attempts {
                n += 1;
                let got = send(transport, url, a).await;
                out.problems.extend(judge(n, a, &got));
            }
        } else {
            let mut tasks = Vec::with_capacity(slot.attempts.len());
            for (k, a) in slot.attempts.iter().enumerate() {
                if k > 0 && slot.launch_gap_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(slot.launch_gap_ms)).await;
                }
                let (t, u, a) = (transport.clone(), url.clone(), a.clone());
                tasks.push(tokio::spawn(async move { send(&t, &u, &a).await }));
            }
            for (task, a) in tasks.into_iter().zip(&slot.attempts) {
                n += 1;
                match task.await {
                    Ok(got) => out.problems.extend(judge(n, a, &got)),
                    Err(e) => out.problems.push(Problem(format!(
                        "delivery {n}: the sending task failed: {e}"
                    ))),
                }
            }
        }
    }
    out.deliveries = n;
    let Some(probe) = probe else {
        return out;
    };
    out.observed = true;
    for f in &schedule.final_states {
        let Some(kind) = f.record_kind() else {
            continue;
        };
        out.probes += 1;
        let seen = probe.read(kind, f.id).await;
        let ok = match (&seen, f.state) {
            (Seen::Unobservable, _) => true,
            (Seen::Missing, None) => true,
            (Seen::Found(_), Some(s)) => seen.state() == Some(s),
            _ => false,
        };
        if !ok {
            out.problems.push(Problem(format!(
                "{}: expected {}, the receiver shows {}",
                f.what(),
                f.expectation(),
                seen.describe()
            )));
        }
    }
    out
}
