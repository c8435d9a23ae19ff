//! Delivering bytes to a receiver over HTTP and recording what came back.
//! A receiver that times out, resets or answers garbage is an outcome
//! ([`Delivery::error`]), never an `Err`: only a bad configuration is.
//! Credentials in the target URL work (basic auth, query tokens) and are
//! redacted from everything this module hands back.

use std::time::{Duration, Instant};

/// Response bodies are read up to this many bytes; the rest is discarded.
pub const DEFAULT_BODY_CAP: usize = 64 * 1024;

/// The receiver under test: where to POST, and how to show it.
#[derive(Clone, Debug)]
pub struct Target {
    url: reqwest::Url,
    shown: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(
        "target {0:?} is not a URL ({1}): give a full URL, e.g. https://his.example/chup/webhook"
    )]
    NotUrl(String, String),
    #[error("target {0} must use http or https: give an http:// or https:// URL")]
    Scheme(String),
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| TargetError::NotUrl(redact_url_text(url), e.to_string()))?;
        let shown = redact_url(&parsed);
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(TargetError::Scheme(shown));
        }
        Ok(Target { url: parsed, shown })
    }

    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// The URL with user, password and every query value replaced by `***`.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// Redacts credentials from a URL: user info and all query values.
pub fn redact_url(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    if !u.username().is_empty() {
        let _ = u.set_username("***");
    }
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, _)| (k.into_owned(), "***".to_owned()))
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// Redacts a URL given as text that may not even parse.
pub fn redact_url_text(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(u) => redact_url(&u),
        Err(_) => {
            let no_userinfo = match (text.find("://"), text.find('@')) {
                (Some(s), Some(at)) if at > s => {
                    format!("{}***@{}", &text[..s + 3], &text[at + 1..])
                }
                _ => text.to_owned(),
            };
            match no_userinfo.find('?') {
                Some(q) => format!("{}?***", &no_userinfo[..q]),
                None => no_userinfo,
            }
        }
    }
}

/// What kind of transport failure a delivery met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    Connect,
    Timeout,
    /// The connection broke or the answer was not valid HTTP.
    Protocol,
    Redirect,
    /// Not sent: the run's circuit breaker had tripped (see `runner`).
    Skipped,
    Other,
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ErrorKind::Connect => "connection failed",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Protocol => "broken HTTP exchange",
            ErrorKind::Redirect => "redirect not followed",
            ErrorKind::Skipped => "skipped",
            ErrorKind::Other => "transport error",
        })
    }
}

/// A receiver's answer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    /// The body, up to the cap.
    #[serde(skip)]
    pub body: Vec<u8>,
    pub truncated: bool,
    /// The `Location` of a 3xx, redacted: redirects are never followed (a
    /// receiver must answer the POST itself), so the report names them.
    pub location: Option<String>,
}

impl Answer {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One attempt at delivering bytes.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub answer: Option<Answer>,
    pub error: Option<(ErrorKind, String)>,
    pub latency: Duration,
}

impl Delivery {
    pub fn status(&self) -> Option<u16> {
        self.answer.as_ref().map(|a| a.status)
    }

    /// `200`, or the error in a few words.
    pub fn summary(&self) -> String {
        match (&self.answer, &self.error) {
            (Some(a), _) => match &a.location {
                Some(to) => format!("HTTP {} (redirect to {to}, not followed)", a.status),
                None => format!("HTTP {}", a.status),
            },
            (None, Some((kind, msg))) => format!("{kind}: {msg}"),
            (None, None) => "no answer".to_owned(),
        }
    }
}

/// An HTTP client with the run's timeouts and headers.
#[derive(Clone, Debug)]
pub struct Transport {
    client: reqwest::Client,
    timeout: Duration,
    body_cap: usize,
    headers: Vec<(String, String)>,
}

impl Transport {
    pub fn new(
        timeout: Duration,
        headers: Vec<(String, String)>,
    ) -> Result<Transport, TargetError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("chup-harness/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(TargetError::Client)?;
        Ok(Transport {
            client,
            timeout,
            body_cap: DEFAULT_BODY_CAP,
            headers,
        })
    }

    /// The same client, reading response bodies up to `cap` bytes.
    pub fn with_body_cap(mut self, cap: usize) -> Transport {
        self.body_cap = cap;
        self
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `body` to `url` with `Content-Type: application/json`.
    pub async fn post(&self, url: &reqwest::Url, body: Vec<u8>) -> Delivery {
        self.post_as(url, body, "application/json").await
    }

    /// POSTs `body` with the given content type.
    pub async fn post_as(&self, url: &reqwest::Url, body: Vec<u8>, content_type: &str) -> Delivery {
        let mut req = self
            .client
            .post(url.clone())
            .header("content-type", content_type)
            .body(body);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        self.exchange(req).await
    }

    /// GETs `url` (the state probe).
    pub async fn get(&self, url: &reqwest::Url) -> Delivery {
        self.exchange(self.client.get(url.clone())).await
    }

    async fn exchange(&self, req: reqwest::RequestBuilder) -> Delivery {
        let started = Instant::now();
        // One deadline for the whole exchange, body included: a receiver
        // that trickles bytes cannot hold the run past its timeout.
        let outcome = tokio::time::timeout(self.timeout, async {
            let mut resp = req.send().await?;
            let status = resp.status().as_u16();
            let content_type = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let location = resp.status().is_redirection().then(|| {
                resp.headers()
                    .get(reqwest::header::LOCATION)
                    .map(|v| redact_url_text(&String::from_utf8_lossy(v.as_bytes())))
                    .unwrap_or_else(|| "(no Location)".to_owned())
            });
            let mut body = Vec::new();
            let mut truncated = false;
            while let Some(chunk) = resp.chunk().await? {
                let room = self.body_cap.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>(Answer {
                status,
                content_type,
                body,
                truncated,
                location,
            })
        })
        .await;
        let latency = started.elapsed();
        match outcome {
            Ok(Ok(answer)) => Delivery {
                answer: Some(answer),
                error: None,
                latency,
            },
            Ok(Err(e)) => Delivery {
                answer: None,
                error: Some(classify(e)),
                latency,
            },
            Err(_) => Delivery {
                answer: None,
                error: Some((
                    ErrorKind::Timeout,
                    format!(
                        "no complete answer within {}",
                        crate::duration::show(self.timeout)
                    ),
                )),
                latency,
            },
        }
    }
}

fn classify(e: reqwest::Error) -> (ErrorKind, String) {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_connect() {
        ErrorKind::Connect
    } else if e.is_redirect() {
        ErrorKind::Redirect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        ErrorKind::Protocol
    } else {
        ErrorKind::Other
    };
    // reqwest's messages name the URL; strip it so credentials never show.
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    (kind, msg)
}
