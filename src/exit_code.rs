//! The process exit codes of every verb, in one place. Documented in the
//! README and in `--help`; scripts and CI depend on them, so they never change.

/// Everything passed: valid signature, valid payload, every check green.
pub const SUCCESS: i32 = 0;
/// A negative verdict: an invalid signature or payload, a failed check, a
/// pending or changed snapshot.
pub const FAILED: i32 = 1;
/// Usage, configuration, contract or input error: the run could not start.
pub const USAGE: i32 = 2;
/// The target receiver could not be reached at all, or stopped answering
/// mid-run (the runner's circuit breaker, `run --stop-after`).
pub const UNREACHABLE: i32 = 3;
