//! A newcomer's first hour (issue 16): guarded handlers get their user
//! directly, one line guards a whole scope, custom handlers and JSON answers
//! agree, and a custom handler can fall back on the default.

use crate::common::*;
use actix_login::{FreshLoggedIn, FreshLoginRequired, LoggedIn, LoginRequired, Signal};
use actix_web::{
    http::{Method, StatusCode},
    test::TestRequest,
    web, HttpResponse,
};

async fn hello(user: LoggedIn<TestUser>) -> HttpResponse {
    HttpResponse::Ok().body(format!("hello {}", user.name))
}

async fn settings(user: FreshLoggedIn<TestUser>) -> HttpResponse {
    HttpResponse::Ok().body(format!("settings of {}", user.into_inner().name))
}

fn newcomer_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/hello").to(hello))
        .service(web::resource("/settings").to(settings))
        .service(
            web::scope("/account")
                .wrap(LoginRequired)
                .route("/page", web::get().to(|| async { "account page" })),
        )
        .service(
            web::scope("/danger")
                .wrap(FreshLoginRequired)
                .route("/zone", web::get().to(|| async { "danger zone" })),
        );
}

#[actix_web::test]
async fn logged_in_hands_the_handler_its_user() {
    let mut c = start(
        manager(|b| b.login_view("/login")),
        Users::data(),
        newcomer_routes,
    )
    .await;
    let r = c.get("/hello").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/login?next=%2Fhello"));
    c.get("/login-notch").await;
    assert_eq!(c.body("/hello").await, "hello Notch");
    // OPTIONS: answered by the guard, as with #[login_required].
    c.jar = Jar::default();
    let r = c.request(Method::OPTIONS, "/hello").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, ""));
}

#[actix_web::test]
async fn fresh_logged_in_wants_a_fresh_login() {
    let mut c = start(
        manager(|b| b.login_view("/login").refresh_view("/refresh-view")),
        Users::data(),
        newcomer_routes,
    )
    .await;
    assert_eq!(
        c.get("/settings").await.location(),
        Some("/login?next=%2Fsettings")
    );
    c.get("/login-as/1?fresh=0").await;
    assert_eq!(
        c.get("/settings").await.location(),
        Some("/refresh-view?next=%2Fsettings")
    );
    c.get("/confirm-login").await;
    assert_eq!(c.body("/settings").await, "settings of Notch");
}

#[actix_web::test]
async fn one_line_guards_every_route_of_a_scope() {
    let mut c = start(
        manager(|b| b.login_view("/login").refresh_view("/refresh-view")),
        Users::data(),
        newcomer_routes,
    )
    .await;
    let r = c.get("/account/page?tab=2").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.location(),
        Some("/login?next=%2Faccount%2Fpage%3Ftab%3D2")
    );
    assert_eq!(
        c.body("/flashes").await,
        r#"[["message","Please log in to access this page."]]"#
    );
    assert_eq!(
        c.request(Method::OPTIONS, "/account/page").await.status,
        StatusCode::OK
    );
    c.get("/login-as/1?fresh=0").await;
    assert_eq!(c.body("/account/page").await, "account page");
    assert_eq!(
        c.get("/danger/zone").await.location(),
        Some("/refresh-view?next=%2Fdanger%2Fzone")
    );
    c.get("/confirm-login").await;
    assert_eq!(c.body("/danger/zone").await, "danger zone");
}

/// The natural fallback — calling `unauthorized(&req)` inside the custom
/// handler — gives the default response instead of recursing until the
/// stack overflows (which aborted the whole server).
#[actix_web::test]
async fn a_custom_handler_can_fall_back_on_the_default() {
    let signals = Signals::default();
    let s = signals.clone();
    let mut c = start(
        manager(move |b| {
            s.subscribe(
                b.login_view("/login")
                    .refresh_view("/refresh-view")
                    .unauthorized_handler(|req| {
                        if req.path().starts_with("/api") {
                            HttpResponse::Forbidden().body("api: log in")
                        } else {
                            actix_login::unauthorized(req)
                        }
                    })
                    .needs_refresh_handler(actix_login::needs_refresh),
            )
        }),
        Users::data(),
        newcomer_routes,
    )
    .await;
    let r = c.get("/protected").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/login?next=%2Fprotected"));
    assert_eq!(
        signals.count(Signal::Unauthorized),
        1,
        "one signal, not two"
    );
    c.get("/login-as/1?fresh=0").await;
    assert_eq!(
        c.get("/settings").await.location(),
        Some("/refresh-view?next=%2Fsettings")
    );
}

/// A custom handler wins over JSON answers for both refusals, so one app
/// answers one way.
#[actix_web::test]
async fn a_custom_handler_wins_over_json_for_both_refusals() {
    let mut c = start(
        manager(|b| {
            b.login_view("/login")
                .refresh_view("/refresh-view")
                .json_for_api_clients(true)
                .unauthorized_handler(|req| {
                    let json = actix_login::wants_json(req);
                    HttpResponse::Unauthorized().body(format!("custom unauthorized json={json}"))
                })
                .needs_refresh_handler(|req| {
                    let json = actix_login::wants_json(req);
                    HttpResponse::Unauthorized().body(format!("custom refresh json={json}"))
                })
        }),
        Users::data(),
        newcomer_routes,
    )
    .await;
    let api = |path: &str| {
        TestRequest::get()
            .uri(path)
            .insert_header(("Accept", "application/json"))
    };
    assert_eq!(
        c.send(api("/hello")).await.body,
        "custom unauthorized json=true"
    );
    c.get("/login-as/1?fresh=0").await;
    assert_eq!(
        c.send(api("/settings")).await.body,
        "custom refresh json=true"
    );
    assert_eq!(c.get("/settings").await.body, "custom refresh json=false");
}

/// Asking for a user type the manager does not load names both types.
#[actix_web::test]
async fn the_wrong_user_type_names_the_type_the_manager_loads() {
    #[derive(Clone)]
    struct Other;
    impl actix_login::User for Other {
        fn get_id(&self) -> String {
            String::new()
        }
    }
    async fn other(_: LoggedIn<Other>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    let mut c = start(manager(|b| b), Users::data(), |cfg| {
        cfg.route("/other", web::get().to(other));
    })
    .await;
    c.get("/login-notch").await;
    let r = c.get("/other").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.body.contains("Other"), "{}", r.body);
    assert!(r.body.contains("TestUser"), "{}", r.body);
}
