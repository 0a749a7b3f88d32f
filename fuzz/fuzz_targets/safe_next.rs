//! `safe_next` against a browser's URL parser.
//!
//! Input: one byte choosing the allowed host (none, `example.com`,
//! `example.com:8443`, `127.0.0.1`), then the target (lossy UTF-8).
//! Whenever `safe_next` accepts a target, the target and every
//! percent-decoding of it (as many layers as it has) are resolved against a
//! page of the site with the `url` crate (the WHATWG URL standard that
//! browsers implement): each must stay on the site, over http or https.
//! The accepted value must also be the target, unchanged, and never longer
//! than 8192 bytes. Never a panic.
#![no_main]

#[path = "common.rs"]
mod common;

use actix_login::safe_next;
use libfuzzer_sys::fuzz_target;
use url::Url;

const HOSTS: [(Option<&str>, &str, Option<u16>); 4] = [
    (None, "example.com", None),
    (Some("example.com"), "example.com", None),
    (Some("example.com:8443"), "example.com", Some(8443)),
    (Some("127.0.0.1"), "127.0.0.1", None),
];

fuzz_target!(|data: &[u8]| {
    let (pick, rest) = match data.split_first() {
        Some((b, rest)) => (usize::from(*b) % HOSTS.len(), rest),
        None => (0, data),
    };
    let (allowed, host, port) = HOSTS[pick];
    let target = String::from_utf8_lossy(rest);
    let Some(accepted) = safe_next(&target, allowed) else {
        return;
    };
    assert_eq!(accepted, *target, "safe_next changed the target");
    assert!(accepted.len() <= 8192);

    let base = match port {
        Some(p) => format!("https://{host}:{p}/dir/page?q=1"),
        None => format!("https://{host}/dir/page?q=1"),
    };
    let base = Url::parse(&base).expect("base URL");
    let mut layer = accepted.into_bytes();
    for round in 0..8 {
        let text = String::from_utf8_lossy(&layer).into_owned();
        if let Ok(resolved) = base.join(&text) {
            assert!(
                matches!(resolved.scheme(), "http" | "https"),
                "{target:?} (layer {round}: {text:?}) leaves for {resolved}"
            );
            assert_eq!(
                resolved.host_str(),
                Some(host),
                "{target:?} (layer {round}: {text:?}) leaves for {resolved}"
            );
            assert_eq!(
                resolved.port(),
                port,
                "{target:?} (layer {round}: {text:?}) changes the port: {resolved}"
            );
            assert!(
                resolved.username().is_empty() && resolved.password().is_none(),
                "{target:?} (layer {round}) carries user info: {resolved}"
            );
        }
        let decoded = common::percent_decode(&layer);
        if decoded == layer {
            break;
        }
        layer = decoded;
    }
});
