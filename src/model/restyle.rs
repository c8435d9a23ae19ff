//! Rewrites a canonical payload (integer states, note arrays, numeric ids,
//! `HH:MM:SS`) into the dialects the real sender emits, without changing
//! what it means. Generators and the runner's dialect check both use it, so
//! there is one definition of "the same event in another dialect".

use super::{AppointmentState, Id, Note, Notes, Payload, Record, StateField, VisitState};
use crate::rng::Rng;
use std::fmt;
use std::str::FromStr;

/// How much of the sender's dialect variety to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DialectMode {
    /// Integers, arrays, numeric ids, `HH:MM:SS`: the plainest form.
    Canonical,
    /// The mix the docs show: mostly canonical, now and then another form.
    #[default]
    Seed,
    /// Every dialect, each chosen at random, often.
    Mixed,
}

impl DialectMode {
    pub const ALL: [DialectMode; 3] = [
        DialectMode::Canonical,
        DialectMode::Seed,
        DialectMode::Mixed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DialectMode::Canonical => "canonical",
            DialectMode::Seed => "seed",
            DialectMode::Mixed => "mixed",
        }
    }

    /// Probability that one axis takes its non-canonical form.
    fn odds(self) -> f64 {
        match self {
            DialectMode::Canonical => 0.0,
            // One example in sixteen shows each of these forms.
            DialectMode::Seed => 1.0 / 16.0,
            DialectMode::Mixed => 0.5,
        }
    }
}

impl fmt::Display for DialectMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DialectMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DialectMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown dialect {s:?} (expected canonical, seed or mixed)"))
    }
}

/// One axis to force into its non-canonical form, whatever the odds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Restyle {
    StateObject,
    NotesCollection,
    IdsString,
    TimeWithoutSeconds,
    NoteDatesNull,
}

impl Restyle {
    pub const ALL: [Restyle; 5] = [
        Restyle::StateObject,
        Restyle::NotesCollection,
        Restyle::IdsString,
        Restyle::TimeWithoutSeconds,
        Restyle::NoteDatesNull,
    ];
}

fn state_object(s: &mut StateField, name: Option<String>) {
    if let (StateField::Code(code), Some(name)) = (&*s, name) {
        *s = StateField::Object { name, value: *code };
    }
}

fn stringify(id: &mut Id) {
    if let Id::Num(n) = id {
        *id = Id::Text(n.to_string());
    }
}

fn shorten(t: &mut String) {
    if t.len() == 8 && t.ends_with(":00") {
        t.truncate(5);
    }
}

fn collection(n: &mut Notes) {
    if let Notes::List(items) = n {
        *n = Notes::Collection {
            items: std::mem::take(items),
            escape_when_casting_to_string: false,
        };
    }
}

fn null_dates(n: &mut Note) {
    n.created_date = None;
    n.updated_date = None;
}

/// Forces one axis into its non-canonical form where the payload has it.
/// `IdsString` writes the record's `service_id` as a string, as the Move
/// example does.
pub fn apply(p: &mut Payload, axis: Restyle) {
    match (&mut p.data, axis) {
        (Record::Visit(v), Restyle::StateObject) => {
            let name = VisitState(v.state.code()).object_name();
            state_object(&mut v.state, name)
        }
        (Record::Appointment(a), Restyle::StateObject) => {
            let name = AppointmentState(a.state.code()).object_name();
            state_object(&mut a.state, name)
        }
        (Record::Visit(v), Restyle::NotesCollection) => collection(&mut v.notes),
        (Record::Appointment(a), Restyle::NotesCollection) => collection(&mut a.notes),
        (Record::Visit(v), Restyle::IdsString) => stringify(&mut v.service_id),
        (Record::Appointment(a), Restyle::IdsString) => stringify(&mut a.service_id),
        (Record::Client(c), Restyle::IdsString) => stringify(&mut c.id),
        (Record::Service(s), Restyle::IdsString) => stringify(&mut s.id),
        (Record::Staff(s), Restyle::IdsString) => stringify(&mut s.id),
        (Record::Visit(v), Restyle::TimeWithoutSeconds) => {
            if let Some(t) = v.appointment_time.as_mut() {
                shorten(t);
            }
        }
        (Record::Appointment(a), Restyle::TimeWithoutSeconds) => shorten(&mut a.time),
        (Record::Visit(v), Restyle::NoteDatesNull) => {
            v.notes.items_mut().iter_mut().for_each(null_dates)
        }
        (Record::Appointment(a), Restyle::NoteDatesNull) => {
            a.notes.items_mut().iter_mut().for_each(null_dates)
        }
        _ => {}
    }
}

/// Rewrites a canonical payload into dialect forms at the mode's odds. In
/// `Mixed` mode every id field may become a string, not only `service_id`.
pub fn restyle(p: &mut Payload, mode: DialectMode, rng: &mut Rng) {
    let odds = mode.odds();
    if odds == 0.0 {
        return;
    }
    for axis in Restyle::ALL {
        if rng.chance(odds) {
            apply(p, axis);
        }
    }
    if mode == DialectMode::Mixed {
        let mut ids: Vec<&mut Id> = Vec::new();
        match &mut p.data {
            Record::Visit(v) => {
                ids.push(&mut v.id);
                ids.extend(v.appointment_id.as_mut());
                ids.extend(v.registered_client_id.as_mut());
                ids.extend(v.staff_id.as_mut());
                for n in v.notes.items_mut() {
                    ids.push(&mut n.id);
                    ids.push(&mut n.model_id);
                }
            }
            Record::Appointment(a) => {
                ids.push(&mut a.id);
                ids.extend(a.registered_client_id.as_mut());
                ids.extend(a.staff_id.as_mut());
            }
            _ => {}
        }
        for id in ids {
            if rng.chance(0.2) {
                stringify(id);
            }
        }
    }
}
