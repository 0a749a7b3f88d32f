//! A visitor over plain HTTP, with the app's default settings: sessions in
//! the (encrypted) cookie store, passwords hashed at the app's real Argon2
//! cost, users in a SQLite file the test reads afterwards.

use actix_web::http::StatusCode;

use crate::support::{App, Visitor, REMEMBER_COOKIE, SESSION_COOKIE};

#[actix_web::test]
async fn a_visitor_logs_in_is_remembered_reauthenticates_and_logs_out() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = dir.path().join("users.sqlite3");
    let app = App::start(
        dir.path(),
        &[
            ("DATABASE", database.to_str().expect("a UTF-8 path")),
            ("INSECURE_FAST_HASHING", "false"),
        ],
    );
    let mut visitor = Visitor::default();

    // A protected page sends an anonymous visitor to the login form.
    visitor
        .get(&app.url("/members"))
        .await
        .assert_redirect("/login?next=%2Fmembers");
    visitor
        .get(&app.url("/login?next=%2Fmembers"))
        .await
        .assert_ok_with("Please log in to access this page.");

    // A form posted without the session's CSRF token is refused.
    let refused = visitor
        .post(
            &app.url("/login"),
            &[("username", "alice"), ("password", "wonderland")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(!visitor.cookies.contains_key(REMEMBER_COOKIE));

    // A wrong password is refused, with a message.
    let token = visitor.get(&app.url("/login")).await.csrf_token();
    visitor
        .post(
            &app.url("/login"),
            &[
                ("csrf_token", token.as_str()),
                ("username", "alice"),
                ("password", "not-the-password"),
            ],
        )
        .await
        .assert_redirect("/login");
    visitor
        .get(&app.url("/login"))
        .await
        .assert_ok_with("Invalid username or password.");

    // Logged in with "remember me": the page, fresh.
    visitor.log_in(&app, true).await;
    let page = visitor.get(&app.url("/members")).await;
    page.assert_ok_with("Alice Liddell");
    page.assert_ok_with(r#"<strong id="freshness">fresh</strong>"#);

    // The browser closes (the session cookie goes): the remember cookie
    // logs the visitor in again, not fresh, so the settings page asks for
    // the password first.
    visitor.cookies.remove(SESSION_COOKIE);
    let page = visitor.get(&app.url("/members")).await;
    page.assert_ok_with(r#"<strong id="freshness">not fresh</strong>"#);
    visitor
        .get(&app.url("/settings"))
        .await
        .assert_redirect("/reauthenticate?next=%2Fsettings");
    let token = visitor
        .get(&app.url("/reauthenticate?next=%2Fsettings"))
        .await
        .csrf_token();
    visitor
        .post(
            &app.url("/reauthenticate"),
            &[
                ("csrf_token", token.as_str()),
                ("password", "wonderland"),
                ("next", "/settings"),
            ],
        )
        .await
        .assert_redirect("/settings");
    let settings = visitor.get(&app.url("/settings")).await;
    settings.assert_ok_with("Password confirmed.");

    // Logging out deletes the remember cookie; the page is guarded again.
    let token = settings.csrf_token();
    visitor
        .post(&app.url("/logout"), &[("csrf_token", token.as_str())])
        .await
        .assert_redirect("/");
    assert!(
        !visitor.cookies.contains_key(REMEMBER_COOKIE),
        "logout deletes the remember cookie: {:?}",
        visitor.cookies
    );
    visitor
        .get(&app.url("/members"))
        .await
        .assert_redirect("/login?next=%2Fmembers");
    assert!(
        app.stderr().is_empty(),
        "the app complained:\n{}",
        app.stderr()
    );

    // Every password was hashed with Argon2id at OWASP's m = 46 MiB, t = 1.
    let db = rusqlite::Connection::open(&database).expect("the app's database");
    let mut rows = db
        .prepare("SELECT username, password_hash FROM users")
        .expect("a query");
    let hashes: Vec<(String, String)> = rows
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("the users")
        .collect::<Result<_, _>>()
        .expect("the users");
    assert!(!hashes.is_empty());
    for (username, hash) in hashes {
        assert!(
            hash.starts_with("$argon2id$v=19$m=47104,t=1,p=1$"),
            "{username}: {hash}"
        );
    }
}
