//! Visit transitions: joining a queue, the state changes of a visit,
//! moving it to another service, deleting it.

use super::{
    canonical_time, Clinic, ClinicError, IdKind, StateExt, VisitEntry, DISPENSARY,
    NO_SHOW_GRACE_SECS, SYSTEM_CANCEL_NOTE, SYSTEM_USER_ID,
};
use crate::model::time::{format_laravel_utc, format_myt};
use crate::model::{EventName, Id, Note, Notes, Payload, Record, Visit, VisitState};
use serde_json::Map;
use std::fmt;

/// A visit transition other than joining or moving, with the states it may
/// start from. Property tests use [`VisitAction::allowed_from`] as the
/// precondition; [`Clinic::act`] enforces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

impl Clinic {
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
