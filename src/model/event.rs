//! The event catalogue and the payload envelope
//! `{"event": ..., "timestamp": ..., "data": {...}}`.

use super::records::{Appointment, Client, Service, Staff, Visit};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// What kind of record an event carries in `data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    Visit,
    Appointment,
    Client,
    Service,
    Staff,
}

/// Every event name Chup Online documents (SPEC section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventName {
    AppointmentCreated,
    AppointmentUpdated,
    AppointmentDeleted,
    LiveQueueCreated,
    LiveQueueUpdated,
    LiveQueueDeleted,
    ClientCreated,
    ClientUpdated,
    ClientDeleted,
    ServiceCreated,
    ServiceUpdated,
    ServiceStaffsUpdated,
    ServiceDeleted,
    StaffCreated,
    StaffUpdated,
    StaffServicesUpdated,
    StaffDeleted,
}

impl EventName {
    pub const ALL: [EventName; 17] = [
        EventName::AppointmentCreated,
        EventName::AppointmentUpdated,
        EventName::AppointmentDeleted,
        EventName::LiveQueueCreated,
        EventName::LiveQueueUpdated,
        EventName::LiveQueueDeleted,
        EventName::ClientCreated,
        EventName::ClientUpdated,
        EventName::ClientDeleted,
        EventName::ServiceCreated,
        EventName::ServiceUpdated,
        EventName::ServiceStaffsUpdated,
        EventName::ServiceDeleted,
        EventName::StaffCreated,
        EventName::StaffUpdated,
        EventName::StaffServicesUpdated,
        EventName::StaffDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventName::AppointmentCreated => "appointment_created",
            EventName::AppointmentUpdated => "appointment_updated",
            EventName::AppointmentDeleted => "appointment_deleted",
            EventName::LiveQueueCreated => "live_queue_created",
            EventName::LiveQueueUpdated => "live_queue_updated",
            EventName::LiveQueueDeleted => "live_queue_deleted",
            EventName::ClientCreated => "client_created",
            EventName::ClientUpdated => "client_updated",
            EventName::ClientDeleted => "client_deleted",
            EventName::ServiceCreated => "service_created",
            EventName::ServiceUpdated => "service_updated",
            EventName::ServiceStaffsUpdated => "service_staffs_updated",
            EventName::ServiceDeleted => "service_deleted",
            EventName::StaffCreated => "staff_created",
            EventName::StaffUpdated => "staff_updated",
            EventName::StaffServicesUpdated => "staff_services_updated",
            EventName::StaffDeleted => "staff_deleted",
        }
    }

    pub fn parse(s: &str) -> Option<EventName> {
        EventName::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn record(self) -> RecordKind {
        use EventName::*;
        match self {
            AppointmentCreated | AppointmentUpdated | AppointmentDeleted => RecordKind::Appointment,
            LiveQueueCreated | LiveQueueUpdated | LiveQueueDeleted => RecordKind::Visit,
            ClientCreated | ClientUpdated | ClientDeleted => RecordKind::Client,
            ServiceCreated | ServiceUpdated | ServiceStaffsUpdated | ServiceDeleted => {
                RecordKind::Service
            }
            StaffCreated | StaffUpdated | StaffServicesUpdated | StaffDeleted => RecordKind::Staff,
        }
    }

    /// True for the four events the Chup docs give example payloads for;
    /// the payloads of the other thirteen are assumed by this project.
    pub fn is_documented(self) -> bool {
        matches!(
            self,
            EventName::AppointmentCreated
                | EventName::AppointmentUpdated
                | EventName::LiveQueueCreated
                | EventName::LiveQueueUpdated
        )
    }

    pub fn is_deleted(self) -> bool {
        self.as_str().ends_with("_deleted")
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The record in a payload's `data`.
// One payload holds one record and is built and dropped whole; boxing the
// variants would cost an allocation per payload for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    Visit(Visit),
    Appointment(Appointment),
    Client(Client),
    Service(Service),
    Staff(Staff),
    /// The data of an event name outside the catalogue, kept as sent.
    Unknown(Value),
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Record::Visit(r) => r.serialize(s),
            Record::Appointment(r) => r.serialize(s),
            Record::Client(r) => r.serialize(s),
            Record::Service(r) => r.serialize(s),
            Record::Staff(r) => r.serialize(s),
            Record::Unknown(v) => v.serialize(s),
        }
    }
}

impl Record {
    /// The record's id, when it has one the model understands.
    pub fn id(&self) -> Option<&super::Id> {
        match self {
            Record::Visit(r) => Some(&r.id),
            Record::Appointment(r) => Some(&r.id),
            Record::Client(r) => Some(&r.id),
            Record::Service(r) => Some(&r.id),
            Record::Staff(r) => Some(&r.id),
            Record::Unknown(_) => None,
        }
    }

    /// Gives the record another id (load and fuzz runs need ids never sent before).
    pub fn set_id(&mut self, id: super::Id) {
        match self {
            Record::Visit(r) => r.id = id,
            Record::Appointment(r) => r.id = id,
            Record::Client(r) => r.id = id,
            Record::Service(r) => r.id = id,
            Record::Staff(r) => r.id = id,
            Record::Unknown(_) => {}
        }
    }

    pub fn updated_at(&self) -> Option<&str> {
        match self {
            Record::Visit(r) => Some(&r.updated_at),
            Record::Appointment(r) => Some(&r.updated_at),
            Record::Client(r) => Some(&r.updated_at),
            Record::Service(r) => Some(&r.updated_at),
            Record::Staff(r) => Some(&r.updated_at),
            Record::Unknown(_) => None,
        }
    }

    pub fn kind(&self) -> Option<RecordKind> {
        match self {
            Record::Visit(_) => Some(RecordKind::Visit),
            Record::Appointment(_) => Some(RecordKind::Appointment),
            Record::Client(_) => Some(RecordKind::Client),
            Record::Service(_) => Some(RecordKind::Service),
            Record::Staff(_) => Some(RecordKind::Staff),
            Record::Unknown(_) => None,
        }
    }
}

/// A webhook payload: the part of the body that is signed.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    /// The event name as sent; see [`Payload::event_name`] for the catalogue entry.
    pub event: String,
    pub timestamp: String,
    pub data: Record,
    /// Top-level keys besides `event`, `timestamp` and `data`, kept as sent.
    pub extra: Map<String, Value>,
}

impl Payload {
    pub fn new(event: EventName, timestamp: String, data: Record) -> Payload {
        Payload {
            event: event.as_str().to_owned(),
            timestamp,
            data,
            extra: Map::new(),
        }
    }

    pub fn event_name(&self) -> Option<EventName> {
        EventName::parse(&self.event)
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3 + self.extra.len()))?;
        m.serialize_entry("event", &self.event)?;
        m.serialize_entry("timestamp", &self.timestamp)?;
        m.serialize_entry("data", &self.data)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
