//! The actix middleware: gives each request its [`LoginState`], and on the
//! way out sets or deletes the remember cookie.

use std::{
    future::{ready, Future, Ready},
    pin::Pin,
    rc::Rc,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use actix_session::SessionExt;
use actix_web::{
    body::MessageBody,
    dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform},
    http::header::{HeaderValue, SET_COOKIE},
    Error, HttpMessage,
};
use futures_util::future::{Either, LocalBoxFuture};

use crate::{
    keys::{AUTH_HASH, REMEMBER_SECONDS},
    manager::{Inner, LoginManager},
    remember::{
        delete_cookie_header, payload_with_tag, read_cookie, set_cookie_header, split_auth_tag,
    },
    state::{get_string, LoginState, RememberOp, StateHandle},
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
        ready(Ok(LoginMiddleware {
            service: Rc::new(service),
            inner: self.inner.clone(),
        }))
    }
}

/// The service [`LoginManager`] wraps around an app's services.
pub struct LoginMiddleware<S, U: User> {
    service: Rc<S>,
    inner: Arc<Inner<U>>,
}

impl<S, B, U> Service<ServiceRequest> for LoginMiddleware<S, U>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    U: User,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Either<
        LoginFuture<S::Future, U>,
        LocalBoxFuture<'static, Result<Self::Response, Self::Error>>,
    >;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        #[cfg(feature = "test-helpers")]
        if let Err(err) = crate::testing::apply(&req, &self.inner) {
            return Either::Right(Box::pin(async move { Err(err) }));
        }
        let entry_empty = req.get_session().entries().is_empty();
        let state = Rc::new(LoginState::new(self.inner.clone(), entry_empty));
        req.extensions_mut().insert(StateHandle(state.clone()));
        if !state.m.profile.eager() {
            // The common path: no allocation beyond the state, no boxing.
            return Either::Left(LoginFuture {
                fut: self.service.call(req),
                state,
            });
        }
        let service = self.service.clone();
        Either::Right(Box::pin(async move {
            let http = req.request().clone();
            // A failing loader answers 500 before the handler runs; the
            // error skips the session middleware's save, so the session
            // stays as it was.
            state.ensure_loaded(&http).await?;
            drop(http);
            let mut res = service.call(req).await?;
            write_remember_cookie(&state, &mut res);
            Ok(res)
        }))
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`LoginMiddleware`]: the inner service's, then
    /// the remember cookie.
    #[doc(hidden)]
    pub struct LoginFuture<F, U: User> {
        #[pin]
        fut: F,
        state: Rc<LoginState<U>>,
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
        let mut res = match this.fut.poll(cx) {
            Poll::Ready(Ok(res)) => res,
            other => return other,
        };
        write_remember_cookie(this.state, &mut res);
        Poll::Ready(Ok(res))
    }
}

/// Sets or deletes the remember cookie as the request's login asked.
fn write_remember_cookie<U: User, B>(state: &LoginState<U>, res: &mut ServiceResponse<B>) {
    let m = &*state.m;
    let mut op = state.remember.get();
    if op == RememberOp::Keep
        && m.cookie.refresh_each_request
        && carries_cookie_of_session_user(state, res)
    {
        op = RememberOp::Set;
    }
    let header = match op {
        RememberOp::Keep => return,
        RememberOp::Clear => delete_cookie_header(&m.cookie, m.profile),
        RememberOp::Set => {
            let session = res.request().get_session();
            // Flask-Login sets the cookie only while the session names a user.
            let Some(id) = get_string(&session, m.keys.user_id) else {
                return;
            };
            let payload = match &m.token_loader {
                Some(_) => match state.user().and_then(|u| u.get_auth_token()) {
                    Some(token) => token,
                    None => {
                        tracing::warn!(user.id = %id, "token loader registered but the user has no auth token; remember cookie not set");
                        return;
                    }
                },
                None => payload_with_tag(&id, get_string(&session, AUTH_HASH).as_deref()),
            };
            let lifetime = session
                .get::<f64>(REMEMBER_SECONDS)
                .ok()
                .flatten()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .unwrap_or(m.cookie.duration);
            set_cookie_header(&m.cookie, m.profile, &m.signer.encode(&payload), lifetime)
        }
    };
    match HeaderValue::from_str(&header) {
        Ok(value) => {
            res.headers_mut().append(SET_COOKIE, value);
        }
        Err(_) => {
            tracing::error!(cookie = %m.cookie.name, "remember cookie name or attributes are not a valid header; not sent")
        }
    }
}

/// Refresh-each-request applies only to a request that carried a valid
/// remember cookie for the session's user, so a login without "remember me"
/// never gets one (upstream #824).
fn carries_cookie_of_session_user<U: User, B>(
    state: &LoginState<U>,
    res: &ServiceResponse<B>,
) -> bool {
    let m = &*state.m;
    let req = res.request();
    let Some(value) = read_cookie(req.headers(), &m.cookie.name, m.profile) else {
        return false;
    };
    let Some(payload) = m.signer.decode(&value) else {
        return false;
    };
    if m.token_loader.is_some() {
        return state.user().is_some();
    }
    let (id, _) = split_auth_tag(payload);
    get_string(&req.get_session(), m.keys.user_id).as_deref() == Some(id)
}
