//! The certification report as one self-contained, printable HTML page a
//! reviewer reads: summary, levels (and why a level did not pass), every
//! failure with what was sent and what came back, the load figures, every
//! check, and the environment. Inline CSS, no script, no external resource.
//!
//! Everything that comes from a receiver (bodies, errors) or a user (vendor,
//! product, target) is HTML-escaped: a hostile receiver must not be able to
//! put markup into a certificate.

use crate::certify::{CertReport, LevelResult};
use crate::check::{Case, Verdict};
use std::fmt::Write;

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than newline and tab would make the
            // page invalid; show them as their code instead.
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ok: #1a7f37; --bad: #b3261e; --warn: #8a6100; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
       color: #1f2328; max-width: 64rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.sub { color: var(--muted); margin: 0 0 1rem; }
.verdict { border: 2px solid; border-radius: 8px; padding: .8rem 1rem; margin: 1rem 0; font-size: 1.1rem; }
.verdict.pass { border-color: var(--ok); background: #dafbe1; }
.verdict.fail { border-color: var(--bad); background: #ffebe9; }
.badge { display: inline-block; min-width: 4.5rem; text-align: center; border-radius: 4px;
         padding: 0 .4rem; font-weight: 600; font-size: .85rem; color: #fff; }
.badge.passed { background: var(--ok); } .badge.failed { background: var(--bad); }
.badge.skipped, .badge.not-observed { background: var(--warn); }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .5rem;
      white-space: pre-wrap; word-break: break-all; margin: .3rem 0; max-height: 24rem; overflow: auto; }
.level { border: 1px solid var(--line); border-radius: 8px; padding: .2rem 1rem .6rem; margin: .8rem 0; }
.why { color: var(--bad); }
.failure { border-left: 4px solid var(--bad); padding: .1rem 0 .1rem 1rem; margin: 1rem 0; }
.muted { color: var(--muted); }
td:first-child > code { white-space: nowrap; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  .level, .failure, table, pre { break-inside: avoid; }
  pre { max-height: none; overflow: visible; }
  h2 { break-after: avoid; }
  .verdict, .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

fn badge(v: Verdict) -> String {
    let class = match v {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::NotObserved => "not-observed",
        Verdict::Skipped => "skipped",
    };
    format!(
        "<span class=\"badge {class}\">{}</span>",
        escape(&v.to_string())
    )
}

fn pass_badge(passed: bool) -> String {
    badge(if passed {
        Verdict::Passed
    } else {
        Verdict::Failed
    })
}

fn row(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(
        out,
        "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
        escape(key),
        value
    );
}

fn time(unix: i64) -> String {
    escape(&crate::model::time::format_laravel_utc(unix).replace(".000000Z", "Z"))
}

fn product_line(r: &CertReport) -> String {
    let p = &r.product;
    let name = [p.vendor.as_deref(), p.product.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = if name.is_empty() {
        "an unnamed receiver".to_owned()
    } else {
        name
    };
    match &p.product_version {
        Some(v) => format!("{name} {v}"),
        None => name,
    }
}

fn level_section(out: &mut String, l: &LevelResult) {
    let _ = writeln!(
        out,
        "<section class=\"level\" id=\"level-{}\"><h3>{} {}</h3>",
        l.level.name(),
        escape(l.level.title()),
        pass_badge(l.passed)
    );
    if !l.why.is_empty() {
        let _ = writeln!(out, "<p><strong>Why it did not pass:</strong></p><ul>");
        for w in &l.why {
            let _ = writeln!(out, "<li class=\"why\">{}</li>", escape(w));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(
        "<table><thead><tr><th>requirement</th><th>verdict</th><th>what it demands</th></tr></thead><tbody>\n",
    );
    for r in &l.requirements {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}{}</td></tr>",
            escape(&r.name),
            pass_badge(r.passed),
            escape(&r.description),
            r.why
                .as_ref()
                .map(|w| format!("<br><span class=\"why\">{}</span>", escape(w)))
                .unwrap_or_default()
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn failure(out: &mut String, c: &Case) {
    let _ = writeln!(
        out,
        "<div class=\"failure\"><h3><code>{}</code>: {}</h3>",
        escape(c.check.name()),
        escape(&c.name)
    );
    if let Some(s) = &c.scenario {
        let _ = writeln!(
            out,
            "<p class=\"muted\">scenario {}{}</p>",
            escape(s),
            c.step
                .as_ref()
                .map(|s| format!(", step {}", escape(s)))
                .unwrap_or_default()
        );
    }
    if let Some(r) = &c.reason {
        let _ = writeln!(
            out,
            "<p class=\"why\"><strong>Why:</strong> {}</p>",
            escape(r)
        );
    }
    if !c.sent.is_empty() {
        out.push_str("<table><thead><tr><th>request</th><th>response</th><th class=\"num\">latency</th></tr></thead><tbody>\n");
        for (s, r) in c.sent.iter().zip(&c.received) {
            let request = format!(
                "POST {}{} <span class=\"muted\">({}, {} bytes)</span>",
                escape(if s.event.is_empty() {
                    "(no event)"
                } else {
                    &s.event
                }),
                s.record
                    .as_ref()
                    .map(|r| format!(" <code>{}</code>", escape(r)))
                    .unwrap_or_default(),
                escape(&s.variant),
                s.bytes
            );
            let status = match (r.status, &r.error) {
                (Some(st), _) => format!("HTTP {st}"),
                (None, Some(e)) => e.clone(),
                (None, None) => "no answer".to_owned(),
            };
            let body = if r.body.is_empty() {
                String::new()
            } else {
                format!("<pre>{}</pre>", escape(&r.body))
            };
            let _ = writeln!(
                out,
                "<tr><td>{request}</td><td><strong>{}</strong>{body}</td><td class=\"num\">{:.1} ms</td></tr>",
                escape(&status),
                r.latency_ms
            );
        }
        out.push_str("</tbody></table>\n");
    }
    if let Some(d) = &c.diff {
        let _ = writeln!(out, "<pre>{}</pre>", escape(d));
    }
    out.push_str("</div>\n");
}

/// The whole page.
pub fn certify_html(r: &CertReport) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let product = product_line(r);
    let headline = match r.highest_level {
        Some(l) => format!("{}: {} level reached", product, l.title()),
        None => format!("{product}: Core level not reached"),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&format!("Certification: {headline}"))
    );
    let _ = writeln!(
        out,
        "<header><h1>Chup webhook receiver certification</h1>\
<p class=\"sub\">{} against suite <code>{} {}</code> (seed {}), {}</p></header>",
        escape(&product),
        escape(&r.suite.name),
        escape(&r.suite.version),
        r.suite.seed,
        time(r.started_unix)
    );

    // Summary.
    let passed_levels: Vec<&str> = r
        .levels
        .iter()
        .filter(|l| l.passed)
        .map(|l| l.level.title())
        .collect();
    let _ = writeln!(
        out,
        "<section id=\"summary\"><h2>Summary</h2><div class=\"verdict {}\" id=\"verdict\"><strong>{}</strong><br>{}</div>",
        if r.highest_level.is_some() {
            "pass"
        } else {
            "fail"
        },
        escape(&match r.highest_level {
            Some(l) => format!("Highest level reached: {}", l.title()),
            None => "Not certified: the Core level failed".to_owned(),
        }),
        escape(&if passed_levels.is_empty() {
            "No level passed.".to_owned()
        } else {
            format!("Levels passed: {}.", passed_levels.join(", "))
        })
    );
    out.push_str("<table><tbody>\n");
    for l in &r.levels {
        let reason = l
            .why
            .first()
            .map(|w| format!(" <span class=\"why\">{}</span>", escape(w)))
            .unwrap_or_default();
        row(
            &mut out,
            &format!("{} level", l.level.title()),
            &format!("{}{reason}", pass_badge(l.passed)),
        );
    }
    let failed_cases = r.run.failed_cases().count();
    row(
        &mut out,
        "protocol checks",
        &format!(
            "{} checks, {} cases, {} failed, {} deliveries",
            r.run
                .checks
                .iter()
                .filter(|c| c.verdict != Verdict::Skipped)
                .count(),
            r.run.cases.len(),
            failed_cases,
            r.run.deliveries
        ),
    );
    row(
        &mut out,
        "target",
        &format!("<code>{}</code>", escape(&r.target)),
    );
    row(
        &mut out,
        "duration",
        &format!("{:.1} s", r.elapsed_ms / 1000.0),
    );
    out.push_str("</tbody></table></section>\n");

    // Levels.
    out.push_str("<section id=\"levels\"><h2>Levels</h2>\n<p>Levels are cumulative: Robust requires Core, Load requires Robust.</p>\n");
    for l in &r.levels {
        level_section(&mut out, l);
    }
    let _ = writeln!(
        out,
        "<p class=\"muted\">Snapshots: {}. Property journeys: {}.</p></section>",
        escape(&r.suite.snapshots),
        escape(&r.suite.journeys)
    );

    // Failures.
    let failures: Vec<&Case> = r.run.failed_cases().collect();
    let _ = writeln!(
        out,
        "<section id=\"failures\"><h2>Failures ({})</h2>",
        failures.len() + r.load.failures.len()
    );
    if failures.is_empty() && r.load.failures.is_empty() {
        out.push_str("<p>No check failed.</p>\n");
    }
    const SHOWN: usize = 200;
    for c in failures.iter().take(SHOWN) {
        failure(&mut out, c);
    }
    if failures.len() > SHOWN {
        let _ = writeln!(
            out,
            "<p>… and {} more failed cases, listed in report.json.</p>",
            failures.len() - SHOWN
        );
    }
    for f in &r.load.failures {
        let _ = writeln!(
            out,
            "<div class=\"failure\"><h3>load burst: {} <code>{}</code></h3><p class=\"why\">{}{} in {:.0} ms</p>{}</div>",
            escape(&f.event),
            escape(&f.record),
            escape(&f.status.map(|s| format!("HTTP {s}")).unwrap_or_default()),
            escape(f.error.as_deref().unwrap_or_default()),
            f.latency_ms,
            if f.body.is_empty() {
                String::new()
            } else {
                format!("<pre>{}</pre>", escape(&f.body))
            }
        );
    }
    out.push_str("</section>\n");

    // Load.
    let l = &r.load;
    out.push_str("<section id=\"load\"><h2>Load burst</h2><table><tbody>\n");
    row(
        &mut out,
        "stated",
        &format!(
            "{} deliveries at {} per second for {:.1} s, latency budget {} ms",
            l.deliveries,
            l.stated_rate_per_s,
            l.stated_duration_ms as f64 / 1000.0,
            l.latency_budget_ms
        ),
    );
    row(
        &mut out,
        "achieved",
        &format!(
            "{:.1} answers per second, {} of {} answered 2xx",
            l.achieved_rate_per_s, l.answered_2xx, l.deliveries
        ),
    );
    row(
        &mut out,
        "latency",
        &format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            l.p50_ms, l.p99_ms, l.max_ms
        ),
    );
    let outcomes: Vec<String> = l
        .outcomes
        .iter()
        .map(|(k, n)| format!("{} x {}", n, escape(k)))
        .collect();
    row(&mut out, "answers", &outcomes.join(", "));
    out.push_str("</tbody></table></section>\n");

    // Every check.
    out.push_str("<section id=\"checks\"><h2>Every check</h2><table><thead><tr><th>check</th><th>verdict</th><th class=\"num\">cases</th><th class=\"num\">failed</th><th>expects</th></tr></thead><tbody>\n");
    for c in &r.run.checks {
        let verdict = if c.verdict == Verdict::Passed && c.effects_not_observed {
            Verdict::NotObserved
        } else {
            c.verdict
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(c.check.name()),
            badge(verdict),
            c.cases,
            c.failed,
            escape(&c.expect)
        );
    }
    out.push_str("</tbody></table>\n<h3>Scenarios</h3><table><thead><tr><th>scenario</th><th class=\"num\">steps</th><th class=\"num\">failed</th><th class=\"num\">time</th></tr></thead><tbody>\n");
    for s in &r.run.scenarios {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.0} ms</td></tr>",
            escape(&s.name),
            s.steps,
            s.failed,
            s.elapsed_ms
        );
    }
    out.push_str("</tbody></table></section>\n");

    // Environment.
    out.push_str("<section id=\"environment\"><h2>Environment</h2><table><tbody>\n");
    let env: Vec<(&str, String)> = vec![
        (
            "suite",
            format!(
                "{} {} (seed {})",
                escape(&r.suite.name),
                escape(&r.suite.version),
                r.suite.seed
            ),
        ),
        (
            "harness",
            format!("chup-harness {}", escape(&r.harness_version)),
        ),
        ("vendor", escape(r.product.vendor.as_deref().unwrap_or("-"))),
        (
            "product",
            escape(r.product.product.as_deref().unwrap_or("-")),
        ),
        (
            "product version",
            escape(r.product.product_version.as_deref().unwrap_or("-")),
        ),
        ("target", format!("<code>{}</code>", escape(&r.target))),
        (
            "state probe",
            r.state_url
                .as_deref()
                .map(|s| format!("<code>{}</code>", escape(s)))
                .unwrap_or_else(|| "none (effects not observed)".to_owned()),
        ),
        ("signing profile", escape(&r.signing_profile)),
        (
            "secret",
            format!("fingerprint <code>{}</code>", escape(&r.secret_fingerprint)),
        ),
        (
            "record ids",
            format!("from {} (fresh per run)", r.run.meta.id_base),
        ),
        ("started", time(r.started_unix)),
        ("finished", time(r.finished_unix)),
        (
            "timeout, budget",
            format!(
                "{} ms, {} ms",
                r.suite.timeout_ms, r.suite.latency_budget_ms
            ),
        ),
        (
            "platform",
            escape(&format!(
                "{} {}",
                std::env::consts::OS,
                std::env::consts::ARCH
            )),
        ),
        ("command", format!("<code>{}</code>", escape(&r.command))),
    ];
    for (k, v) in &env {
        row(&mut out, k, v);
    }
    out.push_str("</tbody></table></section>\n");
    out.push_str(
        "<footer>This page is part of a certification bundle. Check that no file of the bundle was changed with <code>chup-harness verify-report DIR</code> (add <code>--public-key FILE</code> for a signed bundle).</footer>\n</body>\n</html>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("a\u{1}b\nc"), "a\\u{1}b\nc");
    }
}
