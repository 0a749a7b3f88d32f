//! [`LoginState`]: one request's login — the user once loaded, and what the
//! response must do to the remember cookie. The middleware makes it
//! reachable while the request is handled ([`scope`](crate::scope)); the
//! extractors and functions find it there.

use std::{
    any::Any,
    cell::{Cell, RefCell},
    future::{ready, Future},
    rc::Rc,
    sync::Arc,
    task::{Context, Poll},
};

use actix_session::{Session, SessionExt};
use actix_web::HttpRequest;
use futures_util::future::LocalBoxFuture;
use serde::Serialize;

use crate::{
    keys::{AUTH_HASH, FRESH, FRESH_AT, ID, PERMANENT, REMEMBER_SECONDS},
    manager::Inner,
    protection::{stored_identifier, stored_matches},
    remember::{find_cookie, read_cookie},
    signals::Signal,
    user::{LoaderError, User},
    LoginOptions, Profile, SessionProtection,
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

/// A single-threaded async lock around the load: uncontended (the usual
/// case: one extractor asks) it is a flag; a second extractor of the same
/// request waits for the first to finish. Released on drop, so a cancelled
/// load lets the next asker try again.
#[derive(Default)]
struct LoadLock {
    held: Cell<bool>,
    waiters: RefCell<Vec<std::task::Waker>>,
}

struct LoadGuard<'a>(&'a LoadLock);

impl Drop for LoadGuard<'_> {
    fn drop(&mut self) {
        self.0.held.set(false);
        if self.0.waiters.borrow().is_empty() {
            return;
        }
        for waker in self.0.waiters.borrow_mut().drain(..) {
            waker.wake();
        }
    }
}

impl LoadLock {
    async fn lock(&self) -> LoadGuard<'_> {
        std::future::poll_fn(|cx| {
            if self.held.get() {
                self.waiters.borrow_mut().push(cx.waker().clone());
                std::task::Poll::Pending
            } else {
                self.held.set(true);
                std::task::Poll::Ready(())
            }
        })
        .await;
        LoadGuard(self)
    }
}

/// Holds the [`LoadLock`] of a state for a load that may outlive a borrow
/// of it (the extractors' in-place load and its continuation).
pub(crate) struct HeldLoad<U: User>(Rc<LoginState<U>>);

impl<U: User> HeldLoad<U> {
    fn take(state: Rc<LoginState<U>>) -> Self {
        state.loading.held.set(true);
        HeldLoad(state)
    }
}

impl<U: User> Drop for HeldLoad<U> {
    fn drop(&mut self) {
        drop(LoadGuard(&self.0.loading));
    }
}

/// Where a lazy load stands after protection.
enum Begin {
    /// Strong protection dropped the login.
    Dropped,
    /// The session's user id, if any.
    Id(Option<String>),
}

/// What [`ErasedState::load_now`] did.
pub(crate) enum LoadNow {
    /// Loaded (or failed) in place.
    Done(Result<(), actix_web::Error>),
    /// The rest of the load, to poll until it is done.
    Later(LocalBoxFuture<'static, Result<(), actix_web::Error>>),
}

/// What a verified remember cookie yields.
enum CookieUser<U> {
    /// Refused (an auth-hash tag that does not match).
    Rejected,
    /// The loader's answer for the cookie's id.
    Loaded(Option<U>, String),
}

/// The user of the request, once something asked for it.
pub(crate) enum Loaded<U> {
    NotYet,
    Anonymous,
    User(Rc<U>),
}

/// One request's login state.
pub(crate) struct LoginState<U: User> {
    pub(crate) m: Arc<Inner<U>>,
    loaded: RefCell<Loaded<U>>,
    /// Held while the loader runs, so two extractors of one request that ask
    /// at the same time load once.
    loading: LoadLock,
    pub(crate) remember: Cell<RememberOp>,
    /// With [`RememberOp::Set`]: the cookie payload and lifetime, fixed when
    /// the login happened (so the response needs nothing from the session).
    pub(crate) remember_set: RefCell<Option<(String, std::time::Duration)>>,
    /// The session was empty when the middleware saw the request (eager
    /// profile only; `false` otherwise): see [`check_order`](Self::check_order).
    entry_empty: bool,
    /// This request's login wrote the user id (login, cookie restore).
    wrote_user_id: Cell<bool>,
}

/// The type-erased view of a [`LoginState`] that the non-generic guards and
/// functions use.
pub(crate) trait ErasedState {
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Rc<Self>) -> Rc<dyn Any>;
    /// Loads the user (unless loaded): in place when it can, else the rest
    /// as a future (see [`LoginState::load_now`]).
    fn load_now(self: Rc<Self>, req: &HttpRequest, cx: &mut Context<'_>) -> LoadNow;
    fn is_loaded(&self) -> bool;
    fn check_order(&self, req: &HttpRequest) -> Result<(), actix_web::Error>;
    fn is_authenticated(&self) -> bool;
    fn is_fresh(&self, req: &HttpRequest) -> bool;
    fn logout<'a>(
        &'a self,
        req: &'a HttpRequest,
    ) -> LocalBoxFuture<'a, Result<(), actix_web::Error>>;
    fn confirm(&self, req: &HttpRequest) -> Result<(), actix_web::Error>;
    fn remembered(&self, req: &HttpRequest) -> bool;
    fn unauthorized(&self, req: &HttpRequest) -> actix_web::HttpResponse;
    fn needs_refresh(&self, req: &HttpRequest) -> actix_web::HttpResponse;
    fn anonymous_redirect(&self) -> &str;
    fn options_exempt(&self) -> bool;
}

/// A request's state.
#[derive(Clone)]
pub(crate) struct StateHandle(pub(crate) Rc<dyn ErasedState>);

/// Where a request's [`LoginState`] comes from: the middleware's
/// [`StatePool`], seen without its user type.
pub(crate) trait StateSource {
    fn make(&self) -> Rc<dyn ErasedState>;
}

/// The states of one middleware instance (one per worker thread): finished
/// ones are reset and reused, so a request that asks for its user allocates
/// nothing for its state.
pub(crate) struct StatePool<U: User> {
    pub(crate) m: Arc<Inner<U>>,
    free: RefCell<Vec<Rc<LoginState<U>>>>,
}

/// Finished states kept per worker; more are simply dropped.
const POOLED_STATES: usize = 32;

impl<U: User> StatePool<U> {
    pub(crate) fn new(m: Arc<Inner<U>>) -> Self {
        StatePool {
            m,
            free: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn take(&self, entry_empty: bool) -> Rc<LoginState<U>> {
        match self.free.borrow_mut().pop() {
            Some(mut state) => {
                if let Some(s) = Rc::get_mut(&mut state) {
                    s.entry_empty = entry_empty;
                }
                state
            }
            None => Rc::new(LoginState::new(self.m.clone(), entry_empty)),
        }
    }

    /// Takes a finished request's state back, if nothing else holds it
    /// (a handler may have kept a clone in a spawned task).
    pub(crate) fn give_back(&self, mut state: Rc<LoginState<U>>) {
        let Some(s) = Rc::get_mut(&mut state) else {
            return;
        };
        s.reset();
        let mut free = self.free.borrow_mut();
        if free.len() < POOLED_STATES {
            free.push(state);
        }
    }
}

impl<U: User> StateSource for StatePool<U> {
    fn make(&self) -> Rc<dyn ErasedState> {
        self.take(false)
    }
}

const MISSING: &str = "actix-login: no LoginManager middleware around this code. Register it \
    with `App::new().wrap(login_manager).wrap(SessionMiddleware::new(..))` — the login manager \
    first, so that it runs inside the session middleware — and use the login functions and \
    extractors in handlers or in middleware registered before it (inside it)";

/// The request's erased state, or a 500 that says how to fix the app.
///
/// The request is the one being handled: the state is found through
/// [`scope`](crate::scope), not through `req`.
pub(crate) fn handle(_req: &HttpRequest) -> Result<StateHandle, actix_web::Error> {
    match crate::scope::current_state() {
        Some(state) => Ok(StateHandle(state)),
        None => {
            tracing::error!("{MISSING}");
            Err(actix_web::error::ErrorInternalServerError(MISSING))
        }
    }
}

/// The request's state for user type `U`.
pub(crate) fn typed<U: User>(req: &HttpRequest) -> Result<StateHandle, actix_web::Error> {
    let h = handle(req)?;
    if h.0.as_any().downcast_ref::<LoginState<U>>().is_none() {
        let msg = format!(
            "actix-login: asked for user type `{}`, but the LoginManager on this route loads another type",
            std::any::type_name::<U>()
        );
        tracing::error!("{msg}");
        return Err(actix_web::error::ErrorInternalServerError(msg));
    }
    Ok(h)
}

pub(crate) fn as_state<U: User>(h: &StateHandle) -> &LoginState<U> {
    h.0.as_any()
        .downcast_ref::<LoginState<U>>()
        .expect("checked by typed()")
}

// --- session access: reads tolerate malformed values, writes only on change ---

pub(crate) fn get_string(session: &Session, key: &str) -> Option<String> {
    let entries = session.entries();
    let raw = entries.get(key)?;
    match raw.as_bytes().first() {
        // The common case, a plain JSON string, without a parser.
        Some(b'"')
            if raw.len() >= 2
                && raw.ends_with('"')
                && !raw.as_bytes()[1..raw.len() - 1]
                    .iter()
                    .any(|&b| b == b'"' || b == b'\\') =>
        {
            Some(raw[1..raw.len() - 1].to_owned())
        }
        Some(b'"') => serde_json::from_str::<String>(raw).ok(),
        // Flask keeps an int id as an int; read it as its text.
        Some(b'-' | b'0'..=b'9') => serde_json::from_str::<serde_json::Number>(raw)
            .ok()
            .map(|n| n.to_string()),
        _ => {
            tracing::warn!(key, "ignoring a malformed session value");
            None
        }
    }
}

pub(crate) fn get_bool(session: &Session, key: &str) -> Option<bool> {
    match session.entries().get(key).map(String::as_str) {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

/// Inserts `value` unless the session already holds exactly it, so a steady
/// request never makes the session store write.
pub(crate) fn put<T: Serialize + ?Sized>(
    session: &Session,
    key: &str,
    value: &T,
) -> Result<(), actix_web::Error> {
    // Serialized to compare only when there is something to compare with
    // (`insert` serializes again).
    let unchanged = match session.entries().get(key) {
        Some(stored) => {
            serde_json::to_string(value).map_err(actix_web::error::ErrorInternalServerError)?
                == *stored
        }
        None => false,
    };
    if unchanged {
        return Ok(());
    }
    session
        .insert(key, value)
        .map_err(actix_web::error::ErrorInternalServerError)
}

/// Records freshness. A fresh login is stored as the absence of `_fresh`
/// beside the user id (Flask stores `true`): the session cookie, which every
/// request verifies and parses, stays as small as the id alone. A stale login
/// stores `false`; without a user id (Flask's `confirm_login` on an anonymous
/// session) `true` is stored as Flask does.
pub(crate) fn set_fresh(
    session: &Session,
    user_id_key: &str,
    fresh: bool,
) -> Result<(), actix_web::Error> {
    if fresh && session.contains_key(user_id_key) {
        take(session, FRESH);
        Ok(())
    } else {
        put(session, FRESH, &fresh)
    }
}

/// Flask's `session.get("_fresh", False)`, with [`set_fresh`]'s encoding.
pub(crate) fn fresh_flag(session: &Session, user_id_key: &str) -> bool {
    get_bool(session, FRESH).unwrap_or_else(|| session.contains_key(user_id_key))
}

/// Removes `key` if present (`remove` of an absent key would still mark the
/// session changed).
pub(crate) fn take(session: &Session, key: &str) {
    if session.contains_key(key) {
        session.remove(key);
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl<U: User> LoginState<U> {
    pub(crate) fn new(m: Arc<Inner<U>>, entry_empty: bool) -> Self {
        LoginState {
            m,
            loaded: RefCell::new(Loaded::NotYet),
            loading: LoadLock::default(),
            remember: Cell::new(RememberOp::Keep),
            remember_set: RefCell::new(None),
            entry_empty,
            wrote_user_id: Cell::new(false),
        }
    }

    /// Makes a finished request's state as good as new, for the next request.
    /// Every field is named, so a new one cannot be forgotten here.
    fn reset(&mut self) {
        let LoginState {
            m: _,
            loaded,
            loading,
            remember,
            remember_set,
            entry_empty,
            wrote_user_id,
        } = self;
        *loaded.get_mut() = Loaded::NotYet;
        loading.held.set(false);
        loading.waiters.get_mut().clear();
        remember.set(RememberOp::Keep);
        *remember_set.get_mut() = None;
        *entry_empty = false;
        wrote_user_id.set(false);
    }

    /// Refuses to work when the login middleware was wrapped outside the
    /// session middleware: it would see an empty session and log everybody
    /// out without a word. The tell: the session was empty when this
    /// middleware saw the request, yet it now names a user that this
    /// request's login did not write — the session middleware loaded it
    /// later, so it runs inside this one.
    pub(crate) fn check_order(&self, req: &HttpRequest) -> Result<(), actix_web::Error> {
        if !self.entry_empty || self.wrote_user_id.get() {
            return Ok(());
        }
        if req.get_session().contains_key(self.m.keys.user_id) {
            const MSG: &str =
                "actix-login: the LoginManager middleware runs outside SessionMiddleware, \
                so it cannot see the session. Register it first: \
                `App::new().wrap(login_manager).wrap(SessionMiddleware::new(..))`";
            tracing::error!("{MSG}");
            return Err(actix_web::error::ErrorInternalServerError(MSG));
        }
        Ok(())
    }

    /// The loaded user, `None` when anonymous or not loaded yet.
    pub(crate) fn user(&self) -> Option<Rc<U>> {
        match &*self.loaded.borrow() {
            Loaded::User(u) => Some(u.clone()),
            _ => None,
        }
    }

    pub(crate) fn cookie_sent(&self, req: &HttpRequest) -> bool {
        find_cookie(req.headers(), &self.m.cookie.name, self.m.profile).is_some()
    }

    fn identifier(&self, req: &HttpRequest) -> Rc<str> {
        stored_identifier(req, self.m.profile, &self.m.trusted_proxies)
    }

    /// Stores this request's identifier, for session protection to compare
    /// later. Without protection nothing ever reads it, so it is not stored.
    pub(crate) fn store_identifier(
        &self,
        session: &Session,
        req: &HttpRequest,
    ) -> Result<(), actix_web::Error> {
        if self.m.protection == SessionProtection::Off {
            return Ok(());
        }
        put(session, ID, &*self.identifier(req))
    }

    fn permanent(&self, session: &Session) -> bool {
        self.m.permanent_sessions || get_bool(session, PERMANENT) == Some(true)
    }

    pub(crate) fn authenticated_user(&self, user: &U) -> bool {
        user.is_authenticated() && (self.m.profile == Profile::V0_2_4 || user.is_active())
    }

    /// The keyed digest of a user's session auth hash, as stored in the
    /// session: never the raw bytes (they may be a password hash, and a
    /// cookie-store session is readable by the client).
    pub(crate) fn auth_digest(&self, user: &U) -> Option<String> {
        user.session_auth_hash()
            .map(|h| self.m.signer.auth_digest(&h))
    }

    /// Loads the user unless something already did in this request.
    pub(crate) async fn ensure_loaded(&self, req: &HttpRequest) -> Result<(), actix_web::Error> {
        self.check_order(req)?;
        if !matches!(*self.loaded.borrow(), Loaded::NotYet) {
            return Ok(());
        }
        let _guard = self.loading.lock().await;
        if !matches!(*self.loaded.borrow(), Loaded::NotYet) {
            return Ok(());
        }
        let loaded = match self.m.profile {
            Profile::V0_6_3 => self.load_lazy(req).await?,
            Profile::V0_2_4 => self.load_eager(req).await?,
        };
        *self.loaded.borrow_mut() = loaded;
        Ok(())
    }

    fn loaded(user: Option<U>) -> Loaded<U> {
        match user {
            Some(u) => Loaded::User(Rc::new(u)),
            None => Loaded::Anonymous,
        }
    }

    async fn call_loader(
        &self,
        id: &str,
        req: &HttpRequest,
    ) -> Result<Option<U>, actix_web::Error> {
        let answer = match self.m.loader.load_now(id, req) {
            Some(answer) => answer,
            None => self.m.loader.load(id, req).await,
        };
        answer.map_err(LoaderError::into_response_error)
    }

    /// Flask-Login 0.6.3's `_load_user`: protection, then the session's id,
    /// then the remember cookie or the request loader.
    async fn load_lazy(&self, req: &HttpRequest) -> Result<Loaded<U>, actix_web::Error> {
        let session = req.get_session();
        let id = match self.begin_lazy(req, &session)? {
            Begin::Dropped => return Ok(Loaded::Anonymous),
            Begin::Id(id) => id,
        };
        let user = match &id {
            Some(id) => self.call_loader(id, req).await?,
            None => None,
        };
        self.finish_lazy(req, &session, id, user).await
    }

    /// The part of [`load_lazy`](Self::load_lazy) before the loader: the
    /// signal, protection, the session's id.
    fn begin_lazy(&self, req: &HttpRequest, session: &Session) -> Result<Begin, actix_web::Error> {
        self.m.send(Signal::Accessed, req, None);
        if self.protection_lazy(req, session)? {
            return Ok(Begin::Dropped);
        }
        Ok(Begin::Id(get_string(session, self.m.keys.user_id)))
    }

    /// The part of [`load_lazy`](Self::load_lazy) after the loader answered
    /// for the session's id (`None`: there was none): the auth hash check,
    /// then the remember cookie or the request loader.
    async fn finish_lazy(
        &self,
        req: &HttpRequest,
        session: &Session,
        id: Option<String>,
        mut user: Option<U>,
    ) -> Result<Loaded<U>, actix_web::Error> {
        if let (Some(id), Some(u)) = (&id, &user) {
            if !self.session_hash_matches(session, u) {
                self.revoke(req, session, id);
                return Ok(Loaded::Anonymous);
            }
        }
        if user.is_none() {
            let from_cookie = match self.remember.get() {
                RememberOp::Clear => None,
                _ => self.load_from_cookie(req, session).await?,
            };
            match from_cookie {
                Some(restored) => user = restored,
                // The request loader is asked only without a remember
                // cookie, as in Flask-Login.
                None => return self.load_from_request(req).await,
            }
        }
        Ok(Self::loaded(user))
    }

    /// Loads in place when it can: the lazy profile, nobody loading yet, a
    /// session user and a loader that answers on its first poll — the
    /// common request, with one boxed loader call and no other future. Any
    /// other case continues as a boxed future, from where this one stopped.
    fn load_now(self: Rc<Self>, req: &HttpRequest, cx: &mut Context<'_>) -> LoadNow {
        if self.is_loaded() {
            return LoadNow::Done(self.check_order(req));
        }
        if self.m.profile.eager() || self.loading.held.get() {
            let req = req.clone();
            return LoadNow::Later(Box::pin(async move { self.ensure_loaded(&req).await }));
        }
        let lock = HeldLoad::take(self.clone());
        let session = req.get_session();
        let id = match self.begin_lazy(req, &session) {
            Ok(Begin::Id(Some(id))) => id,
            Ok(Begin::Id(None)) => {
                return self.finish_later(lock, req, session, ready((None, Ok(None))))
            }
            Ok(Begin::Dropped) => return self.set_loaded(Loaded::Anonymous, lock),
            Err(err) => return LoadNow::Done(Err(err)),
        };
        let (id, answer) = match self.m.loader.load_now(&id, req) {
            Some(answer) => (id, answer),
            None => {
                let mut load = self.m.loader.clone().load_owned(id, req.clone());
                match load.as_mut().poll(cx) {
                    Poll::Ready(answer) => answer,
                    Poll::Pending => {
                        let rest = async move {
                            let (id, answer) = load.await;
                            (Some(id), answer)
                        };
                        return self.finish_later(lock, req, session, rest);
                    }
                }
            }
        };
        match answer {
            Ok(Some(user)) if self.session_hash_matches(&session, &user) => {
                self.set_loaded(Loaded::User(Rc::new(user)), lock)
            }
            Err(err) => LoadNow::Done(Err(err.into_response_error())),
            Ok(user) => self.finish_later(lock, req, session, ready((Some(id), Ok(user)))),
        }
    }

    fn set_loaded(&self, loaded: Loaded<U>, lock: HeldLoad<U>) -> LoadNow {
        *self.loaded.borrow_mut() = loaded;
        drop(lock);
        LoadNow::Done(Ok(()))
    }

    /// The rest of an in-place load, as a future: the loader's answer (with
    /// the session's id) once `answer` gives it, then
    /// [`finish_lazy`](Self::finish_lazy).
    fn finish_later(
        self: Rc<Self>,
        lock: HeldLoad<U>,
        req: &HttpRequest,
        session: Session,
        answer: impl Future<Output = (Option<String>, Result<Option<U>, LoaderError>)> + 'static,
    ) -> LoadNow {
        let req = req.clone();
        LoadNow::Later(Box::pin(async move {
            let (id, answer) = answer.await;
            let user = answer.map_err(LoaderError::into_response_error)?;
            let loaded = self.finish_lazy(&req, &session, id, user).await?;
            *self.loaded.borrow_mut() = loaded;
            drop(lock);
            Ok(())
        }))
    }

    /// Flask-Login 0.2.4's `_load_user`, run before every request:
    /// protection (storing a missing identifier), then the remember cookie if
    /// the session has no user, else the session's user.
    async fn load_eager(&self, req: &HttpRequest) -> Result<Loaded<U>, actix_web::Error> {
        let m = &*self.m;
        let session = req.get_session();
        if m.protection != SessionProtection::Off && self.protection_eager(req, &session)? {
            return self.reload_eager(req, &session).await;
        }
        if !session.contains_key(m.keys.user_id) {
            if let Some(user) = self.load_from_cookie(req, &session).await? {
                return Ok(Self::loaded(user));
            }
        }
        match self.reload_eager(req, &session).await? {
            // Flask-Login 0.2.4 had no request loader; when one is set it
            // gets the same chance as in the lazy profile.
            Loaded::Anonymous if !self.cookie_sent(req) => self.load_from_request(req).await,
            loaded => Ok(loaded),
        }
    }

    async fn load_from_request(&self, req: &HttpRequest) -> Result<Loaded<U>, actix_web::Error> {
        let Some(rl) = &self.m.request_loader else {
            return Ok(Loaded::Anonymous);
        };
        let user = rl
            .load(req)
            .await
            .map_err(LoaderError::into_response_error)?;
        if let Some(u) = &user {
            tracing::debug!(user.id = %u.get_id(), "user loaded from the request");
            self.m.send(Signal::LoadedFromRequest, req, Some(u));
        }
        Ok(Self::loaded(user))
    }

    /// 0.2.4's `reload_user`: a user the loader no longer knows is logged out
    /// (and a remember cookie the request carried is deleted).
    async fn reload_eager(
        &self,
        req: &HttpRequest,
        session: &Session,
    ) -> Result<Loaded<U>, actix_web::Error> {
        let Some(id) = get_string(session, self.m.keys.user_id) else {
            return Ok(Loaded::Anonymous);
        };
        match self.call_loader(&id, req).await? {
            Some(u) if self.session_hash_matches(session, &u) => Ok(Loaded::User(Rc::new(u))),
            Some(_) => {
                self.revoke(req, session, &id);
                Ok(Loaded::Anonymous)
            }
            None => {
                take(session, self.m.keys.user_id);
                take(session, FRESH);
                if self.cookie_sent(req) {
                    self.remember.set(RememberOp::Clear);
                }
                Ok(Loaded::Anonymous)
            }
        }
    }

    /// The session's stored auth hash digest matches the user's (or neither
    /// has one). Compared in constant time.
    fn session_hash_matches(&self, session: &Session, user: &U) -> bool {
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
        for key in self.m.keys.login_keys() {
            take(session, key);
        }
        if self.cookie_sent(req) {
            self.remember.set(RememberOp::Clear);
        }
    }

    /// Restores the user from the remember cookie: `None` when the request
    /// has none, `Some(None)` for a forged or malformed one (logged without
    /// its value) or one whose user is gone.
    async fn load_from_cookie(
        &self,
        req: &HttpRequest,
        session: &Session,
    ) -> Result<Option<Option<U>>, actix_web::Error> {
        let m = &*self.m;
        let Some(value) = read_cookie(req.headers(), &m.cookie.name, m.profile) else {
            return Ok(None);
        };
        Ok(Some(self.restore(req, session, &value).await?))
    }

    async fn restore(
        &self,
        req: &HttpRequest,
        session: &Session,
        value: &[u8],
    ) -> Result<Option<U>, actix_web::Error> {
        let m = &*self.m;
        let Some(payload) = m.signer.decode(value) else {
            tracing::debug!(cookie = %m.cookie.name, "rejected a remember cookie with a bad signature");
            return Ok(None);
        };
        let (user, id) = match &m.token_loader {
            Some(tl) => {
                let user = tl
                    .load(payload, req)
                    .await
                    .map_err(LoaderError::into_response_error)?;
                let Some(user) = user else { return Ok(None) };
                let id = user.get_id();
                (Some(user), id)
            }
            None => match self.load_cookie_payload(payload, req).await? {
                CookieUser::Rejected => return Ok(None),
                CookieUser::Loaded(user, id) => (user, id),
            },
        };
        if m.profile == Profile::V0_2_4 && user.is_none() {
            // 0.2.4 stores the id, reloads, finds no user and logs out,
            // which deletes the cookie.
            self.remember.set(RememberOp::Clear);
            return Ok(None);
        }
        // Flask-Login writes these before calling the loader; they are
        // written after it answered, so a failing loader changes nothing.
        put(session, m.keys.user_id, &id)?;
        self.wrote_user_id.set(true);
        put(session, FRESH, &false)?;
        if let Some(u) = &user {
            if m.profile == Profile::V0_6_3 {
                // Upstream #685: without the identifier, the next request
                // would trip session protection (DIFFERENCES.md F1).
                self.store_identifier(session, req)?;
            }
            if let Some(digest) = self.auth_digest(u) {
                put(session, AUTH_HASH, &digest)?;
            }
            tracing::info!(user.id = %id, "user restored from the remember cookie");
            m.send(Signal::LoadedFromCookie, req, Some(u));
        }
        Ok(user)
    }

    /// The user a verified cookie payload names. The payload is the id, or
    /// — for users with a [`session_auth_hash`](User::session_auth_hash) —
    /// the id, `|~` and a tag of that hash. A tag is honoured only if the
    /// user it names has an auth hash with that tag; otherwise the whole
    /// payload is the id, as in Flask-Login. So an id that merely ends like
    /// a tag (`admin|~0123456789abcdef`) never logs in `admin`.
    async fn load_cookie_payload(
        &self,
        payload: &str,
        req: &HttpRequest,
    ) -> Result<CookieUser<U>, actix_web::Error> {
        use subtle::ConstantTimeEq;
        if let (id, Some(tag)) = crate::remember::split_auth_tag(payload) {
            if let Some(user) = self.call_loader(id, req).await? {
                if let Some(digest) = self.auth_digest(&user) {
                    let want = &digest.as_bytes()[..crate::remember::AUTH_TAG_LEN];
                    if bool::from(tag.as_bytes().ct_eq(want)) {
                        return Ok(CookieUser::Loaded(Some(user), id.to_owned()));
                    }
                    tracing::info!(user.id = %id, "remember cookie predates a credential change: ignored");
                    return Ok(CookieUser::Rejected);
                }
            }
        }
        let user = self.call_loader(payload, req).await?;
        if let Some(u) = &user {
            if self.auth_digest(u).is_some() {
                // Issued before the user had an auth hash, or forged from an
                // untagged one: either way it cannot prove the credentials.
                tracing::info!(user.id = %payload, "untagged remember cookie for a user with an auth hash: ignored");
                return Ok(CookieUser::Rejected);
            }
        }
        Ok(CookieUser::Loaded(user, payload.to_owned()))
    }

    /// 0.6.3 protection, run at load: a non-empty session whose identifier
    /// differs. Returns `true` when the login was dropped (strong).
    fn protection_lazy(
        &self,
        req: &HttpRequest,
        session: &Session,
    ) -> Result<bool, actix_web::Error> {
        let m = &*self.m;
        if m.protection == SessionProtection::Off || session.entries().is_empty() {
            return Ok(false);
        }
        let ident = self.identifier(req);
        if stored_matches(session.entries().get(ID), &ident) {
            return Ok(false);
        }
        if m.protection == SessionProtection::Basic || self.permanent(session) {
            if get_bool(session, FRESH) != Some(false) {
                put(session, FRESH, &false)?;
            }
            tracing::info!("session protection: identifier changed, login marked non-fresh");
            m.send(Signal::SessionProtected, req, None);
            return Ok(false);
        }
        for key in m.keys.login_keys() {
            take(session, key);
        }
        // Upstream #538: only a cookie the client has needs deleting.
        if self.cookie_sent(req) {
            self.remember.set(RememberOp::Clear);
        }
        tracing::info!("session protection: identifier changed, session logged out (strong)");
        m.send(Signal::SessionProtected, req, None);
        Ok(true)
    }

    /// 0.2.4 protection, run before every request: a missing identifier is
    /// stored; a different one marks the login stale (basic) or clears the
    /// session (strong).
    fn protection_eager(
        &self,
        req: &HttpRequest,
        session: &Session,
    ) -> Result<bool, actix_web::Error> {
        let m = &*self.m;
        let ident = self.identifier(req);
        let stored = session
            .entries()
            .get(ID)
            .map(|raw| stored_matches(Some(raw), &ident));
        match stored {
            None => {
                put(session, ID, &*ident)?;
                Ok(false)
            }
            Some(true) => Ok(false),
            Some(false) => {
                if m.protection == SessionProtection::Basic || self.permanent(session) {
                    put(session, FRESH, &false)?;
                    tracing::info!(
                        "session protection: identifier changed, login marked non-fresh"
                    );
                    m.send(Signal::SessionProtected, req, None);
                    return Ok(false);
                }
                session.clear();
                if self.cookie_sent(req) {
                    self.remember.set(RememberOp::Clear);
                }
                tracing::info!("session protection: identifier changed, session cleared (strong)");
                m.send(Signal::SessionProtected, req, None);
                Ok(true)
            }
        }
    }

    pub(crate) fn login(
        &self,
        req: &HttpRequest,
        user: U,
        opts: LoginOptions,
    ) -> Result<bool, actix_web::Error> {
        let m = &*self.m;
        if !opts.force && !user.is_active() {
            tracing::info!(user.id = %user.get_id(), "login refused: inactive user");
            return Ok(false);
        }
        let session = req.get_session();
        let id = user.get_id();
        put(&session, m.keys.user_id, &id)?;
        self.wrote_user_id.set(true);
        set_fresh(&session, m.keys.user_id, opts.fresh)?;
        if m.fresh_max_age.is_some() && opts.fresh {
            put(&session, FRESH_AT, &now_secs())?;
        }
        if m.profile == Profile::V0_6_3 {
            self.store_identifier(&session, req)?;
        }
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
            // (Flask reads the session's id when the response goes out),
            // for this login's duration, else the session's, else the
            // configured one.
            let payload = match &m.token_loader {
                Some(_) => user.get_auth_token(),
                None => Some(crate::remember::payload_with_tag(&id, digest.as_deref())),
            };
            let lifetime = opts
                .duration
                .or_else(|| {
                    session
                        .get::<f64>(REMEMBER_SECONDS)
                        .ok()
                        .flatten()
                        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
                })
                .unwrap_or(m.cookie.duration);
            if payload.is_none() {
                tracing::warn!(user.id = %id, "token loader registered but the user has no auth token; remember cookie not set");
            }
            *self.remember_set.borrow_mut() = payload.map(|p| (p, lifetime));
        }
        // A session id known before the login is worthless after it.
        session.renew();
        tracing::info!(user.id = %id, remember = opts.remember, fresh = opts.fresh, "user logged in");
        let user = Rc::new(user);
        *self.loaded.borrow_mut() = Loaded::User(user.clone());
        m.send(Signal::LoggedIn, req, Some(&user));
        Ok(true)
    }

    pub(crate) async fn logout(&self, req: &HttpRequest) -> Result<(), actix_web::Error> {
        let m = &*self.m;
        self.ensure_loaded(req).await?;
        let user = self.user();
        let session = req.get_session();
        take(&session, m.keys.user_id);
        take(&session, FRESH);
        take(&session, FRESH_AT);
        take(&session, AUTH_HASH);
        if m.profile == Profile::V0_6_3 {
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
            Some(u) => tracing::info!(user.id = %u.get_id(), "user logged out"),
            None => tracing::debug!("logout without a logged-in user"),
        }
        if m.profile == Profile::V0_6_3 || user.is_some() {
            m.send(Signal::LoggedOut, req, user.as_deref());
        }
        *self.loaded.borrow_mut() = Loaded::Anonymous;
        Ok(())
    }

    pub(crate) fn confirm(&self, req: &HttpRequest) -> Result<(), actix_web::Error> {
        let session = req.get_session();
        set_fresh(&session, self.m.keys.user_id, true)?;
        self.store_identifier(&session, req)?;
        if self.m.fresh_max_age.is_some() {
            put(&session, FRESH_AT, &now_secs())?;
        }
        let user = self.user();
        self.m.send(Signal::LoginConfirmed, req, user.as_deref());
        Ok(())
    }

    pub(crate) fn fresh(&self, req: &HttpRequest) -> bool {
        let session = req.get_session();
        if !fresh_flag(&session, self.m.keys.user_id) {
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

impl<U: User> ErasedState for LoginState<U> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Rc<Self>) -> Rc<dyn Any> {
        self
    }

    fn load_now(self: Rc<Self>, req: &HttpRequest, cx: &mut Context<'_>) -> LoadNow {
        LoginState::load_now(self, req, cx)
    }

    fn is_loaded(&self) -> bool {
        !matches!(*self.loaded.borrow(), Loaded::NotYet)
    }

    fn check_order(&self, req: &HttpRequest) -> Result<(), actix_web::Error> {
        LoginState::check_order(self, req)
    }

    fn is_authenticated(&self) -> bool {
        match &*self.loaded.borrow() {
            Loaded::User(u) => self.authenticated_user(u),
            _ => false,
        }
    }

    fn is_fresh(&self, req: &HttpRequest) -> bool {
        self.fresh(req)
    }

    fn logout<'a>(
        &'a self,
        req: &'a HttpRequest,
    ) -> LocalBoxFuture<'a, Result<(), actix_web::Error>> {
        Box::pin(LoginState::logout(self, req))
    }

    fn confirm(&self, req: &HttpRequest) -> Result<(), actix_web::Error> {
        LoginState::confirm(self, req)
    }

    fn remembered(&self, req: &HttpRequest) -> bool {
        if self.remember.get() == RememberOp::Clear {
            return false;
        }
        read_cookie(req.headers(), &self.m.cookie.name, self.m.profile)
            .is_some_and(|value| self.m.signer.decode(&value).is_some())
    }

    fn unauthorized(&self, req: &HttpRequest) -> actix_web::HttpResponse {
        self.unauthorized_response(req)
    }

    fn needs_refresh(&self, req: &HttpRequest) -> actix_web::HttpResponse {
        self.needs_refresh_response(req)
    }

    fn anonymous_redirect(&self) -> &str {
        &self.m.anonymous_redirect
    }

    fn options_exempt(&self) -> bool {
        self.m.profile == Profile::V0_6_3
    }
}
