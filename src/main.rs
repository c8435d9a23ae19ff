//! The `chup-harness` binary: parse the command line, call into the
//! library, map the outcome to an exit code (see `exit_code`).

mod certify_cmd;
mod cli;
mod fuzz_cmd;
mod load_cmd;
mod run_cmd;
mod serve_cmd;

use clap::Parser;

fn main() {
    let parsed = cli::Cli::parse();
    let code = match cli::run(parsed) {
        Ok(code) => code,
        Err(e) => {
            // One line: the context chain joined with ": ".
            eprintln!("chup-harness: error: {e:#}");
            chup_harness::exit_code::USAGE
        }
    };
    std::process::exit(code);
}
