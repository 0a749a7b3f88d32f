//! `unauthorized()`: 401 or the redirect to the login view with `next`
//! (reference §5.3, §5.4 and §3).

use crate::common::*;
use actix_login::{login_required, login_url, make_next_param, Signal};
use actix_web::{
    http::{header, StatusCode},
    test::TestRequest,
    web, HttpResponse,
};

/// Upstream `test_unauthorized_aborts_with_401`.
#[actix_web::test]
async fn unauthorized_without_a_login_view_is_401() {
    let mut c = client().await;
    let r = c.get("/secret").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, "401 Unauthorized");
    assert_eq!(r.location(), None);
    assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
}

/// Upstream `test_unauthorized_redirects_to_login_view` (the view given by
/// name, as `url_for` would resolve it).
#[actix_web::test]
async fn unauthorized_redirects_to_the_named_login_view() {
    let mut c = client_with(|b| b.login_view("login")).await;
    let r = c.get("/secret").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/login?next=%2Fsecret"));
    assert_eq!(r.body, "");
}

#[actix_web::test]
async fn unauthorized_redirects_to_a_login_path() {
    let mut c = client_with(|b| b.login_view("/login")).await;
    let r = c.get("/secret").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/login?next=%2Fsecret"));
    // Following the redirect lands on the login view with `next`.
    let r = c.get(r.location().unwrap()).await;
    assert!(r.body.starts_with("login next=/secret "), "{}", r.body);
}

#[actix_web::test]
async fn login_required_redirects_with_the_query_string_in_next() {
    let mut c = client_with(|b| b.login_view("login")).await;
    let r = c.get("/protected?a=1&b=2").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.location(),
        Some("/login?next=%2Fprotected%3Fa%3D1%26b%3D2")
    );
    let r = c.get("/protected?b=2&a=x%20y").await;
    assert_eq!(
        r.location(),
        Some("/login?next=%2Fprotected%3Fb%3D2%26a%3Dx%2520y")
    );
}

/// CHANGELOG "Fixed" / DIFFERENCES F3: `next` is the request target as
/// sent, every escape kept.
#[actix_web::test]
async fn next_is_the_request_target_exactly_as_sent() {
    let mut c = client_with(|b| b.login_view("/login")).await;
    let r = c.get("/protected?q=%C3%A9&y=%2F%3F%26&lt=%3C%3E").await;
    assert_eq!(
        r.location(),
        Some("/login?next=%2Fprotected%3Fq%3D%25C3%25A9%26y%3D%252F%253F%2526%26lt%3D%253C%253E")
    );
    // The escaped path reaches the guarded route and is kept as sent.
    let r = c.get("/prot%65cted").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/login?next=%2Fprot%2565cted"));
    // A `?` with an empty query is dropped (Python's urlunsplit), a
    // non-empty query ending in `?` is kept.
    let r = c.get("/protected?").await;
    assert_eq!(r.location(), Some("/login?next=%2Fprotected"));
    let r = c.get("/protected??").await;
    assert_eq!(r.location(), Some("/login?next=%2Fprotected%3F%3F"));
    let r = c.get("/protected?a=1?").await;
    assert_eq!(r.location(), Some("/login?next=%2Fprotected%3Fa%3D1%3F"));
    // Reserved characters of the path are quoted with quote_plus.
    let r = c.get("/protected?q=a+b&r=~!*'()").await;
    assert_eq!(
        r.location(),
        Some("/login?next=%2Fprotected%3Fq%3Da%2Bb%26r%3D~%21%2A%27%28%29")
    );
}

#[actix_web::test]
async fn next_survives_the_round_trip_through_the_login_view() {
    let mut c = client_with(|b| b.login_view("/login")).await;
    let r = c.get("/protected?a=1&b=x%20y").await;
    let r = c.get(r.location().unwrap()).await;
    // The login view receives the original target, decoded once.
    assert!(
        r.body.starts_with("login next=/protected?a=1&b=x%20y "),
        "{}",
        r.body
    );
}

/// Upstream `test_unauthorized_uses_authorized_handler`.
#[actix_web::test]
async fn unauthorized_handler_replaces_the_response() {
    let signals = Signals::default();
    let s = signals.clone();
    let mut c = client_with(move |b| {
        s.subscribe(
            b.login_view("/login")
                .unauthorized_handler(|_| HttpResponse::Unauthorized().body("This is secret!")),
        )
    })
    .await;
    for path in ["/secret", "/protected", "/fresh"] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.body, "This is secret!", "{path}");
        assert_eq!(r.location(), None);
    }
    // The signal fires before the handler.
    assert_eq!(signals.count(Signal::Unauthorized), 3);
    // The handler replaces the flash too.
    assert_eq!(c.body("/flashes").await, "[]");
}

/// Upstream `test_unauthorized_with_next_in_session`.
#[actix_web::test]
async fn next_can_be_kept_in_the_session_instead() {
    let mut c = client_with(|b| b.login_view("login").use_session_for_next(true)).await;
    let r = c.get("/secret").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/login"));
    assert_eq!(c.body("/session/get?key=next").await, "\"/secret\"");
    assert_eq!(c.body("/take-next").await, "/secret");
    assert_eq!(c.body("/take-next").await, "<none>");
}

/// Upstream `test_unauthorized_with_next_in_strong_session`: unauthorized()
/// stores the identifier with `next`, so strong protection keeps it.
#[actix_web::test]
async fn next_in_the_session_survives_strong_protection() {
    let signals = Signals::default();
    let s = signals.clone();
    let mut c = client_with(move |b| {
        s.subscribe(
            b.login_view("login")
                .use_session_for_next(true)
                .session_protection(actix_login::SessionProtection::Strong),
        )
    })
    .await;
    let r = c.get("/protected?x=1").await;
    assert_eq!(r.location(), Some("/login"));
    // The login view touches the current user.
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(signals.count(Signal::SessionProtected), 0);
    assert_eq!(c.body("/take-next").await, "/protected?x=1");
}

/// Upstream `test_unauthorized_uses_blueprint_login_view` and
/// `test_set_login_view_without_blueprints`, with actix scopes for
/// blueprints.
#[actix_web::test]
async fn scopes_have_their_own_login_views() {
    #[login_required]
    async fn scoped() -> HttpResponse {
        HttpResponse::Ok().body("Access Granted")
    }
    let m = manager(|b| {
        b.login_view("/app_login")
            .scope_login_view("/first", Some("/first_login"))
            .scope_login_view("/second/", Some("/second_login"))
            .scope_login_view("/api", None)
    });
    let mut c = start(m, Users::data(), |cfg| {
        for prefix in ["/first", "/second", "/firstly", "/api"] {
            cfg.service(web::scope(prefix).route("/protected", web::get().to(scoped)));
        }
    })
    .await;
    let r = c.get("/protected").await;
    assert_eq!(r.location(), Some("/app_login?next=%2Fprotected"));
    let r = c.get("/first/protected").await;
    assert_eq!(r.location(), Some("/first_login?next=%2Ffirst%2Fprotected"));
    let r = c.get("/second/protected").await;
    assert_eq!(
        r.location(),
        Some("/second_login?next=%2Fsecond%2Fprotected")
    );
    // Prefixes match whole segments.
    let r = c.get("/firstly/protected").await;
    assert_eq!(r.location(), Some("/app_login?next=%2Ffirstly%2Fprotected"));
    // A scope without a view answers 401.
    let r = c.get("/api/protected").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.location(), None);
    c.get("/login-notch").await;
    assert_eq!(c.body("/first/protected").await, "Access Granted");
}

/// `StrictHostForRedirectsTestCase.test_unauthorized_uses_host_from_next_url`.
#[actix_web::test]
async fn redirect_is_relative_whatever_the_host() {
    let mut c = client_with(|b| b.login_view("login")).await;
    let r = c
        .send(
            TestRequest::get()
                .uri("/secret")
                .insert_header((header::HOST, "foo.com")),
        )
        .await;
    assert_eq!(r.location(), Some("/login?next=%2Fsecret"));
}

/// `StrictHostForRedirectsTestCase.test_unauthorized_uses_host_from_config_when_available`.
#[actix_web::test]
async fn forced_host_goes_into_the_redirect() {
    let mut c = client_with(|b| b.login_view("login").force_host_for_redirects("good.com")).await;
    let r = c
        .send(
            TestRequest::get()
                .uri("/secret")
                .insert_header((header::HOST, "bad.com")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("//good.com/login?next=%2Fsecret"));
}

#[actix_web::test]
async fn login_view_query_keys_keep_their_order_and_next_is_replaced() {
    let mut c = client_with(|b| b.login_view("/login?z=1&a=2&next=old")).await;
    let r = c.get("/protected").await;
    assert_eq!(r.location(), Some("/login?z=1&a=2&next=%2Fprotected"));
    let mut c = client_with(|b| b.login_view("/login?affil=cgnu")).await;
    assert_eq!(
        c.get("/protected").await.location(),
        Some("/login?affil=cgnu&next=%2Fprotected")
    );
    let mut c = client_with(|b| b.login_view("/login?a=1&a=2&b=")).await;
    assert_eq!(
        c.get("/protected").await.location(),
        Some("/login?a=1&a=2&b=&next=%2Fprotected")
    );
}

#[actix_web::test]
async fn absolute_login_view_on_another_host_gets_the_full_url_in_next() {
    let mut c = client_with(|b| b.login_view("https://auth.example.com/login")).await;
    let r = c
        .send(
            TestRequest::get()
                .uri("/protected?x=1")
                .insert_header((header::HOST, "localhost")),
        )
        .await;
    assert_eq!(
        r.location(),
        Some("https://auth.example.com/login?next=http%3A%2F%2Flocalhost%2Fprotected%3Fx%3D1")
    );
    // Same scheme and host: `next` is just the path.
    let mut c = client_with(|b| b.login_view("http://localhost/login")).await;
    let r = c
        .send(
            TestRequest::get()
                .uri("/secret?y=1")
                .insert_header((header::HOST, "localhost")),
        )
        .await;
    assert_eq!(
        r.location(),
        Some("http://localhost/login?next=%2Fsecret%3Fy%3D1")
    );
}

#[actix_web::test]
async fn custom_next_field() {
    let mut c = client_with(|b| b.login_view("/login").next_field("n")).await;
    assert_eq!(
        c.get("/secret").await.location(),
        Some("/login?n=%2Fsecret")
    );
}

#[actix_web::test]
async fn unknown_named_login_view_is_a_server_error() {
    let mut c = client_with(|b| b.login_view("no_such_view")).await;
    let r = c.get("/secret").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.location(), None);
}

#[actix_web::test]
async fn api_clients_can_get_json_instead_of_a_redirect() {
    let mut c = client_with(|b| b.login_view("/login").json_for_api_clients(true)).await;
    let r = c
        .send(
            TestRequest::get()
                .uri("/protected")
                .insert_header((header::ACCEPT, "application/json")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.location(), None);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "error": "unauthorized",
            "message": "Please log in to access this page.",
            "location": "/login?next=%2Fprotected",
        })
    );
    // Browsers still get the redirect.
    let r = c
        .send(
            TestRequest::get()
                .uri("/protected")
                .insert_header((header::ACCEPT, "text/html")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
}

/// `TestLoginUrlGeneration` (§5.4).
#[test]
fn login_url_and_make_next_param_match_flask_login() {
    let p = "http://localhost/protected";
    assert_eq!(
        make_next_param("/login", "http://localhost/profile"),
        "/profile"
    );
    assert_eq!(
        make_next_param("https://localhost/login", "http://localhost/profile"),
        "http://localhost/profile"
    );
    assert_eq!(
        make_next_param(
            "http://accounts.localhost/login",
            "http://localhost/profile"
        ),
        "http://localhost/profile"
    );
    assert_eq!(login_url("/login", Some(p), "n"), "/login?n=%2Fprotected");
    assert_eq!(
        login_url("/login", Some(p), "next"),
        "/login?next=%2Fprotected"
    );
    assert_eq!(
        login_url("https://auth.localhost/login", Some(p), "next"),
        "https://auth.localhost/login?next=http%3A%2F%2Flocalhost%2Fprotected"
    );
    assert_eq!(
        login_url("/login?affil=cgnu", Some(p), "next"),
        "/login?affil=cgnu&next=%2Fprotected"
    );
    assert_eq!(
        login_url("/login", Some("/protected"), "next"),
        "/login?next=%2Fprotected"
    );
    assert_eq!(login_url("/foo", None, "next"), "/foo");
    // The table of §3.
    assert_eq!(
        login_url("/login", Some("/p%C3%A4th/%C3%BC"), "next"),
        "/login?next=%2Fp%25C3%25A4th%2F%25C3%25BC",
        "escapes of the target are kept, so their % is quoted"
    );
    assert_eq!(
        login_url("/login?z=1&a=2&next=old", Some("/protected"), "next"),
        "/login?z=1&a=2&next=%2Fprotected"
    );
    assert_eq!(
        login_url("/login?a=1&a=2&b=", Some("/x"), "next"),
        "/login?a=1&a=2&b=&next=%2Fx"
    );
    assert_eq!(
        login_url(
            "http://localhost/login",
            Some("http://localhost/x?y=1"),
            "next"
        ),
        "http://localhost/login?next=%2Fx%3Fy%3D1"
    );
    assert_eq!(
        login_url("/login", Some("https://localhost/x"), "next"),
        "/login?next=%2Fx"
    );
    assert_eq!(
        login_url(
            "/login",
            Some("http://localhost/p~!*'()@:$,;=+&?q=a b/c%20d&r=ü#frag"),
            "next"
        ),
        "/login?next=%2Fp~%21%2A%27%28%29%40%3A%24%2C%3B%3D%2B%26%3Fq%3Da+b%2Fc%2520d%26r%3D%C3%BC"
    );
}

/// Python's `urlsplit("/p#")` has an empty fragment, and `make_next_param`
/// rebuilds the URL without the `#`.
#[test]
fn make_next_param_drops_an_empty_fragment_like_flask_login() {
    assert_eq!(make_next_param("/login", "/p#"), "/p");
    assert_eq!(make_next_param("/login", "/p?#"), "/p");
    assert_eq!(login_url("/login", Some("/p#"), "next"), "/login?next=%2Fp");
    // A non-empty fragment is dropped already.
    assert_eq!(make_next_param("/login", "/p?a=1#x"), "/p?a=1");
}
