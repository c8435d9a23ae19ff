//! Payload generators: one realistic, valid-by-construction payload for every
//! event of the catalogue, as a plain function of a seeded [`Rng`]; proptest
//! strategies (`arb_*`) that wrap it; and [`write_ndjson`], the stream of
//! signed bodies behind `chup-harness generate`.
//!
//! Every generated payload keeps the model's invariants
//! ([`crate::model::violations`] is empty): `state_name` names `state`; a
//! visit's `appointment_*` fields are all null or all set; `updated_at >=
//! created_at`; payload timestamps carry `+08:00` and note timestamps are
//! Laravel's UTC `...000000Z`; a visit made by a Move or a Dispense carries
//! the note `Visit Transits: <old service> → <new service>` (`model_type`
//! `App\Models\Visit`, `model_id` the visit). Time comes from the seed, never
//! the wall clock, so a seed names the same bytes forever.
//!
//! A generator builds the canonical payload and then hands it to
//! [`crate::model::restyle`] for the state/notes/id/time dialects; it does
//! not rewrite dialects itself. The dialects that are data (phone lengths,
//! note dates as unix seconds or `null` on system notes, non-ASCII names and
//! notes) are choices made here, in every mode.
//!
//! This module owns no journeys (sequences of events about one patient), no
//! transport and no CLI: it leaves those to the scenario runner and `main`.

mod data;
mod records;

use crate::model::time::format_myt;
use crate::model::{restyle, DialectMode, EventName, Payload};
use crate::rng::Rng;
use crate::signing::{encode_into, sign, write_body, Profile, Secret};
use proptest::prelude::*;
use std::io::{self, Write};

/// One payload for `event`, a pure function of the generator's state: the
/// same seed gives the same payload on every machine, forever. The canonical
/// payload is restyled into `mode`'s dialects with the same `rng`.
pub fn payload(event: EventName, mode: DialectMode, rng: &mut Rng) -> Payload {
    let (data, at) = records::record(event, rng);
    let mut p = Payload::new(event, format_myt(at), data);
    restyle(&mut p, mode, rng);
    p
}

/// Payloads of one event in one dialect mode.
///
/// The strategy draws a seed and calls [`payload`], rather than composing
/// proptest strategies field by field, for two reasons: a seed names the same
/// payload forever (a failure reproduces with `generate --seed`, and stays
/// reproducible across proptest upgrades), and a plain function of our `Rng`
/// is many times faster than a tree of strategies. The price is that
/// shrinking only finds a smaller failing seed, not a smaller payload; that
/// is enough here, since each payload is small, and journeys (sequences of
/// events) shrink at the step level, where structure matters.
pub fn arb_payload(event: EventName, mode: DialectMode) -> impl Strategy<Value = Payload> {
    any::<u64>().prop_map(move |seed| payload(event, mode, &mut Rng::new(seed)))
}

/// Payloads of any event of the catalogue; the event shrinks towards the
/// first of [`EventName::ALL`].
pub fn arb_any_event(mode: DialectMode) -> impl Strategy<Value = Payload> {
    (0..EventName::ALL.len(), any::<u64>())
        .prop_map(move |(i, seed)| payload(EventName::ALL[i], mode, &mut Rng::new(seed)))
}

macro_rules! arb_events {
    ($($name:ident => $event:ident),+ $(,)?) => {
        $(
            #[doc = concat!("Payloads of `", stringify!($event), "`; see [`arb_payload`].")]
            pub fn $name(mode: DialectMode) -> impl Strategy<Value = Payload> {
                arb_payload(EventName::$event, mode)
            }
        )+
    };
}

arb_events! {
    arb_appointment_created => AppointmentCreated,
    arb_appointment_updated => AppointmentUpdated,
    arb_appointment_deleted => AppointmentDeleted,
    arb_live_queue_created => LiveQueueCreated,
    arb_live_queue_updated => LiveQueueUpdated,
    arb_live_queue_deleted => LiveQueueDeleted,
    arb_client_created => ClientCreated,
    arb_client_updated => ClientUpdated,
    arb_client_deleted => ClientDeleted,
    arb_service_created => ServiceCreated,
    arb_service_updated => ServiceUpdated,
    arb_service_staffs_updated => ServiceStaffsUpdated,
    arb_service_deleted => ServiceDeleted,
    arb_staff_created => StaffCreated,
    arb_staff_updated => StaffUpdated,
    arb_staff_services_updated => StaffServicesUpdated,
    arb_staff_deleted => StaffDeleted,
}

/// What `chup-harness generate` writes.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// The events to draw from; each line picks one at random. Must not be empty.
    pub events: Vec<EventName>,
    /// How many lines; `None` writes until the writer fails (e.g. a closed pipe).
    pub count: Option<u64>,
    pub seed: u64,
    pub mode: DialectMode,
    pub secret: Secret,
    pub profile: Profile,
    /// Write bare payloads (encoded under `profile`) instead of signed bodies.
    pub unsigned: bool,
}

/// Bytes written between flushes: a reader sees output at once, and a
/// buffered writer is not forced to a system call per line.
const FLUSH_EVERY: usize = 32 * 1024;

/// The event and seed of the next line: that line is
/// `payload(event, mode, &mut Rng::new(seed))`, so it can be rebuilt alone.
fn next_case(master: &mut Rng, events: &[EventName]) -> (EventName, u64) {
    let event = *master.pick(events);
    (event, master.next_u64())
}

/// Writes NDJSON: one signed body per line in the SPEC layout
/// (`{"payload":P,"signature":"HEX"}`), or the bare payload P when
/// `unsigned`. Memory stays constant (buffers are reused) and output is
/// flushed after the first line and then every 32 KiB, so a stream of a
/// million lines into `head` shows at once. Any write error, `BrokenPipe`
/// included, is returned as is; the caller decides that a closed pipe is a
/// normal end. Returns the number of lines written.
pub fn write_ndjson<W: Write>(opts: &GenerateOptions, out: &mut W) -> io::Result<u64> {
    if opts.events.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "generate: no events to draw from",
        ));
    }
    let mut master = Rng::new(opts.seed);
    let mut p = Vec::with_capacity(4096);
    let mut line = Vec::with_capacity(4096);
    let mut written = 0u64;
    let mut unflushed = 0usize;
    while opts.count.map_or(true, |count| written < count) {
        let (event, seed) = next_case(&mut master, &opts.events);
        let payload = payload(event, opts.mode, &mut Rng::new(seed));
        encode_into(&payload, opts.profile, &mut p);
        line.clear();
        if opts.unsigned {
            line.extend_from_slice(&p);
        } else {
            write_body(&p, &sign(&p, &opts.secret), &mut line);
        }
        line.push(b'\n');
        out.write_all(&line)?;
        written += 1;
        unflushed += line.len();
        if written == 1 || unflushed >= FLUSH_EVERY {
            out.flush()?;
            unflushed = 0;
        }
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_carries_the_record_kind_its_name_says() {
        for event in EventName::ALL {
            for seed in 0..20 {
                let p = payload(event, DialectMode::Mixed, &mut Rng::new(seed));
                assert_eq!(p.data.kind(), Some(event.record()), "{event} seed {seed}");
                assert_eq!(p.event_name(), Some(event));
            }
        }
    }
}
