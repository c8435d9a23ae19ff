//! The command line: clap types for every verb and the glue that turns
//! flags into library calls. Owns wording and exit codes of the terminal;
//! owns no protocol logic.

use anyhow::{bail, Context, Result};
use chup_harness::exit_code;
use chup_harness::input::{read_documents, Doc, Source};
use chup_harness::model::{self, DialectMode};
use chup_harness::signing::{self, Profile, Secret, SignatureError};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

pub const EXIT_CODES: &str =
    "Exit codes: 0 success, 1 negative verdict (invalid signature or payload, failed check), \
2 usage or input error, 3 target unreachable or stopped answering.";

/// Plays Chup Online against a webhook receiver: generates, signs, fires
/// and checks Chup webhooks.
#[derive(Parser, Debug)]
#[command(name = "chup-harness", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Run(Box<crate::run_cmd::RunArgs>),
    Fuzz(crate::fuzz_cmd::FuzzArgs),
    Replay(crate::fuzz_cmd::ReplayArgs),
    Serve(Box<crate::serve_cmd::ServeArgs>),
    Certify(Box<crate::certify_cmd::CertifyArgs>),
    VerifyReport(crate::certify_cmd::VerifyReportArgs),
    Keygen(crate::certify_cmd::KeygenArgs),
    Load(crate::load_cmd::LoadArgs),
    Generate(GenerateArgs),
    Sign(SignArgs),
    Verify(VerifyArgs),
    Inspect(InspectArgs),
    Schema(SchemaArgs),
    ReferenceHis(crate::run_cmd::ReferenceArgs),
}

/// Export JSON Schema (draft 2020-12) and AsyncAPI 3.0 descriptions of the webhooks.
///
/// Writes DIR/body.schema.json (the whole body), DIR/payloads/<event>.schema.json
/// (each event's payload, every dialect as an alternative; the thirteen events
/// without a docs example are marked "x-chup-assumed") and DIR/asyncapi.yaml.
/// Existing files of these names in DIR are replaced; nothing else is touched.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct SchemaArgs {
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Where the signing secret comes from. Precedence: --secret, then
/// --secret-file, then the CHUP_SECRET environment variable, then the test
/// secret `chup-test-secret`. The secret is never printed; reports show its
/// fingerprint.
#[derive(Args, Debug, Clone)]
pub struct SecretArgs {
    /// Signing secret [env: CHUP_SECRET] [default: chup-test-secret].
    #[arg(long, value_name = "SECRET", conflicts_with = "secret_file")]
    pub secret: Option<String>,
    /// Read the signing secret from FILE (one trailing newline is ignored).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
}

impl SecretArgs {
    pub fn resolve(&self) -> Result<Secret> {
        if let Some(s) = &self.secret {
            return non_empty(s.clone(), "--secret");
        }
        if let Some(path) = &self.secret_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| {
                    format!(
                        "cannot read --secret-file {} (give a readable file holding the secret, or use --secret or CHUP_SECRET)",
                        path.display()
                    )
                })?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            return non_empty(
                text.to_owned(),
                &format!("--secret-file {}", path.display()),
            );
        }
        match std::env::var("CHUP_SECRET") {
            Ok(s) => non_empty(s, "CHUP_SECRET"),
            Err(_) => Ok(Secret::default()),
        }
    }
}

fn non_empty(s: String, from: &str) -> Result<Secret> {
    if s.is_empty() {
        bail!("{from} is empty: give a non-empty secret, or omit it to use the test secret");
    }
    Ok(Secret::new(s))
}

/// A signing profile on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SigningArg {
    /// serde_json compact, raw UTF-8 (Python json.dumps with separators and ensure_ascii=False).
    #[default]
    Compact,
    /// PHP json_encode defaults (Laravel): `\/` and `\uXXXX`.
    Php,
}

impl From<SigningArg> for Profile {
    fn from(a: SigningArg) -> Profile {
        match a {
            SigningArg::Compact => Profile::Compact,
            SigningArg::Php => Profile::Php,
        }
    }
}

/// A verification profile: one profile, or every one.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VerifyProfileArg {
    #[default]
    Auto,
    Compact,
    Php,
}

/// A dialect mode on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DialectArg {
    /// Integers, arrays, numeric ids, HH:MM:SS.
    Canonical,
    /// The mix the Chup docs show.
    #[default]
    Seed,
    /// Every dialect, chosen at random.
    Mixed,
}

impl From<DialectArg> for DialectMode {
    fn from(a: DialectArg) -> DialectMode {
        match a {
            DialectArg::Canonical => DialectMode::Canonical,
            DialectArg::Seed => DialectMode::Seed,
            DialectArg::Mixed => DialectMode::Mixed,
        }
    }
}

/// Sign payloads: a bare payload (or a whole body, whose payload is
/// re-signed) in, a body `{"payload":P,"signature":"HEX"}` out, one per line.
///
/// P is the payload re-encoded under the signing profile, keys in the order
/// given. Input is one JSON document or NDJSON.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct SignArgs {
    #[command(flatten)]
    pub secret: SecretArgs,
    /// How the payload is encoded before signing.
    #[arg(long, value_enum, default_value_t)]
    pub signing: SigningArg,
    /// Input file, or - for standard input.
    pub file: Option<PathBuf>,
}

/// Verify the signature of webhook bodies.
///
/// The signature is checked against the payload's raw bytes as they stand
/// in the body, then against the payload re-encoded under the chosen
/// profile(s), so pretty-printed bodies verify too. Exit 0 when every body
/// verifies, 1 when one does not (the reason is printed).
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub secret: SecretArgs,
    /// Which re-encodings to try besides the raw bytes.
    #[arg(long, value_enum, default_value_t)]
    pub signing: VerifyProfileArg,
    /// Input file, or - for standard input (one body, or NDJSON).
    pub file: Option<PathBuf>,
}

/// Parse bodies or bare payloads and report what they are.
///
/// Prints the event, the record's ids and state, the dialects used, and
/// every violation of the model's invariants (state_name matches state,
/// appointment fields all null or all set, updated_at >= created_at,
/// +08:00 timestamps, ...). Exit 0 when every document is valid, 1 when not.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct InspectArgs {
    /// Input file, or - for standard input (one document, or NDJSON).
    pub file: Option<PathBuf>,
}

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(a) => crate::run_cmd::run(*a),
        Command::ReferenceHis(a) => crate::run_cmd::reference_his(a),
        Command::Serve(a) => crate::serve_cmd::serve(*a),
        Command::Certify(a) => crate::certify_cmd::certify(*a),
        Command::Keygen(a) => crate::certify_cmd::keygen(a),
        Command::VerifyReport(a) => crate::certify_cmd::verify_report(a),
        Command::Generate(a) => generate(a),
        Command::Load(a) => crate::load_cmd::load(a),
        Command::Schema(a) => {
            for p in chup_harness::schema::write_all(&a.out)? {
                println!("{}", p.display());
            }
            Ok(exit_code::SUCCESS)
        }
        Command::Sign(a) => sign(a),
        Command::Verify(a) => verify(a),
        Command::Inspect(a) => inspect(a),
        Command::Fuzz(a) => crate::fuzz_cmd::fuzz(a),
        Command::Replay(a) => crate::fuzz_cmd::replay(a),
    }
}

/// Generate valid Chup webhook bodies as NDJSON on stdout.
///
/// One full signed body per line in the SPEC layout (or bare payloads with
/// --unsigned). Every payload keeps the model's invariants. The same seed
/// and flags give byte-identical output; without --seed a seed is drawn and
/// printed to stderr. Streams in constant memory: `--count 1000000 | head`
/// prints at once.
///
/// Events: appointment_created, appointment_updated, live_queue_created and
/// live_queue_updated follow the Chup docs' examples. The payloads of the
/// other thirteen (appointment_deleted, live_queue_deleted, client_*,
/// service_*, service_staffs_updated, staff_*, staff_services_updated) are
/// ASSUMED by this project: the docs name the events but show no payload.
#[derive(Args, Debug)]
#[command(after_help = EXIT_CODES)]
pub struct GenerateArgs {
    /// An event name from the catalogue, or `all` (each line picks one at random).
    #[arg(long, default_value = "all", value_name = "NAME|all")]
    pub event: Vec<String>,
    /// How many bodies [default: 10; 0 means no end].
    #[arg(long, default_value_t = 10)]
    pub count: u64,
    /// Seed for reproducible output [default: drawn, printed to stderr].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Which dialects of the real sender to produce.
    #[arg(long, value_enum, default_value_t)]
    pub dialect: DialectArg,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// How payloads are encoded before signing.
    #[arg(long, value_enum, default_value_t)]
    pub signing: SigningArg,
    /// Print bare payloads, without signature.
    #[arg(long)]
    pub unsigned: bool,
}

fn generate(a: GenerateArgs) -> Result<i32> {
    use chup_harness::generate::{write_ndjson, GenerateOptions};
    use chup_harness::model::EventName;
    let mut events = Vec::new();
    for name in a.event.iter().flat_map(|e| e.split(',')) {
        let name = name.trim();
        if name == "all" {
            events.extend(EventName::ALL);
        } else {
            let event = EventName::parse(name).with_context(|| {
                let known: Vec<&str> = EventName::ALL.iter().map(|e| e.as_str()).collect();
                format!(
                    "--event {name:?} is not a Chup event (known: all, {})",
                    known.join(", ")
                )
            })?;
            events.push(event);
        }
    }
    events.sort();
    events.dedup();
    let seed = match a.seed {
        Some(s) => s,
        None => {
            let s = drawn_seed();
            eprintln!("chup-harness: seed {s} (rerun with --seed {s} for the same output)");
            s
        }
    };
    let opts = GenerateOptions {
        events,
        count: (a.count > 0).then_some(a.count),
        seed,
        mode: a.dialect.into(),
        secret: a.secret.resolve()?,
        profile: a.signing.into(),
        unsigned: a.unsigned,
    };
    let mut out = std::io::stdout().lock();
    match write_ndjson(&opts, &mut out) {
        Ok(_) => Ok(exit_code::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit_code::SUCCESS),
        Err(e) => Err(e).context("cannot write to stdout"),
    }
}

/// An error that may mean "the target could not be reached" (exit 3).
pub trait MaybeUnreachable {
    fn unreachable(&self) -> Option<(&str, &str)>;
}

impl MaybeUnreachable for chup_harness::runner::RunError {
    fn unreachable(&self) -> Option<(&str, &str)> {
        match self {
            chup_harness::runner::RunError::Unreachable { target, reason } => {
                Some((target, reason))
            }
            _ => None,
        }
    }
}

impl MaybeUnreachable for chup_harness::fuzz::FuzzError {
    fn unreachable(&self) -> Option<(&str, &str)> {
        match self {
            chup_harness::fuzz::FuzzError::Unreachable { target, reason } => Some((target, reason)),
            _ => None,
        }
    }
}

/// Settles a verb's outcome: an unreachable target prints its one line and
/// becomes `Err(exit 3)`; any other error is a usage error for `main`.
pub fn settle<T, E>(outcome: Result<T, E>) -> Result<Result<T, i32>>
where
    E: MaybeUnreachable + std::error::Error + Send + Sync + 'static,
{
    match outcome {
        Ok(v) => Ok(Ok(v)),
        Err(e) => match e.unreachable() {
            Some((target, reason)) => {
                eprintln!("chup-harness: error: target {target} is unreachable: {reason}");
                Ok(Err(exit_code::UNREACHABLE))
            }
            None => Err(e.into()),
        },
    }
}

/// Prints a report on stdout; a reader that went away (`| head`) is not an
/// error of the run.
pub fn print_report(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// A seed from the clock and the process id: different on every call.
pub fn drawn_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    chup_harness::rng::Rng::new(nanos ^ (u64::from(std::process::id()) << 32)).next_u64() >> 11
}

fn docs(file: &Option<PathBuf>) -> Result<(Source, Vec<Doc>)> {
    let source = Source::from_arg(file.as_deref());
    let docs = read_documents(&source)?;
    Ok((source, docs))
}

fn where_(source: &Source, doc: &Doc, many: bool) -> String {
    if many {
        format!("{}:{}", source.label(), doc.line)
    } else {
        source.label()
    }
}

fn sign(a: SignArgs) -> Result<i32> {
    let secret = a.secret.resolve()?;
    let profile = Profile::from(a.signing);
    let (source, docs) = docs(&a.file)?;
    let many = docs.len() > 1;
    let mut out = std::io::stdout().lock();
    for doc in &docs {
        let value: serde_json::Value =
            serde_json::from_slice(&doc.bytes).context("input was checked as JSON")?;
        let payload = match value {
            serde_json::Value::Object(mut m) if m.contains_key("payload") => {
                m.remove("payload").unwrap_or_default()
            }
            serde_json::Value::Object(m) if m.contains_key("event") => serde_json::Value::Object(m),
            _ => bail!(
                "{}: not a payload (no \"event\" key) nor a body (no \"payload\" key)",
                where_(&source, doc, many)
            ),
        };
        if !payload.is_object() {
            bail!(
                "{}: \"payload\" is not a JSON object",
                where_(&source, doc, many)
            );
        }
        let mut body = signing::signed_body(&payload, profile, &secret);
        body.push(b'\n');
        out.write_all(&body)?;
    }
    Ok(exit_code::SUCCESS)
}

fn verify(a: VerifyArgs) -> Result<i32> {
    let secret = a.secret.resolve()?;
    let profiles: &[Profile] = match a.signing {
        VerifyProfileArg::Auto => &Profile::ALL,
        VerifyProfileArg::Compact => &[Profile::Compact],
        VerifyProfileArg::Php => &[Profile::Php],
    };
    let (source, docs) = docs(&a.file)?;
    let many = docs.len() > 1;
    let mut failed = 0;
    for doc in &docs {
        let at = where_(&source, doc, many);
        match signing::verify_body(&doc.bytes, &secret, profiles) {
            Ok(matched) => println!("{at}: valid: signature matches {matched}"),
            Err(e @ SignatureError::NotJson(_)) => bail!("{at}: {e}"),
            Err(e) => {
                failed += 1;
                println!("{at}: invalid: {e}");
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "{failed} of {} bodies failed verification (secret {})",
            docs.len(),
            secret.fingerprint()
        );
        return Ok(exit_code::FAILED);
    }
    Ok(exit_code::SUCCESS)
}

fn inspect(a: InspectArgs) -> Result<i32> {
    let (source, docs) = docs(&a.file)?;
    let many = docs.len() > 1;
    let mut invalid = 0;
    let mut out = String::new();
    for doc in &docs {
        let at = where_(&source, doc, many);
        match model::parse_document(&doc.bytes) {
            Err(e) => {
                invalid += 1;
                out.push_str(&format!("{at}: invalid payload: {e}\n"));
            }
            Ok(d) => {
                let violations = model::violations(&d.payload);
                if !violations.is_empty() {
                    invalid += 1;
                }
                out.push_str(&describe(&at, &d, &violations));
            }
        }
    }
    print!("{out}");
    if invalid > 0 {
        eprintln!(
            "{invalid} of {} documents are not valid Chup payloads",
            docs.len()
        );
        return Ok(exit_code::FAILED);
    }
    Ok(exit_code::SUCCESS)
}

fn describe(at: &str, d: &model::Document, violations: &[model::Violation]) -> String {
    use model::Record;
    let p = &d.payload;
    let kind = if d.is_body { "body" } else { "bare payload" };
    let assumed = match p.event_name() {
        Some(e) if !e.is_documented() => " (assumed payload shape)",
        Some(_) => "",
        None => " (not in the Chup catalogue)",
    };
    let mut s = format!("{at}: {kind}: {}{assumed} at {}\n", p.event, p.timestamp);
    let record = match &p.data {
        Record::Visit(v) => format!(
            "visit {} of {:?} at {} ({}), state {} {:?}{}{}",
            v.id,
            v.client_name,
            v.service_name,
            v.service_id,
            v.state.code(),
            v.state_name,
            if v.state.is_object() {
                " (object form)"
            } else {
                ""
            },
            v.appointment_id
                .as_ref()
                .map(|a| format!(", appointment {a}"))
                .unwrap_or_else(|| ", walk-in".to_owned()),
        ),
        Record::Appointment(a) => format!(
            "appointment {} of {:?} at {} ({}) on {} {}, state {} {:?}, {}",
            a.id,
            a.client_name,
            a.service_name,
            a.service_id,
            a.date,
            a.time,
            a.state.code(),
            a.state_name,
            a.reschedule_state_name
        ),
        Record::Client(c) => format!("client {} {:?}", c.id, c.name),
        Record::Service(r) => format!(
            "service {} {:?} with {} staff",
            r.id,
            r.name,
            r.staffs.len()
        ),
        Record::Staff(r) => format!(
            "staff {} {:?} serving {} services",
            r.id,
            r.name,
            r.services.len()
        ),
        Record::Unknown(_) => "data kept as sent".to_owned(),
    };
    s.push_str(&format!("  {record}\n"));
    let dialects = model::dialects(p);
    if !dialects.is_empty() {
        let names: Vec<String> = dialects.iter().map(ToString::to_string).collect();
        s.push_str(&format!("  dialects: {}\n", names.join(" ")));
    }
    if d.is_body {
        let sig = match &d.signature {
            None => "missing".to_owned(),
            Some(serde_json::Value::String(h)) => match signing::decode_signature(h) {
                Ok(_) => "64 hex digits (check it with `chup-harness verify`)".to_owned(),
                Err(e) => e.to_string(),
            },
            Some(other) => format!("not a string ({other})"),
        };
        s.push_str(&format!("  signature: {sig}\n"));
    }
    if violations.is_empty() {
        s.push_str("  violations: none\n");
    } else {
        s.push_str(&format!("  violations: {}\n", violations.len()));
        for v in violations {
            s.push_str(&format!("    - {v}\n"));
        }
    }
    s
}
