//! Signing profiles, the body layout, signing and verification (SPEC sections
//! 1 and 2). Pure: bytes and a secret in, bytes or a verdict out; no clock, no
//! I/O. Verification compares in constant time (`Mac::verify_slice`).

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io;
use std::str::FromStr;

type HmacSha256 = Hmac<Sha256>;

/// The default test secret. Never a production secret.
pub const DEFAULT_SECRET: &str = "chup-test-secret";

/// How the payload P is turned into the bytes that are signed and sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// serde_json compact output: raw UTF-8, `/` unescaped. Equal to Python's
    /// `json.dumps(p, separators=(",", ":"), ensure_ascii=False)`.
    #[default]
    Compact,
    /// PHP `json_encode` with default flags (Laravel senders): `/` as `\/`,
    /// non-ASCII as lowercase `\uXXXX`, surrogate pairs above U+FFFF.
    Php,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Compact, Profile::Php];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Compact => "compact",
            Profile::Php => "php",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Profile, String> {
        match s {
            "compact" => Ok(Profile::Compact),
            "php" => Ok(Profile::Php),
            other => Err(format!(
                "unknown signing profile {other:?} (expected compact or php)"
            )),
        }
    }
}

/// A signing secret. Its `Debug` and `Display` show only the fingerprint, so
/// it cannot leak through a log line or a report.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(bytes.into())
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// `sha256:` and the first 12 hex digits of SHA-256 of the secret: enough
    /// to tell two secrets apart in a report, useless to recover either.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(&self.0);
        format!("sha256:{}", &hex::encode(digest)[..12])
    }
}

impl Default for Secret {
    fn default() -> Self {
        Secret::new(DEFAULT_SECRET)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.fingerprint())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

/// serde_json formatter that escapes strings the way PHP's `json_encode` does.
struct PhpFormatter;

impl serde_json::ser::Formatter for PhpFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, ch) in fragment.char_indices() {
            if ch != '/' && ch.is_ascii() {
                continue;
            }
            w.write_all(&fragment.as_bytes()[start..i])?;
            if ch == '/' {
                w.write_all(b"\\/")?;
            } else {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
            start = i + ch.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// Encodes a payload as P under a profile into `out` (cleared first).
pub fn encode_into<T: Serialize + ?Sized>(value: &T, profile: Profile, out: &mut Vec<u8>) {
    out.clear();
    // Writing to a Vec cannot fail, and the model's types and JSON values
    // serialize without error (string keys only).
    let result = match profile {
        Profile::Compact => serde_json::to_writer(&mut *out, value),
        Profile::Php => value.serialize(&mut serde_json::Serializer::with_formatter(
            &mut *out,
            PhpFormatter,
        )),
    };
    result.expect("payloads serialize to JSON infallibly");
}

/// Encodes a payload as P under a profile.
pub fn encode<T: Serialize + ?Sized>(value: &T, profile: Profile) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    encode_into(value, profile, &mut out);
    out
}

fn mac(secret: &Secret) -> HmacSha256 {
    HmacSha256::new_from_slice(secret.expose()).expect("HMAC takes a key of any length")
}

/// `hex(HMAC-SHA256(secret, p))`, lowercase.
pub fn sign(p: &[u8], secret: &Secret) -> String {
    let mut m = mac(secret);
    m.update(p);
    hex::encode(m.finalize().into_bytes())
}

/// Appends the body `{"payload":P,"signature":"HEX"}` to `out`.
pub fn write_body(p: &[u8], signature: &str, out: &mut Vec<u8>) {
    out.reserve(p.len() + signature.len() + 28);
    out.extend_from_slice(b"{\"payload\":");
    out.extend_from_slice(p);
    out.extend_from_slice(b",\"signature\":\"");
    out.extend_from_slice(signature.as_bytes());
    out.extend_from_slice(b"\"}");
}

/// A full signed body for a payload, in the SPEC section 1 layout.
pub fn signed_body<T: Serialize + ?Sized>(
    payload: &T,
    profile: Profile,
    secret: &Secret,
) -> Vec<u8> {
    let p = encode(payload, profile);
    let mut out = Vec::with_capacity(p.len() + 96);
    write_body(&p, &sign(&p, secret), &mut out);
    out
}

/// Which bytes a valid signature was found to cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matched {
    /// The payload's bytes exactly as they stand in the body.
    Raw,
    /// The payload re-encoded under this profile (for pretty-printed bodies).
    Profile(Profile),
}

impl fmt::Display for Matched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matched::Raw => f.write_str("the raw payload bytes"),
            Matched::Profile(p) => write!(f, "the payload re-encoded under the {p} profile"),
        }
    }
}

/// Why a body's signature does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body has no \"payload\" field")]
    NoPayload,
    #[error("the body has no \"signature\" field")]
    Missing,
    #[error("the signature is not a string")]
    NotString,
    #[error("the signature is not hexadecimal ({0:?})")]
    NotHex(String),
    #[error("the signature has {0} hex digits, expected 64")]
    WrongLength(usize),
    #[error("the signature does not match; tried {}", tried.join(", "))]
    Mismatch { tried: Vec<String> },
}

#[derive(serde::Deserialize)]
struct RawBody<'a> {
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    signature: Option<Value>,
}

/// Checks a signature string's form and decodes it.
pub fn decode_signature(sig: &str) -> Result<Vec<u8>, SignatureError> {
    if let Some(bad) = sig.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(SignatureError::NotHex(format!(
            "first non-hex character {bad:?}"
        )));
    }
    if sig.len() != 64 {
        return Err(SignatureError::WrongLength(sig.len()));
    }
    hex::decode(sig).map_err(|e| SignatureError::NotHex(e.to_string()))
}

/// True when `signature` (decoded) is the HMAC of `p`; constant-time.
pub fn verify_bytes(p: &[u8], signature: &[u8], secret: &Secret) -> bool {
    let mut m = mac(secret);
    m.update(p);
    m.verify_slice(signature).is_ok()
}

/// Verifies a whole body: first against the raw payload bytes as they stand
/// in the body, then against the payload re-encoded under each of `profiles`.
pub fn verify_body(
    body: &[u8],
    secret: &Secret,
    profiles: &[Profile],
) -> Result<Matched, SignatureError> {
    let raw: RawBody<'_> =
        serde_json::from_slice(body).map_err(|e| SignatureError::NotJson(e.to_string()))?;
    let payload = raw.payload.ok_or(SignatureError::NoPayload)?;
    let sig = match raw.signature {
        None | Some(Value::Null) => return Err(SignatureError::Missing),
        Some(Value::String(s)) => s,
        Some(_) => return Err(SignatureError::NotString),
    };
    let sig = decode_signature(&sig)?;
    if verify_bytes(payload.get().as_bytes(), &sig, secret) {
        return Ok(Matched::Raw);
    }
    let mut tried = vec!["raw payload bytes".to_owned()];
    let value: Value =
        serde_json::from_str(payload.get()).map_err(|e| SignatureError::NotJson(e.to_string()))?;
    for &profile in profiles {
        if verify_bytes(&encode(&value, profile), &sig, secret) {
            return Ok(Matched::Profile(profile));
        }
        tried.push(format!("profile {profile}"));
    }
    Err(SignatureError::Mismatch { tried })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_profile_escapes_slash_and_non_ascii_like_json_encode() {
        let v = json!({"a": "x/y → 陈 😀", "b": "\u{7f}\n"});
        assert_eq!(
            String::from_utf8(encode(&v, Profile::Php)).expect("ascii"),
            r#"{"a":"x\/y \u2192 \u9648 \ud83d\ude00","b":"\u007f\n"}"#
                .replace("\\u007f", "\u{7f}")
        );
        assert_eq!(
            String::from_utf8(encode(&v, Profile::Compact)).expect("utf8"),
            "{\"a\":\"x/y → 陈 😀\",\"b\":\"\u{7f}\\n\"}"
        );
    }

    #[test]
    fn body_layout_lets_a_receiver_slice_the_payload() {
        let secret = Secret::default();
        let body = signed_body(&json!({"event": "x"}), Profile::Compact, &secret);
        let text = String::from_utf8(body.clone()).expect("utf8");
        assert!(text.starts_with("{\"payload\":{\"event\":\"x\"},\"signature\":\""));
        let p = &text["{\"payload\":".len()..text.find(",\"signature\"").expect("has signature")];
        assert_eq!(
            sign(p.as_bytes(), &secret),
            text[text.len() - 66..text.len() - 2]
        );
        assert_eq!(verify_body(&body, &secret, &Profile::ALL), Ok(Matched::Raw));
    }

    #[test]
    fn verify_names_each_way_a_signature_is_wrong() {
        let s = Secret::default();
        let check = |body: &str| verify_body(body.as_bytes(), &s, &Profile::ALL);
        assert_eq!(check(r#"{"payload":{}}"#), Err(SignatureError::Missing));
        assert_eq!(
            check(r#"{"payload":{},"signature":5}"#),
            Err(SignatureError::NotString)
        );
        assert!(matches!(
            check(r#"{"payload":{},"signature":"zz"}"#),
            Err(SignatureError::NotHex(_))
        ));
        assert_eq!(
            check(r#"{"payload":{},"signature":"abcd"}"#),
            Err(SignatureError::WrongLength(4))
        );
        assert_eq!(
            check(r#"{"signature":"abcd"}"#),
            Err(SignatureError::NoPayload)
        );
        let wrong = format!(r#"{{"payload":{{}},"signature":"{}"}}"#, "0".repeat(64));
        assert!(
            matches!(check(&wrong), Err(SignatureError::Mismatch { tried }) if tried.len() == 3)
        );
    }

    #[test]
    fn verifies_a_pretty_printed_body_by_re_encoding() {
        let s = Secret::default();
        let payload = json!({"event": "x", "data": {"n": "a/b é"}});
        for profile in Profile::ALL {
            let sig = sign(&encode(&payload, profile), &s);
            let pretty =
                serde_json::to_string_pretty(&json!({"payload": payload, "signature": sig}))
                    .expect("json");
            assert_eq!(
                verify_body(pretty.as_bytes(), &s, &Profile::ALL),
                Ok(Matched::Profile(profile))
            );
        }
    }

    #[test]
    fn secret_never_shows_in_debug_or_display() {
        let s = Secret::new("hunter2-very-secret");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
        assert!(s.fingerprint().starts_with("sha256:"));
    }
}
