//! Logging in and out: [`login_user`], [`logout_user`], [`confirm_login`],
//! [`login_fresh`], [`login_remembered`], and the session's `next` and
//! permanence.

use std::{rc::Rc, time::Duration};

use actix_session::{Session, SessionExt};
use actix_web::HttpRequest;

use crate::{
    error::LoginError,
    ext::LoginExt,
    keys::{AUTH_HASH, FRESH, FRESH_AT, ID, NEXT, PERMANENT, REMEMBER_SECONDS},
    remember::payload_with_tag,
    session::{fresh_flag, put, set_fresh, take},
    signals::Signal,
    state::{of, typed, LoginState, RememberOp},
    user::User,
};

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl<U: User> LoginState<U> {
    pub(crate) fn login(
        &self,
        req: &HttpRequest,
        user: U,
        opts: LoginOptions,
    ) -> Result<bool, LoginError> {
        let m = &*self.m;
        self.check_setup(req)?;
        if !opts.force && !user.is_active() {
            tracing::info!(user.id = %user.get_id(), "login refused: inactive user");
            return Ok(false);
        }
        let session = req.get_session();
        let id = user.get_id();
        put(&session, m.keys.user_id, &id)?;
        self.wrote_user_id(&session);
        set_fresh(&session, opts.fresh)?;
        if m.fresh_max_age.is_some() && opts.fresh {
            put(&session, FRESH_AT, &now_secs())?;
        }
        // The client that logs in is the one protection compares with.
        self.store_identifier(&session, req)?;
        let digest = self.auth_digest(&user);
        match &digest {
            Some(digest) => put(&session, AUTH_HASH, digest)?,
            None => take(&session, AUTH_HASH),
        }
        if opts.remember {
            self.remember.set(RememberOp::Set);
            if let Some(d) = opts.duration {
                put(&session, REMEMBER_SECONDS, &d.as_secs_f64())?;
            }
        }
        if self.remember.get() == RememberOp::Set {
            // The cookie is for the last user logged in during the request
            // (Flask reads the session's id when the response goes out).
            let payload = match &m.token_loader {
                Some(_) => user.get_auth_token(),
                None => Some(payload_with_tag(&id, digest.as_deref())),
            };
            if payload.is_none() {
                tracing::warn!(user.id = %id, "token loader registered but the user has no auth token; remember cookie not set");
            }
            let lifetime = self.remember_lifetime(&session, opts.duration);
            *self.remember_set.borrow_mut() = payload.map(|p| (p, lifetime));
        }
        // A session id known before the login is worthless after it.
        session.renew();
        tracing::info!(user.id = %id, remember = opts.remember, fresh = opts.fresh, "user logged in");
        let user = Rc::new(user);
        self.decide(Some(user.clone()));
        m.send(Signal::LoggedIn, req, Some(&user));
        Ok(true)
    }

    pub(crate) async fn logout(&self, req: &HttpRequest) -> Result<(), LoginError> {
        let m = &*self.m;
        // The signal carries the user, who may not be loaded yet.
        self.ensure_loaded(req).await?;
        let user = self.user();
        let session = req.get_session();
        take(&session, m.keys.user_id);
        take(&session, FRESH);
        take(&session, FRESH_AT);
        take(&session, AUTH_HASH);
        if m.rules.forget_identifier_at_logout {
            take(&session, ID);
        }
        if self.cookie_sent(req) {
            self.remember.set(RememberOp::Clear);
            take(&session, REMEMBER_SECONDS);
        } else if self.remember.get() == RememberOp::Set {
            // Logged in and out in one request: there is no user to remember.
            self.remember.set(RememberOp::Keep);
        }
        *self.remember_set.borrow_mut() = None;
        match &user {
            Some(u) => {
                // The id the session had is worthless after the logout too.
                session.renew();
                tracing::info!(user.id = %u.get_id(), "user logged out")
            }
            None => tracing::debug!("logout without a logged-in user"),
        }
        if m.rules.signal_logout_without_user || user.is_some() {
            m.send(Signal::LoggedOut, req, user.as_deref());
        }
        self.decide(None);
        Ok(())
    }

    pub(crate) fn confirm(&self, req: &HttpRequest) -> Result<(), LoginError> {
        let session = req.get_session();
        set_fresh(&session, true)?;
        self.store_identifier(&session, req)?;
        if self.m.fresh_max_age.is_some() {
            put(&session, FRESH_AT, &now_secs())?;
        }
        let user = self.user();
        self.m.send(Signal::LoginConfirmed, req, user.as_deref());
        Ok(())
    }

    /// Whether the session's login is fresh: `_fresh` says so and, with
    /// [`fresh_max_age`](crate::LoginManagerBuilder::fresh_max_age), it is
    /// recent enough.
    pub(crate) fn fresh(&self, session: &Session) -> bool {
        if !fresh_flag(session) {
            return false;
        }
        match self.m.fresh_max_age {
            None => true,
            Some(max) => session
                .get::<i64>(FRESH_AT)
                .ok()
                .flatten()
                .is_some_and(|at| now_secs().saturating_sub(at) <= max.as_secs() as i64),
        }
    }
}

/// How [`login_user`] logs a user in. The default is Flask-Login's: not
/// remembered, not forced, fresh, the configured cookie duration.
///
/// ```
/// use actix_login::LoginOptions;
/// use std::time::Duration;
/// let opts = LoginOptions::new().remember(true).duration(Duration::from_secs(7 * 3600));
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginOptions {
    pub(crate) remember: bool,
    pub(crate) force: bool,
    pub(crate) fresh: bool,
    pub(crate) duration: Option<Duration>,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            remember: false,
            force: false,
            fresh: true,
            duration: None,
        }
    }
}

impl LoginOptions {
    /// Flask-Login's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the remember-me cookie, so the user is restored after the session
    /// ends.
    pub fn remember(mut self, remember: bool) -> Self {
        self.remember = remember;
        self
    }

    /// Log the user in even if [`User::is_active`] is `false`.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Whether the login counts as fresh (default `true`); pass `false` when
    /// logging in from something weaker than a password, e.g. a magic link.
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = fresh;
        self
    }

    /// The remember cookie's lifetime for this login, instead of the
    /// configured one.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }
}

/// Logs `user` in for this session: Flask-Login's `login_user`.
///
/// Returns `Ok(false)` without logging in when the user is inactive and the
/// login is not forced. Otherwise stores the user's id and freshness (and, in
/// the 0.6.3 profile, the session identifier) in the session, renews the
/// session id so a session id planted before the login is worthless, sets
/// the remember cookie when asked, and sends [`Signal::LoggedIn`](crate::Signal::LoggedIn).
///
/// The user is not loaded through the loader: the object you pass is the
/// request's user from here on.
///
/// ```
/// use actix_login::{login_user, LoginOptions, User};
/// use actix_web::{web, HttpRequest, HttpResponse};
/// # #[derive(Clone)] struct Account { id: String }
/// # impl User for Account { fn get_id(&self) -> String { self.id.clone() } }
/// # fn check_password(_: &str, _: &str) -> Option<Account> { None }
///
/// #[derive(serde::Deserialize)]
/// struct Form { name: String, password: String, remember: Option<String> }
///
/// async fn login(req: HttpRequest, form: web::Form<Form>) -> actix_web::Result<HttpResponse> {
///     let Some(account) = check_password(&form.name, &form.password) else {
///         return Ok(HttpResponse::Unauthorized().body("wrong name or password"));
///     };
///     let opts = LoginOptions::new().remember(form.remember.is_some());
///     if !login_user(&req, account, opts)? {
///         return Ok(HttpResponse::Forbidden().body("account disabled"));
///     }
///     Ok(HttpResponse::SeeOther().insert_header(("Location", "/")).finish())
/// }
/// ```
///
/// # Errors
///
/// [`LoginError`] when no [`LoginManager`](crate::LoginManager) for user type
/// `U` handles the request, no `SessionMiddleware` was seen to save an
/// earlier login, or the session cannot store the values.
pub fn login_user<U: User>(
    req: &HttpRequest,
    user: U,
    options: LoginOptions,
) -> Result<bool, LoginError> {
    typed::<U>(req)?.login(req, user, options)
}

/// Logs the session out: Flask-Login's `logout_user`.
///
/// Removes the login from the session (the app's own keys, flashes
/// included, stay), deletes the remember cookie if the request carried one,
/// and sends [`Signal::LoggedOut`](crate::Signal::LoggedOut). It is async
/// because the signal carries the user, who may not be loaded yet.
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse};
/// async fn logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
///     actix_login::logout_user(&req).await?;
///     Ok(HttpResponse::SeeOther().insert_header(("Location", "/")).finish())
/// }
/// ```
///
/// It acts on the request it is given: an admin handler holding another
/// in-flight request's `HttpRequest` logs that request's session out, and
/// that request's response deletes its remember cookie.
///
/// # Errors
///
/// [`LoginError`] without the middleware, or when the user loader fails.
pub async fn logout_user(req: &HttpRequest) -> Result<(), LoginError> {
    of(req)?.logout(req).await
}

/// Marks the login fresh again after the user re-entered their password:
/// Flask-Login's `confirm_login`. Also stores the current session
/// identifier and sends [`Signal::LoginConfirmed`](crate::Signal::LoginConfirmed).
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse};
/// # fn password_ok(_: &HttpRequest) -> bool { true }
/// async fn reauthenticate(req: HttpRequest) -> actix_web::Result<HttpResponse> {
///     if password_ok(&req) {
///         actix_login::confirm_login(&req)?;
///     }
///     Ok(HttpResponse::SeeOther().insert_header(("Location", "/settings")).finish())
/// }
/// ```
///
/// # Errors
///
/// [`LoginError`] without the middleware, or when the session cannot store
/// the values.
pub fn confirm_login(req: &HttpRequest) -> Result<(), LoginError> {
    of(req)?.confirm(req)
}

/// Whether the session's login is fresh: made with credentials in this
/// session (not restored from the remember cookie, not marked stale by
/// session protection, and not older than
/// [`fresh_max_age`](crate::LoginManagerBuilder::fresh_max_age) when one is
/// set). Flask-Login's `login_fresh`.
///
/// ```
/// # use actix_web::HttpRequest;
/// async fn page(req: HttpRequest) -> actix_web::Result<String> {
///     Ok(format!("fresh={}", actix_login::login_fresh(&req)?))
/// }
/// ```
///
/// # Errors
///
/// [`LoginError::NoManager`] when no login manager handles the request: a
/// `false` there could pass for a real answer.
pub fn login_fresh(req: &HttpRequest) -> Result<bool, LoginError> {
    req.login_fresh()
}

/// Whether the request carries a valid remember cookie that this response
/// will not delete. Flask-Login's `login_remembered`; like it, this does not
/// check that the cookie belongs to the current user.
///
/// # Errors
///
/// [`LoginError::NoManager`] when no login manager handles the request.
pub fn login_remembered(req: &HttpRequest) -> Result<bool, LoginError> {
    req.login_remembered()
}

/// Takes the `next` URL that [`use_session_for_next`](crate::LoginManagerBuilder::use_session_for_next)
/// stored in the session. Validate it with [`safe_next`](crate::safe_next)
/// before redirecting.
pub fn take_next(req: &HttpRequest) -> Option<String> {
    let session = req.get_session();
    if !session.contains_key(NEXT) {
        return None;
    }
    session.remove_as::<String>(NEXT).and_then(Result::ok)
}

/// Marks this session permanent or not: Flask's `session.permanent`. Strong
/// session protection treats a permanent session as basic (marks it stale
/// instead of logging it out). Set it before [`login_user`].
///
/// # Errors
///
/// [`LoginError::Session`] when the session cannot store the flag.
pub fn set_permanent(req: &HttpRequest, permanent: bool) -> Result<(), LoginError> {
    let session = req.get_session();
    if permanent {
        put(&session, PERMANENT, &true)
    } else {
        take(&session, PERMANENT);
        Ok(())
    }
}
