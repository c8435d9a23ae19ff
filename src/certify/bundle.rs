//! The certification bundle: writing `report.json`, `report.html`,
//! `junit.xml` and `manifest.json` (and `manifest.sig` with a key) into a
//! directory, and checking a bundle later.
//!
//! Tamper evidence, in two strengths:
//! - integrity: the manifest lists the SHA-256 of every file, and carries
//!   `manifest_sha256`, the SHA-256 of the manifest's own bytes with that
//!   value written as 64 zeros; so one changed byte anywhere is found. This
//!   stops accidents, not forgers: anyone can recompute the hashes.
//! - authenticity: with a key, `manifest.sig` holds an ed25519 signature of
//!   the manifest's exact bytes, and the manifest names the public key.
//!   `verify-report --public-key` also checks that key is the one expected;
//!   only that proves who made the bundle.
//!
//! The renderings themselves are `report`'s; this module only stores bytes.

use super::{keys, CertReport, Product};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub const MANIFEST_FILE: &str = "manifest.json";
pub const SIGNATURE_FILE: &str = "manifest.sig";
const FORMAT: &str = "chup-certification-manifest/1";
const SELF_HASH_KEY: &str = "\"manifest_sha256\": \"";
const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One file of the bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestSuite {
    pub name: String,
    pub version: String,
    pub seed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestSignature {
    pub algorithm: String,
    /// Hex of the 32-byte ed25519 public key.
    pub public_key: String,
    pub file: String,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub suite: ManifestSuite,
    pub harness_version: String,
    pub product: Product,
    /// Credentials redacted.
    pub target: String,
    pub state_url: Option<String>,
    pub signing_profile: String,
    pub secret_fingerprint: String,
    pub started: String,
    pub finished: String,
    pub highest_level: Option<String>,
    pub levels: BTreeMap<String, String>,
    pub files: Vec<FileEntry>,
    pub signature: Option<ManifestSignature>,
    /// SHA-256 of this file's bytes with this value as 64 zeros.
    pub manifest_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{} exists and is not empty; choose an empty directory or pass --force to replace the bundle files in it", .0.display())]
    NotEmpty(PathBuf),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the bundle directory {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One thing wrong with a bundle, naming the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.what)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The manifest's own hash: of its bytes with the self-hash value zeroed.
/// `None` when the self-hash field is not there.
fn self_hash(text: &str) -> Option<(String, String)> {
    let at = text.find(SELF_HASH_KEY)? + SELF_HASH_KEY.len();
    let stored = text.get(at..at + 64)?.to_owned();
    let zeroed = format!("{}{ZEROS}{}", &text[..at], &text[at + 64..]);
    Some((stored, sha256_hex(zeroed.as_bytes())))
}

fn iso(unix: i64) -> String {
    // Laravel's UTC format with microseconds: RFC 3339, unambiguous.
    crate::model::time::format_laravel_utc(unix)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    std::fs::write(path, bytes).map_err(|source| BundleError::Write {
        path: path.to_owned(),
        source,
    })
}

/// The renderings of one report, as the bundle stores them.
pub struct Renderings {
    pub json: String,
    pub html: String,
    pub junit: String,
}

/// Writes the bundle into `dir` (created if missing). Refuses a non-empty
/// directory unless `force`, and then replaces only the bundle's files.
pub fn write_bundle(
    dir: &Path,
    report: &CertReport,
    renderings: &Renderings,
    key: Option<&SigningKey>,
    force: bool,
) -> Result<Manifest, BundleError> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|source| BundleError::Read {
            path: dir.to_owned(),
            source,
        })?;
        if entries.next().is_some() && !force {
            return Err(BundleError::NotEmpty(dir.to_owned()));
        }
    } else {
        std::fs::create_dir_all(dir).map_err(|source| BundleError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    let files: [(&str, &str); 3] = [
        ("report.json", &renderings.json),
        ("report.html", &renderings.html),
        ("junit.xml", &renderings.junit),
    ];
    let mut entries = Vec::new();
    for (name, text) in files {
        write(&dir.join(name), text.as_bytes())?;
        entries.push(FileEntry {
            path: name.to_owned(),
            sha256: sha256_hex(text.as_bytes()),
            bytes: text.len() as u64,
        });
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        suite: ManifestSuite {
            name: report.suite.name.clone(),
            version: report.suite.version.clone(),
            seed: report.suite.seed,
        },
        harness_version: report.harness_version.clone(),
        product: report.product.clone(),
        target: report.target.clone(),
        state_url: report.state_url.clone(),
        signing_profile: report.signing_profile.clone(),
        secret_fingerprint: report.secret_fingerprint.clone(),
        started: iso(report.started_unix),
        finished: iso(report.finished_unix),
        highest_level: report.highest_level.map(|l| l.name().to_owned()),
        levels: report
            .levels
            .iter()
            .map(|l| {
                (
                    l.level.name().to_owned(),
                    if l.passed { "passed" } else { "failed" }.to_owned(),
                )
            })
            .collect(),
        files: entries,
        signature: key.map(|k| ManifestSignature {
            algorithm: "ed25519".to_owned(),
            public_key: keys::public_hex(&k.verifying_key()),
            file: SIGNATURE_FILE.to_owned(),
        }),
        manifest_sha256: ZEROS.to_owned(),
    };
    let mut text = serde_json::to_string_pretty(&manifest).expect("a manifest serializes");
    text.push('\n');
    let (_, hash) = self_hash(&text).expect("the manifest was just written with its self-hash");
    let at = text.find(SELF_HASH_KEY).expect("present") + SELF_HASH_KEY.len();
    text.replace_range(at..at + 64, &hash);
    write(&dir.join(MANIFEST_FILE), text.as_bytes())?;
    let sig_path = dir.join(SIGNATURE_FILE);
    match key {
        Some(k) => {
            let sig = k.sign(text.as_bytes());
            write(
                &sig_path,
                format!("{}\n", hex::encode(sig.to_bytes())).as_bytes(),
            )?;
        }
        None if sig_path.exists() => {
            // A stale signature of an earlier bundle (--force) would not verify.
            std::fs::remove_file(&sig_path).map_err(|source| BundleError::Write {
                path: sig_path.clone(),
                source,
            })?;
        }
        None => {}
    }
    Ok(Manifest {
        manifest_sha256: hash,
        ..manifest
    })
}

/// Reads and parses `manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, Problem> {
    let text = std::fs::read_to_string(dir.join(MANIFEST_FILE)).map_err(|e| Problem {
        file: MANIFEST_FILE.to_owned(),
        what: format!("cannot be read: {e}"),
    })?;
    serde_json::from_str(&text).map_err(|e| Problem {
        file: MANIFEST_FILE.to_owned(),
        what: format!("is not a valid manifest: {e}"),
    })
}

/// Checks a bundle: every problem found, none when it is intact (and, with
/// `expected_key`, signed by that key). `Err` only when the directory
/// cannot be read at all.
pub fn verify_bundle(
    dir: &Path,
    expected_key: Option<&VerifyingKey>,
) -> Result<(Manifest, Vec<Problem>), BundleError> {
    let listing = std::fs::read_dir(dir).map_err(|source| BundleError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut present: Vec<String> = listing
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    let problem = |file: &str, what: String| Problem {
        file: file.to_owned(),
        what,
    };
    let text = match std::fs::read(dir.join(MANIFEST_FILE)) {
        Ok(b) => b,
        Err(e) => {
            return Ok((
                empty_manifest(),
                vec![problem(
                    MANIFEST_FILE,
                    format!("is missing or unreadable: {e}"),
                )],
            ))
        }
    };
    let mut problems = Vec::new();
    let manifest: Manifest = match std::str::from_utf8(&text)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(e) => {
            return Ok((
                empty_manifest(),
                vec![problem(
                    MANIFEST_FILE,
                    format!("was changed: it is no longer a valid manifest ({e})"),
                )],
            ))
        }
    };
    let text_str = String::from_utf8_lossy(&text);
    match self_hash(&text_str) {
        None => problems.push(problem(
            MANIFEST_FILE,
            "was changed: its manifest_sha256 field is gone".to_owned(),
        )),
        Some((stored, actual)) if stored != actual => problems.push(problem(
            MANIFEST_FILE,
            format!("was changed: its content hashes to {actual}, the manifest records {stored}"),
        )),
        Some(_) => {}
    }

    // The signature: checked against the key the manifest names (integrity
    // of manifest.sig), and that key against the expected one (authenticity).
    let sig_path = dir.join(SIGNATURE_FILE);
    match (&manifest.signature, expected_key) {
        (None, Some(_)) => problems.push(problem(
            MANIFEST_FILE,
            "names no signature, but a --public-key was given: the bundle is unsigned".to_owned(),
        )),
        (None, None) => {
            if sig_path.exists() {
                problems.push(problem(
                    SIGNATURE_FILE,
                    "is present but the manifest names no signature".to_owned(),
                ));
            }
        }
        (Some(s), expected) => {
            let named = hex::decode(&s.public_key)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                .and_then(|b| VerifyingKey::from_bytes(&b).ok());
            match named {
                None => problems.push(problem(
                    MANIFEST_FILE,
                    "was changed: signature.public_key is not an ed25519 public key".to_owned(),
                )),
                Some(named) => {
                    if let Some(e) = expected {
                        if *e != named {
                            problems.push(problem(
                                SIGNATURE_FILE,
                                format!(
                                    "was made with key {}, not the --public-key given ({})",
                                    short(&keys::public_hex(&named)),
                                    short(&keys::public_hex(e))
                                ),
                            ));
                        }
                    }
                    match std::fs::read_to_string(&sig_path) {
                        Err(e) => problems.push(problem(
                            SIGNATURE_FILE,
                            format!("is missing or unreadable: {e}"),
                        )),
                        Ok(sig_text) => {
                            // Byte-exact: the file must be what `write_bundle`
                            // wrote (lowercase hex, one newline), so no byte of
                            // it can change unnoticed.
                            let sig = hex::decode(sig_text.trim_end_matches('\n'))
                                .ok()
                                .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
                                .filter(|b| sig_text == format!("{}\n", hex::encode(b)))
                                .map(|b| Signature::from_bytes(&b));
                            match sig {
                                None => problems.push(problem(
                                    SIGNATURE_FILE,
                                    "was changed: it is not 128 lowercase hex digits and a newline"
                                        .to_owned(),
                                )),
                                Some(sig) => {
                                    if named.verify(&text, &sig).is_err() {
                                        problems.push(problem(
                                            SIGNATURE_FILE,
                                            "does not verify: the manifest or the signature was changed".to_owned(),
                                        ));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    for f in &manifest.files {
        // Only plain names: a manifest must not point outside its directory.
        if f.path.contains('/') || f.path.contains('\\') || f.path.starts_with('.') {
            problems.push(problem(
                MANIFEST_FILE,
                format!("lists {:?}, which is not a file of the bundle", f.path),
            ));
            continue;
        }
        match std::fs::read(dir.join(&f.path)) {
            Err(e) => problems.push(problem(&f.path, format!("is missing or unreadable: {e}"))),
            Ok(bytes) => {
                let actual = sha256_hex(&bytes);
                if actual != f.sha256 {
                    problems.push(problem(
                        &f.path,
                        format!(
                            "was changed: sha256 {actual}, the manifest records {} ({} bytes now, {} recorded)",
                            f.sha256,
                            bytes.len(),
                            f.bytes
                        ),
                    ));
                }
            }
        }
    }
    for name in &present {
        let known = name == MANIFEST_FILE
            || (name == SIGNATURE_FILE && manifest.signature.is_some())
            || manifest.files.iter().any(|f| &f.path == name);
        if !known && name != SIGNATURE_FILE {
            problems.push(problem(
                name,
                "is not listed in the manifest (added after the bundle was made)".to_owned(),
            ));
        }
    }
    Ok((manifest, problems))
}

fn short(hex: &str) -> String {
    format!("{}…", &hex[..hex.len().min(16)])
}

fn empty_manifest() -> Manifest {
    Manifest {
        format: String::new(),
        suite: ManifestSuite {
            name: String::new(),
            version: String::new(),
            seed: 0,
        },
        harness_version: String::new(),
        product: Product::default(),
        target: String::new(),
        state_url: None,
        signing_profile: String::new(),
        secret_fingerprint: String::new(),
        started: String::new(),
        finished: String::new(),
        highest_level: None,
        levels: BTreeMap::new(),
        files: Vec::new(),
        signature: None,
        manifest_sha256: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_self_hash_covers_every_byte_but_its_own_value() {
        let text = format!("{{\n  \"a\": 1,\n  {SELF_HASH_KEY}{ZEROS}\"\n}}\n");
        let (stored, h1) = self_hash(&text).expect("found");
        assert_eq!(stored, ZEROS);
        let other = text.replace("\"a\": 1", "\"a\": 2");
        assert_ne!(self_hash(&other).expect("found").1, h1);
        let with_hash = text.replace(ZEROS, &h1);
        let (stored, again) = self_hash(&with_hash).expect("found");
        assert_eq!(stored, again, "writing the hash in does not change it");
    }
}
