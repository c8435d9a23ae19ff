//! Which of the sender's dialects (SPEC section 3) a payload uses.
//! Detection reads the typed model, so it sees exactly what parsing kept.

use super::{Id, Note, Notes, Payload, Record, StateField};
use std::collections::BTreeSet;
use std::fmt;

/// One form among the alternatives the real sender is seen to emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    StateInteger,
    StateObject,
    NotesArray,
    NotesCollection,
    IdsNumber,
    /// At least one id written as a string.
    IdsString,
    TimeWithSeconds,
    TimeWithoutSeconds,
    NoteDatesUnix,
    NoteDatesNull,
    /// A phone number of this many digits.
    PhoneDigits(u8),
    NonAsciiText,
}

impl Dialect {
    /// Every dialect a generator in `mixed` mode must produce.
    pub const GENERATED: [Dialect; 14] = [
        Dialect::StateInteger,
        Dialect::StateObject,
        Dialect::NotesArray,
        Dialect::NotesCollection,
        Dialect::IdsNumber,
        Dialect::IdsString,
        Dialect::TimeWithSeconds,
        Dialect::TimeWithoutSeconds,
        Dialect::NoteDatesUnix,
        Dialect::NoteDatesNull,
        Dialect::PhoneDigits(10),
        Dialect::PhoneDigits(11),
        Dialect::PhoneDigits(12),
        Dialect::NonAsciiText,
    ];
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dialect::StateInteger => f.write_str("state:integer"),
            Dialect::StateObject => f.write_str("state:object"),
            Dialect::NotesArray => f.write_str("notes:array"),
            Dialect::NotesCollection => f.write_str("notes:collection"),
            Dialect::IdsNumber => f.write_str("ids:number"),
            Dialect::IdsString => f.write_str("ids:string"),
            Dialect::TimeWithSeconds => f.write_str("time:hh:mm:ss"),
            Dialect::TimeWithoutSeconds => f.write_str("time:hh:mm"),
            Dialect::NoteDatesUnix => f.write_str("note-dates:unix"),
            Dialect::NoteDatesNull => f.write_str("note-dates:null"),
            Dialect::PhoneDigits(n) => write!(f, "phone:{n}-digits"),
            Dialect::NonAsciiText => f.write_str("text:non-ascii"),
        }
    }
}

struct Seen(BTreeSet<Dialect>);

impl Seen {
    fn state(&mut self, s: &StateField) {
        self.0.insert(if s.is_object() {
            Dialect::StateObject
        } else {
            Dialect::StateInteger
        });
    }
    fn id(&mut self, id: &Id) {
        self.0.insert(if id.is_text() {
            Dialect::IdsString
        } else {
            Dialect::IdsNumber
        });
    }
    fn opt_id(&mut self, id: &Option<Id>) {
        if let Some(id) = id {
            self.id(id);
        }
    }
    fn time(&mut self, t: &str) {
        self.0.insert(if t.len() == 5 {
            Dialect::TimeWithoutSeconds
        } else {
            Dialect::TimeWithSeconds
        });
    }
    fn phone(&mut self, p: &Option<String>) {
        if let Some(p) = p {
            self.0.insert(Dialect::PhoneDigits(p.len().min(255) as u8));
        }
    }
    fn text(&mut self, s: &str) {
        if !s.is_ascii() {
            self.0.insert(Dialect::NonAsciiText);
        }
    }
    fn opt_text(&mut self, s: &Option<String>) {
        if let Some(s) = s {
            self.text(s);
        }
    }
    fn notes(&mut self, n: &Notes) {
        self.0.insert(if n.is_collection() {
            Dialect::NotesCollection
        } else {
            Dialect::NotesArray
        });
        n.items().iter().for_each(|note| self.note(note));
    }
    fn note(&mut self, n: &Note) {
        self.id(&n.id);
        self.opt_id(&n.user_id);
        self.opt_id(&n.service_id);
        self.opt_id(&n.client_id);
        self.id(&n.model_id);
        self.text(&n.content);
        for d in [n.created_date, n.updated_date] {
            self.0.insert(if d.is_some() {
                Dialect::NoteDatesUnix
            } else {
                Dialect::NoteDatesNull
            });
        }
    }
}

/// The dialects a payload uses, each axis that applies reported once per form seen.
pub fn dialects(p: &Payload) -> BTreeSet<Dialect> {
    let mut s = Seen(BTreeSet::new());
    match &p.data {
        Record::Visit(v) => {
            s.id(&v.id);
            s.opt_id(&v.appointment_id);
            s.opt_id(&v.registered_client_id);
            s.id(&v.service_id);
            s.opt_id(&v.staff_id);
            s.state(&v.state);
            if let Some(t) = &v.appointment_time {
                s.time(t);
            }
            s.phone(&v.registered_client_phone);
            s.text(&v.client_name);
            s.opt_text(&v.registered_client_name);
            s.text(&v.service_name);
            s.opt_text(&v.staff_name);
            s.notes(&v.notes);
        }
        Record::Appointment(a) => {
            s.id(&a.id);
            s.opt_id(&a.registered_client_id);
            s.id(&a.service_id);
            s.opt_id(&a.staff_id);
            s.opt_id(&a.scheduled_by_staff_id);
            s.state(&a.state);
            s.time(&a.time);
            s.time(&a.original_time);
            s.phone(&a.registered_client_phone);
            s.phone(&a.client_phone);
            s.text(&a.client_name);
            s.opt_text(&a.registered_client_name);
            s.text(&a.service_name);
            s.opt_text(&a.staff_name);
            s.opt_text(&a.admin_remarks);
            s.notes(&a.notes);
        }
        Record::Client(c) => {
            s.id(&c.id);
            s.text(&c.name);
            s.phone(&c.phone);
        }
        Record::Service(r) => {
            s.id(&r.id);
            s.text(&r.name);
            for x in &r.staffs {
                s.id(&x.id);
                s.text(&x.name);
            }
        }
        Record::Staff(r) => {
            s.id(&r.id);
            s.text(&r.name);
            for x in &r.services {
                s.id(&x.id);
                s.text(&x.name);
            }
        }
        Record::Unknown(_) => {}
    }
    s.0
}
