//! The cases each sending check of the protocol contract fires, and how each
//! is judged: the response against the check's expected statuses, and, with
//! a state probe, the effect the receiver shows afterwards.

use super::fixture::{appointment_created, visit_created, visit_updated, Fixture};
use super::probe::Seen;
use super::{Ctx, Exchange};
use crate::check::{Case, CheckId, Verdict};
use crate::model::{self, EventName, Payload, Record, RecordKind, Restyle, VisitState};
use crate::signing::{self, Secret};
use crate::status::StatusSet;
use serde_json::Value;
use std::sync::Arc;

/// Accumulates one case.
struct Builder {
    case: Case,
}

impl Builder {
    fn new(check: CheckId, name: impl Into<String>) -> Builder {
        Builder {
            case: Case::new(check, name),
        }
    }

    fn fail_response(&mut self, reason: String) {
        if self.case.response != Verdict::Failed {
            self.case.response = Verdict::Failed;
            self.case.reason = Some(reason);
        }
    }

    /// Records an exchange and judges its status against `set`.
    fn expect(&mut self, x: &Exchange, set: &StatusSet, what: &str) {
        self.log(x);
        match x.delivery.status() {
            Some(s) if set.contains(s) => {}
            Some(s) => self.fail_response(format!("{what}: answered {s}, expected {set}")),
            None => self.fail_response(format!("{what}: {}", x.delivery.summary())),
        }
    }

    /// Judges an exchange already recorded against `set` as well.
    fn also_expect(&mut self, x: &Exchange, set: &StatusSet, what: &str) {
        match x.delivery.status() {
            Some(s) if set.contains(s) => {}
            Some(s) => self.fail_response(format!("{what}: answered {s}, expected {set}")),
            None => self.fail_response(format!("{what}: {}", x.delivery.summary())),
        }
    }

    /// Records an exchange that must not be a 5xx or a transport failure.
    fn no_5xx(&mut self, x: &Exchange, what: &str) {
        self.log(x);
        match x.delivery.status() {
            Some(s) if s >= 500 => {
                self.fail_response(format!("{what}: answered {s}, a server error"))
            }
            Some(_) => {}
            None => self.fail_response(format!("{what}: {}", x.delivery.summary())),
        }
    }

    fn log(&mut self, x: &Exchange) {
        self.case.sent.push(x.sent.clone());
        self.case.received.push(x.received.clone());
    }

    /// Judges an effect; `None` from `judge` means "could not be seen".
    fn effect(&mut self, judged: Option<Result<(), String>>) {
        match judged {
            None => {
                if self.case.effect == Verdict::Passed {
                    self.case.effect = Verdict::NotObserved;
                }
            }
            Some(Ok(())) => {}
            Some(Err(reason)) => {
                if self.case.effect != Verdict::Failed {
                    self.case.effect = Verdict::Failed;
                    if self.case.reason.is_none() {
                        self.case.reason = Some(reason);
                    }
                }
            }
        }
    }

    fn done(self) -> Case {
        self.case
    }
}

/// The effect check "the probe shows state `want`" (or a 404 for `None`).
fn state_is(seen: &Seen, want: Option<i64>, record: &str) -> Option<Result<(), String>> {
    match (seen, want) {
        (Seen::Unobservable, _) => None,
        (Seen::Broken(e), _) => Some(Err(format!("state probe of {record}: {e}"))),
        (Seen::Missing, None) => Some(Ok(())),
        (Seen::Missing, Some(w)) => Some(Err(format!(
            "{record} should show state {w}, the probe answered 404"
        ))),
        (found, None) => Some(Err(format!(
            "{record} should not exist, the probe shows {}",
            found.describe()
        ))),
        (found, Some(w)) if found.state() == Some(w) => Some(Ok(())),
        (found, Some(w)) => Some(Err(format!(
            "{record} should show state {w}, the probe shows {}",
            found.describe()
        ))),
    }
}

fn id_of(p: &Payload) -> u64 {
    p.data.id().and_then(model::Id::value).unwrap_or_default()
}

/// The fixture's visits always carry numeric ids.
fn visit_id(v: &model::Visit) -> u64 {
    v.id.value().unwrap_or_default()
}

fn visit_label(id: u64) -> String {
    format!("visits/{id}")
}

/// Builds a (wrongly signed) body for a payload.
type BodyMaker = Box<dyn Fn(&Payload) -> Vec<u8> + Send + Sync>;

/// (2) Wrong signatures: each on a fresh visit that must then not exist.
pub(super) async fn bad_signature(ctx: Arc<Ctx>) -> Vec<Case> {
    let check = CheckId::BadSignatureRejected;
    let set = ctx.expect(check);
    let f = &ctx.fixture;
    let other = Secret::new("not-the-clinic-secret");
    let mut cases = Vec::new();

    let mut variants: Vec<(&str, BodyMaker)> = Vec::new();
    let profile = ctx.profile;
    variants.push((
        "signed with another secret",
        Box::new(move |p| signing::signed_body(p, profile, &other)),
    ));
    let secret = ctx.secret.clone();
    variants.push((
        "payload changed after signing",
        Box::new(move |p| {
            let good = signing::encode(p, profile);
            let sig = signing::sign(&good, &secret);
            let mut tampered = p.clone();
            if let Record::Visit(v) = &mut tampered.data {
                v.client_name.push_str(" (edited)");
            }
            let mut body = Vec::new();
            signing::write_body(&signing::encode(&tampered, profile), &sig, &mut body);
            body
        }),
    ));
    let secret = ctx.secret.clone();
    let decoy = visit_created(&f.visit(f.at(0)));
    variants.push((
        "signature of another payload",
        Box::new(move |p| {
            let sig = signing::sign(&signing::encode(&decoy, profile), &secret);
            let mut body = Vec::new();
            signing::write_body(&signing::encode(p, profile), &sig, &mut body);
            body
        }),
    ));
    for (name, make) in &variants {
        let p = visit_created(&f.visit(f.at(0)));
        let id = id_of(&p);
        let mut b = Builder::new(check, format!("live_queue_created {name}"));
        let x = ctx.send_bytes(make(&p), &p, name).await;
        b.expect(&x, &set, name);
        b.effect(state_is(
            &ctx.seen(RecordKind::Visit, id).await,
            None,
            &visit_label(id),
        ));
        cases.push(b.done());
    }

    // A bad update to a record that exists must change nothing.
    let v = f.visit(f.at(0));
    let id = visit_id(&v);
    let mut b = Builder::new(
        check,
        "live_queue_updated to Served, signed with another secret",
    );
    let setup = ctx
        .send_payload(&visit_created(&v), "clean create (setup)")
        .await;
    b.expect(&setup, &StatusSet::success(), "setup: live_queue_created");
    let (_, upd) = visit_updated(&v, VisitState::SERVED, f.at(120));
    let x = ctx
        .send_bytes(
            signing::signed_body(&upd, ctx.profile, &Secret::new("not-the-clinic-secret")),
            &upd,
            "signed with another secret",
        )
        .await;
    b.expect(&x, &set, "bad update");
    b.effect(state_is(
        &ctx.seen(RecordKind::Visit, id).await,
        Some(1),
        &visit_label(id),
    ));
    cases.push(b.done());
    cases
}

/// Maps the right signature to the `signature` value sent (`None`: no field).
type SignatureFor = fn(&str) -> Option<Value>;

/// (2) Missing or malformed signatures on fresh visits.
pub(super) async fn missing_signature(ctx: Arc<Ctx>) -> Vec<Case> {
    let check = CheckId::MissingSignatureRejected;
    let set = ctx.expect(check);
    let f = &ctx.fixture;
    let variants: [(&str, SignatureFor); 7] = [
        ("no signature field", |_| None),
        ("signature null", |_| Some(Value::Null)),
        ("signature empty", |_| Some(Value::from(""))),
        ("signature too short", |_| Some(Value::from("abc123"))),
        ("signature not hex", |_| Some(Value::from("z".repeat(64)))),
        ("signature a number", |_| Some(Value::from(12345))),
        ("signature 63 hex digits", |good| {
            Some(Value::from(&good[..63]))
        }),
    ];
    let mut cases = Vec::new();
    for (name, signature_for) in variants {
        let p = visit_created(&f.visit(f.at(0)));
        let id = id_of(&p);
        let payload_bytes = signing::encode(&p, ctx.profile);
        let good = signing::sign(&payload_bytes, &ctx.secret);
        let mut body = b"{\"payload\":".to_vec();
        body.extend_from_slice(&payload_bytes);
        if let Some(v) = signature_for(&good) {
            body.extend_from_slice(format!(",\"signature\":{v}").as_bytes());
        }
        body.push(b'}');
        let mut b = Builder::new(check, format!("live_queue_created with {name}"));
        let x = ctx.send_bytes(body, &p, name).await;
        b.expect(&x, &set, name);
        b.effect(state_is(
            &ctx.seen(RecordKind::Visit, id).await,
            None,
            &visit_label(id),
        ));
        cases.push(b.done());
    }
    cases
}

/// (3) Bodies that are not JSON or carry no payload object.
pub(super) async fn malformed(ctx: Arc<Ctx>) -> Vec<Case> {
    let check = CheckId::MalformedRejected;
    let set = ctx.expect(check);
    let f = &ctx.fixture;
    let good = signing::signed_body(&visit_created(&f.visit(f.at(0))), ctx.profile, &ctx.secret);
    let fake_sig = "0".repeat(64);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "a body that is not JSON",
            b"patient joined the queue".to_vec(),
        ),
        ("an empty body", Vec::new()),
        ("a truncated body", good[..good.len() / 2].to_vec()),
        ("a JSON array", b"[]".to_vec()),
        (
            "no payload field",
            format!("{{\"signature\":\"{fake_sig}\"}}").into_bytes(),
        ),
        (
            "payload is a string",
            format!("{{\"payload\":\"live_queue_created\",\"signature\":\"{fake_sig}\"}}")
                .into_bytes(),
        ),
        (
            "payload is null",
            format!("{{\"payload\":null,\"signature\":\"{fake_sig}\"}}").into_bytes(),
        ),
    ];
    let mut cases = Vec::new();
    for (name, body) in bodies {
        let mut b = Builder::new(check, name);
        let x = ctx.send_raw(body, "", name).await;
        b.no_5xx(&x, name);
        b.also_expect(&x, &set, name);
        b.effect(Some(Ok(())));
        cases.push(b.done());
    }
    cases
}

/// (4) Valid events of the catalogue a receiver likely does not handle.
pub(super) async fn unknown_event(ctx: Arc<Ctx>) -> Vec<Case> {
    let check = CheckId::UnknownEventAccepted;
    let set = ctx.expect(check);
    let mut cases = Vec::new();
    for event in EventName::ALL {
        if matches!(event.record(), RecordKind::Visit | RecordKind::Appointment) {
            continue;
        }
        let p = ctx.fixture.directory_event(event, ctx.fixture.at(0));
        let mut b = Builder::new(check, event.as_str());
        let x = ctx.send_payload(&p, "valid, assumed payload shape").await;
        b.expect(&x, &set, event.as_str());
        b.effect(Some(Ok(())));
        cases.push(b.done());
    }
    cases
}

/// (5) The same bytes again: at once, concurrently, and after a newer update.
pub(super) async fn duplicate(ctx: Arc<Ctx>) -> Vec<Case> {
    let check = CheckId::DuplicateIdempotent;
    let set = ctx.expect(check);
    let f = &ctx.fixture;
    let mut cases = Vec::new();

    // Twice in a row: the second must leave the record exactly as the first did.
    let v = f.visit(f.at(0));
    let id = visit_id(&v);
    let create = ctx.body(&visit_created(&v));
    let mut b = Builder::new(check, "live_queue_created delivered twice in a row");
    let x1 = ctx
        .send_bytes(create.clone(), &visit_created(&v), "first delivery")
        .await;
    b.expect(&x1, &set, "first delivery");
    let before = ctx.seen(RecordKind::Visit, id).await;
    let x2 = ctx
        .send_bytes(create, &visit_created(&v), "same bytes again")
        .await;
    b.expect(&x2, &set, "second delivery");
    let after = ctx.seen(RecordKind::Visit, id).await;
    b.effect(match (&before, &after) {
        (Seen::Unobservable, _) => None,
        (Seen::Found(a), Seen::Found(c)) if a == c => Some(Ok(())),
        (Seen::Found(a), Seen::Found(c)) => Some(Err(format!(
            "the duplicate changed visits/{id}: before {}, after {}",
            super::probe::truncate(&a.to_string(), 300),
            super::probe::truncate(&c.to_string(), 300)
        ))),
        _ => state_is(&after, Some(1), &visit_label(id)),
    });
    cases.push(b.done());

    // Two identical deliveries in flight at once.
    let v = f.visit(f.at(0));
    let id = visit_id(&v);
    let mut b = Builder::new(check, "live_queue_updated delivered twice at the same time");
    let x = ctx
        .send_payload(&visit_created(&v), "clean create (setup)")
        .await;
    b.expect(&x, &StatusSet::success(), "setup: live_queue_created");
    let (_, upd) = visit_updated(&v, VisitState::ALERTED, f.at(60));
    let bytes = ctx.body(&upd);
    let (c1, c2) = (ctx.clone(), ctx.clone());
    let (u1, u2) = (upd.clone(), upd.clone());
    let (b1, b2) = (bytes.clone(), bytes);
    let (r1, r2) = tokio::join!(
        async move {
            c1.send_bytes(b1, &u1, "same bytes, in flight together")
                .await
        },
        async move {
            c2.send_bytes(b2, &u2, "same bytes, in flight together")
                .await
        }
    );
    b.expect(&r1, &set, "first of two");
    b.expect(&r2, &set, "second of two");
    b.effect(state_is(
        &ctx.seen(RecordKind::Visit, id).await,
        Some(2),
        &visit_label(id),
    ));
    cases.push(b.done());

    // A late duplicate of the create must not undo the newer update.
    let v = f.visit(f.at(0));
    let id = visit_id(&v);
    let mut b = Builder::new(check, "live_queue_created repeated after a newer update");
    let create = ctx.body(&visit_created(&v));
    let x = ctx
        .send_bytes(create.clone(), &visit_created(&v), "first delivery")
        .await;
    b.expect(&x, &set, "first delivery");
    let (_, upd) = visit_updated(&v, VisitState::ALERTED, f.at(60));
    let x = ctx.send_payload(&upd, "newer update").await;
    b.expect(&x, &StatusSet::success(), "live_queue_updated to Alerted");
    let x = ctx
        .send_bytes(create, &visit_created(&v), "the create again, late")
        .await;
    b.expect(&x, &set, "late duplicate");
    b.effect(state_is(
        &ctx.seen(RecordKind::Visit, id).await,
        Some(2),
        &visit_label(id),
    ));
    cases.push(b.done());
    cases
}

/// (6) Older updates after newer ones.
pub(super) async fn out_of_order(ctx: Arc<Ctx>, n: usize) -> Vec<Case> {
    let check = CheckId::OutOfOrderNewestWins;
    let set = ctx.expect(check);
    let f = &ctx.fixture;
    let mut cases = Vec::new();

    let v = f.visit(f.at(0));
    let id = visit_id(&v);
    let mut b = Builder::new(check, "Alerted (older) arrives after Serving (newer)");
    let x = ctx.send_payload(&visit_created(&v), "clean create").await;
    b.expect(&x, &set, "live_queue_created");
    let (_, newer) = visit_updated(&v, VisitState::SERVING, f.at(120));
    let (_, older) = visit_updated(&v, VisitState::ALERTED, f.at(60));
    let x = ctx.send_payload(&newer, "newer update first").await;
    b.expect(&x, &set, "Serving (updated_at +120 s)");
    let x = ctx.send_payload(&older, "older update second").await;
    b.expect(&x, &set, "Alerted (updated_at +60 s)");
    b.effect(state_is(
        &ctx.seen(RecordKind::Visit, id).await,
        Some(4),
        &visit_label(id),
    ));
    cases.push(b.done());

    let v = f.visit(f.at(0));
    let id = visit_id(&v);
    let mut b = Builder::new(check, "the create arrives after an update");
    let (_, upd) = visit_updated(&v, VisitState::ARRIVED, f.at(60));
    let x = ctx.send_payload(&upd, "update before its create").await;
    b.expect(&x, &set, "Arrived (updated_at +60 s)");
    let x = ctx
        .send_payload(&visit_created(&v), "create after its update")
        .await;
    b.expect(&x, &set, "live_queue_created (updated_at +0 s)");
    b.effect(state_is(
        &ctx.seen(RecordKind::Visit, id).await,
        Some(3),
        &visit_label(id),
    ));
    cases.push(b.done());
    // Concurrent updates of one visit: the newest must stand, none lost.
    let v = f.visit(f.at(0));
    let id = visit_id(&v);
    let mut b = Builder::new(
        check,
        format!("{n} live_queue_updated of one visit in flight at once: the newest stands"),
    );
    let x = ctx
        .send_payload(&visit_created(&v), "clean create (setup)")
        .await;
    b.expect(&x, &StatusSet::success(), "setup: live_queue_created");
    let set_ok = ctx.expect(check);
    // The newest update carries a state no other one has, and goes out
    // first: a receiver that checks order against a stale read lets an
    // older one overwrite it.
    let older = [VisitState::ALERTED, VisitState::ARRIVED];
    let newest = VisitState::SERVING;
    let mut set = tokio::task::JoinSet::new();
    for i in (0..n).rev() {
        let state = if i == n - 1 {
            newest
        } else {
            older[i % older.len()]
        };
        let (_, p) = visit_updated(&v, state, f.at(10 + i as i64));
        let c = ctx.clone();
        set.spawn(async move { c.send_payload(&p, "concurrent update").await });
    }
    while let Some(r) = set.join_next().await {
        if let Ok(x) = r {
            b.expect(&x, &set_ok, "concurrent update");
        }
    }
    b.effect(state_is(
        &ctx.seen(RecordKind::Visit, id).await,
        Some(newest.0),
        &visit_label(id),
    ));
    cases.push(b.done());
    cases
}

/// A visit created from an appointment, with a transit note: it has every
/// field a dialect can change.
fn rich_visit(f: &Fixture) -> model::Visit {
    let mut v = f.visit(f.at(0));
    let id = visit_id(&v);
    v.appointment_id = Some(model::Id::Num(f.id()));
    v.appointment_date = Some(model::time::format_myt_date(f.at(0)));
    v.appointment_time = Some("10:30:00".to_owned());
    v.notes = model::Notes::List(vec![f.note(
        id,
        "Visit Transits: Registration → Treatment Room",
        f.at(0),
    )]);
    v
}

/// (7) Every dialect, and every example of the docs.
pub(super) async fn dialects(ctx: Arc<Ctx>) -> Vec<Case> {
    let check = CheckId::DialectsAccepted;
    let set = ctx.expect(check);
    let f = &ctx.fixture;
    let mut cases = Vec::new();

    for axis in Restyle::ALL {
        let v = rich_visit(f);
        let id = visit_id(&v);
        let mut create = visit_created(&v);
        model::apply_restyle(&mut create, axis);
        let (_, mut upd) = visit_updated(&v, VisitState::ALERTED, f.at(60));
        model::apply_restyle(&mut upd, axis);
        let name = format!("{axis:?}");
        let mut b = Builder::new(check, format!("visit in dialect {}", dialect_name(axis)));
        let x = ctx.send_payload(&create, &name).await;
        b.expect(&x, &set, "live_queue_created");
        let x = ctx.send_payload(&upd, &name).await;
        b.expect(&x, &set, "live_queue_updated to Alerted");
        b.effect(state_is(
            &ctx.seen(RecordKind::Visit, id).await,
            Some(2),
            &visit_label(id),
        ));
        cases.push(b.done());
    }

    let people: [(&str, &str); 4] = [
        ("陈美玲", "6012345678"),
        ("முருகன் a/l Raju", "601234567890"),
        ("Nur Aisyah binti Ahmad Fauzi", "60123456789"),
        ("Siti Nurhaliza bt. Tarudin", "923093927454"),
    ];
    for (name, phone) in people {
        let mut v = f.visit(f.at(0));
        let id = visit_id(&v);
        v.client_name = name.to_owned();
        v.registered_client_name = Some(name.to_owned());
        v.registered_client_phone = Some(phone.to_owned());
        let mut b = Builder::new(
            check,
            format!("client {name} with a {}-digit phone", phone.len()),
        );
        let x = ctx
            .send_payload(&visit_created(&v), "names and phones")
            .await;
        b.expect(&x, &set, "live_queue_created");
        b.effect(state_is(
            &ctx.seen(RecordKind::Visit, id).await,
            Some(1),
            &visit_label(id),
        ));
        cases.push(b.done());
    }

    let mut a = appointment_created(&f.appointment(f.at(0)));
    model::apply_restyle(&mut a, Restyle::StateObject);
    model::apply_restyle(&mut a, Restyle::TimeWithoutSeconds);
    let aid = id_of(&a);
    let mut b = Builder::new(check, "appointment with state object and HH:MM time");
    let x = ctx.send_payload(&a, "state object, HH:MM").await;
    b.expect(&x, &set, "appointment_created");
    b.effect(state_is(
        &ctx.seen(RecordKind::Appointment, aid).await,
        Some(1),
        &format!("appointments/{aid}"),
    ));
    cases.push(b.done());

    for (file, text) in crate::examples::EXAMPLES {
        let Ok(doc) = model::parse_document(text.as_bytes()) else {
            continue;
        };
        let mut p = doc.payload;
        let fresh = f.id();
        let kind = p.data.kind();
        match &mut p.data {
            Record::Visit(v) => v.id = model::Id::Num(fresh),
            Record::Appointment(a) => a.id = model::Id::Num(fresh),
            _ => {}
        }
        let state = match &p.data {
            Record::Visit(v) => Some(v.state.code()),
            Record::Appointment(a) => Some(a.state.code()),
            _ => None,
        };
        let mut b = Builder::new(check, format!("docs example {file}"));
        let x = ctx.send_payload(&p, "docs example, fresh id").await;
        b.expect(&x, &set, &p.event);
        if let Some(kind) = kind {
            let label = format!(
                "{}/{fresh}",
                if kind == RecordKind::Visit {
                    "visits"
                } else {
                    "appointments"
                }
            );
            b.effect(state_is(&ctx.seen(kind, fresh).await, state, &label));
        }
        cases.push(b.done());
    }
    cases
}

fn dialect_name(axis: Restyle) -> &'static str {
    match axis {
        Restyle::StateObject => "state-object",
        Restyle::NotesCollection => "notes-collection",
        Restyle::IdsString => "ids-string",
        Restyle::TimeWithoutSeconds => "time-hh-mm",
        Restyle::NoteDatesNull => "note-dates-null",
    }
}

/// (8) Many deliveries in flight at once.
pub(super) async fn burst(ctx: Arc<Ctx>, n: usize) -> Vec<Case> {
    let check = CheckId::BurstNo5xx;
    let f = &ctx.fixture;
    let mut cases = Vec::new();

    let visits: Vec<model::Visit> = (0..n).map(|_| f.visit(f.at(0))).collect();
    let mut b = Builder::new(check, format!("{n} live_queue_created in flight at once"));
    let mut set = tokio::task::JoinSet::new();
    for v in &visits {
        let (c, p) = (ctx.clone(), visit_created(v));
        set.spawn(async move { c.send_payload(&p, "concurrent").await });
    }
    let mut exchanges = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(x) = r {
            exchanges.push(x);
        }
    }
    for x in &exchanges {
        b.no_5xx(x, "concurrent create");
    }
    if exchanges.len() != n {
        b.fail_response(format!(
            "{} of {n} deliveries did not finish",
            n - exchanges.len()
        ));
    }
    for v in &visits {
        let id = visit_id(v);
        b.effect(state_is(
            &ctx.seen(RecordKind::Visit, id).await,
            Some(1),
            &visit_label(id),
        ));
    }
    cases.push(b.done());

    cases
}

/// Finds `needle` as a whole string value anywhere in the probe's JSON, or
/// says which key named `key` held something else.
fn stored_verbatim(seen: &Seen, key: &str, needle: &str) -> Option<Result<(), String>> {
    fn walk<'a>(v: &'a Value, key: &str, found: &mut Vec<&'a Value>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == key {
                        found.push(x);
                    }
                    walk(x, key, found);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, key, found)),
            _ => {}
        }
    }
    let Seen::Found(v) = seen else {
        return state_is(seen, Some(1), "the record");
    };
    let mut found = Vec::new();
    walk(v, key, &mut found);
    if found.is_empty() {
        return None;
    }
    if found.iter().any(|x| x.as_str() == Some(needle)) {
        Some(Ok(()))
    } else {
        let shown: Vec<String> = found
            .iter()
            .map(|x| super::probe::truncate(&x.to_string(), 120))
            .collect();
        Some(Err(format!(
            "{key} was not stored verbatim: sent {}, the probe shows {}",
            super::probe::truncate(&Value::from(needle).to_string(), 120),
            shown.join(", ")
        )))
    }
}

/// (9) Hostile but well-signed content.
pub(super) async fn hostile(ctx: Arc<Ctx>) -> Vec<Case> {
    let check = CheckId::HostileContentSafe;
    let set = ctx.expect(check);
    let f = &ctx.fixture;
    let mut cases = Vec::new();
    let names: [(&str, &str); 5] = [
        (
            "SQL metacharacters",
            "Robert'); DROP TABLE visits;-- \"x\" \\ %_",
        ),
        (
            "HTML metacharacters",
            "<script>alert(\"chup\")</script> &amp; <b>Ali</b>",
        ),
        ("emoji", "Aiman 😷🏥 👩🏽‍⚕️"),
        ("right-to-left text", "مريم بنت أحمد \u{202e}gnp.exe"),
        ("control characters", "line1\nline2\ttab \u{1} end"),
    ];
    for (what, name) in names {
        let mut v = f.visit(f.at(0));
        let id = visit_id(&v);
        v.client_name = name.to_owned();
        let mut b = Builder::new(check, format!("client_name with {what}"));
        let x = ctx.send_payload(&visit_created(&v), what).await;
        b.no_5xx(&x, what);
        b.also_expect(&x, &set, what);
        b.effect(stored_verbatim(
            &ctx.seen(RecordKind::Visit, id).await,
            "client_name",
            name,
        ));
        cases.push(b.done());
    }

    let big = "Catatan panjang ✓ ".repeat(256 * 1024 / 20);
    let mut v = f.visit(f.at(0));
    let id = visit_id(&v);
    v.notes = model::Notes::List(vec![f.note(id, &big, f.at(0))]);
    let mut b = Builder::new(check, format!("a note of {} KiB", big.len() / 1024));
    let x = ctx.send_payload(&visit_created(&v), "256 KiB note").await;
    b.no_5xx(&x, "256 KiB note");
    b.also_expect(&x, &set, "256 KiB note");
    b.effect(stored_verbatim(
        &ctx.seen(RecordKind::Visit, id).await,
        "content",
        &big,
    ));
    cases.push(b.done());

    let huge = "x".repeat(1_200_000);
    let mut v = f.visit(f.at(0));
    let vid = visit_id(&v);
    v.notes = model::Notes::List(vec![f.note(vid, &huge, f.at(0))]);
    let mut b = Builder::new(check, "a body over 1 MiB (2xx or 413)");
    let x = ctx.send_payload(&visit_created(&v), "1.2 MB note").await;
    b.no_5xx(&x, "body over 1 MiB");
    let mut over = set.clone();
    over.extend(StatusSet::codes(&[413]));
    b.expect(&x, &over, "body over 1 MiB");
    b.effect(Some(Ok(())));
    cases.push(b.done());
    cases
}

/// [`state_is`] for the scenario runner.
pub(super) fn state_is_pub(
    seen: &Seen,
    want: Option<i64>,
    record: &str,
) -> Option<Result<(), String>> {
    state_is(seen, want, record)
}
