//! Compiling a scenario: plays its steps, in order, on a fresh simulated
//! clinic and turns each into a planned delivery. Every check a scenario
//! file needs beyond TOML syntax and field names happens here (actions and
//! their arguments, named patients, visits, appointments and steps,
//! references, overrides, impossible transitions), each reported at the
//! position of the value at fault. Loading runs this once as a dry run.
//!
//! Here: the actions and the records they name; `values` reads what a
//! step writes besides (dates and times, events, overrides, expectations).

mod values;

use super::format::RawStep;
use super::{is_slug, CompileCtx, LoadError, PlannedStep, ScenarioDef};
use crate::clinic::{Clinic, ClinicError, VisitAction, DISPENSARY};
use crate::model::{apply_restyle, Id, Payload, Restyle};
use serde_json::Value;
use std::ops::Range;
use toml::Spanned;
use values::parse_duration;

/// The patient a scenario gets when it declares none.
const DEFAULT_PATIENT: (&str, &str, &str) =
    ("patient", "Nur Aisyah binti Kamarudin", "60123456789");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Join,
    CheckIn,
    Visit(VisitAction),
    Move,
    Dispense,
    DeleteVisit,
    Book,
    Reschedule,
    DeleteAppointment,
    Event,
}

const ACTIONS: [(&str, Action); 16] = [
    ("join", Action::Join),
    ("alert", Action::Visit(VisitAction::Alert)),
    ("arrive", Action::Visit(VisitAction::Arrive)),
    ("serve", Action::Visit(VisitAction::Serve)),
    ("served", Action::Visit(VisitAction::Served)),
    ("no_show", Action::Visit(VisitAction::NoShow)),
    ("system_cancel", Action::Visit(VisitAction::SystemCancel)),
    ("cancel", Action::Visit(VisitAction::Cancel)),
    ("move", Action::Move),
    ("dispense", Action::Dispense),
    ("book", Action::Book),
    ("reschedule", Action::Reschedule),
    ("check_in", Action::CheckIn),
    ("delete_visit", Action::DeleteVisit),
    ("delete_appointment", Action::DeleteAppointment),
    ("event", Action::Event),
];

impl Action {
    /// The arguments an action takes (besides name, after, set, expect and
    /// dialect, which every step takes).
    fn args(self) -> &'static [&'static str] {
        match self {
            Action::Join => &["patient", "service", "visit", "as"],
            Action::CheckIn => &["appointment", "service", "visit", "as"],
            Action::Visit(_) | Action::DeleteVisit => &["visit"],
            Action::Move => &["visit", "to", "as"],
            Action::Dispense => &["visit", "as"],
            Action::Book => &["patient", "service", "date", "time", "appointment", "as"],
            Action::Reschedule => &["appointment", "date", "time"],
            Action::DeleteAppointment => &["appointment"],
            Action::Event => &[
                "event",
                "unknown_event",
                "visit",
                "appointment",
                "patient",
                "service",
                "staff",
                "data",
            ],
        }
    }
}

const DIALECTS: [(&str, Restyle); 5] = [
    ("state-object", Restyle::StateObject),
    ("notes-collection", Restyle::NotesCollection),
    ("ids-string", Restyle::IdsString),
    ("time-hh-mm", Restyle::TimeWithoutSeconds),
    ("note-dates-null", Restyle::NoteDatesNull),
];

/// Every argument a step wrote, with its span.
fn present(step: &RawStep) -> Vec<(&'static str, Range<usize>)> {
    let strings = [
        ("patient", &step.patient),
        ("service", &step.service),
        ("to", &step.to),
        ("date", &step.date),
        ("time", &step.time),
        ("visit", &step.visit),
        ("appointment", &step.appointment),
        ("as", &step.as_name),
        ("event", &step.event),
        ("unknown_event", &step.unknown_event),
        ("staff", &step.staff),
    ];
    let mut out: Vec<_> = strings
        .into_iter()
        .filter_map(|(name, v)| v.as_ref().map(|s| (name, s.span())))
        .collect();
    if let Some(d) = &step.data {
        out.push(("data", d.span()));
    }
    out
}

/// Named things of one kind (patients, visits, appointments), in the order
/// they were made.
struct Handles {
    kind: &'static str,
    prefix: &'static str,
    items: Vec<(String, u64)>,
}

impl Handles {
    fn new(kind: &'static str, prefix: &'static str) -> Handles {
        Handles {
            kind,
            prefix,
            items: Vec::new(),
        }
    }

    fn find(&self, name: &str) -> Option<u64> {
        self.items
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    }

    fn known(&self) -> String {
        if self.items.is_empty() {
            "none yet".to_owned()
        } else {
            let names: Vec<&str> = self.items.iter().map(|(n, _)| n.as_str()).collect();
            format!("known: {}", names.join(", "))
        }
    }

    /// `visit "v1"`, or the bare id for a record no handle names.
    fn label(&self, id: u64) -> String {
        match self.items.iter().find(|(_, i)| *i == id) {
            Some((n, _)) => format!("{} {n:?}", self.kind),
            None => format!("{} {id}", self.kind),
        }
    }

    /// The first free `<prefix><n>`.
    fn next_name(&self) -> String {
        (self.items.len() + 1..)
            .map(|n| format!("{}{n}", self.prefix))
            .find(|name| self.find(name).is_none())
            .expect("an unbounded range has a free name")
    }
}

struct Compiler<'a> {
    def: &'a ScenarioDef,
    clinic: Clinic,
    patients: Handles,
    visits: Handles,
    appointments: Handles,
    /// The name of every step, by index.
    names: Vec<String>,
    /// The payload each earlier step sent, as JSON, for `${step:path}`.
    sent: Vec<Value>,
    current: usize,
}

pub(super) fn compile(def: &ScenarioDef, ctx: &CompileCtx) -> Result<Vec<PlannedStep>, LoadError> {
    let mut c = Compiler {
        def,
        clinic: Clinic::new(ctx.id_base, ctx.start_unix),
        patients: Handles::new("patient", "p"),
        visits: Handles::new("visit", "v"),
        appointments: Handles::new("appointment", "a"),
        names: Vec::new(),
        sent: Vec::new(),
        current: 0,
    };
    c.register_patients()?;
    if def.raw.step.is_empty() {
        return Err(def.error(
            def.raw.name.span(),
            "a scenario needs at least one [[step]]",
        ));
    }
    c.name_steps()?;
    let mut out = Vec::with_capacity(def.raw.step.len());
    for (i, step) in def.raw.step.iter().enumerate() {
        c.current = i;
        out.push(c.step(step)?);
    }
    Ok(out)
}

impl Compiler<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> LoadError {
        self.def.error(span, message)
    }

    fn register_patients(&mut self) -> Result<(), LoadError> {
        let declared = &self.def.raw.patient;
        if declared.is_empty() {
            let (handle, name, phone) = DEFAULT_PATIENT;
            let id = self
                .clinic
                .register(name, phone, None)
                .map_err(|e| self.err(0..0, e.to_string()))?;
            self.patients.items.push((handle.to_owned(), id));
        }
        for p in declared {
            let handle = p.name.get_ref();
            if handle.trim().is_empty() {
                return Err(self.err(
                    p.name.span(),
                    "a patient needs a name (the handle steps use)",
                ));
            }
            if self.patients.find(handle).is_some() {
                return Err(self.err(p.name.span(), format!("duplicate patient {handle:?}")));
            }
            let phone = p.phone.get_ref();
            if !(8..=15).contains(&phone.len()) || !phone.bytes().all(|b| b.is_ascii_digit()) {
                return Err(self.err(
                    p.phone.span(),
                    format!(
                        "phone {phone:?} is not 8 to 15 digits (Chup writes e.g. \"60123456789\")"
                    ),
                ));
            }
            let id = self
                .clinic
                .register(&p.client_name, phone, p.email.as_deref())
                .map_err(|e| self.err(p.name.span(), e.to_string()))?;
            self.patients.items.push((handle.clone(), id));
        }
        Ok(())
    }

    /// Names every step up front, so a reference can tell a later step
    /// from an unknown one.
    fn name_steps(&mut self) -> Result<(), LoadError> {
        for (i, step) in self.def.raw.step.iter().enumerate() {
            let (name, span) = match &step.name {
                Some(n) => {
                    if !is_slug(n.get_ref()) {
                        return Err(self.err(
                            n.span(),
                            format!(
                                "step name {:?} must be letters, digits, - and _",
                                n.get_ref()
                            ),
                        ));
                    }
                    (n.get_ref().clone(), n.span())
                }
                None => (
                    format!("{:02}-{}", i + 1, step.action.get_ref()),
                    step.action.span(),
                ),
            };
            if let Some(j) = self.names.iter().position(|n| *n == name) {
                return Err(self.err(
                    span,
                    format!("duplicate step name {name:?} (step {} has it too)", j + 1),
                ));
            }
            self.names.push(name);
        }
        Ok(())
    }

    fn step(&mut self, step: &RawStep) -> Result<PlannedStep, LoadError> {
        let action = self.action(step)?;
        if let Some(after) = &step.after {
            let secs = parse_duration(after.get_ref()).map_err(|m| self.err(after.span(), m))?;
            self.clinic.advance(secs);
        }
        let mut payload = self.perform(action, step)?;
        for d in step.dialect.iter().flatten() {
            let Some((_, axis)) = DIALECTS.iter().find(|(n, _)| n == d.get_ref()) else {
                let known: Vec<&str> = DIALECTS.iter().map(|(n, _)| *n).collect();
                return Err(self.err(
                    d.span(),
                    format!(
                        "unknown dialect {:?} (known: {})",
                        d.get_ref(),
                        known.join(", ")
                    ),
                ));
            };
            apply_restyle(&mut payload, *axis);
        }
        if !step.set.is_empty() {
            payload = self.overrides(payload, step)?;
        }
        let expect = self.expect(step)?;
        self.sent
            .push(serde_json::to_value(&payload).expect("a payload is plain JSON and serializes"));
        let record = payload
            .data
            .kind()
            .zip(payload.data.id().and_then(Id::value));
        Ok(PlannedStep {
            name: self.names[self.current].clone(),
            payload,
            expect,
            record,
        })
    }

    fn action(&self, step: &RawStep) -> Result<Action, LoadError> {
        let name = step.action.get_ref();
        let Some((_, action)) = ACTIONS.iter().find(|(n, _)| n == name) else {
            let known: Vec<&str> = ACTIONS.iter().map(|(n, _)| *n).collect();
            return Err(self.err(
                step.action.span(),
                format!("unknown action {name:?} (known: {})", known.join(", ")),
            ));
        };
        let allowed = action.args();
        for (arg, span) in present(step) {
            if !allowed.contains(&arg) {
                return Err(self.err(
                    span,
                    format!(
                        "{name} does not take {arg:?} (it takes: {})",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(*action)
    }

    fn perform(&mut self, action: Action, step: &RawStep) -> Result<Payload, LoadError> {
        let at = step.action.span();
        match action {
            Action::Join => {
                let patient = self.patient(step)?;
                let service =
                    self.required(&step.service, step, "service", "the service to join")?;
                let name = self.new_name(Kind::Visit, &[&step.visit, &step.as_name])?;
                let payload = self
                    .clinic
                    .join(patient, &service, None)
                    .map_err(|e| self.clinic_err(at, e))?;
                self.visits.items.push((name, record_id(&payload)));
                Ok(payload)
            }
            Action::CheckIn => {
                let (appointment, span) =
                    self.existing(Kind::Appointment, &step.appointment, step)?;
                let Some(booked) = self.clinic.appointment(appointment) else {
                    return Err(self.clinic_err(span, ClinicError::AppointmentDeleted(appointment)));
                };
                let client = booked
                    .registered_client_id
                    .as_ref()
                    .and_then(Id::value)
                    .expect("the clinic books every appointment for a registered client");
                let service = match &step.service {
                    Some(s) => s.get_ref().clone(),
                    None => booked.service_name.clone(),
                };
                let name = self.new_name(Kind::Visit, &[&step.visit, &step.as_name])?;
                let payload = self
                    .clinic
                    .join(client, &service, Some(appointment))
                    .map_err(|e| self.clinic_err(span, e))?;
                self.visits.items.push((name, record_id(&payload)));
                Ok(payload)
            }
            Action::Visit(va) => {
                let (visit, span) = self.existing(Kind::Visit, &step.visit, step)?;
                self.clinic
                    .act(visit, va)
                    .map_err(|e| self.clinic_err(span, e))
            }
            Action::Move | Action::Dispense => {
                let (visit, span) = self.existing(Kind::Visit, &step.visit, step)?;
                let to = match action {
                    Action::Move => {
                        self.required(&step.to, step, "to", "the service to move to")?
                    }
                    _ => DISPENSARY.to_owned(),
                };
                let name = self.new_name(Kind::Visit, &[&step.as_name])?;
                let payload = self
                    .clinic
                    .move_visit(visit, &to)
                    .map_err(|e| self.clinic_err(span, e))?;
                self.visits.items.push((name, record_id(&payload)));
                Ok(payload)
            }
            Action::DeleteVisit => {
                let (visit, span) = self.existing(Kind::Visit, &step.visit, step)?;
                self.clinic
                    .delete_visit(visit)
                    .map_err(|e| self.clinic_err(span, e))
            }
            Action::Book => {
                let patient = self.patient(step)?;
                let service =
                    self.required(&step.service, step, "service", "the service booked")?;
                let (date, time) = self.when(step, None)?;
                let name = self.new_name(Kind::Appointment, &[&step.appointment, &step.as_name])?;
                let payload = self
                    .clinic
                    .book(patient, &service, &date, &time)
                    .map_err(|e| self.clinic_err(at, e))?;
                self.appointments.items.push((name, record_id(&payload)));
                Ok(payload)
            }
            Action::Reschedule => {
                let (appointment, span) =
                    self.existing(Kind::Appointment, &step.appointment, step)?;
                if step.date.is_none() && step.time.is_none() {
                    return Err(self.err(at, "reschedule needs a new date, a new time, or both"));
                }
                let current = self
                    .clinic
                    .appointment(appointment)
                    .map(|a| (a.date.clone(), a.time.clone()));
                let Some(current) = current else {
                    return Err(self.clinic_err(span, ClinicError::AppointmentDeleted(appointment)));
                };
                let (date, time) = self.when(step, Some(current))?;
                self.clinic
                    .reschedule(appointment, &date, &time)
                    .map_err(|e| self.clinic_err(span, e))
            }
            Action::DeleteAppointment => {
                let (appointment, span) =
                    self.existing(Kind::Appointment, &step.appointment, step)?;
                self.clinic
                    .delete_appointment(appointment)
                    .map_err(|e| self.clinic_err(span, e))
            }
            Action::Event => self.event(step),
        }
    }

    fn required(
        &self,
        field: &Option<Spanned<String>>,
        step: &RawStep,
        arg: &str,
        what: &str,
    ) -> Result<String, LoadError> {
        match field {
            Some(v) if !v.get_ref().trim().is_empty() => Ok(v.get_ref().clone()),
            Some(v) => Err(self.err(v.span(), format!("{arg} is empty"))),
            None => Err(self.err(
                step.action.span(),
                format!("{} needs {arg} = \"...\" ({what})", step.action.get_ref()),
            )),
        }
    }

    fn handles(&self, kind: Kind) -> &Handles {
        match kind {
            Kind::Patient => &self.patients,
            Kind::Visit => &self.visits,
            Kind::Appointment => &self.appointments,
        }
    }

    /// The patient a step names, or the only one there is.
    fn patient(&self, step: &RawStep) -> Result<u64, LoadError> {
        if step.patient.is_some() {
            return self
                .existing(Kind::Patient, &step.patient, step)
                .map(|(id, _)| id);
        }
        match self.patients.items.as_slice() {
            [(_, id)] => Ok(*id),
            _ => Err(self.err(
                step.action.span(),
                format!(
                    "{} needs patient = \"...\" (this scenario has several: {})",
                    step.action.get_ref(),
                    self.patients.known()
                ),
            )),
        }
    }

    /// The record a step names; without a name, the one made last. Returns
    /// the id and the span to blame for what the clinic says of it.
    fn existing(
        &self,
        kind: Kind,
        field: &Option<Spanned<String>>,
        step: &RawStep,
    ) -> Result<(u64, Range<usize>), LoadError> {
        let handles = self.handles(kind);
        match field {
            Some(name) => handles
                .find(name.get_ref())
                .map(|id| (id, name.span()))
                .ok_or_else(|| {
                    self.err(
                        name.span(),
                        format!(
                            "unknown {} {:?} ({})",
                            handles.kind,
                            name.get_ref(),
                            handles.known()
                        ),
                    )
                }),
            None => handles
                .items
                .last()
                .map(|(_, id)| (*id, step.action.span()))
                .ok_or_else(|| {
                    self.err(
                        step.action.span(),
                        format!(
                            "{} needs {} = \"...\", and no {} was made yet",
                            step.action.get_ref(),
                            handles.kind,
                            handles.kind
                        ),
                    )
                }),
        }
    }

    /// The name for a record the step makes: the first of `fields` given,
    /// else the next free `v<n>` / `a<n>`.
    fn new_name(
        &self,
        kind: Kind,
        fields: &[&Option<Spanned<String>>],
    ) -> Result<String, LoadError> {
        let handles = self.handles(kind);
        let given: Vec<&Spanned<String>> = fields.iter().filter_map(|f| f.as_ref()).collect();
        match given.as_slice() {
            [] => Ok(handles.next_name()),
            [name] => {
                let n = name.get_ref();
                if n.trim().is_empty() {
                    Err(self.err(
                        name.span(),
                        format!("a {} name cannot be empty", handles.kind),
                    ))
                } else if handles.find(n).is_some() {
                    Err(self.err(
                        name.span(),
                        format!("{} {n:?} already exists", handles.kind),
                    ))
                } else {
                    Ok(n.clone())
                }
            }
            [_, second, ..] => Err(self.err(
                second.span(),
                format!(
                    "name the new {} once, with either {} or as",
                    handles.kind, handles.kind
                ),
            )),
        }
    }

    /// Says what the clinic refused, naming records by their handles.
    fn clinic_err(&self, span: Range<usize>, e: ClinicError) -> LoadError {
        let v = |id| self.visits.label(id);
        let a = |id| self.appointments.label(id);
        let message = match e {
            ClinicError::Impossible {
                action,
                visit,
                state,
                allowed,
            } => format!(
                "cannot {action} {}: it is {state} ({action} needs {allowed})",
                v(visit)
            ),
            ClinicError::VisitDeleted(id) => format!("{} was deleted", v(id)),
            ClinicError::AppointmentDeleted(id) => format!("{} was deleted", a(id)),
            ClinicError::PatientDeleted(id) => format!("{} was deleted", self.patients.label(id)),
            ClinicError::AlreadyCheckedIn { appointment, visit } => {
                format!("{} is already checked in ({})", a(appointment), v(visit))
            }
            ClinicError::SameService { visit, service } => {
                format!(
                    "cannot move {} to {service:?}: it is already there",
                    v(visit)
                )
            }
            other => other.to_string(),
        };
        self.err(span, message)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Patient,
    Visit,
    Appointment,
}

fn record_id(p: &Payload) -> u64 {
    p.data
        .id()
        .and_then(Id::value)
        .expect("the clinic gives every record a numeric id")
}
