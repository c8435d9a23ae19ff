//! Hostile receivers: each a hand-written loopback TCP server that breaks
//! HTTP in its own way. Against every one, `chup-harness run` must end
//! within a bound computed from its timeout, with exit code 1 (a failed
//! check) or 3 (unreachable, or stopped answering), a named outcome, and no
//! panic. The bound is a hang guard, not a performance assertion.

use std::future::Future;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every run below uses this per-delivery timeout...
const TIMEOUT: &str = "1s";
/// ...and must end within this: preflight, one or two waves of parallel
/// deliveries before the circuit breaker trips, and generous slack for a
/// loaded CI machine. A run that took (deliveries x timeout) would need
/// well over 200 s.
const BOUND: Duration = Duration::from_secs(60);

/// Serves `behave` on every connection of a fresh loopback listener.
async fn hostile<F, Fut>(behave: F) -> (String, tokio::task::JoinHandle<()>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let behave = Arc::new(behave);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(behave(stream));
        }
    });
    (format!("{addr}"), task)
}

/// Reads one request: headers, then Content-Length bytes of body.
async fn read_request(s: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < len {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        have += n;
    }
    Ok(())
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("chup-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Runs the suite against `target` and waits at most [`BOUND`]; a run still
/// going then is killed and the test fails.
async fn run_against(tag: &str, target: &str) -> (Output, Option<serde_json::Value>) {
    let dir = temp(tag);
    let mut child = Command::new(env!("CARGO_BIN_EXE_chup-harness"))
        .args(["run", "--target", target, "--timeout", TIMEOUT])
        .args(["--skip", "snapshot-match", "--json", "report.json"])
        .env_remove("CHUP_SECRET")
        .env("CI", "true")
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Drain the pipes while waiting, so a long report cannot block the child.
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out_pipe, &mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err_pipe, &mut v);
        v
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("run against the {tag} receiver did not end within {BOUND:?}: it hangs");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let report = std::fs::read_to_string(dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let _ = std::fs::remove_dir_all(&dir);
    let out = Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    };
    (out, report)
}

/// The common verdict: exit 1 or 3, no panic, and `named` said somewhere.
/// The JSON report is written whatever the outcome.
fn assert_named_outcome(
    tag: &str,
    (out, report): &(Output, Option<serde_json::Value>),
    codes: &[i32],
    named: &str,
) {
    assert!(report.is_some(), "{tag}: no JSON report was written");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().unwrap_or(-1);
    assert!(
        codes.contains(&code),
        "{tag}: exit {code}, expected one of {codes:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{tag}: panic\n{stderr}");
    assert!(
        stdout.contains(named) || stderr.contains(named),
        "{tag}: no {named:?} in the output\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_stops_the_run_with_exit_3() {
    let (addr, server) = hostile(|mut s| async move {
        // Take the request, then hold the connection open in silence.
        let mut sink = [0u8; 16 * 1024];
        while let Ok(n) = s.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    let run = run_against("silent", &format!("http://{addr}/webhook")).await;
    assert_named_outcome("silent", &run, &[3], "timed out");
    let (out, report) = run;
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped answering"));
    // The reports are written all the same, and say why the run stopped.
    let report = report.expect("a JSON report");
    let reason = report["stopped"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("consecutive timeouts"), "{reason}");
    assert!(report["stopped"]["skipped"].as_u64().unwrap_or(0) > 0);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_one_byte_per_second_times_out() {
    let (addr, server) = hostile(|mut s| async move {
        if read_request(&mut s).await.is_err() {
            return;
        }
        let answer =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        for b in answer {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let run = run_against("trickle", &format!("http://{addr}/webhook")).await;
    assert_named_outcome("trickle", &run, &[3], "timed out");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_resets_mid_body_is_a_broken_exchange() {
    let (addr, server) = hostile(|mut s| async move {
        if read_request(&mut s).await.is_err() {
            return;
        }
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"status\":")
            .await;
        let _ = s.flush().await;
        // Linger 0: closing sends a TCP reset, not an orderly FIN. (The
        // deprecation is about blocking on drop with a non-zero linger.)
        #[allow(deprecated)]
        let _ = s.set_linger(Some(Duration::ZERO));
        drop(s);
    })
    .await;
    let run = run_against("reset", &format!("http://{addr}/webhook")).await;
    assert_named_outcome("reset", &run, &[3], "broken HTTP exchange");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_answer_is_read_only_up_to_the_cap() {
    const HUNDRED_MB: usize = 100 * 1024 * 1024;
    let largest = Arc::new(AtomicUsize::new(0));
    let seen = largest.clone();
    let (addr, server) = hostile(move |mut s| {
        let seen = seen.clone();
        async move {
            if read_request(&mut s).await.is_err() {
                return;
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {HUNDRED_MB}\r\n\r\n"
            );
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < HUNDRED_MB {
                if s.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            seen.fetch_max(sent, Ordering::SeqCst);
        }
    })
    .await;
    let run = run_against("huge", &format!("http://{addr}/webhook")).await;
    // Every answer is a 200, so the rejection checks fail: exit 1, and the
    // reason names the status.
    assert_named_outcome("huge", &run, &[1], "answered 200, expected");
    let most = largest.load(Ordering::SeqCst);
    assert!(
        most < HUNDRED_MB,
        "a 100 MB body was read to its end ({most} bytes written)"
    );
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_speaking_invalid_http_is_a_broken_exchange() {
    let (addr, server) = hostile(|mut s| async move {
        if read_request(&mut s).await.is_err() {
            return;
        }
        let _ = s
            .write_all(b"HELLO FRIEND\r\nthis is not http\r\n\r\n")
            .await;
    })
    .await;
    let run = run_against("garbage", &format!("http://{addr}/webhook")).await;
    assert_named_outcome("garbage", &run, &[3], "broken HTTP exchange");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_is_named_and_never_followed() {
    let followed = Arc::new(AtomicUsize::new(0));
    let count = followed.clone();
    let (addr, server) = hostile(move |mut s| {
        let count = count.clone();
        async move {
            if read_request(&mut s).await.is_err() {
                return;
            }
            count.fetch_add(1, Ordering::SeqCst);
            let _ = s
                .write_all(b"HTTP/1.1 307 Temporary Redirect\r\nlocation: /webhook?token=loop-token\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
    })
    .await;
    let run = run_against("redirect", &format!("http://{addr}/webhook")).await;
    assert_named_outcome("redirect", &run, &[1], "redirect not followed");
    let stdout = String::from_utf8_lossy(&run.0.stdout);
    assert!(
        !stdout.contains("loop-token"),
        "the Location's query value is shown"
    );
    // One request per delivery: the loop was not followed.
    let deliveries: usize = stdout
        .lines()
        .find_map(|l| l.split(" | ").find_map(|p| p.strip_suffix(" s")))
        .and_then(|p| p.split(' ').next()?.parse().ok())
        .expect("the result line counts deliveries");
    assert_eq!(followed.load(Ordering::SeqCst), deliveries);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_spoken_to_a_plain_tcp_port_fails_to_connect() {
    let (addr, server) = hostile(|mut s| async move {
        // A plain HTTP server's answer to a TLS ClientHello.
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let _ = s
            .write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await;
    })
    .await;
    let run = run_against("tls", &format!("https://{addr}/webhook")).await;
    assert_named_outcome("tls", &run, &[3], "connection failed");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_after_10_s_times_out() {
    let (addr, server) = hostile(|mut s| async move {
        if read_request(&mut s).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
            .await;
    })
    .await;
    let run = run_against("late", &format!("http://{addr}/webhook")).await;
    assert_named_outcome("late", &run, &[3], "timed out");
    server.abort();
}
