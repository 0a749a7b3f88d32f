//! [`LoginState`]: one request's login, kept in the request's extensions —
//! the user once loaded, what this request's login or logout decided, and
//! what the response must do to the remember cookie — and the load itself:
//! the session's user id, else the remember cookie, else the request
//! loader, with session protection first.
//!
//! The state lives in the request's extensions ([`RequestLogin`]), made by
//! the first ask ([`of`]) from the manager the middleware made reachable as
//! request data ([`Slot`]); every function, extractor and guard finds it
//! through the request it is given. Clones of an `HttpRequest` share their
//! extensions, so a task spawned with a clone, a middleware after the
//! response, or a handler holding another request's `HttpRequest` each act
//! on the request they hold, and on no other.

use std::{
    any::Any,
    cell::{Cell, Ref, RefCell, RefMut},
    rc::Rc,
    sync::{
        atomic::{AtomicU8, Ordering},
        Arc,
    },
    time::Duration,
};

use actix_session::{Session, SessionExt};
use actix_web::{http::header::HeaderMap, HttpMessage, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use tokio::sync::OnceCell;

use crate::{
    error::LoginError,
    keys::AUTH_HASH,
    manager::Inner,
    remember::find_cookie,
    session::{get_string, take},
    signals::Signal,
    user::{LoaderError, User},
};

/// What the response does to the remember cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RememberOp {
    /// Nothing (unless refresh-each-request applies).
    Keep,
    /// Issue it for the session's user.
    Set,
    /// Delete it.
    Clear,
}

/// The request's login in its extensions: the state, made by the first
/// ask ([`of`]); or, past a scope's manager that gave the app's back, the
/// app's manager, which the next ask makes the state with.
#[derive(Clone)]
pub(crate) enum RequestLogin {
    /// The request's login state.
    State(Rc<dyn ErasedState>),
    /// Nothing asked yet for this manager's login.
    Manager(Slot),
}

/// One request's login state.
pub(crate) struct LoginState<U: User> {
    pub(crate) m: Arc<Inner<U>>,
    /// The user the session, the remember cookie or the request loader
    /// gave, loaded at most once, when something first asks. The cell makes
    /// a second asker wait for the first load; a load that fails or is
    /// dropped leaves it empty, for the next asker to try again.
    loaded: OnceCell<Option<Rc<U>>>,
    /// The user this request's [`login`](Self::login) or
    /// [`logout`](Self::logout) decided on; it wins over `loaded`.
    decided: RefCell<Option<Option<Rc<U>>>>,
    pub(crate) remember: Cell<RememberOp>,
    /// With [`RememberOp::Set`]: the cookie payload and lifetime, fixed when
    /// the login happened (so the response needs nothing from the session).
    pub(crate) remember_set: RefCell<Option<(String, Duration)>>,
    /// The session was empty when the middleware saw the request (eager
    /// profile only): see [`check_setup`](Self::check_setup).
    entry_empty: bool,
    /// The session this request's login wrote a user id into: checked when
    /// the request is gone, see [`SessionCheck`].
    wrote_user_id: RefCell<Option<Session>>,
    /// The app's unauthorized or needs-refresh handler is running.
    pub(crate) in_refusal_handler: Cell<bool>,
    /// A Flask session was imported (or refused by strong protection): the
    /// response deletes its cookie.
    pub(crate) forget_flask_cookie: Cell<bool>,
}

/// Whether a `SessionMiddleware` saves what the login writes. actix-session
/// offers no way to ask, so the answer is read off finished requests: its
/// middleware takes the changed entries out of the session when it saves
/// them, so a session that still names the user its request logged in when
/// the request is dropped was never saved. Once a save was seen the app is
/// set up right; until then, one unsaved login makes later logins of this
/// manager fail loudly instead of losing every login in silence.
#[derive(Debug, Default)]
pub(crate) struct SessionCheck(AtomicU8);

const UNKNOWN: u8 = 0;
const SAVED: u8 = 1;
const NOT_SAVED: u8 = 2;

impl SessionCheck {
    fn record(&self, saved: bool) {
        if saved {
            self.0.store(SAVED, Ordering::Relaxed);
        } else if self
            .0
            .compare_exchange(UNKNOWN, NOT_SAVED, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            LoginError::NoSessionMiddleware.logged();
        }
    }

    fn missing(&self) -> bool {
        self.0.load(Ordering::Relaxed) == NOT_SAVED
    }
}

impl<U: User> Drop for LoginState<U> {
    fn drop(&mut self) {
        if let Some(session) = self.wrote_user_id.get_mut().take() {
            let saved = !session.contains_key(self.m.keys.user_id);
            self.m.session_check.record(saved);
        }
    }
}

/// A login manager, as its middleware makes it reachable from a request:
/// request data, a container built once per middleware and added to each
/// request (as actix's scopes add theirs), so a request that never asks for
/// the login costs no allocation and no extension entry. The innermost
/// manager's slot is the one a request finds.
///
/// Like actix's own request data, adding it needs the only handle on the
/// request: a middleware must not keep a clone of the `HttpRequest` across
/// `next.call` (actix's routing panics on that too). Putting the manager in
/// the extensions instead costs about 700 instructions (3%) on every page
/// that never asks.
#[derive(Clone)]
pub(crate) struct Slot(pub(crate) Rc<dyn StartState>);

/// Makes a request's state for one manager.
pub(crate) trait StartState {
    fn start(&self) -> Rc<dyn ErasedState>;
}

impl<U: User> StartState for Arc<Inner<U>> {
    fn start(&self) -> Rc<dyn ErasedState> {
        Rc::new(LoginState::new(self.clone(), false))
    }
}

/// States of scope managers that gave the app's manager back: kept until
/// the request ends, because a state's drop checks what the session
/// middleware saved ([`SessionCheck`]), which it does after the response
/// has left every login manager.
#[derive(Default)]
pub(crate) struct Retired(Vec<Rc<dyn ErasedState>>);

impl Retired {
    pub(crate) fn keep(ext: &mut actix_web::dev::Extensions, state: Rc<dyn ErasedState>) {
        match ext.get_mut::<Retired>() {
            Some(retired) => retired.0.push(state),
            None => {
                ext.insert(Retired(vec![state]));
            }
        }
    }
}

/// What carries a request's extensions and request data: a handler's
/// `HttpRequest`, a middleware's `ServiceRequest`, a routing guard's
/// `GuardContext`.
pub(crate) trait Carrier {
    fn ext(&self) -> Ref<'_, actix_web::dev::Extensions>;
    fn ext_mut(&self) -> RefMut<'_, actix_web::dev::Extensions>;
    fn slot(&self) -> Option<&Slot>;
}

macro_rules! carrier {
    ($ty:ty, $ext:ident, $ext_mut:ident) => {
        impl Carrier for $ty {
            fn ext(&self) -> Ref<'_, actix_web::dev::Extensions> {
                self.$ext()
            }
            fn ext_mut(&self) -> RefMut<'_, actix_web::dev::Extensions> {
                self.$ext_mut()
            }
            fn slot(&self) -> Option<&Slot> {
                self.app_data::<Slot>()
            }
        }
    };
}

carrier!(HttpRequest, extensions, extensions_mut);
carrier!(actix_web::dev::ServiceRequest, extensions, extensions_mut);
carrier!(actix_web::guard::GuardContext<'_>, req_data, req_data_mut);

/// The request's state: the one in its extensions, else a new one of the
/// innermost manager, put there for everything else that asks (the first
/// ask of a request makes it); [`LoginError::NoManager`] without a manager.
pub(crate) fn of<C: Carrier + ?Sized>(req: &C) -> Result<Rc<dyn ErasedState>, LoginError> {
    let slot = match req.ext().get::<RequestLogin>() {
        Some(RequestLogin::State(state)) => return Ok(state.clone()),
        Some(RequestLogin::Manager(slot)) => slot.clone(),
        None => match req.slot() {
            Some(slot) => slot.clone(),
            None => return Err(LoginError::NoManager.logged()),
        },
    };
    let state = slot.0.start();
    req.ext_mut().insert(RequestLogin::State(state.clone()));
    Ok(state)
}

/// The state this manager's request made, if something asked for it.
pub(crate) fn made_by<U: User>(req: &HttpRequest, m: &Arc<Inner<U>>) -> Option<Rc<LoginState<U>>> {
    let state = match req.extensions().get::<RequestLogin>()? {
        RequestLogin::State(state) => state.clone(),
        RequestLogin::Manager(_) => return None,
    };
    if state.manager() != Arc::as_ptr(m).cast() {
        return None;
    }
    state.into_any().downcast().ok()
}

/// The request's state for user type `U`.
pub(crate) fn typed<U: User>(req: &HttpRequest) -> Result<Rc<LoginState<U>>, LoginError> {
    let state = of(req)?;
    let loads = state.user_type();
    state
        .into_any()
        .downcast::<LoginState<U>>()
        .map_err(|_| wrong_type::<U>(loads))
}

/// The state as the [`LoginState`] of user type `U`, or the error that
/// names both types.
pub(crate) fn downcast<U: User>(state: &dyn ErasedState) -> Result<&LoginState<U>, LoginError> {
    state
        .as_any()
        .downcast_ref::<LoginState<U>>()
        .ok_or_else(|| wrong_type::<U>(state.user_type()))
}

fn wrong_type<U>(loads: &'static str) -> LoginError {
    LoginError::WrongUserType {
        asked: std::any::type_name::<U>(),
        loads,
    }
    .logged()
}

/// The parts of a [`LoginState`] that need no user type: what the guards
/// and the login functions that take no user use.
pub(crate) trait ErasedState {
    fn into_any(self: Rc<Self>) -> Rc<dyn Any>;
    fn as_any(&self) -> &dyn Any;
    fn user_type(&self) -> &'static str;
    /// The manager this state belongs to, as an address to compare.
    fn manager(&self) -> *const ();
    fn is_loaded(&self) -> bool;
    /// Loads the user unless something already did in this request.
    fn load<'a>(&'a self, req: &'a HttpRequest) -> LocalBoxFuture<'a, Result<(), LoginError>>;
    fn check_setup(&self, req: &HttpRequest) -> Result<(), LoginError>;
    fn is_authenticated(&self) -> bool;
    fn logout<'a>(&'a self, req: &'a HttpRequest) -> LocalBoxFuture<'a, Result<(), LoginError>>;
    fn confirm(&self, req: &HttpRequest) -> Result<(), LoginError>;
    fn login_id(&self, session: &Session) -> Option<String>;
    fn is_fresh(&self, session: &Session) -> bool;
    fn remembered(&self, headers: &HeaderMap) -> bool;
    fn unauthorized(&self, req: &HttpRequest) -> HttpResponse;
    fn needs_refresh(&self, req: &HttpRequest) -> HttpResponse;
    fn anonymous_redirect(&self) -> &str;
    fn exempt_options(&self) -> bool;
    /// The permission side of this state (`crate::permission`).
    fn permissions(&self) -> &dyn crate::permission::ErasedPermissions;
}

impl<U: User> LoginState<U> {
    pub(crate) fn new(m: Arc<Inner<U>>, entry_empty: bool) -> Self {
        LoginState {
            m,
            loaded: OnceCell::new(),
            decided: RefCell::new(None),
            remember: Cell::new(RememberOp::Keep),
            remember_set: RefCell::new(None),
            entry_empty,
            wrote_user_id: RefCell::new(None),
            in_refusal_handler: Cell::new(false),
            forget_flask_cookie: Cell::new(false),
        }
    }

    /// Refuses to work where the login cannot be stored:
    ///
    /// * the app was seen to lose a login for want of a `SessionMiddleware`
    ///   ([`SessionCheck`]);
    /// * the login middleware was wrapped outside the session middleware in
    ///   the eager profile: it saw an empty session and would log everybody
    ///   out without a word. The tell: the session was empty when this
    ///   middleware saw the request, yet it now names a user that this
    ///   request's login did not write — the session middleware loaded it
    ///   later, so it runs inside this one.
    pub(crate) fn check_setup(&self, req: &HttpRequest) -> Result<(), LoginError> {
        if self.m.session_check.missing() {
            return Err(LoginError::NoSessionMiddleware.logged());
        }
        if self.entry_empty
            && self.wrote_user_id.borrow().is_none()
            && req.get_session().contains_key(self.m.keys.user_id)
        {
            return Err(LoginError::WrongOrder.logged());
        }
        Ok(())
    }

    /// The eager profile's order check on the way out, for what
    /// [`check_setup`](Self::check_setup) cannot see: a user restored into
    /// a session that was empty at entry (a remember cookie restores one
    /// before anything can tell). In the right order the session still
    /// holds it when this middleware answers; a session middleware inside
    /// this one has already taken its entries out to save them.
    pub(crate) fn check_order_on_the_way_out(&self) -> Result<(), LoginError> {
        if !self.entry_empty || matches!(*self.decided.borrow(), Some(None)) {
            return Ok(());
        }
        match &*self.wrote_user_id.borrow() {
            Some(session) if session.entries().is_empty() => Err(LoginError::WrongOrder.logged()),
            _ => Ok(()),
        }
    }

    /// Notes that this request's login put a user id into `session`.
    pub(crate) fn wrote_user_id(&self, session: &Session) {
        *self.wrote_user_id.borrow_mut() = Some(session.clone());
    }

    /// The request's user: `None` when anonymous or not loaded yet.
    pub(crate) fn user(&self) -> Option<Rc<U>> {
        match &*self.decided.borrow() {
            Some(decided) => decided.clone(),
            None => self.loaded.get().cloned().flatten(),
        }
    }

    /// Makes `user` the request's user from here on (login, logout).
    pub(crate) fn decide(&self, user: Option<Rc<U>>) {
        *self.decided.borrow_mut() = Some(user);
    }

    fn is_loaded(&self) -> bool {
        self.decided.borrow().is_some() || self.loaded.initialized()
    }

    pub(crate) fn authenticated_user(&self, user: &U) -> bool {
        user.is_authenticated() && (!self.m.rules.inactive_is_anonymous || user.is_active())
    }

    pub(crate) fn cookie_sent(&self, req: &HttpRequest) -> bool {
        find_cookie(req.headers(), &self.m.cookie.name, self.m.profile).is_some()
    }

    /// The keyed digest of a user's session auth hash, as stored in the
    /// session: never the raw bytes (they may be a password hash, and a
    /// cookie-store session is readable by the client).
    pub(crate) fn auth_digest(&self, user: &U) -> Option<String> {
        user.session_auth_hash()
            .map(|h| self.m.signer.auth_digest(&h))
    }

    /// The session's stored auth hash digest matches the user's (or the user
    /// has none). Compared in constant time.
    pub(crate) fn session_hash_matches(&self, session: &Session, user: &U) -> bool {
        use subtle::ConstantTimeEq;
        let Some(expected) = self.auth_digest(user) else {
            return true;
        };
        get_string(session, AUTH_HASH)
            .is_some_and(|stored| bool::from(expected.as_bytes().ct_eq(stored.as_bytes())))
    }

    /// Ends a session whose credentials changed since login.
    fn revoke(&self, req: &HttpRequest, session: &Session, id: &str) {
        tracing::info!(user.id = %id, "session auth hash changed: logging this session out");
        self.forget_login(req, session);
    }

    /// Removes the login's keys from the session (the app's own stay) and
    /// deletes the remember cookie the request carried.
    pub(crate) fn forget_login(&self, req: &HttpRequest, session: &Session) {
        for key in self.m.keys.login_keys() {
            take(session, key);
        }
        // Upstream #538: only a cookie the client has needs deleting.
        if self.cookie_sent(req) {
            self.remember.set(RememberOp::Clear);
        }
    }

    /// Loads the user unless something already did in this request.
    pub(crate) async fn ensure_loaded(&self, req: &HttpRequest) -> Result<(), LoginError> {
        self.check_setup(req)?;
        if self.decided.borrow().is_some() {
            return Ok(());
        }
        self.loaded
            .get_or_try_init(|| async {
                let session = req.get_session();
                let user = if self.m.rules.eager_load {
                    self.load_eager(req, &session).await?
                } else {
                    self.load_lazy(req, &session).await?
                };
                Ok(user.map(Rc::new))
            })
            .await?;
        Ok(())
    }

    pub(crate) async fn call_loader(
        &self,
        id: &str,
        req: &HttpRequest,
    ) -> Result<Option<U>, LoginError> {
        self.m
            .loader
            .load(id, req)
            .await
            .map_err(LoaderError::into_login_error)
    }

    /// Flask-Login 0.6.3's `_load_user`: protection, then the session's id,
    /// then an imported Flask session, then the remember cookie, else the
    /// request loader.
    async fn load_lazy(
        &self,
        req: &HttpRequest,
        session: &Session,
    ) -> Result<Option<U>, LoginError> {
        self.m.send(Signal::Accessed, req, None);
        if self.protect(req, session)? {
            return Ok(None);
        }
        if let Some(id) = get_string(session, self.m.keys.user_id) {
            if let Some(user) = self.call_loader(&id, req).await? {
                if self.session_hash_matches(session, &user) {
                    return Ok(Some(user));
                }
                self.revoke(req, session, &id);
                return Ok(None);
            }
        }
        if let Some(user) = self.import_flask_session(req, session).await? {
            return Ok(Some(user));
        }
        if self.remember.get() != RememberOp::Clear {
            if let Some(restored) = self.restore_from_cookie(req, session).await? {
                return Ok(restored);
            }
        }
        // The request loader is asked only without a remember cookie, as in
        // Flask-Login.
        self.load_from_request(req).await
    }

    /// Flask-Login 0.2.4's `_load_user`, run before every request:
    /// protection (storing a missing identifier), then the remember cookie if
    /// the session has no user, else the session's user.
    async fn load_eager(
        &self,
        req: &HttpRequest,
        session: &Session,
    ) -> Result<Option<U>, LoginError> {
        if !self.protect(req, session)? && !session.contains_key(self.m.keys.user_id) {
            if let Some(user) = self.import_flask_session(req, session).await? {
                return Ok(Some(user));
            }
            if let Some(restored) = self.restore_from_cookie(req, session).await? {
                return Ok(restored);
            }
        }
        match self.reload_eager(req, session).await? {
            // Flask-Login 0.2.4 had no request loader; when one is set it
            // gets the same chance as in the lazy profile.
            None if !self.cookie_sent(req) => self.load_from_request(req).await,
            loaded => Ok(loaded),
        }
    }

    /// 0.2.4's `reload_user`: a user the loader no longer knows is logged out
    /// (and a remember cookie the request carried is deleted).
    async fn reload_eager(
        &self,
        req: &HttpRequest,
        session: &Session,
    ) -> Result<Option<U>, LoginError> {
        let Some(id) = get_string(session, self.m.keys.user_id) else {
            return Ok(None);
        };
        match self.call_loader(&id, req).await? {
            Some(u) if self.session_hash_matches(session, &u) => Ok(Some(u)),
            Some(_) => {
                self.revoke(req, session, &id);
                Ok(None)
            }
            None => {
                take(session, self.m.keys.user_id);
                take(session, crate::keys::FRESH);
                if self.cookie_sent(req) {
                    self.remember.set(RememberOp::Clear);
                }
                Ok(None)
            }
        }
    }

    async fn load_from_request(&self, req: &HttpRequest) -> Result<Option<U>, LoginError> {
        let Some(rl) = &self.m.request_loader else {
            return Ok(None);
        };
        let user = rl.load(req).await.map_err(LoaderError::into_login_error)?;
        if let Some(u) = &user {
            tracing::debug!(user.id = %u.get_id(), "user loaded from the request");
            self.m.send(Signal::LoadedFromRequest, req, Some(u));
        }
        Ok(user)
    }
}

impl<U: User> ErasedState for LoginState<U> {
    fn into_any(self: Rc<Self>) -> Rc<dyn Any> {
        self
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn user_type(&self) -> &'static str {
        std::any::type_name::<U>()
    }

    fn manager(&self) -> *const () {
        Arc::as_ptr(&self.m).cast()
    }

    fn is_loaded(&self) -> bool {
        LoginState::is_loaded(self)
    }

    fn load<'a>(&'a self, req: &'a HttpRequest) -> LocalBoxFuture<'a, Result<(), LoginError>> {
        Box::pin(self.ensure_loaded(req))
    }

    fn check_setup(&self, req: &HttpRequest) -> Result<(), LoginError> {
        LoginState::check_setup(self, req)
    }

    fn is_authenticated(&self) -> bool {
        self.user().is_some_and(|u| self.authenticated_user(&u))
    }

    fn logout<'a>(&'a self, req: &'a HttpRequest) -> LocalBoxFuture<'a, Result<(), LoginError>> {
        Box::pin(LoginState::logout(self, req))
    }

    fn confirm(&self, req: &HttpRequest) -> Result<(), LoginError> {
        LoginState::confirm(self, req)
    }

    fn login_id(&self, session: &Session) -> Option<String> {
        get_string(session, self.m.keys.user_id)
    }

    fn is_fresh(&self, session: &Session) -> bool {
        LoginState::fresh(self, session)
    }

    fn remembered(&self, headers: &HeaderMap) -> bool {
        if self.remember.get() == RememberOp::Clear {
            return false;
        }
        crate::remember::read_cookie(headers, &self.m.cookie.name, self.m.profile)
            .is_some_and(|value| self.m.signer.decode(&value).is_some())
    }

    fn unauthorized(&self, req: &HttpRequest) -> HttpResponse {
        self.unauthorized_response(req)
    }

    fn needs_refresh(&self, req: &HttpRequest) -> HttpResponse {
        self.needs_refresh_response(req)
    }

    fn anonymous_redirect(&self) -> &str {
        &self.m.anonymous_redirect
    }

    fn exempt_options(&self) -> bool {
        self.m.rules.exempt_options
    }

    fn permissions(&self) -> &dyn crate::permission::ErasedPermissions {
        self
    }
}
