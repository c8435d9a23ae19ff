//! Scenario contracts: human-written TOML files (`contracts/scenarios/`,
//! format in `contracts/README.md`) that name a sequence of clinic actions
//! and what the receiver must answer to each.
//!
//! This module owns the file format, its loader (every error names
//! `file:line:column` and says what is wrong), the built-in scenarios
//! compiled into the binary, and compiling a scenario into planned steps:
//! signed-to-be payloads built by the simulated [`crate::clinic::Clinic`],
//! each with its expectation. Loading validates by compiling once (a dry
//! run), so a scenario that loads always compiles.
//!
//! It leaves to others: firing deliveries and judging responses (the
//! runner and checks), snapshots and applying redactions to stored bodies
//! (the snapshot module; [`RedactPath`] is offered for it), signing.

mod compile;
mod format;
mod path;

pub use crate::status::{StatusMatch, StatusSet};
pub use path::RedactPath;

use crate::model::{Payload, RecordKind};
use format::RawScenario;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// Why scenario files could not be loaded (or, rarely, compiled).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Something in a file: syntax, an unknown field or name, a bad
    /// reference or override, an impossible transition.
    #[error("{file}:{line}:{column}: {message}")]
    At {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A file or directory that could not be read.
    #[error("{path}: cannot read")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl LoadError {
    /// Builds an error at a byte offset of a source text.
    pub(crate) fn at(
        file: &str,
        text: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> LoadError {
        let (line, column) = line_column(text, offset);
        LoadError::At {
            file: file.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// What a run needs to compile a scenario: where ids start and what the
/// clinic's clock reads, so every run sends fresh ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileCtx {
    /// Ids are allocated above this; see [`crate::clinic::ID_SPAN`].
    pub id_base: u64,
    pub start_unix: i64,
}

impl CompileCtx {
    /// The context of the validating compile done at load time:
    /// 2024-01-18T20:44:18+08:00, the moment of the docs' appointment example.
    pub const DRY_RUN: CompileCtx = CompileCtx {
        id_base: 0,
        start_unix: 1_705_581_858,
    };
}

/// What a step expects of the receiver's response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepExpect {
    pub status: StatusSet,
    /// Whether the response is compared with its approved snapshot.
    pub snapshot: bool,
    /// Redaction paths for the response body.
    pub redact: Vec<RedactPath>,
}

impl Default for StepExpect {
    fn default() -> Self {
        StepExpect {
            status: StatusSet::success(),
            snapshot: true,
            redact: Vec::new(),
        }
    }
}

/// One delivery of a compiled scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedStep {
    pub name: String,
    pub payload: Payload,
    pub expect: StepExpect,
    /// The record the step touches (kind and numeric id, as the payload
    /// finally says), for the state probe; `None` for an unknown event.
    pub record: Option<(RecordKind, u64)>,
}

/// A loaded scenario, ready to compile with any [`CompileCtx`].
#[derive(Clone, Debug)]
pub struct ScenarioDef {
    origin: String,
    text: Arc<str>,
    raw: RawScenario,
}

impl ScenarioDef {
    pub fn name(&self) -> &str {
        self.raw.name.get_ref()
    }

    pub fn description(&self) -> &str {
        &self.raw.description
    }

    /// The file it came from, as errors name it.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Plays the scenario on a fresh clinic and returns its deliveries.
    pub fn compile(&self, ctx: &CompileCtx) -> Result<Vec<PlannedStep>, LoadError> {
        compile::compile(self, ctx)
    }

    pub(crate) fn error(&self, span: Range<usize>, message: impl Into<String>) -> LoadError {
        LoadError::at(&self.origin, &self.text, span.start, message)
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Loads one scenario from its text; `name_for_errors` is the file name
/// errors carry.
pub fn load_str(name_for_errors: &str, text: &str) -> Result<ScenarioDef, LoadError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        LoadError::at(name_for_errors, text, offset, e.message().trim_end())
    })?;
    let def = ScenarioDef {
        origin: name_for_errors.to_owned(),
        text: Arc::from(text),
        raw,
    };
    if !is_slug(def.name()) {
        return Err(def.error(
            def.raw.name.span(),
            format!(
                "scenario name {:?} must be letters, digits, - and _ (it names snapshot files)",
                def.name()
            ),
        ));
    }
    def.compile(&CompileCtx::DRY_RUN)?;
    Ok(def)
}

/// Loads every `*.toml` file of a directory, in file-name order. Two files
/// may not declare the same scenario name.
pub fn load_dir(dir: &Path) -> Result<Vec<ScenarioDef>, LoadError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| LoadError::Io { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut defs: Vec<ScenarioDef> = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let def = load_str(&path.display().to_string(), &text)?;
        if let Some(other) = defs.iter().find(|d| d.name() == def.name()) {
            return Err(def.error(
                def.raw.name.span(),
                format!(
                    "duplicate scenario name {:?} (also in {})",
                    def.name(),
                    other.origin()
                ),
            ));
        }
        defs.push(def);
    }
    Ok(defs)
}

/// The standard scenarios, one per flow of the Chup docs plus whole
/// journeys; their files live in `contracts/scenarios/`.
const BUILTIN: [(&str, &str); 18] = [
    (
        "join.toml",
        include_str!("../../contracts/scenarios/join.toml"),
    ),
    (
        "appointment.toml",
        include_str!("../../contracts/scenarios/appointment.toml"),
    ),
    (
        "alert.toml",
        include_str!("../../contracts/scenarios/alert.toml"),
    ),
    (
        "serving.toml",
        include_str!("../../contracts/scenarios/serving.toml"),
    ),
    (
        "served.toml",
        include_str!("../../contracts/scenarios/served.toml"),
    ),
    (
        "no-show.toml",
        include_str!("../../contracts/scenarios/no-show.toml"),
    ),
    (
        "no-show-cancelled-by-system.toml",
        include_str!("../../contracts/scenarios/no-show-cancelled-by-system.toml"),
    ),
    (
        "no-show-back-to-queue.toml",
        include_str!("../../contracts/scenarios/no-show-back-to-queue.toml"),
    ),
    (
        "move.toml",
        include_str!("../../contracts/scenarios/move.toml"),
    ),
    (
        "cancel.toml",
        include_str!("../../contracts/scenarios/cancel.toml"),
    ),
    (
        "reschedule.toml",
        include_str!("../../contracts/scenarios/reschedule.toml"),
    ),
    (
        "pharmacy-received.toml",
        include_str!("../../contracts/scenarios/pharmacy-received.toml"),
    ),
    (
        "pharmacy-dispense.toml",
        include_str!("../../contracts/scenarios/pharmacy-dispense.toml"),
    ),
    (
        "billing-paid.toml",
        include_str!("../../contracts/scenarios/billing-paid.toml"),
    ),
    (
        "end-visit.toml",
        include_str!("../../contracts/scenarios/end-visit.toml"),
    ),
    (
        "journey-walk-in.toml",
        include_str!("../../contracts/scenarios/journey-walk-in.toml"),
    ),
    (
        "journey-appointment.toml",
        include_str!("../../contracts/scenarios/journey-appointment.toml"),
    ),
    (
        "journey-no-show-return.toml",
        include_str!("../../contracts/scenarios/journey-no-show-return.toml"),
    ),
];

/// The file names of the built-in scenarios (for the test that keeps
/// `contracts/scenarios/` and this list in step).
pub fn builtin_files() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(file, _)| *file)
}

/// The built-in scenarios, in the order of the Chup docs.
pub fn builtin() -> Vec<ScenarioDef> {
    BUILTIN
        .iter()
        .map(|(file, text)| {
            load_str(&format!("contracts/scenarios/{file}"), text)
                .expect("every built-in scenario loads (tests/scenario.rs checks each)")
        })
        .collect()
}

/// The built-ins with `extra` laid over them: a scenario of `extra` replaces
/// the built-in of the same name in place; the others are appended in order.
pub fn merge(builtin: Vec<ScenarioDef>, extra: Vec<ScenarioDef>) -> Vec<ScenarioDef> {
    let mut out = builtin;
    for def in extra {
        match out.iter_mut().find(|d| d.name() == def.name()) {
            Some(slot) => *slot = def,
            None => out.push(def),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_from_one() {
        let text = "a = 1\nname = \"→x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        let x = text.find('x').expect("present");
        assert_eq!(line_column(text, x), (2, 10), "the arrow is one character");
        assert_eq!(line_column(text, 10_000), (3, 1));
    }
}
