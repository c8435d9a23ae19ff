//! Appointment transitions: booking, rescheduling, deleting.

use super::{canonical_date, canonical_time, named, AppointmentEntry, Clinic, ClinicError, IdKind};
use crate::model::time::format_myt;
use crate::model::{
    Appointment, AppointmentState, EventName, Id, Notes, PackageType, Payload, Record,
    RescheduleState, RescheduledBy, StateField,
};
use serde_json::Map;

impl Clinic {
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
            state: StateField::Code(AppointmentState::BOOKED.0),
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
}
