//! Logging in and out: [`login_user`], [`logout_user`], [`confirm_login`],
//! [`login_fresh`], [`login_remembered`], and the session's `next` and
//! permanence.

use std::time::Duration;

use actix_session::SessionExt;
use actix_web::HttpRequest;

use crate::{
    keys::{NEXT, PERMANENT},
    state::{as_state, handle, put, take, typed},
    user::User,
};

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
/// A 500 error when the app has no [`LoginManager`](crate::LoginManager)
/// middleware for user type `U`, or the session cannot store the values.
pub fn login_user<U: User>(
    req: &HttpRequest,
    user: U,
    options: LoginOptions,
) -> actix_web::Result<bool> {
    let h = typed::<U>(req)?;
    as_state::<U>(&h).login(req, user, options)
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
/// # Errors
///
/// A 500 error without the middleware, or when the user loader fails.
pub async fn logout_user(req: &HttpRequest) -> actix_web::Result<()> {
    let h = handle(req)?;
    h.0.logout(req).await
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
/// A 500 error without the middleware.
pub fn confirm_login(req: &HttpRequest) -> actix_web::Result<()> {
    let h = handle(req)?;
    h.0.confirm(req)
}

/// Whether the session's login is fresh: made with credentials in this
/// session (not restored from the remember cookie, not marked stale by
/// session protection, and not older than
/// [`fresh_max_age`](crate::LoginManagerBuilder::fresh_max_age) when one is
/// set). Flask-Login's `login_fresh`.
///
/// ```
/// # use actix_web::HttpRequest;
/// async fn page(req: HttpRequest) -> String {
///     format!("fresh={}", actix_login::login_fresh(&req))
/// }
/// ```
pub fn login_fresh(req: &HttpRequest) -> bool {
    handle(req).is_ok_and(|h| h.0.is_fresh(req))
}

/// Whether the request carries a valid remember cookie that this response
/// will not delete. Flask-Login's `login_remembered`; like it, this does not
/// check that the cookie belongs to the current user.
pub fn login_remembered(req: &HttpRequest) -> bool {
    handle(req).is_ok_and(|h| h.0.remembered(req))
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
/// A 500 error when the session cannot store the flag.
pub fn set_permanent(req: &HttpRequest, permanent: bool) -> actix_web::Result<()> {
    let session = req.get_session();
    if permanent {
        put(&session, PERMANENT, &true)
    } else {
        take(&session, PERMANENT);
        Ok(())
    }
}
