//! From a materialized plan to the exact deliveries a case fires: every
//! payload signed into its body, delivery faults applied (reordered within
//! a window, duplicated at once or later, a first attempt abandoned then
//! retried, concurrent bursts), each attempt with the status class it must
//! get, and the final state of every record.
//!
//! The types here are what a replay file holds (see `replay`), so a replay
//! fires exactly what the fuzz run fired. This module sends nothing.

use super::model::{Expected, Fault, Materialized, Planned};
use crate::model::RecordKind;
use crate::signing::{self, Profile, Secret};
use serde::{Deserialize, Serialize};

/// The status class an attempt must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expect {
    /// A 2xx answer.
    #[serde(rename = "2xx")]
    Success,
    /// Abandoned by the sender: no answer is fine, an answer must be 2xx.
    #[serde(rename = "2xx-or-abandoned")]
    SuccessOrAbandoned,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Success => "2xx",
            Expect::SuccessOrAbandoned => "2xx or abandoned",
        }
    }
}

/// One HTTP POST of one body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Which payload of the plan this is (1-based, in Chup's order).
    pub payload: usize,
    /// The payload in a few words, and what the fault did to it.
    pub label: String,
    /// The exact body sent (bodies are UTF-8 JSON).
    pub body: String,
    /// The sender gives up after this many milliseconds (a retry follows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandon_after_ms: Option<u64>,
    pub expect: Expect,
}

/// Attempts fired one after the other, or all at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// All attempts in flight together, launched in the listed order.
    pub concurrent: bool,
    /// Milliseconds between two launches of a concurrent slot (see
    /// [`LAUNCH_GAP_MS`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub launch_gap_ms: u64,
    pub attempts: Vec<Attempt>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The gap between launches in a burst. Without it the arrival order of
/// requests that each open a new connection is a coin toss, and a race
/// found by the fuzz run would not reproduce on replay; with it, arrival
/// follows launch order, and every request is still in flight together at
/// any receiver that takes longer than this to answer.
pub const LAUNCH_GAP_MS: u64 = 1;

/// The state a record must show once every attempt is answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalState {
    /// `visits` or `appointments`, as the state URL's `{kind}`.
    pub kind: String,
    pub id: u64,
    /// `null`: deleted, the probe must answer 404.
    pub state: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_name: Option<String>,
    /// The `updated_at` of the record's newest payload.
    pub updated_at: String,
}

impl FinalState {
    pub fn record_kind(&self) -> Option<RecordKind> {
        match self.kind.as_str() {
            "visits" => Some(RecordKind::Visit),
            "appointments" => Some(RecordKind::Appointment),
            _ => None,
        }
    }

    /// `visit 100001001`.
    pub fn what(&self) -> String {
        format!("{} {}", self.kind.trim_end_matches('s'), self.id)
    }

    /// `state 2 (Alerted, newest updated_at …)` or `404 (deleted at …)`.
    pub fn expectation(&self) -> String {
        match (self.state, &self.state_name) {
            (Some(s), Some(n)) => format!("state {s} ({n}, newest updated_at {})", self.updated_at),
            (Some(s), None) => format!("state {s} (newest updated_at {})", self.updated_at),
            (None, _) => format!("404 (deleted at {})", self.updated_at),
        }
    }
}

/// Everything one case fires and expects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub slots: Vec<Slot>,
    pub final_states: Vec<FinalState>,
}

impl Schedule {
    /// How many HTTP POSTs it makes.
    pub fn deliveries(&self) -> usize {
        self.slots.iter().map(|s| s.attempts.len()).sum()
    }

    /// The deliveries as a readable numbered list, one line each.
    pub fn render(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut n = 0;
        for slot in &self.slots {
            if slot.concurrent {
                lines.push(format!(
                    "concurrently ({} in flight, launched in this order, {} ms apart):",
                    slot.attempts.len(),
                    slot.launch_gap_ms
                ));
            }
            for a in &slot.attempts {
                n += 1;
                let indent = if slot.concurrent { "  " } else { "" };
                let abandon = a
                    .abandon_after_ms
                    .map(|ms| format!(" [abandoned after {ms} ms]"))
                    .unwrap_or_default();
                lines.push(format!("{indent}{n}. {}{abandon}", a.label));
            }
        }
        lines
    }
}

fn final_state(e: &Expected) -> FinalState {
    FinalState {
        kind: match e.kind {
            RecordKind::Visit => "visits",
            _ => "appointments",
        }
        .to_owned(),
        id: e.id,
        state: e.state,
        state_name: e.state_name.clone(),
        updated_at: e.updated_at.clone(),
    }
}

#[derive(Clone, Debug)]
struct Entry {
    payload: usize,
    note: Option<String>,
    abandon: Option<u64>,
    /// Starts a burst of this many following entries.
    burst: Option<usize>,
}

/// Signs every payload and applies the delivery faults.
pub fn build(m: &Materialized, profile: Profile, secret: &Secret) -> Schedule {
    let bodies: Vec<String> = m
        .planned
        .iter()
        .map(|p| {
            let body = signing::signed_body(&p.payload, profile, secret);
            String::from_utf8(body).expect("signed bodies are UTF-8 JSON")
        })
        .collect();
    let entries = entries(&m.planned);
    let mut slots = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let e = &entries[i];
        let take = e.burst.map_or(1, |k| (k + 1).min(entries.len() - i));
        let mut attempts: Vec<Attempt> = entries[i..i + take]
            .iter()
            .map(|e| attempt(e, &m.planned, &bodies))
            .collect();
        if take > 1 {
            // Newest first: the order least kind to a receiver that reads
            // before it writes, so a lost update shows.
            attempts.reverse();
        }
        slots.push(Slot {
            concurrent: take > 1,
            launch_gap_ms: if take > 1 { LAUNCH_GAP_MS } else { 0 },
            attempts,
        });
        i += take;
    }
    Schedule {
        slots,
        final_states: m.expected.iter().map(final_state).collect(),
    }
}

fn attempt(e: &Entry, planned: &[Planned], bodies: &[String]) -> Attempt {
    let p = &planned[e.payload];
    let note = e
        .note
        .as_ref()
        .map(|n| format!(" — {n}"))
        .unwrap_or_default();
    Attempt {
        payload: e.payload + 1,
        label: format!("payload {}: {}{note}", e.payload + 1, p.describe()),
        body: bodies[e.payload].clone(),
        abandon_after_ms: e.abandon,
        expect: if e.abandon.is_some() {
            Expect::SuccessOrAbandoned
        } else {
            Expect::Success
        },
    }
}

/// The linear order of attempts: reorders first, then duplicates and
/// retries; bursts are marked on the entry that starts them.
fn entries(planned: &[Planned]) -> Vec<Entry> {
    // A payload held back by k sorts after the next k payloads.
    let mut order: Vec<(usize, usize)> = (0..planned.len())
        .map(|i| match planned[i].fault {
            Fault::Reorder(k) => (2 * (i + usize::from(k)) + 1, i),
            _ => (2 * i, i),
        })
        .collect();
    order.sort();
    let plain = |payload: usize, note: Option<String>| Entry {
        payload,
        note,
        abandon: None,
        burst: None,
    };
    let mut out = Vec::new();
    let mut later: Vec<(usize, usize)> = Vec::new();
    for (pos, &(_, i)) in order.iter().enumerate() {
        match planned[i].fault {
            Fault::Clean => out.push(plain(i, None)),
            Fault::Reorder(k) => out.push(plain(i, Some(format!("held back behind {k} later")))),
            Fault::DuplicateNow => {
                out.push(plain(i, None));
                out.push(plain(i, Some("the same bytes again at once".to_owned())));
            }
            Fault::DuplicateLater(k) => {
                out.push(plain(i, None));
                later.push((pos + usize::from(k), i));
            }
            Fault::Retry(ms) => {
                out.push(Entry {
                    payload: i,
                    note: Some("first attempt".to_owned()),
                    abandon: Some(u64::from(ms)),
                    burst: None,
                });
                out.push(plain(i, Some("retried, the same bytes".to_owned())));
            }
            Fault::Burst(k) => out.push(Entry {
                burst: Some(usize::from(k)),
                ..plain(i, None)
            }),
        }
        later.retain(|&(due, j)| {
            if due == pos {
                out.push(plain(j, Some("the same bytes again, later".to_owned())));
                false
            } else {
                true
            }
        });
    }
    for (_, j) in later {
        out.push(plain(j, Some("the same bytes again, later".to_owned())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::{materialize, MaterializeOptions, Step};
    use super::*;
    use crate::model::DialectMode;

    fn schedule(faults: &[Fault]) -> Schedule {
        let steps: Vec<Step> = faults
            .iter()
            .map(|&fault| Step {
                patient: 0,
                pick: 0,
                style: 0,
                fault,
            })
            .collect();
        let m = materialize(
            &steps,
            &MaterializeOptions {
                id_base: 400_000_000,
                start_unix: 1_733_300_000,
                patients: 1,
                mode: DialectMode::Canonical,
            },
        );
        build(&m, Profile::Compact, &Secret::default())
    }

    fn order(s: &Schedule) -> Vec<usize> {
        s.slots
            .iter()
            .flat_map(|s| s.attempts.iter().map(|a| a.payload))
            .collect()
    }

    #[test]
    fn reorder_holds_a_payload_back_behind_the_next_ones() {
        let s = schedule(&[Fault::Reorder(2), Fault::Clean, Fault::Clean, Fault::Clean]);
        assert_eq!(order(&s), [2, 3, 1, 4]);
        assert!(s.slots.iter().all(|s| !s.concurrent));
    }

    #[test]
    fn duplicates_send_the_same_bytes_at_once_or_later() {
        let s = schedule(&[Fault::DuplicateNow, Fault::DuplicateLater(1), Fault::Clean]);
        assert_eq!(order(&s), [1, 1, 2, 3, 2]);
        let a = &s.slots;
        assert_eq!(a[0].attempts[0].body, a[1].attempts[0].body);
        assert_eq!(a[2].attempts[0].body, a[4].attempts[0].body);
    }

    #[test]
    fn retry_abandons_a_first_attempt_then_sends_the_same_bytes() {
        let s = schedule(&[Fault::Retry(5)]);
        let attempts: Vec<&Attempt> = s.slots.iter().flat_map(|s| &s.attempts).collect();
        assert_eq!(attempts.len(), 2);
        assert_eq!(attempts[0].abandon_after_ms, Some(5));
        assert_eq!(attempts[0].expect, Expect::SuccessOrAbandoned);
        assert_eq!(attempts[1].expect, Expect::Success);
        assert_eq!(attempts[0].body, attempts[1].body);
    }

    #[test]
    fn burst_fires_the_next_deliveries_together_newest_first() {
        let s = schedule(&[Fault::Burst(2), Fault::Clean, Fault::Clean, Fault::Clean]);
        assert!(s.slots[0].concurrent);
        assert_eq!(order(&s), [3, 2, 1, 4]);
        assert_eq!(s.deliveries(), 4);
        assert!(s.render()[0].starts_with("concurrently (3 in flight"));
    }

    #[test]
    fn bodies_are_signed_in_the_spec_layout() {
        let s = schedule(&[Fault::Clean]);
        let body = &s.slots[0].attempts[0].body;
        assert!(body.starts_with("{\"payload\":{\"event\":\"live_queue_created\""));
        signing::verify_body(body.as_bytes(), &Secret::default(), &[Profile::Compact])
            .expect("signed with the test secret");
    }
}
