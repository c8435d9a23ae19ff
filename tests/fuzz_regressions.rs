//! Inputs the fuzzers (`fuzz/`) once broke, kept as plain tests so
//! `make test` holds them fixed without a fuzzer. Each directory under
//! `tests/fixtures/fuzz/` is named after its target, and each test here
//! checks the same property as that target.

use chup_harness::model;
use chup_harness::signing::{self, Profile, Secret};
use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.expect("entry").path();
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no inputs in {}", dir.display());
    out
}

/// `body_signature`: what the model accepts it signs under every profile;
/// the body verifies and parses back to the same payload. The first input
/// found: an unknown field holding a 72-digit integer read as a float came
/// back one unit in the last place off, because serde_json's fast float
/// parser does not round-trip (fixed with its `float_roundtrip` feature).
#[test]
fn signed_bodies_parse_back_to_the_same_payload() {
    let secret = Secret::new("fuzz-secret");
    for (path, bytes) in inputs("body_signature") {
        let _ = signing::verify_body(&bytes, &secret, &Profile::ALL);
        let Ok(doc) = model::parse_document(&bytes) else {
            continue;
        };
        for profile in Profile::ALL {
            let body = signing::signed_body(&doc.payload, profile, &secret);
            assert!(
                signing::verify_body(&body, &secret, &[profile]).is_ok(),
                "{}: a body signed under {profile} does not verify",
                path.display()
            );
            let again = model::parse_document(&body).expect("a signed body parses");
            assert_eq!(
                serde_json::to_value(&again.payload).ok(),
                serde_json::to_value(&doc.payload).ok(),
                "{}: signing under {profile} changed the payload",
                path.display()
            );
        }
    }
}
