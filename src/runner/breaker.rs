//! The circuit breaker: a receiver that stops answering must not hold a run
//! for (deliveries × timeout). After `threshold` consecutive deliveries that
//! got no answer for the same reason (timeouts, refused connections, broken
//! HTTP), the breaker trips and every later delivery of the run is not sent:
//! it is recorded as failed with "skipped: receiver stopped answering (N
//! consecutive timeouts)". Any answer, of any status, resets the count.
//! Owns only the counting; the runner decides what a tripped breaker means
//! (exit code 3) and reporters print it.

use crate::transport::{Delivery, ErrorKind};
use std::sync::Mutex;
use std::time::Duration;

/// How many consecutive unanswered deliveries of one kind trip the breaker
/// by default: more than one wave of parallel scenarios (8), so a receiver
/// that is merely slow under load is not cut off by its first burst.
pub const DEFAULT_STOP_AFTER: usize = 10;

#[derive(Debug, Default)]
struct State {
    kind: Option<ErrorKind>,
    streak: usize,
    tripped: Option<String>,
    skipped: usize,
}

/// Counts consecutive transport failures; see the module docs.
#[derive(Debug)]
pub(crate) struct Breaker {
    /// 0 never trips.
    threshold: usize,
    /// Who stopped answering, for the message: "receiver", "state probe".
    who: &'static str,
    state: Mutex<State>,
}

fn plural(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Connect => "connection failures",
        ErrorKind::Timeout => "timeouts",
        ErrorKind::Protocol => "broken HTTP exchanges",
        ErrorKind::Redirect => "redirects",
        ErrorKind::Skipped => "skipped deliveries",
        ErrorKind::Other => "transport errors",
    }
}

impl Breaker {
    pub(crate) fn new(threshold: usize, who: &'static str) -> Breaker {
        Breaker {
            threshold,
            who,
            state: Mutex::new(State::default()),
        }
    }

    /// The stand-in for a delivery not sent because the breaker tripped, or
    /// `None` when the delivery should go ahead.
    pub(crate) fn refuse(&self) -> Option<Delivery> {
        let mut s = self.state.lock().ok()?;
        let why = s.tripped.clone()?;
        s.skipped += 1;
        Some(Delivery {
            answer: None,
            error: Some((ErrorKind::Skipped, why)),
            latency: Duration::ZERO,
        })
    }

    /// Counts one delivery that was sent.
    pub(crate) fn record(&self, d: &Delivery) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        match (&d.answer, &d.error) {
            (None, Some((kind, _))) if *kind != ErrorKind::Skipped => {
                if s.kind == Some(*kind) {
                    s.streak += 1;
                } else {
                    s.kind = Some(*kind);
                    s.streak = 1;
                }
                if self.threshold > 0 && s.streak >= self.threshold && s.tripped.is_none() {
                    s.tripped = Some(format!(
                        "{} stopped answering ({} consecutive {})",
                        self.who,
                        s.streak,
                        plural(*kind)
                    ));
                }
            }
            _ => {
                s.kind = None;
                s.streak = 0;
            }
        }
    }

    /// Why the breaker tripped and how many deliveries it skipped.
    pub(crate) fn outcome(&self) -> Option<(String, usize)> {
        let s = self.state.lock().ok()?;
        s.tripped.clone().map(|t| (t, s.skipped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Answer;

    fn failed(kind: ErrorKind) -> Delivery {
        Delivery {
            answer: None,
            error: Some((kind, "x".to_owned())),
            latency: Duration::from_millis(1),
        }
    }

    fn answered() -> Delivery {
        Delivery {
            answer: Some(Answer {
                status: 500,
                content_type: None,
                body: Vec::new(),
                truncated: false,
                location: None,
            }),
            error: None,
            latency: Duration::from_millis(1),
        }
    }

    #[test]
    fn trips_after_threshold_consecutive_failures_of_one_kind() {
        let b = Breaker::new(3, "receiver");
        for _ in 0..2 {
            b.record(&failed(ErrorKind::Timeout));
        }
        assert!(b.refuse().is_none());
        b.record(&failed(ErrorKind::Timeout));
        let skipped = b.refuse().expect("tripped after 3");
        let (kind, msg) = skipped.error.clone().expect("an error");
        assert_eq!(kind, ErrorKind::Skipped);
        assert_eq!(msg, "receiver stopped answering (3 consecutive timeouts)");
        assert_eq!(
            skipped.summary(),
            "skipped: receiver stopped answering (3 consecutive timeouts)"
        );
        assert_eq!(b.outcome().map(|o| o.1), Some(1));
    }

    #[test]
    fn any_answer_or_a_different_failure_restarts_the_count() {
        let b = Breaker::new(3, "receiver");
        b.record(&failed(ErrorKind::Timeout));
        b.record(&failed(ErrorKind::Timeout));
        b.record(&answered());
        b.record(&failed(ErrorKind::Timeout));
        b.record(&failed(ErrorKind::Protocol));
        b.record(&failed(ErrorKind::Timeout));
        assert!(b.refuse().is_none());
        assert!(b.outcome().is_none());
    }

    #[test]
    fn a_threshold_of_zero_never_trips() {
        let b = Breaker::new(0, "receiver");
        for _ in 0..100 {
            b.record(&failed(ErrorKind::Connect));
        }
        assert!(b.refuse().is_none());
    }
}
