//! chup-harness: plays Chup Online against a webhook receiver.
pub mod exit_code;
pub mod input;
pub mod model;
pub mod rng;
pub mod signing;
