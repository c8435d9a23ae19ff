//! Every JSON example of the Chup webhook examples page parses, round-trips
//! to the same JSON value, keeps the model's invariants, and shows the
//! dialects it is known to use.

use chup_harness::model::{self, Dialect};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn seed_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("seed dir exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn there_are_sixteen_seed_examples() {
    assert_eq!(seed_files().len(), 16);
}

#[test]
fn every_seed_example_parses_and_round_trips_to_the_same_value() {
    for file in seed_files() {
        let bytes = std::fs::read(&file).expect("readable");
        let doc =
            model::parse_document(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(doc.is_body, "{}: is a full body", file.display());
        let original: Value = serde_json::from_slice(&bytes).expect("json");
        let again = serde_json::to_value(&doc.payload).expect("serializes");
        assert_eq!(
            again,
            original["payload"],
            "{}: round trip changed the payload",
            file.display()
        );
        let violations = model::violations(&doc.payload);
        assert!(violations.is_empty(), "{}: {violations:?}", file.display());
    }
}

fn dialects_of(name: &str) -> BTreeSet<Dialect> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seed")
        .join(name);
    let doc = model::parse_document(&std::fs::read(path).expect("readable")).expect("parses");
    model::dialects(&doc.payload)
}

#[test]
fn detects_the_dialects_each_example_is_known_for() {
    use Dialect::*;
    let cases: &[(&str, &[Dialect], &[Dialect])] = &[
        (
            "00-overview.json",
            &[StateObject, NotesCollection, PhoneDigits(12)],
            &[StateInteger, NotesArray, IdsString],
        ),
        (
            "01-join.json",
            &[StateInteger, NotesArray, TimeWithSeconds, PhoneDigits(10)],
            &[StateObject],
        ),
        (
            "03-alert.json",
            &[NoteDatesUnix, IdsNumber],
            &[NonAsciiText, IdsString],
        ),
        ("04-serving.json", &[NonAsciiText, NoteDatesUnix], &[]),
        (
            "06b-no-show-cancelled-by-system.json",
            &[NoteDatesNull, PhoneDigits(12)],
            &[NoteDatesUnix],
        ),
        ("07-move.json", &[IdsString, IdsNumber], &[]),
        (
            "09-reschedule.json",
            &[TimeWithoutSeconds, TimeWithSeconds, NonAsciiText],
            &[],
        ),
        ("13-end-visit.json", &[PhoneDigits(12)], &[NonAsciiText]),
    ];
    for (file, present, absent) in cases {
        let d = dialects_of(file);
        for p in *present {
            assert!(d.contains(p), "{file}: expected {p} in {d:?}");
        }
        for a in *absent {
            assert!(!d.contains(a), "{file}: did not expect {a} in {d:?}");
        }
    }
}

#[test]
fn a_broken_invariant_is_reported_with_its_path() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed/05-served.json"),
    )
    .expect("readable");
    let mut v: Value = serde_json::from_slice(&bytes).expect("json");
    v["payload"]["data"]["state_name"] = "Serving".into();
    v["payload"]["data"]["appointment_id"] = Value::Null;
    v["payload"]["data"]["updated_at"] = "2024-01-18T20:00:00+08:00".into();
    v["payload"]["timestamp"] = "2024-01-18T12:57:16Z".into();
    let doc = model::parse_document_value(v).expect("still parses");
    let paths: Vec<String> = model::violations(&doc.payload)
        .into_iter()
        .map(|v| v.path)
        .collect();
    assert_eq!(
        paths,
        vec![
            "payload.timestamp",
            "payload.data.appointment_id",
            "payload.data.state_name",
            "payload.data.updated_at"
        ]
    );
}

#[test]
fn a_wrong_field_type_names_the_field_path() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed/04-serving.json"),
    )
    .expect("readable");
    let mut v: Value = serde_json::from_slice(&bytes).expect("json");
    v["payload"]["data"]["notes"][0]["model_id"] = serde_json::json!([1]);
    let err = model::parse_document_value(v).expect_err("bad type");
    assert!(
        err.to_string()
            .starts_with("payload.data.notes[0].model_id:"),
        "{err}"
    );
}

#[test]
fn unknown_states_are_kept_with_their_name_not_renamed() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed/05-served.json"),
    )
    .expect("readable");
    let mut v: Value = serde_json::from_slice(&bytes).expect("json");
    v["payload"]["data"]["state"] = 6.into();
    v["payload"]["data"]["state_name"] = "Paused".into();
    let doc = model::parse_document_value(v.clone()).expect("parses");
    assert!(model::violations(&doc.payload).is_empty());
    assert_eq!(
        serde_json::to_value(&doc.payload).expect("json"),
        v["payload"]
    );
}
