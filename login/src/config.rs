//! Settings: the compatibility [`Profile`], [`SessionProtection`] and the
//! [`RememberCookie`] attributes.

use std::time::Duration;

/// Which Flask-Login release actix-login behaves like.
///
/// The profile decides every observable detail that changed between the two
/// releases: the remember cookie's digest and attributes, the session keys,
/// the session identifier's hash, eager or lazy loading, the status of a
/// refresh without a refresh view, and the order of the login URL's query.
/// Everything else (the fixes listed in the README's "Differences from
/// Flask-Login") is the same in both.
///
/// ```
/// use actix_login::Profile;
/// assert_eq!(Profile::default(), Profile::V0_6_3);
/// assert_eq!("0.2.4".parse::<Profile>(), Ok(Profile::V0_2_4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// Flask-Login 0.6.3 (the default): HMAC-SHA512 remember cookie keyed by
    /// the Latin-1 secret, `HttpOnly`, keys `_user_id`/`_fresh`/`_id`, lazy
    /// loading, SHA-512 session identifier, 401 for a stale login without a
    /// refresh view, inactive users never authenticated, `OPTIONS` exempt.
    #[default]
    V0_6_3,
    /// Flask-Login 0.2.4 (the seed): HMAC-SHA1 remember cookie keyed by the
    /// UTF-8 secret, no `HttpOnly`, keys `user_id`/`_fresh`/`_id`, the user
    /// loaded before every request, MD5 session identifier, 403 for a stale
    /// login without a refresh view, sorted login-URL query.
    V0_2_4,
}

impl std::str::FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "0.6.3" | "0.6" | "" => Ok(Profile::V0_6_3),
            "0.2.4" | "0.2" => Ok(Profile::V0_2_4),
            other => Err(format!(
                "unknown Flask-Login profile {other:?}: use \"0.6.3\" or \"0.2.4\""
            )),
        }
    }
}

/// The behaviours that differ between the two releases, decided once when
/// the manager is built, so the request path reads a rule instead of
/// asking which profile it is in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// Load the user, with protection, before every request (0.2.4) rather
    /// than the first time something asks (0.6.3).
    pub(crate) eager_load: bool,
    /// Remove the session identifier at logout (0.6.3).
    pub(crate) forget_identifier_at_logout: bool,
    /// An inactive user is not authenticated (0.6.3).
    pub(crate) inactive_is_anonymous: bool,
    /// Guards let `OPTIONS` through (0.6.3, unless the app says otherwise).
    pub(crate) exempt_options: bool,
    /// The status of a stale login without a refresh view: 401, 403 in 0.2.4.
    pub(crate) stale_status: actix_web::http::StatusCode,
    /// `logged-out` is sent even when nobody was logged in (0.6.3).
    pub(crate) signal_logout_without_user: bool,
    /// A remember cookie whose user is gone is deleted (0.2.4, which stored
    /// the id, reloaded, found nobody and logged out).
    pub(crate) forget_cookie_of_unknown_user: bool,
    /// Werkzeug 3 lowercases the host it rebuilds a URL from (0.6.3).
    pub(crate) lowercase_host: bool,
    /// Werkzeug 0.x sorted the login URL's query (0.2.4).
    pub(crate) sorted_query: bool,
}

impl Rules {
    pub(crate) fn of(profile: Profile, exempt_options: Option<bool>) -> Rules {
        let v063 = profile == Profile::V0_6_3;
        Rules {
            eager_load: !v063,
            forget_identifier_at_logout: v063,
            inactive_is_anonymous: v063,
            exempt_options: exempt_options.unwrap_or(v063),
            stale_status: if v063 {
                actix_web::http::StatusCode::UNAUTHORIZED
            } else {
                actix_web::http::StatusCode::FORBIDDEN
            },
            signal_logout_without_user: v063,
            forget_cookie_of_unknown_user: !v063,
            lowercase_host: v063,
            sorted_query: !v063,
        }
    }
}

/// Flask-Login's session protection: what happens when a request's session
/// identifier (a hash of the peer address and `User-Agent`) differs from the
/// one stored at login.
///
/// ```
/// use actix_login::SessionProtection;
/// assert_eq!("strong".parse::<SessionProtection>(), Ok(SessionProtection::Strong));
/// assert_eq!("none".parse::<SessionProtection>(), Ok(SessionProtection::Off));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SessionProtection {
    /// No check.
    Off,
    /// A mismatch marks the login non-fresh and sends `session-protected`.
    #[default]
    Basic,
    /// A mismatch logs the session out (and deletes the remember cookie the
    /// request carried), unless the session is permanent, where it acts as
    /// `Basic`.
    Strong,
}

impl std::str::FromStr for SessionProtection {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "basic" => Ok(SessionProtection::Basic),
            "strong" => Ok(SessionProtection::Strong),
            "none" | "off" | "" => Ok(SessionProtection::Off),
            other => Err(format!(
                "unknown session protection {other:?}: use \"basic\", \"strong\" or \"none\""
            )),
        }
    }
}

/// The `SameSite` attribute of the remember cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// `SameSite=Strict`
    Strict,
    /// `SameSite=Lax`
    Lax,
    /// `SameSite=None` (browsers require `Secure` with it)
    None,
}

impl SameSite {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// The remember-me cookie's settings: Flask-Login's `REMEMBER_COOKIE_*`.
///
/// Unset attributes take these defaults: name `remember_token`, 365 days,
/// `Path=/`, no `Domain`, `Secure`, `HttpOnly` in 0.6.3 (not in 0.2.4, as
/// Flask-Login 0.2.4), `SameSite=Lax`.
///
/// Why these defaults: the name, lifetime, path and `HttpOnly` are
/// Flask-Login's, so a cookie issued by a Flask app keeps working (the
/// attributes do not enter the signature). `Secure` keeps the cookie off
/// plain HTTP and `SameSite=Lax` off cross-site sub-requests; Flask-Login
/// sends neither by default, so turn them off only to match a Flask app
/// byte for byte, or `Secure` for plain-HTTP development.
///
/// ```
/// use std::time::Duration;
/// use actix_login::{RememberCookie, SameSite};
///
/// let cookie = RememberCookie::new()
///     .name("remember")
///     .duration(Duration::from_secs(14 * 24 * 3600))
///     .secure(true)
///     .same_site(SameSite::Lax);
/// # let _ = cookie;
/// ```
#[derive(Debug, Clone, Default)]
pub struct RememberCookie {
    pub(crate) name: Option<String>,
    pub(crate) duration: Option<Duration>,
    pub(crate) domain: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) secure: Option<bool>,
    pub(crate) http_only: Option<bool>,
    pub(crate) same_site: Option<Option<SameSite>>,
    pub(crate) refresh_each_request: bool,
}

impl RememberCookie {
    /// Settings with every attribute at the profile's default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cookie name (`REMEMBER_COOKIE_NAME`, default `remember_token`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// How long the browser keeps the cookie (`REMEMBER_COOKIE_DURATION`,
    /// default 365 days). [`LoginOptions::duration`](crate::LoginOptions::duration)
    /// overrides it for one login.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// The `Domain` attribute (default: none, the cookie is host-only).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The `Path` attribute (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Whether to send `Secure` (default `true`: the cookie logs its holder
    /// in for a year, so it must never travel over plain HTTP). Flask-Login
    /// defaults to `false`; for plain-HTTP development turn it off, e.g.
    /// `.secure(std::env::var("APP_ENV").as_deref() == Ok("production"))`.
    /// Browsers treat `http://localhost` as secure and keep the cookie there.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = Some(secure);
        self
    }

    /// Whether to send `HttpOnly` (default `true` in 0.6.3, `false` in 0.2.4).
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = Some(http_only);
        self
    }

    /// The `SameSite` attribute (default `Lax`: the cookie goes with
    /// top-level navigations to the site but not with cross-site
    /// sub-requests, so a cross-site form cannot ride on it). `None` sends
    /// no attribute, as Flask-Login does by default.
    ///
    /// ```
    /// use actix_login::{RememberCookie, SameSite};
    /// let strict = RememberCookie::new().same_site(SameSite::Strict);
    /// let as_flask = RememberCookie::new().same_site(None).secure(false);
    /// # let _ = (strict, as_flask);
    /// ```
    pub fn same_site(mut self, same_site: impl Into<Option<SameSite>>) -> Self {
        self.same_site = Some(same_site.into());
        self
    }

    /// Re-issue the cookie, with a new expiry, on every response to a request
    /// that carried a valid one (`REMEMBER_COOKIE_REFRESH_EACH_REQUEST`, with
    /// the semantics fixed on Flask-Login's main branch: a login without
    /// "remember me" never gets the cookie).
    pub fn refresh_each_request(mut self, refresh: bool) -> Self {
        self.refresh_each_request = refresh;
        self
    }

    pub(crate) fn resolve(self, profile: Profile) -> CookieSettings {
        CookieSettings {
            name: self.name.unwrap_or_else(|| "remember_token".to_owned()),
            duration: self
                .duration
                .unwrap_or(Duration::from_secs(365 * 24 * 3600)),
            domain: self.domain,
            path: self.path.unwrap_or_else(|| "/".to_owned()),
            secure: self.secure.unwrap_or(true),
            http_only: self.http_only.unwrap_or(profile == Profile::V0_6_3),
            same_site: self.same_site.unwrap_or(Some(SameSite::Lax)),
            refresh_each_request: self.refresh_each_request,
        }
    }
}

/// [`RememberCookie`] with the profile's defaults filled in.
#[derive(Debug, Clone)]
pub(crate) struct CookieSettings {
    pub(crate) name: String,
    pub(crate) duration: Duration,
    pub(crate) domain: Option<String>,
    pub(crate) path: String,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: Option<SameSite>,
    pub(crate) refresh_each_request: bool,
}
