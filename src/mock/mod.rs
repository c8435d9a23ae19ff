//! The mock Chup Online server behind `chup-harness serve`: Chup on a
//! developer's laptop. It sends signed webhooks to a receiver under test
//! (scenarios, single events, alerts), retries them on a schedule, keeps a
//! delivery log, and serves three faces over one port:
//!
//! | path | what |
//! |---|---|
//! | `GET /` | the dashboard (`dashboard.rs`, assets compiled in) |
//! | `/control/...` | the control API (`control.rs`), JSON, bearer token when configured |
//! | `GET /openapi.json` | the OpenAPI 3.1 document of the above (`openapi.rs`) |
//! | `POST /api/v1/auth/token`, `POST /api/v1/alerts` | the mock Chup API of SPEC section 6 (`chup_api.rs`), paths configurable |
//!
//! Delivery: every send becomes a [`Delivery`] in the [`Log`] (`log.rs`,
//! memory or SQLite) and a task that plays the [`RetrySchedule`]
//! (`retry.rs`) with [`crate::transport::Transport`]. Bodies are built with
//! [`crate::signing`]; scenarios come from [`crate::scenario`], single
//! events from [`crate::generate::payload`].
//!
//! Safety: it refuses to listen on a non-loopback address without a control
//! token; request bodies are limited; the secret appears in no response,
//! page or log line (only its fingerprint does).

mod chup_api;
mod control;
mod dashboard;
mod log;
mod openapi;
mod retry;

pub use log::{Attempt, Delivery, DeliveryState, Log, LogError, Origin};
pub use retry::RetrySchedule;

use crate::model::{Payload, Record, RecordKind};
use crate::scenario::ScenarioDef;
use crate::signing::{self, Profile, Secret};
use crate::transport::{Target, TargetError, Transport};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinHandle};

/// Request bodies above this many bytes get 413 by default.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// The mock Chup API's credentials and paths (SPEC section 6).
#[derive(Clone, Debug)]
pub struct ApiConfig {
    pub auth_path: String,
    pub alerts_path: String,
    pub api_key: String,
    pub business_id: String,
    pub email: String,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            auth_path: "/api/v1/auth/token".to_owned(),
            alerts_path: "/api/v1/alerts".to_owned(),
            api_key: "chup-test-api-key".to_owned(),
            business_id: "1".to_owned(),
            email: "his@clinic.test".to_owned(),
        }
    }
}

/// How to run the mock server.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// The receiver's webhook URL (credentials in it are used and redacted).
    pub target: String,
    pub secret: Secret,
    pub profile: Profile,
    pub retry: RetrySchedule,
    /// Timeout of each attempt.
    pub timeout: Duration,
    /// Demanded as a bearer token on every control call when set; required
    /// to listen on a non-loopback address.
    pub control_token: Option<String>,
    /// Keep the delivery log in this SQLite file.
    pub db: Option<PathBuf>,
    pub max_body_bytes: usize,
    pub api: ApiConfig,
    pub scenarios: Vec<ScenarioDef>,
    /// Ids of the first scenario run start above this; each run moves up
    /// by [`crate::clinic::ID_SPAN`].
    pub id_base: u64,
}

impl MockConfig {
    /// The defaults against `target`: test secret, compact signing, the
    /// default schedule, the built-in scenarios.
    pub fn new(target: impl Into<String>) -> MockConfig {
        MockConfig {
            target: target.into(),
            secret: Secret::default(),
            profile: Profile::Compact,
            retry: RetrySchedule::default(),
            timeout: Duration::from_secs(5),
            control_token: None,
            db: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            api: ApiConfig::default(),
            scenarios: crate::scenario::builtin(),
            id_base: 100_000_000,
        }
    }
}

/// Why the mock server could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error(
        "refusing to listen on {0}, which is not a loopback address, without a control token \
         (give --control-token, or listen on 127.0.0.1)"
    )]
    OpenWithoutToken(SocketAddr),
    #[error("the control token is empty")]
    EmptyToken,
    #[error("mock Chup API path {0:?} must start with / and not clash with /control, / or /openapi.json")]
    BadPath(String),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// What every handler shares.
pub(crate) struct App {
    log: Arc<Log>,
    transport: Transport,
    target: Target,
    secret: Secret,
    profile: Profile,
    retry: RetrySchedule,
    control_token: Option<String>,
    api: ApiConfig,
    scenarios: Vec<ScenarioDef>,
    id_base: u64,
    runs: AtomicU64,
    /// Seeds of generated events: a counter over a per-server base.
    seeds: AtomicU64,
    /// Bearer tokens of the mock Chup API and when they expire (unix s).
    tokens: Mutex<HashMap<String, i64>>,
    /// Retry tasks in flight, stopped on clear and on shutdown.
    tasks: Mutex<Vec<AbortHandle>>,
    max_body: usize,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("target", &self.target.shown())
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// `{"error": "<one line>"}` with `status`.
pub(crate) fn error_response(status: StatusCode, message: &str) -> Response {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    (status, Json(serde_json::json!({ "error": line }))).into_response()
}

/// A refusal of a request: a status and a one-line reason, answered as
/// `{"error": ...}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.status, &self.message)
    }
}

/// `visits/123` for a payload that names a record.
fn record_label(p: &Payload) -> Option<String> {
    let id = p.data.id()?;
    let kind = match p.data.kind()? {
        RecordKind::Visit => "visits",
        RecordKind::Appointment => "appointments",
        RecordKind::Client => "clients",
        RecordKind::Service => "services",
        RecordKind::Staff => "staff",
    };
    Some(format!("{kind}/{id}"))
}

/// A delivery that was queued: its id, and a signal when its first attempt
/// is in the log.
pub(crate) struct Queued {
    pub id: u64,
    pub first: oneshot::Receiver<()>,
}

impl App {
    fn lock_tasks(&self) -> std::sync::MutexGuard<'_, Vec<AbortHandle>> {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Signs `payload` (any JSON, kept in its key order) under `profile`
    /// and queues it. A visit payload is remembered for alerts.
    pub(crate) fn send_value(&self, payload: &Value, profile: Profile, origin: Origin) -> Queued {
        let p = signing::encode(payload, profile);
        let signature = signing::sign(&p, &self.secret);
        let mut body = Vec::with_capacity(p.len() + 96);
        signing::write_body(&p, &signature, &mut body);
        let typed = crate::model::parse_payload(payload.clone(), "payload").ok();
        let event = payload
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or("(no event)")
            .to_owned();
        let record = typed.as_ref().and_then(record_label);
        if let Some(t) = &typed {
            if let Record::Visit(v) = &t.data {
                if let Some(id) = v.id.value() {
                    self.log.remember_visit(id, t);
                }
            }
        }
        self.queue(body, event, record, profile.as_str(), signature, origin)
    }

    /// Queues exact bytes already signed.
    pub(crate) fn queue(
        &self,
        body: Vec<u8>,
        event: String,
        record: Option<String>,
        signing: &str,
        signature: String,
        origin: Origin,
    ) -> Queued {
        let id = self.log.insert(Delivery {
            id: 0,
            created_unix_ms: retry::now_ms(),
            origin,
            event,
            record,
            target: self.target.shown().to_owned(),
            signing: signing.to_owned(),
            signature,
            request: String::from_utf8_lossy(&body).into_owned(),
            state: DeliveryState::Pending,
            attempts: Vec::new(),
            next_attempt_unix_ms: None,
        });
        let (tx, first) = oneshot::channel();
        let task = tokio::spawn(retry::play(
            self.log.clone(),
            self.transport.clone(),
            self.target.clone(),
            self.retry.clone(),
            id,
            body,
            Some(tx),
        ));
        let mut tasks = self.lock_tasks();
        tasks.retain(|t| !t.is_finished());
        tasks.push(task.abort_handle());
        Queued { id, first }
    }

    /// Stops every retry in flight.
    fn stop_retries(&self) {
        for t in self.lock_tasks().drain(..) {
            t.abort();
        }
    }
}

/// The server's routes.
pub fn router(config: MockConfig) -> Result<Router, MockError> {
    Ok(routes(Arc::new(app(config)?)))
}

fn app(config: MockConfig) -> Result<App, MockError> {
    if config.control_token.as_deref() == Some("") {
        return Err(MockError::EmptyToken);
    }
    for path in [&config.api.auth_path, &config.api.alerts_path] {
        let clashes = !path.starts_with('/')
            || path == "/"
            || path.starts_with("/control")
            || path.starts_with("/assets")
            || path == "/openapi.json"
            || path.contains('{');
        if clashes {
            return Err(MockError::BadPath(path.clone()));
        }
    }
    if config.api.auth_path == config.api.alerts_path {
        return Err(MockError::BadPath(config.api.alerts_path.clone()));
    }
    let target = Target::parse(&config.target)?;
    let transport = Transport::new(config.timeout, Vec::new())?;
    let log = match &config.db {
        Some(path) => Log::open(path)?,
        None => Log::in_memory(),
    };
    let seeds = retry::now_ms() as u64;
    Ok(App {
        log: Arc::new(log),
        transport,
        target,
        secret: config.secret,
        profile: config.profile,
        retry: config.retry,
        control_token: config.control_token,
        api: config.api,
        scenarios: config.scenarios,
        id_base: config.id_base,
        runs: AtomicU64::new(0),
        seeds: AtomicU64::new(seeds),
        tokens: Mutex::new(HashMap::new()),
        tasks: Mutex::new(Vec::new()),
        max_body: config.max_body_bytes,
    })
}

fn routes(app: Arc<App>) -> Router {
    let control = control::routes(app.clone());
    Router::new()
        .route("/", get(dashboard::index))
        .route("/assets/app.js", get(dashboard::script))
        .route("/assets/style.css", get(dashboard::style))
        .route("/openapi.json", get(openapi::handle))
        .route(&app.api.auth_path, post(chup_api::token))
        .route(&app.api.alerts_path, post(chup_api::alert))
        .nest("/control", control)
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .layer(DefaultBodyLimit::max(app.max_body))
        .layer(axum::middleware::from_fn({
            let limit = app.max_body;
            move |req, next| crate::body_limit::refuse_declared_oversize(req, next, limit)
        }))
        .with_state(app)
}

/// A mock server serving in a background task.
#[derive(Debug)]
pub struct RunningMock {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Binds `listen` (port 0 picks a free port) and serves in a spawned task.
/// Refuses a non-loopback address without a control token.
pub async fn start(config: MockConfig, listen: SocketAddr) -> Result<RunningMock, MockError> {
    if !listen.ip().is_loopback() && config.control_token.is_none() {
        return Err(MockError::OpenWithoutToken(listen));
    }
    let app = Arc::new(app(config)?);
    let router = routes(app.clone());
    let bind = |source| MockError::Bind {
        addr: listen,
        source,
    };
    let listener = TcpListener::bind(listen).await.map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stop.await;
            })
            .await
    });
    Ok(RunningMock {
        addr,
        app,
        shutdown,
        task,
    })
}

impl RunningMock {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (loopback when listening on all interfaces).
    pub fn url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// The target as shown (credentials redacted).
    pub fn target_shown(&self) -> &str {
        self.app.target.shown()
    }

    /// Stops retries and the server, letting requests in flight finish.
    pub async fn shutdown(self) {
        self.app.stop_retries();
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}
