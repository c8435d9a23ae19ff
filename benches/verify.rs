//! Parse + verify throughput on one core: `model::parse_document` plus
//! `signing::verify_body` over generated bodies, against a minimal loop that
//! only parses the body into a `serde_json::Value` and checks the HMAC of
//! the payload bytes (the practical limit). Prints both rates and the ratio.
//! `cargo bench --bench verify`.

use chup_harness::generate::{write_ndjson, GenerateOptions};
use chup_harness::model::{self, DialectMode, EventName};
use chup_harness::signing::{self, Profile, Secret};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::hint::black_box;
use std::time::{Duration, Instant};

const RUN_FOR: Duration = Duration::from_secs(2);

fn bodies() -> Vec<Vec<u8>> {
    let opts = GenerateOptions {
        events: EventName::ALL.to_vec(),
        count: Some(5_000),
        seed: 11,
        mode: DialectMode::Mixed,
        secret: Secret::default(),
        profile: Profile::Compact,
        unsigned: false,
    };
    let mut out = Vec::new();
    write_ndjson(&opts, &mut out).expect("a Vec never fails");
    out.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn rate(bodies: &[Vec<u8>], mut f: impl FnMut(&[u8]) -> bool) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < RUN_FOR {
        for b in bodies {
            assert!(f(black_box(b)), "every generated body is valid");
        }
        n += bodies.len() as u64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let bodies = bodies();
    let secret = Secret::default();
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --benches`: one pass to prove it still works.
        for b in &bodies[..10] {
            assert!(
                model::parse_document(b).is_ok()
                    && signing::verify_body(b, &secret, &Profile::ALL).is_ok()
            );
        }
        return;
    }
    let ours = rate(&bodies, |b| {
        model::parse_document(b).is_ok() && signing::verify_body(b, &secret, &Profile::ALL).is_ok()
    });
    let key = b"chup-test-secret";
    let base = rate(&bodies, |b| {
        #[derive(serde::Deserialize)]
        struct Raw<'a> {
            #[serde(borrow)]
            payload: &'a serde_json::value::RawValue,
            signature: String,
        }
        let Ok(raw) = serde_json::from_slice::<Raw>(b) else {
            return false;
        };
        let Ok(_) = serde_json::from_str::<serde_json::Value>(raw.payload.get()) else {
            return false;
        };
        let Ok(sig) = hex::decode(&raw.signature) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
        mac.update(raw.payload.get().as_bytes());
        mac.verify_slice(&sig).is_ok()
    });
    let avg = bodies.iter().map(Vec::len).sum::<usize>() / bodies.len();
    println!("parse + verify (model + signing, {avg} B/body avg): {ours:>10.0} bodies/s");
    println!("baseline (serde_json Value + hmac):               {base:>10.0} bodies/s");
    println!("ratio ours / baseline: {:.2}", ours / base);
}
