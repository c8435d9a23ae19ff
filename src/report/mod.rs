//! Reporters: each renders the same [`RunReport`] (the runner's collected
//! event stream) into one format, as a `String`, so every format carries
//! the same facts and each can be snapshot-tested. The certification
//! report (`certify::CertReport`, a run report plus levels) has its own HTML
//! page and JUnit rendering.

mod html;
mod human;
mod junit;

pub use html::{certify_html, escape as html_escape};
pub use human::{human, progress_line};
pub use junit::{certify_junit, junit};

use crate::runner::RunReport;

/// The machine-readable JSON report.
pub fn json(report: &RunReport) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a run report serializes");
    s.push('\n');
    s
}

/// The command that reruns just one scenario or check of a run.
pub fn rerun_command(report: &RunReport, case: &crate::check::Case) -> String {
    match &case.scenario {
        Some(s) => format!("{} --scenario {s} --only {}", report.meta.rerun, case.check),
        None => format!("{} --only {}", report.meta.rerun, case.check),
    }
}
