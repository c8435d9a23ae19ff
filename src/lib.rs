//! chup-harness: plays Chup Online against a webhook receiver.
pub mod model;
pub mod signing;
pub mod rng;
pub mod reference;
