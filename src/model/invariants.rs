//! The invariants every payload the real sender emits keeps, checked as
//! data: a broken invariant is a [`Violation`], never a panic or an `Err`.
//! Generators must produce no violation; `inspect` lists them all.

use super::time::{parse_clock, parse_date, parse_timestamp, Parsed, MYT_OFFSET_SECS};
use super::{
    AppointmentState, EventName, Id, Note, Notes, PackageType, Payload, Record, RescheduleState,
    RescheduledBy, StateField, VisitState,
};
use std::fmt;

/// One broken invariant: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

struct Checker(Vec<Violation>);

impl Checker {
    fn flag(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Violation {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A payload timestamp: ISO 8601 with the +08:00 offset.
    fn myt(&mut self, path: &str, s: &str) -> Option<Parsed> {
        match parse_timestamp(s) {
            None => {
                self.flag(
                    path,
                    format!("{s:?} is not an ISO 8601 timestamp with an offset"),
                );
                None
            }
            Some(p) if p.offset_secs != MYT_OFFSET_SECS || p.zulu => {
                self.flag(path, format!("{s:?} does not carry the +08:00 offset"));
                Some(p)
            }
            Some(p) => Some(p),
        }
    }

    fn created_updated(&mut self, at: &str, created: &str, updated: &str) {
        let c = self.myt(&format!("{at}.created_at"), created);
        let u = self.myt(&format!("{at}.updated_at"), updated);
        if let (Some(c), Some(u)) = (c, u) {
            if u.instant < c.instant {
                self.flag(
                    format!("{at}.updated_at"),
                    format!("{updated} is before created_at {created}"),
                );
            }
        }
    }

    fn id(&mut self, path: &str, id: &Id) {
        if id.value().is_none() {
            self.flag(path, format!("id {id:?} is not a number"));
        }
    }

    fn opt_id(&mut self, path: &str, id: &Option<Id>) {
        if let Some(id) = id {
            self.id(path, id);
        }
    }

    fn date(&mut self, path: &str, d: &str) {
        if parse_date(d).is_none() {
            self.flag(path, format!("{d:?} is not a date YYYY-MM-DD"));
        }
    }

    fn clock(&mut self, path: &str, t: &str) {
        if parse_clock(t).is_none() {
            self.flag(path, format!("{t:?} is not a time HH:MM:SS or HH:MM"));
        }
    }

    fn phone(&mut self, path: &str, p: &Option<String>) {
        if let Some(p) = p {
            if !(8..=15).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
                self.flag(
                    path,
                    format!("{p:?} is not a phone number of 8 to 15 digits"),
                );
            }
        }
    }

    fn name_matches(&mut self, path: &str, code: i64, expected: Option<&str>, actual: &str) {
        if let Some(expected) = expected {
            if expected != actual {
                self.flag(
                    path,
                    format!("{actual:?} does not name value {code} (expected {expected:?})"),
                );
            }
        }
    }

    fn state_object(&mut self, path: &str, s: &StateField) {
        if let StateField::Object { name, .. } = s {
            if name.trim().is_empty() {
                self.flag(
                    format!("{path}.name"),
                    "the object form of state has an empty name",
                );
            }
        }
    }

    fn notes(&mut self, at: &str, notes: &Notes) {
        for (i, n) in notes.items().iter().enumerate() {
            self.note(&format!("{at}.notes[{i}]"), n);
        }
    }

    fn note(&mut self, at: &str, n: &Note) {
        self.id(&format!("{at}.id"), &n.id);
        self.id(&format!("{at}.model_id"), &n.model_id);
        self.opt_id(&format!("{at}.user_id"), &n.user_id);
        self.opt_id(&format!("{at}.service_id"), &n.service_id);
        self.opt_id(&format!("{at}.client_id"), &n.client_id);
        if n.model_type.trim().is_empty() {
            self.flag(format!("{at}.model_type"), "empty");
        }
        for (field, d) in [
            ("created_date", n.created_date),
            ("updated_date", n.updated_date),
        ] {
            if matches!(d, Some(x) if x < 0) {
                self.flag(format!("{at}.{field}"), "a unix time before 1970");
            }
        }
        for (field, t) in [
            ("created_at", &n.created_at),
            ("updated_at", &n.updated_at),
            ("deleted_at", &n.deleted_at),
        ] {
            if let Some(t) = t {
                if parse_timestamp(t).is_none() {
                    self.flag(
                        format!("{at}.{field}"),
                        format!("{t:?} is not an ISO 8601 timestamp"),
                    );
                }
            }
        }
    }
}

/// Every invariant the payload breaks; empty when it is valid.
pub fn violations(p: &Payload) -> Vec<Violation> {
    let mut c = Checker(Vec::new());
    c.myt("payload.timestamp", &p.timestamp);
    if EventName::parse(&p.event).is_none() {
        c.flag(
            "payload.event",
            format!("{:?} is not an event of the Chup catalogue", p.event),
        );
    }
    let at = "payload.data";
    match &p.data {
        Record::Visit(v) => {
            c.id(&format!("{at}.id"), &v.id);
            c.opt_id(
                &format!("{at}.registered_client_id"),
                &v.registered_client_id,
            );
            c.id(&format!("{at}.service_id"), &v.service_id);
            c.opt_id(&format!("{at}.staff_id"), &v.staff_id);
            let set = [
                v.appointment_id.is_some(),
                v.appointment_date.is_some(),
                v.appointment_time.is_some(),
            ];
            if set.iter().any(|s| *s) && !set.iter().all(|s| *s) {
                c.flag(
                    format!("{at}.appointment_id"),
                    "appointment_id, appointment_date and appointment_time must be all null or all set",
                );
            }
            c.opt_id(&format!("{at}.appointment_id"), &v.appointment_id);
            if let Some(d) = &v.appointment_date {
                c.date(&format!("{at}.appointment_date"), d);
            }
            if let Some(t) = &v.appointment_time {
                c.clock(&format!("{at}.appointment_time"), t);
            }
            c.phone(
                &format!("{at}.registered_client_phone"),
                &v.registered_client_phone,
            );
            let code = v.state.code();
            c.state_object(&format!("{at}.state"), &v.state);
            c.name_matches(
                &format!("{at}.state_name"),
                code,
                VisitState(code).name(),
                &v.state_name,
            );
            c.notes(at, &v.notes);
            c.created_updated(at, &v.created_at, &v.updated_at);
        }
        Record::Appointment(a) => {
            c.id(&format!("{at}.id"), &a.id);
            c.opt_id(
                &format!("{at}.registered_client_id"),
                &a.registered_client_id,
            );
            c.id(&format!("{at}.service_id"), &a.service_id);
            c.opt_id(&format!("{at}.staff_id"), &a.staff_id);
            c.opt_id(
                &format!("{at}.scheduled_by_staff_id"),
                &a.scheduled_by_staff_id,
            );
            c.date(&format!("{at}.date"), &a.date);
            c.date(&format!("{at}.original_date"), &a.original_date);
            c.clock(&format!("{at}.time"), &a.time);
            c.clock(&format!("{at}.original_time"), &a.original_time);
            c.phone(
                &format!("{at}.registered_client_phone"),
                &a.registered_client_phone,
            );
            c.phone(&format!("{at}.client_phone"), &a.client_phone);
            let code = a.state.code();
            c.state_object(&format!("{at}.state"), &a.state);
            c.name_matches(
                &format!("{at}.state_name"),
                code,
                AppointmentState(code).name(),
                &a.state_name,
            );
            c.name_matches(
                &format!("{at}.reschedule_state_name"),
                a.reschedule_state,
                RescheduleState(a.reschedule_state).name(),
                &a.reschedule_state_name,
            );
            c.name_matches(
                &format!("{at}.rescheduled_by_name"),
                a.rescheduled_by,
                RescheduledBy(a.rescheduled_by).name(),
                &a.rescheduled_by_name,
            );
            c.name_matches(
                &format!("{at}.package_type_name"),
                a.package_type,
                PackageType(a.package_type).name(),
                &a.package_type_name,
            );
            if RescheduleState(a.reschedule_state) == RescheduleState::NOT_RESCHEDULED
                && (a.date != a.original_date
                    || parse_clock(&a.time) != parse_clock(&a.original_time))
            {
                c.flag(
                    format!("{at}.date"),
                    "an appointment that was not rescheduled has date/time different from original_date/original_time",
                );
            }
            if matches!(a.duration, Some(d) if d <= 0) {
                c.flag(
                    format!("{at}.duration"),
                    "must be a positive number of minutes",
                );
            }
            c.notes(at, &a.notes);
            c.created_updated(at, &a.created_at, &a.updated_at);
        }
        Record::Client(r) => {
            c.id(&format!("{at}.id"), &r.id);
            c.phone(&format!("{at}.phone"), &r.phone);
            c.created_updated(at, &r.created_at, &r.updated_at);
        }
        Record::Service(r) => {
            c.id(&format!("{at}.id"), &r.id);
            for (i, s) in r.staffs.iter().enumerate() {
                c.id(&format!("{at}.staffs[{i}].id"), &s.id);
            }
            c.created_updated(at, &r.created_at, &r.updated_at);
        }
        Record::Staff(r) => {
            c.id(&format!("{at}.id"), &r.id);
            for (i, s) in r.services.iter().enumerate() {
                c.id(&format!("{at}.services[{i}].id"), &s.id);
            }
            c.created_updated(at, &r.created_at, &r.updated_at);
        }
        Record::Unknown(_) => {}
    }
    c.0
}
