//! Reading and writing the login's keys in the actix session. Reads tolerate
//! malformed values (another writer, an old format); writes happen only when
//! the value changes, so a steady request never makes the store write.

use actix_session::Session;
use serde::Serialize;

use crate::{error::LoginError, keys::FRESH};

/// A string value, or an integer one read as its text (Flask keeps an int
/// id as an int).
pub(crate) fn get_string(session: &Session, key: &str) -> Option<String> {
    let entries = session.entries();
    let raw = entries.get(key)?;
    match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw).ok(),
        Some(b'-' | b'0'..=b'9') => serde_json::from_str::<serde_json::Number>(raw)
            .ok()
            .map(|n| n.to_string()),
        _ => {
            tracing::warn!(key, "ignoring a malformed session value");
            None
        }
    }
}

/// `Some` only for JSON `true` / `false`.
pub(crate) fn get_bool(session: &Session, key: &str) -> Option<bool> {
    match session.entries().get(key).map(String::as_str) {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

/// Inserts `value` unless the session already holds exactly it.
pub(crate) fn put<T: Serialize + ?Sized>(
    session: &Session,
    key: &str,
    value: &T,
) -> Result<(), LoginError> {
    let json = serde_json::to_string(value).map_err(LoginError::session)?;
    if session.entries().get(key) == Some(&json) {
        return Ok(());
    }
    session.insert(key, value).map_err(LoginError::session)
}

/// Removes `key` if present (`remove` of an absent key would still mark the
/// session changed).
pub(crate) fn take(session: &Session, key: &str) {
    if session.contains_key(key) {
        session.remove(key);
    }
}

/// Records freshness as Flask-Login does: `_fresh` is `true` or `false`.
pub(crate) fn set_fresh(session: &Session, fresh: bool) -> Result<(), LoginError> {
    put(session, FRESH, &fresh)
}

/// Fresh only when the session says so: a missing or malformed `_fresh`
/// counts as stale, so a session written by something else fails closed.
pub(crate) fn fresh_flag(session: &Session) -> bool {
    get_bool(session, FRESH) == Some(true)
}
