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
/// * 0.6.3 profile: `sha512_hex("{addr!r}|{ua!r}")`, Flask-Login 0.6.3's
///   formula over Python's `bytes` reprs (`b'127.0.0.1'|b'curl/8.0'`); a
///   missing `User-Agent` is `None`, which an empty one (`b''`) is not.
/// * 0.2.4 profile: `md5_hex("{addr}|{ua}")`, a missing `User-Agent`
///   written `None`.
///
/// Header bytes are read as Latin-1 and hashed as UTF-8, as WSGI does. The
/// address is the one [`client_addr`] chose, never a raw header.
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
            hex(&h.finalize())
        }
        Profile::V0_2_4 => {
            let mut h = Md5::new();
            h.update(addr.unwrap_or("None").as_bytes());
            h.update(b"|");
            h.update(ua.as_deref().unwrap_or(b"None"));
            hex(&h.finalize())
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
