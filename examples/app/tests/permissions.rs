//! The admin page, behind `#[permission_required("admin")]`, over HTTP:
//! anonymous visitors are sent to the login form, a user without the
//! permission gets `403` and no link to it, an admin gets the page and the
//! link.

use actix_web::http::StatusCode;

use crate::support::{App, Visitor};

const ADMIN_LINK: &str = r#"id="admin-link""#;

#[actix_web::test]
async fn only_admins_reach_the_admin_page() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let app = App::start(dir.path(), &[]);

    let mut anonymous = Visitor::default();
    anonymous
        .get(&app.url("/admin"))
        .await
        .assert_redirect("/login?next=%2Fadmin");
    let form = anonymous.get(&app.url("/login?next=%2Fadmin")).await;
    form.assert_ok_with("Please log in to access this page.");
    assert!(!form.body.contains(ADMIN_LINK));

    // carol is active but has no permission.
    let mut carol = Visitor::default();
    carol
        .try_log_in(&app, "carol", "looking-glass")
        .await
        .assert_redirect("/");
    let home = carol.get(&app.url("/")).await;
    home.assert_ok_with(r#"<strong id="display-name">Carol</strong>"#);
    assert!(!home.body.contains(ADMIN_LINK), "{}", home.body);
    let refused = carol.get(&app.url("/admin")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused
        .body
        .contains("Your account does not have the permission this page needs."));

    // alice is an admin: the link on every page, and the page.
    let mut alice = Visitor::default();
    alice.log_in(&app, false).await;
    alice
        .get(&app.url("/members"))
        .await
        .assert_ok_with(ADMIN_LINK);
    let page = alice.get(&app.url("/admin")).await;
    page.assert_ok_with("<h1>Admin</h1>");
    page.assert_ok_with("<td><code>carol</code></td>");
    page.assert_ok_with("<td>admin</td>");
    assert!(
        !app.stderr().contains("panicked"),
        "the app complained:\n{}",
        app.stderr()
    );
}
