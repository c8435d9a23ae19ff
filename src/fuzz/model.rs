//! The reference model of a fuzz case: abstract [`Step`]s (which patient
//! acts, which of the transitions open to them, in which dialect, under
//! which delivery fault) as a proptest strategy, and their materialization
//! against a [`Clinic`] into the payloads Chup would send, in order, with
//! the state every record must end in.
//!
//! A step does not name a transition directly: it picks among the
//! transitions open to its patient *now* (`VisitAction::allowed_from`,
//! `MOVABLE_FROM`, an appointment still open...). So every step of every
//! plan is valid and causally ordered per visit, and a plan stays valid
//! when the shrinker removes steps from it (later steps re-read the state).
//!
//! Owns no transport and no schedule of deliveries (see `schedule`).

use crate::clinic::{Clinic, VisitAction, MOVABLE_FROM};
use crate::model::time::format_myt_date;
use crate::model::{self, Dialect, DialectMode, Payload, Record, RecordKind, VisitState};
use crate::rng::Rng;
use proptest::prelude::*;
use proptest::strategy::Union;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// The most patients a case may hold.
pub const MAX_PATIENTS: usize = 16;

/// The most steps a case may hold: every step allocates at most one record
/// id of a kind, and executions are [`crate::fuzz::id_stride`] ids apart.
pub const MAX_STEPS: usize = 900;

/// Patients of the synthetic clinic: names in the scripts and styles seen in
/// Malaysia (non-ASCII included) and phones of 10, 11 and 12 digits, as in
/// the examples. Invented, as in `generate`.
const PATIENTS: [(&str, &str); 6] = [
    ("Nur Aisyah binti Ahmad", "60123456789"),
    ("Tan Mei Ling 陈美玲", "6012345678"),
    ("Muthu a/l Rajan முத்து", "601234567890"),
    ("Lim Wei Jie", "60198765432"),
    ("Siti Nurhaliza binti Tarudin", "923093927454"),
    ("Arjun a/l Subramaniam", "60187654321"),
];

/// Walk-ins queue at these; moves go between them.
const SERVICES: [&str; 5] = [
    "Registration",
    "Treatment Room",
    "Pharmacy",
    "Billing",
    "Dispensary",
];

/// Services patients book appointments at.
const BOOKABLE: [&str; 2] = ["Treatment Room", "Cardiology"];

/// A delivery fault: what happens to the delivery of one step's payload on
/// its way to the receiver. A fault never drops a delivery: every payload
/// arrives at least once, so the newest state of each record must stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Sent once, in order.
    Clean,
    /// Sent, then the same bytes again at once.
    DuplicateNow,
    /// Sent, then the same bytes again after this many later deliveries.
    DuplicateLater(u8),
    /// Held back and sent after this many later deliveries.
    Reorder(u8),
    /// A first attempt abandoned after this many milliseconds (the sender
    /// timed out or lost the answer, as after a non-2xx or a timeout), then
    /// the same bytes sent again.
    Retry(u8),
    /// Sent concurrently with this many following deliveries (launched
    /// newest first).
    Burst(u8),
}

/// The kinds of [`Fault`], as `--faults` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    Duplicate,
    DuplicateLater,
    Reorder,
    Retry,
    Burst,
}

impl FaultKind {
    pub const ALL: [FaultKind; 5] = [
        FaultKind::Duplicate,
        FaultKind::DuplicateLater,
        FaultKind::Reorder,
        FaultKind::Retry,
        FaultKind::Burst,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Duplicate => "duplicate",
            FaultKind::DuplicateLater => "duplicate-later",
            FaultKind::Reorder => "reorder",
            FaultKind::Retry => "retry",
            FaultKind::Burst => "burst",
        }
    }

    /// Parses `--faults`: a comma list of names, `all` or `none`.
    pub fn parse_list(list: &str) -> Result<BTreeSet<FaultKind>, String> {
        let mut out = BTreeSet::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "all" => out.extend(FaultKind::ALL),
                "none" => {}
                name => {
                    out.insert(name.parse()?);
                }
            }
        }
        Ok(out)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<FaultKind, String> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = FaultKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown fault {s:?} (expected all, none or a list of: {})",
                    names.join(", ")
                )
            })
    }
}

impl Fault {
    /// The kind, `None` for a clean delivery.
    pub fn kind(self) -> Option<FaultKind> {
        match self {
            Fault::Clean => None,
            Fault::DuplicateNow => Some(FaultKind::Duplicate),
            Fault::DuplicateLater(_) => Some(FaultKind::DuplicateLater),
            Fault::Reorder(_) => Some(FaultKind::Reorder),
            Fault::Retry(_) => Some(FaultKind::Retry),
            Fault::Burst(_) => Some(FaultKind::Burst),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Clean => f.write_str("clean"),
            Fault::DuplicateNow => f.write_str("duplicated at once"),
            Fault::DuplicateLater(k) => write!(f, "duplicated {k} deliveries later"),
            Fault::Reorder(k) => write!(f, "held back behind {k} later deliveries"),
            Fault::Retry(ms) => write!(f, "first attempt abandoned after {ms} ms, then retried"),
            Fault::Burst(k) => write!(f, "concurrent with the next {k}"),
        }
    }
}

/// One abstract step of a journey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Which patient acts (modulo the number of patients).
    pub patient: u8,
    /// Which of the transitions open to the patient (modulo their number);
    /// the quotient picks a service where the transition needs one.
    pub pick: u8,
    /// The dialect seed: 0 is the canonical form, anything else restyles
    /// the payload in the run's dialect mode.
    pub style: u16,
    pub fault: Fault,
}

/// What the strategy draws from.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub patients: usize,
    pub max_steps: usize,
    pub faults: BTreeSet<FaultKind>,
}

fn arb_fault(kinds: &BTreeSet<FaultKind>) -> BoxedStrategy<Fault> {
    // Clean first: the shrinker moves towards the first alternative.
    let mut options: Vec<(u32, BoxedStrategy<Fault>)> = vec![(6, Just(Fault::Clean).boxed())];
    for kind in kinds {
        let s = match kind {
            FaultKind::Duplicate => Just(Fault::DuplicateNow).boxed(),
            FaultKind::DuplicateLater => (1u8..=4).prop_map(Fault::DuplicateLater).boxed(),
            FaultKind::Reorder => (1u8..=4).prop_map(Fault::Reorder).boxed(),
            FaultKind::Retry => (1u8..=20).prop_map(Fault::Retry).boxed(),
            FaultKind::Burst => (1u8..=5).prop_map(Fault::Burst).boxed(),
        };
        options.push((1, s));
    }
    Union::new_weighted(options).boxed()
}

/// Plans of 1 to `max_steps` steps. Proptest shrinks a failing plan by
/// removing steps, then by moving each step towards patient 0, the first
/// open transition, the canonical dialect and a clean delivery.
pub fn arb_plan(opts: &PlanOptions) -> impl Strategy<Value = Vec<Step>> {
    let patients = opts.patients.clamp(1, MAX_PATIENTS) as u8;
    let step = (
        0..patients,
        any::<u8>(),
        prop_oneof![3 => Just(0u16), 7 => 1..=u16::MAX],
        arb_fault(&opts.faults),
    )
        .prop_map(|(patient, pick, style, fault)| Step {
            patient,
            pick,
            style,
            fault,
        });
    prop::collection::vec(step, 1..=opts.max_steps.clamp(1, MAX_STEPS))
}

/// A transition Chup makes, as coverage and reports name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transition {
    Join,
    Act(VisitAction),
    Move,
    Book,
    Reschedule,
    CheckIn,
    DeleteVisit,
    DeleteAppointment,
}

impl Transition {
    /// Every transition, for the coverage line.
    pub fn all() -> Vec<Transition> {
        let mut all = vec![Transition::Join];
        all.extend(VisitAction::ALL.map(Transition::Act));
        all.extend([
            Transition::Move,
            Transition::Book,
            Transition::Reschedule,
            Transition::CheckIn,
            Transition::DeleteVisit,
            Transition::DeleteAppointment,
        ]);
        all
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Join => "join",
            Transition::Act(a) => a.as_str(),
            Transition::Move => "move",
            Transition::Book => "book",
            Transition::Reschedule => "reschedule",
            Transition::CheckIn => "check_in",
            Transition::DeleteVisit => "delete_visit",
            Transition::DeleteAppointment => "delete_appointment",
        }
    }
}

/// One payload of the plan, in the order Chup sent it.
#[derive(Clone, Debug)]
pub struct Planned {
    pub payload: Payload,
    pub transition: Transition,
    pub fault: Fault,
    pub kind: RecordKind,
    pub id: u64,
}

impl Planned {
    /// `live_queue_updated visit 100001001 → 2 Alerted (alert) at 2026-…`.
    pub fn describe(&self) -> String {
        let (what, state) = match &self.payload.data {
            Record::Visit(v) => ("visit", format!("{} {}", v.state.code(), v.state_name)),
            Record::Appointment(a) => (
                "appointment",
                format!(
                    "{} {} on {} {}",
                    a.state.code(),
                    a.state_name,
                    a.date,
                    a.time
                ),
            ),
            _ => ("record", String::new()),
        };
        let at = self.payload.data.updated_at().unwrap_or_default();
        format!(
            "{} {what} {} → {state} ({}) updated_at {at}",
            self.payload.event,
            self.id,
            self.transition.as_str()
        )
    }
}

/// The state a record must show at the end: the state of its newest
/// payload, or gone (404) when that payload deleted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub kind: RecordKind,
    pub id: u64,
    /// `None`: deleted, the probe must answer 404.
    pub state: Option<i64>,
    pub state_name: Option<String>,
    pub updated_at: String,
}

/// What a plan became: payloads in Chup's order and the final states.
#[derive(Clone, Debug)]
pub struct Materialized {
    pub planned: Vec<Planned>,
    pub expected: Vec<Expected>,
    /// Visit states the journeys reached (`None`: a deleted visit).
    pub states: BTreeSet<Option<i64>>,
    pub dialects: BTreeSet<Dialect>,
}

#[derive(Clone, Copy, Debug, Default)]
struct PatientState {
    client_id: u64,
    visit: Option<u64>,
    /// An appointment not deleted and not checked in.
    appointment: Option<u64>,
}

/// The transitions open to a patient, simplest first.
fn options(clinic: &Clinic, p: &PatientState) -> Vec<Transition> {
    let mut out = Vec::new();
    let state = p.visit.and_then(|v| clinic.visit_state(v));
    if let Some(s) = state {
        out.extend(
            VisitAction::ALL
                .into_iter()
                .filter(|a| a.allowed_from().contains(&s))
                .map(Transition::Act),
        );
        if MOVABLE_FROM.contains(&s) {
            out.push(Transition::Move);
        }
    }
    let open_visit = state.is_some_and(|s| !s.is_final());
    if !open_visit {
        out.push(Transition::Join);
        if p.appointment.is_some() {
            out.push(Transition::CheckIn);
        }
    }
    match p.appointment {
        None => out.push(Transition::Book),
        Some(_) => out.extend([Transition::Reschedule, Transition::DeleteAppointment]),
    }
    if state.is_some() {
        out.push(Transition::DeleteVisit);
    }
    out
}

/// Where the clinic's records come from and how payloads are dressed.
#[derive(Clone, Copy, Debug)]
pub struct MaterializeOptions {
    pub id_base: u64,
    pub start_unix: i64,
    pub patients: usize,
    pub mode: DialectMode,
}

/// Plays the plan against a fresh clinic. A step with no transition open
/// (cannot happen: Join or Book is always open) or one the clinic refuses
/// is skipped, so any list of steps is a valid journey.
pub fn materialize(steps: &[Step], o: &MaterializeOptions) -> Materialized {
    let mut clinic = Clinic::new(o.id_base, o.start_unix);
    let n = o.patients.clamp(1, MAX_PATIENTS);
    let mut patients: Vec<PatientState> = (0..n)
        .map(|i| {
            let (name, phone) = PATIENTS[i % PATIENTS.len()];
            let name = if i < PATIENTS.len() {
                name.to_owned()
            } else {
                format!("{name} ({})", i / PATIENTS.len() + 1)
            };
            let client_id = clinic
                .register(&name, phone, None)
                .expect("the patient table holds valid phones");
            PatientState {
                client_id,
                ..PatientState::default()
            }
        })
        .collect();
    let mut planned = Vec::new();
    let mut touched: Vec<(RecordKind, u64)> = Vec::new();
    let mut states = BTreeSet::new();
    let mut dialects = BTreeSet::new();
    for step in steps {
        let who = usize::from(step.patient) % n;
        let open = options(&clinic, &patients[who]);
        if open.is_empty() {
            continue;
        }
        let pick = usize::from(step.pick);
        let transition = open[pick % open.len()];
        let variant = pick / open.len();
        let p = &mut patients[who];
        let Some(payload) = apply(&mut clinic, p, transition, variant) else {
            continue;
        };
        let (kind, id) = match &payload.data {
            Record::Visit(v) => (RecordKind::Visit, v.id.value().unwrap_or_default()),
            Record::Appointment(a) => (RecordKind::Appointment, a.id.value().unwrap_or_default()),
            _ => continue,
        };
        if kind == RecordKind::Visit {
            states.insert(clinic.visit_state(id).map(|s| s.0));
        }
        if !touched.contains(&(kind, id)) {
            touched.push((kind, id));
        }
        let mut payload = payload;
        if step.style != 0 {
            let mut rng = Rng::new(u64::from(step.style));
            model::restyle(&mut payload, o.mode, &mut rng);
        }
        dialects.extend(model::dialects(&payload));
        planned.push(Planned {
            payload,
            transition,
            fault: step.fault,
            kind,
            id,
        });
    }
    let expected = touched
        .into_iter()
        .map(|(kind, id)| expected_of(&clinic, &planned, kind, id))
        .collect();
    Materialized {
        planned,
        expected,
        states,
        dialects,
    }
}

fn expected_of(clinic: &Clinic, planned: &[Planned], kind: RecordKind, id: u64) -> Expected {
    let newest = planned
        .iter()
        .rev()
        .find(|p| p.kind == kind && p.id == id)
        .map(|p| p.payload.data.updated_at().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let (state, state_name) = match kind {
        RecordKind::Visit => match clinic.visit(id) {
            Some(v) => (Some(v.state.code()), Some(v.state_name.clone())),
            None => (None, None),
        },
        _ => match clinic.appointment(id) {
            Some(a) => (Some(a.state.code()), Some(a.state_name.clone())),
            None => (None, None),
        },
    };
    Expected {
        kind,
        id,
        state,
        state_name,
        updated_at: newest,
    }
}

/// Makes the transition happen in the clinic; `None` if it refuses.
fn apply(
    clinic: &mut Clinic,
    p: &mut PatientState,
    t: Transition,
    variant: usize,
) -> Option<Payload> {
    let pick_service = |list: &[&'static str], not: Option<&str>| -> &'static str {
        let choices: Vec<&'static str> = list.iter().copied().filter(|s| Some(*s) != not).collect();
        choices[variant % choices.len()]
    };
    let day =
        |clinic: &Clinic, k: usize| format_myt_date(clinic.now() + 86_400 * (1 + (k % 7) as i64));
    let slot = |k: usize| format!("{:02}:{:02}:00", 9 + (k / 2) % 8, (k % 2) * 30);
    match t {
        Transition::Act(a) => clinic.act(p.visit?, a).ok(),
        Transition::Move => {
            let visit = p.visit?;
            let here = clinic.visit(visit)?.service_name.clone();
            let to = pick_service(&SERVICES, Some(&here));
            let payload = clinic.move_visit(visit, to).ok()?;
            p.visit = payload.data.id().and_then(model::Id::value);
            Some(payload)
        }
        Transition::Join => {
            let payload = clinic
                .join(p.client_id, pick_service(&SERVICES, None), None)
                .ok()?;
            p.visit = payload.data.id().and_then(model::Id::value);
            Some(payload)
        }
        Transition::CheckIn => {
            let appointment = p.appointment?;
            let service = clinic.appointment(appointment)?.service_name.clone();
            let payload = clinic.join(p.client_id, &service, Some(appointment)).ok()?;
            p.visit = payload.data.id().and_then(model::Id::value);
            p.appointment = None;
            Some(payload)
        }
        Transition::Book => {
            let service = pick_service(&BOOKABLE, None);
            let date = day(clinic, variant);
            let payload = clinic
                .book(p.client_id, service, &date, &slot(variant))
                .ok()?;
            p.appointment = payload.data.id().and_then(model::Id::value);
            Some(payload)
        }
        Transition::Reschedule => {
            let date = day(clinic, variant + 1);
            clinic
                .reschedule(p.appointment?, &date, &slot(variant + 3))
                .ok()
        }
        Transition::DeleteVisit => {
            let payload = clinic.delete_visit(p.visit?).ok()?;
            p.visit = None;
            Some(payload)
        }
        Transition::DeleteAppointment => {
            let payload = clinic.delete_appointment(p.appointment?).ok()?;
            p.appointment = None;
            Some(payload)
        }
    }
}

/// The name of a visit state for the coverage line (`deleted` for `None`).
pub fn state_label(s: Option<i64>) -> String {
    match s {
        Some(code) => VisitState(code)
            .name()
            .map_or_else(|| code.to_string(), str::to_owned),
        None => "deleted".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::TestRunner;

    fn opts() -> MaterializeOptions {
        MaterializeOptions {
            id_base: 300_000_000,
            start_unix: 1_733_300_000,
            patients: 3,
            mode: DialectMode::Mixed,
        }
    }

    #[test]
    fn every_materialized_payload_keeps_the_model_invariants_and_ordering() {
        let plan_opts = PlanOptions {
            patients: 3,
            max_steps: 40,
            faults: FaultKind::ALL.into_iter().collect(),
        };
        let mut runner = TestRunner::deterministic();
        runner
            .run(&arb_plan(&plan_opts), |steps| {
                let m = materialize(&steps, &opts());
                // Every step produces a payload: some transition is always open.
                prop_assert_eq!(m.planned.len(), steps.len());
                let mut last: std::collections::BTreeMap<(RecordKind, u64), i64> =
                    Default::default();
                for p in &m.planned {
                    let v = model::violations(&p.payload);
                    prop_assert!(v.is_empty(), "{}: {:?}", p.describe(), v);
                    let at = model::time::parse_timestamp(
                        p.payload.data.updated_at().unwrap_or_default(),
                    )
                    .expect("clinic timestamps parse")
                    .instant
                    .unix;
                    if let Some(prev) = last.insert((p.kind, p.id), at) {
                        prop_assert!(at > prev, "{} not after {prev}", p.describe());
                    }
                }
                Ok(())
            })
            .expect("plans are valid journeys");
    }

    #[test]
    fn expected_state_is_the_newest_payloads_and_deleted_is_none() {
        let step = |patient, pick| Step {
            patient,
            pick,
            style: 0,
            fault: Fault::Clean,
        };
        // Patient 0: join (pick 0 of [Join, Book]), alert (first action from
        // In Queue), then delete (last option).
        let m = materialize(&[step(0, 0), step(0, 0)], &opts());
        assert_eq!(m.planned[0].transition, Transition::Join);
        assert_eq!(m.planned[1].transition, Transition::Act(VisitAction::Alert));
        assert_eq!(m.expected.len(), 1);
        assert_eq!(m.expected[0].state, Some(2));
        // From Alerted the options are alert, arrive, serve, served, no_show,
        // cancel, move, book, delete_visit: pick 8 deletes.
        let m = materialize(&[step(0, 0), step(0, 0), step(0, 8)], &opts());
        assert_eq!(m.planned[2].transition, Transition::DeleteVisit);
        assert_eq!(m.expected[0].state, None);
        assert!(m.states.contains(&None));
        // A shrunk plan stays valid: a lone "alert" of a patient with no
        // visit becomes a join.
        let m = materialize(&[step(1, 0)], &opts());
        assert_eq!(m.planned[0].transition, Transition::Join);
    }

    #[test]
    fn parses_fault_lists() {
        assert_eq!(
            FaultKind::parse_list("all").expect("all"),
            FaultKind::ALL.into_iter().collect()
        );
        assert!(FaultKind::parse_list("none").expect("none").is_empty());
        assert_eq!(
            FaultKind::parse_list("reorder, burst").expect("two"),
            [FaultKind::Reorder, FaultKind::Burst].into_iter().collect()
        );
        assert!(FaultKind::parse_list("drop")
            .expect_err("unknown")
            .contains("duplicate-later"));
    }
}
