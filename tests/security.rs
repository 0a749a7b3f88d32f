//! The findings of the security audit (issue 15), each as an attack or a
//! misuse through real requests: session fixation through the remember
//! cookie and the other places a user enters the session, `OPTIONS` running
//! guarded handlers, clients growing the session, the stored identifier,
//! trusted proxies, cookie defaults, freshness that fails closed, and
//! session content that must not panic.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use crate::common::*;
use actix_login::{
    login_required, session_identifier, testing::login_as, LoginManager, Profile, RememberCookie,
    SessionProtection,
};
use actix_session::SessionMiddleware;
use actix_web::{
    http::{Method, StatusCode},
    test::{self, TestRequest},
    web, App, HttpResponse,
};

// ------------------------------------------------- a server-side store

async fn server_side_client(
    store: MemoryStore,
    hook: impl FnOnce(
        actix_login::LoginManagerBuilder<TestUser>,
    ) -> actix_login::LoginManagerBuilder<TestUser>,
) -> Client<
    impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
    >,
> {
    let users = Users::data();
    let manager = manager(|b| {
        hook(
            b.session_protection(SessionProtection::Basic)
                .login_view("/login"),
        )
    });
    let svc = test::init_service(
        App::new()
            .app_data(users.clone())
            .wrap(manager.clone())
            .wrap(
                SessionMiddleware::builder(store, session_key())
                    .cookie_name(SESSION_COOKIE.to_owned())
                    .cookie_secure(false)
                    .build(),
            )
            .configure(routes),
    )
    .await;
    Client::new(svc, users, manager)
}

/// The attacker gets an anonymous session of their own (a guarded page
/// flashes the login message, which stores the session) and its cookie.
async fn attackers_session<S, B>(c: &mut Client<S>) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    c.jar = Jar::default();
    c.get("/protected").await;
    c.jar
        .get(SESSION_COOKIE)
        .expect("an anonymous session")
        .to_owned()
}

#[actix_web::test]
async fn a_planted_session_id_is_worthless_after_a_remember_cookie_restore() {
    for profile in [Profile::V0_6_3, Profile::V0_2_4] {
        let store = MemoryStore::default();
        let mut c = server_side_client(store.clone(), |b| b.profile(profile)).await;
        // The victim logged in with "remember me" some time ago.
        c.get("/login-notch-remember").await;
        let remember = c.jar.get(REMEMBER_COOKIE).unwrap().to_owned();
        let planted = attackers_session(&mut c).await;
        // The victim's browser carries the planted session and the remember
        // cookie; the victim is restored.
        c.jar = Jar::default();
        c.jar.set(SESSION_COOKIE, &planted);
        c.jar.set(REMEMBER_COOKIE, &remember);
        assert_eq!(c.body("/username").await, "Notch", "{profile:?}");
        assert_ne!(
            c.jar.get(SESSION_COOKIE),
            Some(planted.as_str()),
            "{profile:?}: session id renewed"
        );
        assert_eq!(c.body("/username").await, "Notch", "{profile:?}: and kept");
        // The attacker, with the planted id alone, is nobody.
        c.jar = Jar::default();
        c.jar.set(SESSION_COOKIE, &planted);
        assert_eq!(c.body("/username").await, "Anonymous", "{profile:?}");
    }
}

#[actix_web::test]
async fn a_planted_session_id_is_worthless_after_a_token_restore() {
    let store = MemoryStore::default();
    let mut c = server_side_client(store, |b| b.token_loader(TableTokenLoader)).await;
    let mut notch = c.users.get("1").unwrap();
    notch.token = Some("notch-token".to_owned());
    c.users.insert(notch);
    assert_eq!(c.get("/login-as/1?remember=1").await.body, "True");
    let remember = c
        .jar
        .get(REMEMBER_COOKIE)
        .expect("a token cookie")
        .to_owned();
    let planted = attackers_session(&mut c).await;
    c.jar = Jar::default();
    c.jar.set(SESSION_COOKIE, &planted);
    c.jar.set(REMEMBER_COOKIE, &remember);
    assert_eq!(c.body("/username").await, "Notch");
    c.jar = Jar::default();
    c.jar.set(SESSION_COOKIE, &planted);
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn a_planted_session_id_is_worthless_after_a_login_and_after_the_test_helper() {
    let store = MemoryStore::default();
    let mut c = server_side_client(store, |b| b).await;
    let planted = attackers_session(&mut c).await;
    c.jar.set(SESSION_COOKIE, &planted);
    c.get("/login-notch").await;
    assert_ne!(c.jar.get(SESSION_COOKIE), Some(planted.as_str()));

    let planted = attackers_session(&mut c).await;
    c.jar.set(SESSION_COOKIE, &planted);
    let req = login_as(
        TestRequest::get()
            .uri("/username")
            .peer_addr(c.peer)
            .to_request(),
        "1",
        true,
    );
    assert_eq!(c.send_request(req).await.body, "Notch");
    assert_ne!(c.jar.get(SESSION_COOKIE), Some(planted.as_str()));
    c.jar = Jar::default();
    c.jar.set(SESSION_COOKIE, &planted);
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn logout_renews_the_session_id_and_drops_the_old_session() {
    let store = MemoryStore::default();
    let mut c = server_side_client(store.clone(), |b| b).await;
    c.get("/login-notch").await;
    let before = c.jar.get(SESSION_COOKIE).unwrap().to_owned();
    c.get("/logout").await;
    assert_ne!(c.jar.get(SESSION_COOKIE), Some(before.as_str()));
    c.jar = Jar::default();
    c.jar.set(SESSION_COOKIE, &before);
    assert_eq!(c.body("/username").await, "Anonymous");
    assert!(store.sessions() <= 1, "the old session was deleted");
}

// ------------------------------------------------------------- OPTIONS

#[actix_web::test]
async fn an_anonymous_options_request_never_runs_a_guarded_handler() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[login_required]
    async fn delete_everything() -> HttpResponse {
        RUNS.fetch_add(1, Ordering::SeqCst);
        HttpResponse::Ok().body("deleted")
    }
    for exempt in [None, Some(true), Some(false)] {
        RUNS.store(0, Ordering::SeqCst);
        let mut c = start(
            manager(|b| match exempt {
                Some(e) => b.exempt_options(e),
                None => b,
            }),
            Users::data(),
            |cfg| {
                // No method guard: actix calls the handler for any method.
                cfg.service(web::resource("/admin").to(delete_everything))
                    .default_service(web::to(delete_everything));
            },
        )
        .await;
        for path in ["/admin", "/elsewhere"] {
            let r = c.request(Method::OPTIONS, path).await;
            let expected = if exempt == Some(false) {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::OK
            };
            assert_eq!(r.status, expected, "{exempt:?} OPTIONS {path}");
            if exempt != Some(false) {
                assert_eq!(r.body, "", "{exempt:?} OPTIONS {path}");
            }
            for method in [Method::GET, Method::DELETE] {
                assert_eq!(
                    c.request(method, path).await.status,
                    StatusCode::UNAUTHORIZED
                );
            }
        }
        assert_eq!(
            RUNS.load(Ordering::SeqCst),
            0,
            "{exempt:?}: the handler ran"
        );
        // Logged in, the handler runs for the other methods.
        c.get("/login-notch").await;
        assert_eq!(c.request(Method::DELETE, "/admin").await.body, "deleted");
        assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    }
}

// --------------------------------------------------------- session growth

#[actix_web::test]
async fn hammering_a_guarded_page_does_not_grow_the_session() {
    let mut c = client_with(|b| b.login_view("/login").refresh_view("/refresh-view")).await;
    for _ in 0..200 {
        assert_eq!(c.get("/protected").await.status, StatusCode::FOUND);
    }
    assert_eq!(
        c.body("/flashes").await,
        r#"[["message","Please log in to access this page."]]"#
    );
    // Another message in between is kept, and the login message follows it.
    c.get("/protected").await;
    c.get("/login-notch").await;
    c.get("/needs-refresh").await;
    c.get("/logout").await;
    c.get("/protected").await;
    let flashes = c.body("/flashes").await;
    assert_eq!(flashes.matches("Please log in").count(), 2, "{flashes}");
}

#[actix_web::test]
async fn the_024_profile_stores_no_session_for_cookieless_requests() {
    let store = MemoryStore::default();
    let mut c = server_side_client(store.clone(), |b| b.profile(Profile::V0_2_4)).await;
    for i in 0..50 {
        c.jar = Jar::default();
        c.get(&format!("/no-such-page-{i}")).await;
        c.get("/username").await;
    }
    assert_eq!(store.sessions(), 0);
}

// --------------------------------------------------- the stored identifier

#[actix_web::test]
async fn the_stored_identifier_is_keyed_by_the_app_secret() {
    let flask = session_identifier(
        Profile::V0_6_3,
        Some("127.0.0.1"),
        Some(USER_AGENT.as_bytes()),
    );
    let mut stored = Vec::new();
    for secret in [
        "first secret, long enough to be real",
        "second secret, long enough too",
    ] {
        let m = LoginManager::builder(load_user, secret)
            .session_protection(SessionProtection::Basic)
            .remember_cookie(flask_cookie())
            .build();
        let mut c = start(m, Users::data(), |_| {}).await;
        c.get("/login-notch").await;
        let id = c.body("/session/get?key=_id").await;
        // Neither Flask's unkeyed digest nor a prefix of it.
        assert!(!flask.contains(id.trim_matches('"')), "{id}");
        stored.push(id);
    }
    assert_ne!(
        stored[0], stored[1],
        "the key changes the stored identifier"
    );
}

// ------------------------------------------------------- trusted proxies

#[actix_web::test]
async fn trusted_proxies_match_dual_stack_peers_and_entries_with_ports() {
    let cases = [
        // (peer, X-Forwarded-For) → the client is 10.1.1.1.
        ("[::ffff:127.0.0.1]:50000", "10.1.1.1"),
        ("127.0.0.1:50000", "10.1.1.1:5123"),
        ("127.0.0.1:50000", "::ffff:10.1.1.1"),
        ("127.0.0.1:50000", "10.1.1.1, 127.0.0.1:80"),
    ];
    let direct = {
        let mut c = client_with(|b| b.session_protection(SessionProtection::Basic)).await;
        c.peer = "10.1.1.1:4000".parse().unwrap();
        c.get("/login-notch").await;
        c.body("/session/get?key=_id").await
    };
    for (peer, xff) in cases {
        let mut c = client_with(|b| {
            b.session_protection(SessionProtection::Basic)
                .trusted_proxy(IpAddr::V4(Ipv4Addr::LOCALHOST))
        })
        .await;
        c.peer = peer.parse().unwrap();
        c.send(
            TestRequest::get()
                .uri("/login-notch")
                .insert_header(("X-Forwarded-For", xff)),
        )
        .await;
        let r = c
            .send(
                TestRequest::get()
                    .uri("/session/get?key=_id")
                    .insert_header(("X-Forwarded-For", xff)),
            )
            .await;
        assert_eq!(r.body, direct, "peer {peer}, X-Forwarded-For {xff}");
    }
    // Bracketed IPv6 with a port.
    let v6 = {
        let mut c = client_with(|b| b.session_protection(SessionProtection::Basic)).await;
        c.peer = "[2001:db8::7]:4000".parse().unwrap();
        c.get("/login-notch").await;
        c.body("/session/get?key=_id").await
    };
    let mut c = client_with(|b| {
        b.session_protection(SessionProtection::Basic)
            .trusted_proxy(IpAddr::V4(Ipv4Addr::LOCALHOST))
    })
    .await;
    let xff = ("X-Forwarded-For", "[2001:db8::7]:443");
    c.send(TestRequest::get().uri("/login-notch").insert_header(xff))
        .await;
    let r = c
        .send(
            TestRequest::get()
                .uri("/session/get?key=_id")
                .insert_header(xff),
        )
        .await;
    assert_eq!(r.body, v6);
}

// --------------------------------------------------------------- defaults

#[actix_web::test]
async fn the_remember_cookie_is_secure_and_same_site_lax_by_default() {
    let m = LoginManager::builder(load_user, SECRET)
        .remember_cookie(RememberCookie::new().name(REMEMBER_COOKIE))
        .build();
    let mut c = start(m, Users::data(), |_| {}).await;
    let r = c.get("/login-notch-remember").await;
    let cookie = r.set_cookie(REMEMBER_COOKIE).expect("a remember cookie");
    assert!(cookie.has_attr("secure"), "{cookie:?}");
    assert_eq!(cookie.attr("samesite"), Some("Lax"), "{cookie:?}");
    assert!(cookie.has_attr("httponly"), "{cookie:?}");
    // The deletion repeats them, or browsers keep the cookie.
    let r = c.get("/logout").await;
    let gone = r.set_cookie(REMEMBER_COOKIE).expect("a deletion");
    assert!(gone.is_deletion() && gone.has_attr("secure"), "{gone:?}");
    assert_eq!(gone.attr("samesite"), Some("Lax"));
}

// -------------------------------------------------------------- freshness

#[actix_web::test]
async fn freshness_fails_closed_on_anything_but_true() {
    let mut c = client().await;
    c.get("/login-notch").await;
    assert_eq!(c.body("/is-fresh").await, "True");
    for value in ["0", "1", "%22true%22", "null", "%5B%5D", "x"] {
        c.get(&format!("/session/set?key=_fresh&value={value}"))
            .await;
        assert_eq!(c.body("/is-fresh").await, "False", "_fresh = {value}");
        assert_eq!(
            c.get("/fresh").await.status,
            StatusCode::UNAUTHORIZED,
            "_fresh = {value}"
        );
    }
}

// --------------------------------------------------------- session content

#[actix_web::test]
async fn no_session_content_makes_a_request_panic() {
    // Percent-encoded JSON: "", "é", "abc", 1, true, null, {}, "|~", x.
    let values = [
        "%22%22",
        "%22%C3%A9%22",
        "%22abc%22",
        "1",
        "true",
        "null",
        "%7B%7D",
        "%22%7C~%22",
        "x",
    ];
    for key in [
        "_auth_hash",
        "_user_id",
        "_fresh",
        "_id",
        "_remember_seconds",
        "_fresh_at",
        "_flashes",
    ] {
        for value in values {
            let mut c = client_with(|b| {
                b.session_protection(SessionProtection::Strong)
                    .fresh_max_age(Duration::from_secs(60))
                    .remember_cookie(flask_cookie().refresh_each_request(true))
            })
            .await;
            c.get("/login-notch-remember").await;
            c.get(&format!("/session/set?key={key}&value={value}"))
                .await;
            for path in [
                "/username",
                "/protected",
                "/fresh",
                "/is-fresh",
                "/flashes",
                "/logout",
            ] {
                let r = c.get(path).await;
                assert!(
                    r.status.is_success()
                        || r.status.is_redirection()
                        || r.status == StatusCode::UNAUTHORIZED,
                    "{key}={value} {path}: {} {}",
                    r.status,
                    r.body
                );
            }
        }
    }
}
