//! The mock Chup Online server under abuse: oversized bodies, slow clients
//! and 1,000 concurrent connections leave it up and answering its control
//! API and mock Chup API. Waits are bounded hang guards, never timing
//! assertions.

use chup_harness::mock::{self, MockConfig, RunningMock};
use chup_harness::reference::{self, ReferenceConfig, RunningReference};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GUARD: Duration = Duration::from_secs(30);

async fn start() -> (RunningMock, RunningReference) {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let r = reference::start(ReferenceConfig::default(), loopback)
        .await
        .expect("reference");
    let m = mock::start(MockConfig::new(r.webhook_url()), loopback)
        .await
        .expect("mock server");
    (m, r)
}

/// Sends a raw request and reads the status code of the answer.
async fn raw_status(stream: &mut TcpStream, request: &[u8]) -> std::io::Result<u16> {
    stream.write_all(request).await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text:?}")))
}

async fn openapi_status(m: &RunningMock) -> u16 {
    reqwest::get(format!("{}/openapi.json", m.url()))
        .await
        .expect("answers")
        .status()
        .as_u16()
}

fn event_request(connection_close: bool) -> Vec<u8> {
    let body = br#"{"event":"client_created"}"#;
    let mut req = format!(
        "POST /control/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n",
        body.len(),
        if connection_close { "connection: close\r\n" } else { "" }
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_gets_413_and_the_server_still_answers() {
    let (m, r) = start().await;
    let c = reqwest::Client::new();
    let body = vec![b'x'; 8 << 20];
    match c
        .post(format!("{}/control/events", m.url()))
        .body(body)
        .send()
        .await
    {
        Ok(resp) => assert_eq!(resp.status().as_u16(), 413),
        Err(e) => assert!(!e.is_timeout(), "the server hung on a large body: {e}"),
    }
    // Declared far too large and never sent: refused at once, not held open.
    let mut s = TcpStream::connect(m.addr()).await.expect("connect");
    let status = tokio::time::timeout(
        GUARD,
        raw_status(
            &mut s,
            b"POST /api/v1/alerts HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 104857600\r\n\r\n{",
        ),
    )
    .await
    .expect("answered within the hang guard")
    .expect("an answer");
    assert_eq!(status, 413);
    assert_eq!(openapi_status(&m).await, 200);
    let ok = c
        .post(format!("{}/control/events", m.url()))
        .json(&serde_json::json!({"event": "live_queue_created"}))
        .send()
        .await
        .expect("answers");
    assert!(ok.status().is_success(), "{}", ok.status());
    m.shutdown().await;
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_do_not_block_others() {
    let (m, r) = start().await;
    let mut slow = Vec::new();
    for i in 0..100 {
        let mut s = TcpStream::connect(m.addr()).await.expect("connect");
        let partial: &[u8] = if i % 2 == 0 {
            b"POST /control/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"ev"
        } else {
            b"GET /openapi.json HTTP/1.1\r\nhos"
        };
        s.write_all(partial).await.expect("write");
        slow.push(s);
    }
    for _ in 0..20 {
        let mut s = TcpStream::connect(m.addr()).await.expect("connect");
        let status = tokio::time::timeout(GUARD, raw_status(&mut s, &event_request(true)))
            .await
            .expect("a normal client is answered while slow ones wait")
            .expect("an answer");
        assert!((200..300).contains(&status), "{status}");
        for s in &mut slow {
            let _ = s.write_all(b"e").await;
        }
    }
    assert_eq!(openapi_status(&m).await, 200);
    drop(slow);
    m.shutdown().await;
    r.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_connections_are_all_answered() {
    const N: usize = 1000;
    let (m, r) = start().await;
    let mut streams = Vec::with_capacity(N);
    for _ in 0..N {
        streams.push(TcpStream::connect(m.addr()).await.expect("connect"));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, mut s) in streams.into_iter().enumerate() {
        tasks.spawn(async move {
            let request = if i % 2 == 0 {
                b"GET /openapi.json HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec()
            } else {
                event_request(true)
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
        assert!((200..300).contains(&status), "{status}");
        answered += 1;
    }
    assert_eq!(answered, N);
    assert_eq!(openapi_status(&m).await, 200);
    m.shutdown().await;
    r.shutdown().await;
}
