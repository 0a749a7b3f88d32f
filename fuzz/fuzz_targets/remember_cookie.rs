//! The remember cookie's decoder, through the public API
//! (`LoginManager::encode_cookie` / `decode_cookie`), in both profiles.
//!
//! Input: 4 bytes of mutation parameters, then an id (lossy UTF-8).
//! Checked, for every input:
//! * the input itself, read as a cookie value, is rejected unless it is
//!   exactly a value the manager signed (or that value in quotes);
//! * `decode(encode(id)) == id`, and the same through Werkzeug's quoting;
//! * the signed value with one edit (a byte replaced, inserted or removed,
//!   a truncation, a letter's case flipped, a quote added) is rejected,
//!   unless the edit produced exactly the signed value of another id (an id
//!   may embed one: `x|sig(x)…` truncated is `x|sig(x)`).
//!
//! Never a panic.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use actix_login::{LoginManager, Profile};
use common::{manager, werkzeug_quote, FuzzUser};
use libfuzzer_sys::fuzz_target;

fn managers() -> &'static [LoginManager<FuzzUser>; 2] {
    static M: OnceLock<[LoginManager<FuzzUser>; 2]> = OnceLock::new();
    M.get_or_init(|| [manager(Profile::V0_6_3), manager(Profile::V0_2_4)])
}

fn mutate(value: &str, params: [u8; 4]) -> Vec<u8> {
    let mut v = value.as_bytes().to_vec();
    let len = v.len();
    let pos = (usize::from(params[1]) << 8 | usize::from(params[2])) % (len + 1);
    let byte = params[3];
    match params[0] % 7 {
        0 if pos < len => v[pos] = byte,
        0 | 1 => v.insert(pos, byte),
        2 if pos < len => {
            v.remove(pos);
        }
        2 | 3 => v.truncate(pos),
        4 => {
            if let Some(c) = v.iter_mut().skip(pos).find(|c| c.is_ascii_alphabetic()) {
                *c ^= 0x20;
            }
        }
        5 => {
            // A quote on one side only, or a quote in the middle.
            v.insert(pos, b'"');
        }
        _ => v.extend_from_slice(&[byte; 1]),
    }
    v
}

fuzz_target!(|data: &[u8]| {
    let (params, id_bytes) = match data.len() {
        0..=3 => ([0u8; 4], data),
        _ => ([data[0], data[1], data[2], data[3]], &data[4..]),
    };
    let whole = String::from_utf8_lossy(data);
    let id = String::from_utf8_lossy(id_bytes);
    for m in managers() {
        // 1. The raw input as a cookie value.
        if let Some(got) = m.decode_cookie(&whole) {
            let signed = m.encode_cookie(&got);
            assert!(
                *whole == signed
                    || (whole.len() >= 2 && whole.starts_with('"') && whole.ends_with('"')),
                "accepted an unsigned value {whole:?} as {got:?}"
            );
        }
        // 2. Round trips.
        let signed = m.encode_cookie(&id);
        assert_eq!(
            m.decode_cookie(&signed).as_deref(),
            Some(&*id),
            "round trip of {id:?}"
        );
        let quoted = werkzeug_quote(&signed);
        assert_eq!(
            m.decode_cookie(&quoted).as_deref(),
            Some(&*id),
            "round trip of {id:?} through Werkzeug quoting {quoted:?}"
        );
        // 3. One edit of the signed value.
        // An edit may land on a value the manager did sign, for another id
        // (the fuzzer can build an id that embeds `x|sig(x)`, since the
        // comparisons above show it signatures; truncating then yields
        // exactly `x|sig(x)`). That is not a forgery: accepted values must
        // be exactly what the signer produces for the id they name.
        let edited = mutate(&signed, params);
        if edited != signed.as_bytes() {
            if let Ok(edited) = std::str::from_utf8(&edited) {
                if let Some(got) = m.decode_cookie(edited) {
                    assert_ne!(
                        got, *id,
                        "accepted {edited:?}, an edit of {signed:?}, as the same id"
                    );
                    assert_eq!(
                        m.encode_cookie(&got),
                        edited,
                        "accepted {edited:?}, an edit of {signed:?}, as {got:?}"
                    );
                }
            }
        }
    }
});
