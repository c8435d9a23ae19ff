//! The record builders behind [`super::payload`]: one canonical, valid,
//! realistic record per event, and the instant its event is sent. Time is
//! drawn from the seed in clinic hours, 2024 to mid-2026, Malaysia time;
//! every later instant of a record is derived from its first. What the
//! clinic holds (services, staff, names, phones, note texts) comes from
//! [`super::data`]; dialect forms are left to `model::restyle`.

use super::data::{self, Person, ServiceEntry, StaffEntry};
use crate::model::time::{
    civil_from_days, days_from_civil, format_laravel_utc, format_myt, MYT_OFFSET_SECS,
};
use crate::model::{
    Appointment, AppointmentState, Client, EventName, Id, Note, Notes, PackageType, Record,
    RecordKind, Ref, RescheduleState, RescheduledBy, Service, Staff, StateField, Visit, VisitState,
};
use crate::rng::Rng;
use serde_json::Map;

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// Where a record is in its life when the event is sent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Created,
    Updated,
    Deleted,
}

fn stage_of(event: EventName) -> Stage {
    let name = event.as_str();
    if name.ends_with("_created") {
        Stage::Created
    } else if event.is_deleted() {
        Stage::Deleted
    } else {
        Stage::Updated
    }
}

/// A random instant in clinic hours (08:00 to 21:30 Malaysia time) between
/// 2024-01-01 and 2026-06-30; later events of the record come after it.
fn clinic_instant(rng: &mut Rng) -> i64 {
    let day = rng.range(days_from_civil(2024, 1, 1), days_from_civil(2026, 6, 30));
    day * DAY + rng.range(8 * HOUR, 21 * HOUR + 30 * MINUTE) - MYT_OFFSET_SECS
}

/// The Malaysian calendar day (days since 1970-01-01) of an instant.
fn local_day(unix: i64) -> i64 {
    (unix + MYT_OFFSET_SECS).div_euclid(DAY)
}

/// Seconds after Malaysian midnight of an instant.
fn local_secs(unix: i64) -> i64 {
    (unix + MYT_OFFSET_SECS).rem_euclid(DAY)
}

fn date_text(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    let mut s = String::with_capacity(10);
    push_padded(&mut s, y, 4);
    s.push('-');
    push_padded(&mut s, m, 2);
    s.push('-');
    push_padded(&mut s, d, 2);
    s
}

/// `HH:MM:SS`, the canonical clock form (restyle may drop the seconds).
fn clock_text(secs_of_day: i64) -> String {
    let mut s = String::with_capacity(8);
    push_padded(&mut s, secs_of_day / HOUR, 2);
    s.push(':');
    push_padded(&mut s, secs_of_day / MINUTE % 60, 2);
    s.push(':');
    push_padded(&mut s, secs_of_day % 60, 2);
    s
}

/// Zero-padded decimal without `format!`: dates and clocks are written for
/// every payload, in the hot loop of `generate`.
fn push_padded(s: &mut String, value: i64, width: u32) {
    let mut div = 10i64.pow(width - 1);
    while div > 0 {
        s.push(char::from(b'0' + (value / div % 10) as u8));
        div /= 10;
    }
}

fn id(n: i64) -> Id {
    Id::Num(n as u64)
}

fn staff_ref(entry: &StaffEntry) -> Ref {
    Ref {
        id: Id::Num(entry.id),
        name: entry.name.to_owned(),
    }
}

fn service_ref(entry: &ServiceEntry) -> Ref {
    Ref {
        id: Id::Num(entry.id),
        name: entry.name.to_owned(),
    }
}

/// When the event about a record last changed at `updated` is sent: at once
/// (the docs' No Show example is one second late), or later for a deletion.
fn event_instant(rng: &mut Rng, stage: Stage, updated: i64) -> i64 {
    match stage {
        Stage::Deleted => updated + rng.range(MINUTE, 3 * DAY),
        _ if rng.chance(0.1) => updated + 1,
        _ => updated,
    }
}

fn visit_state(code: VisitState) -> (StateField, String) {
    let name = code.name().expect("generators use named visit states only");
    (StateField::Code(code.0), name.to_owned())
}

/// How a visit came to be.
#[derive(Clone, Copy)]
enum Origin {
    WalkIn,
    FromAppointment,
    /// Moved or dispensed from another service: (from, to) service ids.
    Moved(u64, u64),
}

struct NoteSpec<'a> {
    id: u64,
    content: String,
    user_id: Option<u64>,
    service_id: Option<u64>,
    client_id: u64,
    /// False writes `null` note dates (system notes).
    unix_dates: bool,
    at: i64,
    model_type: &'a str,
    model_id: u64,
}

fn note(spec: NoteSpec<'_>) -> Note {
    let laravel = format_laravel_utc(spec.at);
    let date = spec.unix_dates.then_some(spec.at);
    Note {
        id: Id::Num(spec.id),
        content: spec.content,
        user_id: spec.user_id.map(Id::Num),
        service_id: spec.service_id.map(Id::Num),
        client_id: Some(Id::Num(spec.client_id)),
        created_date: date,
        updated_date: date,
        created_at: Some(laravel.clone()),
        updated_at: Some(laravel),
        deleted_at: None,
        model_type: spec.model_type.to_owned(),
        model_id: Id::Num(spec.model_id),
        extra: Map::new(),
    }
}

const VISIT_MODEL: &str = "App\\Models\\Visit";
const BOOKING_MODEL: &str = "App\\Models\\Booking";

/// The exact content of a transit note.
fn transit_content(from: &str, to: &str) -> String {
    let mut s = String::with_capacity(data::TRANSIT_PREFIX.len() + from.len() + to.len() + 5);
    s.push_str(data::TRANSIT_PREFIX);
    s.push_str(from);
    s.push_str(data::TRANSIT_ARROW);
    s.push_str(to);
    s
}

fn visit(rng: &mut Rng, stage: Stage) -> (Visit, i64) {
    let visit_id = rng.range(19_000, 99_999);
    let origin = match rng.below(100) {
        0..=44 => Origin::WalkIn,
        45..=74 => Origin::FromAppointment,
        _ => {
            let (from, to) = *rng.pick(data::TRANSITS);
            Origin::Moved(from, to)
        }
    };
    let service = match origin {
        Origin::Moved(_, to) => data::service(to),
        _ if rng.chance(0.7) => data::service(data::REGISTRATION),
        _ => rng.pick(data::SERVICES),
    };
    let staff = data::staff(*rng.pick(service.staffs));
    let client_id = rng.range(3_000, 99_999);
    let client = data::person(rng);
    // Now and then the patient is a family member of the registered client.
    let client_name = if rng.chance(0.1) {
        data::person(rng).name
    } else {
        client.name.clone()
    };

    let state = match stage {
        Stage::Created => VisitState::IN_QUEUE,
        Stage::Updated => match rng.below(100) {
            0..=3 => VisitState::IN_QUEUE,
            4..=22 => VisitState::ALERTED,
            23..=41 => VisitState::ARRIVED,
            42..=60 => VisitState::SERVING,
            61..=79 => VisitState::SERVED,
            80..=89 => VisitState::CANCELLED,
            _ => VisitState::NO_SHOW,
        },
        Stage::Deleted => *rng.pick(VisitState::KNOWN),
    };
    let system_cancel =
        state == VisitState::CANCELLED && stage != Stage::Created && rng.chance(0.4);
    let created = clinic_instant(rng);
    let updated = created
        + match (stage, state) {
            (Stage::Created, _) => 0,
            // Cancelled by the system: a No Show left for more than 30 minutes.
            _ if system_cancel => rng.range(31 * MINUTE, 4 * HOUR),
            (_, VisitState::IN_QUEUE) => rng.range(0, 20 * MINUTE),
            (_, VisitState::ALERTED) => rng.range(MINUTE, HOUR),
            (_, VisitState::ARRIVED) => rng.range(MINUTE, 90 * MINUTE),
            (_, VisitState::SERVING) => rng.range(2 * MINUTE, 2 * HOUR),
            (_, VisitState::SERVED) => rng.range(5 * MINUTE, 3 * HOUR),
            _ => rng.range(MINUTE, 2 * HOUR),
        };

    let booked = match origin {
        Origin::FromAppointment => true,
        Origin::Moved(..) => rng.chance(0.4),
        Origin::WalkIn => false,
    };
    let (appointment_id, appointment_date, appointment_time) = if booked {
        // The ten-minute slot the patient booked, on the day of the visit, near its start.
        let slot = (local_secs(created) / 600 * 600 + rng.range(-3, 3) * 600).clamp(0, DAY - 600);
        (
            Some(id(rng.range(9_000, 59_999))),
            Some(date_text(local_day(created))),
            Some(clock_text(slot)),
        )
    } else {
        (None, None, None)
    };

    let mut notes = Vec::new();
    let mut note_id = rng.range(4_000, 90_000) as u64;
    if let Origin::Moved(from, _) = origin {
        notes.push(note(NoteSpec {
            id: note_id,
            content: transit_content(data::service(from).name, service.name),
            user_id: Some(staff.id),
            service_id: Some(service.id),
            client_id: client_id as u64,
            unix_dates: true,
            at: created,
            model_type: VISIT_MODEL,
            model_id: visit_id as u64,
        }));
        note_id += rng.range(1, 40) as u64;
    }
    if rng.chance(0.15) {
        let at = rng.range(created, updated);
        notes.push(note(NoteSpec {
            id: note_id,
            content: (*rng.pick(data::NOTES)).to_owned(),
            user_id: Some(staff.id),
            service_id: Some(service.id),
            client_id: client_id as u64,
            unix_dates: true,
            at,
            model_type: VISIT_MODEL,
            model_id: visit_id as u64,
        }));
        note_id += rng.range(1, 40) as u64;
    }
    if system_cancel {
        notes.push(note(NoteSpec {
            id: note_id,
            content: data::SYSTEM_CANCEL.to_owned(),
            user_id: Some(data::SYSTEM_USER_ID),
            service_id: None,
            client_id: client_id as u64,
            unix_dates: false,
            at: updated,
            model_type: VISIT_MODEL,
            model_id: visit_id as u64,
        }));
    }

    let (state, state_name) = visit_state(state);
    let v = Visit {
        id: id(visit_id),
        appointment_id,
        appointment_date,
        appointment_time,
        registered_client_id: Some(id(client_id)),
        registered_client_name: Some(client.name),
        registered_client_phone: Some(client.phone),
        client_name,
        state,
        state_name,
        service_id: Id::Num(service.id),
        service_name: service.name.to_owned(),
        staff_id: Some(Id::Num(staff.id)),
        staff_name: Some(staff.name.to_owned()),
        notes: Notes::List(notes),
        created_at: format_myt(created),
        updated_at: format_myt(updated),
        extra: Map::new(),
    };
    (v, event_instant(rng, stage, updated))
}

/// Appointment slots run every ten minutes from 08:00 to 21:50.
const FIRST_SLOT: i64 = 8 * HOUR;
const SLOTS: i64 = 84;

/// A slot on a day `0..=21` days after `after`, and after it (by a quarter
/// of an hour at least) when on the same day: (day, seconds of day).
fn slot_after(rng: &mut Rng, after: i64) -> (i64, i64) {
    let day = local_day(after) + rng.range(0, 21);
    let earliest = if day == local_day(after) {
        (local_secs(after) + 15 * MINUTE - FIRST_SLOT).div_euclid(600) + 1
    } else {
        0
    };
    if earliest >= SLOTS {
        return (day + 1, FIRST_SLOT + rng.range(0, SLOTS - 1) * 600);
    }
    (
        day,
        FIRST_SLOT + rng.range(earliest.max(0), SLOTS - 1) * 600,
    )
}

fn appointment(rng: &mut Rng, stage: Stage) -> (Appointment, i64) {
    let appointment_id = rng.range(9_000, 59_999);
    let service = loop {
        let s = rng.pick(data::SERVICES);
        if s.bookable {
            break s;
        }
    };
    let staff = data::staff(*rng.pick(service.staffs));
    let client_id = rng.range(3_000, 99_999);
    let client: Person = data::person(rng);
    let (client_name, client_phone, client_email) = if rng.chance(0.1) {
        // Booked by the registered client for a family member.
        let other = data::person(rng);
        (other.name, Some(other.phone), other.email)
    } else {
        (
            client.name.clone(),
            Some(client.phone.clone()),
            client.email,
        )
    };

    let created = clinic_instant(rng);
    let (original_day, original_slot) = slot_after(rng, created);
    let changed = match stage {
        Stage::Created => false,
        Stage::Updated => true,
        Stage::Deleted => rng.chance(0.5),
    };
    let updated = if changed {
        created + rng.range(MINUTE, 3 * DAY)
    } else {
        created
    };
    let rescheduled = changed && rng.chance(0.6);
    let (day, slot) = if rescheduled {
        let (mut day, mut slot) = slot_after(rng, updated);
        if (day, slot) == (original_day, original_slot) {
            slot += if slot + 600 < FIRST_SLOT + SLOTS * 600 {
                600
            } else {
                -600
            };
        }
        // The docs' example moves the slot on the same day now and then.
        if rng.chance(0.3) && original_day > local_day(updated) {
            day = original_day;
            if slot == original_slot {
                slot = if slot > FIRST_SLOT {
                    slot - 600
                } else {
                    slot + 600
                };
            }
        }
        (day, slot)
    } else {
        (original_day, original_slot)
    };
    let (reschedule_state, rescheduled_by) = if rescheduled {
        (RescheduleState::MANUAL_RESCHEDULED, RescheduledBy::PATIENT)
    } else {
        (
            RescheduleState::NOT_RESCHEDULED,
            RescheduledBy::NOT_RESCHEDULED,
        )
    };
    let admin_remarks = if (changed && !rescheduled && rng.chance(0.5)) || rng.chance(0.05) {
        Some((*rng.pick(data::REMARKS)).to_owned())
    } else {
        None
    };
    let scheduled_by = rng
        .chance(0.25)
        .then(|| data::staff(*rng.pick(data::service(data::REGISTRATION).staffs)));

    let mut notes = Vec::new();
    if rng.chance(0.15) {
        notes.push(note(NoteSpec {
            id: rng.range(4_000, 90_000) as u64,
            content: (*rng.pick(data::NOTES)).to_owned(),
            user_id: Some(scheduled_by.unwrap_or(staff).id),
            service_id: Some(service.id),
            client_id: client_id as u64,
            unix_dates: true,
            at: rng.range(created, updated),
            model_type: BOOKING_MODEL,
            model_id: appointment_id as u64,
        }));
    }

    let state = AppointmentState::BOOKED;
    let a = Appointment {
        id: id(appointment_id),
        date: date_text(day),
        time: clock_text(slot),
        original_date: date_text(original_day),
        original_time: clock_text(original_slot),
        reschedule_state: reschedule_state.0,
        reschedule_state_name: name_of(reschedule_state.name()),
        rescheduled_by: rescheduled_by.0,
        rescheduled_by_name: name_of(rescheduled_by.name()),
        duration: Some(*rng.pick(&[10, 10, 15, 20, 30])),
        registered_client_id: Some(id(client_id)),
        registered_client_name: Some(client.name),
        registered_client_phone: Some(client.phone),
        client_name,
        client_phone,
        client_email,
        state: StateField::Code(state.0),
        state_name: name_of(state.name()),
        package_type: PackageType::SELF_PAY.0,
        package_type_name: name_of(PackageType::SELF_PAY.name()),
        admin_remarks,
        addons: None,
        scheduled_by_staff_id: scheduled_by.map(|s| Id::Num(s.id)),
        scheduled_by_staff_name: scheduled_by.map(|s| s.name.to_owned()),
        service_id: Id::Num(service.id),
        service_name: service.name.to_owned(),
        staff_id: Some(Id::Num(staff.id)),
        staff_name: Some(staff.name.to_owned()),
        notes: Notes::List(notes),
        created_at: format_myt(created),
        updated_at: format_myt(updated),
        extra: Map::new(),
    };
    (a, event_instant(rng, stage, updated))
}

fn name_of(name: Option<&'static str>) -> String {
    name.expect("generators use named enumeration values only")
        .to_owned()
}

/// Created at `created`; when the stage says it changed since, updated up to
/// `max_later` seconds after.
fn lifetime(rng: &mut Rng, stage: Stage, max_later: i64) -> (i64, i64) {
    let created = clinic_instant(rng);
    let changed = match stage {
        Stage::Created => false,
        Stage::Updated => true,
        Stage::Deleted => rng.chance(0.5),
    };
    let updated = if changed {
        created + rng.range(MINUTE, max_later)
    } else {
        created
    };
    (created, updated)
}

fn client(rng: &mut Rng, stage: Stage) -> (Client, i64) {
    let client_id = rng.range(3_000, 99_999);
    let person = data::person(rng);
    let (created, updated) = lifetime(rng, stage, 300 * DAY);
    let c = Client {
        id: id(client_id),
        name: person.name,
        phone: rng.chance(0.95).then_some(person.phone),
        email: person.email,
        created_at: format_myt(created),
        updated_at: format_myt(updated),
        extra: Map::new(),
    };
    (c, event_instant(rng, stage, updated))
}

fn service(rng: &mut Rng, event: EventName) -> (Service, i64) {
    let stage = stage_of(event);
    let entry = rng.pick(data::SERVICES);
    let mut staffs: Vec<Ref> = entry
        .staffs
        .iter()
        .map(|id| staff_ref(data::staff(*id)))
        .collect();
    if event == EventName::ServiceStaffsUpdated {
        // The change this event announces: one staff member joins or leaves.
        if staffs.len() > 1 && rng.chance(0.5) {
            staffs.remove(rng.below(staffs.len() as u64) as usize);
        } else {
            let newcomer = rng.pick(data::STAFF);
            if !entry.staffs.contains(&newcomer.id) {
                staffs.push(staff_ref(newcomer));
            }
        }
    }
    let (created, updated) = lifetime(rng, stage, 200 * DAY);
    let s = Service {
        id: Id::Num(entry.id),
        name: entry.name.to_owned(),
        staffs,
        created_at: format_myt(created),
        updated_at: format_myt(updated),
        extra: Map::new(),
    };
    (s, event_instant(rng, stage, updated))
}

fn staff(rng: &mut Rng, event: EventName) -> (Staff, i64) {
    let stage = stage_of(event);
    let entry = rng.pick(data::STAFF);
    let mut services: Vec<Ref> = data::SERVICES
        .iter()
        .filter(|s| s.staffs.contains(&entry.id))
        .map(service_ref)
        .collect();
    if event == EventName::StaffServicesUpdated {
        // The change this event announces: one service added or removed.
        if services.len() > 1 && rng.chance(0.5) {
            services.remove(rng.below(services.len() as u64) as usize);
        } else {
            let extra = rng.pick(data::SERVICES);
            if !extra.staffs.contains(&entry.id) {
                services.push(service_ref(extra));
            }
        }
    }
    let (created, updated) = lifetime(rng, stage, 200 * DAY);
    let s = Staff {
        id: Id::Num(entry.id),
        name: entry.name.to_owned(),
        services,
        created_at: format_myt(created),
        updated_at: format_myt(updated),
        extra: Map::new(),
    };
    (s, event_instant(rng, stage, updated))
}

/// The record of one `event` and the instant the event is sent.
pub(super) fn record(event: EventName, rng: &mut Rng) -> (Record, i64) {
    let stage = stage_of(event);
    match event.record() {
        RecordKind::Visit => {
            let (v, at) = visit(rng, stage);
            (Record::Visit(v), at)
        }
        RecordKind::Appointment => {
            let (a, at) = appointment(rng, stage);
            (Record::Appointment(a), at)
        }
        RecordKind::Client => {
            let (c, at) = client(rng, stage);
            (Record::Client(c), at)
        }
        RecordKind::Service => {
            let (s, at) = service(rng, event);
            (Record::Service(s), at)
        }
        RecordKind::Staff => {
            let (s, at) = staff(rng, event);
            (Record::Staff(s), at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_fixed_width_dates_and_clocks() {
        assert_eq!(date_text(days_from_civil(2024, 1, 8)), "2024-01-08");
        assert_eq!(clock_text(20 * HOUR + 50 * MINUTE), "20:50:00");
        assert_eq!(clock_text(9 * HOUR + 5 * MINUTE + 7), "09:05:07");
    }

    #[test]
    fn slots_come_after_the_booking() {
        let mut rng = Rng::new(3);
        for _ in 0..5000 {
            let at = clinic_instant(&mut rng);
            let (day, slot) = slot_after(&mut rng, at);
            assert!(day * DAY + slot - MYT_OFFSET_SECS > at);
            assert!((FIRST_SLOT..FIRST_SLOT + SLOTS * 600).contains(&slot));
        }
    }
}
