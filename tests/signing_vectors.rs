//! Pinned signing vectors produced by independent implementations (Python's
//! json.dumps and PHP 8.2's json_encode; see tests/fixtures/vectors/README.md).
//! The harness must produce the same P bytes and the same signature.

use chup_harness::model;
use chup_harness::signing::{self, Matched, Profile, Secret};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vectors")
}

fn vectors() -> Vec<(String, Profile, String)> {
    let tsv = std::fs::read_to_string(dir().join("vectors.tsv")).expect("vectors.tsv");
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                cols[0].to_owned(),
                cols[1].parse().expect("profile"),
                cols[2].to_owned(),
            )
        })
        .collect()
}

fn expected_p(name: &str, profile: Profile) -> Vec<u8> {
    let ext = match profile {
        Profile::Compact => "compact",
        Profile::Php => "php",
    };
    std::fs::read(dir().join(format!("{name}.{ext}"))).expect("vector bytes")
}

#[test]
fn there_are_pinned_vectors_for_both_profiles() {
    let v = vectors();
    assert!(v.len() >= 8);
    assert!(v.iter().any(|(_, p, _)| *p == Profile::Php));
}

#[test]
fn json_values_encode_to_the_exact_pinned_bytes_and_signature() {
    let secret = Secret::new("chup-test-secret");
    for (name, profile, sig) in vectors() {
        let text = std::fs::read(dir().join(format!("{name}.payload.json"))).expect("payload");
        let value: serde_json::Value = serde_json::from_slice(&text).expect("json");
        let p = signing::encode(&value, profile);
        assert_eq!(
            String::from_utf8_lossy(&p),
            String::from_utf8_lossy(&expected_p(&name, profile)),
            "{name}/{profile}"
        );
        assert_eq!(signing::sign(&p, &secret), sig, "{name}/{profile}");
    }
}

#[test]
fn typed_payloads_encode_to_the_same_bytes_in_documented_key_order() {
    let secret = Secret::new("chup-test-secret");
    for (name, profile, sig) in vectors() {
        let text = std::fs::read(dir().join(format!("{name}.payload.json"))).expect("payload");
        let payload = model::parse_payload_slice(&text).expect("typed parse");
        let p = signing::encode(&payload, profile);
        assert_eq!(p, expected_p(&name, profile), "{name}/{profile}");
        assert_eq!(signing::sign(&p, &secret), sig, "{name}/{profile}");
    }
}

#[test]
fn pinned_bodies_verify_and_a_tampered_one_does_not() {
    let secret = Secret::new("chup-test-secret");
    for (name, profile, sig) in vectors() {
        let mut body = Vec::new();
        signing::write_body(&expected_p(&name, profile), &sig, &mut body);
        assert_eq!(
            signing::verify_body(&body, &secret, &Profile::ALL),
            Ok(Matched::Raw)
        );
        let pos = body
            .iter()
            .position(|b| *b == b'2')
            .expect("a digit to tamper");
        body[pos] = b'3';
        assert!(
            signing::verify_body(&body, &secret, &Profile::ALL).is_err(),
            "{name}: tampered body verified"
        );
        assert!(signing::verify_body(&body, &Secret::new("other"), &Profile::ALL).is_err());
    }
}
