//! The reference receiver's storage: one SQLite connection behind a mutex,
//! used from tokio's blocking pool.
//!
//! Two tables. `deliveries` logs every delivery by its key (the SHA-256 of
//! the raw payload bytes), which is what makes a redelivery a no-op.
//! `records` holds the latest state of each visit and appointment with the
//! `updated_at` instant it came with, which is what keeps out-of-order
//! deliveries from overwriting newer state. A delivery's whole effect
//! happens in one transaction; the caller answers 200 only after it commits.
//!
//! This module decides nothing about HTTP; the handlers map its results.

use super::faults::Faults;
use crate::model::time::Instant;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    key    TEXT PRIMARY KEY,  -- hex SHA-256 of the raw payload bytes
    event  TEXT NOT NULL,
    effect TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    kind          TEXT NOT NULL,     -- visits | appointments
    id            INTEGER NOT NULL,
    state         INTEGER NOT NULL,
    state_name    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,     -- as sent
    updated_unix  INTEGER NOT NULL,  -- the instant it names, for ordering
    updated_nanos INTEGER NOT NULL,
    deleted       INTEGER NOT NULL,  -- a tombstone keeps updated_at
    applied_count INTEGER NOT NULL,  -- deliveries that changed this record
    data          TEXT NOT NULL,     -- the data object as last applied
    PRIMARY KEY (kind, id)
);";

/// Why a delivery or a probe could not be served.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database task failed: {0}")]
    Task(String),
    #[error("fault fail-duplicate-create: {kind} {id} already exists")]
    DuplicateCreate { kind: &'static str, id: i64 },
}

/// What a delivery did; the `effect` of the 200 response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    Applied,
    Duplicate,
    Stale,
    Ignored,
}

impl Effect {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Effect::Applied => "applied",
            Effect::Duplicate => "duplicate",
            Effect::Stale => "stale",
            Effect::Ignored => "ignored",
        }
    }
}

/// A visit or appointment change carried by one delivery.
#[derive(Debug)]
pub(crate) struct Change {
    pub kind: &'static str,
    pub id: i64,
    pub is_create: bool,
    pub is_delete: bool,
    pub state: i64,
    pub state_name: String,
    pub updated_at: String,
    pub instant: Instant,
    /// The payload's `data` object as JSON text.
    pub data: String,
}

/// One verified delivery.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// Hex SHA-256 of the raw payload bytes.
    pub key: String,
    pub event: String,
    /// `None` for an event this receiver does not handle.
    pub change: Option<Change>,
}

/// What the store held for a record when it was read.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Seen {
    pub exists: bool,
    pub instant: Option<Instant>,
    pub applied_count: i64,
}

/// A live record as the state probe shows it.
#[derive(Debug)]
pub(crate) struct Probe {
    pub state: i64,
    pub state_name: String,
    pub updated_at: String,
    pub applied_count: i64,
    pub data: String,
}

#[derive(Clone)]
pub(crate) struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (and creates) the database at `path`, or an in-memory one.
    pub(crate) fn open(path: Option<&Path>) -> Result<Store, rusqlite::Error> {
        let conn = match path {
            Some(path) => {
                let conn = Connection::open(path)?;
                // WAL keeps probes from blocking on writers; FULL makes a
                // commit durable before the 200 that acknowledges it.
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "FULL")?;
                conn
            }
            None => Connection::open_in_memory()?,
        };
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection in the blocking pool, one caller at a time.
    async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock dropped its transaction, which
            // rolled back, so the connection is still consistent.
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Reads a record's ordering state in its own short transaction. Only
    /// the lose-concurrent-update fault uses this, to read outside the write.
    pub(crate) async fn seen(&self, kind: &'static str, id: i64) -> Result<Seen, StoreError> {
        self.call(move |conn| Ok(read_seen(&conn.transaction()?, kind, id)?))
            .await
    }

    /// Applies one delivery in one transaction and returns its effect.
    /// `seen` replaces reading the record inside the transaction (a fault).
    pub(crate) async fn apply(
        &self,
        delivery: Delivery,
        faults: Faults,
        seen: Option<Seen>,
    ) -> Result<Effect, StoreError> {
        self.call(move |conn| apply(conn, &delivery, faults, seen))
            .await
    }

    /// The live record `kind`/`id`; `None` when unknown or deleted.
    pub(crate) async fn probe(
        &self,
        kind: &'static str,
        id: i64,
    ) -> Result<Option<Probe>, StoreError> {
        self.call(move |conn| {
            let probe = conn
                .query_row(
                    "SELECT state, state_name, updated_at, applied_count, data
                     FROM records WHERE kind = ?1 AND id = ?2 AND deleted = 0",
                    params![kind, id],
                    |row| {
                        Ok(Probe {
                            state: row.get(0)?,
                            state_name: row.get(1)?,
                            updated_at: row.get(2)?,
                            applied_count: row.get(3)?,
                            data: row.get(4)?,
                        })
                    },
                )
                .optional()?;
            Ok(probe)
        })
        .await
    }
}

fn apply(
    conn: &mut Connection,
    d: &Delivery,
    faults: Faults,
    seen: Option<Seen>,
) -> Result<Effect, StoreError> {
    let tx = conn.transaction()?;
    if let Some(c) = d
        .change
        .as_ref()
        .filter(|c| faults.fail_duplicate_create && c.is_create)
    {
        if read_seen(&tx, c.kind, c.id)?.exists {
            return Err(StoreError::DuplicateCreate {
                kind: c.kind,
                id: c.id,
            });
        }
    }
    if !faults.apply_duplicates {
        let known: Option<i64> = tx
            .query_row("SELECT 1 FROM deliveries WHERE key = ?1", [&d.key], |row| {
                row.get(0)
            })
            .optional()?;
        if known.is_some() {
            return Ok(Effect::Duplicate);
        }
    }
    let effect = match &d.change {
        None => Effect::Ignored,
        Some(change) => {
            let current = match seen {
                Some(seen) => seen,
                None => read_seen(&tx, change.kind, change.id)?,
            };
            // Last writer by updated_at wins; an equal instant applies, so a
            // sender that does not bump updated_at still gets its change in.
            let is_stale = current
                .instant
                .is_some_and(|stored| change.instant < stored);
            if is_stale && !faults.stale_update_wins {
                Effect::Stale
            } else {
                write_record(&tx, change, current.applied_count + 1)?;
                Effect::Applied
            }
        }
    };
    tx.execute(
        "INSERT INTO deliveries (key, event, effect) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO NOTHING",
        params![d.key, d.event, effect.as_str()],
    )?;
    tx.commit()?;
    Ok(effect)
}

fn read_seen(tx: &Transaction<'_>, kind: &str, id: i64) -> Result<Seen, rusqlite::Error> {
    let row = tx
        .query_row(
            "SELECT updated_unix, updated_nanos, applied_count FROM records WHERE kind = ?1 AND id = ?2",
            params![kind, id],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, u32>(1)?, row.get::<_, i64>(2)?)),
        )
        .optional()?;
    Ok(match row {
        Some((unix, nanos, applied_count)) => Seen {
            exists: true,
            instant: Some(Instant { unix, nanos }),
            applied_count,
        },
        None => Seen::default(),
    })
}

fn write_record(
    tx: &Transaction<'_>,
    c: &Change,
    applied_count: i64,
) -> Result<(), rusqlite::Error> {
    tx.execute(
        "INSERT INTO records (kind, id, state, state_name, updated_at, updated_unix, updated_nanos,
                              deleted, applied_count, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (kind, id) DO UPDATE SET
             state = excluded.state, state_name = excluded.state_name,
             updated_at = excluded.updated_at, updated_unix = excluded.updated_unix,
             updated_nanos = excluded.updated_nanos, deleted = excluded.deleted,
             applied_count = excluded.applied_count, data = excluded.data",
        params![
            c.kind,
            c.id,
            c.state,
            c.state_name,
            c.updated_at,
            c.instant.unix,
            c.instant.nanos,
            c.is_delete,
            applied_count,
            c.data
        ],
    )?;
    Ok(())
}
