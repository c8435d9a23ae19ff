//! The payload generators: validity, round trips, dialect coverage per mode,
//! realism per event, and the NDJSON stream (determinism, signatures,
//! streaming and errors).

use chup_harness::generate::{
    arb_any_event, arb_appointment_created, arb_appointment_updated, arb_live_queue_created,
    arb_live_queue_updated, arb_payload, payload, write_ndjson, GenerateOptions,
};
use chup_harness::model::time::{parse_clock, parse_timestamp};
use chup_harness::model::{
    self, dialects, Appointment, Dialect, DialectMode, EventName, Payload, Record, Visit,
};
use chup_harness::rng::Rng;
use chup_harness::signing::{self, Matched, Profile, Secret};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRng, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

fn arb_mode() -> impl Strategy<Value = DialectMode> {
    proptest::sample::select(DialectMode::ALL.to_vec())
}

/// `n` values of a strategy, drawn with a fixed proptest seed.
fn sample<S: Strategy>(strategy: S, n: usize, seed: u8) -> Vec<S::Value> {
    let rng = TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    (0..n)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("generators never reject")
                .current()
        })
        .collect()
}

fn visit(p: &Payload) -> &Visit {
    match &p.data {
        Record::Visit(v) => v,
        other => panic!("expected a visit, got {other:?}"),
    }
}

fn appointment(p: &Payload) -> &Appointment {
    match &p.data {
        Record::Appointment(a) => a,
        other => panic!("expected an appointment, got {other:?}"),
    }
}

fn instant(t: &str) -> i64 {
    parse_timestamp(t)
        .unwrap_or_else(|| panic!("{t:?} is a timestamp"))
        .instant
        .unix
}

/// Checks the realism rules that `model::violations` does not know: transit
/// notes, note timestamps in Laravel's UTC form, timestamp after the update.
fn assert_realistic(p: &Payload) -> Result<(), TestCaseError> {
    let updated = p
        .data
        .updated_at()
        .expect("catalogue records have updated_at");
    prop_assert!(
        instant(&p.timestamp) >= instant(updated),
        "timestamp before updated_at"
    );
    let notes = match &p.data {
        Record::Visit(v) => v.notes.items(),
        Record::Appointment(a) => a.notes.items(),
        _ => &[],
    };
    for n in notes {
        for t in [&n.created_at, &n.updated_at].into_iter().flatten() {
            prop_assert!(
                t.ends_with(".000000Z") && parse_timestamp(t).is_some(),
                "note time {t:?}"
            );
        }
        if let Some(rest) = n.content.strip_prefix("Visit Transits: ") {
            let v = visit(p);
            prop_assert_eq!(&n.model_type, "App\\Models\\Visit");
            prop_assert_eq!(n.model_id.value(), v.id.value());
            let (from, to) = rest.split_once(" → ").expect("a transit note has an arrow");
            prop_assert_eq!(to, v.service_name.as_str());
            prop_assert!(
                !from.is_empty() && from != to,
                "transit from {from:?} to {to:?}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config::with_cases(400))]

    #[test]
    fn every_payload_of_every_event_and_mode_keeps_every_invariant(
        p in arb_mode().prop_flat_map(arb_any_event)
    ) {
        prop_assert_eq!(model::violations(&p), vec![]);
        assert_realistic(&p)?;
    }

    #[test]
    fn every_payload_round_trips_through_the_model(
        (event, mode) in (proptest::sample::select(EventName::ALL.to_vec()), arb_mode()),
        seed in any::<u64>(),
    ) {
        let p = payload(event, mode, &mut Rng::new(seed));
        let value = serde_json::to_value(&p).expect("serializes");
        let parsed = model::parse_payload(value.clone(), "payload").expect("parses");
        prop_assert_eq!(serde_json::to_value(&parsed).expect("serializes"), value);
        prop_assert_eq!(parsed, p);
    }

    #[test]
    fn the_strategy_for_an_event_yields_that_event(
        (event, p) in proptest::sample::select(EventName::ALL.to_vec())
            .prop_flat_map(|e| (Just(e), arb_payload(e, DialectMode::Mixed)))
    ) {
        prop_assert_eq!(p.event_name(), Some(event));
        prop_assert_eq!(p.data.kind(), Some(event.record()));
    }

    #[test]
    fn live_queue_created_is_in_queue_and_walk_in_booked_or_moved(p in arb_mode().prop_flat_map(arb_live_queue_created)) {
        let v = visit(&p);
        prop_assert_eq!(v.state.code(), 1);
        prop_assert_eq!(&v.state_name, "In Queue");
        prop_assert_eq!(&v.created_at, &v.updated_at);
        let set = [v.appointment_id.is_some(), v.appointment_date.is_some(), v.appointment_time.is_some()];
        prop_assert!(set == [true; 3] || set == [false; 3]);
        if let (Some(date), Some(_)) = (&v.appointment_date, &v.appointment_time) {
            prop_assert_eq!(date.as_str(), &v.created_at[..10], "an appointment visit is on the appointment's day");
        }
    }

    #[test]
    fn appointment_created_is_booked_and_not_rescheduled(p in arb_mode().prop_flat_map(arb_appointment_created)) {
        let a = appointment(&p);
        prop_assert_eq!((a.state.code(), a.state_name.as_str()), (1, "Booked"));
        prop_assert_eq!((a.reschedule_state, a.reschedule_state_name.as_str()), (1, "Not Rescheduled"));
        prop_assert_eq!((a.rescheduled_by, a.rescheduled_by_name.as_str()), (1, "Not Rescheduled"));
        prop_assert_eq!(&a.date, &a.original_date);
        prop_assert_eq!(parse_clock(&a.time), parse_clock(&a.original_time));
        prop_assert_eq!(&a.created_at, &a.updated_at);
        prop_assert!(a.date.as_str() >= &a.created_at[..10], "booked for a past day");
    }

    #[test]
    fn appointment_updated_reschedules_keep_the_original(p in arb_mode().prop_flat_map(arb_appointment_updated)) {
        let a = appointment(&p);
        prop_assert!(instant(&a.updated_at) > instant(&a.created_at));
        if a.reschedule_state == 2 {
            prop_assert_eq!(&a.reschedule_state_name, "Manual Rescheduled");
            prop_assert_eq!((a.rescheduled_by, a.rescheduled_by_name.as_str()), (3, "Patient"));
            prop_assert!(a.date != a.original_date || parse_clock(&a.time) != parse_clock(&a.original_time));
        } else {
            prop_assert_eq!(a.reschedule_state, 1);
        }
    }
}

#[test]
fn live_queue_events_show_every_state_origin_and_system_cancel() {
    let created = sample(arb_live_queue_created(DialectMode::Seed), 500, 1);
    let walk_in = created
        .iter()
        .filter(|p| visit(p).appointment_id.is_none())
        .count();
    let moved = created
        .iter()
        .filter(|p| {
            visit(p)
                .notes
                .items()
                .iter()
                .any(|n| n.content.starts_with("Visit Transits: "))
        })
        .count();
    let booked = created
        .iter()
        .filter(|p| visit(p).appointment_id.is_some())
        .count();
    assert!(
        walk_in > 50 && moved > 50 && booked > 50,
        "walk-in {walk_in}, moved {moved}, booked {booked}"
    );

    let updated = sample(arb_live_queue_updated(DialectMode::Seed), 1000, 2);
    let states: BTreeSet<i64> = updated.iter().map(|p| visit(p).state.code()).collect();
    assert_eq!(states, BTreeSet::from([1, 2, 3, 4, 5, 7, 8]));
    let system_cancels: Vec<&Visit> = updated
        .iter()
        .map(visit)
        .filter(|v| {
            v.notes
                .items()
                .iter()
                .any(|n| n.content == "Canceled by system. No show more than 30 minutes.")
        })
        .collect();
    assert!(
        system_cancels.len() > 10,
        "{} system cancels",
        system_cancels.len()
    );
    for v in system_cancels {
        assert_eq!(v.state.code(), 7);
        assert!(instant(&v.updated_at) - instant(&v.created_at) > 30 * 60);
        let n = v.notes.items().last().expect("the cancel note");
        assert_eq!(
            (n.created_date, n.updated_date, &n.service_id),
            (None, None, &None)
        );
    }
}

#[test]
fn appointment_updated_is_sometimes_rescheduled_and_sometimes_not() {
    let updated = sample(arb_appointment_updated(DialectMode::Canonical), 300, 3);
    let rescheduled = updated
        .iter()
        .filter(|p| appointment(p).reschedule_state == 2)
        .count();
    assert!(
        (60..=240).contains(&rescheduled),
        "{rescheduled} of 300 rescheduled"
    );
}

#[test]
fn other_events_have_created_equal_updated_only_when_created() {
    for event in EventName::ALL {
        for seed in 0..100 {
            let p = payload(event, DialectMode::Canonical, &mut Rng::new(seed));
            let (c, u) = match &p.data {
                Record::Visit(r) => (&r.created_at, &r.updated_at),
                Record::Appointment(r) => (&r.created_at, &r.updated_at),
                Record::Client(r) => (&r.created_at, &r.updated_at),
                Record::Service(r) => (&r.created_at, &r.updated_at),
                Record::Staff(r) => (&r.created_at, &r.updated_at),
                Record::Unknown(_) => unreachable!("catalogue events only"),
            };
            let name = event.as_str();
            if name.ends_with("_created") {
                assert_eq!(c, u, "{name} seed {seed}");
            } else if name.ends_with("_updated") && event != EventName::LiveQueueUpdated {
                assert!(instant(u) > instant(c), "{name} seed {seed}: {c} -> {u}");
            }
            if event.is_deleted() {
                assert!(
                    instant(&p.timestamp) > instant(u),
                    "{name}: deletion is sent after the last update"
                );
            }
            let year: i32 = p.timestamp[..4].parse().expect("year");
            assert!((2024..=2027).contains(&year), "{}", p.timestamp);
        }
    }
}

#[test]
fn mixed_mode_produces_every_generated_dialect_within_1000_cases() {
    for seed in [1, 2, 3] {
        let seen: BTreeSet<Dialect> = sample(arb_any_event(DialectMode::Mixed), 1000, seed)
            .iter()
            .flat_map(dialects)
            .collect();
        let missing: Vec<_> = Dialect::GENERATED
            .iter()
            .filter(|d| !seen.contains(d))
            .collect();
        assert!(
            missing.is_empty(),
            "proptest seed {seed}: missing {missing:?}"
        );
    }
}

const NON_CANONICAL: [Dialect; 4] = [
    Dialect::StateObject,
    Dialect::NotesCollection,
    Dialect::IdsString,
    Dialect::TimeWithoutSeconds,
];

fn share_with_non_canonical_forms(payloads: &[Payload]) -> f64 {
    let n = payloads
        .iter()
        .filter(|p| dialects(p).iter().any(|d| NON_CANONICAL.contains(d)))
        .count();
    n as f64 / payloads.len() as f64
}

#[test]
fn canonical_mode_never_shows_a_non_canonical_form() {
    let payloads = sample(arb_any_event(DialectMode::Canonical), 2000, 4);
    for p in &payloads {
        let d = dialects(p);
        let bad: Vec<_> = NON_CANONICAL.iter().filter(|x| d.contains(x)).collect();
        assert!(
            bad.is_empty(),
            "{bad:?} in {}",
            serde_json::to_string(p).expect("json")
        );
    }
    // Data dialects are not forms: they show in canonical mode too.
    let seen: BTreeSet<Dialect> = payloads.iter().flat_map(dialects).collect();
    for d in [
        Dialect::PhoneDigits(10),
        Dialect::PhoneDigits(11),
        Dialect::PhoneDigits(12),
        Dialect::NonAsciiText,
    ] {
        assert!(seen.contains(&d), "{d} missing in canonical mode");
    }
}

#[test]
fn seed_mode_is_mostly_canonical_and_mixed_mode_is_not() {
    let seed = share_with_non_canonical_forms(&sample(arb_any_event(DialectMode::Seed), 2000, 5));
    let mixed = share_with_non_canonical_forms(&sample(arb_any_event(DialectMode::Mixed), 2000, 5));
    assert!((0.03..0.4).contains(&seed), "seed mode: {seed}");
    assert!(
        mixed > 0.6 && mixed > 2.0 * seed,
        "mixed mode: {mixed}, seed mode: {seed}"
    );
}

/// A rough script class of a character, enough to count scripts in names.
fn script(c: char) -> Option<&'static str> {
    Some(match c as u32 {
        0x41..=0x5A | 0x61..=0x7A => "latin",
        0xC0..=0x24F | 0x1E00..=0x1EFF => "latin-extended",
        0x600..=0x6FF => "arabic",
        0x980..=0x9FF => "bengali",
        0xA00..=0xA7F => "gurmukhi",
        0xB80..=0xBFF => "tamil",
        0xE00..=0xE7F => "thai",
        0x4E00..=0x9FFF => "cjk",
        0xAC00..=0xD7AF => "hangul",
        _ => return None,
    })
}

#[test]
fn client_names_span_several_scripts() {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in sample(arb_live_queue_created(DialectMode::Canonical), 1000, 6) {
        let scripts: BTreeSet<&str> = visit(&p).client_name.chars().filter_map(script).collect();
        for s in scripts {
            *counts.entry(s).or_default() += 1;
        }
    }
    for s in ["latin", "cjk", "tamil", "arabic"] {
        assert!(counts.get(s).copied().unwrap_or(0) >= 5, "{s}: {counts:?}");
    }
    assert!(counts.len() >= 7, "{counts:?}");
}

fn options(seed: u64, mode: DialectMode, profile: Profile) -> GenerateOptions {
    GenerateOptions {
        events: EventName::ALL.to_vec(),
        count: Some(300),
        seed,
        mode,
        secret: Secret::default(),
        profile,
        unsigned: false,
    }
}

fn ndjson(opts: &GenerateOptions) -> Vec<u8> {
    let mut out = Vec::new();
    let n = write_ndjson(opts, &mut out).expect("writing to a Vec succeeds");
    assert_eq!(Some(n), opts.count);
    assert_eq!(out.iter().filter(|b| **b == b'\n').count() as u64, n);
    out
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn same_seed_and_options_give_byte_identical_ndjson() {
    for mode in DialectMode::ALL {
        for profile in Profile::ALL {
            let o = options(42, mode, profile);
            assert_eq!(ndjson(&o), ndjson(&o.clone()), "{mode} {profile}");
        }
    }
}

#[test]
fn different_seeds_give_different_ndjson() {
    let a = ndjson(&options(1, DialectMode::Seed, Profile::Compact));
    let b = ndjson(&options(2, DialectMode::Seed, Profile::Compact));
    let (la, lb) = (lines(&a), lines(&b));
    assert!(
        la.iter().zip(&lb).all(|(x, y)| x != y),
        "some line repeats across seeds"
    );
    assert_eq!(
        la.iter().collect::<BTreeSet<_>>().len(),
        la.len(),
        "a line repeats within a stream"
    );
}

#[test]
fn every_signed_line_verifies_under_its_profile_and_holds_a_valid_payload() {
    let wrong = Secret::new("not-the-secret");
    for profile in Profile::ALL {
        let out = ndjson(&options(9, DialectMode::Mixed, profile));
        for line in lines(&out) {
            assert!(line.starts_with(b"{\"payload\":") && line.ends_with(b"\"}"));
            assert_eq!(
                signing::verify_body(line, &Secret::default(), &[profile]),
                Ok(Matched::Raw)
            );
            assert!(signing::verify_body(line, &wrong, &Profile::ALL).is_err());
            let doc = model::parse_document(line).expect("a body");
            assert!(doc.is_body);
            assert_eq!(model::violations(&doc.payload), vec![]);
            // The payload bytes are exactly the profile's encoding of the payload.
            let p = &line[b"{\"payload\":".len()..line.len() - b",\"signature\":\"\"}".len() - 64];
            assert_eq!(p, signing::encode(&doc.payload, profile).as_slice());
            if profile == Profile::Php {
                assert!(line.is_ascii());
            }
        }
    }
}

#[test]
fn unsigned_lines_are_the_bare_payloads_of_the_signed_lines() {
    let signed = options(5, DialectMode::Mixed, Profile::Php);
    let unsigned = GenerateOptions {
        unsigned: true,
        ..signed.clone()
    };
    let (s, u) = (ndjson(&signed), ndjson(&unsigned));
    for (s, u) in lines(&s).into_iter().zip(lines(&u)) {
        let doc = model::parse_document(u).expect("a bare payload");
        assert!(!doc.is_body && doc.signature.is_none());
        let value: serde_json::Value = serde_json::from_slice(u).expect("json");
        assert!(value.get("signature").is_none() && value.get("event").is_some());
        assert_eq!(
            &s[b"{\"payload\":".len()..b"{\"payload\":".len() + u.len()],
            u
        );
    }
}

#[test]
fn events_are_drawn_at_random_from_the_given_list() {
    let opts = GenerateOptions {
        events: vec![EventName::LiveQueueUpdated, EventName::ClientDeleted],
        count: Some(200),
        ..options(3, DialectMode::Seed, Profile::Compact)
    };
    let out = ndjson(&opts);
    let events: Vec<String> = lines(&out)
        .into_iter()
        .map(|l| model::parse_document(l).expect("a body").payload.event)
        .collect();
    let distinct: BTreeSet<&str> = events.iter().map(String::as_str).collect();
    assert_eq!(
        distinct,
        BTreeSet::from(["client_deleted", "live_queue_updated"])
    );
    assert!(
        events.windows(2).any(|w| w[0] == w[1]),
        "events alternate: cycled, not drawn"
    );
}

#[test]
fn zero_count_writes_nothing_and_no_events_is_an_error() {
    let mut out = Vec::new();
    let opts = GenerateOptions {
        count: Some(0),
        ..options(1, DialectMode::Seed, Profile::Compact)
    };
    assert_eq!(write_ndjson(&opts, &mut out).expect("ok"), 0);
    assert!(out.is_empty());
    let none = GenerateOptions {
        events: vec![],
        ..opts
    };
    let err = write_ndjson(&none, &mut out).expect_err("no events");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

/// Accepts `limit` bytes, then fails like a pipe whose reader has gone;
/// records how many bytes it held at each flush.
struct Pipe {
    held: usize,
    limit: usize,
    flushes: Vec<usize>,
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.held >= self.limit {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        let n = buf.len().min(self.limit - self.held);
        self.held += n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.flushes.push(self.held);
        Ok(())
    }
}

#[test]
fn an_endless_stream_returns_broken_pipe_when_the_reader_goes() {
    let opts = GenerateOptions {
        count: None,
        ..options(8, DialectMode::Mixed, Profile::Compact)
    };
    let mut pipe = Pipe {
        held: 0,
        limit: 200_000,
        flushes: Vec::new(),
    };
    let err = write_ndjson(&opts, &mut pipe).expect_err("the pipe breaks");
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(pipe.held, 200_000);
}

#[test]
fn flushes_after_the_first_line_and_then_as_it_goes() {
    let opts = options(8, DialectMode::Seed, Profile::Compact);
    let first_line = lines(&ndjson(&opts))[0].len() + 1;
    let mut pipe = Pipe {
        held: 0,
        limit: usize::MAX,
        flushes: Vec::new(),
    };
    write_ndjson(&opts, &mut pipe).expect("ok");
    assert_eq!(pipe.flushes[0], first_line);
    assert_eq!(pipe.flushes.last(), Some(&pipe.held));
    assert!(pipe.flushes.len() > 3, "{:?}", pipe.flushes);
    for gap in pipe.flushes.windows(2) {
        assert!(
            gap[1] - gap[0] < 40 * 1024,
            "{} bytes between flushes",
            gap[1] - gap[0]
        );
    }
}
