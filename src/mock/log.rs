//! The mock server's memory: the delivery log (every delivery with its
//! exact request bytes and every attempt) and the visits it has sent (so
//! the mock Chup API can alert them). Held in memory; with a database file
//! every change is also written through to SQLite and read back at start,
//! so the log survives a restart.
//!
//! This module owns storage and the log's version counter (the dashboard
//! polls it to redraw only on change). It sends nothing and knows no HTTP.

use crate::model::Payload;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    id   INTEGER PRIMARY KEY,
    json TEXT NOT NULL          -- the whole Delivery record as JSON
);
CREATE TABLE IF NOT EXISTS visits (
    id      INTEGER PRIMARY KEY,
    payload TEXT NOT NULL       -- the last payload sent for the visit
);";

/// What made a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A step of a scenario run from the control API or the dashboard.
    Scenario { scenario: String, step: String },
    /// One event sent from the control API or the composer.
    Event,
    /// The webhook that an accepted alert of the mock Chup API produced.
    Alert,
    /// A resend of another delivery: the same bytes, or re-signed.
    Resend { of: u64, resigned: bool },
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Attempts are under way or scheduled.
    Pending,
    /// An attempt got a 2xx answer.
    Delivered,
    /// Every attempt of the schedule failed.
    Failed,
    /// The server stopped before the schedule ended (seen after a restart).
    Interrupted,
}

/// One attempt at delivering the bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub n: usize,
    pub started_unix_ms: i64,
    /// The receiver's HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    pub latency_ms: f64,
    pub content_type: Option<String>,
    /// The answer's body (lossy UTF-8), up to the transport's cap.
    pub body: String,
    /// The transport failure (`timed out: ...`), when no answer came.
    pub error: Option<String>,
}

impl Attempt {
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// One delivery: what was sent, and each attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: u64,
    pub created_unix_ms: i64,
    pub origin: Origin,
    pub event: String,
    /// `visits/123`, when the payload names a record.
    pub record: Option<String>,
    /// The target as shown (credentials redacted).
    pub target: String,
    /// The signing profile the signature was made under.
    pub signing: String,
    pub signature: String,
    /// The exact request body, byte for byte (always UTF-8 JSON here).
    pub request: String,
    pub state: DeliveryState,
    pub attempts: Vec<Attempt>,
    /// When the next attempt is due, while pending.
    pub next_attempt_unix_ms: Option<i64>,
}

/// Why the log's database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot open the delivery log database {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("delivery log database {}: row {row} is unreadable", path.display())]
    Row {
        path: PathBuf,
        row: i64,
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Default)]
struct Inner {
    deliveries: BTreeMap<u64, Delivery>,
    visits: BTreeMap<u64, Payload>,
    next_id: u64,
    version: u64,
}

/// How many deliveries the log keeps in memory: the oldest go first, so a
/// server left running for days does not grow without end. (With `--db`
/// the file keeps every one; a restart loads the newest this many.)
pub const MAX_KEPT: usize = 10_000;

/// The delivery log and the visits sent, behind one lock.
pub struct Log {
    inner: Mutex<Inner>,
    db: Option<Mutex<Connection>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves consistent data (every
    // mutation is one assignment), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Log {
    /// An empty log in memory.
    pub fn in_memory() -> Log {
        Log {
            inner: Mutex::new(Inner {
                next_id: 1,
                ..Inner::default()
            }),
            db: None,
        }
    }

    /// A log kept in a SQLite file, loaded from it. Deliveries that were
    /// pending when the last server stopped are marked interrupted.
    pub fn open(path: &Path) -> Result<Log, LogError> {
        let open = |source| LogError::Open {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(open)?;
        conn.execute_batch(SCHEMA).map_err(open)?;
        let mut inner = Inner {
            next_id: 1,
            ..Inner::default()
        };
        let mut interrupted = Vec::new();
        {
            let mut stmt = conn
                .prepare("SELECT id, json FROM deliveries ORDER BY id")
                .map_err(open)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .map_err(open)?;
            for row in rows {
                let (id, json) = row.map_err(open)?;
                let mut d: Delivery =
                    serde_json::from_str(&json).map_err(|source| LogError::Row {
                        path: path.to_owned(),
                        row: id,
                        source,
                    })?;
                if d.state == DeliveryState::Pending {
                    d.state = DeliveryState::Interrupted;
                    d.next_attempt_unix_ms = None;
                    interrupted.push(d.clone());
                }
                inner.next_id = inner.next_id.max(d.id + 1);
                inner.deliveries.insert(d.id, d);
                if inner.deliveries.len() > MAX_KEPT {
                    inner.deliveries.pop_first();
                }
            }
            let mut stmt = conn
                .prepare("SELECT id, payload FROM visits")
                .map_err(open)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .map_err(open)?;
            for row in rows {
                let (id, text) = row.map_err(open)?;
                let parsed = serde_json::from_str(&text)
                    .ok()
                    .and_then(|v| crate::model::parse_payload(v, "visit").ok());
                if let Some(p) = parsed {
                    inner.visits.insert(id as u64, p);
                }
            }
        }
        let log = Log {
            inner: Mutex::new(inner),
            db: Some(Mutex::new(conn)),
        };
        for d in &interrupted {
            log.write_delivery(d);
        }
        Ok(log)
    }

    fn write_delivery(&self, d: &Delivery) {
        if let Some(db) = &self.db {
            let json = serde_json::to_string(d).expect("a delivery serializes to JSON");
            // A failed write-through loses persistence, not the delivery:
            // the in-memory log stays the truth for this process.
            let _ = lock(db).execute(
                "INSERT OR REPLACE INTO deliveries (id, json) VALUES (?1, ?2)",
                params![d.id as i64, json],
            );
        }
    }

    /// Adds a delivery (its id is assigned here) and returns its id.
    pub fn insert(&self, mut d: Delivery) -> u64 {
        let stored = {
            let mut inner = lock(&self.inner);
            d.id = inner.next_id;
            inner.next_id += 1;
            inner.version += 1;
            inner.deliveries.insert(d.id, d.clone());
            while inner.deliveries.len() > MAX_KEPT {
                inner.deliveries.pop_first();
            }
            d
        };
        self.write_delivery(&stored);
        stored.id
    }

    /// Changes a delivery in place; false when it is gone (the log was cleared).
    pub fn update(&self, id: u64, change: impl FnOnce(&mut Delivery)) -> bool {
        let stored = {
            let mut inner = lock(&self.inner);
            let Some(d) = inner.deliveries.get_mut(&id) else {
                return false;
            };
            change(d);
            let d = d.clone();
            inner.version += 1;
            d
        };
        self.write_delivery(&stored);
        true
    }

    pub fn get(&self, id: u64) -> Option<Delivery> {
        lock(&self.inner).deliveries.get(&id).cloned()
    }

    /// Every delivery, oldest first, and the log's version.
    pub fn list(&self) -> (u64, Vec<Delivery>) {
        let inner = lock(&self.inner);
        (inner.version, inner.deliveries.values().cloned().collect())
    }

    /// Forgets every delivery (the visits stay: alerts still find them).
    /// Returns how many were removed.
    pub fn clear(&self) -> usize {
        let n = {
            let mut inner = lock(&self.inner);
            let n = inner.deliveries.len();
            inner.deliveries.clear();
            inner.version += 1;
            n
        };
        if let Some(db) = &self.db {
            let _ = lock(db).execute("DELETE FROM deliveries", []);
        }
        n
    }

    /// Remembers the payload last sent for a visit; a `live_queue_deleted`
    /// forgets the visit.
    pub fn remember_visit(&self, id: u64, payload: &Payload) {
        let deleted = payload.event == "live_queue_deleted";
        {
            let mut inner = lock(&self.inner);
            if deleted {
                inner.visits.remove(&id);
            } else {
                inner.visits.insert(id, payload.clone());
            }
        }
        if let Some(db) = &self.db {
            let db = lock(db);
            let _ = if deleted {
                db.execute("DELETE FROM visits WHERE id = ?1", params![id as i64])
            } else {
                let text = serde_json::to_string(payload).expect("a payload serializes to JSON");
                db.execute(
                    "INSERT OR REPLACE INTO visits (id, payload) VALUES (?1, ?2)",
                    params![id as i64, text],
                )
            };
        }
    }

    pub fn visit(&self, id: u64) -> Option<Payload> {
        lock(&self.inner).visits.get(&id).cloned()
    }

    /// Every visit sent, by id.
    pub fn visits(&self) -> Vec<(u64, Payload)> {
        lock(&self.inner)
            .visits
            .iter()
            .map(|(id, p)| (*id, p.clone()))
            .collect()
    }
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = lock(&self.inner);
        f.debug_struct("Log")
            .field("deliveries", &inner.deliveries.len())
            .field("visits", &inner.visits.len())
            .field("persistent", &self.db.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        Delivery {
            id: 0,
            created_unix_ms: 0,
            origin: Origin::Event,
            event: "client_created".to_owned(),
            record: None,
            target: "http://127.0.0.1:9/".to_owned(),
            signing: "compact".to_owned(),
            signature: String::new(),
            request: "{}".to_owned(),
            state: DeliveryState::Delivered,
            attempts: Vec::new(),
            next_attempt_unix_ms: None,
        }
    }

    #[test]
    fn keeps_the_newest_deliveries_and_drops_the_oldest() {
        let log = Log::in_memory();
        let ids: Vec<u64> = (0..MAX_KEPT + 5).map(|_| log.insert(delivery())).collect();
        let (_, all) = log.list();
        assert_eq!(all.len(), MAX_KEPT);
        assert!(log.get(ids[4]).is_none(), "the oldest go first");
        assert!(log.get(ids[5]).is_some());
        assert_eq!(all.last().map(|d| d.id), ids.last().copied());
    }
}
