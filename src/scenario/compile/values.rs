//! What a step writes besides its action's records: dates and times,
//! event steps and literal records, `[step.set]` overrides with their
//! `${...}` placeholders, expectations, durations.

use super::{present, Compiler, Kind};
use crate::model::time::{format_myt, format_myt_date, parse_clock, parse_date};
use crate::model::{self, EventName, ParseError, Payload, RecordKind};
use crate::scenario::format::RawStep;
use crate::scenario::path::{self, Seg};
use crate::scenario::{LoadError, RedactPath, StepExpect};
use serde_json::{json, Map, Value};
use std::ops::Range;
use toml::Spanned;

/// Relative appointment times are rounded up to the next slot of this size.
const SLOT_SECS: i64 = 10 * 60;

impl Compiler<'_> {
    /// The date and time of a booking or reschedule. `current` is the
    /// appointment's when rescheduling, kept for whichever is not given.
    pub(super) fn when(
        &mut self,
        step: &RawStep,
        current: Option<(String, String)>,
    ) -> Result<(String, String), LoadError> {
        let now = self.clinic.now();
        let (time, relative_date) = match &step.time {
            Some(t) => {
                let text = t.get_ref();
                if let Some(rel) = text.strip_prefix('+') {
                    let secs = parse_duration(rel).map_err(|m| self.err(t.span(), m))?;
                    let at = (now + secs as i64 + SLOT_SECS - 1).div_euclid(SLOT_SECS) * SLOT_SECS;
                    (format_myt(at)[11..19].to_owned(), Some(format_myt_date(at)))
                } else if parse_clock(text).is_some() {
                    (text.clone(), None)
                } else {
                    return Err(self.err(
                        t.span(),
                        format!(
                            "{text:?} is not a time (write \"HH:MM\", \"HH:MM:SS\" or \"+30m\")"
                        ),
                    ));
                }
            }
            None => match &current {
                Some((_, t)) => (t.clone(), None),
                None => {
                    let at = (now + 30 * 60 + SLOT_SECS - 1).div_euclid(SLOT_SECS) * SLOT_SECS;
                    (format_myt(at)[11..19].to_owned(), Some(format_myt_date(at)))
                }
            },
        };
        let date = match &step.date {
            Some(d) => {
                let text = d.get_ref();
                if text == "today" {
                    format_myt_date(now)
                } else if let Some(rel) = text.strip_prefix('+') {
                    let secs = parse_duration(rel).map_err(|m| self.err(d.span(), m))?;
                    format_myt_date(now + secs as i64)
                } else if parse_date(text).is_some() {
                    text.clone()
                } else {
                    return Err(self.err(
                        d.span(),
                        format!(
                            "{text:?} is not a date (write \"YYYY-MM-DD\", \"today\" or \"+1d\")"
                        ),
                    ));
                }
            }
            None => match (relative_date, current) {
                (Some(d), _) => d,
                (None, Some((d, _))) => d,
                (None, None) => format_myt_date(now),
            },
        };
        Ok((date, time))
    }

    pub(super) fn event(&mut self, step: &RawStep) -> Result<Payload, LoadError> {
        let (name, event) = match (&step.event, &step.unknown_event) {
            (Some(e), None) => match EventName::parse(e.get_ref()) {
                Some(ev) => (e.get_ref().clone(), Some(ev)),
                None => {
                    let known: Vec<&str> = EventName::ALL.iter().map(|e| e.as_str()).collect();
                    return Err(self.err(
                        e.span(),
                        format!(
                            "unknown event {:?} (known: {}; an event outside the catalogue is written unknown_event = \"...\")",
                            e.get_ref(),
                            known.join(", ")
                        ),
                    ));
                }
            },
            (None, Some(u)) => {
                if EventName::parse(u.get_ref()).is_some() {
                    return Err(self.err(
                        u.span(),
                        format!(
                            "{:?} is in the catalogue: write event = {:?}",
                            u.get_ref(),
                            u.get_ref()
                        ),
                    ));
                }
                (u.get_ref().clone(), None)
            }
            (Some(_), Some(u)) => {
                return Err(self.err(u.span(), "give either event or unknown_event, not both"))
            }
            (None, None) => return Err(self.err(
                step.action.span(),
                "event needs event = \"<catalogue name>\" (or unknown_event = \"...\" with data)",
            )),
        };
        let sources: Vec<(&str, Range<usize>)> = present(step)
            .into_iter()
            .filter(|(arg, _)| !matches!(*arg, "event" | "unknown_event"))
            .collect();
        let (source, span) = match sources.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(self.err(
                    step.action.span(),
                    "event needs one source: visit, appointment, patient, service, staff or a data table",
                ))
            }
            [_, (second, span), ..] => {
                return Err(self.err(
                    span.clone(),
                    format!("event takes one source; {second:?} is a second one"),
                ))
            }
        };
        let Some(event) = event else {
            if source != "data" {
                return Err(self.err(span, "an unknown event carries only a literal data table"));
            }
            return self.literal(&name, step);
        };
        let wanted = match event.record() {
            RecordKind::Visit => "visit",
            RecordKind::Appointment => "appointment",
            RecordKind::Client => "patient",
            RecordKind::Service => "service",
            RecordKind::Staff => "staff",
        };
        if source != "data" && source != wanted {
            return Err(self.err(
                span,
                format!("{name} carries a {wanted} record: name it with {wanted} = \"...\" (or give data), not {source}"),
            ));
        }
        let text = |f: &Option<Spanned<String>>| {
            f.as_ref().map(|s| s.get_ref().clone()).unwrap_or_default()
        };
        let result = match source {
            "visit" => {
                let (id, _) = self.existing(Kind::Visit, &step.visit, step)?;
                self.clinic.visit_event(id, event)
            }
            "appointment" => {
                let (id, _) = self.existing(Kind::Appointment, &step.appointment, step)?;
                self.clinic.appointment_event(id, event)
            }
            "patient" => {
                let (id, _) = self.existing(Kind::Patient, &step.patient, step)?;
                self.clinic.client_event(id, event)
            }
            "service" => self.clinic.service_event(&text(&step.service), event),
            "staff" => self.clinic.staff_event(&text(&step.staff), event),
            _ => return self.literal(&name, step),
        };
        result.map_err(|e| self.clinic_err(span, e))
    }

    /// A payload from a literal `data` table. Its timestamp is the table's
    /// `updated_at` when it has one, else the clinic's clock.
    fn literal(&mut self, event: &str, step: &RawStep) -> Result<Payload, LoadError> {
        let data = step.data.as_ref().expect("the caller saw a data source");
        let now = self.clinic.tick_for_literal();
        let value = self.json_from_toml(data.get_ref(), data.span())?;
        let timestamp = value
            .get("updated_at")
            .and_then(Value::as_str)
            .map_or_else(|| format_myt(now), str::to_owned);
        let payload = json!({"event": event, "timestamp": timestamp, "data": value});
        model::parse_payload(payload, "payload")
            .map_err(|e| self.err(data.span(), format!("data is not a {event} record: {e}")))
    }

    /// Applies `[step.set]` to the payload's JSON and reads it back through
    /// the model, so a value of the wrong type is caught here.
    pub(super) fn overrides(
        &mut self,
        payload: Payload,
        step: &RawStep,
    ) -> Result<Payload, LoadError> {
        let mut value =
            serde_json::to_value(&payload).expect("a payload is plain JSON and serializes");
        let mut applied: Vec<(String, Range<usize>)> = Vec::new();
        for (key, new) in &step.set {
            let segs = path::parse_field_path(key.get_ref())
                .map_err(|m| self.err(key.span(), format!("bad path {:?}: {m}", key.get_ref())))?;
            let new_value = self.json_from_toml(new.get_ref(), new.span())?;
            path::set(&mut value, &segs, new_value).map_err(|m| {
                self.err(key.span(), format!("cannot set {:?}: {m}", key.get_ref()))
            })?;
            applied.push((format!("payload.{}", path::show(&segs)), new.span()));
        }
        model::parse_payload(value, "payload").map_err(|e| {
            let at = match &e {
                ParseError::Field { path, .. } => path.as_str(),
                ParseError::Json { .. } => "",
            };
            // Blame the override that wrote the field at fault (or its parent).
            let blamed = applied
                .iter()
                .filter(|(p, _)| {
                    at.strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
                })
                .max_by_key(|(p, _)| p.len())
                .or(applied.first())
                .map(|(_, span)| span.clone())
                .unwrap_or(step.action.span());
            self.err(blamed, format!("override makes an invalid payload: {e}"))
        })
    }

    pub(super) fn expect(&self, step: &RawStep) -> Result<StepExpect, LoadError> {
        let Some(e) = &step.expect else {
            return Ok(StepExpect::default());
        };
        let mut redact = Vec::new();
        for r in e.redact.iter().flatten() {
            redact.push(RedactPath::parse(r.get_ref()).map_err(|m| {
                self.err(
                    r.span(),
                    format!("bad redaction path {:?}: {m}", r.get_ref()),
                )
            })?);
        }
        Ok(StepExpect {
            status: e.status.clone().unwrap_or_default(),
            snapshot: e.snapshot.unwrap_or(true),
            redact,
        })
    }

    /// TOML to JSON, expanding `${...}` placeholders in strings.
    fn json_from_toml(&mut self, v: &toml::Value, span: Range<usize>) -> Result<Value, LoadError> {
        Ok(match v {
            toml::Value::String(s) => self.interpolate(s, &span)?,
            toml::Value::Integer(i) => Value::from(*i),
            toml::Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .ok_or_else(|| self.err(span.clone(), format!("{f} is not a JSON number")))?,
            toml::Value::Boolean(b) => Value::Bool(*b),
            toml::Value::Datetime(d) => Value::String(d.to_string()),
            toml::Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|x| self.json_from_toml(x, span.clone()))
                    .collect::<Result<_, _>>()?,
            ),
            toml::Value::Table(t) => {
                let mut m = Map::new();
                for (k, x) in t {
                    m.insert(k.clone(), self.json_from_toml(x, span.clone())?);
                }
                Value::Object(m)
            }
        })
    }

    /// A string that is one placeholder becomes its value, type and all; a
    /// longer string gets each placeholder's text spliced in. `$${` is a
    /// literal `${`.
    fn interpolate(&mut self, s: &str, span: &Range<usize>) -> Result<Value, LoadError> {
        if let Some(inner) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            if !inner.contains(['{', '}']) {
                return self.placeholder(inner, span);
            }
        }
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(r) = tail.strip_prefix("$${") {
                out.push_str("${");
                rest = r;
            } else if let Some(r) = tail.strip_prefix("${") {
                let close = r
                    .find('}')
                    .ok_or_else(|| self.err(span.clone(), format!("unclosed ${{ in {s:?}")))?;
                match self.placeholder(&r[..close], span)? {
                    Value::String(text) => out.push_str(&text),
                    other => out.push_str(&other.to_string()),
                }
                rest = &r[close + 1..];
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        Ok(Value::String(out))
    }

    fn placeholder(&mut self, inner: &str, span: &Range<usize>) -> Result<Value, LoadError> {
        match inner {
            "null" => return Ok(Value::Null),
            "now" => return Ok(Value::String(format_myt(self.clinic.now()))),
            "fresh_id" => {
                let id = self
                    .clinic
                    .fresh_id()
                    .map_err(|e| self.err(span.clone(), e.to_string()))?;
                return Ok(Value::from(id));
            }
            _ => {}
        }
        let Some((step, field)) = inner.split_once(':') else {
            return Err(self.err(
                span.clone(),
                format!("unknown placeholder \"${{{inner}}}\" (expected ${{step:path}}, ${{now}}, ${{fresh_id}} or ${{null}})"),
            ));
        };
        let reference = format!("${{{inner}}}");
        let Some(index) = self.names.iter().position(|n| n == step) else {
            let earlier = &self.names[..self.current];
            let known = if earlier.is_empty() {
                "there is no earlier step".to_owned()
            } else {
                format!("earlier steps: {}", earlier.join(", "))
            };
            return Err(self.err(
                span.clone(),
                format!("{reference} names an unknown step {step:?} ({known})"),
            ));
        };
        if index >= self.current {
            let when = if index == self.current {
                "this step itself".to_owned()
            } else {
                format!("a later step (step {})", index + 1)
            };
            return Err(self.err(
                span.clone(),
                format!("{reference} names {when}; a reference can only name an earlier step"),
            ));
        }
        let segs: Vec<Seg> = path::parse_field_path(field).map_err(|m| {
            self.err(
                span.clone(),
                format!("{reference}: bad path {field:?}: {m}"),
            )
        })?;
        path::get(&self.sent[index], &segs).cloned().ok_or_else(|| {
            self.err(
                span.clone(),
                format!("{reference}: step {step:?} sent no value at {field}"),
            )
        })
    }
}

/// Reads `90s`, `2m`, `1h30m`, `1d`: numbers each followed by a unit.
pub(super) fn parse_duration(s: &str) -> Result<u64, String> {
    let bad = || format!("{s:?} is not a duration (write e.g. \"90s\", \"2m\", \"1h30m\")");
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || s.is_empty() {
        return Err(bad());
    }
    // Far beyond any story, and small enough to add to a unix time safely.
    if total > MAX_DURATION_SECS {
        return Err(format!("{s:?} is longer than ten years"));
    }
    Ok(total)
}

const MAX_DURATION_SECS: u64 = 3650 * 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_durations_with_units() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        for bad in [
            "",
            "90",
            "m",
            "1x",
            "-1s",
            "1.5h",
            "3651d",
            "99999999999999999999s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
