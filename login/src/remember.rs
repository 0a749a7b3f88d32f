//! The remember-me cookie: `<id>|<hex HMAC of id>`, byte for byte as
//! Flask-Login writes it, Werkzeug's quoting of cookie values, and
//! [`make_secure_token`].
//!
//! Why the format is safe: the digest is an HMAC keyed by the application's
//! secret, so only the server can produce a valid one for a given id; it is
//! checked with a constant-time comparison ([`subtle`]) so response timing
//! reveals nothing about how many leading characters matched. What it does
//! not protect against (there is no expiry inside the value, a stolen cookie
//! stays valid until the secret changes) is in SECURITY.md.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha512;
use subtle::ConstantTimeEq;

use crate::Profile;

/// The HMAC used for the remember cookie's digest, keyed once per app.
///
/// The key state is prepared when the [`LoginManager`](crate::LoginManager)
/// is built; signing and verifying clone it instead of re-hashing the key.
#[derive(Clone)]
pub(crate) enum Signer {
    /// Flask-Login 0.2.4: HMAC-SHA1.
    Sha1(Hmac<Sha1>),
    /// Flask-Login ≥ 0.3: HMAC-SHA512.
    Sha512(Hmac<Sha512>),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str(match self {
            Signer::Sha1(_) => "Signer(HMAC-SHA1)",
            Signer::Sha512(_) => "Signer(HMAC-SHA512)",
        })
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_into(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    hex_into(bytes, &mut s);
    s
}

impl Signer {
    /// A signer for `profile` keyed by the raw secret bytes.
    pub(crate) fn new(profile: Profile, key: &[u8]) -> Self {
        match profile {
            Profile::V0_2_4 => Signer::Sha1(
                Hmac::<Sha1>::new_from_slice(key).expect("HMAC accepts keys of any length"),
            ),
            Profile::V0_6_3 => Signer::Sha512(
                Hmac::<Sha512>::new_from_slice(key).expect("HMAC accepts keys of any length"),
            ),
        }
    }

    /// Writes the lowercase hex digest of `payload` into a 128-byte buffer and
    /// returns the used part.
    fn digest_hex<'b>(&self, payload: &[u8], buf: &'b mut [u8; 128]) -> &'b [u8] {
        fn fill(out: &mut [u8], bytes: &[u8]) {
            for (i, b) in bytes.iter().enumerate() {
                out[2 * i] = HEX[(b >> 4) as usize];
                out[2 * i + 1] = HEX[(b & 15) as usize];
            }
        }
        match self {
            Signer::Sha1(mac) => {
                let mut mac = mac.clone();
                mac.update(payload);
                let bytes = mac.finalize().into_bytes();
                fill(&mut buf[..40], &bytes);
                &buf[..40]
            }
            Signer::Sha512(mac) => {
                let mut mac = mac.clone();
                mac.update(payload);
                let bytes = mac.finalize().into_bytes();
                fill(&mut buf[..], &bytes);
                &buf[..]
            }
        }
    }

    /// `payload|hexdigest`: Flask-Login's `encode_cookie`.
    pub(crate) fn encode(&self, payload: &str) -> String {
        let mut buf = [0u8; 128];
        let digest = self.digest_hex(payload.as_bytes(), &mut buf);
        let mut out = String::with_capacity(payload.len() + 1 + digest.len());
        out.push_str(payload);
        out.push('|');
        // The digest is ASCII hex by construction.
        out.extend(digest.iter().map(|&b| b as char));
        out
    }

    /// Flask-Login's `decode_cookie`, over the already-unquoted value bytes.
    ///
    /// The payload is what precedes the **last** `|`, so ids may contain `|`.
    /// Returns `None` for anything but an exact lowercase-hex digest of the
    /// payload, and for an empty or non-UTF-8 payload. Never panics.
    pub(crate) fn decode<'v>(&self, value: &'v [u8]) -> Option<&'v str> {
        let bar = value.iter().rposition(|&b| b == b'|')?;
        let (payload, digest) = (&value[..bar], &value[bar + 1..]);
        let mut buf = [0u8; 128];
        let expected = self.digest_hex(payload, &mut buf);
        // Constant time in the digest's content. A length mismatch returns
        // early, which only reveals the (public) digest length.
        if !bool::from(expected.ct_eq(digest)) {
            return None;
        }
        // Flask accepts an empty id and calls the loader with ""; no real
        // user has that id, so the cookie is refused instead.
        match std::str::from_utf8(payload) {
            Ok(id) if !id.is_empty() => Some(id),
            _ => None,
        }
    }
}

/// Flask-Login 0.2.4's `make_secure_token`: the hex HMAC-SHA1, keyed by
/// `key`, of the arguments joined by NUL bytes.
///
/// Use it to derive an authentication token for
/// [`User::get_auth_token`](crate::User::get_auth_token), e.g. from the user's
/// id and password hash, so that changing the password changes the token.
///
/// ```
/// use actix_login::make_secure_token;
/// // The value of Flask-Login 0.2.4's own test suite.
/// assert_eq!(
///     make_secure_token(&["foo"], b"deterministic"),
///     "0f05743a2b617b2625362ab667c0dbdf4c9ec13a"
/// );
/// ```
pub fn make_secure_token(args: &[&str], key: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            mac.update(b"\0");
        }
        mac.update(arg.as_bytes());
    }
    hex(&mac.finalize().into_bytes())
}

/// Quotes a cookie value the way Werkzeug writes it, so a Flask app reading
/// the cookie sees the same string.
///
/// Werkzeug 3 (0.6.3) leaves a value bare when every byte is in
/// `[A-Za-z0-9_!#$%&'()*+\-./:<=>?@\[\]^`{|}~]`; Werkzeug 0.16 (0.2.4) has a
/// narrower set (it quotes `@`, `(`, `)`, `<`, `>`, `?`, `[`, `]`, `{`, `}`
/// and space). Otherwise the value is wrapped in `"…"`, with `"` and `\`
/// backslash-escaped and control bytes, `,`, `;` and bytes ≥ 0x7F as `\ooo`.
pub(crate) fn quote_value(value: &str, profile: Profile) -> std::borrow::Cow<'_, str> {
    let bare = |b: u8| match profile {
        Profile::V0_6_3 => {
            b.is_ascii_alphanumeric() || b"_!#$%&'()*+-./:<=>?@[]^`{|}~".contains(&b)
        }
        Profile::V0_2_4 => b.is_ascii_alphanumeric() || b"/=!#$%&'*+-.^_`|~:".contains(&b),
    };
    if value.bytes().all(bare) {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    out.push('"');
    for b in value.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x00..=0x1f | b',' | b';' | 0x7f..=0xff => {
                out.push('\\');
                out.push((b'0' + (b >> 6)) as char);
                out.push((b'0' + ((b >> 3) & 7)) as char);
                out.push((b'0' + (b & 7)) as char);
            }
            _ => out.push(b as char),
        }
    }
    out.push('"');
    std::borrow::Cow::Owned(out)
}

/// Reverses [`quote_value`]: a value wrapped in double quotes has its `\ooo`
/// and `\x` escapes undone, as Werkzeug reads it. Other values are returned
/// as they are.
pub(crate) fn unquote_value(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if raw.len() < 2 || raw[0] != b'"' || raw[raw.len() - 1] != b'"' {
        return std::borrow::Cow::Borrowed(raw);
    }
    let inner = &raw[1..raw.len() - 1];
    if !inner.contains(&b'\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        if b == b'\\' && i + 1 < inner.len() {
            let rest = &inner[i + 1..];
            if rest.len() >= 3
                && (b'0'..=b'3').contains(&rest[0])
                && (b'0'..=b'7').contains(&rest[1])
                && (b'0'..=b'7').contains(&rest[2])
            {
                out.push(((rest[0] - b'0') << 6) | ((rest[1] - b'0') << 3) | (rest[2] - b'0'));
                i += 4;
            } else {
                out.push(rest[0]);
                i += 2;
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The raw value of the first cookie called `name` in the request's `Cookie`
/// headers, without percent-decoding (Werkzeug does none) and without
/// building a cookie jar. Quoted values keep their quotes; see
/// [`unquote_value`].
pub(crate) fn find_cookie<'h>(
    headers: &'h actix_web::http::header::HeaderMap,
    name: &str,
) -> Option<&'h [u8]> {
    let name = name.as_bytes();
    for header in headers.get_all(actix_web::http::header::COOKIE) {
        let mut rest = header.as_bytes();
        while !rest.is_empty() {
            // One `name=value` pair; a quoted value may contain `;`.
            let trimmed = trim_start(rest);
            let eq = trimmed.iter().position(|&b| b == b'=' || b == b';');
            let (key, after) = match eq {
                Some(p) if trimmed[p] == b'=' => (&trimmed[..p], &trimmed[p + 1..]),
                Some(p) => {
                    rest = &trimmed[p + 1..];
                    continue;
                }
                None => break,
            };
            let after = trim_start(after);
            let end = if after.first() == Some(&b'"') {
                quoted_end(after)
            } else {
                after.iter().position(|&b| b == b';').unwrap_or(after.len())
            };
            let value = trim_end(&after[..end]);
            if trim_end(key) == name {
                return Some(value);
            }
            rest = match after[end..].iter().position(|&b| b == b';') {
                Some(p) => &after[end + p + 1..],
                None => &[],
            };
        }
    }
    None
}

fn quoted_end(s: &[u8]) -> usize {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    // Unterminated: the value runs to the next `;`, as Werkzeug reads it.
    s.iter().position(|&b| b == b';').unwrap_or(s.len())
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &s[n..]
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    &s[..s.len() - n]
}

/// Length of the auth-hash tag a remember cookie carries for users with a
/// [`session_auth_hash`](crate::User::session_auth_hash).
pub(crate) const AUTH_TAG_LEN: usize = 16;
const AUTH_TAG_MARK: &str = "|~";

impl Signer {
    /// The keyed digest of a user's session auth hash (hex). Keyed by the app
    /// secret and domain-separated from cookie digests, so it reveals nothing
    /// about the hash and cannot be replayed as a cookie signature.
    pub(crate) fn auth_digest(&self, auth_hash: &[u8]) -> String {
        let mut buf = [0u8; 128];
        let mut input = Vec::with_capacity(auth_hash.len() + 32);
        input.extend_from_slice(b"actix-login session auth hash\0");
        input.extend_from_slice(auth_hash);
        let d = self.digest_hex(&input, &mut buf);
        String::from_utf8_lossy(d).into_owned()
    }
}

/// The cookie payload for `id`: the id itself (Flask's format), followed by
/// `|~` and a tag of the user's auth-hash digest when there is one, so a
/// password change invalidates remember cookies issued before it.
pub(crate) fn payload_with_tag(id: &str, auth_digest: Option<&str>) -> String {
    match auth_digest {
        Some(d) => format!("{id}{AUTH_TAG_MARK}{}", &d[..AUTH_TAG_LEN]),
        None => id.to_owned(),
    }
}

/// Splits a verified payload into the id and the auth-hash tag, if any.
pub(crate) fn split_auth_tag(payload: &str) -> (&str, Option<&str>) {
    if let Some(pos) = payload.rfind(AUTH_TAG_MARK) {
        let tag = &payload[pos + AUTH_TAG_MARK.len()..];
        if tag.len() == AUTH_TAG_LEN && tag.bytes().all(|b| b.is_ascii_hexdigit()) {
            return (&payload[..pos], Some(tag));
        }
    }
    (payload, None)
}

/// `Expires` as Werkzeug writes it: `Mon, 29 Nov 2027 11:18:24 GMT` (0.6.3),
/// `Mon, 29-Nov-2027 11:18:24 GMT` (0.2.4).
fn http_date(t: chrono::DateTime<chrono::Utc>, profile: Profile) -> String {
    match profile {
        Profile::V0_6_3 => t.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        Profile::V0_2_4 => t.format("%a, %d-%b-%Y %H:%M:%S GMT").to_string(),
    }
}

/// The `Set-Cookie` value that issues the remember cookie, attributes in
/// Werkzeug's order (`Domain; Expires; Secure; HttpOnly; Path; SameSite`) and
/// with `Expires` only, as Flask-Login sends it.
pub(crate) fn set_cookie_header(
    c: &crate::config::CookieSettings,
    profile: Profile,
    value: &str,
    lifetime: std::time::Duration,
) -> String {
    let now = chrono::Utc::now();
    let expires = chrono::Duration::from_std(lifetime)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
        .min(
            chrono::DateTime::parse_from_rfc3339("9999-12-31T23:59:59Z")
                .expect("valid date")
                .to_utc(),
        );
    let mut h = format!("{}={}", c.name, quote_value(value, profile));
    attributes(&mut h, c, Some(&http_date(expires, profile)), false);
    h
}

/// The `Set-Cookie` value that deletes the remember cookie. Unlike
/// Flask-Login it repeats `Secure`, `HttpOnly` and `SameSite` along with
/// `Domain` and `Path` (upstream #683): browsers ignore a deletion whose
/// attributes do not match the cookie, leaving the user logged in.
pub(crate) fn delete_cookie_header(c: &crate::config::CookieSettings, profile: Profile) -> String {
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let mut h = format!("{}=", c.name);
    attributes(&mut h, c, Some(&http_date(epoch, profile)), true);
    h
}

fn attributes(
    h: &mut String,
    c: &crate::config::CookieSettings,
    expires: Option<&str>,
    max_age_zero: bool,
) {
    if let Some(d) = &c.domain {
        h.push_str("; Domain=");
        h.push_str(d);
    }
    if let Some(e) = expires {
        h.push_str("; Expires=");
        h.push_str(e);
    }
    if max_age_zero {
        h.push_str("; Max-Age=0");
    }
    if c.secure {
        h.push_str("; Secure");
    }
    if c.http_only {
        h.push_str("; HttpOnly");
    }
    h.push_str("; Path=");
    h.push_str(&c.path);
    if let Some(s) = c.same_site {
        h.push_str("; SameSite=");
        h.push_str(s.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digest_roundtrip() {
        let s = Signer::new(Profile::V0_6_3, b"deterministic");
        let v = s.encode("1");
        assert!(v.starts_with("1|0e9e6e98"));
        assert_eq!(s.decode(v.as_bytes()), Some("1"));
        assert_eq!(s.decode(b"1|"), None);
        assert_eq!(s.decode(b"no bar"), None);
    }

    #[test]
    fn quoting_roundtrip() {
        let q = quote_value("a|b c;d\"\\é", Profile::V0_6_3);
        assert_eq!(q, "\"a|b c\\073d\\\"\\\\\\303\\251\"");
        assert_eq!(&*unquote_value(q.as_bytes()), "a|b c;d\"\\é".as_bytes());
    }

    #[test]
    fn finds_cookie_among_others() {
        let mut h = actix_web::http::header::HeaderMap::new();
        h.append(
            actix_web::http::header::COOKIE,
            actix_web::http::header::HeaderValue::from_static(
                "a=1; r=\"x;y\"; remember_token=2|ab",
            ),
        );
        assert_eq!(find_cookie(&h, "remember_token"), Some(&b"2|ab"[..]));
        assert_eq!(find_cookie(&h, "r"), Some(&b"\"x;y\""[..]));
        assert_eq!(find_cookie(&h, "zz"), None);
    }
}
