//! The `chup-harness` binary: parse the command line, call into the
//! library, map the outcome to an exit code (see `exit_code`). Every error
//! is one line on stderr naming the file, line or flag and saying what to
//! do; clap's own usage errors are folded into that shape too.

mod certify_cmd;
mod cli;
mod fuzz_cmd;
mod load_cmd;
mod run_cmd;
mod serve_cmd;

use clap::{CommandFactory, Parser};

fn main() {
    let parsed = match cli::Cli::try_parse() {
        Ok(p) => p,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            eprintln!("chup-harness: error: {}", usage_error_line(&e));
            std::process::exit(chup_harness::exit_code::USAGE);
        }
    };
    let code = match cli::run(parsed) {
        Ok(code) => code,
        Err(e) => {
            // One line: the context chain joined with ": ", and any line
            // breaks a library message carries folded into "; ".
            eprintln!("chup-harness: error: {}", one_line(&format!("{e:#}")));
            chup_harness::exit_code::USAGE
        }
    };
    std::process::exit(code);
}

/// Folds a multi-line message into one line.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// clap's usage error as one line: what was wrong, clap's tip if it has
/// one, and the `--help` to read.
fn usage_error_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let what = lines
        .next()
        .unwrap_or("invalid command line")
        .trim_start_matches("error: ")
        .to_owned();
    // Tips ("a similar argument exists") and the possible values say what
    // to type instead; the usage lines repeat what --help says.
    let tips: Vec<&str> = lines
        .filter_map(|l| {
            l.strip_prefix("tip: ")
                .or_else(|| l.starts_with("[possible values").then_some(l))
        })
        .collect();
    // The verb the user typed, so the help pointed to is the right one.
    let verbs: Vec<String> = cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    let verb = std::env::args()
        .skip(1)
        .find(|a| verbs.iter().any(|v| v == a));
    let help = match verb {
        Some(v) => format!("chup-harness {v} --help"),
        None => "chup-harness --help".to_owned(),
    };
    let mut line = what;
    for tip in tips {
        line.push_str("; ");
        line.push_str(tip);
    }
    line.push_str(&format!("; see `{help}`"));
    line
}
