//! The examples of the Chup Online webhook examples page (tests/fixtures/seed/),
//! compiled in: the dialects check re-sends each with a fresh id.

/// (file name, full body text) of every example.
pub const EXAMPLES: [(&str, &str); 16] = [
    ("00-overview.json", include_str!("../tests/fixtures/seed/00-overview.json")),
    ("01-join.json", include_str!("../tests/fixtures/seed/01-join.json")),
    ("02-appointment.json", include_str!("../tests/fixtures/seed/02-appointment.json")),
    ("03-alert.json", include_str!("../tests/fixtures/seed/03-alert.json")),
    ("04-serving.json", include_str!("../tests/fixtures/seed/04-serving.json")),
    ("05-served.json", include_str!("../tests/fixtures/seed/05-served.json")),
    ("06-no-show.json", include_str!("../tests/fixtures/seed/06-no-show.json")),
    ("06b-no-show-cancelled-by-system.json", include_str!("../tests/fixtures/seed/06b-no-show-cancelled-by-system.json")),
    ("06c-no-show-back-to-queue.json", include_str!("../tests/fixtures/seed/06c-no-show-back-to-queue.json")),
    ("07-move.json", include_str!("../tests/fixtures/seed/07-move.json")),
    ("08-cancel.json", include_str!("../tests/fixtures/seed/08-cancel.json")),
    ("09-reschedule.json", include_str!("../tests/fixtures/seed/09-reschedule.json")),
    ("10-pharmacy-received.json", include_str!("../tests/fixtures/seed/10-pharmacy-received.json")),
    ("11-pharmacy-dispense.json", include_str!("../tests/fixtures/seed/11-pharmacy-dispense.json")),
    ("12-billing-paid.json", include_str!("../tests/fixtures/seed/12-billing-paid.json")),
    ("13-end-visit.json", include_str!("../tests/fixtures/seed/13-end-visit.json")),
];
