//! The optional state probe (SPEC section 5): `GET` on a URL template with
//! `{kind}` (`visits` or `appointments`) and `{id}`; 200 with JSON holding
//! at least `"state": <integer>` for a known record, 404 for an unknown or
//! deleted one. A template without `{kind}` serves visits only.

use crate::model::RecordKind;
use crate::transport::{redact_url_text, Delivery, Transport};
use serde_json::Value;

/// What the probe says of one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    /// 200 with this JSON.
    Found(Value),
    /// 404.
    Missing,
    /// The template cannot name this kind of record, or there is no probe.
    Unobservable,
    /// Anything else: the probe itself misbehaved.
    Broken(String),
}

impl Seen {
    /// The `state` integer of a found record (the object form is read too).
    pub fn state(&self) -> Option<i64> {
        match self {
            Seen::Found(v) => match &v["state"] {
                Value::Number(n) => n.as_i64(),
                Value::Object(o) => o.get("value").and_then(Value::as_i64),
                Value::String(s) => s.parse().ok(),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Seen::Found(v) => match self.state() {
                Some(s) => format!("state {s}"),
                None => format!(
                    "a record without an integer \"state\": {}",
                    truncate(&v.to_string(), 200)
                ),
            },
            Seen::Missing => "404 (no such record)".to_owned(),
            Seen::Unobservable => "not observable".to_owned(),
            Seen::Broken(e) => format!("probe error: {e}"),
        }
    }
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

/// A state probe bound to a template.
#[derive(Clone, Debug)]
pub struct Probe {
    template: String,
    transport: Transport,
}

impl Probe {
    /// Checks the template names `{id}` and yields a URL once substituted.
    pub fn new(template: &str, transport: Transport) -> Result<Probe, String> {
        let shown = redact_url_text(template);
        if !template.contains("{id}") {
            return Err(format!(
                "--state-url {shown} has no {{id}} placeholder: write e.g. http://his.local/chup/{{kind}}/{{id}}"
            ));
        }
        let sample = template.replace("{kind}", "visits").replace("{id}", "1");
        match reqwest::Url::parse(&sample) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            Ok(_) => return Err(format!("--state-url {shown} must use http or https")),
            Err(e) => return Err(format!("--state-url {shown} is not a URL template: {e}")),
        }
        Ok(Probe {
            template: template.to_owned(),
            // A probe answer holds whole records, hostile 256 KiB notes included.
            transport: transport.with_body_cap(8 * 1024 * 1024),
        })
    }

    pub fn shown(&self) -> String {
        redact_url_text(&self.template)
    }

    pub async fn read(&self, kind: RecordKind, id: u64) -> Seen {
        self.read_with(kind, id).await.0
    }

    /// As [`Probe::read`], with the exchange when one was made (for the
    /// runner's circuit breaker).
    pub(crate) async fn read_with(&self, kind: RecordKind, id: u64) -> (Seen, Option<Delivery>) {
        let kind_text = match kind {
            RecordKind::Visit => "visits",
            RecordKind::Appointment => "appointments",
            _ => return (Seen::Unobservable, None),
        };
        if !self.template.contains("{kind}") && kind != RecordKind::Visit {
            return (Seen::Unobservable, None);
        }
        let url = self
            .template
            .replace("{kind}", kind_text)
            .replace("{id}", &id.to_string());
        let Ok(url) = reqwest::Url::parse(&url) else {
            return (
                Seen::Broken("the substituted state URL does not parse".to_owned()),
                None,
            );
        };
        let d = self.transport.get(&url).await;
        let seen = match (d.status(), &d.answer) {
            (Some(200), Some(a)) => match serde_json::from_slice::<Value>(&a.body) {
                Ok(v) => Seen::Found(v),
                Err(e) => Seen::Broken(format!("200 with a body that is not JSON ({e})")),
            },
            (Some(404), _) => Seen::Missing,
            (Some(s), _) => Seen::Broken(format!("answered {s}")),
            (None, _) => Seen::Broken(d.summary()),
        };
        (seen, Some(d))
    }
}
