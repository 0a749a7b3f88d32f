//! Session protection: the session identifier (a hash of the client address
//! and `User-Agent`) and the basic / strong rules applied when it changes.
//!
//! Why it is safe to rely on: the identifier is computed from the TCP peer
//! address, never from a header, unless the application names the proxies it
//! trusts with [`LoginManagerBuilder::trusted_proxy`](crate::LoginManagerBuilder::trusted_proxy);
//! only then is `X-Forwarded-For` read, and only the part those proxies added.
//! (Flask-Login 0.6.3 read the first `X-Forwarded-For` element from anyone,
//! which let a client forge the identifier; upstream #700, fixed on main.)

use std::net::IpAddr;

use actix_web::{http::header, HttpRequest};
use md5::{Digest, Md5};
use sha2::Sha512;

use crate::{remember::hex, Profile};

/// The client address session protection hashes: the peer address, or, when
/// the peer is a trusted proxy, the right-most `X-Forwarded-For` entry that
/// is not itself a trusted proxy.
pub(crate) fn client_addr(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if trusted.is_empty() || !trusted.contains(&peer) {
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
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !trusted.contains(&ip) {
                        return Some(ip);
                    }
                }
                // A malformed entry ends the chain we can trust.
                Err(_) => return Some(client),
            }
        }
    }
    Some(client)
}

/// Flask-Login's session identifier for this request.
///
/// * 0.6.3 profile: `sha512_hex("{addr}|{user_agent}")`, the formula of
///   Flask-Login's main branch (a missing `User-Agent` is empty).
/// * 0.2.4 profile: `md5_hex("{addr}|{user_agent}")`, a missing `User-Agent`
///   written `None`.
///
/// Header bytes are read as Latin-1 and hashed as UTF-8, as WSGI does.
///
/// ```
/// use actix_login::{session_identifier, Profile};
/// let id = session_identifier(Profile::V0_2_4, Some("127.0.0.1"), Some(b"Mozilla/5.0 (X11; Linux x86_64)"));
/// assert_eq!(id, "a0d7bebc1ef562e78708e88ef7046e91");
/// ```
pub fn session_identifier(
    profile: Profile,
    addr: Option<&str>,
    user_agent: Option<&[u8]>,
) -> String {
    fn feed(
        update: &mut dyn FnMut(&[u8]),
        addr: Option<&str>,
        ua: Option<&[u8]>,
        missing_ua: &[u8],
    ) {
        update(addr.unwrap_or("None").as_bytes());
        update(b"|");
        match ua {
            None => update(missing_ua),
            Some(ua) if ua.is_ascii() => update(ua),
            Some(ua) => {
                let mut buf = [0u8; 4];
                for &b in ua {
                    update((b as char).encode_utf8(&mut buf).as_bytes());
                }
            }
        }
    }
    match profile {
        Profile::V0_6_3 => {
            let mut h = Sha512::new();
            feed(&mut |b| h.update(b), addr, user_agent, b"");
            hex(&h.finalize())
        }
        Profile::V0_2_4 => {
            let mut h = Md5::new();
            feed(&mut |b| h.update(b), addr, user_agent, b"None");
            hex(&h.finalize())
        }
    }
}

/// The identifier of `req`, per the manager's profile and trusted proxies.
pub(crate) fn request_identifier(
    req: &HttpRequest,
    profile: Profile,
    trusted: &[IpAddr],
) -> String {
    let addr = client_addr(req, trusted);
    let mut buf = String::new();
    let addr = addr.map(|a| {
        use std::fmt::Write;
        let _ = write!(buf, "{a}");
        buf.as_str()
    });
    let ua = req.headers().get(header::USER_AGENT).map(|v| v.as_bytes());
    session_identifier(profile, addr, ua)
}
