//! Scenario loading on arbitrary text: a scenario file either loads or is
//! refused with an error naming a line; loading never panics, and a loaded
//! scenario compiles in any run's context.
#![no_main]

use chup_harness::scenario::{self, CompileCtx};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match scenario::load_str("fuzz.toml", text) {
        Ok(def) => {
            let ctx = CompileCtx {
                id_base: 1_000_000,
                start_unix: 1_700_000_000,
            };
            let _ = def.compile(&ctx);
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(
                shown.contains("fuzz.toml"),
                "error does not name the file: {shown}"
            );
        }
    }
});
