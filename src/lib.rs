//! chup-harness: plays Chup Online against a webhook receiver.
pub mod exit_code;
pub mod input;
pub mod model;
pub mod rng;
pub mod signing;
pub mod duration;
pub mod transport;
pub mod status;
pub mod snapshot;
pub mod check;
pub mod examples;
