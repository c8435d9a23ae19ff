//! Scenario contracts: the built-ins, the format's features, and the
//! load errors (each with its file:line:column).

use chup_harness::clinic::ID_SPAN;
use chup_harness::model::time::parse_timestamp;
use chup_harness::model::{violations, Id, Payload, Record, RecordKind};
use chup_harness::scenario::{
    builtin, builtin_files, load_dir, load_str, merge, CompileCtx, PlannedStep, ScenarioDef,
    StatusSet,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CTX: CompileCtx = CompileCtx {
    id_base: 40 * ID_SPAN,
    start_unix: 1_717_200_000, // 2024-06-01T08:00:00+08:00
};

fn compiled(name: &str) -> Vec<PlannedStep> {
    let def = builtin()
        .into_iter()
        .find(|d| d.name() == name)
        .unwrap_or_else(|| panic!("no built-in {name}"));
    def.compile(&CTX).expect("built-ins compile")
}

fn load(text: &str) -> ScenarioDef {
    load_str("contracts/scenarios/t.toml", text).unwrap_or_else(|e| panic!("should load: {e}"))
}

fn load_err(text: &str) -> String {
    match load_str("contracts/scenarios/t.toml", text) {
        Ok(_) => panic!("should not load:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn json_of(p: &Payload) -> Value {
    serde_json::to_value(p).expect("payloads serialize")
}

fn unix(t: &str) -> i64 {
    parse_timestamp(t).expect("valid timestamp").instant.unix
}

fn visit(p: &Payload) -> &chup_harness::model::Visit {
    match &p.data {
        Record::Visit(v) => v,
        other => panic!("expected a visit, got {other:?}"),
    }
}

const HEAD: &str = "name = \"t\"\ndescription = \"a test scenario\"\n";

// ---- the built-ins --------------------------------------------------------

#[test]
fn builtins_are_the_docs_flows_and_three_journeys() {
    let names: Vec<String> = builtin().iter().map(|d| d.name().to_owned()).collect();
    assert_eq!(
        names,
        [
            "join",
            "appointment",
            "alert",
            "serving",
            "served",
            "no-show",
            "no-show-cancelled-by-system",
            "no-show-back-to-queue",
            "move",
            "cancel",
            "reschedule",
            "pharmacy-received",
            "pharmacy-dispense",
            "billing-paid",
            "end-visit",
            "journey-walk-in",
            "journey-appointment",
            "journey-no-show-return",
        ]
    );
    for d in builtin() {
        assert!(
            !d.description().trim().is_empty(),
            "{} has no description",
            d.name()
        );
        assert_eq!(d.origin(), format!("contracts/scenarios/{}.toml", d.name()));
    }
}

#[test]
fn every_file_in_contracts_scenarios_is_a_builtin() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/scenarios");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("contracts/scenarios exists")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let listed: BTreeSet<String> = builtin_files().map(str::to_owned).collect();
    assert_eq!(
        on_disk, listed,
        "contracts/scenarios/ and the built-in list differ"
    );
    let from_dir: BTreeSet<String> = load_dir(&dir)
        .expect("the directory loads")
        .iter()
        .map(|d| d.name().to_owned())
        .collect();
    let builtins: BTreeSet<String> = builtin().iter().map(|d| d.name().to_owned()).collect();
    assert_eq!(from_dir, builtins);
}

#[test]
fn every_builtin_payload_keeps_the_model_invariants() {
    for d in builtin() {
        for step in d.compile(&CTX).expect("compiles") {
            let v = violations(&step.payload);
            assert!(v.is_empty(), "{}/{}: {v:?}", d.name(), step.name);
            assert_eq!(
                Some(step.payload.timestamp.as_str()),
                step.payload.data.updated_at(),
                "{}/{}: timestamp is the record's updated_at",
                d.name(),
                step.name
            );
            assert!(step.payload.timestamp.ends_with("+08:00"));
            assert_eq!(step.expect.status, StatusSet::success());
        }
    }
}

#[test]
fn updated_at_strictly_increases_per_record_in_every_builtin() {
    for d in builtin() {
        let mut last: BTreeMap<(RecordKind, u64), i64> = BTreeMap::new();
        for step in d.compile(&CTX).expect("compiles") {
            let record = step.record.expect("built-in steps touch a record");
            let at = unix(step.payload.data.updated_at().expect("has updated_at"));
            if let Some(before) = last.insert(record, at) {
                assert!(
                    at > before,
                    "{}/{}: updated_at went from {before} to {at}",
                    d.name(),
                    step.name
                );
            }
        }
    }
}

/// Every id a payload carries for a record, note or client.
fn record_ids(p: &Payload) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut push = |id: &Option<Id>| ids.extend(id.as_ref().and_then(Id::value));
    match &p.data {
        Record::Visit(v) => {
            push(&Some(v.id.clone()));
            push(&v.appointment_id);
            push(&v.registered_client_id);
            for n in v.notes.items() {
                push(&Some(n.id.clone()));
            }
        }
        Record::Appointment(a) => {
            push(&Some(a.id.clone()));
            push(&a.registered_client_id);
        }
        other => push(&other.id().cloned()),
    }
    ids
}

#[test]
fn compiles_with_different_id_bases_share_no_record_ids() {
    for d in builtin() {
        let ids = |base: u64| -> BTreeSet<u64> {
            let ctx = CompileCtx {
                id_base: base,
                ..CTX
            };
            d.compile(&ctx)
                .expect("compiles")
                .iter()
                .flat_map(|s| record_ids(&s.payload))
                .collect()
        };
        let (a, b) = (ids(3 * ID_SPAN), ids(4 * ID_SPAN));
        assert!(!a.is_empty());
        assert!(
            a.is_disjoint(&b),
            "{}: shared ids {:?}",
            d.name(),
            a.intersection(&b).collect::<Vec<_>>()
        );
    }
}

#[test]
fn compiling_twice_with_one_context_gives_the_same_deliveries() {
    for d in builtin() {
        assert_eq!(
            d.compile(&CTX).expect("compiles"),
            d.compile(&CTX).expect("compiles"),
            "{}",
            d.name()
        );
    }
}

#[test]
fn move_creates_a_new_visit_whose_note_names_the_old_service() {
    let steps = compiled("move");
    let serving = &steps[steps.len() - 2];
    let moved = steps.last().expect("has steps");
    assert_eq!(moved.payload.event, "live_queue_created");
    let (old, new) = (visit(&serving.payload), visit(&moved.payload));
    assert_ne!(new.id, old.id, "a move makes a new visit");
    assert_eq!(old.service_name, "Registration");
    assert_eq!(
        (new.state.code(), new.service_name.as_str()),
        (1, "Treatment Room")
    );
    assert_eq!(
        new.service_id,
        Id::Text("254".into()),
        "the example's string service_id"
    );
    assert_eq!(new.appointment_id, old.appointment_id);
    let note = &new.notes.items()[0];
    assert_eq!(
        note.content,
        "Visit Transits: Registration → Treatment Room"
    );
    assert_eq!(note.model_type, "App\\Models\\Visit");
    assert_eq!(note.model_id, new.id);
    assert_eq!(
        moved.record,
        Some((RecordKind::Visit, new.id.value().expect("numeric")))
    );
}

#[test]
fn each_docs_flow_ends_as_its_example_does() {
    // scenario, event, state of the last record, its service id, appointment fields set
    let cases: [(&str, &str, i64, &str, bool); 14] = [
        ("join", "live_queue_created", 1, "206", true),
        ("alert", "live_queue_updated", 2, "206", true),
        ("serving", "live_queue_updated", 4, "206", true),
        ("served", "live_queue_updated", 5, "84", true),
        ("no-show", "live_queue_updated", 8, "206", false),
        (
            "no-show-cancelled-by-system",
            "live_queue_updated",
            7,
            "520",
            false,
        ),
        (
            "no-show-back-to-queue",
            "live_queue_updated",
            3,
            "206",
            false,
        ),
        ("move", "live_queue_created", 1, "254", true),
        ("cancel", "live_queue_updated", 7, "206", false),
        ("pharmacy-received", "live_queue_updated", 3, "84", false),
        ("pharmacy-dispense", "live_queue_created", 1, "261", true),
        ("billing-paid", "live_queue_updated", 5, "108", false),
        ("end-visit", "live_queue_updated", 5, "261", false),
        ("journey-walk-in", "live_queue_updated", 5, "261", false),
    ];
    for (name, event, state, service, with_appointment) in cases {
        let steps = compiled(name);
        let last = &steps.last().expect("has steps").payload;
        let v = visit(last);
        assert_eq!(last.event, event, "{name}");
        assert_eq!(v.state.code(), state, "{name}");
        assert_eq!(v.service_id.to_string(), service, "{name}");
        assert_eq!(v.appointment_id.is_some(), with_appointment, "{name}");
    }
    let cancelled = compiled("no-show-cancelled-by-system");
    let note = &visit(&cancelled.last().expect("has steps").payload)
        .notes
        .items()[0];
    assert_eq!(
        note.content,
        "Canceled by system. No show more than 30 minutes."
    );
    assert_eq!((note.created_date, note.updated_date), (None, None));

    let walk_in = compiled("join");
    assert!(
        visit(&walk_in[0].payload).appointment_id.is_none(),
        "the walk-in has no appointment"
    );

    let booked = &compiled("appointment")[0].payload;
    assert_eq!(booked.event, "appointment_created");
    let b = json_of(booked);
    assert_eq!(b["data"]["date"], b["data"]["original_date"]);
    assert_eq!(b["data"]["time"], b["data"]["original_time"]);
    assert_eq!(b["data"]["service_id"], json!(254));

    let moved = &compiled("reschedule")[1].payload;
    let r = json_of(moved);
    assert_eq!(moved.event, "appointment_updated");
    assert_eq!(
        (
            r["data"]["reschedule_state"].clone(),
            r["data"]["rescheduled_by"].clone()
        ),
        (json!(2), json!(3))
    );
    assert_eq!(
        r["data"]["time"].as_str().map(str::len),
        Some(5),
        "HH:MM as in the example"
    );
    assert_ne!(r["data"]["time"], r["data"]["original_time"]);
}

#[test]
fn journeys_walk_through_the_clinic() {
    let services: Vec<String> = compiled("journey-walk-in")
        .iter()
        .filter(|s| s.payload.event == "live_queue_created")
        .map(|s| visit(&s.payload).service_name.clone())
        .collect();
    assert_eq!(
        services,
        [
            "Registration",
            "Treatment Room",
            "Pharmacy",
            "Billing",
            "Dispensary"
        ]
    );

    let appt = compiled("journey-appointment");
    let events: Vec<&str> = appt.iter().map(|s| s.payload.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "appointment_created",
            "appointment_updated",
            "live_queue_created",
            "live_queue_updated",
            "live_queue_updated",
            "live_queue_updated"
        ]
    );
    let rescheduled = json_of(&appt[1].payload);
    let checked_in = visit(&appt[2].payload);
    assert_eq!(
        checked_in.appointment_date.as_ref(),
        rescheduled["data"]["date"]
            .as_str()
            .map(str::to_owned)
            .as_ref()
    );
    assert_eq!(
        checked_in.appointment_time.as_deref(),
        rescheduled["data"]["time"].as_str()
    );

    let states: Vec<i64> = compiled("journey-no-show-return")
        .iter()
        .map(|s| visit(&s.payload).state.code())
        .collect();
    assert_eq!(states, [1, 2, 8, 3, 4, 5]);
    let back = &compiled("journey-no-show-return")[3].payload;
    assert_eq!(
        json_of(back)["data"]["state"],
        json!({"name": "ARRIVED", "value": 3})
    );
    assert_eq!(
        json_of(back)["data"]["notes"],
        json!({"items": [], "escapeWhenCastingToString": false})
    );
}

#[test]
fn system_cancel_comes_more_than_thirty_minutes_after_the_no_show() {
    let steps = compiled("no-show-cancelled-by-system");
    let n = steps.len();
    let gap = unix(&steps[n - 1].payload.timestamp) - unix(&steps[n - 2].payload.timestamp);
    assert!(gap > 30 * 60, "{gap}");
}

// ---- format features ------------------------------------------------------

#[test]
fn steps_get_derived_names_and_after_moves_the_clock() {
    let d = load(&format!(
        "{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n\n[[step]]\ndo = \"alert\"\nafter = \"90s\"\n"
    ));
    let steps = d.compile(&CTX).expect("compiles");
    assert_eq!(
        steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["01-join", "02-alert"]
    );
    assert_eq!(
        unix(&steps[1].payload.timestamp) - unix(&steps[0].payload.timestamp),
        90
    );
    assert_eq!(
        visit(&steps[0].payload).client_name,
        "Nur Aisyah binti Kamarudin",
        "a scenario without [[patient]] gets the default patient"
    );
}

#[test]
fn overrides_set_fields_and_references_copy_earlier_values() {
    let d = load(&format!(
        r#"{HEAD}
[[step]]
name = "join"
do = "join"
service = "Registration"

[[step]]
name = "move"
do = "move"
to = "Pharmacy"
[step.set]
"data.client_name" = "Ahmad Faiz bin Rosli"
"data.notes[0].content" = "moved from visit ${{join:data.id}}"
"data.notes[0].user_id" = "${{null}}"
"data.registered_client_id" = "${{join:data.registered_client_id}}"
"data.staff_id" = "184"
"data.extra_field" = {{ a = 1, b = [true] }}
"#
    ));
    let steps = d.compile(&CTX).expect("compiles");
    let (joined, moved) = (json_of(&steps[0].payload), json_of(&steps[1].payload));
    let data = &moved["data"];
    assert_eq!(data["client_name"], "Ahmad Faiz bin Rosli");
    assert_eq!(
        data["notes"][0]["content"],
        format!("moved from visit {}", joined["data"]["id"])
    );
    assert_eq!(data["notes"][0]["user_id"], Value::Null);
    assert_eq!(
        data["registered_client_id"], joined["data"]["registered_client_id"],
        "a whole reference keeps its type"
    );
    assert!(data["registered_client_id"].is_u64());
    assert_eq!(
        data["staff_id"],
        json!("184"),
        "an id may be set as a string"
    );
    assert_eq!(data["extra_field"], json!({"a": 1, "b": [true]}));
    assert_eq!(
        data["registered_client_name"], joined["data"]["registered_client_name"],
        "untouched fields stay"
    );
}

#[test]
fn overrides_can_pin_ids_and_the_record_follows_the_payload() {
    let d = load(&format!(
        "{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n[step.set]\n\"data.id\" = 19738\n"
    ));
    let steps = d.compile(&CTX).expect("compiles");
    assert_eq!(steps[0].record, Some((RecordKind::Visit, 19738)));
}

#[test]
fn expectations_and_dialects_are_read() {
    let d = load(&format!(
        r#"{HEAD}
[[step]]
do = "book"
service = "Treatment Room"
time = "21:00"
date = "2024-06-02"
dialect = ["time-hh-mm", "ids-string", "state-object"]
[step.expect]
status = ["2xx", 409]
snapshot = false
redact = [".received_at", ".items[].id"]
"#
    ));
    let step = &d.compile(&CTX).expect("compiles")[0];
    assert_eq!(step.expect.status.to_string(), "2xx, 409");
    assert!(
        step.expect.status.contains(201)
            && step.expect.status.contains(409)
            && !step.expect.status.contains(400)
    );
    assert!(!step.expect.snapshot);
    let redact: Vec<&str> = step.expect.redact.iter().map(|r| r.as_str()).collect();
    assert_eq!(redact, [".received_at", ".items[].id"]);
    let p = json_of(&step.payload);
    assert_eq!(
        (p["data"]["date"].clone(), p["data"]["time"].clone()),
        (json!("2024-06-02"), json!("21:00"))
    );
    assert_eq!(p["data"]["service_id"], json!("254"));
    assert_eq!(p["data"]["state"], json!({"name": "BOOKED", "value": 1}));
}

#[test]
fn event_steps_send_any_catalogue_event_or_a_literal() {
    let d = load(
        r#"name = "events"
description = "every kind of event step"

[[patient]]
name = "lim"
client_name = "Lim Wei Jie 林伟杰"
phone = "60123456789"

[[step]]
do = "event"
event = "client_created"
patient = "lim"

[[step]]
do = "event"
event = "service_staffs_updated"
service = "Pharmacy"

[[step]]
do = "event"
event = "staff_updated"
staff = "Pharmacist"

[[step]]
do = "join"
service = "Registration"

[[step]]
do = "event"
event = "live_queue_deleted"
visit = "v1"

[[step]]
do = "event"
unknown_event = "invoice_paid"
data = { invoice = "${fresh_id}", visit = "${04-join:data.id}", at = "${now}" }

[[step]]
do = "event"
event = "staff_created"
[step.data]
id = "${fresh_id}"
name = "Dr. Kavitha a/p Rajendran"
services = [{ id = 520, name = "Cardiology" }]
created_at = "2024-06-01T08:00:00+08:00"
updated_at = "2024-06-01T08:00:00+08:00"
"#,
    );
    let steps = d.compile(&CTX).expect("compiles");
    let events: Vec<&str> = steps.iter().map(|s| s.payload.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "client_created",
            "service_staffs_updated",
            "staff_updated",
            "live_queue_created",
            "live_queue_deleted",
            "invoice_paid",
            "staff_created"
        ]
    );
    assert!(matches!(&steps[0].payload.data, Record::Client(c) if c.name == "Lim Wei Jie 林伟杰"));
    assert_eq!(steps[0].record.map(|r| r.0), Some(RecordKind::Client));
    assert_eq!(
        steps[4].record, steps[3].record,
        "the delete names the joined visit"
    );
    let unknown = json_of(&steps[5].payload);
    assert_eq!(
        unknown["data"]["visit"],
        json_of(&steps[3].payload)["data"]["id"]
    );
    assert!(unknown["data"]["invoice"].is_u64());
    assert_eq!(
        steps[5].record, None,
        "an unknown event touches no known record"
    );
    assert!(
        matches!(&steps[6].payload.data, Record::Staff(s) if s.services[0].name == "Cardiology")
    );
    assert_eq!(
        steps[6].payload.timestamp, "2024-06-01T08:00:00+08:00",
        "a literal's updated_at is its timestamp"
    );
    // After the delete, the visit is gone from the clinic.
    let err = load_err(&format!(
        "{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n[[step]]\ndo = \"delete_visit\"\n[[step]]\ndo = \"alert\"\n"
    ));
    assert_eq!(
        err,
        "contracts/scenarios/t.toml:9:6: visit \"v1\" was deleted"
    );
}

#[test]
fn merge_replaces_by_name_and_appends_new_scenarios() {
    let mine = load_str(
        "mine/join.toml",
        "name = \"join\"\ndescription = \"my join\"\n[[step]]\ndo = \"join\"\nservice = \"Radiology\"\n",
    )
    .expect("loads");
    let extra = load_str(
        "mine/x-ray.toml",
        "name = \"x-ray\"\ndescription = \"new\"\n[[step]]\ndo = \"join\"\nservice = \"Radiology\"\n",
    )
    .expect("loads");
    let all = merge(builtin(), vec![mine, extra]);
    assert_eq!(all.len(), builtin().len() + 1);
    assert_eq!(all[0].name(), "join");
    assert_eq!(all[0].description(), "my join", "replaced in place");
    assert_eq!(all[0].origin(), "mine/join.toml");
    assert_eq!(all.last().map(ScenarioDef::name), Some("x-ray"));
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("chup-scenario-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn load_dir_reads_toml_files_in_order_and_refuses_duplicate_names() {
    let dir = TempDir::new("dir");
    let scenario = |name: &str| {
        format!("name = \"{name}\"\ndescription = \"d\"\n[[step]]\ndo = \"join\"\nservice = \"Registration\"\n")
    };
    std::fs::write(dir.0.join("b.toml"), scenario("beta")).expect("write");
    std::fs::write(dir.0.join("a.toml"), scenario("alpha")).expect("write");
    std::fs::write(dir.0.join("notes.md"), "not a scenario").expect("write");
    let names: Vec<String> = load_dir(&dir.0)
        .expect("loads")
        .iter()
        .map(|d| d.name().to_owned())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);

    std::fs::write(dir.0.join("c.toml"), scenario("alpha")).expect("write");
    let err = load_dir(&dir.0).expect_err("duplicate").to_string();
    let a = dir.0.join("a.toml").display().to_string();
    let c = dir.0.join("c.toml").display().to_string();
    assert_eq!(
        err,
        format!("{c}:1:8: duplicate scenario name \"alpha\" (also in {a})")
    );

    let missing = dir.0.join("nope");
    assert_eq!(
        load_dir(&missing).expect_err("no dir").to_string(),
        format!("{}: cannot read", missing.display())
    );
}

// ---- load errors, each at its file:line:column ------------------------------

#[test]
fn reports_toml_syntax_errors_with_position() {
    assert_eq!(
        load_err("name = \"t\"\ndescription = \"d\"\n[[step]]\ndo = \"join\nservice = \"Registration\"\n"),
        "contracts/scenarios/t.toml:4:11: invalid basic string"
    );
}

#[test]
fn reports_unknown_fields() {
    let err = load_err(&format!(
        "{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\nservise = \"x\"\n"
    ));
    assert!(
        err.starts_with(
            "contracts/scenarios/t.toml:6:1: unknown field `servise`, expected one of `do`, `name`"
        ),
        "{err}"
    );
    let err = load_err(&format!(
        "{HEAD}[[patient]]\nname = \"a\"\nclient_name = \"A\"\nphone = \"60123456789\"\nage = 3\n"
    ));
    assert!(
        err.starts_with("contracts/scenarios/t.toml:7:1: unknown field `age`"),
        "{err}"
    );
    let err = load_err(&format!("{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n[step.expect]\nstatuses = [200]\n"));
    assert!(
        err.starts_with("contracts/scenarios/t.toml:7:1: unknown field `statuses`"),
        "{err}"
    );
}

#[test]
fn reports_unknown_actions_and_events() {
    assert_eq!(
        load_err(&format!("{HEAD}[[step]]\ndo = \"jion\"\n")),
        "contracts/scenarios/t.toml:4:6: unknown action \"jion\" (known: join, alert, arrive, serve, served, no_show, \
         system_cancel, cancel, move, dispense, book, reschedule, check_in, delete_visit, delete_appointment, event)"
    );
    let err = load_err(&format!(
        "{HEAD}[[step]]\ndo = \"event\"\nevent = \"client_creatd\"\npatient = \"patient\"\n"
    ));
    assert!(
        err.starts_with("contracts/scenarios/t.toml:5:9: unknown event \"client_creatd\" (known: appointment_created,"),
        "{err}"
    );
    assert_eq!(
        load_err(&format!("{HEAD}[[step]]\ndo = \"event\"\nevent = \"client_created\"\nservice = \"Pharmacy\"\n")),
        "contracts/scenarios/t.toml:6:11: client_created carries a patient record: name it with patient = \"...\" \
         (or give data), not service"
    );
}

#[test]
fn reports_arguments_an_action_does_not_take_or_lacks() {
    assert_eq!(
        load_err(&format!("{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\nto = \"Pharmacy\"\n")),
        "contracts/scenarios/t.toml:6:6: join does not take \"to\" (it takes: patient, service, visit, as)"
    );
    assert_eq!(
        load_err(&format!(
            "{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n[[step]]\ndo = \"move\"\n"
        )),
        "contracts/scenarios/t.toml:7:6: move needs to = \"...\" (the service to move to)"
    );
    assert_eq!(
        load_err(&format!("{HEAD}[[step]]\ndo = \"alert\"\n")),
        "contracts/scenarios/t.toml:4:6: alert needs visit = \"...\", and no visit was made yet"
    );
}

#[test]
fn reports_unknown_patients_visits_and_appointments() {
    assert_eq!(
        load_err(&format!(
            "{HEAD}[[step]]\ndo = \"join\"\npatient = \"ali\"\nservice = \"Registration\"\n"
        )),
        "contracts/scenarios/t.toml:5:11: unknown patient \"ali\" (known: patient)"
    );
    let move_toml = format!(
        "{HEAD}\n[[step]]\ndo = \"join\"\nservice = \"Registration\"\n\n[[step]]\ndo = \"move\"\nto = \"Pharmacy\"\n\n\
         [[step]]\ndo = \"served\"\nvisit = \"v9\"\n"
    );
    assert_eq!(
        load_str("contracts/scenarios/move.toml", &move_toml)
            .expect_err("unknown visit")
            .to_string(),
        "contracts/scenarios/move.toml:14:9: unknown visit \"v9\" (known: v1, v2)"
    );
    assert_eq!(
        load_err(&format!(
            "{HEAD}[[step]]\ndo = \"reschedule\"\nappointment = \"a1\"\ntime = \"10:00\"\n"
        )),
        "contracts/scenarios/t.toml:5:15: unknown appointment \"a1\" (none yet)"
    );
}

#[test]
fn reports_references_to_unknown_and_later_steps() {
    let step = |value: &str| {
        format!(
            "{HEAD}[[step]]\nname = \"join\"\ndo = \"join\"\nservice = \"Registration\"\n[step.set]\n\
             \"data.client_name\" = \"{value}\"\n[[step]]\nname = \"alert\"\ndo = \"alert\"\n"
        )
    };
    assert_eq!(
        load_err(&step("${alert:data.client_name}")),
        "contracts/scenarios/t.toml:8:22: ${alert:data.client_name} names a later step (step 2); \
         a reference can only name an earlier step"
    );
    assert_eq!(
        load_err(&step("${join:data.client_name}")),
        "contracts/scenarios/t.toml:8:22: ${join:data.client_name} names this step itself; \
         a reference can only name an earlier step"
    );
    assert_eq!(
        load_err(&step("${jion:data.id}")),
        "contracts/scenarios/t.toml:8:22: ${jion:data.id} names an unknown step \"jion\" (there is no earlier step)"
    );
    let later = format!(
        "{HEAD}[[step]]\nname = \"join\"\ndo = \"join\"\nservice = \"Registration\"\n[[step]]\ndo = \"alert\"\n\
         [step.set]\n\"data.client_name\" = \"${{join:data.nothing}}\"\n"
    );
    assert_eq!(
        load_err(&later),
        "contracts/scenarios/t.toml:10:22: ${join:data.nothing}: step \"join\" sent no value at data.nothing"
    );
}

#[test]
fn reports_bad_override_types_with_the_model_path() {
    assert_eq!(
        load_err(&format!(
            "{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n[step.set]\n\"data.state\" = \"Serving\"\n"
        )),
        "contracts/scenarios/t.toml:7:16: override makes an invalid payload: payload.data.state: invalid type: \
         string \"Serving\", expected a state: an integer or an object {\"name\": ..., \"value\": <integer>}"
    );
    assert_eq!(
        load_err(&format!(
            "{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n[step.set]\n\"data.notes[0].content\" = \"x\"\n"
        )),
        "contracts/scenarios/t.toml:7:1: cannot set \"data.notes[0].content\": data.notes[0]: index 0 is out of range \
         (the array has 0 items)"
    );
}

#[test]
fn reports_duplicate_step_names() {
    assert_eq!(
        load_err(&format!(
            "{HEAD}[[step]]\nname = \"go\"\ndo = \"join\"\nservice = \"Registration\"\n[[step]]\nname = \"go\"\ndo = \"alert\"\n"
        )),
        "contracts/scenarios/t.toml:8:8: duplicate step name \"go\" (step 1 has it too)"
    );
}

#[test]
fn reports_impossible_transitions() {
    assert_eq!(
        load_err(&format!(
            "{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n[[step]]\ndo = \"cancel\"\n\
             [[step]]\ndo = \"alert\"\nvisit = \"v1\"\n"
        )),
        "contracts/scenarios/t.toml:10:9: cannot alert visit \"v1\": it is Cancelled (alert needs In Queue or Alerted)"
    );
    assert_eq!(
        load_err(&format!(
            "{HEAD}[[step]]\ndo = \"book\"\nservice = \"Treatment Room\"\n[[step]]\ndo = \"check_in\"\n\
             [[step]]\ndo = \"check_in\"\nappointment = \"a1\"\n"
        )),
        "contracts/scenarios/t.toml:10:15: appointment \"a1\" is already checked in (visit \"v1\")"
    );
}

#[test]
fn reports_bad_values_of_expectations_dialects_and_times() {
    let with = |extra: &str| {
        format!("{HEAD}[[step]]\ndo = \"join\"\nservice = \"Registration\"\n{extra}\n")
    };
    assert_eq!(
        load_err(&with("[step.expect]\nstatus = [\"2xx\", 700]")),
        "contracts/scenarios/t.toml:7:18: status 700 is not an HTTP status (100-599)"
    );
    assert_eq!(
        load_err(&with("[step.expect]\nredact = [\"received_at\"]")),
        "contracts/scenarios/t.toml:7:11: bad redaction path \"received_at\": a redaction path starts with \".\" \
         or \"[\" (e.g. \".received_at\")"
    );
    assert_eq!(
        load_err(&with("dialect = [\"state-obj\"]")),
        "contracts/scenarios/t.toml:6:12: unknown dialect \"state-obj\" (known: state-object, notes-collection, \
         ids-string, time-hh-mm, note-dates-null)"
    );
    assert_eq!(
        load_err(&with("after = \"90\"")),
        "contracts/scenarios/t.toml:6:9: \"90\" is not a duration (write e.g. \"90s\", \"2m\", \"1h30m\")"
    );
    assert_eq!(
        load_err(&format!("{HEAD}[[step]]\ndo = \"book\"\nservice = \"Treatment Room\"\ntime = \"25:00\"\n")),
        "contracts/scenarios/t.toml:6:8: \"25:00\" is not a time (write \"HH:MM\", \"HH:MM:SS\" or \"+30m\")"
    );
}

#[test]
fn reports_bad_scenario_and_patient_headers() {
    assert_eq!(
        load_err("name = \"my scenario\"\ndescription = \"d\"\n[[step]]\ndo = \"join\"\nservice = \"Registration\"\n"),
        "contracts/scenarios/t.toml:1:8: scenario name \"my scenario\" must be letters, digits, - and _ \
         (it names snapshot files)"
    );
    assert_eq!(
        load_err(HEAD),
        "contracts/scenarios/t.toml:1:8: a scenario needs at least one [[step]]"
    );
    assert_eq!(
        load_err(&format!("{HEAD}[[patient]]\nname = \"a\"\nclient_name = \"A\"\nphone = \"+60 12-345\"\n")),
        "contracts/scenarios/t.toml:6:9: phone \"+60 12-345\" is not 8 to 15 digits (Chup writes e.g. \"60123456789\")"
    );
    assert!(
        load_err("name = \"t\"\n[[step]]\ndo = \"join\"\n").contains("missing field `description`")
    );
}

#[test]
fn the_readme_full_example_loads_and_compiles() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/README.md"))
            .expect("contracts/README.md exists");
    let after = readme
        .split("## Full example")
        .nth(1)
        .expect("a Full example section");
    let block = after
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a toml block");
    let def = load_str("contracts/README.md", block)
        .unwrap_or_else(|e| panic!("the README example: {e}"));
    let steps = def.compile(&CTX).expect("compiles");
    assert_eq!(steps.len(), 16);
    for s in &steps {
        if s.name != "not-in-catalogue" {
            assert!(
                violations(&s.payload).is_empty(),
                "{}: {:?}",
                s.name,
                violations(&s.payload)
            );
        }
    }
    let forget = steps
        .iter()
        .find(|s| s.name == "forget")
        .expect("a forget step");
    assert_eq!(forget.payload.event, "live_queue_deleted");
    assert!(forget.expect.status.contains(404) && !forget.expect.snapshot);
}
