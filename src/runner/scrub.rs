//! The last guard of "the secret never appears in any output": a receiver
//! may echo what it was sent (an error body quoting the query token, a
//! debug page printing the URL), and whatever it answers lands in reports
//! and pending snapshots. Every text the runner keeps from an answer passes
//! through [`Scrub`], which replaces the signing secret and the credentials
//! of the target and state URLs (user, password, query values, header
//! values) with `***`. URLs the harness prints itself are redacted at the
//! source (`transport::redact_url`); this covers what the receiver says.

use crate::signing::Secret;

/// Values shorter than this are not scrubbed: replacing every "1" or "ab"
/// of a report would wreck it while protecting nothing worth the name.
pub const MIN_SCRUBBED_LEN: usize = 4;

/// The sensitive strings of one run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scrub {
    values: Vec<String>,
}

impl Scrub {
    pub(crate) fn new(secret: &Secret, urls: &[&str], headers: &[(String, String)]) -> Scrub {
        let mut values = Vec::new();
        if let Ok(s) = std::str::from_utf8(secret.expose()) {
            values.push(s.to_owned());
        }
        for url in urls {
            // A template such as http://h/{kind}/{id}?t=x parses as a URL.
            let Ok(u) = reqwest::Url::parse(url) else {
                continue;
            };
            values.push(u.username().to_owned());
            if let Some(p) = u.password() {
                values.push(p.to_owned());
                // As an echoed `Authorization: Basic` header shows them.
                values.push(base64(format!("{}:{p}", u.username()).as_bytes()));
            }
            for (_, v) in u.query_pairs() {
                values.push(v.into_owned());
            }
            // The raw, still percent-encoded forms as well.
            if let Some(q) = u.query() {
                values.extend(
                    q.split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(_, v)| v.to_owned()),
                );
            }
        }
        values.extend(headers.iter().map(|(_, v)| v.clone()));
        values.retain(|v| v.len() >= MIN_SCRUBBED_LEN);
        // Longest first, so a value containing another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Scrub { values }
    }

    /// `text` with every sensitive value replaced by `***`.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), "***");
            }
        }
        out
    }

    /// The same for bytes that may not be UTF-8 (a response body).
    pub(crate) fn bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for v in &self.values {
            let needle = v.as_bytes();
            if out.windows(needle.len()).any(|w| w == needle) {
                let mut replaced = Vec::with_capacity(out.len());
                let mut i = 0;
                while i < out.len() {
                    if out[i..].starts_with(needle) {
                        replaced.extend_from_slice(b"***");
                        i += needle.len();
                    } else {
                        replaced.push(out[i]);
                        i += 1;
                    }
                }
                out = replaced;
            }
        }
        out
    }
}

/// Standard base64 with padding (RFC 4648), as HTTP basic auth writes it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_secret_and_every_url_credential() {
        let s = Scrub::new(
            &Secret::new("S3CRET-canary"),
            &["http://alice:pw-canary@h/x?token=tok%2Fcanary&n=1"],
            &[("Authorization".to_owned(), "Bearer hdr-canary".to_owned())],
        );
        let echoed = "secret S3CRET-canary user alice pass pw-canary token tok/canary raw tok%2Fcanary Bearer hdr-canary n=1";
        assert_eq!(
            s.text(echoed),
            "secret *** user *** pass *** token *** raw *** *** n=1"
        );
        assert_eq!(s.bytes(echoed.as_bytes()), s.text(echoed).into_bytes());
    }

    #[test]
    fn base64_is_rfc_4648() {
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }

    #[test]
    fn leaves_short_values_alone() {
        let s = Scrub::new(&Secret::new("abc"), &["http://h/x?n=1"], &[]);
        assert_eq!(s.text("abc n=1"), "abc n=1");
    }
}
