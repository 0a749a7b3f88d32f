//! Logging a test request in without a login form: Flask-Login's
//! `FlaskLoginClient`, for `actix_web::test`. Behind the `test-helpers`
//! feature; enable it in `[dev-dependencies]` only:
//!
//! ```toml
//! [dev-dependencies]
//! actix-login = { version = "0.1", features = ["test-helpers"] }
//! ```
//!
//! The marker lives in the request's extensions, which only in-process code
//! can set: no client can send it.

use std::sync::atomic::{AtomicBool, Ordering};

use actix_session::SessionExt;
use actix_web::{dev::ServiceRequest, HttpMessage};

use crate::{
    error::LoginError,
    keys::{FRESH_AT, ID},
    protection,
    session::{put, set_fresh},
    SessionProtection,
};

/// The marker [`login_as`] puts on a request.
#[derive(Debug, Clone)]
pub(crate) struct TestLogin {
    id: String,
    fresh: bool,
}

/// Makes `request` arrive logged in as the user with `user_id`, fresh or
/// not, as if that user had logged in earlier in the session. The user is
/// loaded through the app's user loader like any other. The response carries
/// the session cookie, so later requests can reuse it.
///
/// Unlike Flask-Login's test client, the session identifier is stored too,
/// so basic and strong session protection accept the request.
///
/// ```
/// # #[cfg(feature = "test-helpers")] {
/// use actix_login::testing::login_as;
/// use actix_web::test::TestRequest;
///
/// let request = login_as(TestRequest::get().uri("/settings").to_request(), "1", true);
/// // let response = actix_web::test::call_service(&app, request).await;
/// # let _ = request;
/// # }
/// ```
pub fn login_as(request: actix_http::Request, user_id: &str, fresh: bool) -> actix_http::Request {
    USED.store(true, Ordering::Relaxed);
    request.extensions_mut().insert(TestLogin {
        id: user_id.to_owned(),
        fresh,
    });
    request
}

/// Set once [`login_as`] has been called in this process: until then the
/// middleware does not even look for the marker, so enabling the feature
/// costs a production build nothing.
static USED: AtomicBool = AtomicBool::new(false);

/// Applies a [`login_as`] marker: writes the session as `login_user` would.
#[inline]
pub(crate) fn apply<U: crate::User>(
    req: &ServiceRequest,
    m: &crate::manager::Inner<U>,
) -> Result<(), LoginError> {
    if !USED.load(Ordering::Relaxed) {
        return Ok(());
    }
    apply_marker(req, m)
}

#[inline(never)]
fn apply_marker<U: crate::User>(
    req: &ServiceRequest,
    m: &crate::manager::Inner<U>,
) -> Result<(), LoginError> {
    let Some(login) = req.extensions_mut().remove::<TestLogin>() else {
        return Ok(());
    };
    let session = req.get_session();
    put(&session, m.keys.user_id, &login.id)?;
    set_fresh(&session, login.fresh)?;
    if login.fresh && m.fresh_max_age.is_some() {
        put(&session, FRESH_AT, &chrono::Utc::now().timestamp())?;
    }
    if m.protection != SessionProtection::Off {
        put(
            &session,
            ID,
            &*protection::stored_identifier(req.request(), m),
        )?;
    }
    // As at any login: a session id known before it is worthless after.
    session.renew();
    Ok(())
}

/// What the session stores for a client whose Flask-Login session
/// identifier ([`session_identifier`](crate::session_identifier)) is
/// `flask_identifier`, under `manager`'s secret: for tests that check
/// session protection's bookkeeping.
///
/// ```
/// # #[cfg(feature = "test-helpers")] {
/// # use actix_login::{LoginManager, Profile, User, LoaderError, UserLoader};
/// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
/// # struct L; impl UserLoader for L { type User = A;
/// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
/// use actix_login::{session_identifier, testing::stored_identifier};
/// let manager = LoginManager::builder(L, "a secret").build();
/// let flask = session_identifier(Profile::V0_6_3, Some("127.0.0.1"), Some(b"curl/8"));
/// assert_eq!(stored_identifier(&manager, &flask).len(), 11);
/// # }
/// ```
///
/// # Panics
///
/// When `flask_identifier` is not lowercase hex.
pub fn stored_identifier<U: crate::User>(
    manager: &crate::LoginManager<U>,
    flask_identifier: &str,
) -> String {
    let digest: Vec<u8> = (0..flask_identifier.len() / 2)
        .map(|i| u8::from_str_radix(&flask_identifier[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    crate::protection::key_identifier(&manager.inner, &digest)
}
