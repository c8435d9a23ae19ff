//! The scenario file as written: serde types that mirror the TOML one to
//! one, with the byte span of every value an error may need to point at.
//! Unknown fields are refused here; what the fields mean is `compile`'s.

use crate::status::StatusSet;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub name: Spanned<String>,
    pub description: String,
    #[serde(default)]
    pub patient: Vec<RawPatient>,
    #[serde(default)]
    pub step: Vec<RawStep>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPatient {
    /// The handle steps use (`patient = "aisyah"`).
    pub name: Spanned<String>,
    pub client_name: String,
    pub phone: Spanned<String>,
    pub email: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    #[serde(rename = "do")]
    pub action: Spanned<String>,
    pub name: Option<Spanned<String>>,
    pub after: Option<Spanned<String>>,
    pub patient: Option<Spanned<String>>,
    pub service: Option<Spanned<String>>,
    pub to: Option<Spanned<String>>,
    pub date: Option<Spanned<String>>,
    pub time: Option<Spanned<String>>,
    pub visit: Option<Spanned<String>>,
    pub appointment: Option<Spanned<String>>,
    #[serde(rename = "as")]
    pub as_name: Option<Spanned<String>>,
    pub event: Option<Spanned<String>>,
    pub unknown_event: Option<Spanned<String>>,
    pub staff: Option<Spanned<String>>,
    pub data: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub set: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    pub expect: Option<RawExpect>,
    pub dialect: Option<Vec<Spanned<String>>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    pub status: Option<StatusSet>,
    pub snapshot: Option<bool>,
    pub redact: Option<Vec<Spanned<String>>>,
}
