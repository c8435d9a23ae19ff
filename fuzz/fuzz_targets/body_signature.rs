//! Body parsing and signature verification on arbitrary bytes: neither may
//! panic, and a body the harness signs itself must verify.
#![no_main]

use chup_harness::model;
use chup_harness::signing::{self, Profile, Secret};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let secret = Secret::new("fuzz-secret");
    let _ = signing::verify_body(data, &secret, &Profile::ALL);
    if let Ok(doc) = model::parse_document(data) {
        // Whatever the model accepts, it can sign, and what it signs verifies.
        for profile in Profile::ALL {
            let body = signing::signed_body(&doc.payload, profile, &secret);
            assert!(
                signing::verify_body(&body, &secret, &[profile]).is_ok(),
                "a body signed under {profile} does not verify"
            );
            let again = model::parse_document(&body).expect("a signed body parses");
            assert_eq!(
                serde_json::to_value(&again.payload).ok(),
                serde_json::to_value(&doc.payload).ok(),
                "signing changed the payload"
            );
        }
        let _ = model::violations(&doc.payload);
    }
});
