//! The retry schedule and the task that plays it: the same bytes are sent
//! again after a non-2xx answer, a timeout or a failed connection, at the
//! delays of the schedule, and every attempt is written to the log.
//!
//! The schedule lists the delay before each attempt, the first being the
//! initial send: `0,5s,30s,2m,10m,30m` (the default) is six attempts. A
//! compression factor divides every delay, so a whole schedule can play in
//! seconds on a laptop or in a test.

use super::log::{Attempt, DeliveryState, Log};
use crate::transport::{Target, Transport};
use std::sync::Arc;
use std::time::Duration;

/// The delays before each attempt, and how much faster they play.
#[derive(Clone, Debug, PartialEq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
    compress: f64,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule {
            delays: [0, 5, 30, 120, 600, 1800]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            compress: 1.0,
        }
    }
}

impl RetrySchedule {
    /// The default text of `--retry-schedule`.
    pub const DEFAULT_TEXT: &'static str = "0,5s,30s,2m,10m,30m";

    /// Reads `0,5s,30s,2m`: comma-separated delays before each attempt
    /// (`0` or `now` for no delay).
    pub fn parse(text: &str) -> Result<RetrySchedule, String> {
        let mut delays = Vec::new();
        for part in text.split(',').map(str::trim) {
            let d = match part {
                "0" | "now" | "0s" | "0ms" => Duration::ZERO,
                other => crate::duration::parse(other)
                    .map_err(|e| format!("retry schedule {text:?}: {e}"))?,
            };
            delays.push(d);
        }
        if delays.is_empty() || (delays.len() == 1 && text.trim().is_empty()) {
            return Err("the retry schedule is empty: give at least one delay, e.g. 0".to_owned());
        }
        Ok(RetrySchedule {
            delays,
            compress: 1.0,
        })
    }

    /// The same schedule played `factor` times faster (`factor` > 0).
    pub fn compressed(mut self, factor: f64) -> Result<RetrySchedule, String> {
        if !factor.is_finite() || factor <= 0.0 {
            return Err(format!(
                "retry compression {factor} must be a positive number (1 plays in real time)"
            ));
        }
        self.compress = factor;
        Ok(self)
    }

    /// How many attempts a delivery gets at most.
    pub fn attempts(&self) -> usize {
        self.delays.len()
    }

    pub fn compress(&self) -> f64 {
        self.compress
    }

    /// The delay before attempt `n` (0-based), as it plays (compressed).
    pub fn delay(&self, n: usize) -> Option<Duration> {
        self.delays
            .get(n)
            .map(|d| Duration::from_secs_f64(d.as_secs_f64() / self.compress))
    }

    /// The delays as written, e.g. `0, 5s, 30s`.
    pub fn show(&self) -> String {
        self.delays
            .iter()
            .map(|d| {
                let ms = d.as_millis();
                match ms {
                    0 => "0".to_owned(),
                    _ if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
                    _ if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
                    _ => crate::duration::show(*d),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The delays as written, in milliseconds.
    pub fn delays_ms(&self) -> Vec<u128> {
        self.delays.iter().map(Duration::as_millis).collect()
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Sends the bytes of delivery `id` on the schedule until an attempt gets
/// a 2xx, writing each attempt to the log. Stops early when the delivery
/// is removed from the log (cleared). Returns after the first attempt has
/// been recorded when `first_done` is given, so a caller can wait for it.
pub(crate) async fn play(
    log: Arc<Log>,
    transport: Transport,
    target: Target,
    schedule: RetrySchedule,
    id: u64,
    bytes: Vec<u8>,
    first_done: Option<tokio::sync::oneshot::Sender<()>>,
) {
    let mut first_done = first_done;
    for n in 0..schedule.attempts() {
        let delay = schedule.delay(n).unwrap_or_default();
        if !delay.is_zero() {
            let due = now_ms() + delay.as_millis() as i64;
            if !log.update(id, |d| d.next_attempt_unix_ms = Some(due)) {
                return;
            }
            tokio::time::sleep(delay).await;
        }
        let started = now_ms();
        let sent = transport.post(target.url(), bytes.clone()).await;
        let attempt = Attempt {
            n: n + 1,
            started_unix_ms: started,
            status: sent.status(),
            latency_ms: sent.latency.as_secs_f64() * 1000.0,
            content_type: sent.answer.as_ref().and_then(|a| a.content_type.clone()),
            body: sent
                .answer
                .as_ref()
                .map(|a| a.body_text())
                .unwrap_or_default(),
            error: sent.error.as_ref().map(|(k, m)| format!("{k}: {m}")),
        };
        let success = attempt.is_success();
        let last = n + 1 == schedule.attempts();
        let present = log.update(id, |d| {
            d.attempts.push(attempt);
            d.next_attempt_unix_ms = None;
            d.state = if success {
                DeliveryState::Delivered
            } else if last {
                DeliveryState::Failed
            } else {
                DeliveryState::Pending
            };
        });
        if let Some(tx) = first_done.take() {
            let _ = tx.send(());
        }
        if success || !present {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_is_immediately_then_5s_30s_2m_10m_30m() {
        let s = RetrySchedule::default();
        assert_eq!(
            s,
            RetrySchedule::parse(RetrySchedule::DEFAULT_TEXT).expect("parses")
        );
        assert_eq!(s.attempts(), 6);
        assert_eq!(s.delay(0), Some(Duration::ZERO));
        assert_eq!(s.delay(5), Some(Duration::from_secs(1800)));
        assert_eq!(s.show(), "0, 5s, 30s, 2m, 10m, 30m");
    }

    #[test]
    fn compression_divides_every_delay() {
        let s = RetrySchedule::default()
            .compressed(600.0)
            .expect("positive");
        assert_eq!(s.delay(1), Some(Duration::from_secs_f64(5.0 / 600.0)));
        assert_eq!(s.delay(5), Some(Duration::from_secs(3)));
        assert!(RetrySchedule::default().compressed(0.0).is_err());
        assert!(RetrySchedule::default().compressed(f64::NAN).is_err());
    }

    #[test]
    fn rejects_bad_schedules_naming_the_part() {
        assert!(RetrySchedule::parse("").is_err());
        let e = RetrySchedule::parse("0,5x").expect_err("bad unit");
        assert!(e.contains("5x"), "{e}");
        assert_eq!(RetrySchedule::parse("now").expect("one").attempts(), 1);
    }
}
