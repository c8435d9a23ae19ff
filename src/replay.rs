//! Replay files: the exact deliveries of a failing fuzz case (bodies as
//! sent, headers, order, concurrency, abandoned attempts), the status class
//! each must get and the final state of every record, with the seed and
//! flags that drew them. [`replay`] re-fires them byte for byte and judges
//! them as the fuzz run did (`fuzz::exec`), so it reaches the same verdict.
//!
//! A replay file never holds the secret: bodies are already signed, so a
//! replay needs none; the file names the secret's fingerprint, so a reader
//! knows which secret the receiver must hold. Target and state URL are
//! stored redacted (credentials as `***`) and only shown, never used.

use crate::fuzz::{self, FuzzConfig, Outcome, Schedule};
use crate::runner::Probe;
use crate::transport::{redact_url_text, Target, Transport};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The `format` of the files this version writes and reads.
pub const FORMAT: &str = "chup-harness-replay/1";

/// The flags of the fuzz run that found the failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub cases: u64,
    pub shard: String,
    pub patients: usize,
    pub max_steps: usize,
    pub faults: Vec<String>,
    pub dialect: String,
    pub signing: String,
    pub id_base: u64,
    pub start_unix: i64,
    pub timeout_ms: u64,
}

/// One replay file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayFile {
    pub format: String,
    pub harness_version: String,
    pub seed: u64,
    /// The failing case's index in its run.
    pub case: u64,
    pub flags: Flags,
    /// The command that reruns the fuzz run.
    pub rerun: String,
    /// Where it was fired, redacted; shown only.
    pub target: String,
    #[serde(default)]
    pub state_url: Option<String>,
    pub secret_fingerprint: String,
    /// Headers every delivery carried besides its body.
    pub headers: Vec<(String, String)>,
    /// What the fuzz run saw go wrong.
    pub problems: Vec<String>,
    /// The deliveries, readable, in order.
    pub plan: Vec<String>,
    #[serde(flatten)]
    pub schedule: Schedule,
}

/// Why a replay file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read replay file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("replay file {}: line {line} column {column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("replay file {}: format {found:?} is not {FORMAT:?}", path.display())]
    Format { path: PathBuf, found: String },
    #[error("replay file: delivery {n}: the body is not in the layout {{\"payload\":P,\"signature\":\"HEX\"}}, so it cannot be re-signed")]
    Layout { n: usize },
    #[error("cannot write replay file {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A state URL template as shown: credentials redacted, and the `{kind}`
/// and `{id}` placeholders left readable (URL parsing escapes the braces).
pub fn shown_template(template: &str) -> String {
    redact_url_text(template)
        .replace("%7B", "{")
        .replace("%7D", "}")
}

/// The headers `Transport` sends with every POST.
fn sent_headers() -> Vec<(String, String)> {
    vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "user-agent".to_owned(),
            concat!("chup-harness/", env!("CARGO_PKG_VERSION")).to_owned(),
        ),
    ]
}

impl ReplayFile {
    /// The replay file of a fuzz failure.
    pub fn new(c: &FuzzConfig, f: &fuzz::Failure) -> ReplayFile {
        ReplayFile {
            format: FORMAT.to_owned(),
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
            seed: c.seed,
            case: f.case,
            flags: Flags {
                cases: c.cases,
                shard: c.shard.to_string(),
                patients: c.plan.patients,
                max_steps: c.plan.max_steps,
                faults: c
                    .plan
                    .faults
                    .iter()
                    .map(|k| k.as_str().to_owned())
                    .collect(),
                dialect: c.mode.as_str().to_owned(),
                signing: c.profile.as_str().to_owned(),
                id_base: c.id_base,
                start_unix: c.start_unix,
                timeout_ms: u64::try_from(c.timeout.as_millis()).unwrap_or(u64::MAX),
            },
            rerun: c.rerun.clone(),
            target: c.target.shown().to_owned(),
            state_url: c.state_url.as_deref().map(shown_template),
            secret_fingerprint: c.secret.fingerprint(),
            headers: sent_headers(),
            problems: f.problems.iter().map(|p| p.0.clone()).collect(),
            plan: f.schedule.render(),
            schedule: f.schedule.clone(),
        }
    }

    /// Writes `DIR/STEM.json` (creating DIR), or `STEM-2.json`, ... when
    /// that exists: a replay file already there is never overwritten.
    pub fn write_new(&self, dir: &Path, stem: &str) -> Result<PathBuf, ReplayError> {
        let err = |path: &Path| {
            let path = path.to_owned();
            move |source| ReplayError::Write { path, source }
        };
        std::fs::create_dir_all(dir).map_err(err(dir))?;
        let mut text =
            serde_json::to_string_pretty(self).expect("a replay file serializes to JSON");
        text.push('\n');
        let mut n = 1u32;
        loop {
            let name = if n == 1 {
                format!("{stem}.json")
            } else {
                format!("{stem}-{n}.json")
            };
            let path = dir.join(name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(text.as_bytes()).map_err(err(&path))?;
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
                Err(e) => return Err(err(&path)(e)),
            }
        }
    }

    pub fn read(path: &Path) -> Result<ReplayFile, ReplayError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReplayError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: ReplayFile = serde_json::from_str(&text).map_err(|e| ReplayError::Parse {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or("")
                .to_owned(),
        })?;
        if file.format != FORMAT {
            return Err(ReplayError::Format {
                path: path.to_owned(),
                found: file.format,
            });
        }
        Ok(file)
    }

    /// Replaces every body's signature with one made with `secret`, for a
    /// committed file replayed against a receiver that holds another
    /// secret. The payload bytes stay exactly as recorded.
    pub fn resign(&mut self, secret: &crate::signing::Secret) -> Result<(), ReplayError> {
        const HEAD: &str = "{\"payload\":";
        const SIG: &str = ",\"signature\":\"";
        let mut n = 0;
        for slot in &mut self.schedule.slots {
            for a in &mut slot.attempts {
                n += 1;
                let p = a
                    .body
                    .strip_prefix(HEAD)
                    .and_then(|rest| rest.strip_suffix("\"}"))
                    .and_then(|rest| rest.rsplit_once(SIG))
                    .map(|(p, _)| p.to_owned())
                    .ok_or(ReplayError::Layout { n })?;
                let mut body = Vec::with_capacity(a.body.len());
                crate::signing::write_body(
                    p.as_bytes(),
                    &crate::signing::sign(p.as_bytes(), secret),
                    &mut body,
                );
                a.body = String::from_utf8(body).expect("a UTF-8 payload stays UTF-8");
            }
        }
        self.secret_fingerprint = secret.fingerprint();
        Ok(())
    }

    /// The recorded timeout of each delivery.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.flags.timeout_ms.max(1))
    }
}

/// Re-fires a replay file's deliveries at `target`, byte for byte and in
/// the same order and concurrency, with its headers, and judges them as the
/// fuzz run did; with `probe`, the final states too.
pub async fn replay(
    file: &ReplayFile,
    target: &Target,
    state_url: Option<&str>,
    timeout: Duration,
) -> Result<Outcome, fuzz::FuzzError> {
    // Content type and user agent as recorded; Transport sets the former
    // per POST and lets an explicit header replace its user agent.
    let headers: Vec<(String, String)> = file
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
        .cloned()
        .collect();
    let transport = Transport::new(timeout, headers)?;
    let probe = match state_url {
        Some(t) => Some(Probe::new(t, transport.clone()).map_err(fuzz::FuzzError::Config)?),
        None => None,
    };
    crate::runner::preflight(target, timeout)
        .await
        .map_err(|e| match e {
            crate::runner::RunError::Unreachable { target, reason } => {
                fuzz::FuzzError::Unreachable { target, reason }
            }
            other => fuzz::FuzzError::Config(other.to_string()),
        })?;
    Ok(fuzz::fire(&file.schedule, &transport, target.url(), probe.as_ref()).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::{Attempt, Expect, Slot};
    use crate::signing::{self, Profile, Secret};

    fn file_with(body: String) -> ReplayFile {
        ReplayFile {
            format: FORMAT.to_owned(),
            harness_version: "0".to_owned(),
            seed: 1,
            case: 0,
            flags: Flags {
                cases: 1,
                shard: "1/1".to_owned(),
                patients: 1,
                max_steps: 1,
                faults: vec![],
                dialect: "canonical".to_owned(),
                signing: "compact".to_owned(),
                id_base: 1,
                start_unix: 0,
                timeout_ms: 5000,
            },
            rerun: String::new(),
            target: String::new(),
            state_url: None,
            secret_fingerprint: Secret::default().fingerprint(),
            headers: sent_headers(),
            problems: vec![],
            plan: vec![],
            schedule: Schedule {
                slots: vec![Slot {
                    concurrent: false,
                    launch_gap_ms: 0,
                    attempts: vec![Attempt {
                        payload: 1,
                        label: String::new(),
                        body,
                        abandon_after_ms: None,
                        expect: Expect::Success,
                    }],
                }],
                final_states: vec![],
            },
        }
    }

    #[test]
    fn resign_keeps_the_payload_bytes_and_signs_with_the_new_secret() {
        let payload = serde_json::json!({"event": "live_queue_created", "timestamp": "t", "data": {"a": "→/"}});
        let body = signing::signed_body(&payload, Profile::Php, &Secret::default());
        let body = String::from_utf8(body).expect("utf-8");
        let mut file = file_with(body.clone());
        let other = Secret::new("another-secret");
        file.resign(&other).expect("our layout");
        let resigned = &file.schedule.slots[0].attempts[0].body;
        assert_ne!(resigned, &body);
        let cut = |b: &str| b[..b.rfind(",\"signature\"").expect("signature")].to_owned();
        assert_eq!(cut(resigned), cut(&body));
        signing::verify_body(resigned.as_bytes(), &other, &[]).expect("raw bytes verify");
        assert_eq!(file.secret_fingerprint, other.fingerprint());
        assert!(file_with("{\"x\":1}".to_owned()).resign(&other).is_err());
    }

    #[test]
    fn writes_never_overwrite_and_read_back_the_same_file() {
        let dir = std::env::temp_dir().join(format!("chup-replay-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = file_with("{}".to_owned());
        let a = file.write_new(&dir, "x").expect("first");
        let b = file.write_new(&dir, "x").expect("second");
        assert_ne!(a, b);
        assert!(b.ends_with("x-2.json"));
        assert_eq!(ReplayFile::read(&a).expect("reads"), file);
        std::fs::write(&a, "{\"format\": \"other/9\"}").expect("writes");
        assert!(ReplayFile::read(&a).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
