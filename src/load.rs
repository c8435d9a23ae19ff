//! Load mode: valid signed Chup deliveries at a constant arrival rate (an
//! open model), with latency measured from each delivery's *intended* send
//! time, as wrk2 does, so a receiver that stalls is charged for the queue it
//! causes instead of hiding it (coordinated omission). Latencies go into HDR
//! histograms; the run reports throughput achieved, percentiles and errors
//! by kind. Memory stays flat: there is no queue, only the index of the
//! next delivery, and each body is built by the worker that sends it.

use crate::generate;
use crate::model::{DialectMode, EventName, Id, Payload};
use crate::rng::Rng;
use crate::runner::{self, RunError, SCENARIO_ID_SPAN};
use crate::scenario::{self, CompileCtx, ScenarioDef};
use crate::signing::{self, Profile, Secret};
use crate::transport::{ErrorKind, Target, Transport};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the deliveries are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mix {
    /// Single events of the whole catalogue, generated at random.
    Events,
    /// The steps of the standard scenarios, in order, scenario after scenario.
    Scenarios,
}

#[derive(Clone, Debug)]
pub struct LoadConfig {
    pub target: Target,
    pub secret: Secret,
    pub profile: Profile,
    /// Deliveries per second.
    pub rate: f64,
    pub duration: Duration,
    /// Deliveries in flight at once at most.
    pub connections: usize,
    pub mix: Mix,
    pub timeout: Duration,
    pub seed: u64,
    pub id_base: u64,
    pub start_unix: i64,
    pub headers: Vec<(String, String)>,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    fn of(h: &Histogram<u64>) -> Percentiles {
        let ms = |us: u64| us as f64 / 1000.0;
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }
}

/// How many failed deliveries a report keeps as samples.
pub const FAILURE_SAMPLES: usize = 5;

/// One delivery that was not a 2xx, kept as a sample with what came back.
#[derive(Clone, Debug, Serialize)]
pub struct LoadFailure {
    pub event: String,
    pub record: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: f64,
    pub body: String,
}

/// The outcome of a load run.
#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    pub target: String,
    pub mix: Mix,
    pub rate_requested: f64,
    pub duration_s: f64,
    pub connections: usize,
    pub seed: u64,
    pub secret_fingerprint: String,
    /// Deliveries whose intended send time fell inside the run.
    pub scheduled: u64,
    /// Deliveries that got an answer or a transport error.
    pub completed: u64,
    /// Deliveries still queued when the run's deadline passed, never sent.
    pub not_sent: u64,
    /// Completed deliveries per second of the run (until the last one completed).
    pub throughput: f64,
    /// From each delivery's intended send time (corrected for coordinated omission).
    pub latency_ms: Percentiles,
    /// From the moment each request was actually sent (what a closed-loop tool shows).
    pub service_ms: Percentiles,
    /// Answers by status class (`2xx`, `4xx`, ...).
    pub statuses: BTreeMap<String, u64>,
    /// Failures by kind: `HTTP 5xx`, `timed out`, `connection failed`, ...
    pub errors: BTreeMap<String, u64>,
    /// The first few deliveries that were not answered 2xx.
    pub failures: Vec<LoadFailure>,
}

impl LoadReport {
    /// True when no delivery met a 5xx, a transport error or the deadline.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.not_sent == 0
    }
}

/// A live progress sample, once a second.
#[derive(Clone, Debug)]
pub struct Progress {
    pub elapsed: Duration,
    pub scheduled: u64,
    pub completed: u64,
    pub errors: u64,
}

/// Builds the body of delivery `i`.
struct Source {
    mix: Mix,
    seed: u64,
    id_base: u64,
    start_unix: i64,
    profile: Profile,
    secret: Secret,
    scenarios: Vec<ScenarioDef>,
    queue: VecDeque<Payload>,
    round: u64,
}

impl Source {
    fn next_payload(&mut self, i: u64) -> Payload {
        match self.mix {
            Mix::Events => {
                let mut rng = Rng::new(self.seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let event = *rng.pick(&EventName::ALL);
                let mut p = generate::payload(event, DialectMode::Seed, &mut rng);
                p.data.set_id(Id::Num(self.id_base + i));
                p
            }
            Mix::Scenarios => loop {
                if let Some(p) = self.queue.pop_front() {
                    return p;
                }
                if self.scenarios.is_empty() {
                    let mut rng = Rng::new(self.seed ^ i);
                    return generate::payload(
                        EventName::LiveQueueCreated,
                        DialectMode::Seed,
                        &mut rng,
                    );
                }
                let s = &self.scenarios[(self.round % self.scenarios.len() as u64) as usize];
                let ctx = CompileCtx {
                    id_base: self.id_base + (self.round + 1) * SCENARIO_ID_SPAN,
                    start_unix: self.start_unix,
                };
                self.round += 1;
                // The built-ins compile (a test guards it); a step list that
                // does not is skipped rather than stopping the load.
                if let Ok(steps) = s.compile(&ctx) {
                    self.queue.extend(steps.into_iter().map(|s| s.payload));
                }
            },
        }
    }

    /// The body of delivery `i`, and its event and record for reports.
    fn body(&mut self, i: u64) -> (String, String, Vec<u8>) {
        let p = self.next_payload(i);
        let record = p.data.id().map(|id| id.to_string()).unwrap_or_default();
        let body = signing::signed_body(&p, self.profile, &self.secret);
        (p.event, record, body)
    }
}

/// What one delivery met.
struct Fired {
    status: Option<u16>,
    error: Option<(ErrorKind, String)>,
    body: Vec<u8>,
}

/// The HTTP client of one load worker. Plain-http targets without
/// credentials get a connection of the worker's own, driven by hyper
/// directly, as oha does: the per-request overhead of a pooled general
/// client is what a load tool must not add. Anything else (https,
/// user:pass@, extra headers) goes through the run's `Transport`.
enum Fire {
    Direct {
        addr: String,
        uri: hyper::Uri,
        timeout: Duration,
        conn: Option<hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>>,
    },
    Transport(Transport, reqwest::Url),
}

impl Fire {
    fn new(
        target: &Target,
        transport: Transport,
        timeout: Duration,
        headers: &[(String, String)],
    ) -> Fire {
        let url = target.url();
        let plain = url.scheme() == "http" && url.username().is_empty() && url.password().is_none();
        let addr = url
            .host_str()
            .map(|h| format!("{}:{}", h, url.port_or_known_default().unwrap_or(80)));
        match (url.as_str().parse::<hyper::Uri>(), addr) {
            (Ok(uri), Some(addr)) if plain && headers.is_empty() => Fire::Direct {
                addr,
                uri,
                timeout,
                conn: None,
            },
            _ => Fire::Transport(transport, url.clone()),
        }
    }

    async fn post(&mut self, body: Vec<u8>) -> Fired {
        match self {
            Fire::Transport(t, url) => {
                let d = t.post(url, body).await;
                Fired {
                    status: d.status(),
                    body: d.answer.map(|a| a.body).unwrap_or_default(),
                    error: d.error,
                }
            }
            Fire::Direct {
                addr,
                uri,
                timeout,
                conn,
            } => {
                let timeout = *timeout;
                let outcome = tokio::time::timeout(timeout, exchange(addr, uri, conn, body)).await;
                let failed = |error| Fired {
                    status: None,
                    error: Some(error),
                    body: Vec::new(),
                };
                match outcome {
                    Ok(Ok((status, body))) => Fired {
                        status: Some(status),
                        error: None,
                        body,
                    },
                    Ok(Err(e)) => {
                        *conn = None;
                        failed(e)
                    }
                    Err(_) => {
                        // The connection may be mid-answer: never reuse it.
                        *conn = None;
                        failed((
                            ErrorKind::Timeout,
                            format!(
                                "no complete answer within {}",
                                crate::duration::show(timeout)
                            ),
                        ))
                    }
                }
            }
        }
    }
}

/// One POST on the worker's connection, opening it first when needed.
async fn exchange(
    addr: &str,
    uri: &hyper::Uri,
    conn: &mut Option<hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>>,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>), (ErrorKind, String)> {
    use http_body_util::BodyExt;
    if !conn.as_ref().is_some_and(|c| !c.is_closed()) {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| (ErrorKind::Connect, e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| (ErrorKind::Protocol, e.to_string()))?;
        tokio::spawn(async move {
            // Ends when the worker drops its sender or the peer closes.
            let _ = connection.await;
        });
        *conn = Some(sender);
    }
    let sender = conn
        .as_mut()
        .ok_or_else(|| (ErrorKind::Other, "no connection".to_owned()))?;
    sender
        .ready()
        .await
        .map_err(|e| (ErrorKind::Protocol, e.to_string()))?;
    let req = hyper::Request::post(uri.clone())
        .header(
            hyper::header::HOST,
            uri.authority().map(|a| a.as_str()).unwrap_or_default(),
        )
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("chup-harness/", env!("CARGO_PKG_VERSION")),
        )
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .map_err(|e| (ErrorKind::Other, e.to_string()))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| (ErrorKind::Protocol, e.to_string()))?;
    let status = resp.status().as_u16();
    // Read the answer whole (up to a cap) so the connection can be reused.
    let body = http_body_util::Limited::new(resp.into_body(), crate::transport::DEFAULT_BODY_CAP)
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .map_err(|e| (ErrorKind::Protocol, e.to_string()))?;
    Ok((status, body))
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to one hour, 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("these bounds are valid")
}

struct Tally {
    latency: Histogram<u64>,
    service: Histogram<u64>,
    statuses: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    completed: u64,
    last_done: Option<Instant>,
    failures: Vec<LoadFailure>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            latency: new_histogram(),
            service: new_histogram(),
            statuses: BTreeMap::new(),
            errors: BTreeMap::new(),
            completed: 0,
            last_done: None,
            failures: Vec::new(),
        }
    }

    fn merge(&mut self, o: Tally) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.latency.add(&o.latency);
        let _ = self.service.add(&o.service);
        for (k, v) in o.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.completed += o.completed;
        self.last_done = self.last_done.max(o.last_done);
        let room = FAILURE_SAMPLES.saturating_sub(self.failures.len());
        self.failures.extend(o.failures.into_iter().take(room));
    }
}

/// Runs the load. `progress` receives a sample each second.
pub async fn run(
    config: LoadConfig,
    progress: Option<mpsc::UnboundedSender<Progress>>,
) -> Result<LoadReport, RunError> {
    if !(config.rate > 0.0 && config.rate.is_finite()) {
        return Err(RunError::Config(format!(
            "--rate {} must be a positive number",
            config.rate
        )));
    }
    let transport = Transport::new(config.timeout, config.headers.clone())
        .map_err(|e| RunError::Config(e.to_string()))?;
    runner::preflight(&config.target, config.timeout).await?;
    let new_source = || Source {
        mix: config.mix,
        seed: config.seed,
        id_base: config.id_base,
        start_unix: config.start_unix,
        profile: config.profile,
        secret: config.secret.clone(),
        scenarios: if config.mix == Mix::Scenarios {
            scenario::builtin()
        } else {
            Vec::new()
        },
        queue: VecDeque::new(),
        round: 0,
    };
    // Events are a pure function of (seed, i): each worker builds its own.
    // Scenario steps must go out in order: one source, shared.
    let shared = (config.mix == Mix::Scenarios).then(|| Arc::new(Mutex::new(new_source())));

    let start = Instant::now() + Duration::from_millis(20);
    // Delivery i is due at i / rate seconds; those due before the end count.
    let total = (config.rate * config.duration.as_secs_f64()).ceil() as u64;
    let rate = config.rate;
    let due_at = move |i: u64| start + Duration::from_secs_f64(i as f64 / rate);
    // A delivery not sent this long after the end never is.
    let deadline = start + config.duration + config.timeout;
    // The next delivery to claim. A worker claims one when it is free; if
    // the delivery is not due yet it waits for its time, and if it is
    // overdue (every worker was busy) its latency still counts from when it
    // was due: an open model without a queue to hold in memory.
    let next = Arc::new(AtomicU64::new(0));
    let completed = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));

    // What a receiver echoes back must not carry the secret or credentials
    // into the report (see `runner::scrub`).
    let scrub = Arc::new(crate::runner::scrub::Scrub::new(
        &config.secret,
        &[config.target.url().as_str()],
        &config.headers,
    ));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..config.connections.max(1) {
        let scrub = scrub.clone();
        let mut fire = Fire::new(
            &config.target,
            transport.clone(),
            config.timeout,
            &config.headers,
        );
        let (next, shared) = (next.clone(), shared.clone());
        let mut own = shared.is_none().then(new_source);
        let (completed, failed) = (completed.clone(), failed.clone());
        workers.spawn(async move {
            let mut t = Tally::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let intended = due_at(i);
                if intended > Instant::now() {
                    tokio::time::sleep_until(intended).await;
                }
                if Instant::now() > deadline {
                    // Every later delivery is past the deadline too.
                    next.store(total, Ordering::Relaxed);
                    break;
                }
                let (event, record, body) = match (&mut own, &shared) {
                    (Some(src), _) => src.body(i),
                    (None, Some(src)) => match src.lock() {
                        Ok(mut src) => src.body(i),
                        Err(_) => break,
                    },
                    (None, None) => break,
                };
                let sent_at = Instant::now();
                let d = fire.post(body).await;
                let done = Instant::now();
                let _ = t
                    .latency
                    .record((done - intended).as_micros().max(1) as u64);
                let _ = t.service.record((done - sent_at).as_micros().max(1) as u64);
                match d.status {
                    Some(s) => {
                        *t.statuses.entry(format!("{}xx", s / 100)).or_default() += 1;
                        if s >= 500 {
                            *t.errors.entry(format!("HTTP {s}")).or_default() += 1;
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    None => {
                        let kind = d
                            .error
                            .as_ref()
                            .map(|(k, _)| k.to_string())
                            .unwrap_or_default();
                        *t.errors.entry(kind).or_default() += 1;
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if !d.status.is_some_and(|s| (200..300).contains(&s))
                    && t.failures.len() < FAILURE_SAMPLES
                {
                    t.failures.push(LoadFailure {
                        event,
                        record,
                        status: d.status,
                        error: d
                            .error
                            .as_ref()
                            .map(|(k, m)| scrub.text(&format!("{k}: {m}"))),
                        latency_ms: (done - intended).as_secs_f64() * 1000.0,
                        body: scrub.text(&crate::runner::truncate_line(
                            &String::from_utf8_lossy(&d.body),
                            300,
                        )),
                    });
                }
                t.completed += 1;
                t.last_done = Some(done);
                completed.fetch_add(1, Ordering::Relaxed);
            }
            t
        });
    }

    if let Some(p) = progress {
        let (next, completed, failed) = (next.clone(), completed.clone(), failed.clone());
        tokio::spawn(async move {
            let mut tick = start + Duration::from_secs(1);
            while next.load(Ordering::Relaxed) < total {
                tokio::time::sleep_until(tick).await;
                let sample = Progress {
                    elapsed: Instant::now() - start,
                    scheduled: next.load(Ordering::Relaxed).min(total),
                    completed: completed.load(Ordering::Relaxed),
                    errors: failed.load(Ordering::Relaxed),
                };
                if p.send(sample).is_err() {
                    break;
                }
                tick += Duration::from_secs(1);
            }
        });
    }

    let mut tally = Tally::new();
    while let Some(t) = workers.join_next().await {
        if let Ok(t) = t {
            tally.merge(t);
        }
    }
    let busy = tally
        .last_done
        .map(|d| d.saturating_duration_since(start))
        .unwrap_or_default();
    let secret_fingerprint = config.secret.fingerprint();
    Ok(LoadReport {
        target: config.target.shown().to_owned(),
        mix: config.mix,
        rate_requested: config.rate,
        duration_s: config.duration.as_secs_f64(),
        connections: config.connections.max(1),
        seed: config.seed,
        secret_fingerprint,
        scheduled: total,
        completed: tally.completed,
        not_sent: total - tally.completed,
        throughput: if busy.is_zero() {
            0.0
        } else {
            tally.completed as f64 / busy.as_secs_f64()
        },
        latency_ms: Percentiles::of(&tally.latency),
        service_ms: Percentiles::of(&tally.service),
        statuses: tally.statuses,
        errors: tally.errors,
        failures: tally.failures,
    })
}

/// The terminal summary of a load run.
pub fn summary(r: &LoadReport) -> String {
    let pct = |p: &Percentiles| {
        format!(
            "p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  mean {:.2}",
            p.p50, p.p90, p.p99, p.p999, p.max, p.mean
        )
    };
    let mut s = format!(
        "load against {} ({:?} mix, secret {})\n\
         requested {:.0}/s for {:.1} s over {} connections: {} scheduled, {} completed, {} not sent\n\
         throughput achieved: {:.1}/s\n\
         latency ms (from intended send time): {}\n\
         service ms (from actual send time):   {}\n",
        r.target,
        r.mix,
        r.secret_fingerprint,
        r.rate_requested,
        r.duration_s,
        r.connections,
        r.scheduled,
        r.completed,
        r.not_sent,
        r.throughput,
        pct(&r.latency_ms),
        pct(&r.service_ms),
    );
    let statuses: Vec<String> = r.statuses.iter().map(|(k, v)| format!("{k} {v}")).collect();
    s.push_str(&format!(
        "answers: {}\n",
        if statuses.is_empty() {
            "none".to_owned()
        } else {
            statuses.join(", ")
        }
    ));
    if r.errors.is_empty() {
        s.push_str("errors: none\n");
    } else {
        let errors: Vec<String> = r.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        s.push_str(&format!("errors: {}\n", errors.join(", ")));
    }
    s
}
