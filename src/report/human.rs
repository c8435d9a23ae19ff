//! The terminal report: a line per scenario and per check, then every
//! failure with what was sent, what came back, why it failed and the
//! command that reruns just that part.

use crate::check::{Case, Verdict};
use crate::runner::{Event, RunReport};
use std::fmt::Write;

fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "ok  ",
        Verdict::Failed => "FAIL",
        Verdict::NotObserved => "ok~ ",
        Verdict::Skipped => "skip",
    }
}

/// One line for an event as it happens (used while the run goes on).
pub fn progress_line(e: &Event) -> String {
    match e {
        Event::ScenarioFinished {
            name,
            steps,
            failed,
            elapsed,
        } => format!(
            "{} scenario {name:<30} {steps:>3} steps {:>7.1} ms{}",
            if *failed == 0 {
                mark(Verdict::Passed)
            } else {
                mark(Verdict::Failed)
            },
            elapsed.as_secs_f64() * 1000.0,
            if *failed > 0 {
                format!("  ({failed} failed)")
            } else {
                String::new()
            }
        ),
        Event::CheckFinished(s) => format!(
            "{} check    {:<30} {:>3} cases{}",
            mark(if s.verdict == Verdict::Passed && s.effects_not_observed {
                Verdict::NotObserved
            } else {
                s.verdict
            }),
            s.check.name(),
            s.cases,
            if s.failed > 0 {
                format!("  ({} failed)", s.failed)
            } else {
                String::new()
            }
        ),
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

fn failure(out: &mut String, report: &RunReport, c: &Case) {
    let _ = writeln!(out, "FAIL {}: {}", c.check, c.name);
    for (s, r) in c.sent.iter().zip(&c.received) {
        let record = s
            .record
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "     sent  {}{record} ({}), {} bytes",
            s.event, s.variant, s.bytes
        );
        let got = match (r.status, &r.error) {
            (Some(st), None) => format!("HTTP {st}"),
            (Some(st), Some(note)) => format!("HTTP {st} ({note})"),
            (None, Some(e)) => e.clone(),
            (None, None) => "no answer".to_owned(),
        };
        let body = if r.body.is_empty() {
            String::new()
        } else {
            format!(": {}", crate::runner::truncate_line(&r.body, 160))
        };
        let _ = writeln!(out, "     got   {got} in {:.0} ms{body}", r.latency_ms);
    }
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "     why   {reason}");
    }
    if let Some(diff) = &c.diff {
        out.push_str(&indent(diff.trim_end(), "     | "));
    }
    let _ = writeln!(out, "     rerun {}", super::rerun_command(report, c));
}

/// The whole terminal report.
pub fn human(report: &RunReport) -> String {
    let m = &report.meta;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "chup-harness {} against {}",
        m.harness_version, m.target
    );
    let _ = writeln!(
        out,
        "signing {} | secret {} | id base {} | state probe {}",
        m.signing_profile,
        m.secret_fingerprint,
        m.id_base,
        m.state_url
            .as_deref()
            .unwrap_or("none (effects not observed)")
    );
    out.push('\n');
    for s in &report.scenarios {
        let _ = writeln!(
            out,
            "{}",
            progress_line(&Event::ScenarioFinished {
                name: s.name.clone(),
                steps: s.steps,
                failed: s.failed,
                elapsed: std::time::Duration::from_secs_f64(s.elapsed_ms / 1000.0),
            })
        );
    }
    if !report.scenarios.is_empty() {
        out.push('\n');
    }
    for s in &report.checks {
        let mut line = progress_line(&Event::CheckFinished(s.clone()));
        if s.verdict == Verdict::Skipped {
            line = format!(
                "{} check    {:<30} skipped",
                mark(Verdict::Skipped),
                s.check.name()
            );
        } else if s.effects_not_observed {
            line.push_str("  (effects not observed: no --state-url)");
        }
        let _ = writeln!(out, "{line}");
    }
    let failures: Vec<&Case> = report.failed_cases().collect();
    if !failures.is_empty() {
        out.push('\n');
        for c in &failures {
            failure(&mut out, report, c);
        }
    }
    if report.snapshots.new + report.snapshots.changed > 0 {
        out.push('\n');
        let _ = writeln!(
            out,
            "snapshots: {} matched, {} new, {} changed in {} ({})",
            report.snapshots.matched,
            report.snapshots.new,
            report.snapshots.changed,
            m.snapshot_dir,
            match m.snapshot_mode {
                crate::snapshot::Mode::Ci => "CI: nothing written",
                crate::snapshot::Mode::Pending => "pending .snap.new written: review with `cargo insta review` or accept with `chup-harness run --accept`",
                crate::snapshot::Mode::Accept => "accepted",
            }
        );
    }
    if let Some(stopped) = &report.stopped {
        let _ = writeln!(
            out,
            "\nstopped: {}; the {} deliveries after it were not sent (--stop-after)",
            stopped.reason, stopped.skipped
        );
    }
    let count = |v: Verdict| report.checks.iter().filter(|c| c.verdict == v).count();
    let _ = writeln!(
        out,
        "\nresult: {} | {} checks: {} passed, {} failed, {} skipped | {} deliveries in {:.2} s",
        if report.passed { "PASSED" } else { "FAILED" },
        report.checks.len(),
        count(Verdict::Passed),
        count(Verdict::Failed),
        count(Verdict::Skipped),
        report.deliveries,
        report.elapsed_ms / 1000.0
    );
    out
}
