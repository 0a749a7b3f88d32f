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

use std::time::Duration;

use actix_session::{Session, SessionExt};
use actix_web::{
    dev::ServiceResponse,
    http::header::{HeaderValue, SET_COOKIE},
    HttpRequest,
};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha512;
use subtle::ConstantTimeEq;

use crate::{
    error::LoginError,
    keys::{AUTH_HASH, FRESH, REMEMBER_SECONDS},
    session::{get_string, put},
    signals::Signal,
    state::{LoginState, RememberOp},
    user::{LoaderError, User},
    Profile,
};

/// What a verified remember cookie names.
enum CookieUser<U> {
    /// Refused: an auth-hash tag that does not match, or an untagged cookie
    /// for a user who has an auth hash.
    Rejected,
    /// The loader's answer for the cookie's id.
    Loaded(Option<U>, String),
}

impl<U: User> LoginState<U> {
    /// Restores the user from the remember cookie: `None` when the request
    /// has none, `Some(None)` for a forged or malformed one (logged without
    /// its value) or one whose user is gone.
    ///
    /// A restored user is written into the session as a stale login, and the
    /// session id is renewed: an id planted in the browser before (session
    /// fixation) is worthless after.
    pub(crate) async fn restore_from_cookie(
        &self,
        req: &HttpRequest,
        session: &Session,
    ) -> Result<Option<Option<U>>, LoginError> {
        let m = &*self.m;
        let Some(value) = read_cookie(req.headers(), &m.cookie.name, m.profile) else {
            return Ok(None);
        };
        let Some(payload) = m.signer.decode(&value) else {
            tracing::debug!(cookie = %m.cookie.name, "rejected a remember cookie with a bad signature");
            return Ok(Some(None));
        };
        let (user, id) = match &m.token_loader {
            Some(tl) => {
                let user = tl
                    .load(payload, req)
                    .await
                    .map_err(LoaderError::into_login_error)?;
                let Some(user) = user else {
                    return Ok(Some(None));
                };
                let id = user.get_id();
                (Some(user), id)
            }
            None => match self.user_of_payload(payload, req).await? {
                CookieUser::Rejected => return Ok(Some(None)),
                CookieUser::Loaded(user, id) => (user, id),
            },
        };
        if user.is_none() && m.rules.forget_cookie_of_unknown_user {
            // 0.2.4 stores the id, reloads, finds no user and logs out,
            // which deletes the cookie.
            self.remember.set(RememberOp::Clear);
            return Ok(Some(None));
        }
        // Flask-Login writes these before calling the loader; they are
        // written after it answered, so a failing loader changes nothing.
        put(session, m.keys.user_id, &id)?;
        self.wrote_user_id(session);
        put(session, FRESH, &false)?;
        if let Some(u) = &user {
            // Upstream #685: without the identifier, the next request
            // would trip session protection (DIFFERENCES.md F1).
            self.store_identifier(session, req)?;
            if let Some(digest) = self.auth_digest(u) {
                put(session, AUTH_HASH, &digest)?;
            }
            session.renew();
            tracing::info!(user.id = %id, "user restored from the remember cookie");
            m.send(Signal::LoadedFromCookie, req, Some(u));
        }
        Ok(Some(user))
    }

    /// The user a verified cookie payload names ([`parse_payload`]). A tag
    /// is honoured only if the user it names has an auth hash with that
    /// tag; when that user has no auth hash the cookie is not one of ours
    /// and the whole payload is the id, as in Flask-Login (a Flask-issued
    /// cookie for an id that merely ends like a tag). A user with an auth
    /// hash needs a matching tag.
    async fn user_of_payload(
        &self,
        payload: &str,
        req: &HttpRequest,
    ) -> Result<CookieUser<U>, LoginError> {
        let id = match parse_payload(payload) {
            Payload::Tagged(id, tag) => {
                if let Some(user) = self.call_loader(id, req).await? {
                    if let Some(digest) = self.auth_digest(&user) {
                        let want = &digest.as_bytes()[..AUTH_TAG_LEN];
                        if bool::from(tag.as_bytes().ct_eq(want)) {
                            return Ok(CookieUser::Loaded(Some(user), id.to_owned()));
                        }
                        tracing::info!(user.id = %id, "remember cookie predates a credential change: ignored");
                        return Ok(CookieUser::Rejected);
                    }
                }
                payload
            }
            Payload::Plain(id) | Payload::Untagged(id) => id,
        };
        let user = self.call_loader(id, req).await?;
        if let Some(u) = &user {
            if self.auth_digest(u).is_some() {
                // Issued before the user had an auth hash, or forged from an
                // untagged one: either way it cannot prove the credentials.
                tracing::info!(user.id = %id, "untagged remember cookie for a user with an auth hash: ignored");
                return Ok(CookieUser::Rejected);
            }
        }
        Ok(CookieUser::Loaded(user, id.to_owned()))
    }

    /// How long a remember cookie issued now lives: this login's duration,
    /// else the one stored in the session at login, else the configured one.
    pub(crate) fn remember_lifetime(
        &self,
        session: &Session,
        this_login: Option<Duration>,
    ) -> Duration {
        this_login
            .or_else(|| {
                session
                    .get::<f64>(REMEMBER_SECONDS)
                    .ok()
                    .flatten()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
            })
            .unwrap_or(self.m.cookie.duration)
    }

    /// On the way out: sets or deletes the remember cookie as the request's
    /// login asked, or refreshes it (refresh-each-request); deletes an
    /// imported Flask session cookie.
    pub(crate) fn write_cookies<B>(&self, res: &mut ServiceResponse<B>) {
        if let Some(header) = self.flask_cookie_deletion() {
            self.append_set_cookie(res, &header);
        }
        if let Some(header) = self.remember_cookie_header(res.request()) {
            self.append_set_cookie(res, &header);
        }
    }

    fn append_set_cookie<B>(&self, res: &mut ServiceResponse<B>, header: &str) {
        match HeaderValue::from_str(header) {
            Ok(value) => {
                res.headers_mut().append(SET_COOKIE, value);
            }
            Err(_) => tracing::error!(
                "a cookie name or attribute is not a valid header value; cookie not sent"
            ),
        }
    }

    fn remember_cookie_header(&self, req: &HttpRequest) -> Option<String> {
        let m = &*self.m;
        match self.remember.get() {
            RememberOp::Clear => Some(delete_cookie_header(&m.cookie, m.profile)),
            RememberOp::Set => self
                .remember_set
                .borrow()
                .as_ref()
                .map(|(payload, lifetime)| {
                    set_cookie_header(&m.cookie, m.profile, &m.signer.encode(payload), *lifetime)
                }),
            RememberOp::Keep if m.cookie.refresh_each_request => self.refreshed_cookie(req),
            RememberOp::Keep => None,
        }
    }

    /// Refresh-each-request: a new expiry for a request that carried a valid
    /// remember cookie for the session's user, so a login without "remember
    /// me" never gets one (upstream #824).
    fn refreshed_cookie(&self, req: &HttpRequest) -> Option<String> {
        let m = &*self.m;
        let value = read_cookie(req.headers(), &m.cookie.name, m.profile)?;
        let payload = m.signer.decode(&value)?;
        let session = req.get_session();
        let payload = match &m.token_loader {
            // A token cookie is re-issued only when the user was loaded.
            Some(_) => self.user()?.get_auth_token()?,
            // The verified payload again, if it names the session's user.
            None => {
                let (Payload::Plain(id) | Payload::Untagged(id) | Payload::Tagged(id, _)) =
                    parse_payload(payload);
                if get_string(&session, m.keys.user_id).as_deref() != Some(id) {
                    return None;
                }
                payload.to_owned()
            }
        };
        let lifetime = self.remember_lifetime(&session, None);
        Some(set_cookie_header(
            &m.cookie,
            m.profile,
            &m.signer.encode(&payload),
            lifetime,
        ))
    }
}

/// The HMAC used for the remember cookie's digest, keyed once per app.
///
/// The key state is prepared when the [`LoginManager`](crate::LoginManager)
/// is built; signing and verifying clone it instead of re-hashing the key.
#[derive(Clone)]
pub(crate) struct Signer {
    mac: KeyedMac,
    key_id: u64,
}

#[derive(Clone)]
enum KeyedMac {
    /// Flask-Login 0.2.4: HMAC-SHA1.
    Sha1(Hmac<Sha1>),
    /// Flask-Login ≥ 0.3: HMAC-SHA512.
    Sha512(Hmac<Sha512>),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str(match self.mac {
            KeyedMac::Sha1(_) => "Signer(HMAC-SHA1)",
            KeyedMac::Sha512(_) => "Signer(HMAC-SHA512)",
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
        let mac = match profile {
            Profile::V0_2_4 => KeyedMac::Sha1(
                Hmac::<Sha1>::new_from_slice(key).expect("HMAC accepts keys of any length"),
            ),
            Profile::V0_6_3 => KeyedMac::Sha512(
                Hmac::<Sha512>::new_from_slice(key).expect("HMAC accepts keys of any length"),
            ),
        };
        let mut signer = Signer { mac, key_id: 0 };
        let id = signer.mac(b"actix-login key id\0", b"");
        signer.key_id = u64::from_le_bytes(id[..8].try_into().expect("MACs are 20 bytes or more"));
        signer
    }

    /// The raw HMAC of the concatenated `parts`.
    fn mac_of(&self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + Clone>(mac: &M, parts: &[&[u8]]) -> Vec<u8> {
            let mut mac = mac.clone();
            for part in parts {
                mac.update(part);
            }
            mac.finalize().into_bytes().to_vec()
        }
        match &self.mac {
            KeyedMac::Sha1(mac) => run(mac, parts),
            KeyedMac::Sha512(mac) => run(mac, parts),
        }
    }

    /// Appends the lowercase hex HMAC of `payload` to `out`.
    fn mac_hex(&self, payload: &[u8], out: &mut String) {
        hex_into(&self.mac_of(&[payload]), out);
    }

    /// The raw HMAC of `domain` followed by `data`: the domain keeps each
    /// use of the app's key apart from the others.
    pub(crate) fn mac(&self, domain: &[u8], data: &[u8]) -> Vec<u8> {
        self.mac_of(&[domain, data])
    }

    /// A public name for the key, so per-thread caches of keyed values
    /// never answer for another manager's key. Derived, not the key.
    pub(crate) fn key_id(&self) -> u64 {
        self.key_id
    }

    /// `payload|hexdigest`: Flask-Login's `encode_cookie`.
    pub(crate) fn encode(&self, payload: &str) -> String {
        let mut out = String::with_capacity(payload.len() + 1 + 128);
        out.push_str(payload);
        out.push('|');
        self.mac_hex(payload.as_bytes(), &mut out);
        out
    }

    /// Flask-Login's `decode_cookie`, over the already-unquoted value bytes.
    ///
    /// The payload is what precedes the **last** `|`, so ids may contain `|`.
    /// Returns `None` for anything but an exact lowercase-hex digest of the
    /// payload, and for a non-UTF-8 payload. Never panics. (An empty id with
    /// a valid digest decodes to `""`, as in Flask-Login.)
    pub(crate) fn decode<'v>(&self, value: &'v [u8]) -> Option<&'v str> {
        let bar = value.iter().rposition(|&b| b == b'|')?;
        let (payload, digest) = (&value[..bar], &value[bar + 1..]);
        // The cookie's digest as bytes: exactly the MAC's length in
        // lowercase hex, as Flask-Login compares it (uppercase is refused).
        let mut given = [0u8; 64];
        let given = lowercase_hex_decode(digest, &mut given)?;
        // Constant time in the digest's content; the length, which is
        // public, is compared first.
        let expected = self.mac_of(&[payload]);
        let ok = given.len() == expected.len() && bool::from(expected[..].ct_eq(given));
        if !ok {
            return None;
        }
        // Werkzeug decodes cookies as UTF-8; a payload that is not UTF-8
        // cannot have been signed as text.
        std::str::from_utf8(payload).ok()
    }
}

/// Decodes lowercase hex (at most 64 bytes' worth) into `out`; `None` for
/// anything else. The work depends only on the length.
fn lowercase_hex_decode<'o>(hex: &[u8], out: &'o mut [u8; 64]) -> Option<&'o [u8]> {
    if !hex.len().is_multiple_of(2) || hex.len() > 128 {
        return None;
    }
    let mut bad = 0u8;
    let nibble = |c: u8, bad: &mut u8| -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => {
                *bad = 1;
                0
            }
        }
    };
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0], &mut bad) << 4) | nibble(pair[1], &mut bad);
    }
    (bad == 0).then(|| &out[..hex.len() / 2])
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
/// Bytes that stay raw are ASCII, so the result is a valid header value.
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
    // Werkzeug 3 octal-escapes only 0x00–0x19 and leaves 0x1A–0x1F raw,
    // which no HTTP header may carry (the cookie would never be sent);
    // escaping them too gives a value Werkzeug reads back the same.
    let mut out = String::with_capacity(value.len() + 8);
    out.push('"');
    for b in value.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b if b == b',' || b == b';' || !(0x20..0x7f).contains(&b) => {
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

/// The raw value of the cookie called `name` in the request's `Cookie`
/// headers, read with the grammar of the profile's Werkzeug, without
/// percent-decoding (Werkzeug does none) and without building a cookie jar.
/// Quoted values keep their quotes; see [`unquote_value`].
///
/// * 0.6.3 (Werkzeug 3): each pair is `name=token` or `name="quoted"`, where
///   names hold no space, tab, `=`, `"` or `;` and tokens no space, tab, `"`
///   or `;`; a pair that does not fit is skipped up to the next `;`. The
///   first pair of that name wins.
/// * 0.2.4 (Werkzeug 0.16): a lenient split on `;` with trimmed names and
///   values that run to the next `;` unless quoted; the last pair wins.
pub(crate) fn find_cookie<'h>(
    headers: &'h actix_web::http::header::HeaderMap,
    name: &str,
    profile: Profile,
) -> Option<&'h [u8]> {
    let name = name.as_bytes();
    let mut found = None;
    for header in headers.get_all(actix_web::http::header::COOKIE) {
        let bytes = header.as_bytes();
        match profile {
            Profile::V0_6_3 => {
                if let Some(v) = strict_pairs(bytes)
                    .find(|(k, _)| same_name(k, name, profile))
                    .map(|(_, v)| v)
                {
                    return Some(v);
                }
            }
            Profile::V0_2_4 => {
                if let Some(v) = lenient_pairs(bytes)
                    .filter(|(k, _)| same_name(k, name, profile))
                    .map(|(_, v)| v)
                    .last()
                {
                    found = Some(v);
                }
            }
        }
    }
    found
}

/// The remember cookie's value as Werkzeug hands it to Flask-Login: found
/// with [`find_cookie`], then unquoted. Werkzeug 3 reads the header as
/// Latin-1 text, so in the 0.6.3 profile raw non-ASCII bytes are taken as
/// Latin-1 characters (a raw UTF-8 `é` becomes `Ã©`, whose digest differs).
pub(crate) fn read_cookie<'h>(
    headers: &'h actix_web::http::header::HeaderMap,
    name: &str,
    profile: Profile,
) -> Option<std::borrow::Cow<'h, [u8]>> {
    let raw = find_cookie(headers, name, profile)?;
    Some(match profile {
        Profile::V0_6_3 if !raw.is_ascii() => {
            std::borrow::Cow::Owned(unquote_value(&latin1_to_utf8(raw)).into_owned())
        }
        _ => unquote_value(raw),
    })
}

fn latin1_to_utf8(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .map(|&b| b as char)
        .collect::<String>()
        .into_bytes()
}

/// Whether a cookie name read from the header is `name`; Werkzeug 3 compares
/// the Latin-1 reading of the header with the configured (Unicode) name, so
/// a non-ASCII name never matches.
fn same_name(key: &[u8], name: &[u8], profile: Profile) -> bool {
    match profile {
        Profile::V0_6_3 if !key.is_ascii() => latin1_to_utf8(key) == name,
        _ => key == name,
    }
}

/// Werkzeug 3's cookie pairs.
fn strict_pairs(s: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < s.len() {
            match strict_pair_at(s, pos) {
                Some((key, value, next)) => {
                    pos = next;
                    return Some((key, value));
                }
                // Skip invalid characters up to the next `;`.
                None => match s[pos..].iter().position(|&b| b == b';') {
                    Some(p) => pos += p + 1,
                    None => pos = s.len(),
                },
            }
        }
        None
    })
}

fn strict_pair_at(s: &[u8], mut i: usize) -> Option<(&[u8], &[u8], usize)> {
    let blank = |b: u8| b == b' ' || b == b'\t';
    while i < s.len() && blank(s[i]) {
        i += 1;
    }
    let key_start = i;
    while i < s.len() && !matches!(s[i], b' ' | b'\t' | b'=' | b'"' | b';') {
        i += 1;
    }
    if i == key_start {
        return None;
    }
    let key = &s[key_start..i];
    let mut value: &[u8] = b"";
    // Optional `=value`, blanks around `=` ignored.
    let mut j = i;
    while j < s.len() && blank(s[j]) {
        j += 1;
    }
    if j < s.len() && s[j] == b'=' {
        j += 1;
        while j < s.len() && blank(s[j]) {
            j += 1;
        }
        let v_start = j;
        if j < s.len() && s[j] == b'"' {
            j += 1;
            loop {
                match s.get(j) {
                    None => return None,
                    Some(b'\\') if j + 1 < s.len() => j += 2,
                    Some(b'"') => {
                        j += 1;
                        break;
                    }
                    Some(_) => j += 1,
                }
            }
        } else {
            while j < s.len() && !matches!(s[j], b' ' | b'\t' | b'"' | b';') {
                j += 1;
            }
        }
        value = &s[v_start..j];
        i = j;
    }
    while i < s.len() && blank(s[i]) {
        i += 1;
    }
    match s.get(i) {
        None => Some((key, value, i)),
        Some(b';') => Some((key, value, i + 1)),
        Some(_) => None,
    }
}

/// Werkzeug 0.16's cookie pairs (attribute names such as `Path` skipped).
fn lenient_pairs(s: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < s.len() {
            let rest = &s[pos..];
            let key_end = rest
                .iter()
                .position(|&b| b == b'=' || b == b';')
                .unwrap_or(rest.len());
            let key = trim(&rest[..key_end]);
            let (value, consumed) = if rest.get(key_end) == Some(&b'=') {
                let after = &rest[key_end + 1..];
                let lead = after.iter().take_while(|b| b.is_ascii_whitespace()).count();
                let v = &after[lead..];
                let quoted = (v.first() == Some(&b'"')).then(|| quoted_len(v)).flatten();
                // A quoted value counts only when followed by `;` or the end.
                let len = match quoted {
                    Some(q)
                        if trim(&v[q..]).is_empty()
                            || trim_start(&v[q..]).first() == Some(&b';') =>
                    {
                        q
                    }
                    _ => v.iter().position(|&b| b == b';').unwrap_or(v.len()),
                };
                let value = trim_end(&v[..len]);
                let tail = &v[len..];
                let semi = tail
                    .iter()
                    .position(|&b| b == b';')
                    .map_or(tail.len(), |p| p + 1);
                (value, key_end + 1 + lead + len + semi)
            } else {
                (&b""[..], (key_end + 1).min(rest.len()))
            };
            pos += consumed.max(1);
            const PARAMS: [&[u8]; 7] = [
                b"expires",
                b"path",
                b"comment",
                b"max-age",
                b"secure",
                b"httponly",
                b"version",
            ];
            if key.is_empty() || PARAMS.iter().any(|p| p.eq_ignore_ascii_case(key)) {
                continue;
            }
            return Some((key, value));
        }
        None
    })
}

/// The length of a `"…"` string with backslash escapes at the start of `s`.
fn quoted_len(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn trim(s: &[u8]) -> &[u8] {
    trim_end(trim_start(s))
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
        let mut input = Vec::with_capacity(auth_hash.len() + 32);
        input.extend_from_slice(b"actix-login session auth hash\0");
        input.extend_from_slice(auth_hash);
        let mut out = String::with_capacity(128);
        self.mac_hex(&input, &mut out);
        out
    }
}

/// The cookie payload for `id`: the id itself (Flask's format), followed
/// by `|~` and a tag of the user's auth-hash digest when there is one, so a
/// password change invalidates remember cookies issued before it.
///
/// Unambiguous for every id: an id that itself contains `|~` gets a mark
/// even without a tag (`id|~`), so [`parse_payload`] splits at the last
/// `|~` and gets the id back, whatever the id looks like. Ids without `|~`
/// and users without an auth hash get exactly Flask-Login's payload.
pub(crate) fn payload_with_tag(id: &str, auth_digest: Option<&str>) -> String {
    match auth_digest {
        // Our own hex digest: the slice is on a character boundary.
        Some(d) => format!("{id}{AUTH_TAG_MARK}{}", &d[..AUTH_TAG_LEN]),
        None if id.contains(AUTH_TAG_MARK) => format!("{id}{AUTH_TAG_MARK}"),
        None => id.to_owned(),
    }
}

/// What a verified cookie payload names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payload<'a> {
    /// The whole payload is the id (Flask's format).
    Plain(&'a str),
    /// An id whose user has an auth hash, and the tag of that hash.
    Tagged(&'a str, &'a str),
    /// An id containing `|~`, for a user without an auth hash.
    Untagged(&'a str),
}

/// Reads a verified payload: the inverse of [`payload_with_tag`].
pub(crate) fn parse_payload(payload: &str) -> Payload<'_> {
    if let Some(pos) = payload.rfind(AUTH_TAG_MARK) {
        let (id, tag) = (&payload[..pos], &payload[pos + AUTH_TAG_MARK.len()..]);
        if tag.is_empty() {
            return Payload::Untagged(id);
        }
        if tag.len() == AUTH_TAG_LEN && tag.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Payload::Tagged(id, tag);
        }
    }
    Payload::Plain(payload)
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
    lifetime: Duration,
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
        for p in [Profile::V0_6_3, Profile::V0_2_4] {
            assert_eq!(find_cookie(&h, "remember_token", p), Some(&b"2|ab"[..]));
            assert_eq!(find_cookie(&h, "r", p), Some(&b"\"x;y\""[..]));
            assert_eq!(find_cookie(&h, "zz", p), None);
        }
    }

    /// No id's payload reads back as another id, with or without a tag,
    /// whatever the id holds (marks, hex, bars): the tagged format is
    /// unambiguous. Ids are built from the pieces that could confuse it.
    #[test]
    fn every_payload_names_exactly_its_own_id() {
        let pieces = [
            "",
            "a",
            "|",
            "~",
            "|~",
            "0123456789abcdef",
            "0123456789ABCDEF",
            "é",
            "|~|~",
        ];
        let digest = "fedcba9876543210fedcba9876543210";
        let mut ids = Vec::new();
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    ids.push(format!("{a}{b}{c}"));
                }
            }
        }
        for id in &ids {
            for with_hash in [false, true] {
                let payload = payload_with_tag(id, with_hash.then_some(digest));
                let (read, tag) = match parse_payload(&payload) {
                    Payload::Plain(id) | Payload::Untagged(id) => (id, None),
                    Payload::Tagged(id, tag) => (id, Some(tag)),
                };
                assert_eq!(read, id, "payload {payload:?}");
                assert_eq!(
                    tag,
                    with_hash.then_some(&digest[..AUTH_TAG_LEN]),
                    "payload {payload:?}"
                );
            }
        }
        // Flask's payloads for ordinary ids are unchanged.
        assert_eq!(payload_with_tag("42", None), "42");
    }
}
