//! chup-harness: plays Chup Online against a webhook receiver.
pub mod clinic;
pub mod model;
pub mod rng;
pub mod scenario;
pub mod signing;
