use super::*;
use crate::examples::EXAMPLES;
use crate::model::{self, Dialect};

fn example(name: &str) -> Value {
    let (_, text) = EXAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .expect("the example is compiled in");
    let body: Value = serde_json::from_str(text).expect("seed examples are JSON");
    body["payload"].clone()
}

fn assumed_payload(event: &str, data: Value) -> Value {
    json!({ "event": event, "timestamp": "2024-01-18T20:44:18+08:00", "data": data })
}

/// Resolves a local `$ref` (`#/a/b`) against the document it sits in.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn all_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if k == "$ref" => out.push(s.clone()),
                    _ => all_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| all_refs(v, out)),
        _ => {}
    }
}

fn assert_refs_resolve(doc: &Value, what: &str) {
    let mut refs = Vec::new();
    all_refs(doc, &mut refs);
    assert!(!refs.is_empty(), "{what}: has references");
    for r in refs {
        assert!(resolve(doc, &r).is_some(), "{what}: {r} does not resolve");
    }
}

#[test]
fn every_reference_resolves_within_its_own_document() {
    assert_refs_resolve(&body_schema(), "body schema");
    for event in EventName::ALL {
        assert_refs_resolve(&payload_schema(event), event.as_str());
    }
    assert_refs_resolve(&asyncapi::document(), "asyncapi");
}

#[test]
fn payload_schemas_carry_only_the_defs_they_use() {
    let visit = payload_schema(EventName::LiveQueueCreated);
    let defs = visit["$defs"].as_object().expect("has $defs");
    assert!(defs.contains_key("visit") && defs.contains_key("note"));
    assert!(!defs.contains_key("appointment") && !defs.contains_key("ref"));
    let client = payload_schema(EventName::ClientUpdated);
    let names: Vec<&String> = client["$defs"]
        .as_object()
        .expect("has $defs")
        .keys()
        .collect();
    assert_eq!(names, ["id", "timestamp", "phone", "client"]);
}

#[test]
fn every_event_has_a_payload_schema_and_only_undocumented_ones_are_assumed() {
    let body = body_schema();
    let variants = body["properties"]["payload"]["oneOf"]
        .as_array()
        .expect("payload is a oneOf");
    assert_eq!(variants.len(), 17);
    for (event, variant) in EventName::ALL.into_iter().zip(variants) {
        let def = resolve(&body, variant["$ref"].as_str().expect("a $ref")).expect("resolves");
        assert_eq!(def["properties"]["event"]["const"], event.as_str());
        let file = payload_schema(event);
        assert_eq!(file["properties"]["event"]["const"], event.as_str());
        assert_eq!(file["$schema"], json_schema::DRAFT_2020_12);
        let assumed = !event.is_documented();
        assert_eq!(file["x-chup-assumed"], assumed, "{event}");
        assert_eq!(def["x-chup-assumed"], assumed, "{event}");
        let description = file["description"].as_str().expect("described");
        assert_eq!(description.contains("ASSUMED"), assumed, "{event}");
    }
    assert_eq!(
        EventName::ALL.iter().filter(|e| !e.is_documented()).count(),
        13
    );
}

#[test]
fn dialect_alternatives_are_titled_with_the_models_dialect_names() {
    let defs = body_schema()["$defs"].clone();
    let titles = |name: &str| -> Vec<String> {
        defs[name]["oneOf"]
            .as_array()
            .expect("a oneOf")
            .iter()
            .map(|alt| alt["title"].as_str().expect("titled").to_owned())
            .collect()
    };
    let names = |ds: &[Dialect]| -> Vec<String> { ds.iter().map(|d| d.to_string()).collect() };
    use Dialect::*;
    assert_eq!(titles("id"), names(&[IdsNumber, IdsString]));
    assert_eq!(titles("state"), names(&[StateInteger, StateObject]));
    assert_eq!(titles("notes"), names(&[NotesArray, NotesCollection]));
    assert_eq!(
        titles("clockTime"),
        names(&[TimeWithSeconds, TimeWithoutSeconds])
    );
    assert_eq!(titles("noteDate"), names(&[NoteDatesUnix, NoteDatesNull]));
}

/// Checks one record's schema against the model: the schema's properties
/// are the fields the model writes, in its order, and a field is required
/// exactly when the model fails to parse the payload without it.
fn check_fields(def_name: &str, payload: Value, record_at: &[&str], wrap: &dyn Fn(Value) -> Value) {
    let defs = body_schema()["$defs"].clone();
    let def = &defs[def_name];
    let properties: Vec<&String> = def["properties"]
        .as_object()
        .expect("has properties")
        .keys()
        .collect();
    let required: BTreeSet<&str> = def["required"]
        .as_array()
        .expect("has required")
        .iter()
        .map(|r| r.as_str().expect("a field name"))
        .collect();
    let mut record = &payload;
    for key in record_at {
        record = if let Ok(i) = key.parse::<usize>() {
            &record[i]
        } else {
            &record[*key]
        };
    }
    let record = record.clone();
    let typed = model::parse_payload(wrap(record.clone()), "payload").expect("the sample parses");
    let written = serde_json::to_value(&typed).expect("serializes");
    let mut written_record = &written;
    for key in record_at {
        written_record = if let Ok(i) = key.parse::<usize>() {
            &written_record[i]
        } else {
            &written_record[*key]
        };
    }
    let model_fields: Vec<&String> = written_record
        .as_object()
        .expect("a record is an object")
        .keys()
        .collect();
    assert_eq!(properties, model_fields, "{def_name}: fields");
    for field in properties {
        let mut without = record.clone();
        without
            .as_object_mut()
            .expect("an object")
            .remove(field.as_str());
        let parsed = model::parse_payload(wrap(without), "payload");
        assert_eq!(
            parsed.is_err(),
            required.contains(field.as_str()),
            "{def_name}.{field}: the schema says required = {}, the model {}",
            required.contains(field.as_str()),
            if parsed.is_err() {
                "rejects its absence"
            } else {
                "accepts its absence"
            }
        );
    }
}

#[test]
fn record_schemas_list_the_models_fields_and_require_exactly_the_ones_it_needs() {
    let serving = example("04-serving.json");
    let s = serving.clone();
    check_fields("visit", serving.clone(), &["data"], &|r| {
        let mut p = s.clone();
        p["data"] = r;
        p
    });
    let s = serving.clone();
    check_fields("note", serving, &["data", "notes", "0"], &|n| {
        let mut p = s.clone();
        p["data"]["notes"][0] = n;
        p
    });
    let booking = example("02-appointment.json");
    let b = booking.clone();
    check_fields("appointment", booking, &["data"], &|r| {
        let mut p = b.clone();
        p["data"] = r;
        p
    });
    let stamp = "2024-01-18T20:44:18+08:00";
    let client = assumed_payload(
        "client_created",
        json!({"id": 1, "name": "Saad", "phone": "923093927454", "email": null, "created_at": stamp, "updated_at": stamp}),
    );
    check_fields("client", client, &["data"], &|r| {
        assumed_payload("client_created", r)
    });
    let service = assumed_payload(
        "service_created",
        json!({"id": 1, "name": "Pharmacy", "staffs": [{"id": 2, "name": "Aminah"}], "created_at": stamp, "updated_at": stamp}),
    );
    check_fields("service", service.clone(), &["data"], &|r| {
        assumed_payload("service_created", r)
    });
    let sv = service.clone();
    check_fields("ref", service, &["data", "staffs", "0"], &|r| {
        let mut p = sv.clone();
        p["data"]["staffs"][0] = r;
        p
    });
    let staff = assumed_payload(
        "staff_created",
        json!({"id": 2, "name": "Aminah", "services": [{"id": 1, "name": "Pharmacy"}], "created_at": stamp, "updated_at": stamp}),
    );
    check_fields("staff", staff, &["data"], &|r| {
        assumed_payload("staff_created", r)
    });
}

#[test]
fn documented_state_names_come_from_the_model_vocabulary() {
    let defs = body_schema()["$defs"].clone();
    let rules = defs["visit"]["allOf"][1]["allOf"]
        .as_array()
        .expect("name rules");
    assert_eq!(rules.len(), model::VisitState::KNOWN.len());
    let arrived = rules
        .iter()
        .find(|r| r["if"]["properties"]["state"]["anyOf"][0]["const"] == 3)
        .expect("a rule for state 3");
    assert_eq!(
        arrived["then"]["properties"]["state_name"]["const"],
        "Arrived"
    );
}

#[test]
fn asyncapi_has_one_message_per_event_whose_payload_is_that_events_body() {
    let doc = asyncapi::document();
    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let op = &doc["operations"]["deliverWebhook"];
    assert_eq!(op["action"], "send");
    assert_eq!(op["messages"].as_array().expect("messages").len(), 17);
    for event in EventName::ALL {
        let message = &doc["components"]["messages"][event.as_str()];
        assert_eq!(message["x-chup-assumed"], !event.is_documented());
        let body = resolve(&doc, message["payload"]["$ref"].as_str().expect("a ref")).expect("ok");
        assert_eq!(body["required"], json!(["payload", "signature"]));
        let payload = resolve(
            &doc,
            body["properties"]["payload"]["$ref"].as_str().expect("ref"),
        )
        .expect("resolves");
        assert_eq!(payload["properties"]["event"]["const"], event.as_str());
    }
    let text = asyncapi_yaml();
    assert!(text.starts_with("# Generated by `chup-harness schema --out DIR`"));
    assert!(text.contains("\nasyncapi: \"3.0.0\"\n"));
    assert!(!text.contains("$defs"), "every $defs ref was rewritten");
}

#[test]
fn the_export_is_the_same_text_every_time_and_ends_with_a_newline() {
    let (a, b) = (files(), files());
    assert_eq!(a, b);
    assert_eq!(a.len(), 19);
    for f in &a {
        assert!(f.text.ends_with('\n'), "{}", f.path.display());
        assert!(!f.text.ends_with("\n\n"), "{}", f.path.display());
    }
}

#[test]
fn write_all_writes_every_file_under_the_directory() {
    let dir = std::env::temp_dir().join(format!(
        "chup-schema-unit-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos()
    ));
    let written = write_all(&dir).expect("writes");
    assert_eq!(written.len(), 19);
    assert_eq!(written[0], dir.join("body.schema.json"));
    assert_eq!(
        written[1],
        dir.join("payloads/appointment_created.schema.json")
    );
    assert_eq!(written[18], dir.join("asyncapi.yaml"));
    for (path, file) in written.iter().zip(files()) {
        assert_eq!(std::fs::read_to_string(path).expect("readable"), file.text);
    }
    std::fs::remove_dir_all(&dir).expect("cleans up");
}

#[test]
fn write_all_names_the_path_it_could_not_create() {
    let file = std::env::temp_dir().join(format!("chup-schema-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, b"x").expect("writes a plain file");
    let err = write_all(&file.join("out")).expect_err("a file is in the way");
    assert!(
        err.to_string().contains(&file.display().to_string()),
        "{err}"
    );
    std::fs::remove_file(&file).expect("cleans up");
}
