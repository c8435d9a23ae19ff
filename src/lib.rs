//! chup-harness: plays Chup Online against a webhook receiver.
pub mod generate;
pub mod model;
pub mod rng;
pub mod signing;
