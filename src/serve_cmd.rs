//! The `serve` verb: flags to a validated `MockConfig`, the embedded
//! reference receiver when no target is given, the mock server until
//! Ctrl-C. The server itself lives in the library (`mock`).

use crate::cli::{SecretArgs, SigningArg, EXIT_CODES};
use anyhow::{Context, Result};
use chup_harness::exit_code;
use chup_harness::mock::{self, ApiConfig, MockConfig, RetrySchedule};
use chup_harness::reference::{self, ReferenceConfig};
use chup_harness::scenario;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

const SERVE_ABOUT: &str = "\
Open http://127.0.0.1:4010/ for the dashboard: a button per scenario, an event composer and the \
live delivery log (each attempt's status, body, latency and error; resend or re-sign any delivery).

Control API (JSON; its OpenAPI document is GET /openapi.json): GET /control/scenarios, \
POST /control/scenarios/{name}/run, POST /control/events, GET /control/deliveries, \
POST /control/deliveries/{id}/resend, DELETE /control/deliveries, GET /control/info, \
GET /control/visits.

Mock Chup API (SPEC section 6): POST /api/v1/auth/token with {api_key, business_id, email} gives a \
bearer token; POST /api/v1/alerts with {\"live_queue_id\": ID} makes the server send that visit's \
signed live_queue_updated (state 2, Alerted) to the target. Only visits this server has sent can be \
alerted.

Retries: a non-2xx answer, a timeout or a refused connection is retried with the same bytes at the \
delays of --retry-schedule (the delay before each attempt; the first is the initial send). \
--retry-compress 100 plays the schedule 100 times faster.

Example:
  chup-harness serve                                          # against the built-in reference receiver
  chup-harness serve --target http://127.0.0.1:8000/chup/webhook --retry-compress 60
  curl -X POST localhost:4010/control/scenarios/alert/run";

/// Run a mock Chup Online server: click "patient joins", watch your receiver answer.
///
/// Sends signed Chup webhooks to --target from a dashboard, a JSON control
/// API and a mock of Chup's REST API (auth token, alert), retrying failed
/// deliveries on a schedule and logging every attempt. Listens on loopback
/// only unless --control-token is given. Stops on Ctrl-C.
#[derive(Args, Debug)]
#[command(after_help = format!("{SERVE_ABOUT}\n\n{EXIT_CODES}"))]
pub struct ServeArgs {
    /// The receiver's webhook URL; credentials in it (user:pass@, ?token=) are used and redacted
    /// [default: start the built-in reference receiver on a free loopback port].
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Address to listen on; a non-loopback address needs --control-token.
    #[arg(long, default_value = "127.0.0.1:4010", value_name = "ADDR")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// How payloads are encoded before signing.
    #[arg(long, value_enum, default_value_t)]
    pub signing: SigningArg,
    /// Delays before each attempt, comma-separated (0 = at once).
    #[arg(long, default_value = RetrySchedule::DEFAULT_TEXT, value_name = "LIST")]
    pub retry_schedule: String,
    /// Play the retry schedule this many times faster (60 turns 30m into 30s).
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub retry_compress: f64,
    /// Timeout of each attempt (5s, 500ms); a timeout is retried.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub timeout: String,
    /// Demand `Authorization: Bearer TOKEN` on every control call.
    #[arg(
        long,
        env = "CHUP_CONTROL_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub control_token: Option<String>,
    /// Keep the delivery log (and the visits sent) in this SQLite file across restarts
    /// [default: in memory]. The server shows the newest 10,000 deliveries.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// A directory of scenario files (*.toml) that add to or replace the standard ones by name.
    #[arg(long, value_name = "DIR")]
    pub contracts: Option<PathBuf>,
    /// Request bodies above this many bytes get 413.
    #[arg(long, default_value_t = mock::DEFAULT_MAX_BODY_BYTES, value_name = "BYTES")]
    pub max_body: usize,
    /// Path of the mock Chup auth endpoint.
    #[arg(long, default_value = "/api/v1/auth/token", value_name = "PATH")]
    pub auth_path: String,
    /// Path of the mock Chup alert endpoint.
    #[arg(long, default_value = "/api/v1/alerts", value_name = "PATH")]
    pub alerts_path: String,
    /// The api_key the mock Chup API accepts.
    #[arg(long, default_value = "chup-test-api-key", value_name = "KEY")]
    pub api_key: String,
    /// The business_id the mock Chup API accepts.
    #[arg(long, default_value = "1", value_name = "ID")]
    pub business_id: String,
    /// The email the mock Chup API accepts.
    #[arg(long, default_value = "his@clinic.test", value_name = "EMAIL")]
    pub email: String,
}

fn say(line: &str) {
    use std::io::Write;
    // A closed stdout must not stop the server.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|_| out.flush());
}

pub fn serve(a: ServeArgs) -> Result<i32> {
    let secret = a.secret.resolve()?;
    let retry = RetrySchedule::parse(&a.retry_schedule)
        .and_then(|s| s.compressed(a.retry_compress))
        .map_err(anyhow::Error::msg)
        .context("--retry-schedule/--retry-compress")?;
    let timeout = chup_harness::duration::parse(&a.timeout)
        .map_err(anyhow::Error::msg)
        .context("--timeout")?;
    let mut scenarios = scenario::builtin();
    if let Some(dir) = &a.contracts {
        scenarios = scenario::merge(scenarios, scenario::load_dir(dir)?);
    }
    if !a.listen.ip().is_loopback() && a.control_token.is_none() {
        anyhow::bail!("{}", mock::MockError::OpenWithoutToken(a.listen));
    }
    // A drawn base below 2^31 (each scenario run then moves up by one id
    // span), so a restarted server does not resend the ids of the last one.
    let span = chup_harness::clinic::ID_SPAN;
    let id_base = 100_000_000 + (crate::cli::drawn_seed() % (1_800_000_000 / span)) * span;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let (target, reference) = match &a.target {
            Some(t) => (t.clone(), None),
            None => {
                let config = ReferenceConfig {
                    secret: secret.clone(),
                    ..ReferenceConfig::default()
                };
                let r = reference::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
                (r.webhook_url(), Some(r))
            }
        };
        let config = MockConfig {
            target,
            secret: secret.clone(),
            profile: a.signing.into(),
            retry,
            timeout,
            control_token: a.control_token.clone(),
            db: a.db.clone(),
            max_body_bytes: a.max_body,
            api: ApiConfig {
                auth_path: a.auth_path.clone(),
                alerts_path: a.alerts_path.clone(),
                api_key: a.api_key.clone(),
                business_id: a.business_id.clone(),
                email: a.email.clone(),
            },
            scenarios,
            id_base,
        };
        let schedule = config.retry.show();
        let compress = config.retry.compress();
        let running = mock::start(config, a.listen).await?;
        say(&format!("mock Chup Online: dashboard {}/", running.url()));
        match &reference {
            Some(r) => say(&format!(
                "target: the built-in reference receiver {} (state probe {})",
                running.target_shown(),
                r.state_url_template()
            )),
            None => say(&format!("target: {}", running.target_shown())),
        }
        say(&format!(
            "secret {}, signing {}, retries {schedule}{}",
            secret.fingerprint(),
            a.signing_name(),
            if compress == 1.0 {
                String::new()
            } else {
                format!(" played {compress}x faster")
            }
        ));
        say(&format!(
            "mock Chup API: POST {}{} then POST {}{}; OpenAPI: {}/openapi.json",
            running.url(),
            a.auth_path,
            running.url(),
            a.alerts_path,
            running.url()
        ));
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        running.shutdown().await;
        if let Some(r) = reference {
            r.shutdown().await;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(exit_code::SUCCESS)
}

impl ServeArgs {
    fn signing_name(&self) -> &'static str {
        chup_harness::signing::Profile::from(self.signing).as_str()
    }
}
