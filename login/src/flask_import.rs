//! Carrying a Flask login across a rewrite: on a request whose actix session
//! names no user but which carries Flask's own session cookie (verified by
//! [`FlaskSession`](crate::FlaskSession) exactly as Flask verifies it), the
//! Flask-Login keys move into the actix session as if the user had logged
//! in here. See `docs/migrating-from-flask.md`.

use actix_session::Session;
use actix_web::{http::header, HttpRequest};

use crate::{
    error::LoginError,
    keys::AUTH_HASH,
    protection::client_addr,
    remember::find_cookie,
    session::{put, set_fresh},
    session_identifier,
    signals::Signal,
    state::LoginState,
    user::User,
    SessionProtection,
};

impl<U: User> LoginState<U> {
    /// The user a verified Flask session names, moved into the actix
    /// session; `None` without the setting, without a cookie, for a cookie
    /// that does not verify (logged at debug, never its value), for a Flask
    /// session without a login, one strong protection refuses, or a user
    /// the loader does not know.
    pub(crate) async fn import_flask_session(
        &self,
        req: &HttpRequest,
        session: &Session,
    ) -> Result<Option<U>, LoginError> {
        let m = &*self.m;
        let Some(flask) = &m.flask_import else {
            return Ok(None);
        };
        let Some(raw) = find_cookie(req.headers(), flask.name(), m.profile) else {
            return Ok(None);
        };
        let Some(data) = flask.read(raw, chrono::Utc::now().timestamp()) else {
            tracing::debug!(cookie = %flask.name(), "ignored a Flask session cookie that does not verify");
            return Ok(None);
        };
        // Flask-Login 0.6.3 writes `_user_id`; 0.2.4 wrote `user_id`.
        let Some(id) = ["_user_id", "user_id"]
            .iter()
            .find_map(|key| data.get(key))
            .and_then(json_id)
        else {
            return Ok(None);
        };
        let mut fresh = data.get("_fresh") == Some("true");
        if m.protection != SessionProtection::Off {
            // Flask-Login's own rule for its own session: the identifier is
            // computed as the profile's release computes it.
            let addr = client_addr(req, &m.trusted_proxies).map(|a| a.to_string());
            let ua = req.headers().get(header::USER_AGENT).map(|v| v.as_bytes());
            let ident = session_identifier(m.profile, addr.as_deref(), ua);
            let matches = match data
                .get("_id")
                .and_then(|s| serde_json::from_str::<String>(s).ok())
            {
                Some(stored) => stored == ident,
                // 0.2.4 adopted the client's identifier when the session had
                // none (its login_user never wrote one); 0.6.3 counts a
                // missing identifier as another client.
                None => m.rules.eager_load,
            };
            if !matches {
                let permanent = m.permanent_sessions || data.get("_permanent") == Some("true");
                m.send(Signal::SessionProtected, req, None);
                if m.protection == SessionProtection::Strong && !permanent {
                    tracing::info!("Flask session from another client refused (strong protection)");
                    // Flask would have emptied that session: forget it.
                    self.forget_flask_cookie.set(true);
                    return Ok(None);
                }
                fresh = false;
            }
        }
        let Some(user) = self.call_loader(&id, req).await? else {
            tracing::debug!(user.id = %id, "Flask session names a user the loader does not know");
            return Ok(None);
        };
        put(session, m.keys.user_id, &id)?;
        self.wrote_user_id(session);
        set_fresh(session, fresh)?;
        self.store_identifier(session, req)?;
        if let Some(digest) = self.auth_digest(&user) {
            put(session, AUTH_HASH, &digest)?;
        }
        for key in flask.keys_to_copy() {
            if let Some(value) = data.get(key) {
                let value: serde_json::Value =
                    serde_json::from_str(value).map_err(LoginError::session)?;
                put(session, key, &value)?;
            }
        }
        // As at any login: a session id known before is worthless after.
        session.renew();
        self.forget_flask_cookie.set(true);
        tracing::info!(user.id = %id, fresh, "user carried over from a Flask session");
        m.send(Signal::ImportedFromFlask, req, Some(&user));
        Ok(Some(user))
    }

    /// The `Set-Cookie` that deletes Flask's session cookie, once imported.
    /// When the actix session cookie has the same name, the session
    /// middleware's own `Set-Cookie` comes after this one in the response,
    /// so the browser ends up with actix's.
    pub(crate) fn flask_cookie_deletion(&self) -> Option<String> {
        let flask = self.m.flask_import.as_ref()?;
        if !self.forget_flask_cookie.get() {
            return None;
        }
        let mut h = format!(
            "{}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path={}",
            flask.name(),
            flask.path()
        );
        if let Some(domain) = flask.domain() {
            h.push_str("; Domain=");
            h.push_str(domain);
        }
        Some(h)
    }
}

/// A user id as Flask keeps it: a JSON string, or a number read as its text.
fn json_id(json: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(json).ok()? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
