//! The reference receiver under abuse: oversized bodies, slow clients and
//! 1,000 concurrent connections leave it up and answering; with `--db`, a
//! SIGKILL in the middle of a burst loses no acknowledged delivery
//! (acknowledged means committed). Waits are bounded hang guards, never
//! timing assertions.

use chup_harness::reference::{self, ReferenceConfig, RunningReference};
use chup_harness::signing::{self, Profile, Secret};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "abuse-test-secret";
/// A hang guard for single requests.
const GUARD: Duration = Duration::from_secs(30);

fn join_payload(id: u64) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed/01-join.json");
    let body: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("seed")).expect("JSON");
    let mut p = body["payload"].clone();
    p["data"]["id"] = Value::from(id);
    p
}

fn signed(id: u64) -> Vec<u8> {
    signing::signed_body(&join_payload(id), Profile::Compact, &Secret::new(SECRET))
}

async fn start() -> RunningReference {
    reference::start(
        ReferenceConfig {
            secret: Secret::new(SECRET),
            ..ReferenceConfig::default()
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("the reference receiver starts")
}

fn base(r: &RunningReference) -> String {
    r.webhook_url().trim_end_matches("/webhook").to_owned()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(GUARD)
        .build()
        .expect("client")
}

async fn health(client: &reqwest::Client, base: &str) -> u16 {
    client
        .get(format!("{base}/health"))
        .send()
        .await
        .expect("the receiver answers /health")
        .status()
        .as_u16()
}

/// Writes a raw request and reads the status code of the answer.
async fn raw_status(stream: &mut TcpStream, request: &[u8]) -> std::io::Result<u16> {
    stream.write_all(request).await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = String::from_utf8_lossy(&buf);
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {line}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_gets_413_and_the_receiver_still_answers() {
    let r = start().await;
    let c = client();
    // 8 MiB: eight times the limit.
    let mut body = b"{\"payload\":{\"note\":\"".to_vec();
    body.resize(8 << 20, b'x');
    body.extend_from_slice(b"\"},\"signature\":\"00\"}");
    match c.post(r.webhook_url()).body(body).send().await {
        Ok(resp) => assert_eq!(resp.status().as_u16(), 413),
        // The receiver may answer 413 and close before the body is sent;
        // the client then sees the connection end mid-upload.
        Err(e) => assert!(!e.is_timeout(), "the receiver hung on a large body: {e}"),
    }
    // Declared too large up front: refused without reading the body.
    let mut s = TcpStream::connect(r.addr()).await.expect("connect");
    let status = raw_status(
        &mut s,
        b"POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 104857600\r\n\r\n{",
    )
    .await
    .expect("an answer");
    assert_eq!(status, 413);
    assert_eq!(health(&c, &base(&r)).await, 200);
    let ok = c
        .post(r.webhook_url())
        .body(signed(7))
        .send()
        .await
        .expect("answers");
    assert_eq!(ok.status().as_u16(), 200);
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_do_not_block_others() {
    let r = start().await;
    let c = client();
    // Fifty clients that send headers, promise a body, then trickle it.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(r.addr()).await.expect("connect");
        s.write_all(b"POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"pay")
            .await
            .expect("write");
        slow.push(s);
    }
    // And fifty that have not finished their headers.
    for _ in 0..50 {
        let mut s = TcpStream::connect(r.addr()).await.expect("connect");
        s.write_all(b"GET /health HTTP/1.1\r\nhos")
            .await
            .expect("write");
        slow.push(s);
    }
    for i in 0..20 {
        let resp = c
            .post(r.webhook_url())
            .body(signed(100 + i))
            .send()
            .await
            .expect("a normal client is answered while slow ones wait");
        assert_eq!(resp.status().as_u16(), 200);
        for s in &mut slow {
            let _ = s.write_all(b"l").await;
        }
    }
    assert_eq!(health(&c, &base(&r)).await, 200);
    drop(slow);
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_connections_are_all_answered() {
    const N: usize = 1000;
    let r = start().await;
    // Open them all first, so they are concurrent, then ask on every one.
    let mut streams = Vec::with_capacity(N);
    for _ in 0..N {
        streams.push(TcpStream::connect(r.addr()).await.expect("connect"));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, mut s) in streams.into_iter().enumerate() {
        tasks.spawn(async move {
            let request = if i % 2 == 0 {
                b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec()
            } else {
                let body = signed(10_000 + i as u64);
                let mut req = format!(
                    "POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                req.extend_from_slice(&body);
                req
            };
            tokio::time::timeout(GUARD, raw_status(&mut s, &request)).await
        });
    }
    let mut answered = 0;
    while let Some(done) = tasks.join_next().await {
        let status = done
            .expect("task")
            .expect("answered within the hang guard")
            .expect("an HTTP answer");
        assert_eq!(status, 200);
        answered += 1;
    }
    assert_eq!(answered, N);
    assert_eq!(health(&client(), &base(&r)).await, 200);
    r.shutdown().await;
}

/// `reference-his --db` in its own process, so it can be SIGKILLed.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    fn start(db: &Path) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chup-harness"))
            .args([
                "reference-his",
                "--listen",
                "127.0.0.1:0",
                "--secret",
                SECRET,
                "--db",
            ])
            .arg(db)
            .stdout(Stdio::piped())
            .spawn()
            .expect("reference-his starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a first line").expect("utf8");
        let url = first.rsplit(' ').next().expect("url");
        Process {
            child,
            base: url.trim_end_matches("/webhook").to_owned(),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("chup-abuse-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_no_acknowledged_delivery() {
    const BURST: u64 = 400;
    const KILL_AFTER: usize = 60;
    let dir = temp("sigkill");
    let db = dir.join("his.sqlite");
    let mut first = Process::start(&db);
    let c = client();
    let url = format!("{}/webhook", first.base);
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let gate = Arc::new(tokio::sync::Semaphore::new(32));
    let mut burst = tokio::task::JoinSet::new();
    for id in 1..=BURST {
        let (c, url, acked, gate) = (c.clone(), url.clone(), acked.clone(), gate.clone());
        burst.spawn(async move {
            let _permit = gate.acquire_owned().await;
            if let Ok(resp) = c.post(&url).body(signed(id)).send().await {
                if resp.status().as_u16() == 200 {
                    acked.lock().expect("lock").insert(id);
                }
            }
        });
    }
    // Kill as soon as enough deliveries were acknowledged: mid-burst.
    let started = Instant::now();
    while acked.lock().expect("lock").len() < KILL_AFTER {
        assert!(started.elapsed() < GUARD, "the burst did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.child.kill().expect("SIGKILL");
    let _ = first.child.wait();
    while burst.join_next().await.is_some() {}
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() < BURST as usize,
        "the kill landed after the burst; nothing was tested"
    );

    let second = Process::start(&db);
    // The probe can say "no": a delivery never sent is not there.
    let never = c
        .get(format!("{}/visits/{}", second.base, BURST + 1000))
        .send()
        .await
        .expect("the restarted receiver answers");
    assert_eq!(never.status().as_u16(), 404);
    let mut lost = Vec::new();
    for id in &acked {
        let resp = c
            .get(format!("{}/visits/{id}", second.base))
            .send()
            .await
            .expect("the restarted receiver answers");
        if resp.status().as_u16() != 200 {
            lost.push(*id);
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged deliveries lost after SIGKILL: {lost:?}",
        lost.len(),
        acked.len()
    );
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}
