//! The actix middleware: makes the manager reachable from each request, and
//! on the way out sets or deletes the remember cookie.
//!
//! One request, top to bottom: [`LoginMiddleware::call`] makes the manager
//! reachable as request data ([`Slot`]: no allocation, no I/O, no hashing;
//! in the 0.2.4 profile it also makes the request's [`LoginState`] and
//! loads the user before the handler, as Flask-Login 0.2.4 did) → the first
//! thing that asks for the login puts the request's state in its extensions
//! (`state::of`), and whatever asks for the user loads it once
//! ([`LoginState::ensure_loaded`]: session, remember cookie, request
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
    dev::{forward_ready, Extensions, Service, ServiceRequest, ServiceResponse, Transform},
    Error, HttpMessage,
};
use futures_util::future::{Either, LocalBoxFuture};

use crate::{
    manager::{Inner, LoginManager},
    state::{made_by, LoginState, RequestLogin, Retired, Slot},
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
            data: Rc::new({
                let mut data = Extensions::new();
                data.insert(Slot(Rc::new(self.inner.clone())));
                data
            }),
            m: self.inner.clone(),
        }))
    }
}

/// The service [`LoginManager`] wraps around an app's services.
pub struct LoginMiddleware<S, U: User> {
    service: Rc<S>,
    m: Arc<Inner<U>>,
    /// The request data that makes this manager reachable ([`Slot`]).
    data: Rc<Extensions>,
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

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        #[cfg(feature = "test-helpers")]
        let test_login = crate::testing::apply(&req, &self.m);
        // A manager on a scope shadows the app's for the requests it
        // handles: the app's login (its state if something asked already,
        // else its manager) is put aside and given back on the way out.
        let outer = req.app_data::<Slot>().cloned().map(|slot| {
            req.extensions_mut()
                .remove::<RequestLogin>()
                .unwrap_or(RequestLogin::Manager(slot))
        });
        req.add_data_container(self.data.clone());
        let m = self.m.clone();
        #[cfg(feature = "test-helpers")]
        if let Err(err) = test_login {
            let failed: EagerFuture<B> = Box::pin(async move { Err(err.into()) });
            return LoginFuture::new(Either::Right(failed), m, outer);
        }
        if !m.rules.eager_load {
            // The state is made by whatever asks first (`state::of`).
            return LoginFuture::new(Either::Left(self.service.call(req)), m, outer);
        }
        // Flask-Login 0.2.4 loads the user before every request. Only this
        // profile needs the session's state at entry, to tell a misordered
        // `.wrap()` (see `LoginState::check_setup`).
        let entry_empty = req.get_session().entries().is_empty();
        let state = Rc::new(LoginState::new(m.clone(), entry_empty));
        req.extensions_mut()
            .insert(RequestLogin::State(state.clone()));
        let service = self.service.clone();
        let fut: EagerFuture<B> = Box::pin(async move {
            // A failing loader answers 500 before the handler runs; the
            // error skips the session middleware's save, so the session
            // stays as it was.
            state.ensure_loaded(req.request()).await?;
            service.call(req).await
        });
        LoginFuture::new(Either::Right(fut), m, outer)
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`LoginMiddleware`]: the inner service's, then
    /// the remember cookie.
    #[doc(hidden)]
    pub struct LoginFuture<F, U: User> {
        #[pin]
        fut: F,
        m: Arc<Inner<U>>,
        // The entry of the manager outside this one (on a scope).
        outer: Option<RequestLogin>,
    }
}

impl<F, U: User> LoginFuture<F, U> {
    fn new(fut: F, m: Arc<Inner<U>>, outer: Option<RequestLogin>) -> Self {
        LoginFuture { fut, m, outer }
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
        match made_by(res.request(), this.m) {
            Some(state) => {
                if let Err(err) = state.check_order_on_the_way_out() {
                    return Poll::Ready(Err(err.into()));
                }
                state.write_cookies(&mut res);
            }
            // Nothing asked for the login, so nothing changed it; only a
            // remember cookie refreshed on every request is still due.
            None if this.m.cookie.refresh_each_request => {
                LoginState::new(this.m.clone(), false).write_cookies(&mut res);
            }
            None => {}
        }
        // The state stays in the request, so middleware outside this one
        // can still read the login after the response; past a scope's
        // manager, that is the outer manager's login again.
        if let Some(outer) = this.outer.take() {
            let mut ext = res.request().extensions_mut();
            if let Some(RequestLogin::State(own)) = ext.insert(outer) {
                Retired::keep(&mut ext, own);
            }
        }
        Poll::Ready(Ok(res))
    }
}
