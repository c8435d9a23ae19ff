//! The protocol contract every correct receiver keeps (SPEC section 4), as a
//! catalogue of named checks, and the data a check produces. A failed check
//! is a finding, never an `Err`. The cases each check sends are built in
//! `runner::cases`; this module only names, describes and judges.

use crate::status::StatusSet;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// One check of the protocol contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    ValidAccepted,
    BadSignatureRejected,
    MissingSignatureRejected,
    MalformedRejected,
    UnknownEventAccepted,
    DuplicateIdempotent,
    OutOfOrderNewestWins,
    DialectsAccepted,
    BurstNo5xx,
    HostileContentSafe,
    LatencyBudget,
    SnapshotMatch,
}

impl CheckId {
    pub const ALL: [CheckId; 12] = [
        CheckId::ValidAccepted,
        CheckId::BadSignatureRejected,
        CheckId::MissingSignatureRejected,
        CheckId::MalformedRejected,
        CheckId::UnknownEventAccepted,
        CheckId::DuplicateIdempotent,
        CheckId::OutOfOrderNewestWins,
        CheckId::DialectsAccepted,
        CheckId::BurstNo5xx,
        CheckId::HostileContentSafe,
        CheckId::LatencyBudget,
        CheckId::SnapshotMatch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CheckId::ValidAccepted => "valid-accepted",
            CheckId::BadSignatureRejected => "bad-signature-rejected",
            CheckId::MissingSignatureRejected => "missing-signature-rejected",
            CheckId::MalformedRejected => "malformed-rejected",
            CheckId::UnknownEventAccepted => "unknown-event-accepted",
            CheckId::DuplicateIdempotent => "duplicate-idempotent",
            CheckId::OutOfOrderNewestWins => "out-of-order-newest-wins",
            CheckId::DialectsAccepted => "dialects-accepted",
            CheckId::BurstNo5xx => "burst-no-5xx",
            CheckId::HostileContentSafe => "hostile-content-safe",
            CheckId::LatencyBudget => "latency-budget",
            CheckId::SnapshotMatch => "snapshot-match",
        }
    }

    /// The SPEC section 4 item it checks, and what it demands.
    pub fn description(self) -> &'static str {
        match self {
            CheckId::ValidAccepted => {
                "(1) every valid signed event of every scenario gets its expected status (2xx); with a state URL, each record then shows the newest state sent"
            }
            CheckId::BadSignatureRejected => {
                "(2) a wrong signature (other secret, tampered payload, another payload's signature) gets 401/403; with a state URL, nothing changed"
            }
            CheckId::MissingSignatureRejected => {
                "(2) a missing, null, empty, non-hex or wrong-length signature gets 401/403; with a state URL, nothing changed"
            }
            CheckId::MalformedRejected => "(3) a body that is not JSON or lacks a payload object gets 400/422, never 5xx",
            CheckId::UnknownEventAccepted => {
                "(4) valid signed events the receiver likely does not handle (client_*, service_*, staff_*) get 2xx"
            }
            CheckId::DuplicateIdempotent => {
                "(5) the same delivery twice, at once and later, gets 2xx both times; with a state URL, the second had no effect"
            }
            CheckId::OutOfOrderNewestWins => {
                "(6) an older update after a newer one, a create after its update, and a burst of concurrent updates of one visit get 2xx; with a state URL, the newest state stands"
            }
            CheckId::DialectsAccepted => {
                "(7) every dialect of the sender (state object, notes collection, string ids, HH:MM, phone lengths, null note dates, non-ASCII) and every docs example gets 2xx; with a state URL, the state was read right"
            }
            CheckId::BurstNo5xx => {
                "(8) a burst of concurrent deliveries (at least 32 in flight) gets no 5xx and no transport error; with a state URL, every record exists"
            }
            CheckId::HostileContentSafe => {
                "(9) SQL/HTML metacharacters, emoji, RTL text and a 256 KiB note get 2xx and, with a state URL, are stored verbatim; a body over 1 MiB gets 2xx or 413, never 5xx"
            }
            CheckId::LatencyBudget => "(1, 8) every delivery of the run is answered within the latency budget",
            CheckId::SnapshotMatch => "(10) each scenario step's response matches its approved snapshot (status, redacted body)",
        }
    }

    /// The statuses the check accepts unless configured otherwise.
    pub fn default_expect(self) -> StatusSet {
        match self {
            CheckId::BadSignatureRejected | CheckId::MissingSignatureRejected => {
                StatusSet::codes(&[401, 403])
            }
            CheckId::MalformedRejected => StatusSet::codes(&[400, 422]),
            _ => StatusSet::success(),
        }
    }

    /// True when the check sends deliveries of its own (not only judges others).
    pub fn sends(self) -> bool {
        !matches!(
            self,
            CheckId::ValidAccepted | CheckId::LatencyBudget | CheckId::SnapshotMatch
        )
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CheckId {
    type Err = String;
    fn from_str(s: &str) -> Result<CheckId, String> {
        CheckId::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = CheckId::ALL.iter().map(|c| c.name()).collect();
                format!("unknown check {s:?} (known: {})", names.join(", "))
            })
    }
}

/// The verdict on one case or one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Passed,
    Failed,
    /// The response part passed, but the effect could not be seen (no state URL).
    NotObserved,
    Skipped,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::NotObserved => "not observed",
            Verdict::Skipped => "skipped",
        })
    }
}

/// What was sent in one case, in words a developer can act on.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Sent {
    pub event: String,
    /// `visits/1733000001`, when the delivery names a record.
    pub record: Option<String>,
    /// How this delivery differs from a clean one (`signed with another secret`).
    pub variant: String,
    pub bytes: usize,
}

/// What came back.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Received {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: f64,
    /// The body, first 2 KiB, lossily decoded.
    pub body: String,
}

/// One case of one check.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    pub check: CheckId,
    pub name: String,
    pub scenario: Option<String>,
    pub step: Option<String>,
    pub sent: Vec<Sent>,
    pub received: Vec<Received>,
    /// The verdict on the responses.
    pub response: Verdict,
    /// The verdict on the effect seen through the state probe.
    pub effect: Verdict,
    pub reason: Option<String>,
    pub diff: Option<String>,
}

impl Case {
    /// A case that has passed so far and sent nothing yet.
    pub fn new(check: CheckId, name: impl Into<String>) -> Case {
        Case {
            check,
            name: name.into(),
            scenario: None,
            step: None,
            sent: Vec::new(),
            received: Vec::new(),
            response: Verdict::Passed,
            effect: Verdict::Passed,
            reason: None,
            diff: None,
        }
    }

    pub fn verdict(&self) -> Verdict {
        match (self.response, self.effect) {
            (Verdict::Failed, _) | (_, Verdict::Failed) => Verdict::Failed,
            (Verdict::Skipped, _) => Verdict::Skipped,
            (_, Verdict::NotObserved) => Verdict::NotObserved,
            _ => Verdict::Passed,
        }
    }
}

/// A check's verdict over its cases.
#[derive(Clone, Debug, Serialize)]
pub struct CheckSummary {
    pub check: CheckId,
    pub verdict: Verdict,
    pub cases: usize,
    pub failed: usize,
    /// True when some effect could not be seen (no state URL).
    pub effects_not_observed: bool,
    pub expect: String,
}

/// Sums cases into a check's verdict: failed if any case failed, skipped if
/// not selected, otherwise passed (noting effects that were not observed).
pub fn summarize(
    check: CheckId,
    selected: bool,
    expect: &StatusSet,
    cases: &[Case],
) -> CheckSummary {
    let mine: Vec<&Case> = cases.iter().filter(|c| c.check == check).collect();
    let failed = mine
        .iter()
        .filter(|c| c.verdict() == Verdict::Failed)
        .count();
    let not_observed = mine.iter().any(|c| c.effect == Verdict::NotObserved);
    let verdict = if !selected {
        Verdict::Skipped
    } else if failed > 0 {
        Verdict::Failed
    } else {
        Verdict::Passed
    };
    CheckSummary {
        check,
        verdict,
        cases: mine.len(),
        failed,
        effects_not_observed: not_observed,
        expect: expect.to_string(),
    }
}
