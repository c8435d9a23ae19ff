//! Writes the schema export into a directory until the CLI verb
//! `chup-harness schema --out DIR` is wired:
//! `cargo run --example write_schema -- contracts/schema`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write_schema DIR");
        return ExitCode::from(2);
    };
    match chup_harness::schema::write_all(&dir) {
        Ok(paths) => {
            for p in paths {
                println!("{}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("write_schema: error: {e}: {}", source_of(&e));
            ExitCode::FAILURE
        }
    }
}

fn source_of(e: &dyn std::error::Error) -> String {
    e.source().map(|s| s.to_string()).unwrap_or_default()
}
