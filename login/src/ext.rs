//! [`LoginExt`]: the request's login from anything that carries a request —
//! a handler's `HttpRequest`, a middleware's `ServiceRequest`, a routing
//! guard's `GuardContext`.

use actix_session::SessionExt;
use actix_web::{dev::ServiceRequest, guard::GuardContext, HttpRequest};

use crate::{error::LoginError, state::of};

/// What the session says of the request's login, from a handler, a
/// middleware or a routing guard. The answers come from the session and the
/// request's headers only: the user loader is never called, so they are
/// synchronous and cheap.
///
/// Why a routing guard gets no loaded user: actix asks guards synchronously
/// while it picks a route, and loading a user is async (a database call).
/// A guard can route on whether the session names a user; the handler it
/// picks then extracts [`CurrentUser`](crate::CurrentUser), which loads it.
/// The id a session names is not yet proof that the user still exists or
/// that session protection accepts this client: the load decides that.
///
/// ```
/// use actix_login::LoginExt;
/// use actix_web::{guard, web, App, HttpRequest};
///
/// // Logged-in visitors get the dashboard at `/`, everyone else the welcome page.
/// let app = App::new().service(
///     web::resource("/")
///         .route(
///             web::get()
///                 .guard(guard::fn_guard(|ctx| matches!(ctx.login_id(), Ok(Some(_)))))
///                 .to(|req: HttpRequest| async move {
///                     format!("dashboard of {}", req.login_id().ok().flatten().unwrap_or_default())
///                 }),
///         )
///         .route(web::get().to(|| async { "welcome" })),
/// );
/// # let _ = app;
/// ```
pub trait LoginExt {
    /// The user id the session names as logged in, `None` when anonymous.
    ///
    /// # Errors
    ///
    /// [`LoginError::NoManager`] when no login manager handles the request.
    fn login_id(&self) -> Result<Option<String>, LoginError>;

    /// Whether the session's login is fresh: see
    /// [`login_fresh`](crate::login_fresh).
    ///
    /// # Errors
    ///
    /// [`LoginError::NoManager`] when no login manager handles the request.
    fn login_fresh(&self) -> Result<bool, LoginError>;

    /// Whether the request carries a valid remember cookie that this
    /// response will not delete: see [`login_remembered`](crate::login_remembered).
    ///
    /// # Errors
    ///
    /// [`LoginError::NoManager`] when no login manager handles the request.
    fn login_remembered(&self) -> Result<bool, LoginError>;
}

/// The one implementation: the request's state, then the session and
/// headers of the same request.
macro_rules! login_ext {
    ($ty:ty, $headers:ident) => {
        impl LoginExt for $ty {
            fn login_id(&self) -> Result<Option<String>, LoginError> {
                let state = of(self)?;
                Ok(state.login_id(&self.get_session()))
            }

            fn login_fresh(&self) -> Result<bool, LoginError> {
                let state = of(self)?;
                Ok(state.is_fresh(&self.get_session()))
            }

            fn login_remembered(&self) -> Result<bool, LoginError> {
                let state = of(self)?;
                Ok(state.remembered($headers(self)))
            }
        }
    };
}

fn http_headers(req: &HttpRequest) -> &actix_web::http::header::HeaderMap {
    req.headers()
}

fn service_headers(req: &ServiceRequest) -> &actix_web::http::header::HeaderMap {
    req.headers()
}

fn guard_headers<'a>(ctx: &'a GuardContext<'_>) -> &'a actix_web::http::header::HeaderMap {
    &ctx.head().headers
}

login_ext!(HttpRequest, http_headers);
login_ext!(ServiceRequest, service_headers);
login_ext!(GuardContext<'_>, guard_headers);
