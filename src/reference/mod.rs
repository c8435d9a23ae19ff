//! The reference receiver: a correct HIS webhook receiver for Chup Online
//! (SPEC section 4) with the optional state probe (SPEC section 5). It is the
//! default target of `chup-harness run`, and it is written to be read: a
//! clinic's developers can copy its decisions.
//!
//! # Routes and answers
//!
//! | request | answer |
//! |---|---|
//! | `POST /webhook`, body over `max_body_bytes` (at once if its `Content-Length` declares over 16 times that) | 413 |
//! | body not a JSON object, or no `payload` object in it | 400 |
//! | signature missing, not a string, not hex, not 64 digits, or wrong | 401 |
//! | signed payload the model cannot read (the error names the field path) | 422 |
//! | signed `live_queue_*` / `appointment_*` event | 200, effect `applied`, `stale` or `duplicate` |
//! | signed event of any other name (`client_*`, `service_*`, `staff_*`, unknown) | 200, effect `ignored` |
//! | `GET /visits/{id}`, `GET /appointments/{id}` | 200 with the record; 404 if unknown or deleted |
//! | `GET /health` | 200 |
//! | anything else | 404 or 405 |
//!
//! A 200 body is `{"status":"accepted","event":"<event>","effect":"<effect>"}`
//! and holds nothing that differs between runs. Every 4xx and 5xx body is
//! `{"error":"<one line>"}`.
//!
//! # How it stays correct
//!
//! - **Signature** is checked against the payload's raw bytes as they stand
//!   in the body (SPEC section 2), never against a re-encoding of our own.
//! - **Idempotency**: a delivery's key is the SHA-256 of those raw bytes; a
//!   key seen before answers `duplicate` and changes nothing.
//! - **Ordering**: a visit is keyed by `("visits", id)`, an appointment by
//!   `("appointments", id)`, whether the id came as a number or a string. A
//!   change applies only if its `data.updated_at` is at or after the stored
//!   one (last writer wins by the sender's clock); otherwise `stale`. A
//!   `*_deleted` leaves a tombstone with its `updated_at`, so a late, older
//!   update cannot bring the record back.
//! - **Acknowledged means committed**: each delivery's effect is one SQLite
//!   transaction, committed before the 200 is written. With a database file
//!   the journal is WAL with `synchronous=FULL`; without one it is in memory.
//! - **Verbatim content**: `data` is stored as JSON text through bound
//!   parameters and served back as is.
//!
//! Nothing is logged, so the secret cannot leak through a log line.
//!
//! [`Faults`] switch on deliberate bugs for the harness's own tests; see
//! `faults.rs`. SQL lives in `store.rs`, the webhook steps in `webhook.rs`.

mod faults;
mod probe;
mod store;
mod webhook;

pub use faults::Faults;

use crate::signing::Secret;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The body limit by default: SPEC section 4 item 9 lets a receiver refuse
/// bodies over 1 MiB, and a 256 KiB note must pass.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// How to run the reference receiver.
#[derive(Clone, Debug)]
pub struct ReferenceConfig {
    /// The clinic's secret key that signatures are checked against.
    pub secret: Secret,
    /// A SQLite database file; `None` keeps everything in memory.
    pub db: Option<PathBuf>,
    /// Bodies above this many bytes get 413.
    pub max_body_bytes: usize,
    /// Deliberate bugs, for testing the harness; none by default.
    pub faults: Faults,
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        ReferenceConfig {
            secret: Secret::default(),
            db: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            faults: Faults::default(),
        }
    }
}

/// Why the reference receiver could not start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("cannot open the database {}", path.display())]
    Db {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the server failed")]
    Serve(#[source] io::Error),
}

/// What every handler shares.
struct App {
    secret: Secret,
    faults: Faults,
    store: Store,
}

/// The receiver's routes over a freshly opened database.
pub fn router(config: ReferenceConfig) -> Result<Router, ReferenceError> {
    let store = Store::open(config.db.as_deref()).map_err(|source| ReferenceError::Db {
        path: config
            .db
            .clone()
            .unwrap_or_else(|| PathBuf::from(":memory:")),
        source,
    })?;
    let app = Arc::new(App {
        secret: config.secret,
        faults: config.faults,
        store,
    });
    Ok(Router::new()
        .route("/webhook", post(webhook::handle))
        .route("/health", get(health))
        .route("/{kind}/{id}", get(probe::handle))
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(axum::middleware::from_fn(move |req, next| {
            crate::body_limit::refuse_declared_oversize(req, next, config.max_body_bytes)
        }))
        .with_state(app))
}

async fn health() -> Response {
    (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response()
}

/// `{"error": "<one line>"}` with `status`.
fn error_response(status: StatusCode, message: &str) -> Response {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    (status, Json(serde_json::json!({ "error": line }))).into_response()
}

async fn bind(listen: SocketAddr) -> Result<TcpListener, ReferenceError> {
    TcpListener::bind(listen)
        .await
        .map_err(|source| ReferenceError::Bind {
            addr: listen,
            source,
        })
}

/// Serves on `listen` until `shutdown` resolves, then finishes the requests
/// in flight and returns. For the CLI.
pub async fn serve(
    config: ReferenceConfig,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ReferenceError> {
    let router = router(config)?;
    let listener = bind(listen).await?;
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ReferenceError::Serve)
}

/// A reference receiver serving in a background task.
#[derive(Debug)]
pub struct RunningReference {
    addr: SocketAddr,
    /// Sending (or dropping) it starts a graceful shutdown.
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<Result<(), ReferenceError>>,
}

/// Binds `listen` (port 0 picks a free port) and serves in a spawned task.
pub async fn start(
    config: ReferenceConfig,
    listen: SocketAddr,
) -> Result<RunningReference, ReferenceError> {
    let router = router(config)?;
    let listener = bind(listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|source| ReferenceError::Bind {
            addr: listen,
            source,
        })?;
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                // Resolves on send and on drop alike: a dropped handle stops the server.
                let _ = stop.await;
            })
            .await
            .map_err(ReferenceError::Serve)
    });
    Ok(RunningReference {
        addr,
        shutdown,
        task,
    })
}

impl RunningReference {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address to connect to: loopback when listening on all interfaces.
    fn connect_addr(&self) -> SocketAddr {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        SocketAddr::new(ip, self.addr.port())
    }

    /// `http://127.0.0.1:PORT/webhook`.
    pub fn webhook_url(&self) -> String {
        format!("http://{}/webhook", self.connect_addr())
    }

    /// `http://127.0.0.1:PORT/{kind}/{id}`, the `--state-url` of SPEC section 5.
    pub fn state_url_template(&self) -> String {
        format!("http://{}/{{kind}}/{{id}}", self.connect_addr())
    }

    /// Stops accepting, lets requests in flight finish, and waits for the
    /// server task. Errors of the task are dropped: there is no one to tell.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}
