//! Field types that carry a dialect: each remembers the form the sender used
//! (number or string id, integer or object state, array or Laravel collection
//! of notes) and writes it back in that same form, so parsing and serializing
//! a payload yields the same JSON value.

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A record id: a JSON number, or the same number written as a string
/// (`"service_id": "254"`, seen in the Move example).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    Num(u64),
    Text(String),
}

impl Id {
    /// The numeric value, whichever form it was written in; `None` for a
    /// string that is not a number.
    pub fn value(&self) -> Option<u64> {
        match self {
            Id::Num(n) => Some(*n),
            Id::Text(t) => t.parse().ok(),
        }
    }

    pub fn is_text(&self) -> bool {
        matches!(self, Id::Text(_))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Num(n) => write!(f, "{n}"),
            Id::Text(t) => f.write_str(t),
        }
    }
}

impl From<u64> for Id {
    fn from(n: u64) -> Self {
        Id::Num(n)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Id::Num(n) => s.serialize_u64(*n),
            Id::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id (a non-negative integer, or one written as a string)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                u64::try_from(v)
                    .map(Id::Num)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id::Text(v.to_owned()))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

/// A `state` field: an integer, or Laravel's enum object
/// `{"name": "ARRIVED", "value": 3}` (seen in the overview example).
/// The value is open: any integer is kept, named or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateField {
    Code(i64),
    Object { name: String, value: i64 },
}

impl StateField {
    pub fn code(&self) -> i64 {
        match self {
            StateField::Code(c) => *c,
            StateField::Object { value, .. } => *value,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, StateField::Object { .. })
    }
}

impl Serialize for StateField {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match self {
            StateField::Code(c) => s.serialize_i64(*c),
            StateField::Object { name, value } => {
                let mut st = s.serialize_struct("State", 2)?;
                st.serialize_field("name", name)?;
                st.serialize_field("value", value)?;
                st.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for StateField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StateVisitor;
        impl<'de> Visitor<'de> for StateVisitor {
            type Value = StateField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a state: an integer or an object {\"name\": ..., \"value\": <integer>}",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StateField, E> {
                Ok(StateField::Code(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StateField, E> {
                i64::try_from(v)
                    .map(StateField::Code)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StateField, A::Error> {
                let (mut name, mut value) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => name = Some(map.next_value::<String>()?),
                        "value" => value = Some(map.next_value::<i64>()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["name", "value"]));
                        }
                    }
                }
                Ok(StateField::Object {
                    name: name.ok_or_else(|| de::Error::missing_field("name"))?,
                    value: value.ok_or_else(|| de::Error::missing_field("value"))?,
                })
            }
        }
        d.deserialize_any(StateVisitor)
    }
}

/// One note attached to a visit or a booking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: Id,
    pub content: String,
    pub user_id: Option<Id>,
    pub service_id: Option<Id>,
    pub client_id: Option<Id>,
    /// Unix seconds, or `null` (seen on system notes).
    pub created_date: Option<i64>,
    pub updated_date: Option<i64>,
    /// Laravel UTC form, `2024-01-18T12:44:18.000000Z`.
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
    /// `App\Models\Visit` or `App\Models\Booking`.
    pub model_type: String,
    pub model_id: Id,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A `notes` field: a JSON array, or a serialized Laravel collection
/// `{"items": [...], "escapeWhenCastingToString": false}` (overview example).
#[derive(Clone, Debug, PartialEq)]
pub enum Notes {
    List(Vec<Note>),
    Collection {
        items: Vec<Note>,
        escape_when_casting_to_string: bool,
    },
}

impl Notes {
    pub fn items(&self) -> &[Note] {
        match self {
            Notes::List(items) | Notes::Collection { items, .. } => items,
        }
    }

    pub fn items_mut(&mut self) -> &mut Vec<Note> {
        match self {
            Notes::List(items) | Notes::Collection { items, .. } => items,
        }
    }

    pub fn is_collection(&self) -> bool {
        matches!(self, Notes::Collection { .. })
    }
}

impl Default for Notes {
    fn default() -> Self {
        Notes::List(Vec::new())
    }
}

const ESCAPE_KEY: &str = "escapeWhenCastingToString";

impl Serialize for Notes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match self {
            Notes::List(items) => items.serialize(s),
            Notes::Collection {
                items,
                escape_when_casting_to_string,
            } => {
                let mut st = s.serialize_struct("Collection", 2)?;
                st.serialize_field("items", items)?;
                st.serialize_field(ESCAPE_KEY, escape_when_casting_to_string)?;
                st.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Notes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NotesVisitor;
        impl<'de> Visitor<'de> for NotesVisitor {
            type Value = Notes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("notes: an array, or an object {\"items\": [...], \"escapeWhenCastingToString\": <bool>}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Notes, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(note) = seq.next_element::<Note>()? {
                    items.push(note);
                }
                Ok(Notes::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Notes, A::Error> {
                let (mut items, mut escape) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "items" => items = Some(map.next_value::<Vec<Note>>()?),
                        ESCAPE_KEY => escape = Some(map.next_value::<bool>()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["items", ESCAPE_KEY]))
                        }
                    }
                }
                Ok(Notes::Collection {
                    items: items.ok_or_else(|| de::Error::missing_field("items"))?,
                    escape_when_casting_to_string: escape
                        .ok_or_else(|| de::Error::missing_field(ESCAPE_KEY))?,
                })
            }
        }
        d.deserialize_any(NotesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de>>(
        v: serde_json::Value,
    ) -> serde_json::Value {
        let t: T = serde_json::from_value(v).expect("parses");
        serde_json::to_value(&t).expect("serializes")
    }

    #[test]
    fn keeps_the_form_of_ids_states_and_notes() {
        for v in [json!(254), json!("254"), json!("abc")] {
            assert_eq!(round_trip::<Id>(v.clone()), v);
        }
        for v in [json!(3), json!({"name": "ARRIVED", "value": 3}), json!(99)] {
            assert_eq!(round_trip::<StateField>(v.clone()), v);
        }
        for v in [
            json!([]),
            json!({"items": [], "escapeWhenCastingToString": false}),
        ] {
            assert_eq!(round_trip::<Notes>(v.clone()), v);
        }
    }

    #[test]
    fn rejects_a_negative_id_and_a_state_without_value() {
        assert!(serde_json::from_value::<Id>(json!(-1)).is_err());
        assert!(serde_json::from_value::<Id>(json!(1.5)).is_err());
        assert!(serde_json::from_value::<StateField>(json!({"name": "X"})).is_err());
        assert!(serde_json::from_value::<Notes>(json!({"items": []})).is_err());
    }
}
