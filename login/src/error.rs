//! [`LoginError`]: what goes wrong when the app is set up wrongly or a
//! loader or the session store fails.

use std::fmt;

use actix_web::{http::StatusCode, HttpResponse, ResponseError};

/// Why a login function or extractor could not answer.
///
/// Every variant is a fault of the server, not of the client, so the client
/// gets a plain `500 Internal Server Error`. The explanation — most variants
/// say how to fix the app — is logged through `tracing` at error level when
/// the error is made. Debug builds also put the how-to-fix text of a
/// misconfiguration in the response body; a release build shows a client
/// nothing of the server's internals.
///
/// ```
/// use actix_login::LoginError;
/// use actix_web::{HttpRequest, HttpResponse};
///
/// async fn settings(req: HttpRequest) -> Result<HttpResponse, LoginError> {
///     // `?` works: LoginError is an actix `ResponseError`.
///     let fresh = actix_login::login_fresh(&req)?;
///     Ok(HttpResponse::Ok().body(format!("fresh: {fresh}")))
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginError {
    /// No [`LoginManager`](crate::LoginManager) middleware handles this
    /// request.
    NoManager,
    /// The code asked for one user type, the manager on this route loads
    /// another.
    WrongUserType {
        /// The type asked for.
        asked: &'static str,
        /// The type the manager loads.
        loads: &'static str,
    },
    /// A login was stored in a session that no `SessionMiddleware` saves.
    NoSessionMiddleware,
    /// The manager runs outside `SessionMiddleware`, so it saw the session
    /// before it was loaded.
    WrongOrder,
    /// The session could not store a value.
    Session(String),
    /// The user, request or token loader failed. The session is left as it
    /// was, so a passing fault logs nobody out.
    Loader(String),
    /// A permission was checked, but the manager on this route has no
    /// [`Permissions`](crate::Permissions).
    NoPermissionLoader,
    /// The [`PermissionLoader`](crate::PermissionLoader) failed. The session
    /// is left as it was.
    PermissionLoader(String),
}

const HOW_TO_WRAP: &str = "register it with \
    `App::new().wrap(login_manager).wrap(SessionMiddleware::new(..))` — the login manager \
    first, so that it runs inside the session middleware";

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginError::NoManager => write!(
                f,
                "actix-login: no LoginManager middleware handles this request; {HOW_TO_WRAP}"
            ),
            LoginError::WrongUserType { asked, loads } => write!(
                f,
                "actix-login: asked for user type `{asked}`, but the LoginManager on this route \
                 loads `{loads}`"
            ),
            LoginError::NoSessionMiddleware => write!(
                f,
                "actix-login: this app lost a login because no SessionMiddleware saves its \
                 sessions, so logins are refused until it is added; {HOW_TO_WRAP}"
            ),
            LoginError::WrongOrder => write!(
                f,
                "actix-login: the LoginManager middleware runs outside SessionMiddleware, so it \
                 cannot see the session; {HOW_TO_WRAP}"
            ),
            LoginError::Session(err) => write!(f, "actix-login: the session failed: {err}"),
            LoginError::Loader(err) => write!(f, "actix-login: a user loader failed: {err}"),
            LoginError::NoPermissionLoader => write!(
                f,
                "actix-login: a permission was checked, but the LoginManager on this route \
                 answers no permissions; give it one with \
                 `.permissions(Permissions::new(your_permission_loader))`"
            ),
            LoginError::PermissionLoader(err) => {
                write!(f, "actix-login: the permission loader failed: {err}")
            }
        }
    }
}

impl std::error::Error for LoginError {}

impl LoginError {
    /// Logs the error where it happens, so it is seen whatever the app does
    /// with it afterwards.
    pub(crate) fn logged(self) -> Self {
        match &self {
            LoginError::Loader(_) | LoginError::PermissionLoader(_) => {
                tracing::error!("{self}; answering 500 and keeping the session")
            }
            _ => tracing::error!("{self}"),
        }
        self
    }

    pub(crate) fn session(err: impl fmt::Display) -> Self {
        LoginError::Session(err.to_string()).logged()
    }
}

impl ResponseError for LoginError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        // How to fix the app helps its developer; a failing loader's or
        // store's message may name internals, so it stays in the log.
        let misconfigured = !matches!(
            self,
            LoginError::Session(_) | LoginError::Loader(_) | LoginError::PermissionLoader(_)
        );
        let body = if cfg!(debug_assertions) && misconfigured {
            self.to_string()
        } else {
            "500 Internal Server Error".to_owned()
        };
        HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body(body)
    }
}
