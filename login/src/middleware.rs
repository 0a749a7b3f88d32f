//! The actix middleware: puts each request's [`LoginState`] in the request's
//! extensions, and on the way out sets or deletes the remember cookie.
//!
//! One request, top to bottom: [`LoginMiddleware::call`] adds the state (no
//! I/O, no hashing; in the 0.2.4 profile it also loads the user before the
//! handler, as Flask-Login 0.2.4 did) → whatever asks for the user loads it
//! once ([`LoginState::ensure_loaded`]: session, remember cookie, request
//! loader, with session protection) → [`LoginFuture`] writes the remember
//! cookie the login asked for ([`LoginState::write_cookies`]).

use std::{
    future::{ready, Future, Ready},
    pin::Pin,
    rc::Rc,
    sync::Arc,
    task::{Context, Poll},
};

use actix_session::SessionExt;
use actix_web::{
    body::MessageBody,
    dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform},
    Error, HttpMessage,
};
use futures_util::future::{Either, LocalBoxFuture};

use crate::{
    manager::{Inner, LoginManager},
    state::{LoginState, RequestLogin},
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
            m: self.inner.clone(),
        }))
    }
}

/// The service [`LoginManager`] wraps around an app's services.
pub struct LoginMiddleware<S, U: User> {
    service: Rc<S>,
    m: Arc<Inner<U>>,
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
        #[cfg(feature = "test-helpers")]
        let test_login = crate::testing::apply(&req, &self.m);
        let eager = self.m.rules.eager_load;
        // Only the eager profile needs the session's state at entry, to tell
        // a misordered `.wrap()` (see `LoginState::check_setup`).
        let entry_empty = eager && req.get_session().entries().is_empty();
        let state = Rc::new(LoginState::new(self.m.clone(), entry_empty));
        // An inner manager (on a scope) shadows an outer one for the
        // requests it handles, and gives it back on the way out.
        let outer = req.extensions_mut().insert(RequestLogin(state.clone()));
        #[cfg(feature = "test-helpers")]
        if let Err(err) = test_login {
            let failed: EagerFuture<B> = Box::pin(async move { Err(err.into()) });
            return LoginFuture::new(Either::Right(failed), state, outer);
        }
        if !eager {
            return LoginFuture::new(Either::Left(self.service.call(req)), state, outer);
        }
        // Flask-Login 0.2.4 loads the user before every request.
        let service = self.service.clone();
        let load = state.clone();
        let fut: EagerFuture<B> = Box::pin(async move {
            // A failing loader answers 500 before the handler runs; the
            // error skips the session middleware's save, so the session
            // stays as it was.
            load.ensure_loaded(req.request()).await?;
            service.call(req).await
        });
        LoginFuture::new(Either::Right(fut), state, outer)
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
        outer: Option<RequestLogin>,
    }
}

impl<F, U: User> LoginFuture<F, U> {
    fn new(fut: F, state: Rc<LoginState<U>>, outer: Option<RequestLogin>) -> Self {
        LoginFuture { fut, state, outer }
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
        if let Err(err) = this.state.check_order_on_the_way_out() {
            return Poll::Ready(Err(err.into()));
        }
        this.state.write_cookies(&mut res);
        // The state stays in the request, so middleware outside this one
        // can still read the login after the response — unless an outer
        // manager's state was shadowed, which is given back.
        if let Some(outer) = this.outer.take() {
            res.request().extensions_mut().insert(outer);
        }
        Poll::Ready(Ok(res))
    }
}
