//! How fast `generate` writes signed bodies, against a floor: a minimal loop
//! that builds a payload of the same shape with `serde_json::json!`,
//! serializes, signs and writes it in the same layout. One thread, about two
//! seconds each; prints bodies per second and the ratio (ours / baseline).
//!
//! Run: `cargo bench --bench generate`.

use chup_harness::generate::{write_ndjson, GenerateOptions};
use chup_harness::model::{DialectMode, EventName};
use chup_harness::signing::{Profile, Secret};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::hint::black_box;
use std::io::{self, Write};
use std::time::{Duration, Instant};

const RUN_FOR: Duration = Duration::from_secs(2);
const CHUNK: u64 = 2_000;

/// Counts the bytes written, and otherwise discards them like `io::sink()`.
struct CountingSink(u64);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// (bodies per second, mean bytes per body)
fn ours() -> (f64, f64) {
    let mut sink = CountingSink(0);
    let mut bodies = 0u64;
    let start = Instant::now();
    let mut seed = 0;
    while start.elapsed() < RUN_FOR {
        let opts = GenerateOptions {
            events: vec![EventName::LiveQueueUpdated],
            count: Some(CHUNK),
            seed,
            mode: DialectMode::Seed,
            secret: Secret::default(),
            profile: Profile::Compact,
            unsigned: false,
        };
        bodies += write_ndjson(&opts, &mut sink).expect("a sink never fails");
        seed += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    (bodies as f64 / secs, sink.0 as f64 / bodies as f64)
}

fn baseline() -> (f64, f64) {
    let mut sink = CountingSink(0);
    let key = b"chup-test-secret";
    let mut body = Vec::with_capacity(4096);
    let mut bodies = 0u64;
    let start = Instant::now();
    while start.elapsed() < RUN_FOR {
        for i in 0..CHUNK {
            let n = bodies + i;
            let state = [2, 3, 4, 5, 7, 8][(n % 6) as usize];
            let payload = serde_json::json!({
                "event": "live_queue_updated",
                "timestamp": "2024-01-18T20:50:22+08:00",
                "data": {
                    "id": 19_000 + n % 80_000,
                    "appointment_id": null,
                    "appointment_date": null,
                    "appointment_time": null,
                    "registered_client_id": 3364 + n % 1000,
                    "registered_client_name": "Nur Aisyah binti Ahmad",
                    "registered_client_phone": "60123456789",
                    "client_name": "Nur Aisyah binti Ahmad",
                    "state": state,
                    "state_name": "Alerted",
                    "service_id": 206,
                    "service_name": "Registration",
                    "staff_id": 262,
                    "staff_name": "Registration",
                    "notes": [],
                    "created_at": "2024-01-18T20:48:00+08:00",
                    "updated_at": "2024-01-18T20:50:22+08:00"
                }
            });
            let p = serde_json::to_vec(&payload).expect("json");
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
            mac.update(&p);
            let sig = hex::encode(mac.finalize().into_bytes());
            body.clear();
            body.extend_from_slice(b"{\"payload\":");
            body.extend_from_slice(&p);
            body.extend_from_slice(b",\"signature\":\"");
            body.extend_from_slice(sig.as_bytes());
            body.extend_from_slice(b"\"}\n");
            sink.write_all(black_box(&body))
                .expect("a sink never fails");
        }
        bodies += CHUNK;
    }
    let secs = start.elapsed().as_secs_f64();
    (bodies as f64 / secs, sink.0 as f64 / bodies as f64)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // then one short pass proves the benchmark still runs.
    if !std::env::args().any(|a| a == "--bench") {
        let mut sink = io::sink();
        let opts = GenerateOptions {
            events: vec![EventName::LiveQueueUpdated],
            count: Some(10),
            seed: 0,
            mode: DialectMode::Seed,
            secret: Secret::default(),
            profile: Profile::Compact,
            unsigned: false,
        };
        write_ndjson(&opts, &mut sink).expect("a sink never fails");
        return;
    }
    let (ours, ours_bytes) = ours();
    let (base, base_bytes) = baseline();
    println!("generate (live_queue_updated, seed mode, compact, signed): {ours:>10.0} bodies/s  ({ours_bytes:.0} B/body)");
    println!("baseline (json! + to_vec + hmac, same layout):            {base:>10.0} bodies/s  ({base_bytes:.0} B/body)");
    println!("ratio ours / baseline: {:.2}", ours / base);
}
