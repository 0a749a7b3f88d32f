//! The loaders: the request loader (reference §5.9 and the request-loader
//! tests of §5.2), the token loader (0.2.4's `token_loader`, §5.12), and
//! what a failing loader does.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use crate::common::*;
use actix_login::{
    CurrentUser, LoaderError, LoginManager, LoginRequired, SessionProtection, UserLoader,
};
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

// ------------------------------------------------------------ request loader

/// Upstream `test_login_user_with_request`.
#[actix_web::test]
async fn request_loader_logs_the_request_in() {
    let mut c = client_with(|b| b.request_loader(QueryLoader)).await;
    assert_eq!(c.body("/username?user_id=2").await, "Steve");
    // `int(float(...))` as upstream.
    assert_eq!(c.body("/username?user_id=2.0").await, "Steve");
    let r = c.get("/protected?user_id=1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "Access Granted");
}

/// Upstream `test_login_invalid_user_with_request`.
#[actix_web::test]
async fn request_loader_with_an_unknown_user_is_anonymous() {
    let mut c = client_with(|b| b.request_loader(QueryLoader)).await;
    assert_eq!(c.body("/username?user_id=9000").await, "Anonymous");
    assert_eq!(
        c.get("/protected?user_id=9000").await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// Upstream `test_login_user_with_request_does_not_modify_session`.
#[actix_web::test]
async fn request_loader_does_not_write_the_session() {
    let mut c = client_with(|b| {
        b.request_loader(QueryLoader)
            .session_protection(SessionProtection::Basic)
    })
    .await;
    let r = c.get("/username?user_id=2").await;
    assert_eq!(r.body, "Steve");
    assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
    assert_eq!(c.body("/username").await, "Anonymous");
}

/// 0.6.3: the request loader is the fallback when there is no remember
/// cookie; with one (even a bad one) it is not asked.
#[actix_web::test]
async fn request_loader_is_skipped_when_a_remember_cookie_is_sent() {
    let mut c = client_with(|b| b.request_loader(QueryLoader)).await;
    c.set_remember("foo");
    assert_eq!(c.body("/username?user_id=2").await, "Anonymous");
    c.jar.remove(REMEMBER_COOKIE);
    assert_eq!(c.body("/username?user_id=2").await, "Steve");
}

#[actix_web::test]
async fn session_user_wins_over_the_request_loader() {
    let mut c = client_with(|b| b.request_loader(QueryLoader)).await;
    c.get("/login-notch").await;
    assert_eq!(c.body("/username?user_id=2").await, "Notch");
}

/// `LoginViaRequestTestCase`: a request loader alone (here: a user loader
/// that finds nobody) that reads `?user_id=` or the session's `_user_id`.
mod via_request {
    use super::*;

    async fn request_only() -> Client<
        impl actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
    > {
        let m = LoginManager::builder(no_user, SECRET)
            .session_protection(SessionProtection::Off)
            .remember_cookie(crate::common::flask_cookie())
            .request_loader(QueryOrSessionLoader)
            .build();
        start(m, Users::data(), |_| {}).await
    }

    /// `test_defaults_anonymous`.
    #[actix_web::test]
    async fn defaults_to_anonymous() {
        let mut c = request_only().await;
        assert_eq!(c.body("/username").await, "Anonymous");
        assert_eq!(c.get("/protected").await.status, StatusCode::UNAUTHORIZED);
    }

    /// `test_login_via_request`.
    #[actix_web::test]
    async fn login_via_request() {
        let mut c = request_only().await;
        assert_eq!(c.body("/username?user_id=2").await, "Steve");
    }

    /// `test_login_via_request_uses_cookie_when_already_logged_in`.
    #[actix_web::test]
    async fn uses_the_session_when_already_logged_in() {
        let mut c = request_only().await;
        assert_eq!(c.body("/login-notch").await, "True");
        assert_eq!(c.body("/username").await, "Notch");
        assert_eq!(c.body("/username?user_id=2").await, "Steve");
    }

    /// `test_login_invalid_user_with_request`.
    #[actix_web::test]
    async fn invalid_user_with_request() {
        let mut c = request_only().await;
        assert_eq!(
            c.get("/protected?user_id=9000").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(c.body("/username?user_id=9000").await, "Anonymous");
    }

    /// `test_login_invalid_user_with_request_when_already_logged_in`.
    #[actix_web::test]
    async fn invalid_user_with_request_when_already_logged_in() {
        let mut c = request_only().await;
        assert_eq!(c.body("/login-notch").await, "True");
        assert_eq!(
            c.get("/protected?user_id=9000").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(c.body("/username?user_id=9000").await, "Anonymous");
    }

    /// `test_login_user_with_request_does_not_modify_session`.
    #[actix_web::test]
    async fn does_not_modify_the_session() {
        let mut c = request_only().await;
        assert_eq!(c.body("/username?user_id=2").await, "Steve");
        assert_eq!(c.body("/username").await, "Anonymous");
    }
}

// -------------------------------------------------------------- token loader

fn with_tokens(users: &Users) {
    let mut notch = users.get("1").unwrap();
    notch.token = Some("notch-token".to_owned());
    users.insert(notch);
}

async fn token_client() -> Client<
    impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
> {
    let users = Users::data();
    with_tokens(&users);
    start(manager(|b| b.token_loader(TableTokenLoader)), users, |_| {}).await
}

/// 0.2.4 `test_custom_token_loader`, with the token signed.
#[actix_web::test]
async fn token_loader_restores_the_user_from_a_signed_token() {
    let mut c = token_client().await;
    let r = c.get("/login-notch-remember").await;
    let cookie = r.set_cookie(REMEMBER_COOKIE).expect("remember cookie");
    assert_eq!(cookie.value, c.manager.encode_cookie("notch-token"));
    c.clear_session();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");
    // The session holds the id, not the token.
    assert_eq!(c.body("/session/get?key=_user_id").await, "\"1\"");
    c.jar.remove(REMEMBER_COOKIE);
    assert_eq!(c.body("/userid").await, "1");
}

/// 0.2.4 `test_custom_token_loader_with_no_user`.
#[actix_web::test]
async fn token_loader_that_finds_nobody_is_anonymous() {
    let mut c = token_client().await;
    c.set_remember(&c.manager.encode_cookie("nobody's-token"));
    let r = c.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
}

/// README "Differences": token cookies are signed (upstream #285); an
/// unsigned token, 0.2.4's format, is refused.
#[actix_web::test]
async fn unsigned_token_is_refused() {
    let mut c = token_client().await;
    c.set_remember("notch-token");
    assert_eq!(c.body("/username").await, "Anonymous");
    // Nor is an id cookie accepted as a token.
    c.set_remember(&c.manager.encode_cookie("1"));
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn a_user_without_a_token_gets_no_remember_cookie() {
    let mut c = token_client().await;
    let r = c.get("/login-as/2?remember=1").await;
    assert_eq!(r.body, "True");
    assert_eq!(r.set_cookie(REMEMBER_COOKIE), None);
    assert_eq!(c.body("/username").await, "Steve");
}

// ------------------------------------------------------------ loader errors

#[actix_web::test]
async fn failing_user_loader_answers_500_and_keeps_the_session() {
    let mut c = client().await;
    c.get("/login-notch").await;
    let jar = c.jar.clone();
    c.users.fail(true);
    let r = c.get("/username").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        r.body, "500 Internal Server Error",
        "the cause goes to the log, not the client"
    );
    assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
    assert_eq!(
        c.get("/protected").await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    c.users.fail(false);
    assert_eq!(c.jar.header(), jar.header());
    assert_eq!(c.body("/username").await, "Notch");
}

#[actix_web::test]
async fn failing_request_loader_answers_500() {
    struct Broken;
    impl actix_login::RequestLoader for Broken {
        type User = TestUser;
        async fn load_user_from_request(
            &self,
            _: &HttpRequest,
        ) -> Result<Option<TestUser>, LoaderError> {
            Err("api key store unreachable".into())
        }
    }
    let mut c = client_with(|b| b.request_loader(Broken)).await;
    let r = c.get("/username").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.set_cookies().is_empty());
    // Requests that do not ask for the user are unaffected.
    assert_eq!(c.body("/").await, "Welcome!");
}

#[actix_web::test]
async fn failing_token_loader_answers_500_and_writes_nothing() {
    let mut c = token_client().await;
    c.get("/login-notch-remember").await;
    c.clear_session();
    c.users.fail(true);
    let r = c.get("/username").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
    c.users.fail(false);
    assert_eq!(c.body("/username").await, "Notch");
}

#[actix_web::test]
async fn loader_error_message_is_available_to_the_app() {
    let err = LoaderError::from("database is down");
    assert_eq!(err.message(), "database is down");
    assert_eq!(format!("{err:?}"), "\"database is down\"");
}

// ------------------------------------------------------- loading semantics

/// The loader runs at most once per request, however many extractors ask.
#[actix_web::test]
async fn the_loader_runs_once_per_request() {
    async fn many(
        _: LoginRequired,
        a: CurrentUser<TestUser>,
        b: CurrentUser<TestUser>,
    ) -> HttpResponse {
        HttpResponse::Ok().body(format!(
            "{} {}",
            a.user().unwrap().name,
            b.user().unwrap().name
        ))
    }
    let mut c = start(manager(|b| b), Users::data(), |cfg| {
        cfg.route("/many", web::get().to(many));
    })
    .await;
    c.get("/login-notch").await;
    let before = c.users.calls();
    assert_eq!(c.body("/many").await, "Notch Notch");
    assert_eq!(c.users.calls(), before + 1);
}

/// A hand-written `UserLoader` that reads app data from the request works
/// like the `#[user_loader]` one.
#[actix_web::test]
async fn hand_written_user_loader() {
    #[derive(Clone, Default)]
    struct Counting(Arc<AtomicUsize>);
    impl UserLoader for Counting {
        type User = TestUser;
        async fn load_user(
            &self,
            id: &str,
            req: &HttpRequest,
        ) -> Result<Option<TestUser>, LoaderError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            let users = req.app_data::<web::Data<Users>>().ok_or("no users")?;
            Ok(users.load(id)?)
        }
    }
    let loader = Counting::default();
    let count = loader.0.clone();
    let m = LoginManager::builder(loader, SECRET)
        .session_protection(SessionProtection::Off)
        .remember_cookie(crate::common::flask_cookie())
        .build();
    let mut c = start(m, Users::data(), |_| {}).await;
    c.get("/login-notch-remember").await;
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "login_user does not call the loader"
    );
    assert_eq!(c.body("/username").await, "Notch");
    c.clear_session();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

/// A `#[user_loader]` whose extractor is missing fails like a loader error.
#[actix_web::test]
async fn user_loader_without_its_app_data_answers_500() {
    let m = manager(|b| b);
    let svc = actix_web::test::init_service(
        actix_web::App::new()
            .wrap(m.clone())
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    let mut c = Client::new(svc, Users::data(), m);
    c.set_remember(&signed("1"));
    let r = c.get("/username").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.set_cookies().is_empty());
}

// ------------------------------------------------------------- plain fn loader

static PLAIN_CALLS: AtomicUsize = AtomicUsize::new(0);

/// A plain `fn` loader: `#[user_loader]` calls it without `.await`; it
/// loads like an `async fn` loader, once per request.
#[actix_login::user_loader]
fn load_plain(id: &str) -> Option<TestUser> {
    PLAIN_CALLS.fetch_add(1, Ordering::SeqCst);
    match id {
        "1" => Some(TestUser::new("1", "Notch", true)),
        "3" => Some(TestUser::new("3", "Creeper", false)),
        _ => None,
    }
}

/// Sessions, protection, remember cookies and unknown ids work with a plain
/// `fn` loader as with an `async fn` one, and it is asked once per request.
#[actix_web::test]
async fn a_plain_fn_loader_serves_sessions_and_remember_cookies() {
    let m = LoginManager::builder(load_plain, SECRET)
        .session_protection(SessionProtection::Basic)
        .remember_cookie(crate::common::flask_cookie())
        .build();
    let mut c = start(m, Users::data(), |_| {}).await;
    assert_eq!(c.get("/protected").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(c.get("/login-notch-remember").await.status, StatusCode::OK);

    let before = PLAIN_CALLS.load(Ordering::SeqCst);
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(PLAIN_CALLS.load(Ordering::SeqCst) - before, 1);
    assert_eq!(c.body("/protected").await, "Access Granted");
    assert_eq!(c.body("/is-fresh").await, "True");

    // The session is lost: the remember cookie brings Notch back, stale.
    c.clear_session();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");

    // Another user agent trips basic protection: still Notch, not fresh.
    c.get("/login-notch").await;
    assert_eq!(c.body("/is-fresh").await, "True");
    assert_eq!(c.get_with_ua("/username", "other/1.0").await.body, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");

    // An id the loader does not know is anonymous (without a remember
    // cookie to fall back on, which would bring Notch back, as in Flask).
    let m = LoginManager::builder(load_plain, SECRET).build();
    let mut c = start(m, Users::data(), |_| {}).await;
    assert_eq!(c.get("/login-as/2").await.status, StatusCode::OK);
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(c.get("/protected").await.status, StatusCode::UNAUTHORIZED);
}
