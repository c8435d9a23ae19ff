//! Fresh, valid records for the protocol checks: every check case acts on
//! records never sent before (ids from the run's id base) with timestamps
//! from the run's own clock, so a receiver that keeps state between runs
//! is judged on this run alone.

use crate::model::time::{format_laravel_utc, format_myt, format_myt_date};
use crate::model::{
    Appointment, AppointmentState, Client, EventName, Id, Note, Notes, PackageType, Payload,
    Record, Ref, RescheduleState, RescheduledBy, Service, Staff, StateField, Visit, VisitState,
};
use serde_json::Map;
use std::sync::atomic::{AtomicU64, Ordering};

/// Hands out ids and instants for one run's protocol checks.
#[derive(Debug)]
pub struct Fixture {
    next: AtomicU64,
    t0: i64,
}

impl Fixture {
    pub fn new(id_base: u64, t0: i64) -> Fixture {
        Fixture {
            next: AtomicU64::new(id_base),
            t0,
        }
    }

    pub fn id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// The run's clock plus `secs`.
    pub fn at(&self, secs: i64) -> i64 {
        self.t0 + secs
    }

    /// A walk-in visit in state 1 (In Queue) at Registration, created at `t`.
    pub fn visit(&self, t: i64) -> Visit {
        let id = self.id();
        let now = format_myt(t);
        Visit {
            id: Id::Num(id),
            appointment_id: None,
            appointment_date: None,
            appointment_time: None,
            registered_client_id: Some(Id::Num(self.id())),
            registered_client_name: Some("Nur Aisyah binti Ahmad".to_owned()),
            registered_client_phone: Some("60123456789".to_owned()),
            client_name: "Nur Aisyah binti Ahmad".to_owned(),
            state: StateField::Code(VisitState::IN_QUEUE.0),
            state_name: "In Queue".to_owned(),
            service_id: Id::Num(206),
            service_name: "Registration".to_owned(),
            staff_id: Some(Id::Num(262)),
            staff_name: Some("Registration".to_owned()),
            notes: Notes::List(Vec::new()),
            created_at: now.clone(),
            updated_at: now,
            extra: Map::new(),
        }
    }

    /// A note on a visit, as Chup writes them.
    pub fn note(&self, visit_id: u64, content: &str, t: i64) -> Note {
        Note {
            id: Id::Num(self.id()),
            content: content.to_owned(),
            user_id: Some(Id::Num(263)),
            service_id: Some(Id::Num(206)),
            client_id: None,
            created_date: Some(t),
            updated_date: Some(t),
            created_at: Some(format_laravel_utc(t)),
            updated_at: Some(format_laravel_utc(t)),
            deleted_at: None,
            model_type: "App\\Models\\Visit".to_owned(),
            model_id: Id::Num(visit_id),
            extra: Map::new(),
        }
    }

    /// A booked appointment, not rescheduled, made at `t` for the next day.
    pub fn appointment(&self, t: i64) -> Appointment {
        let now = format_myt(t);
        let date = format_myt_date(t + 86_400);
        Appointment {
            id: Id::Num(self.id()),
            date: date.clone(),
            time: "10:30:00".to_owned(),
            original_date: date,
            original_time: "10:30:00".to_owned(),
            reschedule_state: RescheduleState::NOT_RESCHEDULED.0,
            reschedule_state_name: "Not Rescheduled".to_owned(),
            rescheduled_by: RescheduledBy::NOT_RESCHEDULED.0,
            rescheduled_by_name: "Not Rescheduled".to_owned(),
            duration: Some(10),
            registered_client_id: Some(Id::Num(self.id())),
            registered_client_name: Some("Tan Mei Ling".to_owned()),
            registered_client_phone: Some("601234567890".to_owned()),
            client_name: "Tan Mei Ling".to_owned(),
            client_phone: Some("601234567890".to_owned()),
            client_email: Some("patient@example.test".to_owned()),
            state: StateField::Code(AppointmentState::BOOKED.0),
            state_name: "Booked".to_owned(),
            package_type: PackageType::SELF_PAY.0,
            package_type_name: "Self pay".to_owned(),
            admin_remarks: None,
            addons: None,
            scheduled_by_staff_id: None,
            scheduled_by_staff_name: None,
            service_id: Id::Num(254),
            service_name: "Treatment Room".to_owned(),
            staff_id: Some(Id::Num(263)),
            staff_name: Some("Treatment Room staff".to_owned()),
            notes: Notes::List(Vec::new()),
            created_at: now.clone(),
            updated_at: now,
            extra: Map::new(),
        }
    }

    /// A payload for an event of the assumed client/service/staff shapes.
    pub fn directory_event(&self, event: EventName, t: i64) -> Payload {
        use crate::model::RecordKind;
        let now = format_myt(t);
        let data = match event.record() {
            RecordKind::Client => Record::Client(Client {
                id: Id::Num(self.id()),
                name: "Muthu a/l Rajan".to_owned(),
                phone: Some("60123456789".to_owned()),
                email: None,
                created_at: now.clone(),
                updated_at: now,
                extra: Map::new(),
            }),
            RecordKind::Service => Record::Service(Service {
                id: Id::Num(self.id()),
                name: "Physiotherapy".to_owned(),
                staffs: vec![Ref {
                    id: Id::Num(self.id()),
                    name: "Physio staff".to_owned(),
                }],
                created_at: now.clone(),
                updated_at: now,
                extra: Map::new(),
            }),
            RecordKind::Staff => Record::Staff(Staff {
                id: Id::Num(self.id()),
                name: "Dr. Lim Wei Jie".to_owned(),
                services: vec![Ref {
                    id: Id::Num(254),
                    name: "Treatment Room".to_owned(),
                }],
                created_at: now.clone(),
                updated_at: now,
                extra: Map::new(),
            }),
            RecordKind::Visit => Record::Visit(self.visit(t)),
            RecordKind::Appointment => Record::Appointment(self.appointment(t)),
        };
        Payload::new(event, format_myt(t), data)
    }
}

/// `live_queue_created` for a visit.
pub fn visit_created(v: &Visit) -> Payload {
    Payload::new(
        EventName::LiveQueueCreated,
        v.updated_at.clone(),
        Record::Visit(v.clone()),
    )
}

/// The visit moved to `state` at `t`, as `live_queue_updated`.
pub fn visit_updated(v: &Visit, state: VisitState, t: i64) -> (Visit, Payload) {
    let mut next = v.clone();
    next.state = StateField::Code(state.0);
    next.state_name = state.name().unwrap_or("Unknown").to_owned();
    next.updated_at = format_myt(t);
    let p = Payload::new(
        EventName::LiveQueueUpdated,
        next.updated_at.clone(),
        Record::Visit(next.clone()),
    );
    (next, p)
}

/// `appointment_created` for an appointment.
pub fn appointment_created(a: &Appointment) -> Payload {
    Payload::new(
        EventName::AppointmentCreated,
        a.updated_at.clone(),
        Record::Appointment(a.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::violations;

    #[test]
    fn fixture_payloads_keep_the_model_invariants() {
        let f = Fixture::new(5_000_000, 1_733_300_000);
        let v = f.visit(f.at(0));
        assert!(violations(&visit_created(&v)).is_empty());
        let (_, p) = visit_updated(&v, VisitState::SERVING, f.at(60));
        assert!(violations(&p).is_empty(), "{:?}", violations(&p));
        assert!(violations(&appointment_created(&f.appointment(f.at(0)))).is_empty());
        for e in EventName::ALL {
            let p = f.directory_event(e, f.at(0));
            assert!(violations(&p).is_empty(), "{e}: {:?}", violations(&p));
        }
    }
}
