//! Session protection: the session identifier (a hash of the client address
//! and `User-Agent`) and the basic / strong rules applied when it changes.
//!
//! Why it is safe to rely on: the identifier is computed from the TCP peer
//! address, never from a header, unless the application names the proxies it
//! trusts with [`LoginManagerBuilder::trusted_proxy`](crate::LoginManagerBuilder::trusted_proxy);
//! only then is `X-Forwarded-For` read, and only the part those proxies added.
//! (Flask-Login 0.6.3 read the first `X-Forwarded-For` element from anyone,
//! which let a client forge the identifier; upstream #700, fixed on main.)

use std::{net::IpAddr, rc::Rc};

use actix_session::Session;
use actix_web::{http::header, HttpRequest};
use md5::{Digest, Md5};
use sha2::Sha512;

use crate::{
    error::LoginError,
    keys::{FRESH, ID, PERMANENT},
    manager::Inner,
    remember::hex,
    session::{get_bool, put},
    signals::Signal,
    state::LoginState,
    user::User,
    Profile, SessionProtection,
};

impl<U: User> LoginState<U> {
    /// This request's identifier, as stored in the session.
    pub(crate) fn identifier(&self, req: &HttpRequest) -> Rc<str> {
        stored_identifier(req, &self.m)
    }

    /// Stores this request's identifier, for session protection to compare
    /// later. Without protection nothing ever reads it, so it is not stored.
    pub(crate) fn store_identifier(
        &self,
        session: &Session,
        req: &HttpRequest,
    ) -> Result<(), LoginError> {
        if self.m.protection == SessionProtection::Off {
            return Ok(());
        }
        put(session, ID, &*self.identifier(req))
    }

    fn permanent(&self, session: &Session) -> bool {
        self.m.permanent_sessions || get_bool(session, PERMANENT) == Some(true)
    }

    /// Session protection, run when the user is loaded: compares this
    /// request's identifier with the session's. Returns `true` when strong
    /// protection dropped the login.
    ///
    /// Both check a non-empty session only. 0.6.3 never stores a missing
    /// identifier; 0.2.4 (which runs before every request) stores a missing
    /// one — Flask-Login 0.2.4 did so even in an empty session, which gave
    /// every cookieless request a stored session; here an empty session
    /// stays empty (and unsaved) until something else writes to it, and
    /// the identifier is stored on the next request. On a mismatch, basic
    /// protection (or a permanent session) marks the login stale; strong
    /// protection logs the session out (0.2.4: clears it) and deletes the
    /// remember cookie the request carried.
    pub(crate) fn protect(&self, req: &HttpRequest, session: &Session) -> Result<bool, LoginError> {
        let m = &*self.m;
        let eager = m.rules.eager_load;
        if m.protection == SessionProtection::Off || session.entries().is_empty() {
            return Ok(false);
        }
        let ident = self.identifier(req);
        let stored = session
            .entries()
            .get(ID)
            .map(|raw| stored_matches(Some(raw), &ident));
        match stored {
            None if eager => {
                put(session, ID, &*ident)?;
                return Ok(false);
            }
            Some(true) => return Ok(false),
            _ => {}
        }
        if m.protection == SessionProtection::Basic || self.permanent(session) {
            if get_bool(session, FRESH) != Some(false) {
                put(session, FRESH, &false)?;
            }
            tracing::info!("session protection: identifier changed, login marked non-fresh");
            m.send(Signal::SessionProtected, req, None);
            return Ok(false);
        }
        if eager {
            session.clear();
            if self.cookie_sent(req) {
                self.remember.set(crate::state::RememberOp::Clear);
            }
        } else {
            self.forget_login(req, session);
        }
        tracing::info!("session protection: identifier changed, session logged out (strong)");
        m.send(Signal::SessionProtected, req, None);
        Ok(true)
    }
}

/// The client address session protection hashes: the peer address, or, when
/// the peer is a trusted proxy, the right-most `X-Forwarded-For` entry that
/// is not itself a trusted proxy.
///
/// Addresses are compared in canonical form, so a proxy configured as
/// `10.0.0.1` is recognised when a dual-stack socket reports it as
/// `::ffff:10.0.0.1`. Entries may carry a port (`10.0.0.7:5123`,
/// `[2001:db8::7]:443`), as some proxies write them.
pub(crate) fn client_addr(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    // `trusted` is canonical already (`LoginManagerBuilder::trusted_proxy`).
    let is_trusted = |ip: IpAddr| trusted.contains(&ip);
    if trusted.is_empty() || !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for value in req
        .headers()
        .get_all(header::X_FORWARDED_FOR)
        .collect::<Vec<_>>()
        .iter()
        .rev()
    {
        let Ok(text) = value.to_str() else {
            return Some(client);
        };
        for part in text.rsplit(',') {
            match forwarded_ip(part.trim()) {
                Some(ip) => {
                    client = ip;
                    if !is_trusted(ip) {
                        return Some(ip);
                    }
                }
                // A malformed entry ends the chain we can trust.
                None => return Some(client),
            }
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, with or without a port,
/// IPv6 bracketed or not; canonical.
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

/// Flask-Login's session identifier for this request.
///
/// * 0.6.3 profile: `sha512_hex("{addr!r}|{ua!r}")`, Flask-Login 0.6.3's
///   formula over Python's `bytes` reprs (`b'127.0.0.1'|b'curl/8.0'`); a
///   missing `User-Agent` is `None`, which an empty one (`b''`) is not.
/// * 0.2.4 profile: `md5_hex("{addr}|{ua}")`, a missing `User-Agent`
///   written `None`.
///
/// Header bytes are read as Latin-1 and hashed as UTF-8, as WSGI does. The
/// address is the peer's (or, behind trusted proxies, the client they name), never a raw header.
///
/// ```
/// use actix_login::{session_identifier, Profile};
/// let id = session_identifier(Profile::V0_2_4, Some("127.0.0.1"), Some(b"Mozilla/5.0 (X11; Linux x86_64)"));
/// assert_eq!(id, "a0d7bebc1ef562e78708e88ef7046e91");
/// let id = session_identifier(Profile::V0_6_3, Some("10.0.0.5"), None);
/// assert!(id.starts_with("4b573637ad91883c"));
/// ```
pub fn session_identifier(
    profile: Profile,
    addr: Option<&str>,
    user_agent: Option<&[u8]>,
) -> String {
    hex(&identifier_digest(profile, addr, user_agent))
}

fn identifier_digest(profile: Profile, addr: Option<&str>, user_agent: Option<&[u8]>) -> Vec<u8> {
    let ua: Option<std::borrow::Cow<'_, [u8]>> = user_agent.map(|ua| {
        if ua.is_ascii() {
            std::borrow::Cow::Borrowed(ua)
        } else {
            std::borrow::Cow::Owned(
                ua.iter()
                    .map(|&b| b as char)
                    .collect::<String>()
                    .into_bytes(),
            )
        }
    });
    match profile {
        Profile::V0_6_3 => {
            let mut h = Sha512::new();
            match addr {
                Some(a) => py_bytes_repr(a.as_bytes(), &mut |b| h.update(b)),
                None => h.update(b"None"),
            }
            h.update(b"|");
            match &ua {
                Some(ua) => py_bytes_repr(ua, &mut |b| h.update(b)),
                None => h.update(b"None"),
            }
            h.finalize().to_vec()
        }
        Profile::V0_2_4 => {
            let mut h = Md5::new();
            h.update(addr.unwrap_or("None").as_bytes());
            h.update(b"|");
            h.update(ua.as_deref().unwrap_or(b"None"));
            h.finalize().to_vec()
        }
    }
}

/// Python's `repr()` of a `bytes` value: `b'...'` (or `b"..."` when the
/// bytes hold `'` but no `"`), with `\\`, `\t`, `\n`, `\r`, the quote and
/// `\xhh` escapes.
fn py_bytes_repr(bytes: &[u8], out: &mut dyn FnMut(&[u8])) {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    out(&[b'b', quote]);
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: Option<&[u8]> = match b {
            b'\\' => Some(b"\\\\"),
            b'\t' => Some(b"\\t"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            _ if b == quote => Some(if quote == b'"' { b"\\\"" } else { b"\\'" }),
            _ => None,
        };
        let hexed = !(0x20..0x7f).contains(&b) && escaped.is_none();
        if escaped.is_some() || hexed {
            out(&bytes[run..i]);
            run = i + 1;
            match escaped {
                Some(e) => out(e),
                None => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
                }
            }
        }
    }
    out(&bytes[run..]);
    out(&[quote]);
}

/// The identifier as stored in the session: the first 64 bits of an HMAC,
/// keyed by the app's secret, of [`session_identifier`]'s digest,
/// base64url without padding (11 characters). Keyed, because a
/// cookie-store session is readable by the client: an unkeyed hash of the
/// address and `User-Agent` would let anyone who reads the cookie recover
/// the address by trying them all. Session protection is a tripwire, so 64
/// bits only have to make accidental collisions negligible; the session is
/// not shared with Flask (only the remember cookie must match byte for
/// byte), and a short value keeps the session cookie small.
///
/// Computing it hashes the peer address and `User-Agent` twice (SHA-512 in
/// the 0.6.3 profile), several percent of a request. Clients send the same
/// pair on request after request, so the result is kept in a small
/// per-thread cache keyed by the manager's key id and the pair; the cache
/// holds at most [`CACHE_SLOTS`] entries of bounded size (direct mapped: a
/// newcomer replaces the entry in its slot), so a client cannot make it
/// grow, nor make a lookup cost more than one hash and compare.
pub(crate) fn stored_identifier<U>(req: &HttpRequest, m: &Inner<U>) -> Rc<str> {
    let addr = client_addr(req, &m.trusted_proxies);
    let ua = req.headers().get(header::USER_AGENT).map(|v| v.as_bytes());
    identifier_of(m, addr, ua)
}

/// [`stored_identifier`] of a client address and `User-Agent`.
fn identifier_of<U>(m: &Inner<U>, addr: Option<IpAddr>, ua: Option<&[u8]>) -> Rc<str> {
    let key = CacheKey {
        key_id: m.signer.key_id(),
        profile: m.profile,
    };
    let cacheable = ua.is_none_or(|ua| ua.len() <= MAX_CACHED_UA);
    if cacheable {
        if let Some(hit) = cache_get(key, addr, ua) {
            return hit;
        }
    }
    let mut buf = String::new();
    let addr_text = addr.map(|a| {
        use std::fmt::Write;
        let _ = write!(buf, "{a}");
        buf.as_str()
    });
    let digest = identifier_digest(m.profile, addr_text, ua);
    let ident: Rc<str> = key_identifier(m, &digest).into();
    if cacheable {
        cache_put(key, addr, ua, ident.clone());
    }
    ident
}

/// The keyed, shortened form of a Flask-Login identifier digest.
pub(crate) fn key_identifier<U>(m: &Inner<U>, digest: &[u8]) -> String {
    base64url(&m.signer.mac(b"actix-login session identifier\0", digest)[..8])
}

/// Whether a session value (JSON) holds `ident`, without parsing it.
pub(crate) fn stored_matches(raw_json: Option<&String>, ident: &str) -> bool {
    raw_json.is_some_and(|raw| {
        raw.len() == ident.len() + 2
            && raw.starts_with('"')
            && raw.ends_with('"')
            && &raw[1..raw.len() - 1] == ident
    })
}

const MAX_CACHED_UA: usize = 512;
const CACHE_SLOTS: usize = 256;

/// Which manager's identifiers: its secret's id and its profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CacheKey {
    key_id: u64,
    profile: Profile,
}

/// A cached identifier and what it was computed from.
#[derive(Clone)]
struct Cached {
    key: CacheKey,
    addr: Option<IpAddr>,
    ua: Option<Box<[u8]>>,
    ident: Rc<str>,
}

thread_local! {
    /// Direct-mapped: a key has one slot, a newcomer replaces whoever held
    /// it. Every lookup costs one cheap hash and one comparison whatever
    /// the clients send; a collision (chosen or not) only costs the next
    /// request a digest.
    static CACHE: std::cell::RefCell<Vec<Option<Cached>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The cache slot of a key: FxHash's cheap unkeyed mixing of the profile,
/// the address, the length of the `User-Agent` and its first and last 16
/// bytes (where browsers' versions are). Not keyed, and not every byte:
/// two keys that share a slot only evict each other, which a client gains
/// nothing by causing.
fn cache_slot(key: CacheKey, addr: Option<IpAddr>, ua: Option<&[u8]>) -> usize {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    let mut h = mix(mix(0, key.key_id), key.profile as u64);
    h = match addr {
        Some(IpAddr::V4(v4)) => mix(h, u64::from(v4.to_bits())),
        Some(IpAddr::V6(v6)) => {
            let bits = v6.to_bits();
            mix(mix(h, bits as u64), (bits >> 64) as u64)
        }
        None => mix(h, u64::MAX),
    };
    match ua {
        None => h = mix(h, u64::MAX),
        Some(ua) => {
            h = mix(h, ua.len() as u64);
            if ua.len() >= 16 {
                let n = ua.len();
                for w in [&ua[..8], &ua[8..16], &ua[n - 16..n - 8], &ua[n - 8..]] {
                    h = mix(h, word(w));
                }
            } else {
                for &b in ua {
                    h = mix(h, u64::from(b));
                }
            }
        }
    }
    (h >> 56) as usize % CACHE_SLOTS
}

fn cache_get(key: CacheKey, addr: Option<IpAddr>, ua: Option<&[u8]>) -> Option<Rc<str>> {
    CACHE.with(|c| match c.borrow().get(cache_slot(key, addr, ua)) {
        Some(Some(e)) if e.key == key && e.addr == addr && e.ua.as_deref() == ua => {
            Some(e.ident.clone())
        }
        _ => None,
    })
}

fn cache_put(key: CacheKey, addr: Option<IpAddr>, ua: Option<&[u8]>, ident: Rc<str>) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_empty() {
            c.resize(CACHE_SLOTS, None);
        }
        c[cache_slot(key, addr, ua)] = Some(Cached {
            key,
            addr,
            ua: ua.map(Into::into),
            ident,
        });
    });
}

fn base64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two keys that share a slot evict each other and never answer for
    /// each other; keys that differ only in the part the slot ignores are
    /// still told apart.
    #[test]
    fn cache_collisions_evict_and_never_mix_up() {
        let p = CacheKey {
            key_id: 1,
            profile: Profile::V0_6_3,
        };
        let other_profile = CacheKey {
            profile: Profile::V0_2_4,
            ..p
        };
        let other_secret = CacheKey { key_id: 2, ..p };
        let addr = Some(IpAddr::from([10, 0, 0, 1]));
        let a: &[u8] = b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let b: &[u8] = b"Mozilla/5.0 (X11; Linux i686;   rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(cache_slot(p, addr, Some(a)), cache_slot(p, addr, Some(b)));
        cache_put(p, addr, Some(a), Rc::from("ident-a"));
        assert_eq!(cache_get(p, addr, Some(a)).as_deref(), Some("ident-a"));
        assert_eq!(cache_get(p, addr, Some(b)), None);
        assert_eq!(cache_get(other_profile, addr, Some(a)), None);
        assert_eq!(cache_get(other_secret, addr, Some(a)), None);
        assert_eq!(cache_get(p, None, Some(a)), None);
        cache_put(p, addr, Some(b), Rc::from("ident-b"));
        assert_eq!(cache_get(p, addr, Some(b)).as_deref(), Some("ident-b"));
        assert_eq!(cache_get(p, addr, Some(a)), None);
        // No UA and an empty one are different keys (0.6.3's `None` vs `b''`).
        cache_put(p, addr, None, Rc::from("ident-none"));
        assert_eq!(cache_get(p, addr, Some(b"")), None);
        assert!(cache_slot(p, addr, Some(&[0xff; 600])) < CACHE_SLOTS);
    }
}
