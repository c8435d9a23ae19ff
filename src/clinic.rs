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

use crate::model::time::{
    format_laravel_utc, format_myt, format_myt_date, parse_clock, parse_date,
};
use crate::model::{
    Appointment, AppointmentState, Client, EventName, Id, Note, Notes, PackageType, Payload,
    Record, RecordKind, Ref, RescheduleState, RescheduledBy, Service, Staff, Visit, VisitState,
};
use crate::rng::Rng;
use serde_json::Map;
use std::collections::BTreeMap;
use std::fmt;

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

/// A visit transition other than joining or moving, with the states it may
/// start from. Property tests use [`VisitAction::allowed_from`] as the
/// precondition; [`Clinic::act`] enforces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VisitAction {
    /// Staff call the patient (state 2).
    Alert,
    /// The patient is at the counter (3): also pharmacy "Received" and back
    /// from No Show.
    Arrive,
    /// Service under way (4).
    Serve,
    /// Done (5): also billing "mark as paid" and "End Visit".
    Served,
    /// Called but did not come (8).
    NoShow,
    /// The system cancels a No Show after 30 minutes (7, with a note).
    SystemCancel,
    /// The patient left (7).
    Cancel,
}

impl VisitAction {
    pub const ALL: [VisitAction; 7] = [
        VisitAction::Alert,
        VisitAction::Arrive,
        VisitAction::Serve,
        VisitAction::Served,
        VisitAction::NoShow,
        VisitAction::SystemCancel,
        VisitAction::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitAction::Alert => "alert",
            VisitAction::Arrive => "arrive",
            VisitAction::Serve => "serve",
            VisitAction::Served => "served",
            VisitAction::NoShow => "no_show",
            VisitAction::SystemCancel => "system_cancel",
            VisitAction::Cancel => "cancel",
        }
    }

    /// The state the visit is in afterwards.
    pub fn target(self) -> VisitState {
        match self {
            VisitAction::Alert => VisitState::ALERTED,
            VisitAction::Arrive => VisitState::ARRIVED,
            VisitAction::Serve => VisitState::SERVING,
            VisitAction::Served => VisitState::SERVED,
            VisitAction::NoShow => VisitState::NO_SHOW,
            VisitAction::SystemCancel | VisitAction::Cancel => VisitState::CANCELLED,
        }
    }

    /// The states Chup lets this action start from. Served and Cancelled
    /// are final: nothing but a move (from Served) or a delete leaves them.
    pub fn allowed_from(self) -> &'static [VisitState] {
        use VisitState as S;
        match self {
            // Staff may call a patient again.
            VisitAction::Alert => &[S::IN_QUEUE, S::ALERTED],
            VisitAction::Arrive => &[S::IN_QUEUE, S::ALERTED, S::NO_SHOW],
            VisitAction::Serve => &[S::IN_QUEUE, S::ALERTED, S::ARRIVED],
            // Billing marks a queued visit as paid without serving it first.
            VisitAction::Served => &[S::IN_QUEUE, S::ALERTED, S::ARRIVED, S::SERVING],
            VisitAction::NoShow => &[S::IN_QUEUE, S::ALERTED],
            VisitAction::SystemCancel => &[S::NO_SHOW],
            VisitAction::Cancel => &[S::IN_QUEUE, S::ALERTED, S::ARRIVED, S::SERVING, S::NO_SHOW],
        }
    }
}

impl fmt::Display for VisitAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The states a visit may be moved (or dispensed) from: anything still
/// open, and Served (a patient is usually served before being moved on).
pub const MOVABLE_FROM: [VisitState; 5] = [
    VisitState::IN_QUEUE,
    VisitState::ALERTED,
    VisitState::ARRIVED,
    VisitState::SERVING,
    VisitState::SERVED,
];

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

    // ---- visits -----------------------------------------------------------

    /// A patient joins the queue of a service: `live_queue_created`, In
    /// Queue. With an appointment it is that appointment's check-in and
    /// carries its id, date and time; a walk-in has them all null.
    pub fn join(
        &mut self,
        client_id: u64,
        service: &str,
        appointment: Option<u64>,
    ) -> Result<Payload, ClinicError> {
        let patient = self.live_patient(client_id)?;
        let booking = match appointment {
            None => None,
            Some(a) => {
                let entry = self.live_appointment(a)?;
                if entry.client_id != client_id {
                    return Err(ClinicError::NotTheirAppointment {
                        appointment: a,
                        owner: entry.client_id,
                        client: client_id,
                    });
                }
                if let Some(visit) = entry.checked_in {
                    return Err(ClinicError::AlreadyCheckedIn {
                        appointment: a,
                        visit,
                    });
                }
                Some((
                    a,
                    entry.record.date.clone(),
                    canonical_time(&entry.record.time)?,
                ))
            }
        };
        let service = self.service(service)?;
        let id = self.alloc(IdKind::Visit)?;
        let now = self.tick(None);
        let (appointment_id, appointment_date, appointment_time) = match booking {
            Some((a, date, time)) => (Some(Id::Num(a)), Some(date), Some(time)),
            None => (None, None, None),
        };
        let record = Visit {
            id: Id::Num(id),
            appointment_id,
            appointment_date,
            appointment_time,
            registered_client_id: Some(Id::Num(client_id)),
            registered_client_name: Some(patient.client_name.clone()),
            registered_client_phone: Some(patient.phone.clone()),
            client_name: patient.client_name,
            state: VisitState::IN_QUEUE.into_field(),
            state_name: VisitState::IN_QUEUE.display_name(),
            service_id: Id::Num(service.id),
            service_name: service.name,
            staff_id: Some(Id::Num(service.staff_id)),
            staff_name: Some(service.staff_name),
            notes: Notes::List(Vec::new()),
            created_at: format_myt(now),
            updated_at: format_myt(now),
            extra: Map::new(),
        };
        if let Some(a) = appointment {
            if let Some(entry) = self.appointments.get_mut(&a) {
                entry.checked_in = Some(id);
            }
        }
        self.visits.insert(
            id,
            VisitEntry {
                record: record.clone(),
                client_id,
                updated: now,
                deleted: false,
            },
        );
        Ok(Payload::new(
            EventName::LiveQueueCreated,
            format_myt(now),
            Record::Visit(record),
        ))
    }

    /// Applies one state change to a visit: `live_queue_updated`.
    pub fn act(&mut self, visit: u64, action: VisitAction) -> Result<Payload, ClinicError> {
        let entry = self.live_visit(visit)?;
        let from = VisitState(entry.record.state.code());
        check_from(action.as_str(), visit, from, action.allowed_from())?;
        let floor = match action {
            VisitAction::SystemCancel => entry.updated + NO_SHOW_GRACE_SECS,
            _ => entry.updated,
        };
        let client_id = entry.client_id;
        let now = self.tick(Some(floor));
        let note = match action {
            VisitAction::SystemCancel => Some(Note {
                id: Id::Num(self.alloc(IdKind::Note)?),
                content: SYSTEM_CANCEL_NOTE.to_owned(),
                user_id: Some(Id::Num(SYSTEM_USER_ID)),
                service_id: None,
                client_id: Some(Id::Num(client_id)),
                created_date: None,
                updated_date: None,
                created_at: Some(format_laravel_utc(now)),
                updated_at: Some(format_laravel_utc(now)),
                deleted_at: None,
                model_type: VISIT_MODEL.to_owned(),
                model_id: Id::Num(visit),
                extra: Map::new(),
            }),
            _ => None,
        };
        let entry = self.visits.get_mut(&visit).expect("checked live above");
        let target = action.target();
        entry.record.state = target.into_field();
        entry.record.state_name = target.display_name();
        entry.record.notes.items_mut().extend(note);
        entry.record.updated_at = format_myt(now);
        entry.updated = now;
        Ok(Payload::new(
            EventName::LiveQueueUpdated,
            format_myt(now),
            Record::Visit(entry.record.clone()),
        ))
    }

    pub fn alert(&mut self, visit: u64) -> Result<Payload, ClinicError> {
        self.act(visit, VisitAction::Alert)
    }

    pub fn arrive(&mut self, visit: u64) -> Result<Payload, ClinicError> {
        self.act(visit, VisitAction::Arrive)
    }

    pub fn serve(&mut self, visit: u64) -> Result<Payload, ClinicError> {
        self.act(visit, VisitAction::Serve)
    }

    pub fn served(&mut self, visit: u64) -> Result<Payload, ClinicError> {
        self.act(visit, VisitAction::Served)
    }

    pub fn no_show(&mut self, visit: u64) -> Result<Payload, ClinicError> {
        self.act(visit, VisitAction::NoShow)
    }

    /// Cancels a No Show with the system's note. Chup does this only after
    /// the No Show has lasted more than 30 minutes, so the clock moves on at
    /// least that far, whatever was asked of it.
    pub fn system_cancel(&mut self, visit: u64) -> Result<Payload, ClinicError> {
        self.act(visit, VisitAction::SystemCancel)
    }

    pub fn cancel(&mut self, visit: u64) -> Result<Payload, ClinicError> {
        self.act(visit, VisitAction::Cancel)
    }

    /// Moves a patient to another service: a NEW visit (new id) at that
    /// service, In Queue, `live_queue_created`, carrying the
    /// `Visit Transits: A → B` note. The old visit stays as last sent.
    pub fn move_visit(&mut self, visit: u64, to_service: &str) -> Result<Payload, ClinicError> {
        let entry = self.live_visit(visit)?;
        let from = VisitState(entry.record.state.code());
        check_from("move", visit, from, &MOVABLE_FROM)?;
        if entry.record.service_name == to_service {
            return Err(ClinicError::SameService {
                visit,
                service: to_service.to_owned(),
            });
        }
        let (old, client_id) = (entry.record.clone(), entry.client_id);
        let service = self.service(to_service)?;
        let id = self.alloc(IdKind::Visit)?;
        let note_id = self.alloc(IdKind::Note)?;
        let now = self.tick(None);
        let note = Note {
            id: Id::Num(note_id),
            content: format!("Visit Transits: {} → {}", old.service_name, service.name),
            user_id: Some(Id::Num(service.staff_id)),
            service_id: Some(Id::Num(service.id)),
            client_id: Some(Id::Num(client_id)),
            created_date: Some(now),
            updated_date: Some(now),
            created_at: Some(format_laravel_utc(now)),
            updated_at: Some(format_laravel_utc(now)),
            deleted_at: None,
            model_type: VISIT_MODEL.to_owned(),
            model_id: Id::Num(id),
            extra: Map::new(),
        };
        let record = Visit {
            id: Id::Num(id),
            state: VisitState::IN_QUEUE.into_field(),
            state_name: VisitState::IN_QUEUE.display_name(),
            service_id: Id::Num(service.id),
            service_name: service.name,
            staff_id: Some(Id::Num(service.staff_id)),
            staff_name: Some(service.staff_name),
            notes: Notes::List(vec![note]),
            created_at: format_myt(now),
            updated_at: format_myt(now),
            ..old
        };
        self.visits.insert(
            id,
            VisitEntry {
                record: record.clone(),
                client_id,
                updated: now,
                deleted: false,
            },
        );
        Ok(Payload::new(
            EventName::LiveQueueCreated,
            format_myt(now),
            Record::Visit(record),
        ))
    }

    /// Pharmacy "Dispense": a move to the Dispensary.
    pub fn dispense(&mut self, visit: u64) -> Result<Payload, ClinicError> {
        self.move_visit(visit, DISPENSARY)
    }

    /// Deletes a visit: `live_queue_deleted` with the record as last sent.
    /// Its `updated_at` (and the payload's timestamp) is the moment of
    /// deletion, so a receiver that orders by `updated_at` does not take the
    /// delete for a stale duplicate of the last update.
    pub fn delete_visit(&mut self, visit: u64) -> Result<Payload, ClinicError> {
        let floor = self.live_visit(visit)?.updated;
        let now = self.tick(Some(floor));
        let entry = self.visits.get_mut(&visit).expect("checked live above");
        entry.record.updated_at = format_myt(now);
        entry.updated = now;
        entry.deleted = true;
        Ok(Payload::new(
            EventName::LiveQueueDeleted,
            format_myt(now),
            Record::Visit(entry.record.clone()),
        ))
    }

    // ---- appointments -----------------------------------------------------

    /// Books an appointment: `appointment_created`, Booked, not rescheduled,
    /// self pay, 10 minutes. `time` may be `HH:MM` or `HH:MM:SS`; it is sent
    /// as `HH:MM:SS`.
    pub fn book(
        &mut self,
        client_id: u64,
        service: &str,
        date: &str,
        time: &str,
    ) -> Result<Payload, ClinicError> {
        let patient = self.live_patient(client_id)?;
        let (date, time) = (canonical_date(date)?, canonical_time(time)?);
        let service = self.service(service)?;
        let id = self.alloc(IdKind::Appointment)?;
        let now = self.tick(None);
        let record = Appointment {
            id: Id::Num(id),
            date: date.clone(),
            time: time.clone(),
            original_date: date,
            original_time: time,
            reschedule_state: RescheduleState::NOT_RESCHEDULED.0,
            reschedule_state_name: named(RescheduleState::NOT_RESCHEDULED.name()),
            rescheduled_by: RescheduledBy::NOT_RESCHEDULED.0,
            rescheduled_by_name: named(RescheduledBy::NOT_RESCHEDULED.name()),
            duration: Some(10),
            registered_client_id: Some(Id::Num(client_id)),
            registered_client_name: Some(patient.client_name.clone()),
            registered_client_phone: Some(patient.phone.clone()),
            client_name: patient.client_name,
            client_phone: Some(patient.phone),
            client_email: patient.email,
            state: crate::model::StateField::Code(AppointmentState::BOOKED.0),
            state_name: named(AppointmentState::BOOKED.name()),
            package_type: PackageType::SELF_PAY.0,
            package_type_name: named(PackageType::SELF_PAY.name()),
            admin_remarks: None,
            addons: None,
            scheduled_by_staff_id: None,
            scheduled_by_staff_name: None,
            service_id: Id::Num(service.id),
            service_name: service.name,
            staff_id: Some(Id::Num(service.staff_id)),
            staff_name: Some(service.staff_name),
            notes: Notes::List(Vec::new()),
            created_at: format_myt(now),
            updated_at: format_myt(now),
            extra: Map::new(),
        };
        self.appointments.insert(
            id,
            AppointmentEntry {
                record: record.clone(),
                client_id,
                updated: now,
                deleted: false,
                checked_in: None,
            },
        );
        Ok(Payload::new(
            EventName::AppointmentCreated,
            format_myt(now),
            Record::Appointment(record),
        ))
    }

    /// The patient moves an appointment: `appointment_updated` with the new
    /// date and time, the booking's kept in `original_*`, Manual
    /// Rescheduled by Patient.
    pub fn reschedule(
        &mut self,
        appointment: u64,
        date: &str,
        time: &str,
    ) -> Result<Payload, ClinicError> {
        let (date, time) = (canonical_date(date)?, canonical_time(time)?);
        let floor = self.live_appointment(appointment)?.updated;
        let now = self.tick(Some(floor));
        let entry = self
            .appointments
            .get_mut(&appointment)
            .expect("checked live above");
        let r = &mut entry.record;
        r.date = date;
        r.time = time;
        r.reschedule_state = RescheduleState::MANUAL_RESCHEDULED.0;
        r.reschedule_state_name = named(RescheduleState::MANUAL_RESCHEDULED.name());
        r.rescheduled_by = RescheduledBy::PATIENT.0;
        r.rescheduled_by_name = named(RescheduledBy::PATIENT.name());
        r.updated_at = format_myt(now);
        entry.updated = now;
        Ok(Payload::new(
            EventName::AppointmentUpdated,
            format_myt(now),
            Record::Appointment(entry.record.clone()),
        ))
    }

    /// Deletes an appointment: `appointment_deleted` with the record as last
    /// sent, `updated_at` at the moment of deletion (see `delete_visit`).
    pub fn delete_appointment(&mut self, appointment: u64) -> Result<Payload, ClinicError> {
        let floor = self.live_appointment(appointment)?.updated;
        let now = self.tick(Some(floor));
        let entry = self
            .appointments
            .get_mut(&appointment)
            .expect("checked live above");
        entry.record.updated_at = format_myt(now);
        entry.updated = now;
        entry.deleted = true;
        Ok(Payload::new(
            EventName::AppointmentDeleted,
            format_myt(now),
            Record::Appointment(entry.record.clone()),
        ))
    }

    // ---- any catalogue event from a record --------------------------------

    /// Sends `event` for a visit as last sent, touched (a fresh `updated_at`,
    /// nothing else changed). A `*_deleted` event deletes it.
    pub fn visit_event(&mut self, visit: u64, event: EventName) -> Result<Payload, ClinicError> {
        expect_kind(event, RecordKind::Visit)?;
        let floor = self.live_visit(visit)?.updated;
        let now = self.tick(Some(floor));
        let entry = self.visits.get_mut(&visit).expect("checked live above");
        entry.record.updated_at = format_myt(now);
        entry.updated = now;
        entry.deleted = event.is_deleted();
        Ok(Payload::new(
            event,
            format_myt(now),
            Record::Visit(entry.record.clone()),
        ))
    }

    /// As [`Clinic::visit_event`], for an appointment.
    pub fn appointment_event(
        &mut self,
        appointment: u64,
        event: EventName,
    ) -> Result<Payload, ClinicError> {
        expect_kind(event, RecordKind::Appointment)?;
        let floor = self.live_appointment(appointment)?.updated;
        let now = self.tick(Some(floor));
        let entry = self
            .appointments
            .get_mut(&appointment)
            .expect("checked live above");
        entry.record.updated_at = format_myt(now);
        entry.updated = now;
        entry.deleted = event.is_deleted();
        Ok(Payload::new(
            event,
            format_myt(now),
            Record::Appointment(entry.record.clone()),
        ))
    }

    /// A `client_*` event for a patient (the client record's shape is
    /// assumed, see `model::Client`). `client_deleted` deletes the patient.
    pub fn client_event(
        &mut self,
        client_id: u64,
        event: EventName,
    ) -> Result<Payload, ClinicError> {
        expect_kind(event, RecordKind::Client)?;
        let floor = self.live_patient(client_id)?.updated;
        let now = self.tick(Some(floor));
        let p = self
            .patients
            .get_mut(&client_id)
            .expect("checked live above");
        p.updated = now;
        p.deleted = event.is_deleted();
        let record = Client {
            id: Id::Num(client_id),
            name: p.client_name.clone(),
            phone: Some(p.phone.clone()),
            email: p.email.clone(),
            created_at: format_myt(p.created),
            updated_at: format_myt(now),
            extra: Map::new(),
        };
        Ok(Payload::new(event, format_myt(now), Record::Client(record)))
    }

    /// A `service_*` event for a service of the directory (or a new one by
    /// that name), listing the staff who serve it.
    pub fn service_event(
        &mut self,
        service: &str,
        event: EventName,
    ) -> Result<Payload, ClinicError> {
        expect_kind(event, RecordKind::Service)?;
        let info = self.service(service)?;
        let floor = self.service_updated.get(&info.id).copied();
        let now = self.tick(floor);
        self.service_updated.insert(info.id, now);
        let record = Service {
            id: Id::Num(info.id),
            name: info.name,
            staffs: vec![Ref {
                id: Id::Num(info.staff_id),
                name: info.staff_name,
            }],
            created_at: format_myt(self.start - DIRECTORY_AGE_SECS),
            updated_at: format_myt(now),
            extra: Map::new(),
        };
        Ok(Payload::new(
            event,
            format_myt(now),
            Record::Service(record),
        ))
    }

    /// A `staff_*` event for a staff member named in the directory, listing
    /// the services they serve.
    pub fn staff_event(
        &mut self,
        staff_name: &str,
        event: EventName,
    ) -> Result<Payload, ClinicError> {
        expect_kind(event, RecordKind::Staff)?;
        let serving: Vec<&ServiceInfo> = self
            .services
            .iter()
            .filter(|s| s.staff_name == staff_name)
            .collect();
        let Some(first) = serving.first() else {
            let mut known: Vec<&str> = self
                .services
                .iter()
                .map(|s| s.staff_name.as_str())
                .collect();
            known.dedup();
            return Err(ClinicError::UnknownStaff {
                name: staff_name.to_owned(),
                known: known.join(", "),
            });
        };
        let staff_id = first.staff_id;
        let services = serving
            .iter()
            .map(|s| Ref {
                id: Id::Num(s.id),
                name: s.name.clone(),
            })
            .collect();
        let floor = self.staff_updated.get(&staff_id).copied();
        let now = self.tick(floor);
        self.staff_updated.insert(staff_id, now);
        let record = Staff {
            id: Id::Num(staff_id),
            name: staff_name.to_owned(),
            services,
            created_at: format_myt(self.start - DIRECTORY_AGE_SECS),
            updated_at: format_myt(now),
            extra: Map::new(),
        };
        Ok(Payload::new(event, format_myt(now), Record::Staff(record)))
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

const VISIT_MODEL: &str = "App\\Models\\Visit";

fn check_from(
    action: &'static str,
    visit: u64,
    from: VisitState,
    allowed: &[VisitState],
) -> Result<(), ClinicError> {
    if allowed.contains(&from) {
        return Ok(());
    }
    let names: Vec<String> = allowed.iter().map(|s| s.display_name()).collect();
    Err(ClinicError::Impossible {
        action,
        visit,
        state: from.display_name(),
        allowed: names.join(" or "),
    })
}

fn expect_kind(event: EventName, given: RecordKind) -> Result<(), ClinicError> {
    let carries = event.record();
    if carries == given {
        Ok(())
    } else {
        Err(ClinicError::WrongRecord {
            event,
            carries,
            given,
        })
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
    fn into_field(self) -> crate::model::StateField;
}

impl StateExt for VisitState {
    fn display_name(self) -> String {
        self.name()
            .map_or_else(|| format!("state {}", self.0), str::to_owned)
    }

    fn into_field(self) -> crate::model::StateField {
        crate::model::StateField::Code(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{time::parse_timestamp, violations};

    const START: i64 = 1_705_581_858; // 2024-01-18T20:44:18+08:00

    fn clinic() -> (Clinic, u64) {
        let mut c = Clinic::new(7_000_000, START);
        let p = c
            .register("Nur Aisyah binti Kamarudin", "60123456789", None)
            .expect("fresh clinic");
        (c, p)
    }

    fn visit_of(p: &Payload) -> &Visit {
        match &p.data {
            Record::Visit(v) => v,
            other => panic!("expected a visit, got {other:?}"),
        }
    }

    fn appointment_of(p: &Payload) -> &Appointment {
        match &p.data {
            Record::Appointment(a) => a,
            other => panic!("expected an appointment, got {other:?}"),
        }
    }

    fn id_of(p: &Payload) -> u64 {
        p.data
            .id()
            .and_then(Id::value)
            .expect("clinic records have numeric ids")
    }

    fn unix(t: &str) -> i64 {
        parse_timestamp(t)
            .expect("clinic writes valid timestamps")
            .instant
            .unix
    }

    /// Checks what every clinic payload keeps, and returns it.
    fn sound(p: Payload) -> Payload {
        assert_eq!(violations(&p), vec![], "{p:?}");
        assert_eq!(Some(p.timestamp.as_str()), p.data.updated_at());
        assert!(p.timestamp.ends_with("+08:00"));
        p
    }

    #[test]
    fn walk_in_join_is_in_queue_with_null_appointment_fields() {
        let (mut c, p) = clinic();
        let j = sound(c.join(p, "Registration", None).expect("join"));
        assert_eq!(j.event, "live_queue_created");
        let v = visit_of(&j);
        assert_eq!((v.state.code(), v.state_name.as_str()), (1, "In Queue"));
        assert_eq!(
            (
                v.appointment_id.clone(),
                v.appointment_date.clone(),
                v.appointment_time.clone()
            ),
            (None, None, None)
        );
        assert_eq!(
            (
                v.service_id.value(),
                v.staff_id.as_ref().and_then(Id::value)
            ),
            (Some(206), Some(262))
        );
        assert_eq!(v.registered_client_id.as_ref().and_then(Id::value), Some(p));
        assert_eq!(v.created_at, v.updated_at);
        let step = unix(&v.created_at) - START;
        assert!((30..=120).contains(&step), "default step {step}");
    }

    #[test]
    fn check_in_carries_the_appointment_fields() {
        let (mut c, p) = clinic();
        let b = sound(
            c.book(p, "Treatment Room", "2024-01-18", "21:00")
                .expect("book"),
        );
        let a = id_of(&b);
        let j = sound(c.join(p, "Registration", Some(a)).expect("check in"));
        let v = visit_of(&j);
        assert_eq!(v.appointment_id, Some(Id::Num(a)));
        assert_eq!(v.appointment_date.as_deref(), Some("2024-01-18"));
        assert_eq!(v.appointment_time.as_deref(), Some("21:00:00"));
        assert_eq!(
            c.join(p, "Registration", Some(a)),
            Err(ClinicError::AlreadyCheckedIn {
                appointment: a,
                visit: id_of(&j)
            })
        );
    }

    #[test]
    fn checking_in_someone_elses_appointment_is_an_error() {
        let (mut c, p) = clinic();
        let q = c
            .register("Tan Mei Ling", "60167778899", None)
            .expect("register");
        let a = id_of(
            &c.book(p, "Treatment Room", "2024-01-18", "21:00")
                .expect("book"),
        );
        assert!(matches!(
            c.join(q, "Registration", Some(a)),
            Err(ClinicError::NotTheirAppointment { .. })
        ));
    }

    #[test]
    fn every_visit_action_sets_its_state_and_name() {
        let cases: [(&[VisitAction], i64, &str); 7] = [
            (&[VisitAction::Alert], 2, "Alerted"),
            (&[VisitAction::Arrive], 3, "Arrived"),
            (&[VisitAction::Serve], 4, "Serving"),
            (&[VisitAction::Serve, VisitAction::Served], 5, "Served"),
            (&[VisitAction::Alert, VisitAction::NoShow], 8, "No Show"),
            (&[VisitAction::Alert, VisitAction::Cancel], 7, "Cancelled"),
            (&[VisitAction::NoShow, VisitAction::Arrive], 3, "Arrived"),
        ];
        for (actions, code, name) in cases {
            let (mut c, p) = clinic();
            let v = id_of(&c.join(p, "Registration", None).expect("join"));
            let mut last = None;
            for a in actions {
                last = Some(sound(c.act(v, *a).expect("allowed transition")));
            }
            let last = last.expect("at least one action");
            assert_eq!(last.event, "live_queue_updated");
            let rec = visit_of(&last);
            assert_eq!(
                (rec.state.code(), rec.state_name.as_str()),
                (code, name),
                "{actions:?}"
            );
            assert_eq!(id_of(&last), v);
            assert_eq!(c.visit_state(v), Some(VisitState(code)));
        }
    }

    #[test]
    fn updated_at_strictly_increases_even_when_the_clock_does_not_move() {
        let (mut c, p) = clinic();
        let j = c.join(p, "Registration", None).expect("join");
        let v = id_of(&j);
        c.advance(0);
        let a = c.alert(v).expect("alert");
        assert!(unix(&visit_of(&a).updated_at) > unix(&visit_of(&j).updated_at));
        c.advance(600);
        let before = c.now();
        let s = c.serve(v).expect("serve");
        assert_eq!(
            unix(&visit_of(&s).updated_at),
            before,
            "advance replaces the default step"
        );
    }

    #[test]
    fn system_cancel_waits_out_the_grace_period_and_adds_the_system_note() {
        let (mut c, p) = clinic();
        let v = id_of(&c.join(p, "Cardiology", None).expect("join"));
        c.alert(v).expect("alert");
        let ns = c.no_show(v).expect("no show");
        c.advance(60);
        let x = sound(c.system_cancel(v).expect("system cancel"));
        let rec = visit_of(&x);
        assert_eq!(
            (rec.state.code(), rec.state_name.as_str()),
            (7, "Cancelled")
        );
        assert!(unix(&rec.updated_at) - unix(&visit_of(&ns).updated_at) > NO_SHOW_GRACE_SECS);
        let note = &rec.notes.items()[0];
        assert_eq!(note.content, SYSTEM_CANCEL_NOTE);
        assert_eq!((note.created_date, note.updated_date), (None, None));
        assert_eq!(note.user_id, Some(Id::Num(SYSTEM_USER_ID)));
        assert_eq!(note.service_id, None);
        assert_eq!(note.model_id, Id::Num(v));
        assert_eq!(note.model_type, "App\\Models\\Visit");
        assert_eq!(rec.staff_name.as_deref(), Some("DATO' DR. OTEH BIN MASKON"));
    }

    #[test]
    fn move_creates_a_new_visit_with_the_transit_note() {
        let (mut c, p) = clinic();
        let a = id_of(
            &c.book(p, "Treatment Room", "2024-01-18", "20:50")
                .expect("book"),
        );
        let v = id_of(&c.join(p, "Registration", Some(a)).expect("check in"));
        let serving = c.serve(v).expect("serve");
        let m = sound(c.move_visit(v, "Treatment Room").expect("move"));
        assert_eq!(m.event, "live_queue_created");
        let new = visit_of(&m);
        let new_id = id_of(&m);
        assert_ne!(new_id, v);
        assert_eq!((new.state.code(), new.service_id.value()), (1, Some(254)));
        assert_eq!(new.staff_name.as_deref(), Some("Treatment Room staff"));
        assert_eq!(
            new.appointment_id,
            Some(Id::Num(a)),
            "a moved visit keeps its appointment"
        );
        let note = &new.notes.items()[0];
        assert_eq!(
            note.content,
            "Visit Transits: Registration → Treatment Room"
        );
        assert_eq!(
            (
                note.model_id.value(),
                note.service_id.as_ref().and_then(Id::value)
            ),
            (Some(new_id), Some(254))
        );
        assert_eq!(note.created_date, Some(unix(&new.created_at)));
        assert!(note
            .created_at
            .as_deref()
            .is_some_and(|t| t.ends_with(".000000Z")));
        assert_eq!(
            c.visit(v),
            Some(visit_of(&serving)),
            "the old visit stays as last sent"
        );
    }

    #[test]
    fn dispense_moves_to_the_dispensary() {
        let (mut c, p) = clinic();
        let v = id_of(&c.join(p, "Pharmacy", None).expect("join"));
        c.served(v).expect("served");
        let d = sound(c.dispense(v).expect("dispense"));
        let rec = visit_of(&d);
        assert_eq!(
            (
                rec.service_id.value(),
                rec.staff_id.as_ref().and_then(Id::value)
            ),
            (Some(261), Some(184))
        );
        assert_eq!(
            rec.notes.items()[0].content,
            "Visit Transits: Pharmacy → Dispensary"
        );
    }

    #[test]
    fn delete_visit_sends_the_last_record_and_forgets_it() {
        let (mut c, p) = clinic();
        let v = id_of(&c.join(p, "Registration", None).expect("join"));
        let a = c.alert(v).expect("alert");
        let d = sound(c.delete_visit(v).expect("delete"));
        assert_eq!(d.event, "live_queue_deleted");
        let (before, after) = (visit_of(&a), visit_of(&d));
        assert_eq!(after.state, before.state);
        assert!(unix(&after.updated_at) > unix(&before.updated_at));
        assert_eq!(c.visit(v), None);
        assert_eq!(c.alert(v), Err(ClinicError::VisitDeleted(v)));
    }

    #[test]
    fn book_reschedule_and_delete_an_appointment() {
        let (mut c, p) = clinic();
        let b = sound(
            c.book(p, "Treatment Room", "2024-01-18", "21:00")
                .expect("book"),
        );
        assert_eq!(b.event, "appointment_created");
        let rec = appointment_of(&b);
        assert_eq!(
            (rec.time.as_str(), rec.original_time.as_str()),
            ("21:00:00", "21:00:00")
        );
        assert_eq!(
            (rec.reschedule_state, rec.rescheduled_by, rec.package_type),
            (1, 1, 1)
        );
        assert_eq!(
            (rec.state_name.as_str(), rec.duration),
            ("Booked", Some(10))
        );
        assert_eq!(rec.service_id.value(), Some(254));
        let a = id_of(&b);
        let r = sound(c.reschedule(a, "2024-01-19", "20:50").expect("reschedule"));
        assert_eq!(r.event, "appointment_updated");
        let rec = appointment_of(&r);
        assert_eq!(
            (rec.date.as_str(), rec.time.as_str()),
            ("2024-01-19", "20:50:00")
        );
        assert_eq!(
            (rec.original_date.as_str(), rec.original_time.as_str()),
            ("2024-01-18", "21:00:00")
        );
        assert_eq!(
            (
                rec.reschedule_state_name.as_str(),
                rec.rescheduled_by_name.as_str()
            ),
            ("Manual Rescheduled", "Patient")
        );
        assert_eq!(rec.created_at, appointment_of(&b).created_at);
        let d = sound(c.delete_appointment(a).expect("delete"));
        assert_eq!(d.event, "appointment_deleted");
        assert_eq!(
            c.reschedule(a, "2024-01-20", "10:00"),
            Err(ClinicError::AppointmentDeleted(a))
        );
        assert_eq!(
            c.join(p, "Registration", Some(a)),
            Err(ClinicError::AppointmentDeleted(a))
        );
    }

    #[test]
    fn refuses_impossible_visit_transitions() {
        let (mut c, p) = clinic();
        let v = id_of(&c.join(p, "Registration", None).expect("join"));
        c.cancel(v).expect("cancel");
        for action in VisitAction::ALL {
            let err = c.act(v, action).expect_err("nothing leaves Cancelled");
            assert!(matches!(err, ClinicError::Impossible { .. }), "{err}");
        }
        assert!(matches!(
            c.move_visit(v, "Pharmacy"),
            Err(ClinicError::Impossible { .. })
        ));
        assert_eq!(
            c.serve(v).expect_err("cancelled").to_string(),
            format!("cannot serve visit {v}: it is Cancelled (serve needs In Queue or Alerted or Arrived)")
        );
        let w = id_of(&c.join(p, "Registration", None).expect("join"));
        assert!(
            matches!(c.system_cancel(w), Err(ClinicError::Impossible { .. })),
            "only a No Show is system-cancelled"
        );
        c.serve(w).expect("serve");
        assert!(
            matches!(c.no_show(w), Err(ClinicError::Impossible { .. })),
            "a patient being served is there"
        );
        assert_eq!(
            c.move_visit(w, "Registration"),
            Err(ClinicError::SameService {
                visit: w,
                service: "Registration".into()
            })
        );
        assert_eq!(c.alert(999), Err(ClinicError::UnknownVisit(999)));
        assert_eq!(
            c.reschedule(999, "2024-01-18", "10:00"),
            Err(ClinicError::UnknownAppointment(999))
        );
        assert_eq!(
            c.join(999, "Registration", None),
            Err(ClinicError::UnknownPatient(999))
        );
        assert_eq!(
            c.book(p, "Treatment Room", "2024-02-30", "10:00"),
            Err(ClinicError::BadDate("2024-02-30".into()))
        );
        assert_eq!(
            c.book(p, "Treatment Room", "2024-02-03", "25:00"),
            Err(ClinicError::BadTime("25:00".into()))
        );
    }

    #[test]
    fn ids_of_kinds_and_of_clinics_never_collide() {
        let mut seen = std::collections::BTreeSet::new();
        for base in [0, ID_SPAN, 2 * ID_SPAN] {
            let mut c = Clinic::new(base, START);
            let p = c
                .register("Muthu a/l Ramasamy", "601128845502", None)
                .expect("register");
            let a = id_of(
                &c.book(p, "Treatment Room", "2024-01-18", "21:00")
                    .expect("book"),
            );
            let v = id_of(&c.join(p, "Registration", Some(a)).expect("join"));
            let m = c.move_visit(v, "Pharmacy").expect("move");
            let note = visit_of(&m).notes.items()[0].id.value().expect("numeric");
            for id in [p, a, v, id_of(&m), note] {
                assert!(seen.insert(id), "id {id} allocated twice");
                assert!((base..base + ID_SPAN).contains(&id));
            }
        }
    }

    #[test]
    fn unknown_services_get_new_ids_and_staff() {
        let (mut c, p) = clinic();
        let j = sound(c.join(p, "Radiology", None).expect("join"));
        let v = visit_of(&j);
        assert_eq!(v.service_name, "Radiology");
        assert_eq!(v.staff_name.as_deref(), Some("Radiology staff"));
        assert!(v.service_id.value().is_some_and(|id| id > 7_000_000));
        assert_eq!(
            c.service("Radiology").expect("known now").id,
            v.service_id.value().expect("numeric")
        );
    }

    #[test]
    fn catalogue_events_for_clients_services_staff_and_records() {
        let (mut c, p) = clinic();
        let cl = sound(c.client_event(p, EventName::ClientUpdated).expect("client"));
        assert!(matches!(&cl.data, Record::Client(r) if r.id == Id::Num(p)));
        let sv = sound(
            c.service_event("Pharmacy", EventName::ServiceStaffsUpdated)
                .expect("service"),
        );
        assert!(matches!(&sv.data, Record::Service(r) if r.staffs[0].name == "Pharmacist"));
        let st = sound(
            c.staff_event("Pharmacist", EventName::StaffServicesUpdated)
                .expect("staff"),
        );
        assert!(
            matches!(&st.data, Record::Staff(r) if r.services.len() == 2),
            "the pharmacist serves two services"
        );
        assert!(matches!(
            c.staff_event("Nobody", EventName::StaffUpdated),
            Err(ClinicError::UnknownStaff { .. })
        ));
        assert!(matches!(
            c.client_event(p, EventName::StaffUpdated),
            Err(ClinicError::WrongRecord { .. })
        ));
        let v = id_of(&c.join(p, "Registration", None).expect("join"));
        let again = sound(
            c.visit_event(v, EventName::LiveQueueUpdated)
                .expect("touch"),
        );
        assert_eq!(visit_of(&again).state.code(), 1);
        sound(
            c.client_event(p, EventName::ClientDeleted)
                .expect("delete client"),
        );
        assert_eq!(
            c.join(p, "Registration", None),
            Err(ClinicError::PatientDeleted(p))
        );
    }
}
