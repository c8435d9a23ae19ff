//! JUnit XML (quick-junit): one test suite per check, one test case per case.

use crate::check::{CheckId, Verdict};
use crate::runner::RunReport;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

pub fn junit(report: &RunReport) -> String {
    render(&junit_report(report, "chup-harness"))
}

fn render(r: &Report) -> String {
    r.to_string()
        .unwrap_or_else(|e| format!("<!-- junit serialization failed: {e} -->\n"))
}

/// The certification's JUnit: one suite of the levels (a failed level
/// carries why), then the protocol run's suites.
pub fn certify_junit(report: &crate::certify::CertReport) -> String {
    let name = format!("{} {}", report.suite.name, report.suite.version);
    let run = junit_report(&report.run, &name);
    let mut r = Report::new(name);
    r.set_time(Duration::from_secs_f64(report.elapsed_ms / 1000.0));
    let mut levels = TestSuite::new("certification-levels");
    for l in &report.levels {
        let status = if l.passed {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(l.why.first().cloned().unwrap_or_default());
            s.set_description(l.why.join("\n"));
            s
        };
        let mut t = TestCase::new(l.level.name(), status);
        t.set_classname("certification-levels");
        levels.add_test_case(t);
    }
    r.add_test_suite(levels);
    r.add_test_suites(run.test_suites);
    render(&r)
}

fn junit_report(report: &RunReport, name: &str) -> Report {
    let mut r = Report::new(name);
    r.set_time(Duration::from_secs_f64(report.elapsed_ms / 1000.0));
    for check in CheckId::ALL {
        let mut suite = TestSuite::new(check.name());
        let summary = report.checks.iter().find(|s| s.check == check);
        let cases: Vec<_> = report.cases.iter().filter(|c| c.check == check).collect();
        if summary.is_some_and(|s| s.verdict == Verdict::Skipped) {
            let mut status = TestCaseStatus::skipped();
            status.set_message("not selected (--only/--skip)");
            suite.add_test_case(TestCase::new(check.name(), status));
        }
        for c in cases {
            let status = match c.verdict() {
                Verdict::Failed => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(c.reason.clone().unwrap_or_else(|| "failed".to_owned()));
                    let mut desc = String::new();
                    for (sent, got) in c.sent.iter().zip(&c.received) {
                        desc.push_str(&format!(
                            "sent {} {} ({}) -> {}\n",
                            sent.event,
                            sent.record.as_deref().unwrap_or(""),
                            sent.variant,
                            got.status
                                .map(|s| s.to_string())
                                .or(got.error.clone())
                                .unwrap_or_default()
                        ));
                    }
                    if let Some(d) = &c.diff {
                        desc.push_str(d);
                    }
                    desc.push_str(&format!("\nrerun: {}\n", super::rerun_command(report, c)));
                    s.set_description(desc);
                    s
                }
                Verdict::Skipped => TestCaseStatus::skipped(),
                Verdict::NotObserved => {
                    let mut t = TestCase::new(c.name.clone(), TestCaseStatus::success());
                    t.set_classname(check.name());
                    t.set_system_out("response passed; effect not observed (no state URL)");
                    suite.add_test_case(t);
                    continue;
                }
                Verdict::Passed => TestCaseStatus::success(),
            };
            let mut t = TestCase::new(c.name.clone(), status);
            t.set_classname(check.name());
            let ms: f64 = c.received.iter().map(|r| r.latency_ms).sum();
            t.set_time(Duration::from_secs_f64(ms / 1000.0));
            suite.add_test_case(t);
        }
        r.add_test_suite(suite);
    }
    r
}
