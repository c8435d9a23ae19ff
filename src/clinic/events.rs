//! Any catalogue event built from a record the clinic holds: a visit or
//! appointment touched, a client, a service or a staff member.

use super::{Clinic, ClinicError, ServiceInfo, DIRECTORY_AGE_SECS};
use crate::model::time::format_myt;
use crate::model::{Client, EventName, Id, Payload, Record, RecordKind, Ref, Service, Staff};
use serde_json::Map;

impl Clinic {
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
