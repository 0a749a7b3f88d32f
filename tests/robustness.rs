//! What a client can throw at the app, and how the app can be set up
//! wrong: bad remember cookies are anonymous (never a 5xx or a panic), a
//! failing loader answers 500 without touching the session, a steady
//! request writes no session, and a missing or misplaced middleware says
//! how to fix it.

use crate::common::*;
use actix_login::{CurrentUser, Profile, SessionProtection, User};
use actix_web::{
    http::{header, header::HeaderValue, StatusCode},
    test::{self, TestRequest},
    web, App, HttpResponse,
};

const PROFILES: [Profile; 2] = [Profile::V0_6_3, Profile::V0_2_4];

/// GETs `path` with the jar's cookies and `remember=<raw bytes>`.
async fn with_remember<S>(c: &mut Client<S>, path: &str, raw: &[u8]) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let mut cookie = c.jar.header().unwrap_or_default();
    if !cookie.is_empty() {
        cookie.extend_from_slice(b"; ");
    }
    cookie.extend_from_slice(b"remember=");
    cookie.extend_from_slice(raw);
    let value = HeaderValue::from_bytes(&cookie).expect("a header value");
    c.send(
        TestRequest::get()
            .uri(path)
            .insert_header((header::COOKIE, value)),
    )
    .await
}

/// Every request with this remember cookie is anonymous and writes nothing.
async fn assert_anonymous(profile: Profile, label: &str, raw: &[u8]) {
    let mut c = client_with(move |b| {
        b.profile(profile)
            .session_protection(SessionProtection::Basic)
    })
    .await;
    // Establish the eager profile's `_id` first, so "writes nothing" holds.
    c.get("/").await;
    let r = with_remember(&mut c, "/username", raw).await;
    assert_eq!(r.status, StatusCode::OK, "{profile:?} {label}: {}", r.body);
    assert_eq!(r.body, "Anonymous", "{profile:?} {label}");
    assert_eq!(r.set_cookie(REMEMBER_COOKIE), None, "{profile:?} {label}");
    // A Cookie header that is not UTF-8 makes actix-web's cookie parser
    // (and so actix-session) drop every cookie of the request: the session
    // is a new one, which the 0.2.4 profile stamps with its identifier.
    if std::str::from_utf8(raw).is_ok() || profile == Profile::V0_6_3 {
        assert!(
            r.set_cookies().is_empty(),
            "{profile:?} {label}: {:?}",
            r.set_cookies()
        );
    }
    let r = with_remember(&mut c, "/protected", raw).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{profile:?} {label}");
    let r = with_remember(&mut c, "/is-remembered", raw).await;
    assert_eq!(r.body, "False", "{profile:?} {label}");
    let r = with_remember(&mut c, "/", raw).await;
    assert_eq!(r.status, StatusCode::OK, "{profile:?} {label}");
}

fn valid(profile: Profile) -> String {
    manager(|b| b.profile(profile)).encode_cookie("1")
}

#[actix_web::test]
async fn tampered_remember_cookie_is_anonymous() {
    for profile in PROFILES {
        let good = valid(profile);
        let mut flipped = good.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        assert_anonymous(profile, "last digest char flipped", &flipped).await;
        assert_anonymous(profile, "id changed", good.replacen('1', "2", 1).as_bytes()).await;
        assert_anonymous(profile, "id prefixed", format!("1{good}").as_bytes()).await;
    }
}

#[actix_web::test]
async fn bad_remember_cookie_does_not_log_out_a_session_user() {
    for profile in PROFILES {
        let mut c = client_with(move |b| {
            b.profile(profile)
                .session_protection(SessionProtection::Basic)
        })
        .await;
        c.get("/login-as/2").await;
        for raw in [b"1|deadbeef".as_slice(), b"", b"\"", b"|"] {
            let r = with_remember(&mut c, "/username", raw).await;
            assert_eq!(
                r.body,
                "Steve",
                "{profile:?} {:?}",
                String::from_utf8_lossy(raw)
            );
            assert!(
                r.set_cookies().is_empty(),
                "{profile:?}: {:?}",
                r.set_cookies()
            );
        }
    }
}

#[actix_web::test]
async fn truncated_remember_cookie_is_anonymous() {
    for profile in PROFILES {
        let good = valid(profile);
        for cut in [1, 2, 40, good.len() - 2] {
            assert_anonymous(
                profile,
                &format!("{cut} chars cut"),
                &good.as_bytes()[..good.len() - cut],
            )
            .await;
        }
    }
}

/// DIFFERENCES F4 / CHANGELOG "Fixed": upstream 0.6.3 answered 500.
#[actix_web::test]
async fn non_ascii_remember_cookie_is_anonymous() {
    for profile in PROFILES {
        let good = valid(profile);
        assert_anonymous(profile, "1|é (UTF-8)", "1|é".as_bytes()).await;
        assert_anonymous(profile, "1|\\xe9 (Latin-1)", b"1|\xe9").await;
        assert_anonymous(profile, "quoted \\303\\251", b"\"1|\\303\\251\"").await;
        let mut bytes = good.clone().into_bytes();
        let n = bytes.len();
        bytes[n - 5] = 0xff;
        assert_anonymous(profile, "0xff inside the digest", &bytes).await;
        assert_anonymous(profile, "valid + é", format!("{good}é").as_bytes()).await;
        assert_anonymous(
            profile,
            "non-UTF-8 id",
            &[
                b"\xff\xfe|".as_slice(),
                good.split_once('|').unwrap().1.as_bytes(),
            ]
            .concat(),
        )
        .await;
    }
}

#[actix_web::test]
async fn huge_remember_cookie_is_anonymous() {
    for profile in PROFILES {
        assert_anonymous(profile, "64 KiB of a", &vec![b'a'; 64 * 1024]).await;
        let mut huge = vec![b'|'; 32 * 1024];
        huge.extend_from_slice(valid(profile).as_bytes());
        assert_anonymous(profile, "32 KiB of bars + valid", &huge).await;
        // A validly signed long id is just an unknown user. (Not a huge
        // one: 0.6.3 writes the cookie's id into the session before asking
        // the loader, as upstream does, and a cookie session store has a
        // 4 KiB limit; only the secret's holder can sign such a cookie.)
        let long_id = "9".repeat(1_000);
        let signed = manager(|b| b.profile(profile)).encode_cookie(&long_id);
        let mut c = client_with(move |b| b.profile(profile)).await;
        c.set_remember(&signed);
        let r = c.get("/username").await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (StatusCode::OK, "Anonymous"),
            "{profile:?}"
        );
    }
}

#[actix_web::test]
async fn malformed_remember_cookie_is_anonymous() {
    let cases: [&[u8]; 16] = [
        b"",
        b"|",
        b"||",
        b"\"",
        b"\"\"",
        b"\"unterminated|abc",
        b"\"1|",
        b"\\",
        b"\"\\",
        b"\"\\4\"",
        b"\"\\777|\\400\"",
        b"1|",
        b"%31%7C",
        b"1|\t",
        b"=1|abc",
        b"\x80\x81\xff",
    ];
    for profile in PROFILES {
        for raw in cases {
            assert_anonymous(profile, &String::from_utf8_lossy(raw), raw).await;
        }
    }
}

#[actix_web::test]
async fn quoted_remember_cookie_is_read_as_werkzeug_reads_it() {
    for profile in PROFILES {
        let good = valid(profile);
        let (_, digest) = good.split_once('|').unwrap();
        for sent in [
            format!("\"{good}\""),
            format!("\"\\061|{digest}\""),
            format!("\"\\1|{digest}\""),
        ] {
            let mut c = client_with(move |b| b.profile(profile)).await;
            c.set_remember(&sent);
            assert_eq!(c.body("/username").await, "Notch", "{profile:?} {sent}");
        }
    }
}

#[actix_web::test]
async fn the_first_remember_cookie_counts_in_063_and_the_last_in_024() {
    // Werkzeug 3 keeps every pair and `cookies[name]` is the first; Werkzeug
    // 0.16 built a dict, so the last one won.
    for (profile, first_wins) in [(Profile::V0_6_3, true), (Profile::V0_2_4, false)] {
        let mut c = client_with(move |b| b.profile(profile)).await;
        let good = c.manager.encode_cookie("1");
        for (header, first_is_good) in [
            (format!("remember=junk; remember={good}"), false),
            (format!("remember={good}; remember=junk"), true),
        ] {
            let r = c
                .send(
                    TestRequest::get()
                        .uri("/username")
                        .insert_header((header::COOKIE, header)),
                )
                .await;
            let expected = if first_is_good == first_wins {
                "Notch"
            } else {
                "Anonymous"
            };
            assert_eq!(r.body, expected, "{profile:?}");
        }
    }
}

#[actix_web::test]
async fn remember_cookie_in_a_second_cookie_header_is_found() {
    let mut c = client().await;
    let mut req = TestRequest::get()
        .uri("/username")
        .peer_addr(c.peer)
        .to_request();
    req.headers_mut()
        .append(header::COOKIE, HeaderValue::from_static("a=1; b=\"x;y\""));
    req.headers_mut().append(
        header::COOKIE,
        HeaderValue::from_str(&format!("remember={}", signed("1"))).unwrap(),
    );
    let svc = test::init_service(
        App::new()
            .app_data(c.users.clone())
            .wrap(c.manager.clone())
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    let res = test::call_service(&svc, req).await;
    assert_eq!(test::read_body(res).await, "Notch");
    // And a cookie whose name merely ends in the remember cookie's is not it.
    c.jar.set("xremember", &signed("1"));
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn malformed_session_values_are_ignored() {
    for value in ["{\"x\":1}", "[1,2]", "null", "true", "1.5", "\"\""] {
        let mut c = client_with(|b| b.session_protection(SessionProtection::Basic)).await;
        c.get(&format!("/session/set?key=_user_id&value={}", quote(value)))
            .await;
        c.get("/session/set?key=_fresh&value=%22yes%22").await;
        c.get("/session/set?key=_id&value=42").await;
        let r = c.get("/username").await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (StatusCode::OK, "Anonymous"),
            "_user_id={value}"
        );
        assert_eq!(c.body("/is-fresh").await, "False");
        assert_eq!(c.get("/protected").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(c.get("/logout").await.status, StatusCode::OK);
    }
}

#[actix_web::test]
async fn malformed_remember_seconds_fall_back_to_the_configured_duration() {
    async fn bad_seconds(
        req: actix_web::HttpRequest,
        users: web::Data<Users>,
    ) -> actix_web::Result<HttpResponse> {
        actix_login::login_user(
            &req,
            users.get("1").unwrap(),
            actix_login::LoginOptions::new().remember(true),
        )?;
        actix_session::SessionExt::get_session(&req).insert("_remember_seconds", "soon")?;
        Ok(HttpResponse::Ok().body("True"))
    }
    let mut c = start(manager(|b| b), Users::data(), |cfg| {
        cfg.route("/bad-seconds", web::get().to(bad_seconds));
    })
    .await;
    let r = c.get("/bad-seconds").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_expires_in(
        &r.set_cookie(REMEMBER_COOKIE).unwrap(),
        std::time::Duration::from_secs(365 * 24 * 3600),
    );
}

#[actix_web::test]
async fn tampered_session_cookie_is_a_new_session() {
    let mut c = client().await;
    c.get("/login-notch").await;
    let session = c.jar.get(SESSION_COOKIE).unwrap().to_owned();
    c.jar.set(SESSION_COOKIE, &format!("x{session}"));
    let r = c.get("/username").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "Anonymous"));
}

// ---------------------------------------------------------------- loaders

#[actix_web::test]
async fn failing_user_loader_answers_500_and_leaves_the_session_alone() {
    for profile in PROFILES {
        let mut c = client_with(move |b| {
            b.profile(profile)
                .session_protection(SessionProtection::Basic)
        })
        .await;
        c.get("/login-notch").await;
        let cookies = c.jar.header();
        c.users.fail(true);
        for path in ["/username", "/protected", "/fresh", "/logout"] {
            let r = c.get(path).await;
            assert_eq!(
                r.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{profile:?} {path}"
            );
            assert!(
                r.set_cookies().is_empty(),
                "{profile:?} {path}: {:?}",
                r.set_cookies()
            );
        }
        assert_eq!(c.jar.header(), cookies);
        c.users.fail(false);
        assert_eq!(c.body("/username").await, "Notch", "{profile:?}");
        assert_eq!(c.body("/is-fresh").await, "True", "{profile:?}");
    }
}

#[actix_web::test]
async fn failing_loader_during_a_cookie_restore_writes_nothing() {
    for profile in PROFILES {
        let mut c = client_with(move |b| {
            b.profile(profile)
                .session_protection(SessionProtection::Strong)
        })
        .await;
        c.get("/login-notch-remember").await;
        c.clear_session();
        c.users.fail(true);
        let r = c.get("/username").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{profile:?}");
        assert!(
            r.set_cookies().is_empty(),
            "{profile:?}: {:?}",
            r.set_cookies()
        );
        assert_eq!(c.jar.names(), vec![REMEMBER_COOKIE]);
        c.users.fail(false);
        assert_eq!(c.body("/username").await, "Notch", "{profile:?}");
    }
}

/// 0.6.3: a loader answering `None` makes the request anonymous; the
/// session keeps the id, so the user is back when the loader knows them
/// again (upstream does not pop `_user_id` either).
#[actix_web::test]
async fn loader_returning_none_logs_out() {
    let mut c = client().await;
    c.get("/login-notch").await;
    c.users.forget("1");
    let r = c.get("/username").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "Anonymous"));
    assert_eq!(c.get("/protected").await.status, StatusCode::UNAUTHORIZED);
    let r = c.get("/logout").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(c.body("/session/keys").await, "");
}

// ------------------------------------------------------ session writes

/// Upstream `test_session_not_modified`: steady requests, logged in or
/// not, write no session (no `Set-Cookie` at all).
#[actix_web::test]
async fn steady_requests_write_no_session() {
    for mode in [
        SessionProtection::Off,
        SessionProtection::Basic,
        SessionProtection::Strong,
    ] {
        let mut c = client_with(move |b| b.session_protection(mode)).await;
        for path in ["/", "/username", "/protected", "/is-fresh", "/secret"] {
            let r = c.get(path).await;
            assert!(
                r.set_cookies().is_empty(),
                "{mode:?} anonymous {path}: {:?}",
                r.set_cookies()
            );
        }
        c.get("/login-notch-remember").await;
        for path in [
            "/",
            "/username",
            "/protected",
            "/fresh",
            "/is-fresh",
            "/is-remembered",
        ] {
            let r = c.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{mode:?} {path}");
            assert!(
                r.set_cookies().is_empty(),
                "{mode:?} logged in {path}: {:?}",
                r.set_cookies()
            );
        }
        // A restored session is steady from its second request on.
        c.clear_session();
        assert!(c
            .get("/username")
            .await
            .set_cookie(SESSION_COOKIE)
            .is_some());
        let r = c.get("/username").await;
        assert!(
            r.set_cookies().is_empty(),
            "{mode:?} restored: {:?}",
            r.set_cookies()
        );
        // confirm_login of an already fresh login with the same identifier
        // changes nothing.
        c.get("/confirm-login").await;
        let r = c.get("/confirm-login").await;
        assert!(
            r.set_cookies().is_empty(),
            "{mode:?} confirm twice: {:?}",
            r.set_cookies()
        );
    }
}

/// Session fixation: `login_user` renews the session even when it writes
/// the same values.
#[actix_web::test]
async fn login_user_renews_the_session() {
    let mut c = client().await;
    let first = c
        .get("/login-notch")
        .await
        .set_cookie(SESSION_COOKIE)
        .expect("session cookie")
        .value;
    let again = c
        .get("/login-notch")
        .await
        .set_cookie(SESSION_COOKIE)
        .expect("renewed although unchanged");
    assert_ne!(first, again.value);
    let other = c
        .get("/login-as/2")
        .await
        .set_cookie(SESSION_COOKIE)
        .unwrap()
        .value;
    assert_ne!(again.value, other);
    assert_eq!(c.body("/username").await, "Steve");
    // A refused login does not renew.
    assert!(c.get("/login-as/3").await.set_cookies().is_empty());
}

#[actix_web::test]
async fn session_cookie_attributes() {
    let mut c = client().await;
    let r = c.get("/login-notch").await;
    let s = r.set_cookie(SESSION_COOKIE).unwrap();
    assert!(!s.has_attr("secure"), "cookie_secure(false): {s:?}");
    assert!(s.has_attr("httponly"));
    assert_eq!(s.attr("path"), Some("/"));
}

// ------------------------------------------------------- app mistakes

/// A handler that uses the current user on an app without the LoginManager
/// middleware answers 500 with how to fix it.
#[actix_web::test]
async fn forgetting_the_login_manager_is_a_500_that_says_how_to_wrap_it() {
    let users = Users::data();
    let svc = test::init_service(
        App::new()
            .app_data(users.clone())
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    let mut c = Client::new(svc, users, manager(|b| b));
    assert_eq!(c.body("/").await, "Welcome!");
    // Functions that only read answer an error too: a `false` could pass
    // for a real answer.
    for path in [
        "/username",
        "/protected",
        "/fresh",
        "/login-notch",
        "/logout",
        "/confirm-login",
        "/secret",
        "/needs-refresh",
        "/is-fresh",
        "/is-remembered",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(
            r.body.contains("no LoginManager middleware"),
            "{path}: {}",
            r.body
        );
        assert!(
            r.body
                .contains("App::new().wrap(login_manager).wrap(SessionMiddleware::new(..))"),
            "{path}: {}",
            r.body
        );
    }
}

async fn outside_session_middleware(
    profile: Profile,
) -> Client<
    impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
> {
    let users = Users::data();
    let m = manager(|b| b.profile(profile));
    // Wrong order: the last `.wrap()` runs first, so the login manager runs
    // before the session is loaded.
    let svc = test::init_service(
        App::new()
            .app_data(users.clone())
            .wrap(session_middleware())
            .wrap(m.clone())
            .configure(routes),
    )
    .await;
    Client::new(svc, users, m)
}

/// In the 0.6.3 profile the user is loaded when the handler asks, by which
/// time the session is there whatever the order of `.wrap()`; what the
/// response does to the remember cookie was decided at login. So the wrong
/// order still works: nobody is silently logged out.
#[actix_web::test]
async fn login_manager_outside_the_session_middleware_still_works_in_063() {
    let mut c = outside_session_middleware(Profile::V0_6_3).await;
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(c.body("/login-notch-remember").await, "True");
    assert!(c.jar.get(REMEMBER_COOKIE).is_some(), "remember cookie set");
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.get("/protected").await.body, "Access Granted");
    c.clear_session();
    assert_eq!(
        c.body("/username").await,
        "Notch",
        "restored from the cookie"
    );
    c.body("/logout").await;
    assert_eq!(c.body("/username").await, "Anonymous");
    assert!(c.jar.get(REMEMBER_COOKIE).is_none(), "cookie deleted");
}

#[actix_web::test]
async fn login_manager_outside_the_session_middleware_is_a_clear_error_in_024() {
    // A login, and a request with only a remember cookie: each is the 500
    // that says how to fix the order (an anonymous page stays a page).
    let mut c = outside_session_middleware(Profile::V0_2_4).await;
    let valid_remember = c.manager.encode_cookie("1");
    for step in ["login", "remember cookie"] {
        let r = match step {
            "login" => c.get("/login-notch").await,
            _ => {
                c.jar = Jar::default();
                c.set_remember(&valid_remember);
                c.get("/username").await
            }
        };
        assert_eq!(
            r.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{step}: {}",
            r.body
        );
        assert!(
            r.body.contains("runs outside SessionMiddleware"),
            "{step}: {}",
            r.body
        );
    }
}

#[actix_web::test]
async fn asking_for_another_user_type_is_a_500_that_names_it() {
    #[derive(Clone)]
    struct Admin;
    impl User for Admin {
        fn get_id(&self) -> String {
            "admin".to_owned()
        }
    }
    async fn admin(_: CurrentUser<Admin>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    let mut c = start(manager(|b| b), Users::data(), |cfg| {
        cfg.route("/admin", web::get().to(admin));
    })
    .await;
    let r = c.get("/admin").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.body.contains("asked for user type"), "{}", r.body);
    assert!(r.body.contains("Admin"), "{}", r.body);
}

/// Guards answer through extractor errors; the session middleware still
/// saves what the response put in the session (the flash).
#[actix_web::test]
async fn redirects_still_save_the_flash() {
    let mut c = client_with(|b| b.login_view("/login")).await;
    let r = c.get("/protected").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(!r.was_error);
    assert!(r.set_cookie(SESSION_COOKIE).is_some());
    assert_eq!(
        c.body("/flashes").await,
        r#"[["message","Please log in to access this page."]]"#
    );
}

#[test]
#[should_panic(expected = "secret key is empty")]
fn a_manager_with_an_empty_secret_refuses_to_build() {
    let _ = actix_login::LoginManager::builder(load_user, "").build();
}

#[test]
#[should_panic(expected = "secret key is empty")]
fn a_manager_with_empty_secret_bytes_refuses_to_build() {
    let _ = actix_login::LoginManager::builder(load_user, actix_login::SecretKey::bytes(vec![]))
        .build();
}

#[test]
#[should_panic(expected = "Latin-1")]
fn a_063_text_secret_outside_latin1_refuses_to_build() {
    let _ = actix_login::LoginManager::builder(load_user, "秘密").build();
}
