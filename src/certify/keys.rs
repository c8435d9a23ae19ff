//! ed25519 key files for signing a certification manifest: make a key
//! pair, write and read the two files. The signing and checking of a
//! manifest is `bundle`'s.
//!
//! The file format is two lines of text, no PEM, no DER:
//!
//! ```text
//! chup-harness ed25519 secret key
//! <64 lowercase hex digits: the 32-byte secret seed>
//! ```
//!
//! and the same with `public key` and the 32-byte public key. A key file is
//! never overwritten unless the caller says so.

use ed25519_dalek::{SigningKey, VerifyingKey};
use std::path::{Path, PathBuf};

pub(super) const SECRET_HEADER: &str = "chup-harness ed25519 secret key";
pub(super) const PUBLIC_HEADER: &str = "chup-harness ed25519 public key";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no system randomness for a new key: {0}")]
    Random(String),
    #[error("{} already exists (pass --force to overwrite it)", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {why}", path.display())]
    Format { path: PathBuf, why: String },
}

/// A new key pair from the system's randomness.
pub fn generate_key_pair() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn write_new(path: &Path, text: &str, force: bool, secret: bool) -> Result<(), KeyError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        // create_new: refuses atomically when the file exists.
        opts.create_new(true);
    }
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = opts.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists(path.to_owned())
        } else {
            KeyError::Write {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    f.write_all(text.as_bytes())
        .map_err(|source| KeyError::Write {
            path: path.to_owned(),
            source,
        })
}

/// Writes `KEY` (secret, mode 0600 on Unix) and `PUB` (public). Refuses to
/// overwrite either unless `force`; checks both before writing either.
pub fn write_key_pair(
    key: &SigningKey,
    secret_path: &Path,
    public_path: &Path,
    force: bool,
) -> Result<(), KeyError> {
    if !force {
        for p in [secret_path, public_path] {
            if p.exists() {
                return Err(KeyError::Exists(p.to_owned()));
            }
        }
    }
    write_new(
        secret_path,
        &format!("{SECRET_HEADER}\n{}\n", hex::encode(key.to_bytes())),
        force,
        true,
    )?;
    write_new(
        public_path,
        &format!("{PUBLIC_HEADER}\n{}\n", public_hex(&key.verifying_key())),
        force,
        false,
    )
}

pub fn public_hex(key: &VerifyingKey) -> String {
    hex::encode(key.to_bytes())
}

fn read_32(path: &Path, header: &str) -> Result<[u8; 32], KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.to_owned(),
        source,
    })?;
    let format = |why: String| KeyError::Format {
        path: path.to_owned(),
        why,
    };
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().trim();
    if first != header {
        let other = if header == SECRET_HEADER {
            PUBLIC_HEADER
        } else {
            SECRET_HEADER
        };
        return Err(format(if first == other {
            format!(
                "this is a {} file; expected a {}",
                other.trim_start_matches("chup-harness ed25519 "),
                header.trim_start_matches("chup-harness ed25519 ")
            )
        } else {
            format!("line 1 should be {header:?} (made by `chup-harness keygen`)")
        }));
    }
    let hex_line = lines.next().unwrap_or_default().trim();
    let bytes = hex::decode(hex_line).map_err(|e| format(format!("line 2 is not hex: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format(format!("line 2 holds {} bytes, expected 32", bytes.len())))
}

pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    Ok(SigningKey::from_bytes(&read_32(path, SECRET_HEADER)?))
}

pub fn read_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let bytes = read_32(path, PUBLIC_HEADER)?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| KeyError::Format {
        path: path.to_owned(),
        why: format!("not an ed25519 public key: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("chup-keys-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn a_written_key_pair_reads_back_and_is_never_overwritten_silently() {
        let dir = tmp("roundtrip");
        let (k, p) = (dir.join("cert.key"), dir.join("cert.pub"));
        let key = generate_key_pair().expect("randomness");
        write_key_pair(&key, &k, &p, false).expect("write");
        assert_eq!(
            read_signing_key(&k).expect("read").to_bytes(),
            key.to_bytes()
        );
        assert_eq!(read_public_key(&p).expect("read"), key.verifying_key());
        let other = generate_key_pair().expect("randomness");
        assert!(matches!(
            write_key_pair(&other, &k, &p, false),
            Err(KeyError::Exists(_))
        ));
        assert_eq!(
            read_signing_key(&k).expect("kept").to_bytes(),
            key.to_bytes()
        );
        write_key_pair(&other, &k, &p, true).expect("forced");
        assert_eq!(
            read_signing_key(&k).expect("new").to_bytes(),
            other.to_bytes()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_public_key_file_is_not_taken_for_a_secret_one() {
        let dir = tmp("swap");
        let (k, p) = (dir.join("a.key"), dir.join("a.pub"));
        write_key_pair(&generate_key_pair().expect("rng"), &k, &p, false).expect("write");
        let e = read_signing_key(&p)
            .expect_err("public file as secret")
            .to_string();
        assert!(e.contains("this is a public key file"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
