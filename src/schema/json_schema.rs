//! The JSON Schema (draft 2020-12) text of the model: one `$defs` entry per
//! shared part (ids, states, notes, times, records) and one per event's
//! payload. Each schema here states exactly what `model::parse_payload`
//! accepts plus what `model::violations` demands of a valid payload, as far
//! as JSON Schema can say it (see `contracts/schema/README.md` for the few
//! invariants it cannot).
//!
//! Required fields are the model's non-`Option` fields: an `Option` field
//! may be absent, which the model reads as `null`.

use crate::model::{AppointmentState, EventName, RecordKind, VisitState};
use serde_json::{json, Map, Value};

pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

const NUMERIC: &str = "^[0-9]+$";
const NON_BLANK: &str = "\\S";
const DATE: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";
const CLOCK_HMS: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$";
const CLOCK_HM: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
/// Date, `T`, clock with seconds, optional fraction: shared by both timestamp forms.
const STAMP: &str = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?";
const OFFSET: &str = "[+-]([01][0-9]|2[0-3]):[0-5][0-9]";
const PHONE: &str = "^[0-9]{8,15}$";
pub const SIGNATURE: &str = "^[0-9a-f]{64}$";

/// A reference to a shared part. Every schema written here keeps its
/// shared parts under `$defs`; the AsyncAPI writer rewrites the prefix.
pub fn def_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}") })
}

fn described(mut schema: Value, description: &str) -> Value {
    schema
        .as_object_mut()
        .expect("every field schema built here is an object")
        .insert(
            "description".to_owned(),
            Value::String(description.to_owned()),
        );
    schema
}

fn nullable_string() -> Value {
    json!({ "type": ["string", "null"] })
}

fn nullable(name: &str) -> Value {
    json!({ "oneOf": [def_ref(name), { "type": "null" }] })
}

/// The name of a payload's `$defs` entry.
pub fn payload_def_name(event: EventName) -> String {
    format!("payload_{}", event.as_str())
}

fn record_def_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Visit => "visit",
        RecordKind::Appointment => "appointment",
        RecordKind::Client => "client",
        RecordKind::Service => "service",
        RecordKind::Staff => "staff",
    }
}

/// The body's `signature` field.
pub fn signature() -> Value {
    json!({
        "type": "string",
        "pattern": SIGNATURE,
        "description": "hex(HMAC-SHA256(key = the clinic's secret key as UTF-8 bytes, message = the bytes of `payload` exactly as they stand in the body)): 64 lowercase hex characters. It travels in the body, not in a header. Chup Online documents the algorithm and the size; which bytes are signed is a decision of chup-harness, which writes the body as {\"payload\":P,\"signature\":\"HEX\"} so a receiver can verify against P sliced from the raw body."
    })
}

/// Every shared part, in a fixed order: fields first, then records.
pub fn shared_defs() -> Map<String, Value> {
    let mut defs = Map::new();
    let mut put = |name: &str, schema: Value| {
        defs.insert(name.to_owned(), schema);
    };
    put(
        "id",
        json!({
            "description": "A record id: a non-negative integer, or the same number written as a string (\"service_id\": \"254\" in the docs' Move example).",
            "oneOf": [
                { "title": "ids:number", "type": "integer", "minimum": 0 },
                { "title": "ids:string", "type": "string", "pattern": NUMERIC }
            ]
        }),
    );
    put("nullableId", nullable("id"));
    put(
        "state",
        json!({
            "description": "A state: an integer, or Laravel's enum object {\"name\": \"ARRIVED\", \"value\": 3} (docs' overview example). Values are open: an integer the docs do not name is kept.",
            "oneOf": [
                { "title": "state:integer", "type": "integer" },
                {
                    "title": "state:object",
                    "type": "object",
                    "required": ["name", "value"],
                    "properties": {
                        "name": { "type": "string", "pattern": NON_BLANK },
                        "value": { "type": "integer" }
                    },
                    "additionalProperties": false
                }
            ]
        }),
    );
    put(
        "date",
        json!({ "type": "string", "pattern": DATE, "description": "A calendar date YYYY-MM-DD." }),
    );
    put(
        "clockTime",
        json!({
            "description": "A clock time, with or without seconds.",
            "oneOf": [
                { "title": "time:hh:mm:ss", "type": "string", "pattern": CLOCK_HMS },
                { "title": "time:hh:mm", "type": "string", "pattern": CLOCK_HM }
            ]
        }),
    );
    put(
        "timestamp",
        json!({
            "type": "string",
            "pattern": format!("^{STAMP}{OFFSET}$"),
            "description": "ISO 8601 with a numeric offset; Chup Online writes +08:00 (Malaysia), e.g. 2024-01-18T20:44:18+08:00."
        }),
    );
    put(
        "noteTimestamp",
        json!({
            "type": ["string", "null"],
            "pattern": format!("^{STAMP}(Z|{OFFSET})$"),
            "description": "Laravel's UTC form 2024-01-18T12:44:18.000000Z (any ISO 8601 timestamp with an offset is accepted), or null."
        }),
    );
    put(
        "phone",
        json!({
            "type": ["string", "null"],
            "pattern": PHONE,
            "description": "A phone number of 8 to 15 digits with the country code and no +, e.g. 60123456789; lengths vary (docs: 10, 11, 12 digits). Or null."
        }),
    );
    put(
        "noteDate",
        json!({
            "description": "Unix seconds, or null (seen on system notes).",
            "oneOf": [
                { "title": "note-dates:unix", "type": "integer", "minimum": 0 },
                { "title": "note-dates:null", "type": "null" }
            ]
        }),
    );
    put("note", note());
    put(
        "notes",
        json!({
            "description": "The notes of a visit or a booking: an array, or a serialized Laravel collection (docs' overview example).",
            "oneOf": [
                { "title": "notes:array", "type": "array", "items": def_ref("note") },
                {
                    "title": "notes:collection",
                    "type": "object",
                    "required": ["items", "escapeWhenCastingToString"],
                    "properties": {
                        "items": { "type": "array", "items": def_ref("note") },
                        "escapeWhenCastingToString": { "type": "boolean" }
                    },
                    "additionalProperties": false
                }
            ]
        }),
    );
    put(
        "ref",
        json!({
            "description": "A service or staff member named by id and name.",
            "type": "object",
            "required": ["id", "name"],
            "properties": { "id": def_ref("id"), "name": { "type": "string" } },
            "additionalProperties": true
        }),
    );
    put("visit", visit());
    put("appointment", appointment());
    put("client", client());
    put("service", service());
    put("staff", staff());
    defs
}

fn note() -> Value {
    json!({
        "description": "One note attached to a visit or a booking. Fields beyond these are allowed and kept.",
        "type": "object",
        "required": ["id", "content", "model_type", "model_id"],
        "properties": {
            "id": def_ref("id"),
            "content": { "type": "string" },
            "user_id": def_ref("nullableId"),
            "service_id": def_ref("nullableId"),
            "client_id": def_ref("nullableId"),
            "created_date": def_ref("noteDate"),
            "updated_date": def_ref("noteDate"),
            "created_at": def_ref("noteTimestamp"),
            "updated_at": def_ref("noteTimestamp"),
            "deleted_at": def_ref("noteTimestamp"),
            "model_type": described(
                json!({ "type": "string", "pattern": NON_BLANK }),
                "The Laravel model the note belongs to: App\\Models\\Visit or App\\Models\\Booking."
            ),
            "model_id": def_ref("id")
        },
        "additionalProperties": true
    })
}

/// `if state is code then state_name is name`, for every documented code.
fn state_names(known: impl Iterator<Item = (i64, &'static str)>) -> Vec<Value> {
    known
        .map(|(code, name)| {
            json!({
                "if": {
                    "required": ["state"],
                    "properties": {
                        "state": {
                            "anyOf": [
                                { "const": code },
                                { "type": "object", "properties": { "value": { "const": code } } }
                            ]
                        }
                    }
                },
                "then": { "properties": { "state_name": { "const": name } } }
            })
        })
        .collect()
}

/// `if field is code then field_name is name`, for a plain integer field.
fn integer_names(field: &str, known: &[(i64, &'static str)]) -> Vec<Value> {
    known
        .iter()
        .map(|(code, name)| {
            json!({
                "if": { "required": [field], "properties": { field: { "const": code } } },
                "then": { "properties": { format!("{field}_name"): { "const": name } } }
            })
        })
        .collect()
}

fn known_list(known: &[(i64, &str)]) -> String {
    let parts: Vec<String> = known.iter().map(|(c, n)| format!("{c} {n}")).collect();
    parts.join(", ")
}

fn visit() -> Value {
    let known: Vec<(i64, &str)> = VisitState::KNOWN
        .iter()
        .map(|s| (s.0, s.name().expect("KNOWN values are named")))
        .collect();
    json!({
        "description": "A live-queue record: one patient's visit at one service. Fields beyond these are allowed and kept.",
        "type": "object",
        "required": [
            "id", "client_name", "state", "state_name", "service_id", "service_name",
            "notes", "created_at", "updated_at"
        ],
        "properties": {
            "id": described(def_ref("id"), "The live-queue record; a move to another service makes a new one."),
            "appointment_id": described(def_ref("nullableId"), "Set, with appointment_date and appointment_time, when the visit was made from an appointment; all three null for a walk-in."),
            "appointment_date": { "type": ["string", "null"], "pattern": DATE },
            "appointment_time": nullable("clockTime"),
            "registered_client_id": def_ref("nullableId"),
            "registered_client_name": nullable_string(),
            "registered_client_phone": def_ref("phone"),
            "client_name": { "type": "string" },
            "state": described(
                def_ref("state"),
                &format!("Documented values: {}. Other integers are kept, unnamed.", known_list(&known))
            ),
            "state_name": described(
                json!({ "type": "string" }),
                "The display name of state; for a documented value, exactly that value's name."
            ),
            "service_id": def_ref("id"),
            "service_name": { "type": "string" },
            "staff_id": def_ref("nullableId"),
            "staff_name": nullable_string(),
            "notes": def_ref("notes"),
            "created_at": def_ref("timestamp"),
            "updated_at": described(def_ref("timestamp"), "Never before created_at.")
        },
        "additionalProperties": true,
        "allOf": [
            {
                "description": "appointment_id, appointment_date and appointment_time are all null (or absent), or all set.",
                "anyOf": [
                    {
                        "title": "walk-in",
                        "properties": {
                            "appointment_id": { "type": "null" },
                            "appointment_date": { "type": "null" },
                            "appointment_time": { "type": "null" }
                        }
                    },
                    {
                        "title": "from an appointment",
                        "required": ["appointment_id", "appointment_date", "appointment_time"],
                        "properties": {
                            "appointment_id": { "not": { "type": "null" } },
                            "appointment_date": { "not": { "type": "null" } },
                            "appointment_time": { "not": { "type": "null" } }
                        }
                    }
                ]
            },
            { "description": "state_name names a documented state.", "allOf": state_names(known.into_iter()) }
        ]
    })
}

fn appointment() -> Value {
    use crate::model::{PackageType, RescheduleState, RescheduledBy};
    fn pairs<T: Copy>(
        known: &[T],
        code: fn(T) -> i64,
        name: fn(T) -> Option<&'static str>,
    ) -> Vec<(i64, &'static str)> {
        known
            .iter()
            .map(|&k| (code(k), name(k).expect("KNOWN values are named")))
            .collect()
    }
    let states = pairs(AppointmentState::KNOWN, |s| s.0, AppointmentState::name);
    let reschedule = pairs(RescheduleState::KNOWN, |s| s.0, RescheduleState::name);
    let by = pairs(RescheduledBy::KNOWN, |s| s.0, RescheduledBy::name);
    let package = pairs(PackageType::KNOWN, |s| s.0, PackageType::name);
    let mut names = state_names(states.iter().copied());
    names.extend(integer_names("reschedule_state", &reschedule));
    names.extend(integer_names("rescheduled_by", &by));
    names.extend(integer_names("package_type", &package));
    let open = |known: &[(i64, &str)]| {
        format!(
            "Documented values: {}. Other integers are kept, unnamed.",
            known_list(known)
        )
    };
    json!({
        "description": "An appointment (booking). A reschedule keeps the old date and time in original_date and original_time. Fields beyond these are allowed and kept.",
        "type": "object",
        "required": [
            "id", "date", "time", "original_date", "original_time",
            "reschedule_state", "reschedule_state_name", "rescheduled_by", "rescheduled_by_name",
            "client_name", "state", "state_name", "package_type", "package_type_name",
            "service_id", "service_name", "notes", "created_at", "updated_at"
        ],
        "properties": {
            "id": def_ref("id"),
            "date": def_ref("date"),
            "time": def_ref("clockTime"),
            "original_date": described(def_ref("date"), "Equals date unless the appointment was rescheduled."),
            "original_time": described(def_ref("clockTime"), "Equals time unless the appointment was rescheduled."),
            "reschedule_state": described(json!({ "type": "integer" }), &open(&reschedule)),
            "reschedule_state_name": { "type": "string" },
            "rescheduled_by": described(json!({ "type": "integer" }), &open(&by)),
            "rescheduled_by_name": { "type": "string" },
            "duration": described(
                json!({ "type": ["integer", "null"], "exclusiveMinimum": 0 }),
                "Minutes, or null."
            ),
            "registered_client_id": def_ref("nullableId"),
            "registered_client_name": nullable_string(),
            "registered_client_phone": def_ref("phone"),
            "client_name": { "type": "string" },
            "client_phone": def_ref("phone"),
            "client_email": nullable_string(),
            "state": described(def_ref("state"), &open(&states)),
            "state_name": described(
                json!({ "type": "string" }),
                "The display name of state; for a documented value, exactly that value's name."
            ),
            "package_type": described(json!({ "type": "integer" }), &open(&package)),
            "package_type_name": { "type": "string" },
            "admin_remarks": nullable_string(),
            "addons": { "description": "Always null in the docs; its shape is unknown, so any JSON value is accepted." },
            "scheduled_by_staff_id": def_ref("nullableId"),
            "scheduled_by_staff_name": nullable_string(),
            "service_id": def_ref("id"),
            "service_name": { "type": "string" },
            "staff_id": def_ref("nullableId"),
            "staff_name": nullable_string(),
            "notes": def_ref("notes"),
            "created_at": def_ref("timestamp"),
            "updated_at": described(def_ref("timestamp"), "Never before created_at.")
        },
        "additionalProperties": true,
        "allOf": [
            { "description": "Each *_name names its documented value.", "allOf": names }
        ]
    })
}

const ASSUMED_RECORD: &str = "ASSUMED SHAPE: the Chup Online docs show no example of this record; chup-harness assumes it from fields the documented examples show.";

fn client() -> Value {
    json!({
        "description": format!("A clinic's client (patient). {ASSUMED_RECORD} Fields beyond these are allowed and kept."),
        "x-chup-assumed": true,
        "type": "object",
        "required": ["id", "name", "created_at", "updated_at"],
        "properties": {
            "id": def_ref("id"),
            "name": { "type": "string" },
            "phone": def_ref("phone"),
            "email": nullable_string(),
            "created_at": def_ref("timestamp"),
            "updated_at": described(def_ref("timestamp"), "Never before created_at.")
        },
        "additionalProperties": true
    })
}

fn service() -> Value {
    json!({
        "description": format!("A clinic service (Registration, Pharmacy, ...). {ASSUMED_RECORD} Fields beyond these are allowed and kept."),
        "x-chup-assumed": true,
        "type": "object",
        "required": ["id", "name", "staffs", "created_at", "updated_at"],
        "properties": {
            "id": def_ref("id"),
            "name": { "type": "string" },
            "staffs": described(
                json!({ "type": "array", "items": def_ref("ref") }),
                "The staff who serve it (what service_staffs_updated changes)."
            ),
            "created_at": def_ref("timestamp"),
            "updated_at": described(def_ref("timestamp"), "Never before created_at.")
        },
        "additionalProperties": true
    })
}

fn staff() -> Value {
    json!({
        "description": format!("A staff member. {ASSUMED_RECORD} Fields beyond these are allowed and kept."),
        "x-chup-assumed": true,
        "type": "object",
        "required": ["id", "name", "services", "created_at", "updated_at"],
        "properties": {
            "id": def_ref("id"),
            "name": { "type": "string" },
            "services": described(
                json!({ "type": "array", "items": def_ref("ref") }),
                "The services they serve (what staff_services_updated changes)."
            ),
            "created_at": def_ref("timestamp"),
            "updated_at": described(def_ref("timestamp"), "Never before created_at.")
        },
        "additionalProperties": true
    })
}

/// What an event means, in one sentence.
fn meaning(event: EventName) -> &'static str {
    use EventName::*;
    match event {
        AppointmentCreated => "An appointment was booked.",
        AppointmentUpdated => "An appointment changed, e.g. a reschedule (new date and time, the old ones in original_date and original_time).",
        AppointmentDeleted => "An appointment was deleted; data is the appointment as it last stood.",
        LiveQueueCreated => "A patient joined a service's live queue (state 1 In Queue), also when moved to another service (a new id there).",
        LiveQueueUpdated => "A visit changed state (Alerted, Arrived, Serving, Served, Cancelled, No Show).",
        LiveQueueDeleted => "A visit was deleted; data is the visit as it last stood.",
        ClientCreated => "A client (patient) was created.",
        ClientUpdated => "A client (patient) changed.",
        ClientDeleted => "A client (patient) was deleted; data is the client as it last stood.",
        ServiceCreated => "A service was created.",
        ServiceUpdated => "A service changed.",
        ServiceStaffsUpdated => "The staff who serve a service changed; data is the service with its new staffs.",
        ServiceDeleted => "A service was deleted; data is the service as it last stood.",
        StaffCreated => "A staff member was created.",
        StaffUpdated => "A staff member changed.",
        StaffServicesUpdated => "The services a staff member serves changed; data is the staff member with their new services.",
        StaffDeleted => "A staff member was deleted; data is the staff member as they last stood.",
    }
}

/// The description of an event's payload, saying whether it is assumed.
pub fn payload_description(event: EventName) -> String {
    if event.is_documented() {
        format!(
            "{} Documented: the Chup Online docs give example payloads of this event.",
            meaning(event)
        )
    } else {
        format!(
            "{} ASSUMED: the Chup Online docs name this event but give no example payload; this shape (the {} record in data) is a decision of chup-harness and may differ from what Chup Online sends.",
            meaning(event),
            record_def_name(event.record())
        )
    }
}

/// One event's payload, referring to the shared parts under `$defs`.
pub fn payload(event: EventName) -> Value {
    json!({
        "title": format!("{event} payload"),
        "description": payload_description(event),
        "x-chup-assumed": !event.is_documented(),
        "type": "object",
        "required": ["event", "timestamp", "data"],
        "properties": {
            "event": { "const": event.as_str() },
            "timestamp": described(def_ref("timestamp"), "When Chup Online sent the event."),
            "data": def_ref(record_def_name(event.record()))
        },
        "additionalProperties": true
    })
}
