//! [`CurrentUser`]: the extractor that gives a handler the request's user,
//! loading it the first time something asks.

use std::{fmt, rc::Rc};

use crate::{
    guard::{after_load, LoadFuture},
    state::{downcast, ErasedState},
    user::{Anonymous, AnonymousUser, User},
};
use actix_web::{dev::Payload, FromRequest, HttpRequest};

/// The user of the request: Flask-Login's `current_user`.
///
/// Extracting it loads the user (from the session, else the remember
/// cookie, else the request loader) unless something already did in this
/// request: the loader runs at most once per request. A handler that does
/// not extract it costs no load at all.
///
/// ```
/// use actix_login::{CurrentUser, User};
/// # #[derive(Clone)] struct Account { name: String }
/// # impl User for Account { fn get_id(&self) -> String { self.name.clone() } }
///
/// async fn index(user: CurrentUser<Account>) -> String {
///     match user.user() {
///         Some(account) if user.is_authenticated() => format!("hello {}", account.name),
///         _ => "hello stranger".to_owned(),
///     }
/// }
/// ```
pub struct CurrentUser<U: User> {
    user: Option<Rc<U>>,
    authenticated: bool,
    anonymous: Option<Rc<dyn Anonymous>>,
}

impl<U: User> Clone for CurrentUser<U> {
    fn clone(&self) -> Self {
        CurrentUser {
            user: self.user.clone(),
            authenticated: self.authenticated,
            anonymous: self.anonymous.clone(),
        }
    }
}

impl<U: User + fmt::Debug> fmt::Debug for CurrentUser<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentUser")
            .field("user", &self.user)
            .field("authenticated", &self.authenticated)
            .finish()
    }
}

impl<U: User> CurrentUser<U> {
    /// The loaded user, if any. It may be an inactive user who is not
    /// [authenticated](Self::is_authenticated) (0.6.3 profile).
    pub fn user(&self) -> Option<&U> {
        self.user.as_deref()
    }

    /// Takes the loaded user out.
    pub fn into_user(self) -> Option<U> {
        self.user
            .map(|u| Rc::try_unwrap(u).unwrap_or_else(|rc| (*rc).clone()))
    }

    /// Whether the request is logged in (Flask's `is_authenticated`).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Whether nobody is logged in (Flask's `is_anonymous`).
    pub fn is_anonymous(&self) -> bool {
        self.user.as_ref().is_none_or(|u| u.is_anonymous())
    }

    /// Whether the user is active; `false` for anonymous requests.
    pub fn is_active(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_active())
    }

    /// The user's id; `None` when anonymous (unless a custom anonymous user
    /// says otherwise).
    pub fn get_id(&self) -> Option<String> {
        match &self.user {
            Some(u) => Some(u.get_id()),
            None => self.anonymous.as_ref().and_then(|a| a.get_id()),
        }
    }

    /// The anonymous user built by
    /// [`anonymous_user`](crate::LoginManagerBuilder::anonymous_user), when
    /// nobody is logged in and it is of type `A` (the default is
    /// [`AnonymousUser`]).
    pub fn anonymous<A: Anonymous>(&self) -> Option<&A> {
        if self.user.is_some() {
            return None;
        }
        static DEFAULT: AnonymousUser = AnonymousUser;
        match &self.anonymous {
            Some(a) => a.as_any().downcast_ref::<A>(),
            None => (&DEFAULT as &dyn std::any::Any).downcast_ref::<A>(),
        }
    }

    fn from_state(state: &dyn ErasedState, _: &HttpRequest) -> Result<Self, actix_web::Error> {
        let state = downcast::<U>(state)?;
        let user = state.user();
        let authenticated = user.as_ref().is_some_and(|u| state.authenticated_user(u));
        let anonymous = match (&user, &state.m.anonymous) {
            (None, Some(factory)) => Some(factory()),
            _ => None,
        };
        Ok(CurrentUser {
            user,
            authenticated,
            anonymous,
        })
    }
}

impl<U: User> FromRequest for CurrentUser<U> {
    type Error = actix_web::Error;
    type Future = LoadFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        after_load(req, Self::from_state)
    }
}
