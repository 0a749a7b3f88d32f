//! The macros' expansions against the real library: HTTP requests through
//! `SessionMiddleware` and the `LoginManager` middleware.

use std::{collections::HashMap, fmt};

use actix_login::{
    fresh_login_required, login_required, login_user, user_loader, CurrentUser, LoginManager,
    LoginOptions, User,
};
use actix_session::{storage::CookieSessionStore, SessionMiddleware};
use actix_web::{
    body::to_bytes,
    cookie::{Cookie, Key},
    dev::ServiceResponse,
    error::ErrorBadRequest,
    get,
    http::{Method, StatusCode},
    route, test, web, App, HttpRequest, HttpResponse, Responder,
};

#[derive(Debug, Clone)]
struct Account {
    id: String,
    name: String,
}

impl User for Account {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

fn account(id: &str, name: &str) -> Account {
    Account {
        id: id.to_owned(),
        name: name.to_owned(),
    }
}

/// The plainest loader: `&str` id, `Option` result.
#[user_loader]
async fn load_user(id: &str) -> Option<Account> {
    (id == "1").then(|| account("1", "alice"))
}

#[get("/login")]
async fn login(
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> actix_web::Result<HttpResponse> {
    let id = query.get("id").map_or("1", String::as_str);
    let logged_in = login_user(&req, account(id, "from-login"), LoginOptions::default())?;
    Ok(HttpResponse::Ok().body(if logged_in { "logged in" } else { "refused" }))
}

#[get("/impl-responder")]
#[login_required]
async fn impl_responder() -> impl Responder {
    "impl responder"
}

#[login_required]
#[get("/http-response")]
async fn http_response() -> HttpResponse {
    HttpResponse::Ok().body("http response")
}

/// A `Result` return type, with `?` on a failing parse.
#[get("/result")]
#[login_required]
async fn result(query: web::Query<HashMap<String, String>>) -> Result<String, actix_web::Error> {
    let n: u32 = query
        .get("n")
        .ok_or_else(|| ErrorBadRequest("no n"))?
        .parse()
        .map_err(ErrorBadRequest)?;
    Ok(format!("n = {n}"))
}

#[derive(serde::Deserialize)]
struct Page {
    page: u32,
}

/// A typed query that fails to parse with 400, to tell which extractor ran
/// first.
#[get("/typed-query")]
#[login_required]
async fn typed_query(query: web::Query<Page>) -> String {
    format!("page {}", query.page)
}

#[get("/static-str")]
#[login_required]
async fn static_str() -> &'static str {
    "static str"
}

#[get("/early-return")]
#[login_required]
async fn early_return(query: web::Query<HashMap<String, String>>) -> HttpResponse {
    if query.contains_key("stop") {
        return HttpResponse::Accepted().body("returned early");
    }
    HttpResponse::Ok().body("ran to the end")
}

#[route("/options", method = "GET", method = "OPTIONS")]
#[login_required]
async fn options(req: HttpRequest) -> String {
    format!("{} passed", req.method())
}

#[get("/fresh")]
#[fresh_login_required]
async fn fresh() -> &'static str {
    "fresh"
}

#[get("/register")]
#[actix_login_macros::anonymous_required]
async fn register() -> &'static str {
    "sign up"
}

/// Registered with `web::to` rather than a route attribute, with the user.
#[login_required]
async fn whoami(user: CurrentUser<Account>, path: web::Path<String>) -> String {
    let name = user.user().map_or("nobody", |u| u.name.as_str());
    format!("{} is {name}", path.into_inner())
}

fn session() -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), Key::from(&[0u8; 64]))
        .cookie_secure(false)
        .build()
}

macro_rules! app {
    ($loader:expr) => {
        test::init_service(
            App::new()
                .wrap(LoginManager::builder($loader, "test-secret").build())
                .wrap(session())
                .service(login)
                .service(impl_responder)
                .service(http_response)
                .service(result)
                .service(typed_query)
                .service(static_str)
                .service(early_return)
                .service(options)
                .service(fresh)
                .service(register)
                .route("/whoami/{who}", web::get().to(whoami)),
        )
        .await
    };
    ($loader:expr, $data:expr) => {
        test::init_service(
            App::new()
                .app_data($data)
                .wrap(LoginManager::builder($loader, "test-secret").build())
                .wrap(session())
                .service(login)
                .route("/whoami/{who}", web::get().to(whoami)),
        )
        .await
    };
}

async fn body(resp: ServiceResponse) -> String {
    let bytes = to_bytes(resp.into_body()).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Logs in as `id` and returns the session cookie to replay. (Macros rather
/// than functions: the test service's request type cannot be named without
/// depending on actix-http.)
macro_rules! log_in {
    ($app:expr, $id:expr) => {{
        let uri = format!("/login?id={}", $id);
        let resp = test::call_service(&$app, test::TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let cookie: Cookie<'static> = resp
            .response()
            .cookies()
            .find(|c| c.name() == "id")
            .expect("the login sets the session cookie")
            .into_owned();
        assert_eq!(body(resp).await, "logged in");
        cookie
    }};
}

/// `GET uri`, replaying `cookie` if any: the status and the body.
macro_rules! fetch {
    ($app:expr, $uri:expr, $cookie:expr) => {{
        let mut req = test::TestRequest::get().uri($uri);
        let cookie: Option<&Cookie<'static>> = $cookie;
        if let Some(cookie) = cookie {
            req = req.cookie(cookie.clone());
        }
        let resp = test::call_service(&$app, req.to_request()).await;
        let status = resp.status();
        (status, body(resp).await)
    }};
}

const GUARDED: [(&str, &str); 6] = [
    ("/impl-responder", "impl responder"),
    ("/http-response", "http response"),
    ("/result?n=7", "n = 7"),
    ("/static-str", "static str"),
    ("/early-return", "ran to the end"),
    ("/whoami/me", "me is alice"),
];

#[actix_web::test]
async fn anonymous_requests_get_401_on_every_return_shape() {
    let app = app!(load_user);
    for (uri, _) in GUARDED {
        let (status, _) = fetch!(app, uri, None);
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let (status, _) = fetch!(app, "/fresh", None);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn logged_in_requests_reach_every_handler() {
    let app = app!(load_user);
    let cookie = log_in!(app, "1");
    for (uri, expected) in GUARDED {
        assert_eq!(
            fetch!(app, uri, Some(&cookie)),
            (StatusCode::OK, expected.to_owned()),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn early_return_and_question_mark_paths() {
    let app = app!(load_user);
    let cookie = log_in!(app, "1");
    assert_eq!(
        fetch!(app, "/early-return?stop", Some(&cookie)),
        (StatusCode::ACCEPTED, "returned early".to_owned())
    );
    assert_eq!(
        fetch!(app, "/result?n=x", Some(&cookie)).0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        fetch!(app, "/result", Some(&cookie)),
        (StatusCode::BAD_REQUEST, "no n".to_owned())
    );
}

#[actix_web::test]
async fn the_guard_runs_before_the_other_extractors() {
    let app = app!(load_user);
    // Anonymous and with a bad query: the guard answers first...
    assert_eq!(
        fetch!(app, "/typed-query?page=x", None).0,
        StatusCode::UNAUTHORIZED
    );
    // ...and the query extractor only once the user is logged in.
    let cookie = log_in!(app, "1");
    assert_eq!(
        fetch!(app, "/typed-query?page=x", Some(&cookie)).0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        fetch!(app, "/typed-query?page=2", Some(&cookie)),
        (StatusCode::OK, "page 2".to_owned())
    );
}

#[actix_web::test]
async fn options_requests_are_answered_by_the_guard_without_the_handler() {
    let app = app!(load_user);
    let req = test::TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/options")
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body(resp).await, "", "the guarded handler ran");
    assert_eq!(fetch!(app, "/options", None).0, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn fresh_login_required_passes_after_a_fresh_login() {
    let app = app!(load_user);
    let cookie = log_in!(app, "1");
    assert_eq!(
        fetch!(app, "/fresh", Some(&cookie)),
        (StatusCode::OK, "fresh".to_owned())
    );
}

#[actix_web::test]
async fn anonymous_required_redirects_logged_in_users() {
    let app = app!(load_user);
    assert_eq!(
        fetch!(app, "/register", None),
        (StatusCode::OK, "sign up".to_owned())
    );
    let cookie = log_in!(app, "1");
    assert_eq!(
        fetch!(app, "/register", Some(&cookie)).0,
        StatusCode::SEE_OTHER
    );
}

#[actix_web::test]
async fn an_id_the_loader_does_not_know_is_anonymous() {
    let app = app!(load_user);
    let cookie = log_in!(app, "2");
    assert_eq!(
        fetch!(app, "/static-str", Some(&cookie)).0,
        StatusCode::UNAUTHORIZED
    );
}

type Accounts = web::Data<HashMap<String, Account>>;

/// `String` id, an extractor argument, a `Result` with a custom error.
#[user_loader]
pub(crate) async fn load_from_data(
    id: String,
    accounts: Accounts,
) -> Result<Option<Account>, StoreError> {
    if id == "broken" {
        return Err(StoreError);
    }
    Ok(accounts.get(&id).cloned())
}

#[derive(Debug)]
pub(crate) struct StoreError;

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("store unreachable")
    }
}

fn accounts() -> Accounts {
    web::Data::new(HashMap::from([("7".to_owned(), account("7", "from-data"))]))
}

#[actix_web::test]
async fn the_loader_reads_app_data() {
    let app = app!(load_from_data, accounts());
    let cookie = log_in!(app, "7");
    assert_eq!(
        fetch!(app, "/whoami/me", Some(&cookie)),
        (StatusCode::OK, "me is from-data".to_owned())
    );
    let cookie = log_in!(app, "8");
    assert_eq!(
        fetch!(app, "/whoami/me", Some(&cookie)).0,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn a_loader_error_is_a_500() {
    let app = app!(load_from_data, accounts());
    let cookie = log_in!(app, "broken");
    assert_eq!(
        fetch!(app, "/whoami/me", Some(&cookie)).0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

/// Needs app data that the app does not have.
#[user_loader]
async fn load_with_missing_data(_id: &str, _missing: web::Data<u64>) -> Option<Account> {
    Some(account("1", "unreachable"))
}

#[actix_web::test]
async fn a_failing_extractor_is_a_500() {
    let app = app!(load_with_missing_data, accounts());
    let cookie = log_in!(app, "1");
    assert_eq!(
        fetch!(app, "/whoami/me", Some(&cookie)).0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[actix_web::test]
async fn the_loader_struct_is_a_user_loader() {
    use actix_login::UserLoader;

    let req = test::TestRequest::default()
        .app_data(accounts())
        .to_http_request();
    let loaded = load_from_data.load_user("7", &req).await.unwrap();
    assert_eq!(loaded.map(|a| a.name).as_deref(), Some("from-data"));
    let err = load_from_data.load_user("broken", &req).await.unwrap_err();
    assert_eq!(err.message(), "store unreachable");
    assert!(load_user.load_user("1", &req).await.unwrap().is_some());
    // The generated struct's derives.
    fn derived<T: Default + Copy + Clone + fmt::Debug>(_: T) -> String {
        format!("{:?}", T::default())
    }
    assert_eq!(derived(load_user), "load_user");
}
