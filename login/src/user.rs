//! The user trait (Flask-Login's `UserMixin`), the anonymous user, and the
//! loader traits that turn an id, a token or a request into a user.

use std::{any::Any, fmt, future::Future, rc::Rc};

use actix_web::HttpRequest;

/// What actix-login needs from a user type: Flask-Login's `UserMixin`.
///
/// Only [`get_id`](Self::get_id) is required; the rest have Flask-Login's
/// defaults.
///
/// ```
/// use actix_login::User;
///
/// #[derive(Clone)]
/// struct Account { id: i64, active: bool }
///
/// impl User for Account {
///     fn get_id(&self) -> String { self.id.to_string() }
///     fn is_active(&self) -> bool { self.active }
/// }
/// ```
pub trait User: Clone + 'static {
    /// The id stored in the session and in the remember cookie, and passed
    /// back to the [`UserLoader`]. It must identify the user uniquely.
    fn get_id(&self) -> String;

    /// Whether the account may log in (default `true`). [`login_user`]
    /// refuses an inactive user unless forced; in the 0.6.3 profile an
    /// inactive user is never authenticated.
    ///
    /// [`login_user`]: crate::login_user
    fn is_active(&self) -> bool {
        true
    }

    /// Whether this user counts as logged in (default `true`; the 0.6.3
    /// profile also requires [`is_active`](Self::is_active)).
    fn is_authenticated(&self) -> bool {
        true
    }

    /// `false` for real users.
    fn is_anonymous(&self) -> bool {
        false
    }

    /// A token for the remember cookie instead of the id, read back by the
    /// manager's [`TokenLoader`] (Flask-Login 0.2.4's `get_auth_token`).
    /// Unlike 0.2.4, the cookie is signed like an id cookie. Used only when a
    /// token loader is registered.
    fn get_auth_token(&self) -> Option<String> {
        None
    }

    /// Bytes that change when the user's credentials change, such as the
    /// password hash. When `Some`, they are stored (as an HMAC) in the session
    /// at login and compared on every load, in constant time: a mismatch
    /// logs that session out, so changing a password ends every other
    /// session and invalidates remember cookies issued before. (Such users'
    /// remember cookies carry a tag of the digest, which Flask-Login does
    /// not read.) The session that changes the password should call
    /// [`login_user`](crate::login_user) again to stay logged in.
    ///
    /// ```
    /// use actix_login::User;
    ///
    /// #[derive(Clone)]
    /// struct Account { id: i64, password_hash: String }
    ///
    /// impl User for Account {
    ///     fn get_id(&self) -> String { self.id.to_string() }
    ///     fn session_auth_hash(&self) -> Option<Vec<u8>> {
    ///         Some(self.password_hash.as_bytes().to_vec())
    ///     }
    /// }
    /// ```
    fn session_auth_hash(&self) -> Option<Vec<u8>> {
        None
    }
}

/// The user of a request that is not logged in: Flask-Login's
/// `AnonymousUserMixin`. Replace the default [`AnonymousUser`] with
/// [`LoginManagerBuilder::anonymous_user`](crate::LoginManagerBuilder::anonymous_user)
/// to give anonymous visitors attributes of your own (a display name, a
/// locale…), then read them back with [`CurrentUser::anonymous`](crate::CurrentUser::anonymous).
pub trait Anonymous: Any {
    /// `None`: anonymous users have no id.
    fn get_id(&self) -> Option<String> {
        None
    }

    /// Upcast for [`CurrentUser::anonymous`](crate::CurrentUser::anonymous).
    fn as_any(&self) -> &dyn Any;
}

/// The default anonymous user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnonymousUser;

impl Anonymous for AnonymousUser {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A loader failed: a database error, a timeout… The request is answered
/// `500 Internal Server Error` (the cause goes to the log, not to the client)
/// and the session is left as it was, so a passing fault logs nobody out.
///
/// Any `Display + Debug` error converts into it with `?`.
pub struct LoaderError(Box<dyn fmt::Display>, Box<dyn fmt::Debug>);

impl<E: fmt::Display + fmt::Debug + 'static> From<E> for LoaderError {
    fn from(err: E) -> Self {
        let err = Rc::new(err);
        LoaderError(Box::new(DisplayOf(err.clone())), Box::new(err))
    }
}

struct DisplayOf<E>(Rc<E>);

impl<E: fmt::Display> fmt::Display for DisplayOf<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for LoaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.1.fmt(f)
    }
}

impl LoaderError {
    /// The message of the underlying error.
    pub fn message(&self) -> String {
        self.0.to_string()
    }

    pub(crate) fn into_login_error(self) -> crate::LoginError {
        crate::LoginError::Loader(self.0.to_string()).logged()
    }
}

/// Loads a user by the id stored in the session or the remember cookie:
/// Flask-Login's `user_loader`.
///
/// The request gives access to app data (a database pool in
/// `web::Data<T>`, for instance). [`#[user_loader]`](crate::user_loader) writes
/// this impl for an `async fn`; implementing it by hand is the same thing.
///
/// Return `Ok(None)` for an id that no longer names a user (the request is
/// anonymous), and `Err` for a failure (the request is answered 500 and the
/// session is kept).
///
/// It is called at most once per request, and only when something asks for
/// the user ([`CurrentUser`](crate::CurrentUser), a guard, a logout).
///
/// ```
/// use actix_login::{LoaderError, User, UserLoader};
/// use actix_web::{web, HttpRequest};
/// use std::collections::HashMap;
///
/// #[derive(Clone)]
/// struct Account { id: String }
/// impl User for Account { fn get_id(&self) -> String { self.id.clone() } }
///
/// struct Accounts;
///
/// impl UserLoader for Accounts {
///     type User = Account;
///     async fn load_user(&self, id: &str, req: &HttpRequest) -> Result<Option<Account>, LoaderError> {
///         let db = req.app_data::<web::Data<HashMap<String, Account>>>().ok_or("no database")?;
///         Ok(db.get(id).cloned())
///     }
/// }
/// ```
pub trait UserLoader: 'static {
    /// The user type.
    type User: User;

    /// Returns the user with this id, `None` if there is none.
    fn load_user(
        &self,
        id: &str,
        req: &HttpRequest,
    ) -> impl Future<Output = Result<Option<Self::User>, LoaderError>>;
}

/// Loads a user from the request itself when the session has none: API keys,
/// bearer tokens (Flask-Login's `request_loader`). It never writes the
/// session: the user is logged in for this request only.
///
/// ```
/// use actix_login::{LoaderError, RequestLoader, User};
/// use actix_web::HttpRequest;
///
/// #[derive(Clone)]
/// struct Account { id: String }
/// impl User for Account { fn get_id(&self) -> String { self.id.clone() } }
///
/// struct ApiKeys;
/// impl RequestLoader for ApiKeys {
///     type User = Account;
///     async fn load_user_from_request(&self, req: &HttpRequest) -> Result<Option<Account>, LoaderError> {
///         let key = req.headers().get("x-api-key").and_then(|v| v.to_str().ok());
///         Ok((key == Some("secret-key-1")).then(|| Account { id: "1".into() }))
///     }
/// }
/// ```
pub trait RequestLoader: 'static {
    /// The user type.
    type User: User;

    /// Returns the user the request authenticates, `None` if none.
    fn load_user_from_request(
        &self,
        req: &HttpRequest,
    ) -> impl Future<Output = Result<Option<Self::User>, LoaderError>>;
}

/// Loads a user from the token of a remember cookie written with
/// [`User::get_auth_token`] (Flask-Login 0.2.4's `token_loader`). The token is
/// verified against the cookie's HMAC before this is called.
pub trait TokenLoader: 'static {
    /// The user type.
    type User: User;

    /// Returns the user this token belongs to, `None` if none.
    fn load_user_from_token(
        &self,
        token: &str,
        req: &HttpRequest,
    ) -> impl Future<Output = Result<Option<Self::User>, LoaderError>>;
}

/// What a `#[user_loader]` function may return: `Option<U>` or
/// `Result<Option<U>, E>` for any error `E` that converts into
/// [`LoaderError`].
pub trait IntoLoadResult {
    /// The user type.
    type User: User;

    /// Converts into the loader's result.
    fn into_load_result(self) -> Result<Option<Self::User>, LoaderError>;
}

impl<U: User> IntoLoadResult for Option<U> {
    type User = U;

    fn into_load_result(self) -> Result<Option<U>, LoaderError> {
        Ok(self)
    }
}

impl<U: User, E: Into<LoaderError>> IntoLoadResult for Result<Option<U>, E> {
    type User = U;

    fn into_load_result(self) -> Result<Option<U>, LoaderError> {
        self.map_err(Into::into)
    }
}
