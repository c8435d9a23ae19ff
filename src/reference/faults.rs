//! Deliberate faults for the reference receiver. They exist so the harness's
//! own "fault zoo" tests can prove that each protocol check catches the bug it
//! names: a receiver with a fault switched on must fail exactly that check.
//! They are a test-only switch; a receiver a clinic copies has none of them.
//!
//! This module only names and parses faults; the receiver acts on them.

use std::fmt;
use std::str::FromStr;

/// Which faults are switched on. The default is none: a correct receiver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Accepts missing or wrong signatures and applies the delivery anyway.
    pub ignore_signature: bool,
    /// Answers 500 when `data.state` is the object form `{"name", "value"}`.
    pub reject_state_object: bool,
    /// Skips the `updated_at` comparison: an older update overwrites a newer one.
    pub stale_update_wins: bool,
    /// Answers 500 to a `*_created` for an id it already holds, checked before
    /// idempotency, so even a byte-identical redelivery fails.
    pub fail_duplicate_create: bool,
    /// Reads the record, waits 100 ms outside the lock, then writes what it
    /// read plus one change: concurrent updates to one record lose all but one.
    pub lose_concurrent_update: bool,
    /// Skips the delivery-key check: a redelivery is applied again.
    pub apply_duplicates: bool,
    /// Answers 500 to events other than `live_queue_*` and `appointment_*`.
    pub crash_on_unknown_event: bool,
    /// Answers 500 when any string in `data` contains `'` or `<`.
    pub reject_hostile_content: bool,
    /// Sleeps this many milliseconds before answering every webhook (0: off).
    pub slow_ms: u64,
}

/// Every fault's kebab-case name with its one-line description, in
/// [`Faults::NAMES`] order.
const TABLE: &[(&str, &str)] = &[
    (
        "ignore-signature",
        "accept missing or wrong signatures and apply the delivery",
    ),
    (
        "reject-state-object",
        "answer 500 when data.state is the object form",
    ),
    (
        "stale-update-wins",
        "skip the updated_at comparison, so an older update overwrites a newer one",
    ),
    (
        "fail-duplicate-create",
        "answer 500 to a *_created for an id already held, even a redelivery",
    ),
    (
        "lose-concurrent-update",
        "read, wait 100 ms outside the lock, then write: concurrent updates get lost",
    ),
    (
        "apply-duplicates",
        "skip the delivery-key check, so a redelivery is applied again",
    ),
    (
        "crash-on-unknown-event",
        "answer 500 to events other than live_queue_* and appointment_*",
    ),
    (
        "reject-hostile-content",
        "answer 500 when a string in data contains ' or <",
    ),
    (
        "slow-ms",
        "slow-ms=N: sleep N milliseconds before answering every webhook",
    ),
];

impl Faults {
    /// The kebab-case names `parse_list` accepts (`slow-ms` takes `=N`).
    pub const NAMES: &'static [&'static str] = &[
        "ignore-signature",
        "reject-state-object",
        "stale-update-wins",
        "fail-duplicate-create",
        "lose-concurrent-update",
        "apply-duplicates",
        "crash-on-unknown-event",
        "reject-hostile-content",
        "slow-ms",
    ];

    /// The one-line description of a fault, by its kebab-case name.
    pub fn describe(name: &str) -> Option<&'static str> {
        TABLE.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
    }

    /// True when no fault is on.
    pub fn is_none(&self) -> bool {
        *self == Faults::default()
    }

    /// Parses a comma-separated list such as
    /// `stale-update-wins,ignore-signature,slow-ms=250`. Empty items are
    /// skipped, so `""` is no fault.
    pub fn parse_list(list: &str) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = match item.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (item, None),
            };
            let flag = match name {
                "ignore-signature" => &mut faults.ignore_signature,
                "reject-state-object" => &mut faults.reject_state_object,
                "stale-update-wins" => &mut faults.stale_update_wins,
                "fail-duplicate-create" => &mut faults.fail_duplicate_create,
                "lose-concurrent-update" => &mut faults.lose_concurrent_update,
                "apply-duplicates" => &mut faults.apply_duplicates,
                "crash-on-unknown-event" => &mut faults.crash_on_unknown_event,
                "reject-hostile-content" => &mut faults.reject_hostile_content,
                "slow-ms" => {
                    let ms = value
                        .ok_or("fault slow-ms needs a value in milliseconds, e.g. slow-ms=250")?;
                    faults.slow_ms = ms.parse().map_err(|_| {
                        format!("fault slow-ms: {ms:?} is not a number of milliseconds")
                    })?;
                    continue;
                }
                other => {
                    return Err(format!(
                        "unknown fault {other:?} (expected one of: {})",
                        Faults::NAMES.join(", ")
                    ))
                }
            };
            if value.is_some() {
                return Err(format!("fault {name} takes no value"));
            }
            *flag = true;
        }
        Ok(faults)
    }
}

impl FromStr for Faults {
    type Err = String;
    fn from_str(s: &str) -> Result<Faults, String> {
        Faults::parse_list(s)
    }
}

/// The list form `parse_list` reads back, or `none`.
impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = [
            self.ignore_signature,
            self.reject_state_object,
            self.stale_update_wins,
            self.fail_duplicate_create,
            self.lose_concurrent_update,
            self.apply_duplicates,
            self.crash_on_unknown_event,
            self.reject_hostile_content,
        ];
        let mut items: Vec<String> = Faults::NAMES
            .iter()
            .zip(flags)
            .filter(|(_, on)| *on)
            .map(|(name, _)| (*name).to_owned())
            .collect();
        if self.slow_ms > 0 {
            items.push(format!("slow-ms={}", self.slow_ms));
        }
        if items.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&items.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_and_prints_it_back() {
        let all = Faults::parse_list(
            "ignore-signature, reject-state-object,stale-update-wins,fail-duplicate-create,\
             lose-concurrent-update,apply-duplicates,crash-on-unknown-event,reject-hostile-content,slow-ms=250",
        )
        .expect("every name parses");
        assert!(all.ignore_signature && all.reject_hostile_content && all.lose_concurrent_update);
        assert_eq!(all.slow_ms, 250);
        assert_eq!(all.to_string().parse::<Faults>(), Ok(all));
        assert_eq!(Faults::parse_list(""), Ok(Faults::default()));
        assert_eq!(Faults::default().to_string(), "none");
    }

    #[test]
    fn rejects_unknown_names_and_misplaced_values() {
        assert!(
            Faults::parse_list("drop-everything").is_err_and(|e| e.contains("ignore-signature"))
        );
        assert!(Faults::parse_list("slow-ms").is_err());
        assert!(Faults::parse_list("slow-ms=soon").is_err());
        assert!(Faults::parse_list("apply-duplicates=1").is_err());
    }

    #[test]
    fn names_and_descriptions_agree() {
        let table: Vec<&str> = TABLE.iter().map(|(n, _)| *n).collect();
        assert_eq!(table, Faults::NAMES);
    }
}
