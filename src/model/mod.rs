//! The typed Chup Online event model.
//!
//! `Payload` is the signed part of a webhook body. Parsing is tolerant of
//! every dialect the real sender emits and preserves it: `parse` then
//! `serde_json::to_value` gives back the same JSON value. Whether a payload
//! keeps the model's invariants is a separate question, answered by
//! [`violations`] as data, never as a parse error. Enumerated values stay
//! open: an unnamed state is kept with whatever name it came with.
//!
//! This module does no I/O and knows nothing of signatures or transport.

mod dialect;
mod event;
mod fields;
mod invariants;
mod records;
mod restyle;
pub mod time;
mod vocab;

pub use dialect::{dialects, Dialect};
pub use event::{EventName, Payload, Record, RecordKind};
pub use fields::{Id, Note, Notes, StateField};
pub use invariants::{violations, Violation};
pub use records::{Appointment, Client, Ref, Service, Staff, Visit};
pub use restyle::{apply as apply_restyle, restyle, DialectMode, Restyle};
pub use vocab::{AppointmentState, PackageType, RescheduleState, RescheduledBy, VisitState};

use serde_json::{Map, Value};

/// Why a document is not a payload the model can hold.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("not JSON: {message} at line {line} column {column}")]
    Json {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("{path}: {message}")]
    Field { path: String, message: String },
}

impl ParseError {
    fn field(path: impl Into<String>, message: impl Into<String>) -> ParseError {
        ParseError::Field {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn from_json(e: &serde_json::Error) -> ParseError {
        let text = e.to_string();
        let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
        ParseError::Json {
            message,
            line: e.line(),
            column: e.column(),
        }
    }
}

/// Parses a bare payload from its JSON text.
pub fn parse_payload_slice(bytes: &[u8]) -> Result<Payload, ParseError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ParseError::from_json(&e))?;
    parse_payload(value, "payload")
}

/// Builds a payload from a JSON value; `at` names the value in errors
/// (`payload` for the payload of a body).
pub fn parse_payload(value: Value, at: &str) -> Result<Payload, ParseError> {
    let Value::Object(mut map) = value else {
        return Err(ParseError::field(
            at,
            "expected an object with event, timestamp and data",
        ));
    };
    let event = take_string(&mut map, at, "event")?;
    let timestamp = take_string(&mut map, at, "timestamp")?;
    let data = map
        .remove("data")
        .ok_or_else(|| ParseError::field(format!("{at}.data"), "missing"))?;
    let data_at = format!("{at}.data");
    let data = match EventName::parse(&event).map(EventName::record) {
        Some(RecordKind::Visit) => Record::Visit(typed(data, &data_at)?),
        Some(RecordKind::Appointment) => Record::Appointment(typed(data, &data_at)?),
        Some(RecordKind::Client) => Record::Client(typed(data, &data_at)?),
        Some(RecordKind::Service) => Record::Service(typed(data, &data_at)?),
        Some(RecordKind::Staff) => Record::Staff(typed(data, &data_at)?),
        None => Record::Unknown(data),
    };
    Ok(Payload {
        event,
        timestamp,
        data,
        extra: map,
    })
}

fn take_string(map: &mut Map<String, Value>, at: &str, key: &str) -> Result<String, ParseError> {
    match map.remove(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(ParseError::field(
            format!("{at}.{key}"),
            format!("expected a string, found {}", kind_of(&other)),
        )),
        None => Err(ParseError::field(format!("{at}.{key}"), "missing")),
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn typed<T: serde::de::DeserializeOwned>(value: Value, at: &str) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            at.to_owned()
        } else {
            format!("{at}.{inner}")
        };
        ParseError::field(path, e.into_inner().to_string())
    })
}

/// A document handed to the harness: a full webhook body, or a bare payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub payload: Payload,
    /// The body's `signature` field; `None` for a bare payload.
    pub signature: Option<Value>,
    pub is_body: bool,
}

/// Parses a body (`{"payload": ..., "signature": ...}`) or a bare payload.
pub fn parse_document(bytes: &[u8]) -> Result<Document, ParseError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ParseError::from_json(&e))?;
    parse_document_value(value)
}

/// As [`parse_document`], from an already parsed value.
pub fn parse_document_value(value: Value) -> Result<Document, ParseError> {
    match value {
        Value::Object(mut map) if map.contains_key("payload") => {
            let payload = map.remove("payload").unwrap_or(Value::Null);
            Ok(Document {
                payload: parse_payload(payload, "payload")?,
                signature: map.remove("signature"),
                is_body: true,
            })
        }
        Value::Object(map) if map.contains_key("event") => Ok(Document {
            payload: parse_payload(Value::Object(map), "payload")?,
            signature: None,
            is_body: false,
        }),
        Value::Object(_) => Err(ParseError::field(
            "(top level)",
            "neither a body (no \"payload\" key) nor a bare payload (no \"event\" key)",
        )),
        other => Err(ParseError::field(
            "(top level)",
            format!("expected a JSON object, found {}", kind_of(&other)),
        )),
    }
}
