//! The names of the session keys, per profile. They are Flask-Login's, so a
//! session written by either side reads the same.

use crate::Profile;

/// Session key names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionKeys {
    /// The logged-in user's id (`_user_id`; `user_id` in 0.2.4).
    pub(crate) user_id: &'static str,
}

/// Freshness of the login (a JSON bool).
pub(crate) const FRESH: &str = "_fresh";
/// The session identifier stored for session protection.
pub(crate) const ID: &str = "_id";
/// A per-login remember duration, in seconds (a JSON float).
pub(crate) const REMEMBER_SECONDS: &str = "_remember_seconds";
/// The `next` URL when it is kept in the session instead of the query.
pub(crate) const NEXT: &str = "next";
/// Flask's `session.permanent` flag.
pub(crate) const PERMANENT: &str = "_permanent";
/// Flask's flashed messages: a list of `[category, message]`.
pub(crate) const FLASHES: &str = "_flashes";
/// The login time (Unix seconds) for timed freshness.
pub(crate) const FRESH_AT: &str = "_fresh_at";
/// The user's session auth hash (hex) stored at login.
pub(crate) const AUTH_HASH: &str = "_auth_hash";

impl SessionKeys {
    pub(crate) fn for_profile(profile: Profile) -> Self {
        match profile {
            Profile::V0_6_3 => SessionKeys {
                user_id: "_user_id",
            },
            Profile::V0_2_4 => SessionKeys { user_id: "user_id" },
        }
    }

    /// The keys strong protection removes (Flask-Login's `SESSION_KEYS`),
    /// leaving the application's own keys alone.
    pub(crate) fn login_keys(self) -> [&'static str; 7] {
        [
            self.user_id,
            FRESH,
            ID,
            REMEMBER_SECONDS,
            NEXT,
            FRESH_AT,
            AUTH_HASH,
        ]
    }
}
