//! The reader of Flask's own `session` cookie
//! (`actix_login::__private::flask_session_read`), both Flask generations.
//!
//! Input: a flags byte (bit 0: Flask 3 or Flask 0.12; bit 1: compress the
//! payload; bits 2–4: the reading time, relative to the signing time), two
//! bytes of edit position and one edit byte, then a payload (any bytes,
//! read by Flask as the session's JSON).
//!
//! The target signs the payload itself, with an independent implementation
//! of itsdangerous' `URLSafeTimedSerializer` as Flask configures it (SHA-1,
//! HMAC, key derivation `hmac`, salt `cookie-session`, unpadded base64url,
//! zlib as one stored block: no compressor needed), so that arbitrary
//! payloads get behind the MAC and reach the inflater and the JSON parser.
//! Checked, for every input:
//! * the raw input, read as a cookie, is accepted only if its last part is
//!   exactly the oracle's signature of the rest;
//! * the signed cookie is refused when longer than 8 KiB, when expired
//!   (`max_age + 1` s old) or dated ahead as the generation forbids (1 s in
//!   Flask 3, more than an hour in 0.12), under another secret, and under the
//!   other generation;
//! * within its lifetime, the result does not depend on the reading time,
//!   nor on whether the payload was compressed;
//! * every value returned is one JSON scalar (a string, a number, `true`,
//!   `false`, `null`) and no key is returned twice;
//! * the signed cookie with one byte changed (anywhere, to any byte) is
//!   refused.
//!
//! Never a panic.
#![no_main]

use std::sync::Once;

use actix_login::__private::flask_session_read;
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzzing secret key, 32 bytes long";
const OTHER_SECRET: &[u8] = b"another secret key, 32 bytes lon";
/// 2026-01-01T00:00:00Z.
const MADE: i64 = 1_767_225_600;
const MAX_AGE: i64 = 31 * 24 * 3600;
/// itsdangerous 0.24's epoch (2011-01-01).
const EPOCH_0_24: i64 = 1_293_840_000;

// --- SHA-1 and HMAC (FIPS 180-4, RFC 2104), the oracle's own -------------

fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..20].copy_from_slice(&sha1(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    inner.extend_from_slice(msg);
    let mut outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    outer.extend_from_slice(&sha1(&inner));
    sha1(&outer)
}

// --- itsdangerous, as Flask configures it ---------------------------------

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// The signature itsdangerous appends to `signed` (everything before the
/// last `.`), base64url: HMAC-SHA1 keyed by HMAC-SHA1(secret, salt).
fn signature(secret: &[u8], signed: &[u8]) -> String {
    let key = hmac_sha1(secret, b"cookie-session");
    b64url(&hmac_sha1(&key, signed))
}

/// zlib (RFC 1950) with the data in stored deflate blocks (RFC 1951).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn sign(secret: &[u8], payload: &[u8], compress: bool, ts: i64) -> Vec<u8> {
    let mut value = if compress {
        format!(".{}", b64url(&zlib_stored(payload)))
    } else {
        b64url(payload)
    };
    let ts = ts.to_be_bytes();
    let zeros = ts.iter().take_while(|&&b| b == 0).count();
    value.push('.');
    value.push_str(&b64url(&ts[zeros..]));
    let sig = signature(secret, value.as_bytes());
    value.push('.');
    value.push_str(&sig);
    value.into_bytes()
}

// --- What a returned value may be -----------------------------------------

fn is_json_number(s: &[u8]) -> bool {
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if s.first() == Some(&b'-') {
        i += 1;
    }
    if s.get(i) == Some(&b'0') {
        i += 1;
    } else if !digits(&mut i) {
        return false;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == s.len()
}

fn is_json_string(s: &[u8]) -> bool {
    if s.len() < 2 || s[0] != b'"' || s[s.len() - 1] != b'"' {
        return false;
    }
    let body = &s[1..s.len() - 1];
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' | 0..=0x1f => return false,
            b'\\' => {
                match body.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u')
                        if body.len() >= i + 6
                            && body[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit) =>
                    {
                        i += 6
                    }
                    _ => return false,
                };
            }
            _ => i += 1,
        }
    }
    true
}

fn is_json_scalar(v: &str) -> bool {
    matches!(v, "true" | "false" | "null")
        || is_json_number(v.as_bytes())
        || is_json_string(v.as_bytes())
}

fn read(flask3: bool, value: &[u8], now: i64) -> Option<Vec<(String, String)>> {
    flask_session_read(SECRET, flask3, value, now)
}

/// The oracle signs exactly as Flask does: it reproduces a cookie made by
/// Flask 3.1.3 / itsdangerous 2.2.0 (`session["user_id"] = 7`, at `MADE`),
/// and the reader accepts what it signs, compressed or not. Without this,
/// a broken oracle would make every check above hold vacuously.
fn check_oracle() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let flask = b"eyJ1c2VyX2lkIjo3fQ.aVW5AA.fMcZU3lJyzzqoMiNuZRXz60SU6E";
        let secret: Vec<u8> = (0..=255u8).step_by(7).collect();
        let payload = br#"{"user_id":7}"#;
        assert_eq!(sign(&secret, payload, false, MADE), flask);
        let want = Some(vec![("user_id".to_owned(), "7".to_owned())]);
        assert_eq!(flask_session_read(&secret, true, flask, MADE), want);
        for (flask3, made) in [(true, MADE), (false, MADE - EPOCH_0_24)] {
            let zipped = sign(SECRET, payload, true, made);
            assert_eq!(read(flask3, &zipped, MADE), want);
        }
    });
}

fuzz_target!(|data: &[u8]| {
    check_oracle();
    let (head, payload) = data.split_at(data.len().min(4));
    let mut head4 = [0u8; 4];
    head4[..head.len()].copy_from_slice(head);
    let [flags, pos_hi, pos_lo, edit] = head4;
    let flask3 = flags & 1 == 1;
    let compress = flags & 2 == 2;
    let made = if flask3 { MADE } else { MADE - EPOCH_0_24 };

    // 1. The raw input as a cookie: accepted only if validly signed.
    for version in [true, false] {
        for now in [MADE, MADE + MAX_AGE, 0, i64::MAX] {
            if read(version, data, now).is_some() {
                let dot = data.iter().rposition(|&b| b == b'.').expect("a dot");
                assert_eq!(
                    &data[dot + 1..],
                    signature(SECRET, &data[..dot]).as_bytes(),
                    "accepted an unsigned value"
                );
            }
        }
    }

    // 2. The payload, signed.
    let cookie = sign(SECRET, payload, compress, made);
    let got = read(flask3, &cookie, MADE);
    if cookie.len() > 8192 {
        assert!(got.is_none(), "accepted a {}-byte cookie", cookie.len());
    }
    if let Some(entries) = &got {
        let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        for (k, v) in entries {
            assert!(is_json_scalar(v), "{k:?} => {v:?} is not one JSON scalar");
        }
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len(), "a key returned twice");
    }

    // The reading time: inside the lifetime nothing changes; outside, refused.
    let (offset, inside) = match (flags >> 2) & 7 {
        0 => (0, true),
        1 => (MAX_AGE, true),
        2 => (MAX_AGE + 1, false),
        3 => (-1, !flask3),
        4 => (-3600, !flask3),
        5 => (-3601, false),
        6 => (12_345, true),
        _ => (-(1 << 40), false),
    };
    let later = read(flask3, &cookie, MADE + offset);
    if inside {
        assert_eq!(later, got, "the result changed {offset} s after signing");
    } else {
        assert!(later.is_none(), "accepted at {offset} s from signing");
    }

    // Compressed or not, the same session.
    let other_form = sign(SECRET, payload, !compress, made);
    if other_form.len() <= 8192 && cookie.len() <= 8192 {
        assert_eq!(
            read(flask3, &other_form, MADE),
            got,
            "compression changed the result"
        );
    }

    // Another secret, the other generation: refused.
    assert!(flask_session_read(OTHER_SECRET, flask3, &cookie, MADE).is_none());
    let mut resigned = cookie.clone();
    let dot = resigned.iter().rposition(|&b| b == b'.').expect("a dot");
    resigned.truncate(dot + 1);
    resigned.extend_from_slice(signature(OTHER_SECRET, &cookie[..dot]).as_bytes());
    assert!(read(flask3, &resigned, MADE).is_none());
    assert!(read(!flask3, &cookie, MADE).is_none());

    // One byte changed: refused.
    let pos = ((usize::from(pos_hi) << 8) | usize::from(pos_lo)) % cookie.len();
    let mut edited = cookie.clone();
    edited[pos] = edit;
    if edited != cookie {
        assert!(
            read(flask3, &edited, MADE).is_none(),
            "accepted an edit at {pos}"
        );
    }
});
