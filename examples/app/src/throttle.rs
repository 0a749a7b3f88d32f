//! Login throttling: how many password checks may fail, per account and per
//! client address.
//!
//! Every form that checks a password (login, re-authentication, a password
//! change) asks [`check`] first. The attempt is counted in SQLite (the
//! `login_attempts` table, see [`Db::begin_attempt`]) **before** Argon2
//! runs, and refused with `429 Too Many Requests` once the account name has
//! [`LIMITS`]`.per_account` failures in the last 15 minutes, or the client
//! address [`LIMITS`]`.per_address`. So the limits bound guessing and also
//! the CPU and memory the guesses cost: a refused attempt costs one small
//! write, never a hash. A successful check clears the account's failures.
//!
//! Why a table over the SQLite the app has rather than a crate: a
//! rate-limiting crate (`governor`, `actix-governor`) keeps its counters in
//! the process's memory, so every instance of the site (and each restart)
//! would count on its own, and it limits requests, while what must be
//! counted is failed password checks, with a success resetting the
//! account's. The table is shared by the instances that share the user
//! database, survives restarts, and is a few lines.
//!
//! The account is the name as typed, whether an account has it or not, so
//! the throttle does not tell which names exist. Someone who knows a name
//! can lock its owner out for up to 15 minutes with 5 wrong passwords: the
//! price of a per-account limit, kept short by the window. The per-address
//! limit stops one client trying many names; an IPv6 client counts as its
//! /64, the block one subscriber usually gets.

use std::{
    net::{IpAddr, Ipv6Addr},
    time::{SystemTime, UNIX_EPOCH},
};

use actix_web::{
    error::ErrorInternalServerError,
    http::header::{self, HeaderValue},
    web, HttpRequest,
};

use crate::db::{Attempt, Db, Limit, Limits};

/// 5 failures per account and 20 per client address, in 15 minutes.
pub const LIMITS: Limits = Limits {
    window_secs: 15 * 60,
    per_account: 5,
    per_address: 20,
};

/// Account names are counted by their first this many characters, so a
/// client cannot store megabytes of name.
const MAX_NAME: usize = 100;

/// The reverse proxies whose `X-Forwarded-For` names the client (the app's
/// `TRUSTED_PROXIES`), as app data.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

/// A refused attempt: what to tell the user, and when to come back.
#[derive(Debug, Clone)]
pub struct Throttled {
    /// For the page.
    pub message: String,
    /// For the `Retry-After` header.
    pub retry_after: u64,
}

impl Throttled {
    /// The `Retry-After` header.
    pub fn header(&self) -> (header::HeaderName, HeaderValue) {
        (header::RETRY_AFTER, HeaderValue::from(self.retry_after))
    }
}

/// Counts a password check against `account` and the client's address
/// before it runs: `Some` when either is over its limit, and the check must
/// not run.
///
/// # Errors
///
/// Database errors (500).
pub fn check(req: &HttpRequest, db: &Db, account: &str) -> actix_web::Result<Option<Throttled>> {
    let account: String = account.chars().take(MAX_NAME).collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let attempt = db
        .begin_attempt(&LIMITS, &account, &client_address(req), now)
        .map_err(ErrorInternalServerError)?;
    Ok(match attempt {
        Attempt::Allowed => None,
        Attempt::Throttled { limit, retry_after } => {
            let minutes = retry_after.div_ceil(60);
            let wait = if minutes == 1 {
                "1 minute".to_owned()
            } else {
                format!("{minutes} minutes")
            };
            let message = match limit {
                Limit::Account => format!(
                    "Too many failed password attempts for this account. Try again in {wait}."
                ),
                Limit::Address => format!(
                    "Too many failed password attempts from your network. Try again in {wait}."
                ),
            };
            Some(Throttled {
                message,
                retry_after,
            })
        }
    })
}

/// Clears the failures of `account` after its password was right.
///
/// # Errors
///
/// Database errors (500).
pub fn succeeded(db: &Db, account: &str) -> actix_web::Result<()> {
    let account: String = account.chars().take(MAX_NAME).collect();
    db.forget_failures(&account)
        .map_err(ErrorInternalServerError)
}

/// The client's address as the throttle counts it: the TCP peer, or behind
/// a trusted proxy the right-most `X-Forwarded-For` entry that is not a
/// trusted proxy (what actix-login's session protection uses; a client can
/// write any `X-Forwarded-For`, so entries are believed only as far as
/// trusted proxies added them). IPv6 addresses count as their /64.
fn client_address(req: &HttpRequest) -> String {
    let trusted = req
        .app_data::<web::Data<TrustedProxies>>()
        .map(|t| t.0.as_slice())
        .unwrap_or_default();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.to_canonical() == ip);
    let Some(peer) = req.peer_addr().map(|a| a.ip().to_canonical()) else {
        return "unknown".to_owned();
    };
    let mut client = peer;
    if is_trusted(peer) {
        let values: Vec<_> = req.headers().get_all(header::X_FORWARDED_FOR).collect();
        'entries: for value in values.iter().rev() {
            let Ok(text) = value.to_str() else { break };
            for entry in text.rsplit(',').map(str::trim) {
                let Some(ip) = forwarded_ip(entry) else {
                    break 'entries;
                };
                client = ip;
                if !is_trusted(ip) {
                    break 'entries;
                }
            }
        }
    }
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1));
            format!("{prefix}/64")
        }
    }
}

/// One `X-Forwarded-For` entry: an address, with or without a port, IPv6
/// bracketed or not.
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn the_client_address_believes_only_trusted_proxies() {
        let peer = |ip: &str| {
            format!("{ip}:5000")
                .parse::<std::net::SocketAddr>()
                .unwrap()
        };
        let proxies = web::Data::new(TrustedProxies(vec!["10.0.0.1".parse().unwrap()]));
        let direct = TestRequest::default()
            .peer_addr(peer("203.0.113.9"))
            .insert_header((header::X_FORWARDED_FOR, "198.51.100.1"))
            .app_data(proxies.clone())
            .to_http_request();
        assert_eq!(client_address(&direct), "203.0.113.9");
        let proxied = TestRequest::default()
            .peer_addr(peer("10.0.0.1"))
            .insert_header((header::X_FORWARDED_FOR, "198.51.100.1, 192.0.2.7:443"))
            .app_data(proxies)
            .to_http_request();
        assert_eq!(client_address(&proxied), "192.0.2.7");
        let v6 = TestRequest::default()
            .peer_addr("[2001:db8:1:2:3:4:5:6]:5000".parse().unwrap())
            .to_http_request();
        assert_eq!(client_address(&v6), "2001:db8:1:2::/64");
    }
}
