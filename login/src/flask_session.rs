//! Reading Flask's own `session` cookie, so that a user logged in by a Flask
//! app is still logged in after the move to actix-login.
//!
//! Flask (`SecureCookieSessionInterface`) stores the whole session in one
//! cookie, signed by itsdangerous' `URLSafeTimedSerializer` with salt
//! `cookie-session`, key derivation `hmac` and SHA-1:
//!
//! ```text
//! [.]base64url(payload) "." base64url(timestamp) "." base64url(signature)
//! ```
//!
//! * the signature is HMAC-SHA1, keyed by `HMAC-SHA1(secret, "cookie-session")`,
//!   over everything before the last `.`; text secrets are UTF-8 (itsdangerous'
//!   `want_bytes`) in every Flask release, unlike Flask-Login 0.6.3's
//!   remember cookie, which uses Latin-1;
//! * the timestamp is the big-endian integer of the signing time, without
//!   leading zero bytes: Unix seconds since itsdangerous 1.1 (Flask 1.x, 2.x,
//!   3.x), seconds since 2011-01-01 (`EPOCH = 1293840000`) in itsdangerous
//!   0.24, Flask 0.12's companion;
//! * the payload is the session dict as compact JSON through Flask's
//!   `TaggedJSONSerializer` (non-JSON types as one-key objects: `" t"` tuple,
//!   `" b"` bytes, `" m"` markup, `" u"` UUID, `" d"` datetime, and in Flask
//!   ≥ 1.0 `" di"` for a one-key dict whose key is a tag), zlib-compressed and
//!   marked by a leading `.` when that is shorter;
//! * Flask refuses a cookie older than `PERMANENT_SESSION_LIFETIME` (31 days
//!   by default), whether the session is permanent or not.
//!
//! [`FlaskSession::read`] verifies all of it and returns the session's
//! top-level entries. Everything is checked before anything is decoded: the
//! length, the shape, then the MAC (in constant time), then the age; only a
//! value signed with the app's secret reaches the zlib and JSON decoders,
//! and both are bounded. It never panics and never logs the value.
//!
//! Where this reader is stricter than itsdangerous, on values Flask never
//! writes: base64 must be canonical (Python's decoder ignores the two unused
//! bits at the end of a signature, and characters outside the alphabet, so
//! one Flask cookie has several accepted spellings; only the one Flask wrote
//! is accepted here); an empty secret is refused; a session that is not a
//! JSON object after untagging (Flask would turn `{" t": [["a", "b"]]}`
//! into `{"a": "b"}`) is refused; a Flask 0.12 cookie dated more than an
//! hour ahead is refused. A payload whose JSON Python accepts but
//! `serde_json` does not (`NaN`, `Infinity`, `1e400`, an unpaired surrogate
//! escape in a key or in an extracted string) makes the whole cookie
//! unreadable (`None`). Values that are skipped are skipped without being
//! built, at any depth.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
// zlib: miniz_oxide, the pure-Rust inflater that is also flate2's default
// backend (already in actix-web's dependency tree). It is
// `#![forbid(unsafe_code)]`, needs no streaming layer for one small buffer,
// and `decompress_to_vec_zlib_with_limit` stops at a size cap instead of
// allocating whatever a zip bomb asks for. It checks the zlib header and the
// Adler-32 trailer and ignores bytes after the stream's end, as Python's
// `zlib.decompress` does.
use miniz_oxide::inflate::decompress_to_vec_zlib_with_limit;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use sha1::Sha1;

/// Longest cookie value looked at; browsers keep at most 4 KiB per cookie.
const MAX_VALUE_LEN: usize = 8 * 1024;
/// Largest decompressed payload; anything bigger is refused, not inflated.
const MAX_JSON_LEN: usize = 64 * 1024;
/// Flask's `SecureCookieSessionInterface.salt`.
const SALT: &[u8] = b"cookie-session";
/// itsdangerous 0.24's `EPOCH` (2011-01-01T00:00:00Z), the zero of its timestamps.
const ITSDANGEROUS_0_24_EPOCH: i128 = 1_293_840_000;
/// The last second Python's `datetime.utcfromtimestamp` can represent
/// (9999-12-31T23:59:59Z); itsdangerous 0.24 fails on a later timestamp.
const MAX_PYTHON_DATETIME: i128 = 253_402_300_799;
/// How far in the future a 0.24 timestamp may lie. itsdangerous 0.24 has no
/// limit; this one only tolerates clock skew between servers, and refuses
/// the cookies of itsdangerous ≥ 1.1 (Unix timestamps, which read with the
/// 2011 epoch look 41 years ahead and would otherwise never expire).
const MAX_FUTURE_SKEW_0_12: i128 = 3600;
/// Flask's default `PERMANENT_SESSION_LIFETIME`: 31 days.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(31 * 24 * 3600);
/// An HMAC-SHA1 tag, and its unpadded base64 length.
const SIG_LEN: usize = 20;
const SIG_B64_LEN: usize = 27;

/// Which generation of Flask (and of its signing library, itsdangerous)
/// wrote the session cookie.
///
/// The cookie format is the same; the timestamp differs. Pick by the
/// itsdangerous the Flask app runs (`pip show itsdangerous`):
///
/// * itsdangerous ≥ 1.1 (Flask 1.x, 2.x, 3.x, and Flask 0.12 installs that
///   picked up 1.1): [`FlaskVersion::Flask3`];
/// * itsdangerous 0.24 (Flask 0.12 as pinned in its day):
///   [`FlaskVersion::Flask0_12`].
///
/// A wrong choice fails closed: every cookie reads as expired or as dated
/// decades ahead, and none is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FlaskVersion {
    /// Flask 3 with itsdangerous 2 (verified against Flask 3.1.3 and
    /// itsdangerous 2.2.0; the Flask-Login 0.6.3 era): Unix timestamps, and
    /// a cookie dated in the future is refused. Also the choice for
    /// itsdangerous 1.1 (verified with Flask 0.12.5), whose timestamps are
    /// the same but which accepted a cookie dated ahead.
    #[default]
    Flask3,
    /// Flask 0.12 with itsdangerous 0.24 (verified against Flask 0.12.5; the
    /// Flask-Login 0.2.4 era): timestamps count from 2011-01-01, and a cookie
    /// dated up to an hour in the future is accepted (0.24 set no limit).
    Flask0_12,
}

/// How to read a Flask app's session cookie: the secret, the cookie's name
/// and path, how old it may be, and the Flask generation that wrote it.
///
/// The defaults are Flask's: cookie `session` on path `/` with no domain,
/// 31 days, [`FlaskVersion::Flask3`].
///
/// ```ignore
/// use std::time::Duration;
/// use actix_login::{FlaskSession, FlaskVersion};
///
/// let flask = FlaskSession::new(std::env::var("FLASK_SECRET_KEY").unwrap())
///     .fallback_secret(std::env::var("FLASK_OLD_SECRET_KEY").unwrap())
///     .cookie_name("session")
///     .max_age(Duration::from_secs(7 * 24 * 3600))
///     .version(FlaskVersion::Flask3)
///     .copy_key("cart_id");
/// ```
#[derive(Clone)]
pub struct FlaskSession {
    /// One HMAC state per secret, keyed by the derived key: the current
    /// secret first, then the fallbacks.
    keys: Vec<Hmac<Sha1>>,
    cookie_name: String,
    cookie_path: String,
    cookie_domain: Option<String>,
    max_age: u64,
    version: FlaskVersion,
    copy_keys: Vec<String>,
}

impl fmt::Debug for FlaskSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("FlaskSession")
            .field("secrets", &self.keys.len())
            .field("cookie_name", &self.cookie_name)
            .field("cookie_path", &self.cookie_path)
            .field("cookie_domain", &self.cookie_domain)
            .field("max_age", &self.max_age)
            .field("version", &self.version)
            .field("copy_keys", &self.copy_keys)
            .finish()
    }
}

/// itsdangerous' `derive_key` for `key_derivation="hmac"`:
/// `HMAC-SHA1(secret, salt)`, ready to sign with.
fn derived_mac(secret: &[u8]) -> Hmac<Sha1> {
    let mut derive = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    derive.update(SALT);
    let key = derive.finalize().into_bytes();
    Hmac::<Sha1>::new_from_slice(&key).expect("HMAC accepts keys of any length")
}

fn check_secret(secret: &[u8], what: &str) {
    assert!(
        !secret.is_empty(),
        "the Flask {what} is empty: anyone could sign a session cookie. Pass the Flask app's \
         SECRET_KEY (from the environment, not the source)"
    );
}

impl FlaskSession {
    /// Reads cookies signed with `secret`, the Flask app's `SECRET_KEY`:
    /// text (`&str`, `String`, which itsdangerous encodes as UTF-8) or raw
    /// bytes (`&[u8]`, `Vec<u8>`, for a `bytes` key).
    ///
    /// # Panics
    ///
    /// When `secret` is empty (Flask has no session without a secret).
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref();
        check_secret(secret, "secret key");
        FlaskSession {
            keys: vec![derived_mac(secret)],
            cookie_name: "session".to_owned(),
            cookie_path: "/".to_owned(),
            cookie_domain: None,
            max_age: DEFAULT_MAX_AGE.as_secs(),
            version: FlaskVersion::default(),
            copy_keys: Vec::new(),
        }
    }

    /// Also accepts cookies signed with an older secret: one entry of Flask
    /// 3's `SECRET_KEY_FALLBACKS` (call once per entry).
    ///
    /// # Panics
    ///
    /// When `secret` is empty.
    pub fn fallback_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref();
        check_secret(secret, "fallback secret");
        self.keys.push(derived_mac(secret));
        self
    }

    /// The cookie's name, Flask's `SESSION_COOKIE_NAME` (default `session`).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// The cookie's path, Flask's `SESSION_COOKIE_PATH` (default `/`, or the
    /// app's `APPLICATION_ROOT`): needed to delete the cookie once read.
    pub fn cookie_path(mut self, path: impl Into<String>) -> Self {
        self.cookie_path = path.into();
        self
    }

    /// The cookie's domain, Flask's `SESSION_COOKIE_DOMAIN` (default none:
    /// a host-only cookie): needed to delete the cookie once read.
    pub fn cookie_domain(mut self, domain: impl Into<String>) -> Self {
        self.cookie_domain = Some(domain.into());
        self
    }

    /// The oldest cookie accepted, Flask's `PERMANENT_SESSION_LIFETIME`
    /// (default 31 days), counted in whole seconds as Flask does.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age.as_secs();
        self
    }

    /// The Flask generation that wrote the cookie (default
    /// [`FlaskVersion::Flask3`]).
    pub fn version(mut self, version: FlaskVersion) -> Self {
        self.version = version;
        self
    }

    /// Also carry this entry of the Flask session over (call once per key),
    /// if its value is a plain JSON scalar: a string, a number, a boolean
    /// or null. Without it, only Flask-Login's own keys move.
    pub fn copy_key(mut self, key: impl Into<String>) -> Self {
        self.copy_keys.push(key.into());
        self
    }

    /// The name of the cookie to read.
    pub(crate) fn name(&self) -> &str {
        &self.cookie_name
    }

    /// The path the Flask app set the cookie on.
    pub(crate) fn path(&self) -> &str {
        &self.cookie_path
    }

    /// The domain the Flask app set the cookie on, if any.
    pub(crate) fn domain(&self) -> Option<&str> {
        self.cookie_domain.as_deref()
    }

    /// The app's own keys to carry over besides Flask-Login's.
    pub(crate) fn keys_to_copy(&self) -> &[String] {
        &self.copy_keys
    }

    /// Verifies and decodes a cookie value (as the browser sent it) at Unix
    /// time `now_unix`.
    ///
    /// `None`, never a panic, for anything not signed with one of the
    /// secrets, tampered with, expired (older than the max age, or dated in
    /// the future as the version forbids), malformed, longer than 8 KiB, or
    /// inflating past 64 KiB.
    pub(crate) fn read(&self, value: &[u8], now_unix: i64) -> Option<FlaskSessionData> {
        if value.is_empty() || value.len() > MAX_VALUE_LEN {
            return None;
        }
        // Signer.unsign: the signature follows the last '.'.
        let dot = value.iter().rposition(|&b| b == b'.')?;
        let (signed, sig_b64) = (&value[..dot], &value[dot + 1..]);
        if sig_b64.len() != SIG_B64_LEN {
            return None;
        }
        let sig = b64url_decode(sig_b64)?;
        if sig.len() != SIG_LEN {
            return None;
        }
        // Every secret is tried (no early exit), each in constant time.
        let mut valid = false;
        for key in &self.keys {
            let mut mac = key.clone();
            mac.update(signed);
            valid |= mac.verify_slice(&sig).is_ok();
        }
        if !valid {
            return None;
        }
        // TimestampSigner.unsign: the timestamp follows the last '.' of the
        // signed part.
        let dot = signed.iter().rposition(|&b| b == b'.')?;
        let (payload, ts_b64) = (&signed[..dot], &signed[dot + 1..]);
        let ts = b64url_decode(ts_b64)?;
        let ts = match self.version {
            // itsdangerous 2: `struct.unpack(">Q", ts.rjust(8, b"\0"))`.
            FlaskVersion::Flask3 => &ts[..],
            // itsdangerous 0.24: any length; past 8 significant bytes it
            // overflows `datetime`.
            FlaskVersion::Flask0_12 => {
                let zeros = ts.iter().take_while(|&&b| b == 0).count();
                &ts[zeros..]
            }
        };
        if ts.len() > 8 {
            return None;
        }
        let ts = ts.iter().fold(0i128, |n, &b| (n << 8) | i128::from(b));
        if !self.fresh(ts, i128::from(now_unix)) {
            return None;
        }
        // URLSafeSerializerMixin.load_payload.
        let (compressed, payload) = match payload.split_first() {
            Some((b'.', rest)) => (true, rest),
            _ => (false, payload),
        };
        let mut json = b64url_decode(payload)?;
        if compressed {
            json = decompress_to_vec_zlib_with_limit(&json, MAX_JSON_LEN).ok()?;
        }
        let entries = parse_session(&json, self.version)?;
        Some(FlaskSessionData { entries })
    }

    /// itsdangerous' `max_age` check, `ts` being the cookie's timestamp.
    fn fresh(&self, ts: i128, now: i128) -> bool {
        let max_age = i128::from(self.max_age);
        match self.version {
            FlaskVersion::Flask3 => {
                // itsdangerous 2.2 TimestampSigner.unsign: refused when
                // `age > max_age` or `age < 0`.
                let age = now - ts;
                (0..=max_age).contains(&age)
            }
            FlaskVersion::Flask0_12 => {
                // itsdangerous 0.24: `age = int(time.time() - EPOCH) - ts`,
                // refused when `age > max_age`; then `utcfromtimestamp(ts +
                // EPOCH)` raises past year 9999.
                let age = now - ITSDANGEROUS_0_24_EPOCH - ts;
                age <= max_age
                    && age >= -MAX_FUTURE_SKEW_0_12
                    && ts + ITSDANGEROUS_0_24_EPOCH <= MAX_PYTHON_DATETIME
            }
        }
    }
}

/// A verified Flask session's top-level entries whose values are plain JSON
/// scalars (strings, numbers, booleans, null), each as JSON text, in the
/// cookie's order: what actix-session stores, so a chosen key can be copied
/// across as is. Tagged values (bytes, tuples, datetimes, markup, UUIDs),
/// lists and dicts are left out, as are integers too large for 64 bits.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct FlaskSessionData {
    entries: Vec<(String, String)>,
}

impl fmt::Debug for FlaskSessionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys only: the values are the user's session.
        f.debug_set()
            .entries(self.entries.iter().map(|(k, _)| k))
            .finish()
    }
}

impl FlaskSessionData {
    /// The JSON text of `key`'s value (`"\"1\""` for the string `"1"`,
    /// `true`, `7`), if the session has it as a plain scalar.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every extracted entry, `(key, JSON text)`, in the cookie's order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// For the fuzz target (`actix_login::__private::flask_session_read`); not
/// public API. Reads `value` with `secret` (`None` if it is empty), default
/// settings, Flask 3 or Flask 0.12, at Unix time `now`.
#[doc(hidden)]
pub fn flask_session_read(
    secret: &[u8],
    version_is_flask3: bool,
    value: &[u8],
    now: i64,
) -> Option<Vec<(String, String)>> {
    if secret.is_empty() {
        return None;
    }
    let version = if version_is_flask3 {
        FlaskVersion::Flask3
    } else {
        FlaskVersion::Flask0_12
    };
    let data = FlaskSession::new(secret)
        .version(version)
        .read(value, now)?;
    Some(
        data.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

/// Decodes unpadded base64url (`A-Z a-z 0-9 - _`), as itsdangerous writes
/// it; `None` for anything else, including padding and non-zero unused bits.
fn b64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Canonical: the bits left over after the last byte are zero.
    (acc == 0).then_some(out)
}

/// The tags of Flask's `TaggedJSONSerializer`: a one-key object with one of
/// these keys is not a dict once loaded.
fn is_tag(key: &str, version: FlaskVersion) -> bool {
    match key {
        " t" | " u" | " b" | " m" | " d" => true,
        " di" => version == FlaskVersion::Flask3,
        _ => false,
    }
}

/// `TaggedJSONSerializer.loads` of the session, top level only: the JSON
/// must be an object (after untagging Flask 3's `" di"`), and the entries
/// returned are those whose values are untagged scalars.
fn parse_session(json: &[u8], version: FlaskVersion) -> Option<Vec<(String, String)>> {
    // Python decodes the whole payload as strict UTF-8 first (serde_json
    // would let invalid bytes through inside a skipped string).
    let text = std::str::from_utf8(json).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let top = TopLevel { version }.deserialize(&mut de).ok()?;
    de.end().ok()?;

    // Python's dict: a repeated key keeps its first place, its last value.
    let unique = top.entries.len();
    if unique == 1 && is_tag(&top.entries[0].0, version) {
        let (key, value) = top.entries.into_iter().next()?;
        return match (key.as_str(), value) {
            // Flask 3's TagDict: {" di": {"<key>__": value}} is {"<key>": value}.
            (" di", Value::FirstEntry(Some((inner_key, inner)))) => {
                let mut chars = inner_key.chars();
                chars.next_back();
                chars.next_back();
                let key = chars.as_str().to_owned();
                Some(inner.scalar().map(|v| (key, v)).into_iter().collect())
            }
            // Any other tag makes the session a tuple, bytes, ...: Flask
            // cannot use it either.
            _ => None,
        };
    }
    Some(
        top.entries
            .into_iter()
            .filter_map(|(k, v)| v.scalar().map(|v| (k, v)))
            .collect(),
    )
}

/// One top-level value, as far as it matters here.
enum Value {
    /// An untagged scalar, as JSON text.
    Scalar(String),
    /// A dict, a list, a tagged value, or a number that cannot be copied
    /// exactly.
    Skipped,
    /// An object under a `" di"` key: its first key and that key's (last)
    /// value; `None` for an empty object.
    FirstEntry(Option<(String, Box<Value>)>),
}

impl Value {
    fn scalar(self) -> Option<String> {
        match self {
            Value::Scalar(s) => Some(s),
            Value::Skipped | Value::FirstEntry(_) => None,
        }
    }
}

struct TopLevel {
    version: FlaskVersion,
}

struct Entries {
    entries: Vec<(String, Value)>,
}

impl<'de> DeserializeSeed<'de> for TopLevel {
    type Value = Entries;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Entries, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel {
    type Value = Entries;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if key == " di" && self.version == FlaskVersion::Flask3 {
                map.next_value_seed(FirstEntrySeed)?
            } else {
                map.next_value_seed(ScalarSeed)?
            };
            match index.get(&key) {
                Some(&i) => entries[i].1 = value,
                None => {
                    index.insert(key.clone(), entries.len());
                    entries.push((key, value));
                }
            }
        }
        Ok(Entries { entries })
    }
}

/// Reads any JSON value: a scalar as its JSON text, anything else skipped
/// without being built.
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // serde_json hands a Python int beyond 64 bits over as a float: it
        // is left out rather than copied rounded. (A float that large is
        // left out too; the two cannot be told apart here.)
        if v.fract() == 0.0 && v.abs() >= 9_223_372_036_854_775_808.0 {
            return Ok(Value::Skipped);
        }
        Ok(
            serde_json::Number::from_f64(v)
                .map_or(Value::Skipped, |n| Value::Scalar(n.to_string())),
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        serde_json::to_string(v)
            .map(Value::Scalar)
            .map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Scalar("null".to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Skipped)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Skipped)
    }
}

/// The value of Flask 3's `" di"` tag: `TagDict.to_python` takes the
/// object's first key (Python's dict order) with its value.
struct FirstEntrySeed;

impl<'de> DeserializeSeed<'de> for FirstEntrySeed {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FirstEntrySeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut first: Option<(String, Box<Value>)> = None;
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(ScalarSeed)?;
            match &mut first {
                None => first = Some((key, Box::new(value))),
                Some((k, v)) if *k == key => **v = value,
                Some(_) => {}
            }
        }
        Ok(Value::FirstEntry(first))
    }

    // Anything else is what it would be under any other key: a one-key
    // session `{" di": <not an object>}` is refused in `parse_session`.
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        ScalarSeed.visit_bool(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        ScalarSeed.visit_i64(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        ScalarSeed.visit_u64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        ScalarSeed.visit_f64(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        ScalarSeed.visit_str(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        ScalarSeed.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        ScalarSeed.visit_seq(seq)
    }
}

#[cfg(test)]
mod tests {
    //! The `F3_*`, `F012_*` vectors are real `Set-Cookie` values, made with
    //! Flask 3.1.3 / itsdangerous 2.2.0 / Flask-Login 0.6.3 (`F3_*`), Flask
    //! 0.12.5 / itsdangerous 0.24 / Flask-Login 0.2.4 (`F012_*`, the parity
    //! twins' pins) and Flask 0.12.5 / itsdangerous 1.1.0 (`F012_ITS11_*`),
    //! all on CPython 3.11, by this script (abridged):
    //!
    //! ```python
    //! app = Flask(__name__); app.secret_key = SECRET  # bytes_secret() for *_ONE
    //! LoginManager(app).user_loader(lambda uid: U(uid))
    //! @app.route("/login")    # LOGIN: the real login_user
    //! def login(): flask_login.login_user(U("1")); return "ok"
    //! @app.route("/big")      # BIG: compressed by itsdangerous
    //! def big(): flask_login.login_user(U("1")); session["blob"] = "abcdefgh" * 300; return "ok"
    //! @app.route("/tagged")   # TAGGED: every tag, and plain scalars
    //! def tagged():
    //!     session["_user_id" if FLASK3 else "user_id"] = "1"
    //!     session["b"] = b"\x00\xffbytes"; session["t"] = (1, "two", b"3")
    //!     session["d"] = datetime(2025, 6, 7, 8, 9, 10); session["m"] = Markup("<b>x</b>")
    //!     session["u"] = UUID("12345678-1234-5678-1234-567812345678")
    //!     session["nested"] = {"a": 1, "b": [1, 2, {" t": [1]}]}; session["list"] = [1, "x", None]
    //!     session["int"] = -42; session["u64"] = 2**64 - 1; session["bigint"] = 10**20
    //!     session["float"] = 1.5; session["null"] = None; session["empty"] = ""
    //!     session["text"] = 'h\u00e9llo \u2603 \U0001F600 "q" \\ \n\t\u0001'; return "ok"
    //! @app.route("/one")      # ONE
    //! def one(): session["user_id"] = 7; return "ok"
    //! @app.route("/di")       # DI (Flask 3): a one-key session named like a tag
    //! def di(): session[" t"] = "x"; return "ok"
    //! with mock.patch("time.time", return_value=MADE + 0.75):
    //!     r = app.test_client().get(path)  # the session=... Set-Cookie value
    //! ```
    //!
    //! For every vector the real Flask (its `open_session`, time patched)
    //! read it back at `MADE` and at `MADE + 31 days`, and refused it at
    //! `MADE + 31 days + 1 s` and under another secret; Flask 3 refused it
    //! at `MADE - 1`, Flask 0.12 accepted it then (both itsdangerous 0.24
    //! and 1.1); Flask 3 accepted it through `SECRET_KEY_FALLBACKS`. The
    //! expected entries below are Flask's reading minus the tagged and
    //! container values.
    use super::*;

    const SECRET: &str = "flask-migration test secret \u{e9}\u{2603}";
    const MADE: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
    const MAX_AGE: i64 = 31 * 24 * 3600;
    const F3_ID: &str = "03f095a1c03fdce8fe2ea94737ef9d62c456faf66d67aac9e9d7b2f6548211aab71d5ce5c\
                         550e74c31a055e110b5ce1429cfcf4eb860fe2c460a0c6f830c7f59";
    const F012_ID: &str = "f36be38e03785a058c999c14d77a9597";

    const F3_LOGIN: &str = concat!(
        ".eJwljjEOAyEMwP7C3CEBksB95hRConblelPVvxepm-XB8iedsfx6puO9bn-k8zXTkaAEdFK0DdO8hWf",
        "XXqWIR5-crRKHBvNkUbXufcrIwVRbRlQdgpPMyYjApVpBBSJHhLE11twtLKqPxrDbVhkUjKMVMAnqaY_",
        "cl6__DabvDyrXMFg.aVW5AA.RpGOLyUOC_x3K8k7eV5Pn9hpTV4",
    );
    const F3_BIG: &str = concat!(
        ".eJztzjEOwjAMBdC7ZGaw09hpuAxyHJsiISG1MCHuTiSuwOjpff_B-u908d2OLZ2f-8tO6XIb6ZxgcWg",
        "kqDMMtdUtm7RSl2reBmctxC7OPLiKaLM2as_OVNaMKNIrDlIjJQKrRRcUIDJE6LPGkpu6erG-MszfWhg",
        "ElH1dQKtTS3PI67D9twbn2e-PPqN0HebXLQzDMAzDMPyP6fMFDZzhQg.aVW5AA.GtW4ai9HJ1bD6vCWR",
        "T0B2o24xT4",
    );
    const F3_TAGGED: &str = concat!(
        ".eJx1kE1LxDAQhv9KmHPUaZt-srvgSRAWRD0IppTWRi1kW7UJW1n6353JetQcJiHzzjPzzgkaP5uvZui",
        "hgggkdFCdQFCE67tyME_39uW43cJKmeFtGB1UEf5xJPShkDEPrZMCc3HrRxFjnAosKiypTtzsH5lkDh_",
        "um4TU7tVOLTMvUwmBfqFiCXaY6fkcSVhAjt7aWsIh8CnCptstm6tux6jRzM6E1i1RwvhUFkseZQgVrmn",
        "4r17XmvUEg4qjBHfOnxu54wTy1_k-OGa5Mwvl4V17RFNaOwnt4wwTuvoi6SkaRKHhU4PQWuhRO5Yib9I",
        "HvOe9xolKs7z472YjPlNkoFAqy5XCPMmxTNMoi9L1B524b1o.aVW5AA.DOgv44OOpLSfs72EkysBUJJr",
        "e9s",
    );
    const F3_ONE: &str = "eyJ1c2VyX2lkIjo3fQ.aVW5AA.fMcZU3lJyzzqoMiNuZRXz60SU6E";
    const F3_DI: &str = "eyIgZGkiOnsiIHRfXyI6IngifX0.aVW5AA.Lt5mFdBZ3P0lb5ZQ1iO9UFtBpyM";
    const F012_LOGIN: &str = concat!(
        "eyJfZnJlc2giOnRydWUsIl9pZCI6ImYzNmJlMzhlMDM3ODVhMDU4Yzk5OWMxNGQ3N2E5NTk3IiwidXNl",
        "cl9pZCI6IjEifQ.HDdKgA.Oe5jovrFfoTVtOVOTwtDnXf5PUU",
    );
    const F012_BIG: &str = concat!(
        ".eJzt1jsKgDAQRdG9TJ3CEGMybkbymRhBEKJW4t4V3ILlq05zF3AvmkqTvdJ4tFMUTUumkYoZohgvnXH",
        "ehs76xMxJ99m5wJYdKYrrFt8yxJSlzBVCCCGEEP7je1rnLu3bMk33A-EyxQ4.HDdKgA.EiEdls74yxjv",
        "EKbqjiAOJldlU6k",
    );
    const F012_TAGGED: &str = concat!(
        ".eJx1kcFKAzEQhl8lzDnqZJNsNktb8CQIBVEPgimy2011Id2qTWil9N2dRI-awz-B-eebmeQEL-MALWx",
        "k3XvZeJSm0R3qZm2tXQs1GNNZbQ1w6KE9ASOF6zs7-qf7sD7M53CmzPg6ThFagX8cDkMpzF0eusgZGna",
        "bJlZhpRk2LVqqYzfLx0zy2_f4RUZqtwm7LjMvNYdCv1AVhzDu6fosOByBTymEFYdt4ZPCrF8cZ1f9IqM",
        "mv4--tO6IUsansoqTtRBW51V2EQLarBxi4fzi42EH_HffZdkz26M_Uh7eXEL0NoQdc6mqUVIYGjmQekT",
        "m4MMBc465ycVsRUELpYInBVFJpWvT_Bfz-KlWNHajVG2UQiMNWq1FLeg10t5__vyagPM3WwF2Rg.HDdK",
        "gA.Ky1kVD1l6kjmxwkrct8PnYQJS24",
    );
    const F012_ONE: &str = concat!(
        "eyJfaWQiOiJmMzZiZTM4ZTAzNzg1YTA1OGM5OTljMTRkNzdhOTU5NyIsInVzZXJfaWQiOjd9.HDdKgA.",
        "cg2H8jZd0ACsgmQcjZ8vo9hoIs8",
    );
    const F012_ITS11_LOGIN: &str = concat!(
        "eyJfZnJlc2giOnRydWUsIl9pZCI6ImYzNmJlMzhlMDM3ODVhMDU4Yzk5OWMxNGQ3N2E5NTk3IiwidXNl",
        "cl9pZCI6IjEifQ.aVW5AA.qyzc9jq9IiIYTPcfGq-0WMx0Zys",
    );

    fn bytes_secret() -> Vec<u8> {
        (0..=255u8).step_by(7).collect()
    }

    fn flask3() -> FlaskSession {
        FlaskSession::new(SECRET)
    }

    fn flask012() -> FlaskSession {
        FlaskSession::new(SECRET).version(FlaskVersion::Flask0_12)
    }

    fn json_str(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    fn entries(data: &FlaskSessionData) -> Vec<(&str, &str)> {
        data.iter().collect()
    }

    /// A cookie, the reader that must accept it, and what Flask read.
    type Vector = (&'static str, FlaskSession, Vec<(&'static str, String)>);

    /// Every real vector.
    fn vectors() -> Vec<Vector> {
        let blob = json_str(&"abcdefgh".repeat(300));
        let text = json_str("h\u{e9}llo \u{2603} \u{1F600} \"q\" \\ \n\t\u{1}");
        let f3_login = vec![
            ("_fresh", "true".to_owned()),
            ("_id", json_str(F3_ID)),
            ("_user_id", json_str("1")),
        ];
        let f012_login = vec![
            ("_fresh", "true".to_owned()),
            ("_id", json_str(F012_ID)),
            ("user_id", json_str("1")),
        ];
        let mut f3_big = f3_login.clone();
        f3_big.push(("blob", blob.clone()));
        let f012_big = vec![
            ("_fresh", "true".to_owned()),
            ("_id", json_str(F012_ID)),
            ("blob", blob),
            ("user_id", json_str("1")),
        ];
        // Flask's reading, minus bytes, bigint (10**20), datetime, list,
        // markup, nested dict, tuple and UUID.
        let tagged_common = [
            ("empty", json_str("")),
            ("float", "1.5".to_owned()),
            ("int", "-42".to_owned()),
            ("null", "null".to_owned()),
            ("text", text),
            ("u64", "18446744073709551615".to_owned()),
        ];
        let mut f3_tagged = vec![("_user_id", json_str("1"))];
        f3_tagged.extend(tagged_common.iter().cloned());
        let mut f012_tagged = vec![("_id", json_str(F012_ID))];
        f012_tagged.extend(tagged_common.iter().cloned());
        f012_tagged.push(("user_id", json_str("1")));
        let bytes3 = FlaskSession::new(bytes_secret());
        let bytes012 = FlaskSession::new(bytes_secret()).version(FlaskVersion::Flask0_12);
        vec![
            (F3_LOGIN, flask3(), f3_login),
            (F3_BIG, flask3(), f3_big),
            (F3_TAGGED, flask3(), f3_tagged),
            (F3_ONE, bytes3, vec![("user_id", "7".to_owned())]),
            (F3_DI, flask3(), vec![(" t", json_str("x"))]),
            (F012_LOGIN, flask012(), f012_login.clone()),
            (F012_BIG, flask012(), f012_big),
            (F012_TAGGED, flask012(), f012_tagged),
            (
                F012_ONE,
                bytes012,
                vec![("_id", json_str(F012_ID)), ("user_id", "7".to_owned())],
            ),
            // Flask 0.12 on itsdangerous 1.1: Unix timestamps, read as Flask 3.
            (F012_ITS11_LOGIN, flask3(), f012_login),
        ]
    }

    #[test]
    fn real_vectors_yield_exactly_flasks_scalars() {
        for (cookie, reader, want) in vectors() {
            let data = reader
                .read(cookie.as_bytes(), MADE)
                .unwrap_or_else(|| panic!("refused {cookie}"));
            let want: Vec<(&str, &str)> = want.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(entries(&data), want, "{cookie}");
        }
    }

    #[test]
    fn get_returns_json_text() {
        let data = flask3().read(F3_LOGIN.as_bytes(), MADE).unwrap();
        assert_eq!(data.get("_user_id"), Some("\"1\""));
        assert_eq!(data.get("_fresh"), Some("true"));
        assert_eq!(data.get("user_id"), None);
        let data = flask012().read(F012_LOGIN.as_bytes(), MADE).unwrap();
        assert_eq!(data.get("user_id"), Some("\"1\""));
        // Tagged values are not there.
        let data = flask3().read(F3_TAGGED.as_bytes(), MADE).unwrap();
        for key in ["b", "bigint", "d", "list", "m", "nested", "t", "u"] {
            assert_eq!(data.get(key), None, "{key}");
        }
    }

    #[test]
    fn compressed_payloads_decode() {
        for cookie in [F3_LOGIN, F3_BIG, F3_TAGGED, F012_BIG, F012_TAGGED] {
            assert!(cookie.starts_with('.'), "{cookie} is not compressed");
        }
        assert!(!F012_LOGIN.starts_with('.'));
        let data = flask3().read(F3_BIG.as_bytes(), MADE).unwrap();
        assert_eq!(data.get("blob").unwrap().len(), 2402);
    }

    #[test]
    fn wrong_secret_or_version_is_refused() {
        for (cookie, reader, _) in vectors() {
            let other = FlaskSession::new("other").version(reader.version);
            assert!(other.read(cookie.as_bytes(), MADE).is_none(), "{cookie}");
        }
        // Text secrets are UTF-8, not Latin-1 (which Flask-Login 0.6.3
        // uses for its remember cookie).
        let latin1: Vec<u8> = SECRET.chars().map(|c| c as u32 as u8).collect();
        assert!(FlaskSession::new(latin1)
            .read(F3_LOGIN.as_bytes(), MADE)
            .is_none());
        assert!(FlaskSession::new(SECRET.as_bytes())
            .read(F3_LOGIN.as_bytes(), MADE)
            .is_some());
        // The wrong generation fails closed, both ways.
        for cookie in [F3_LOGIN, F012_ITS11_LOGIN] {
            assert!(flask012().read(cookie.as_bytes(), MADE).is_none());
        }
        assert!(flask3().read(F012_LOGIN.as_bytes(), MADE).is_none());
    }

    #[test]
    fn fallback_secrets_are_accepted() {
        let rotated = FlaskSession::new("the new secret");
        assert!(rotated.read(F3_LOGIN.as_bytes(), MADE).is_none());
        let rotated = rotated
            .fallback_secret("an older one")
            .fallback_secret(SECRET);
        let data = rotated.read(F3_LOGIN.as_bytes(), MADE).unwrap();
        assert_eq!(data.get("_user_id"), Some("\"1\""));
        let rotated = FlaskSession::new("new")
            .version(FlaskVersion::Flask0_12)
            .fallback_secret(bytes_secret());
        assert!(rotated.read(F012_ONE.as_bytes(), MADE).is_some());
    }

    #[test]
    fn one_changed_byte_anywhere_is_refused() {
        for (cookie, reader, _) in vectors() {
            let original = cookie.as_bytes();
            for i in 0..original.len() {
                for edit in [
                    original[i] ^ 0x01,
                    original[i] ^ 0x20,
                    original[i] ^ 0x80,
                    b'.',
                    b'A',
                    b'-',
                    b'=',
                    b'+',
                ] {
                    let mut v = original.to_vec();
                    v[i] = edit;
                    if v != original {
                        assert!(reader.read(&v, MADE).is_none(), "{cookie} edited at {i}");
                    }
                }
                let mut v = original.to_vec();
                v.remove(i);
                assert!(reader.read(&v, MADE).is_none(), "{cookie} without byte {i}");
                assert!(
                    reader.read(&original[..i], MADE).is_none(),
                    "{cookie}[..{i}]"
                );
                let mut v = original.to_vec();
                v.insert(i, b'A');
                assert!(reader.read(&v, MADE).is_none(), "{cookie} + A at {i}");
            }
        }
    }

    #[test]
    fn lenient_spellings_python_accepts_are_refused() {
        // The signature's last character has 2 unused bits; Python ignores
        // them (and Flask accepted this variant), this reader does not.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut v = F3_LOGIN.as_bytes().to_vec();
        let last = v.len() - 1;
        let pos = alphabet.iter().position(|&c| c == v[last]).unwrap();
        v[last] = alphabet[pos ^ 1];
        assert!(flask3().read(&v, MADE).is_none());
        // Standard-alphabet characters, padding, quotes.
        let quoted = format!("\"{F3_LOGIN}\"");
        assert!(flask3().read(quoted.as_bytes(), MADE).is_none());
        let padded = format!("{F3_LOGIN}=");
        assert!(flask3().read(padded.as_bytes(), MADE).is_none());
    }

    #[test]
    fn max_age_is_checked_against_the_timestamp() {
        for (cookie, reader, _) in vectors() {
            let c = cookie.as_bytes();
            assert!(
                reader.read(c, MADE + MAX_AGE).is_some(),
                "{cookie} at the limit"
            );
            assert!(
                reader.read(c, MADE + MAX_AGE + 1).is_none(),
                "{cookie} expired"
            );
            let short = reader.clone().max_age(Duration::from_millis(60_999));
            assert!(short.read(c, MADE + 60).is_some());
            assert!(short.read(c, MADE + 61).is_none());
            let zero = reader.clone().max_age(Duration::ZERO);
            assert!(zero.read(c, MADE).is_some());
            assert!(zero.read(c, MADE + 1).is_none());
            assert!(reader.read(c, i64::MAX).is_none());
            assert!(reader.read(c, i64::MIN).is_none());
        }
    }

    #[test]
    fn future_timestamps_follow_each_generation() {
        // itsdangerous 2 refuses a cookie dated even 1 s ahead.
        assert!(flask3().read(F3_LOGIN.as_bytes(), MADE - 1).is_none());
        // itsdangerous 0.24 accepts it; this reader up to an hour of skew.
        let c = F012_LOGIN.as_bytes();
        assert!(flask012().read(c, MADE - 1).is_some());
        assert!(flask012().read(c, MADE - 3600).is_some());
        assert!(flask012().read(c, MADE - 3601).is_none());
    }

    #[test]
    fn garbage_is_refused() {
        let huge = "A".repeat(1 << 20);
        let mut long_valid_shape = "A".repeat(MAX_VALUE_LEN - 35);
        long_valid_shape.push_str(".aVW5AA.RpGOLyUOC_x3K8k7eV5Pn9hpTV4");
        let cases: Vec<&[u8]> = vec![
            b"",
            b".",
            b"..",
            b"...",
            b"a.b.c",
            b"e30.aVW5AA.",
            b".aVW5AA.RpGOLyUOC_x3K8k7eV5Pn9hpTV4",
            b"e30..RpGOLyUOC_x3K8k7eV5Pn9hpTV4",
            "é.ü.ß".as_bytes(),
            b"\xff\xfe\x00.\x00.\x00",
            b"\0",
            huge.as_bytes(),
            long_valid_shape.as_bytes(),
            b"session=abc",
            b"eyJfdXNlcl9pZCI6IjEifQ",
        ];
        for reader in [flask3(), flask012()] {
            for c in &cases {
                assert!(
                    reader.read(c, MADE).is_none(),
                    "{:?}",
                    String::from_utf8_lossy(c)
                );
            }
        }
    }

    // --- Cookies signed here, with this test's own signer --------------

    fn b64url(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    /// itsdangerous' `URLSafeTimedSerializer.dumps` with Flask's settings,
    /// over a payload given as raw bytes (compressed on request) and a raw
    /// timestamp.
    fn sign(secret: &str, payload: &[u8], compress: bool, ts: &[u8]) -> String {
        let mut value = if compress {
            let z = miniz_oxide::deflate::compress_to_vec_zlib(payload, 6);
            format!(".{}", b64url(&z))
        } else {
            b64url(payload)
        };
        value.push('.');
        value.push_str(&b64url(ts));
        let mut mac = derived_mac(secret.as_bytes());
        mac.update(value.as_bytes());
        let sig = mac.finalize().into_bytes();
        format!("{value}.{}", b64url(&sig))
    }

    fn ts_bytes(ts: i64) -> Vec<u8> {
        let b = ts.to_be_bytes();
        let zeros = b.iter().take_while(|&&x| x == 0).count();
        b[zeros..].to_vec()
    }

    fn signed(payload: &str, compress: bool) -> String {
        sign(SECRET, payload.as_bytes(), compress, &ts_bytes(MADE))
    }

    /// `MADE` as `reader`'s itsdangerous writes it.
    fn made_for(reader: &FlaskSession) -> Vec<u8> {
        match reader.version {
            FlaskVersion::Flask3 => ts_bytes(MADE),
            FlaskVersion::Flask0_12 => ts_bytes(MADE - 1_293_840_000),
        }
    }

    #[test]
    fn own_signer_matches_flask() {
        // The helper reproduces a real Flask 3 cookie byte for byte.
        let payload = br#"{"user_id":7}"#;
        let mut mac = derived_mac(&bytes_secret());
        let value = format!("{}.{}", b64url(payload), b64url(&ts_bytes(MADE)));
        mac.update(value.as_bytes());
        let cookie = format!("{value}.{}", b64url(&mac.finalize().into_bytes()));
        assert_eq!(cookie, F3_ONE);
        assert!(flask3()
            .read(signed("{}", false).as_bytes(), MADE)
            .is_some());
    }

    #[test]
    fn zip_bombs_are_refused() {
        // 1 MiB of JSON in ~1 KiB of cookie, validly signed.
        let bomb = format!("{{\"a\":\"{}\"}}", "0".repeat(1 << 20));
        for reader in [flask3(), flask012()] {
            let cookie = sign(SECRET, bomb.as_bytes(), true, &made_for(&reader));
            assert!(cookie.len() < 2048, "{}", cookie.len());
            assert!(reader.read(cookie.as_bytes(), MADE).is_none());
            let small = sign(SECRET, br#"{"a":"0"}"#, true, &made_for(&reader));
            assert!(reader.read(small.as_bytes(), MADE).is_some());
        }
        // Exactly the limit inflates; one byte more does not.
        let pad = MAX_JSON_LEN - r#"{"a":""}"#.len();
        let at_limit = format!("{{\"a\":\"{}\"}}", "x".repeat(pad));
        assert_eq!(at_limit.len(), MAX_JSON_LEN);
        let data = flask3()
            .read(signed(&at_limit, true).as_bytes(), MADE)
            .unwrap();
        assert_eq!(data.get("a").unwrap().len(), pad + 2);
        let over = format!("{{\"a\":\"{}\"}}", "x".repeat(pad + 1));
        assert!(flask3()
            .read(signed(&over, true).as_bytes(), MADE)
            .is_none());
    }

    #[test]
    fn zlib_is_checked_as_python_does() {
        let json = br#"{"_user_id":"1"}"#;
        let z = miniz_oxide::deflate::compress_to_vec_zlib(json, 6);
        let ts = ts_bytes(MADE);
        let make = |z: &[u8]| {
            let value = format!(".{}.{}", b64url(z), b64url(&ts));
            let mut mac = derived_mac(SECRET.as_bytes());
            mac.update(value.as_bytes());
            format!("{value}.{}", b64url(&mac.finalize().into_bytes()))
        };
        assert!(flask3().read(make(&z).as_bytes(), MADE).is_some());
        // Bytes after the stream's end are ignored, as zlib.decompress does.
        let mut junk = z.clone();
        junk.extend_from_slice(b"trailing junk");
        assert!(flask3().read(make(&junk).as_bytes(), MADE).is_some());
        // A wrong Adler-32, a truncated stream, a raw deflate stream: refused.
        let mut bad = z.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(flask3().read(make(&bad).as_bytes(), MADE).is_none());
        assert!(flask3()
            .read(make(&z[..z.len() - 1]).as_bytes(), MADE)
            .is_none());
        let raw = miniz_oxide::deflate::compress_to_vec(json, 6);
        assert!(flask3().read(make(&raw).as_bytes(), MADE).is_none());
        // Not compressed but marked so, and the reverse.
        assert!(flask3().read(make(json).as_bytes(), MADE).is_none());
        let unmarked = sign(SECRET, &z, false, &ts);
        assert!(flask3().read(unmarked.as_bytes(), MADE).is_none());
    }

    #[test]
    fn payload_shapes_follow_tagged_json() {
        let read = |reader: &FlaskSession, json: &str| {
            reader
                .read(
                    sign(SECRET, json.as_bytes(), false, &made_for(reader)).as_bytes(),
                    MADE,
                )
                .map(|d| {
                    d.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                })
        };
        let f3 = flask3();
        let f012 = flask012();
        for r in [&f3, &f012] {
            // A repeated key keeps its first place and its last value.
            assert_eq!(
                read(r, r#"{"a":"1","b":2,"a":{" b":"AA=="}}"#).unwrap(),
                ["b=2"]
            );
            assert_eq!(
                read(r, r#"{"a":"1","b":2,"a":"2"}"#).unwrap(),
                ["a=\"2\"", "b=2"]
            );
            // Tagged and container values are skipped, scalars kept.
            assert_eq!(
                read(r, r#"{"a":{" t":[1]},"b":[{" b":"AA=="}],"c":"ok","d":{}}"#).unwrap(),
                ["c=\"ok\""]
            );
            assert_eq!(
                read(r, r#"{"t":true,"f":false,"n":null}"#).unwrap(),
                ["t=true", "f=false", "n=null"]
            );
            // Python ints beyond 64 bits are left out, not rounded.
            assert_eq!(
                read(r, r#"{"u":18446744073709551615,"big":18446744073709551616,"neg":-9223372036854775808,"negbig":-9223372036854775809,"f":1.5,"e":1e+20,"small":1e-07}"#).unwrap(),
                ["u=18446744073709551615", "neg=-9223372036854775808", "f=1.5", "small=1e-7"]
            );
            // Escapes are re-encoded as equivalent JSON.
            assert_eq!(
                read(r, r#"{"a":"\u00e9\ud83d\ude00\n\"\\\/"}"#).unwrap(),
                ["a=\"\u{e9}\u{1F600}\\n\\\"\\\\/\""]
            );
            assert_eq!(read(r, " \n{ \"a\" : 1 }\t ").unwrap(), ["a=1"]);
            assert_eq!(read(r, "{}").unwrap(), Vec::<String>::new());
            // Deep nesting in a skipped value is fine (skipped iteratively).
            let deep = format!(
                "{{\"a\":1,\"d\":{}{}}}",
                "[".repeat(30_000),
                "]".repeat(30_000)
            );
            assert_eq!(
                r.read(
                    sign(SECRET, deep.as_bytes(), true, &made_for(r)).as_bytes(),
                    MADE
                )
                .map(|d| d.get("a").map(str::to_owned)),
                Some(Some("1".to_owned()))
            );
            // An unpaired surrogate in a skipped value is fine; in an
            // extracted one (or NaN, Infinity) serde_json refuses the whole.
            assert_eq!(read(r, r#"{"a":"1","n":["\ud800"]}"#).unwrap(), ["a=\"1\""]);
            assert!(read(r, r#"{"a":"\ud800"}"#).is_none());
            assert!(read(r, r#"{"a":1,"f":NaN}"#).is_none());
            // Not an object, a tag at the top, broken JSON: refused.
            for bad in [
                "[1]",
                "[]",
                "\"x\"",
                "1",
                "null",
                r#"{" t":[["a","b"]]}"#,
                r#"{" b":"AA=="}"#,
                r#"{" m":"<b>"}"#,
                r#"{" u":"12345678123456781234567812345678"}"#,
                r#"{" d":"Sat, 07 Jun 2025 08:09:10 GMT"}"#,
                r#"{"a":1}x"#,
                "\u{feff}{\"a\":1}",
                "",
                "{",
            ] {
                assert!(read(r, bad).is_none(), "{bad}");
            }
            // Invalid UTF-8 anywhere, even in a skipped string.
            let raw = sign(
                SECRET,
                b"{\"a\":\"1\",\"n\":[\"\xff\"]}",
                false,
                &made_for(r),
            );
            assert!(r.read(raw.as_bytes(), MADE).is_none());
        }
        // Flask 3's " di": a one-key session whose key is a tag's name.
        assert_eq!(read(&f3, r#"{" di":{" t__":"x"}}"#).unwrap(), [" t=\"x\""]);
        assert_eq!(
            read(&f3, r#"{" di":{" t__":"x"," b__":"y"," t__":"z"}}"#).unwrap(),
            [" t=\"z\""]
        );
        assert_eq!(read(&f3, r#"{" di":{"a":"x"}}"#).unwrap(), ["=\"x\""]);
        assert_eq!(
            read(&f3, r#"{" di":{" t__":[1]}}"#).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            read(&f3, r#"{" di":"x","a":1}"#).unwrap(),
            [" di=\"x\"", "a=1"]
        );
        for bad in [r#"{" di":"x"}"#, r#"{" di":{}}"#, r#"{" di":["a"]}"#] {
            assert!(read(&f3, bad).is_none(), "{bad}");
        }
        // Flask 0.12 has no " di" tag: it is an ordinary key there.
        assert_eq!(read(&f012, r#"{" di":"x"}"#).unwrap(), [" di=\"x\""]);
        assert_eq!(
            read(&f012, r#"{" di":{" t__":"x"}}"#).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn timestamps_decode_as_each_itsdangerous_does() {
        let p = br#"{"a":1}"#;
        let made3 = ts_bytes(MADE);
        let made012 = ts_bytes(MADE - 1_293_840_000);
        let ok = |r: &FlaskSession, ts: &[u8], now: i64| {
            r.read(sign(SECRET, p, false, ts).as_bytes(), now).is_some()
        };
        let (f3, f012) = (flask3(), flask012());
        assert!(ok(&f3, &made3, MADE));
        assert!(ok(&f012, &made012, MADE));
        // A leading zero byte: both unpack it.
        let lead = |b: &[u8]| [&[0u8][..], b].concat();
        assert!(ok(&f3, &lead(&made3), MADE));
        assert!(ok(&f012, &lead(&made012), MADE));
        // Nine bytes: itsdangerous 2 cannot unpack them, 0.24 can.
        let nine = |b: &[u8]| [&[0u8; 9][..9 - b.len()], b].concat();
        assert!(!ok(&f3, &nine(&made3), MADE));
        assert!(ok(&f012, &nine(&made012), MADE));
        // An empty timestamp is 0.
        assert!(!ok(&f3, b"", MADE));
        assert!(ok(&f3, b"", 0));
        assert!(ok(&f012, b"", 1_293_840_000));
        // Past Python's datetime (year 9999) 0.24 fails.
        let last = 253_402_300_799 - 1_293_840_000;
        assert!(ok(&f012, &ts_bytes(last), 253_402_300_799));
        assert!(!ok(&f012, &ts_bytes(last + 1), 253_402_300_800));
        assert!(!ok(&f012, &[0xff; 8], i64::MAX));
    }

    #[test]
    fn no_panic_on_pseudo_random_input() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_....=\0\xff";
        let readers = [flask3(), flask012()];
        let seeds: Vec<Vec<u8>> = vectors()
            .iter()
            .map(|(c, _, _)| c.as_bytes().to_vec())
            .collect();
        for round in 0..20_000 {
            let r = next();
            let mut v: Vec<u8> = if round % 2 == 0 {
                let len = (r % 300) as usize;
                (0..len)
                    .map(|_| {
                        let x = next();
                        if x % 4 == 0 {
                            x as u8
                        } else {
                            alphabet[(x as usize >> 8) % alphabet.len()]
                        }
                    })
                    .collect()
            } else {
                seeds[(r as usize >> 8) % seeds.len()].clone()
            };
            // A few random edits.
            for _ in 0..(r % 4) {
                let x = next();
                let pos = (x as usize >> 8) % (v.len() + 1);
                match x % 3 {
                    0 if pos < v.len() => v[pos] = (x >> 40) as u8,
                    1 => v.insert(pos, alphabet[(x as usize >> 16) % alphabet.len()]),
                    _ => v.truncate(pos),
                }
            }
            let now = MADE + (next() % 100_000) as i64 - 50_000;
            for reader in &readers {
                let got = reader.read(&v, now);
                if got.is_some() {
                    // Only an unedited real cookie can verify.
                    assert!(
                        seeds.contains(&v),
                        "accepted {:?}",
                        String::from_utf8_lossy(&v)
                    );
                }
            }
        }
    }

    #[test]
    fn debug_shows_no_secret_and_no_values() {
        let reader = FlaskSession::new("super secret value");
        let shown = format!("{reader:?}");
        assert!(!shown.contains("super"), "{shown}");
        let data = flask3().read(F3_LOGIN.as_bytes(), MADE).unwrap();
        let shown = format!("{data:?}");
        assert_eq!(shown, r#"{"_fresh", "_id", "_user_id"}"#);
    }

    #[test]
    fn shared_across_workers() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<FlaskSession>();
        send_sync::<FlaskSessionData>();
    }

    #[test]
    #[should_panic(expected = "empty")]
    fn empty_secret_panics() {
        let _ = FlaskSession::new("");
    }

    #[test]
    fn settings_and_the_fuzz_entry_point() {
        let reader = FlaskSession::new("k")
            .cookie_name("flask_session")
            .cookie_path("/app")
            .cookie_domain("example.com")
            .copy_key("cart")
            .copy_key("locale")
            .version(FlaskVersion::Flask0_12);
        assert_eq!(reader.keys_to_copy(), ["cart", "locale"]);
        assert_eq!(reader.name(), "flask_session");
        assert_eq!(reader.path(), "/app");
        assert_eq!(reader.domain(), Some("example.com"));
        assert_eq!(reader.version, FlaskVersion::Flask0_12);
        let d = FlaskSession::new("k");
        assert_eq!((d.name(), d.path(), d.domain()), ("session", "/", None));
        assert_eq!(d.version, FlaskVersion::Flask3);
        assert_eq!(d.max_age, 31 * 24 * 3600);
        assert!(d.keys_to_copy().is_empty());
        assert_eq!(flask_session_read(b"", true, F3_ONE.as_bytes(), MADE), None);
        assert_eq!(
            flask_session_read(&bytes_secret(), true, F3_ONE.as_bytes(), MADE),
            Some(vec![("user_id".to_owned(), "7".to_owned())])
        );
        assert_eq!(
            flask_session_read(&bytes_secret(), false, F012_ONE.as_bytes(), MADE).map(|e| e.len()),
            Some(2)
        );
    }
}
