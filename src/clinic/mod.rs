//! A simulated Chup Online clinic: the state of one clinic (its services and
//! staff, its patients, their visits and appointments, a clock) and the
//! transitions Chup really makes (SPEC section 3, the flows of
//! `webhook-examples.txt`). Every transition returns the payload Chup would
//! send, in the canonical dialect (integer states, note arrays, numeric ids,
//! `HH:MM:SS`); restyling into other dialects is `model::apply_restyle`'s job.
//!
//! It is the one engine behind scenario files (`scenario`) and property-based
//! journeys, so it does no I/O, reads no files and knows nothing of TOML,
//! signatures or transport. An impossible transition (serving a cancelled
//! visit, alerting an unknown one) is a [`ClinicError`], never a payload.
//!
//! Invariants every returned payload keeps: `model::violations` is empty;
//! per record, `updated_at` strictly increases from one payload to the next;
//! the payload's `timestamp` equals the record's `updated_at` (as in every
//! example); ids come from the clinic's own range (see [`ID_SPAN`]), so two
//! clinics whose bases are `ID_SPAN` apart never share an id.
//!
//! The state, the directory, patients and the clock are here; the
//! transitions are in `visits` (join, state changes, move, delete),
//! `appointments` (book, reschedule, delete) and `events` (any catalogue
//! event built from a record the clinic holds).

mod appointments;
mod events;
#[cfg(test)]
mod tests;
mod visits;

pub use visits::{VisitAction, MOVABLE_FROM};

use crate::model::time::{format_myt_date, parse_clock, parse_date};
use crate::model::{Appointment, EventName, RecordKind, StateField, Visit, VisitState};
use crate::rng::Rng;
use std::collections::BTreeMap;

/// How many ids one clinic may allocate above its base. Clinics (runs) whose
/// bases differ by at least this never share a record id.
pub const ID_SPAN: u64 = 1_000_000;

/// Ids of one kind (visits, appointments, ...) live in their own slice of
/// the span, so a visit and an appointment never get the same number.
const PER_KIND: u64 = ID_SPAN / 8;

/// The user the system acts as when it cancels a No Show (the example's
/// "Canceled by system" note carries user 383).
pub const SYSTEM_USER_ID: u64 = 383;

/// The note Chup attaches when it cancels a No Show after 30 minutes.
pub const SYSTEM_CANCEL_NOTE: &str = "Canceled by system. No show more than 30 minutes.";

/// Chup cancels a No Show only after it has lasted more than this.
pub const NO_SHOW_GRACE_SECS: i64 = 30 * 60;

/// The default clock step between two transitions: a realistic pause.
const STEP_SECS: (i64, i64) = (30, 120);

/// Fixed so that the clock's steps do not depend on the id base: the same
/// sequence of transitions always takes the same time.
const STEP_SEED: u64 = 0x00c1_1a1c;

/// The services and staff of the examples (`webhook-examples.txt`).
const DIRECTORY: [(u64, &str, u64, &str); 6] = [
    (206, "Registration", 262, "Registration"),
    (254, "Treatment Room", 263, "Treatment Room staff"),
    (84, "Pharmacy", 184, "Pharmacist"),
    (108, "Billing", 180, "Billing staff"),
    (261, "Dispensary", 184, "Pharmacist"),
    (520, "Cardiology", 371, "DATO' DR. OTEH BIN MASKON"),
];

/// Where the directory's records say they were created: well before any
/// scenario starts (30 days before the clinic's clock).
const DIRECTORY_AGE_SECS: i64 = 30 * 86_400;

/// The service a visit goes to when it is dispensed.
pub const DISPENSARY: &str = "Dispensary";

#[derive(Clone, Copy, Debug)]
enum IdKind {
    Visit = 0,
    Appointment = 1,
    Client = 2,
    Note = 3,
    Service = 4,
    Staff = 5,
    /// Ids a scenario asks for by hand (`${fresh_id}`).
    Fresh = 6,
}

impl IdKind {
    fn label(self) -> &'static str {
        match self {
            IdKind::Visit => "visit",
            IdKind::Appointment => "appointment",
            IdKind::Client => "client",
            IdKind::Note => "note",
            IdKind::Service => "service",
            IdKind::Staff => "staff",
            IdKind::Fresh => "fresh",
        }
    }
}

/// Why a transition cannot happen in this clinic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClinicError {
    #[error("unknown visit {0}")]
    UnknownVisit(u64),
    #[error("unknown appointment {0}")]
    UnknownAppointment(u64),
    #[error("unknown patient (client {0})")]
    UnknownPatient(u64),
    #[error("unknown staff {name:?} (known: {known})")]
    UnknownStaff { name: String, known: String },
    #[error("visit {0} was deleted")]
    VisitDeleted(u64),
    #[error("appointment {0} was deleted")]
    AppointmentDeleted(u64),
    #[error("patient (client {0}) was deleted")]
    PatientDeleted(u64),
    #[error("cannot {action} visit {visit}: it is {state} ({action} needs {allowed})")]
    Impossible {
        action: &'static str,
        visit: u64,
        state: String,
        allowed: String,
    },
    #[error("cannot move visit {visit} to {service:?}: it is already there")]
    SameService { visit: u64, service: String },
    #[error("appointment {appointment} is already checked in (visit {visit})")]
    AlreadyCheckedIn { appointment: u64, visit: u64 },
    #[error("appointment {appointment} belongs to client {owner}, not to client {client}")]
    NotTheirAppointment {
        appointment: u64,
        owner: u64,
        client: u64,
    },
    #[error("{0:?} is not a date YYYY-MM-DD")]
    BadDate(String),
    #[error("{0:?} is not a time HH:MM or HH:MM:SS")]
    BadTime(String),
    #[error("phone {0:?} is not 8 to 15 digits")]
    BadPhone(String),
    #[error("a service needs a name")]
    EmptyServiceName,
    #[error("{event} carries a {carries:?} record, not a {given:?}")]
    WrongRecord {
        event: EventName,
        carries: RecordKind,
        given: RecordKind,
    },
    #[error("no {kind} ids left above base {base} (a clinic has {per_kind} of each kind)")]
    IdsExhausted {
        kind: &'static str,
        base: u64,
        per_kind: u64,
    },
}

/// A service of the clinic and the staff member who serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceInfo {
    pub id: u64,
    pub name: String,
    pub staff_id: u64,
    pub staff_name: String,
}

/// A registered client of the clinic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patient {
    pub client_id: u64,
    pub client_name: String,
    pub phone: String,
    pub email: Option<String>,
    created: i64,
    updated: i64,
    deleted: bool,
}

#[derive(Clone, Debug)]
struct VisitEntry {
    record: Visit,
    client_id: u64,
    updated: i64,
    deleted: bool,
}

#[derive(Clone, Debug)]
struct AppointmentEntry {
    record: Appointment,
    client_id: u64,
    updated: i64,
    deleted: bool,
    checked_in: Option<u64>,
}

/// One simulated clinic. Cloning it forks the whole state, clock included.
#[derive(Clone, Debug)]
pub struct Clinic {
    id_base: u64,
    next: [u64; 7],
    start: i64,
    clock: i64,
    /// Set by [`Clinic::advance`]: the next transition happens at the clock
    /// as it stands, without a default step on top.
    advanced: bool,
    steps: Rng,
    services: Vec<ServiceInfo>,
    /// When each staff member or service record was last touched.
    service_updated: BTreeMap<u64, i64>,
    staff_updated: BTreeMap<u64, i64>,
    patients: BTreeMap<u64, Patient>,
    visits: BTreeMap<u64, VisitEntry>,
    appointments: BTreeMap<u64, AppointmentEntry>,
}

impl Clinic {
    /// A clinic whose ids start above `id_base` and whose clock reads
    /// `start_unix`. The directory of the examples is already there.
    pub fn new(id_base: u64, start_unix: i64) -> Clinic {
        let services = DIRECTORY
            .iter()
            .map(|&(id, name, staff_id, staff_name)| ServiceInfo {
                id,
                name: name.to_owned(),
                staff_id,
                staff_name: staff_name.to_owned(),
            })
            .collect();
        Clinic {
            id_base,
            next: [0; 7],
            start: start_unix,
            clock: start_unix,
            advanced: false,
            steps: Rng::new(STEP_SEED),
            services,
            service_updated: BTreeMap::new(),
            staff_updated: BTreeMap::new(),
            patients: BTreeMap::new(),
            visits: BTreeMap::new(),
            appointments: BTreeMap::new(),
        }
    }

    pub fn id_base(&self) -> u64 {
        self.id_base
    }

    /// The clock, in unix seconds.
    pub fn now(&self) -> i64 {
        self.clock
    }

    /// Moves the clock forward by `secs` now. The next transition then
    /// happens at that time instead of after a default step (but always at
    /// least one second after the last update of the record it touches).
    pub fn advance(&mut self, secs: u64) {
        self.clock = self
            .clock
            .saturating_add(i64::try_from(secs).unwrap_or(i64::MAX));
        self.advanced = true;
    }

    /// The time of the next transition; `floor` is the record's last
    /// update, which the new one must come strictly after.
    fn tick(&mut self, floor: Option<i64>) -> i64 {
        if !self.advanced {
            self.clock += self.steps.range(STEP_SECS.0, STEP_SECS.1);
        }
        self.advanced = false;
        if let Some(floor) = floor {
            if self.clock <= floor {
                self.clock = floor + 1;
            }
        }
        self.clock
    }

    fn alloc(&mut self, kind: IdKind) -> Result<u64, ClinicError> {
        let exhausted = || ClinicError::IdsExhausted {
            kind: kind.label(),
            base: self.id_base,
            per_kind: PER_KIND - 1,
        };
        let slot = &mut self.next[kind as usize];
        if *slot + 1 >= PER_KIND {
            return Err(exhausted());
        }
        *slot += 1;
        let offset = kind as u64 * PER_KIND + *slot;
        self.id_base.checked_add(offset).ok_or_else(exhausted)
    }

    /// An id from the clinic's range that no record uses, for hand-written
    /// records.
    pub fn fresh_id(&mut self) -> Result<u64, ClinicError> {
        self.alloc(IdKind::Fresh)
    }

    // ---- directory --------------------------------------------------------

    pub fn services(&self) -> &[ServiceInfo] {
        &self.services
    }

    /// The service of that name; a name outside the directory becomes a new
    /// service with its own staff member (`<name> staff`).
    pub fn service(&mut self, name: &str) -> Result<ServiceInfo, ClinicError> {
        if let Some(s) = self.services.iter().find(|s| s.name == name) {
            return Ok(s.clone());
        }
        if name.trim().is_empty() {
            return Err(ClinicError::EmptyServiceName);
        }
        let info = ServiceInfo {
            id: self.alloc(IdKind::Service)?,
            name: name.to_owned(),
            staff_id: self.alloc(IdKind::Staff)?,
            staff_name: format!("{name} staff"),
        };
        self.services.push(info.clone());
        Ok(info)
    }

    // ---- patients ---------------------------------------------------------

    /// Registers a client (silently: patients of a scenario exist in Chup
    /// before it starts). Returns the client id.
    pub fn register(
        &mut self,
        client_name: &str,
        phone: &str,
        email: Option<&str>,
    ) -> Result<u64, ClinicError> {
        if !(8..=15).contains(&phone.len()) || !phone.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ClinicError::BadPhone(phone.to_owned()));
        }
        let client_id = self.alloc(IdKind::Client)?;
        self.patients.insert(
            client_id,
            Patient {
                client_id,
                client_name: client_name.to_owned(),
                phone: phone.to_owned(),
                email: email.map(str::to_owned),
                created: self.clock,
                updated: self.clock,
                deleted: false,
            },
        );
        Ok(client_id)
    }

    pub fn patient(&self, client_id: u64) -> Option<&Patient> {
        self.patients.get(&client_id)
    }

    fn live_patient(&self, client_id: u64) -> Result<Patient, ClinicError> {
        match self.patients.get(&client_id) {
            None => Err(ClinicError::UnknownPatient(client_id)),
            Some(p) if p.deleted => Err(ClinicError::PatientDeleted(client_id)),
            Some(p) => Ok(p.clone()),
        }
    }

    // ---- reading state ----------------------------------------------------

    /// A visit as last sent; `None` if unknown or deleted.
    pub fn visit(&self, id: u64) -> Option<&Visit> {
        self.visits
            .get(&id)
            .filter(|e| !e.deleted)
            .map(|e| &e.record)
    }

    /// The state a visit is in; `None` if unknown or deleted.
    pub fn visit_state(&self, id: u64) -> Option<VisitState> {
        self.visit(id).map(|v| VisitState(v.state.code()))
    }

    /// Every visit not deleted, by id.
    pub fn visits(&self) -> impl Iterator<Item = (u64, &Visit)> {
        self.visits
            .iter()
            .filter(|(_, e)| !e.deleted)
            .map(|(id, e)| (*id, &e.record))
    }

    /// An appointment as last sent; `None` if unknown or deleted.
    pub fn appointment(&self, id: u64) -> Option<&Appointment> {
        self.appointments
            .get(&id)
            .filter(|e| !e.deleted)
            .map(|e| &e.record)
    }

    /// Every appointment not deleted, by id.
    pub fn appointments(&self) -> impl Iterator<Item = (u64, &Appointment)> {
        self.appointments
            .iter()
            .filter(|(_, e)| !e.deleted)
            .map(|(id, e)| (*id, &e.record))
    }

    fn live_visit(&self, id: u64) -> Result<&VisitEntry, ClinicError> {
        match self.visits.get(&id) {
            None => Err(ClinicError::UnknownVisit(id)),
            Some(e) if e.deleted => Err(ClinicError::VisitDeleted(id)),
            Some(e) => Ok(e),
        }
    }

    fn live_appointment(&self, id: u64) -> Result<&AppointmentEntry, ClinicError> {
        match self.appointments.get(&id) {
            None => Err(ClinicError::UnknownAppointment(id)),
            Some(e) if e.deleted => Err(ClinicError::AppointmentDeleted(id)),
            Some(e) => Ok(e),
        }
    }

    /// Advances the clock as a transition would, for a payload built outside
    /// the clinic (a literal record), and returns the time.
    pub fn tick_for_literal(&mut self) -> i64 {
        self.tick(None)
    }

    /// The Malaysian calendar date the clock reads.
    pub fn today(&self) -> String {
        format_myt_date(self.clock)
    }
}

fn named(name: Option<&'static str>) -> String {
    name.expect("the clinic only uses values the docs name")
        .to_owned()
}

/// `YYYY-MM-DD`, checked.
fn canonical_date(date: &str) -> Result<String, ClinicError> {
    parse_date(date)
        .map(|_| date.to_owned())
        .ok_or_else(|| ClinicError::BadDate(date.to_owned()))
}

/// `HH:MM` or `HH:MM:SS`, written back as `HH:MM:SS`.
fn canonical_time(time: &str) -> Result<String, ClinicError> {
    let secs = parse_clock(time).ok_or_else(|| ClinicError::BadTime(time.to_owned()))?;
    Ok(format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ))
}

trait StateExt {
    fn display_name(self) -> String;
    fn into_field(self) -> StateField;
}

impl StateExt for VisitState {
    fn display_name(self) -> String {
        self.name()
            .map_or_else(|| format!("state {}", self.0), str::to_owned)
    }

    fn into_field(self) -> StateField {
        StateField::Code(self.0)
    }
}
