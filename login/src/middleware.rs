//! The actix middleware: makes each request's login reachable while the
//! request is handled ([`scope`](crate::scope)), and on the way out sets or
//! deletes the remember cookie.

use std::{
    future::{ready, Future, Ready},
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
    time::Duration,
};

use actix_session::SessionExt;
use actix_web::{
    body::MessageBody,
    dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform},
    http::header::{HeaderValue, SET_COOKIE},
    Error,
};
use futures_util::future::{Either, LocalBoxFuture};

use crate::{
    keys::{AUTH_HASH, REMEMBER_SECONDS},
    manager::{Inner, LoginManager},
    remember::{
        delete_cookie_header, payload_with_tag, read_cookie, set_cookie_header, split_auth_tag,
    },
    scope::{Scope, SourceId},
    state::{get_string, LoginState, RememberOp, StatePool},
    user::User,
};

impl<S, B, U> Transform<S, ServiceRequest> for LoginManager<U>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    U: User,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = LoginMiddleware<S, U>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let pool = Rc::new(StatePool::new(self.inner.clone()));
        ready(Ok(LoginMiddleware {
            service: Rc::new(service),
            source: Rc::new(SourceId::register(pool.clone())),
            pool,
        }))
    }
}

/// The service [`LoginManager`] wraps around an app's services.
pub struct LoginMiddleware<S, U: User> {
    service: Rc<S>,
    pool: Rc<StatePool<U>>,
    source: Rc<SourceId>,
}

type EagerFuture<B> = LocalBoxFuture<'static, Result<ServiceResponse<B>, Error>>;

impl<S, B, U> Service<ServiceRequest> for LoginMiddleware<S, U>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    U: User,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LoginFuture<Either<S::Future, EagerFuture<B>>, U>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let future = |fut: Either<S::Future, EagerFuture<B>>, scope| LoginFuture {
            fut,
            scope,
            pool: self.pool.clone(),
        };
        #[cfg(feature = "test-helpers")]
        if let Err(err) = crate::testing::apply(&req, &self.pool.m) {
            return future(
                Either::Right(Box::pin(async move { Err(err) })),
                self.source.scope(),
            );
        }
        if !self.pool.m.profile.eager() {
            // The common path: no loading, no hashing, no boxing, nothing
            // put in the request. The state is made when something asks —
            // possibly already in an inner middleware's synchronous `call`.
            let mut scope = self.source.scope();
            let fut = scope.enter(|| self.service.call(req));
            return future(Either::Left(fut), scope);
        }
        // Flask-Login 0.2.4 loads the user before every request.
        let entry_empty = req.get_session().entries().is_empty();
        let state = self.pool.take(entry_empty);
        let scope = self.source.scope_with(state.clone());
        let service = self.service.clone();
        let eager: EagerFuture<B> = Box::pin(async move {
            let http = req.request().clone();
            // A failing loader answers 500 before the handler runs; the
            // error skips the session middleware's save, so the session
            // stays as it was.
            state.ensure_loaded(&http).await?;
            // Only the scope holds the state now, so the pool can take it
            // back when the response is done.
            drop((http, state));
            service.call(req).await
        });
        future(Either::Right(eager), scope)
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`LoginMiddleware`]: the inner service's, run
    /// as this request's login scope, then the remember cookie.
    #[doc(hidden)]
    pub struct LoginFuture<F, U: User> {
        #[pin]
        fut: F,
        scope: Scope,
        pool: Rc<StatePool<U>>,
    }
}

impl<F, B, U> Future for LoginFuture<F, U>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    U: User,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let fut = this.fut;
        // On an error the scope's drop frees the request's state.
        let mut res = match this.scope.enter(|| fut.poll(cx)) {
            Poll::Ready(Ok(res)) => res,
            other => return other,
        };
        // Only a request whose login was asked for can have set or cleared
        // the cookie; refreshing needs no state.
        let state = this
            .scope
            .finish()
            .and_then(|s| s.into_any().downcast::<LoginState<U>>().ok());
        match state {
            Some(state) => {
                write_remember_cookie(&state, &mut res);
                this.pool.give_back(state);
            }
            None if this.pool.m.cookie.refresh_each_request => {
                let m = &*this.pool.m;
                if let Some(header) = refreshed_cookie(m, None, &res) {
                    append_cookie(m, &header, &mut res);
                }
            }
            None => {}
        }
        Poll::Ready(Ok(res))
    }
}

/// Sets or deletes the remember cookie as the request's login asked.
fn write_remember_cookie<U: User, B>(state: &LoginState<U>, res: &mut ServiceResponse<B>) {
    let m = &*state.m;
    let header = match state.remember.get() {
        RememberOp::Clear => delete_cookie_header(&m.cookie, m.profile),
        RememberOp::Set => match &*state.remember_set.borrow() {
            Some((payload, lifetime)) => {
                set_cookie_header(&m.cookie, m.profile, &m.signer.encode(payload), *lifetime)
            }
            None => return,
        },
        RememberOp::Keep if m.cookie.refresh_each_request => {
            match refreshed_cookie(m, Some(state), res) {
                Some(header) => header,
                None => return,
            }
        }
        RememberOp::Keep => return,
    };
    append_cookie(m, &header, res);
}

fn append_cookie<U, B>(m: &Inner<U>, header: &str, res: &mut ServiceResponse<B>) {
    match HeaderValue::from_str(header) {
        Ok(value) => {
            res.headers_mut().append(SET_COOKIE, value);
        }
        Err(_) => tracing::error!(
            cookie = %m.cookie.name,
            "remember cookie name or attributes are not a valid header; not sent"
        ),
    }
}

/// Refresh-each-request: a new expiry for a request that carried a valid
/// remember cookie for the session's user, so a login without "remember me"
/// never gets one (upstream #824).
fn refreshed_cookie<U: User, B>(
    m: &Inner<U>,
    state: Option<&LoginState<U>>,
    res: &ServiceResponse<B>,
) -> Option<String> {
    let req = res.request();
    let value = read_cookie(req.headers(), &m.cookie.name, m.profile)?;
    let payload = m.signer.decode(&value)?;
    let session = req.get_session();
    if m.token_loader.is_none() {
        let (id, _) = split_auth_tag(payload);
        if get_string(&session, m.keys.user_id).as_deref() != Some(id) {
            return None;
        }
    }
    let payload = match &m.token_loader {
        // A token cookie is re-issued only when the user was loaded.
        Some(_) => state?.user()?.get_auth_token()?,
        None => {
            let id = get_string(&session, m.keys.user_id)?;
            payload_with_tag(&id, get_string(&session, AUTH_HASH).as_deref())
        }
    };
    let lifetime = session
        .get::<f64>(REMEMBER_SECONDS)
        .ok()
        .flatten()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .unwrap_or(m.cookie.duration);
    Some(set_cookie_header(
        &m.cookie,
        m.profile,
        &m.signer.encode(&payload),
        lifetime,
    ))
}
