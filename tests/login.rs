//! Logging in and out through HTTP: Flask-Login's own test suite
//! (`tests/test_login.py`, reference §5), ported behaviour by behaviour to
//! actix-login over `actix_web::test`.
//!
//! Where the ports of §5 live:
//!
//! * this file: §5.1 (lazy loading), §5.2 (login_user / logout_user), §5.8
//!   (decorators), §5.10 `UserMixin` / `AnonymousUserMixin` defaults;
//! * `remember.rs`: §5.6; `protection.rs`: §5.7; `next.rs`: §5.3, §5.4;
//!   `freshness.rs`: §5.5; `signals.rs`: every signal test; `flash.rs`: the
//!   flash tests of §5.3/§5.5; `loaders.rs`: §5.9 and the request/token
//!   loader tests; `cookie_vectors.rs`: `CookieEncodingTestCase`,
//!   `SecretKeyTestCase` and §2; `profiles.rs`: §5.12 (0.2.4) and the
//!   profile differences; `robustness.rs`: malformed input and app errors.
//!
//! Left out, and why:
//!
//! * `InitializationTestCase.test_init_app` / `test_class_init` and
//!   `setup_app`: actix has one way to install the manager (`.wrap()`);
//!   there is no `init_app` to call twice.
//! * `InitializationTestCase.test_no_user_loader_raises` and
//!   `LoginViaRequestTestCase.test_has_no_user_loader_callback`:
//!   `LoginManager::builder` takes the user loader as an argument, so an app
//!   without one does not compile. The request-loader-only tests use a loader
//!   that finds nobody instead (`common::no_user`).
//! * `test_test_request_context_users_are_anonymous` and
//!   `LoginViaRequestTestCase.test_request_context_users_are_anonymous`:
//!   there is no bare request context in actix; a request that reaches a
//!   handler has gone through the middleware (`defaults_to_anonymous` covers
//!   the observable part, `robustness.rs` the missing-middleware case).
//! * `test_user_context_processor`: no template context processor in
//!   actix-login (templates are the app's business).
//! * `LOGIN_DISABLED` (`test_decorators_are_disabled`): removed on
//!   Flask-Login main (#697/#868) and not ported.
//! * `AboutTestCase.test_have_about_data` (`__about__`): Python packaging
//!   metadata.
//! * The X-Forwarded-For-trusting tests of §5.11
//!   (`test_login_persists_with_signle_x_forwarded_for`,
//!   `..._many_x_forwarded_for`, `..._fires_signal_x_forwarded_for`,
//!   `test_unauthorized_uses_host_from_x_forwarded_for_header`): the port
//!   ignores `X-Forwarded-For` unless a trusted proxy is configured
//!   (CHANGELOG "Fixed", upstream #700). `protection.rs` tests that it is
//!   ignored, and the trusted-proxy variant instead.
//! * `FlaskLoginClient` (`CustomTestClientTestCase`, §5.10): a Flask test
//!   client class; the tests here log in through real requests. (Its actix
//!   counterpart, `actix_login::testing::login_as` behind the `test-helpers`
//!   feature, deliberately stores the identifier too, so upstream's
//!   `test_session_protection_modes` expectations do not carry over.)
//! * `test_remember_me_with_invalid_duration_returns_500_response`,
//!   `..._invalid_custom_duration_...` and the two
//!   `test_set_cookie_with_invalid_*duration_raises_exception` tests:
//!   durations are `std::time::Duration`, so a string duration does not
//!   compile.
//! * `test_remember_me_accepts_duration_as_int`: the same type; the
//!   equivalent (a duration given in seconds) is in `remember.rs`.
//! * `UserMixinTestCase.test_get_id_not_implemented`, `test_equality`,
//!   `test_hashable`: `get_id` is a required trait method, and equality and
//!   hashing are the user type's own derives.
//! * `test_login_required_decorator_with_async`: every actix handler is
//!   async; `login_required_decorator` is that test.
//! * `MethodViewLoginTestCase`: actix has no MethodView; an `OPTIONS` request
//!   to a guarded resource accepting every method is the same check
//!   (`options_request_skips_the_login_check`).
//! * `set_login_view` quirks (`AttributeError` when called with
//!   `blueprint=None` after a blueprint): no such function; scope login
//!   views are a builder list (`next.rs`).
//! * `test_session_not_modified` (`/empty_session` printing
//!   `session.modified`): ported as "no session `Set-Cookie`" in
//!   `robustness.rs`.

use crate::common::*;
use actix_login::{logout_user, AnonymousUser, CurrentUser, LoginOptions, User};
use actix_web::{http::Method, http::StatusCode, web, FromRequest, HttpRequest, HttpResponse};

#[actix_web::test]
async fn defaults_to_anonymous() {
    let mut c = client().await;
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(c.body("/userid").await, "Anonymous");
    assert_eq!(c.body("/is-fresh").await, "False");
    assert_eq!(c.body("/is-remembered").await, "False");
}

#[actix_web::test]
async fn login_user_returns_true_and_the_user_is_logged_in_and_fresh() {
    let mut c = client().await;
    let r = c.get("/login-notch").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "True");
    assert!(
        r.set_cookie(SESSION_COOKIE).is_some(),
        "the login is saved in the session"
    );
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE),
        None,
        "no remember cookie without remember=True"
    );
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/userid").await, "1");
    assert_eq!(c.body("/is-fresh").await, "True");
    assert_eq!(c.body("/is-remembered").await, "False");
}

#[actix_web::test]
async fn login_user_not_fresh_is_logged_in_but_stale() {
    let mut c = client().await;
    assert_eq!(c.body("/login-as/1?fresh=0").await, "True");
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");
}

#[actix_web::test]
async fn inactive_user_is_refused_and_stays_anonymous() {
    let mut c = client().await;
    let r = c.get("/login-as/3").await;
    assert_eq!(r.body, "False");
    assert!(
        r.set_cookies().is_empty(),
        "a refused login writes nothing: {:?}",
        r.set_cookies()
    );
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(c.body("/whoami").await, "Anonymous");
    assert_eq!(c.get("/protected").await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn inactive_user_forced_in_is_the_current_user_but_not_authenticated() {
    let mut c = client().await;
    assert_eq!(c.body("/login-as/3?force=1").await, "True");
    // Upstream: `current_user.name == "Creeper"`.
    assert_eq!(c.body("/whoami").await, "Creeper");
    // 0.6.3: `is_authenticated` is `is_active`, so guarded views refuse.
    assert_eq!(c.body("/username").await, "Anonymous");
    let r = c.get("/protected").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, "401 Unauthorized");
}

#[actix_web::test]
async fn login_persists_across_requests() {
    let mut c = client().await;
    c.get("/login-notch").await;
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/username").await, "Notch");
}

#[actix_web::test]
async fn logging_in_another_user_replaces_the_first() {
    let mut c = client().await;
    assert_eq!(c.body("/login-notch").await, "True");
    assert_eq!(c.body("/login-as/2").await, "True");
    assert_eq!(c.body("/username").await, "Steve");
}

#[actix_web::test]
async fn logout_persists() {
    let mut c = client().await;
    c.get("/login-notch").await;
    let r = c.get("/logout").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "True");
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE),
        None,
        "no remember cookie was sent, so none is deleted"
    );
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(c.body("/is-fresh").await, "False");
    assert_eq!(
        c.body("/session/keys").await,
        "",
        "logout empties the login keys"
    );
}

#[actix_web::test]
async fn logout_without_a_logged_in_user_is_harmless() {
    let mut c = client().await;
    let r = c.get("/logout").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "True");
    assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
    assert_eq!(c.body("/username").await, "Anonymous");
}

/// Upstream `test_logout_logs_out_current_user`: login and logout in one
/// request leave the request anonymous (and nothing to remember).
#[actix_web::test]
async fn logout_in_the_same_request_as_login_leaves_the_request_anonymous() {
    async fn login_then_logout(
        req: HttpRequest,
        users: web::Data<Users>,
    ) -> actix_web::Result<HttpResponse> {
        let notch = users.get("1").unwrap();
        actix_login::login_user(&req, notch, LoginOptions::new().remember(true))?;
        let before = CurrentUser::<TestUser>::extract(&req).await?;
        logout_user(&req).await?;
        let after = CurrentUser::<TestUser>::extract(&req).await?;
        Ok(HttpResponse::Ok().body(format!(
            "{} {}",
            before.user().map_or("Anonymous", |u| u.name.as_str()),
            after.user().map_or("Anonymous", |u| u.name.as_str())
        )))
    }
    let mut c = start(manager(|b| b), Users::data(), |cfg| {
        cfg.route("/login-logout", web::get().to(login_then_logout));
    })
    .await;
    let r = c.get("/login-logout").await;
    assert_eq!(r.body, "Notch Anonymous");
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE),
        None,
        "logged out before the response: nothing to remember"
    );
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn a_user_the_loader_no_longer_knows_is_logged_out() {
    let mut c = client().await;
    c.get("/login-notch").await;
    assert_eq!(c.body("/username").await, "Notch");
    c.users.forget("1");
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(c.get("/protected").await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn unicode_user_id_logs_in() {
    let mut c = client().await;
    assert_eq!(c.body("/login-as/%E4%BD%90%E8%97%A4").await, "True");
    assert_eq!(c.body("/username").await, "Müller");
    assert_eq!(c.body("/userid").await, "佐藤");
    assert_eq!(c.body("/session/get?key=_user_id").await, "\"佐藤\"");
}

#[actix_web::test]
async fn login_required_decorator_refuses_anonymous_and_admits_users() {
    let mut c = client().await;
    let r = c.get("/protected").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, "401 Unauthorized");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(
        r.set_cookies().is_empty(),
        "a plain 401 writes nothing: {:?}",
        r.set_cookies()
    );
    c.get("/login-notch").await;
    let r = c.get("/protected").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "Access Granted");
}

#[actix_web::test]
async fn login_required_admits_a_stale_login() {
    let mut c = client().await;
    c.get("/login-as/1?fresh=0").await;
    let r = c.get("/protected").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "Access Granted");
}

/// Upstream `MethodViewLoginTestCase.test_options_call_exempt`: `OPTIONS`
/// passes the login check. Flask answers it without calling the view; here
/// the guard answers it, so a guarded handler's side effects never run for
/// an anonymous request.
#[actix_web::test]
async fn options_request_skips_the_login_check() {
    let mut c = client().await;
    for path in ["/protected", "/fresh"] {
        let r = c.request(Method::OPTIONS, path).await;
        assert_eq!(r.status, StatusCode::OK, "OPTIONS {path}");
        assert_eq!(r.body, "", "OPTIONS {path} ran the handler");
    }
    // Other methods are guarded.
    for method in [Method::GET, Method::POST, Method::DELETE, Method::HEAD] {
        let r = c.request(method.clone(), "/protected").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} /protected");
    }
}

#[actix_web::test]
async fn login_required_extractor_without_the_macro_guards_too() {
    async fn plain(_: actix_login::LoginRequired, user: CurrentUser<TestUser>) -> HttpResponse {
        HttpResponse::Ok().body(user.user().unwrap().name.clone())
    }
    let mut c = start(manager(|b| b), Users::data(), |cfg| {
        cfg.route("/plain", web::get().to(plain));
    })
    .await;
    assert_eq!(c.get("/plain").await.status, StatusCode::UNAUTHORIZED);
    c.get("/login-as/2").await;
    assert_eq!(c.body("/plain").await, "Steve");
}

/// Upstream `UserMixinTestCase.test_default_values` /
/// `test_get_id_from_id_attribute` and `AnonymousUserTestCase.test_values`.
#[actix_web::test]
async fn user_and_anonymous_defaults() {
    #[derive(Clone)]
    struct Plain;
    impl User for Plain {
        fn get_id(&self) -> String {
            1.to_string()
        }
    }
    assert!(Plain.is_active());
    assert!(Plain.is_authenticated());
    assert!(!Plain.is_anonymous());
    assert_eq!(Plain.get_id(), "1");
    assert_eq!(Plain.get_auth_token(), None);
    assert_eq!(actix_login::Anonymous::get_id(&AnonymousUser), None);

    // Through HTTP, an anonymous request's CurrentUser is anonymous.
    async fn anon(user: CurrentUser<TestUser>) -> HttpResponse {
        HttpResponse::Ok().body(format!(
            "anonymous={} authenticated={} active={} id={:?} default={}",
            user.is_anonymous(),
            user.is_authenticated(),
            user.is_active(),
            user.get_id(),
            user.anonymous::<AnonymousUser>().is_some()
        ))
    }
    let mut c = start(manager(|b| b), Users::data(), |cfg| {
        cfg.route("/anon", web::get().to(anon));
    })
    .await;
    assert_eq!(
        c.body("/anon").await,
        "anonymous=true authenticated=false active=false id=None default=true"
    );
    c.get("/login-notch").await;
    assert_eq!(
        c.body("/anon").await,
        "anonymous=false authenticated=true active=true id=Some(\"1\") default=false"
    );
}

/// Flask-Login's `anonymous_user` setting.
#[actix_web::test]
async fn custom_anonymous_user_is_given_to_anonymous_requests() {
    struct Guest {
        name: &'static str,
    }
    impl actix_login::Anonymous for Guest {
        fn get_id(&self) -> Option<String> {
            Some("guest".to_owned())
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }
    async fn guest(user: CurrentUser<TestUser>) -> HttpResponse {
        HttpResponse::Ok().body(format!(
            "{} {:?}",
            user.anonymous::<Guest>().map_or("-", |g| g.name),
            user.get_id()
        ))
    }
    let m = manager(|b| b.anonymous_user(|| Guest { name: "Guest" }));
    let mut c = start(m, Users::data(), |cfg| {
        cfg.route("/guest", web::get().to(guest));
    })
    .await;
    assert_eq!(c.body("/guest").await, "Guest Some(\"guest\")");
    c.get("/login-notch").await;
    assert_eq!(c.body("/guest").await, "- Some(\"1\")");
}
