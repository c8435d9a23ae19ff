//! chup-harness plays Chup Online against a webhook receiver (an HIS).
//!
//! The split, from data to verdicts:
//! - [`model`]: what a Chup payload is, every dialect of the real sender,
//!   the invariants, restyling between dialects;
//! - [`signing`]: signing profiles, the body layout, sign and verify;
//! - [`generate`]: seeded, valid payloads of every event;
//! - [`clinic`] and [`scenario`]: a simulated clinic and the scenario
//!   contracts written against it;
//! - [`transport`], [`runner`], [`check`], [`snapshot`]: firing deliveries
//!   and judging the answers against the protocol contract and snapshots;
//! - [`report`]: human, JSON and JUnit output from one run report;
//! - [`fuzz`] and [`replay`]: property-based journeys under delivery
//!   faults, shrunk failures and their byte-for-byte replay files;
//! - [`reference`]: a correct receiver, the default target;
//! - [`mock`]: the mock Chup Online server (`serve`): dashboard, control
//!   API, mock Chup API, delivery log and retries;
//! - [`schema`]: JSON Schema and AsyncAPI descriptions of the webhooks;
//! - [`certify`]: the versioned conformance suite, its levels, and the
//!   signed, verifiable report bundle a vendor hands over.
//!
//! Outcomes (a failed check, a timeout of the receiver) are data; `Err`
//! means the harness could not run. Exit codes live in [`exit_code`].

pub mod body_limit;
pub mod certify;
pub mod check;
pub mod clinic;
pub mod duration;
pub mod examples;
pub mod exit_code;
pub mod fuzz;
pub mod generate;
pub mod input;
pub mod load;
pub mod mock;
pub mod model;
pub mod reference;
pub mod replay;
pub mod report;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod schema;
pub mod signing;
pub mod snapshot;
pub mod status;
pub mod transport;
