//! Unit tests of the clinic: every transition, and the impossible ones.

use super::*;
use crate::model::{time::parse_timestamp, violations};
use crate::model::{Appointment, EventName, Id, Payload, Record, Visit, VisitState};

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
        format!(
            "cannot serve visit {v}: it is Cancelled (serve needs In Queue or Alerted or Arrived)"
        )
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
    assert_eq!(
        c.register("Ali", "+6012", None),
        Err(ClinicError::BadPhone("+6012".into()))
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

#[test]
fn act_follows_allowed_from_in_every_reachable_state() {
    use VisitAction as A;
    let paths: [(&[VisitAction], i64); 7] = [
        (&[], 1),
        (&[A::Alert], 2),
        (&[A::Arrive], 3),
        (&[A::Serve], 4),
        (&[A::Serve, A::Served], 5),
        (&[A::Cancel], 7),
        (&[A::Alert, A::NoShow], 8),
    ];
    for (path, state) in paths {
        let (mut c, p) = clinic();
        let v = id_of(&c.join(p, "Registration", None).expect("join"));
        for a in path {
            c.act(v, *a).expect("path to the state");
        }
        assert_eq!(c.visit_state(v), Some(VisitState(state)));
        for action in VisitAction::ALL {
            let allowed = action.allowed_from().contains(&VisitState(state));
            match c.clone().act(v, action) {
                Ok(payload) => {
                    assert!(allowed, "{action} from {state} should be refused");
                    let got = sound(payload);
                    assert_eq!(visit_of(&got).state.code(), action.target().0);
                }
                Err(e) => {
                    assert!(!allowed, "{action} from {state} should be allowed: {e}");
                    assert!(matches!(e, ClinicError::Impossible { .. }), "{e}");
                }
            }
        }
        let movable = MOVABLE_FROM.contains(&VisitState(state));
        assert_eq!(
            c.clone().move_visit(v, "Pharmacy").is_ok(),
            movable,
            "move from {state}"
        );
    }
}
