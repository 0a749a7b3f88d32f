//! Carrying a Flask login over (issue 14), proven against the real thing:
//! the parity twins of `../shared/parity` (Flask-Login 0.6.3 on Flask 3.1.3,
//! Flask-Login 0.2.4 on Flask 0.12.5) are started as real servers, a user
//! logs in there, and the `session` cookie they set is presented, through
//! real HTTP (`test::init_service`), to an actix app whose login manager
//! imports Flask sessions (`LoginManagerBuilder::import_flask_session`).
//!
//! The oracle is the twin itself: before it stops, the twin is asked what
//! it makes of the same cookies (`GET /`, same `User-Agent`, same address
//! 127.0.0.1), and our app must answer the same body — the same user, fresh
//! or not as Flask had it, or anonymous. Cookies the twin cannot make (an
//! expired one, a forged one, a large session) are signed by the real Flask
//! of the twin's venv (`flask_import/flask_cookie.py`), which also says
//! whether Flask itself accepts them.
//!
//! How the twins are found and started (what CI needs):
//!
//! * the harness is `$PARITY_HARNESS` if set (a relative path is read from
//!   the workspace root), else the first `shared/parity`
//!   beside an ancestor of this package's directory (`../shared/parity` of
//!   the repository);
//! * the twin's python is what `setup <twin> --print-python` prints (the
//!   harness's own, idempotent set-up: it creates the venv on first use,
//!   from PyPI, and honours `PARITY_VENV`, `PARITY_VENV_024`,
//!   `PARITY_PYTHON`), once per test process;
//! * a twin is `python <harness>/<twin>/app.py` with every inherited
//!   `PARITY_*` removed, then `PARITY_PORT` (a free loopback port),
//!   `PARITY_SECRET` and `PARITY_SESSION_PROTECTION` set; it is ready when
//!   it prints `ready` (waited for up to `PARITY_READY_TIMEOUT` seconds,
//!   default 120), and is killed (its own PID) when the test is done with
//!   it;
//! * `flask_cookie.py` is compiled into the test (`include_str!`) and run
//!   with `python -c`, so no path to it is needed.
//!
//! The tests that need python are `#[ignore]`d (`cargo test` on a machine
//! with only Rust passes) and run by `scripts/test.sh`. A missing harness
//! or venv fails them loudly; nothing is skipped. The tests without python
//! use real Flask cookies captured from the twins (re-signed by Flask with
//! a 2024 timestamp, read with a long enough maximum age) and garbage.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{mpsc, Arc, Mutex, OnceLock},
    thread::{self, JoinHandle},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_login::{
    login_fresh, login_user, logout_user, CurrentUser, FlaskSession, FlaskVersion, LoaderError,
    LoginManager, LoginManagerBuilder, LoginOptions, Profile, RememberCookie, SessionProtection,
    Signal, User, UserLoader,
};
use actix_session::{
    storage::{CookieSessionStore, SessionStore},
    SessionExt,
};
use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{Service, ServiceResponse},
    http::{
        header::{self, HeaderValue},
        StatusCode,
    },
    test, web, App, HttpRequest, HttpResponse,
};

use crate::{
    common::{send, session_middleware_with, text, Jar, MemoryStore, Resp, SetCookie},
    support_faults::free_port,
};

/// The Flask app's `SECRET_KEY`, given to the twins as `PARITY_SECRET`.
const SECRET: &str = "flask-import-tests secret key";
/// The browser's `User-Agent`, on the twin and here.
const UA: &str = "flask-import-tests/1.0";
/// Another browser's.
const OTHER_UA: &str = "another-browser/2.0";
/// The browser's address here; the twin sees 127.0.0.1 too.
const PEER: &str = "127.0.0.1:40000";
/// Another client's address.
const OTHER_PEER: &str = "10.9.8.7:40000";

// ------------------------------------------------------------------ users

/// A user of the twins (ROUTES.md): alice `1`, bob `2` (inactive), carol `3`.
#[derive(Debug, Clone)]
struct Person {
    id: String,
    active: bool,
}

impl User for Person {
    fn get_id(&self) -> String {
        self.id.clone()
    }

    fn is_active(&self) -> bool {
        self.active
    }
}

/// The twins' users table; the ids in `forgotten` are unknown to it.
struct TwinUsers {
    forgotten: Vec<&'static str>,
}

impl UserLoader for TwinUsers {
    type User = Person;

    async fn load_user(&self, id: &str, _: &HttpRequest) -> Result<Option<Person>, LoaderError> {
        if self.forgotten.contains(&id) {
            return Ok(None);
        }
        let active = match id {
            "1" | "3" => true,
            "2" => false,
            _ => return Ok(None),
        };
        Ok(Some(Person {
            id: id.to_owned(),
            active,
        }))
    }
}

// ---------------------------------------------------------------- signals

/// Every signal sent, with the id of its user.
#[derive(Clone, Default)]
struct Signals(Arc<Mutex<Vec<Received>>>);

/// A signal and the id of its user, if any.
type Received = (Signal, Option<String>);

impl Signals {
    fn subscribe(&self, mut b: LoginManagerBuilder<Person>) -> LoginManagerBuilder<Person> {
        for signal in Signal::ALL {
            let log = self.0.clone();
            b = b.on(signal, move |event| {
                log.lock()
                    .unwrap()
                    .push((event.signal, event.user.map(|u| u.id.clone())));
            });
        }
        b
    }

    fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

// ------------------------------------------------------------- the twins

/// A parity twin: one Flask-Login version on its Flask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Twin {
    /// `twin/`: Flask-Login 0.6.3, Flask 3.1.3, itsdangerous 2.2.0.
    Flask3,
    /// `twin-0.2.4/`: Flask-Login 0.2.4, Flask 0.12.5, itsdangerous 0.24.
    Flask012,
}

impl Twin {
    fn dir(self) -> &'static str {
        match self {
            Twin::Flask3 => "twin",
            Twin::Flask012 => "twin-0.2.4",
        }
    }

    fn profile(self) -> Profile {
        match self {
            Twin::Flask3 => Profile::V0_6_3,
            Twin::Flask012 => Profile::V0_2_4,
        }
    }

    fn version(self) -> FlaskVersion {
        match self {
            Twin::Flask3 => FlaskVersion::Flask3,
            Twin::Flask012 => FlaskVersion::Flask0_12,
        }
    }

    /// Where Flask-Login keeps the user id in the session.
    fn user_key(self) -> &'static str {
        match self {
            Twin::Flask3 => "_user_id",
            Twin::Flask012 => "user_id",
        }
    }

    /// The python of the twin's venv, from the harness's `setup` (run once
    /// per process: it installs the venv if it is missing).
    fn python(self) -> PathBuf {
        static PYTHONS: [OnceLock<PathBuf>; 2] = [OnceLock::new(), OnceLock::new()];
        PYTHONS[self as usize]
            .get_or_init(|| {
                let setup = harness().join("setup");
                let out = Command::new(&setup)
                    .arg(self.dir())
                    .arg("--print-python")
                    .stdin(Stdio::null())
                    .output()
                    .unwrap_or_else(|e| panic!("cannot run {}: {e}", setup.display()));
                assert!(
                    out.status.success(),
                    "{} {} --print-python failed ({}):\n{}",
                    setup.display(),
                    self.dir(),
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                );
                let stdout = String::from_utf8_lossy(&out.stdout);
                let python = PathBuf::from(stdout.lines().last().unwrap_or("").trim());
                assert!(
                    python.is_file(),
                    "setup printed no python for {}: {stdout:?}",
                    self.dir()
                );
                python
            })
            .clone()
    }
}

/// The parity harness: `$PARITY_HARNESS`, else `shared/parity` beside an
/// ancestor of this package (the repository's `../shared/parity`).
fn harness() -> PathBuf {
    if let Some(dir) = std::env::var_os("PARITY_HARNESS") {
        // cargo runs this binary in `tests/`, not where the caller typed
        // the path: a relative path is read from the workspace root, where
        // `cargo test` and scripts/test.sh are run.
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = workspace.join(dir);
        assert!(
            dir.join("setup").is_file(),
            "PARITY_HARNESS={} has no setup script",
            dir.display()
        );
        return dir;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared").join("parity"))
        .find(|p| p.join("setup").is_file() && p.join("twin").join("app.py").is_file())
        .unwrap_or_else(|| {
            panic!(
                "no parity harness: set PARITY_HARNESS, or put it at ../shared/parity \
                 (looked above {})",
                env!("CARGO_MANIFEST_DIR")
            )
        })
}

/// A twin serving on 127.0.0.1; killed when dropped.
struct RunningTwin {
    twin: Twin,
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
}

/// A response of a twin.
#[derive(Debug)]
struct TwinReply {
    status: u16,
    set_cookies: Vec<String>,
    body: String,
}

impl RunningTwin {
    /// Starts `twin` with `SESSION_PROTECTION = protection` (`basic`,
    /// `strong` or `none`) and [`SECRET`], and waits for `ready`.
    fn start(twin: Twin, protection: &str) -> RunningTwin {
        let python = twin.python();
        let app = harness().join(twin.dir()).join("app.py");
        let wait = std::env::var("PARITY_READY_TIMEOUT")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(120.0);
        let mut failures = String::new();
        // A port found free can be taken before the twin binds it: retry.
        for _ in 0..3 {
            let port = free_port();
            let mut cmd = Command::new(&python);
            cmd.arg(&app);
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("PARITY_") {
                    cmd.env_remove(name);
                }
            }
            let mut child = cmd
                .env("PARITY_PORT", port.to_string())
                .env("PARITY_SECRET", SECRET)
                .env("PARITY_SESSION_PROTECTION", protection)
                .env("PYTHONUNBUFFERED", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
            let stdout = child.stdout.take().expect("piped stdout");
            let (ready_tx, ready_rx) = mpsc::channel();
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if line.trim() == "ready" {
                        let _ = ready_tx.send(());
                    }
                }
            });
            let stderr = Arc::new(Mutex::new(String::new()));
            let reader = spawn_stderr_reader(child.stderr.take().expect("piped stderr"), &stderr);
            match ready_rx.recv_timeout(Duration::from_secs_f64(wait)) {
                Ok(()) => {
                    return RunningTwin {
                        twin,
                        child,
                        port,
                        stderr,
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = reader.join();
                    failures.push_str(&format!(
                        "\n--- {} on port {port}: no `ready` ({e:?}); stderr:\n{}",
                        twin.dir(),
                        tail(&stderr.lock().unwrap(), 2000)
                    ));
                }
            }
        }
        panic!("the {} twin did not start:{failures}", twin.dir());
    }

    /// `GET target` with `User-Agent: ua`, the cookies of `jar`, and
    /// `extra` headers; HTTP/1.0, so the twin answers and closes.
    fn get(&self, target: &str, ua: &str, jar: &Jar, extra: &[(&str, &str)]) -> TwinReply {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("connect to the {} twin: {e}", self.twin.dir()));
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut req = format!(
            "GET {target} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nUser-Agent: {ua}\r\n",
            self.port
        );
        if let Some(cookies) = jar.header() {
            let cookies = String::from_utf8(cookies).expect("a UTF-8 Cookie header");
            req.push_str(&format!("Cookie: {cookies}\r\n"));
        }
        for (name, value) in extra {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap_or_else(|e| {
            panic!(
                "GET {target} on the {} twin: {e}; stderr:\n{}",
                self.twin.dir(),
                tail(&self.stderr.lock().unwrap(), 2000)
            )
        });
        let raw = String::from_utf8_lossy(&raw);
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("GET {target}: no status line in {raw:?}"));
        let set_cookies = lines
            .filter_map(|l| l.split_once(':'))
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.trim().to_owned())
            .collect();
        TwinReply {
            status,
            set_cookies,
            body: body.trim_end_matches(['\r', '\n']).to_owned(),
        }
    }

    /// `GET target` as the browser holding `jar`, which keeps the cookies
    /// set; the body must be `expect`.
    fn browse(&self, jar: &mut Jar, target: &str, expect: &str) {
        let r = self.get(target, UA, jar, &[]);
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, expect),
            "GET {target} on the {} twin",
            self.twin.dir()
        );
        for c in &r.set_cookies {
            jar.store(c);
        }
    }

    /// What the twin makes of a browser presenting `jar` (`GET /`, which
    /// names the user and whether the login is fresh), without keeping
    /// anything it sets.
    fn says(&self, jar: &Jar, ua: &str) -> String {
        let r = self.get("/", ua, jar, &[]);
        assert_eq!(
            r.status,
            200,
            "GET / on the {} twin: {r:?}",
            self.twin.dir()
        );
        r.body
    }
}

impl Drop for RunningTwin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_stderr_reader(
    stderr: std::process::ChildStderr,
    log: &Arc<Mutex<String>>,
) -> JoinHandle<()> {
    let log = log.clone();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut stderr = stderr;
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            log.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
}

fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// The real Flask of `twin`'s venv, through `flask_import/flask_cookie.py`.
fn flask_cookie(twin: Twin, args: &[&str]) -> String {
    const HELPER: &str = include_str!("flask_import/flask_cookie.py");
    let out = Command::new(twin.python())
        .arg("-c")
        .arg(HELPER)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run flask_cookie.py");
    assert!(
        out.status.success(),
        "flask_cookie.py {:?} with the {} venv: {}",
        args.first(),
        twin.dir(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .trim_end()
        .to_owned()
}

/// The session in a cookie, as Flask reads it (signature checked, not age).
fn flask_decode(twin: Twin, cookie: &str) -> serde_json::Map<String, serde_json::Value> {
    let json = flask_cookie(twin, &["decode", SECRET, cookie]);
    match serde_json::from_str(&json).expect("JSON from flask_cookie.py") {
        serde_json::Value::Object(map) => map,
        other => panic!("not a session: {other}"),
    }
}

/// A session cookie for `session`, signed by Flask with `secret` as if at
/// Unix time `at`.
fn flask_sign(
    twin: Twin,
    secret: &str,
    at: i64,
    session: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let json = serde_json::Value::Object(session.clone()).to_string();
    flask_cookie(twin, &["sign", secret, &at.to_string(), &json])
}

/// Whether Flask accepts `cookie` now, with `PERMANENT_SESSION_LIFETIME =
/// max_age` seconds.
fn flask_accepts(twin: Twin, max_age: u64, cookie: &str) -> bool {
    let verdict = flask_cookie(twin, &["verify", SECRET, &max_age.to_string(), cookie]);
    match verdict.split_once(' ') {
        Some(("accepted", _)) => true,
        Some(("refused", _)) => false,
        _ => panic!("flask_cookie.py verify said {verdict:?}"),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

const DAY: i64 = 24 * 3600;
/// Flask's default `PERMANENT_SESSION_LIFETIME`.
const FLASK_MAX_AGE: u64 = 31 * 24 * 3600;

// --------------------------------------------------------------- our app

/// The twins' `/`: `user=<id> fresh=<0|1>` or `anonymous`.
async fn index(req: HttpRequest, user: CurrentUser<Person>) -> actix_web::Result<HttpResponse> {
    Ok(text(match user.user() {
        Some(u) if user.is_authenticated() => {
            format!("user={} fresh={}", u.id, u8::from(login_fresh(&req)?))
        }
        _ => "anonymous".to_owned(),
    }))
}

/// The actix session's keys, sorted, comma-separated.
async fn keys(req: HttpRequest) -> HttpResponse {
    let session = req.get_session();
    let mut keys: Vec<String> = session.entries().keys().cloned().collect();
    keys.sort();
    text(keys.join(","))
}

/// The JSON text the actix session holds for a key, or `none`.
async fn value(req: HttpRequest, key: web::Path<String>) -> HttpResponse {
    let session = req.get_session();
    let entries = session.entries();
    text(entries.get(key.as_str()).cloned().unwrap_or("none".into()))
}

/// Logs in here, with actix-login: `/login-here?id=<id>`.
async fn login_here(
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> actix_web::Result<HttpResponse> {
    let id = query.get("id").cloned().unwrap_or_default();
    let person = Person { id, active: true };
    Ok(text(if login_user(&req, person, LoginOptions::new())? {
        "ok"
    } else {
        "refused"
    }))
}

async fn logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    logout_user(&req).await?;
    Ok(text("bye"))
}

/// Writes to the session without logging in (an anonymous visit).
async fn visit(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    req.get_session().insert("visited", true)?;
    Ok(text("visited"))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/keys", web::get().to(keys))
        .route("/value/{key}", web::get().to(value))
        .route("/login-here", web::get().to(login_here))
        .route("/logout", web::get().to(logout))
        .route("/visit", web::get().to(visit));
}

/// The app's settings for one run.
#[derive(Clone)]
struct Setup {
    twin: Twin,
    /// The actix session cookie's name (`id` is actix's default, `session`
    /// Flask's).
    cookie: &'static str,
    protection: SessionProtection,
    flask: FlaskSession,
    /// Ids our loader does not know.
    forgotten: Vec<&'static str>,
    ua: &'static str,
    peer: &'static str,
}

impl Setup {
    /// Flask's settings for `twin`: secret, cookie `session`, its version;
    /// basic protection (the twins' default); actix cookie `id`.
    fn new(twin: Twin) -> Setup {
        Setup {
            twin,
            cookie: "id",
            protection: SessionProtection::Basic,
            flask: FlaskSession::new(SECRET)
                .cookie_name("session")
                .version(twin.version()),
            forgotten: Vec::new(),
            ua: UA,
            peer: PEER,
        }
    }

    fn manager(&self, signals: &Signals) -> LoginManager<Person> {
        let b = LoginManager::builder(
            TwinUsers {
                forgotten: self.forgotten.clone(),
            },
            SECRET,
        )
        .profile(self.twin.profile())
        .session_protection(self.protection)
        .remember_cookie(RememberCookie::new().secure(false))
        .import_flask_session(self.flask.clone());
        signals.subscribe(b).build()
    }

    async fn client<St: SessionStore + 'static>(
        &self,
        signals: &Signals,
        store: St,
    ) -> Client<
        impl Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
    > {
        let sessions = session_middleware_with(store, self.cookie);
        let svc = test::init_service(
            App::new()
                .wrap(self.manager(signals))
                .wrap(sessions)
                .configure(routes),
        )
        .await;
        Client {
            svc,
            jar: Jar::default(),
            ua: self.ua,
            peer: self.peer.parse().unwrap(),
        }
    }
}

/// A browser of our app: a cookie jar, an address, a `User-Agent`.
struct Client<S> {
    svc: S,
    jar: Jar,
    ua: &'static str,
    peer: SocketAddr,
}

impl<S, B> Client<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// `GET path` with the jar's cookies; keeps the cookies the response
    /// sets.
    async fn get(&mut self, path: &str) -> Resp {
        self.send(test::TestRequest::get().uri(path)).await
    }

    /// `GET path` with this `Cookie` header (raw bytes) instead of the
    /// jar's; keeps the cookies the response sets.
    async fn get_with_cookie_bytes(&mut self, path: &str, cookie: Vec<u8>) -> Resp {
        let cookie = HeaderValue::from_bytes(&cookie).expect("a valid header value");
        self.send(
            test::TestRequest::get()
                .uri(path)
                .insert_header((header::COOKIE, cookie)),
        )
        .await
    }

    /// Sends `req` from this browser's address and `User-Agent`
    /// ([`send`](crate::common::send)).
    async fn send(&mut self, req: test::TestRequest) -> Resp {
        let req = req
            .peer_addr(self.peer)
            .insert_header((header::USER_AGENT, self.ua));
        send(&self.svc, &mut self.jar, req).await
    }
}

/// What our app did with a browser's cookies.
#[derive(Debug)]
struct Outcome {
    /// The first request, with the Flask cookies.
    first: Resp,
    /// The browser's cookies after it.
    jar: Jar,
    /// The actix session's keys after it.
    keys: String,
    /// `GET /` again with whatever the browser then holds.
    second: Resp,
    /// Every signal sent during the three requests.
    signals: Vec<Received>,
}

impl Outcome {
    fn count(&self, signal: Signal) -> usize {
        self.signals.iter().filter(|(s, _)| *s == signal).count()
    }
}

/// Presents `jar` (a browser's cookies) to our app set up as `setup`.
async fn present(setup: &Setup, jar: &Jar) -> Outcome {
    let signals = Signals::default();
    let mut c = setup.client(&signals, CookieSessionStore::default()).await;
    c.jar = jar.clone();
    let first = c.get("/").await;
    let jar = c.jar.clone();
    let keys = c.get("/keys").await.body;
    let second = c.get("/").await;
    Outcome {
        first,
        jar,
        keys,
        second,
        signals: signals.take(),
    }
}

/// The Flask login was carried over: `first` says `expect` (a user), the
/// Flask cookie is deleted (or replaced by actix's of the same name), the
/// import was signalled once, nothing but the login moved, and the next
/// request, with the actix cookie alone, is still that user.
fn assert_carried_over(o: &Outcome, setup: &Setup, expect: &str, ctx: &str) {
    let ctx = format!("{ctx} [{:?}, actix cookie `{}`]", setup.twin, setup.cookie);
    assert!(expect.starts_with("user="), "{ctx}: not a login: {expect}");
    let id = expect["user=".len()..].split(' ').next().unwrap();
    assert_eq!(o.first.status, StatusCode::OK, "{ctx}: {o:?}");
    assert_eq!(o.first.body, expect, "{ctx}: the first request");
    let flask = o.first.cookies_named("session");
    if setup.cookie == "session" {
        // Replaced in place: whatever deletes Flask's value comes before
        // actix's new cookie, which the browser ends up with.
        let last = flask
            .last()
            .unwrap_or_else(|| panic!("{ctx}: no Set-Cookie: {o:?}"));
        assert!(
            !last.is_deletion(),
            "{ctx}: the last `session` deletes it: {o:?}"
        );
        assert!(
            flask[..flask.len() - 1].iter().all(SetCookie::is_deletion),
            "{ctx}: {o:?}"
        );
    } else {
        assert_eq!(
            flask.len(),
            1,
            "{ctx}: the Flask cookie is not deleted: {o:?}"
        );
        assert_eq!(flask[0].value, "", "{ctx}: {o:?}");
        assert_eq!(flask[0].attr("max-age"), Some("0"), "{ctx}: {o:?}");
        assert_eq!(flask[0].attr("path"), Some("/"), "{ctx}: {o:?}");
        let actix = o.first.cookies_named(setup.cookie);
        assert!(
            actix.len() == 1 && !actix[0].is_deletion(),
            "{ctx}: no actix session cookie: {o:?}"
        );
        assert_eq!(o.jar.get("session"), None, "{ctx}");
    }
    assert!(
        o.first.cookies_named("remember_token").is_empty(),
        "{ctx}: the remember cookie was touched: {o:?}"
    );
    assert_eq!(
        o.signals
            .iter()
            .filter(|(s, _)| *s == Signal::ImportedFromFlask)
            .collect::<Vec<_>>(),
        [&(Signal::ImportedFromFlask, Some(id.to_owned()))],
        "{ctx}: {:?}",
        o.signals
    );
    let allowed = [
        setup.twin.user_key(),
        "_fresh",
        "_fresh_at",
        "_id",
        "_auth_hash",
    ];
    assert!(
        o.keys.split(',').all(|k| allowed.contains(&k)),
        "{ctx}: the actix session holds {}",
        o.keys
    );
    assert!(
        o.keys.split(',').any(|k| k == setup.twin.user_key()),
        "{ctx}: {}",
        o.keys
    );
    assert_eq!(o.second.status, StatusCode::OK, "{ctx}: {o:?}");
    assert_eq!(o.second.body, expect, "{ctx}: the next request");
}

/// The Flask cookie was ignored: anonymous twice, no 5xx, no login stored,
/// nothing imported.
fn assert_refused(o: &Outcome, setup: &Setup, ctx: &str) {
    let ctx = format!("{ctx} [{:?}, actix cookie `{}`]", setup.twin, setup.cookie);
    for r in [&o.first, &o.second] {
        assert_eq!(r.status, StatusCode::OK, "{ctx}: {o:?}");
        assert_eq!(r.body, "anonymous", "{ctx}: {o:?}");
    }
    assert_eq!(o.count(Signal::ImportedFromFlask), 0, "{ctx}: {o:?}");
    assert_eq!(o.count(Signal::LoggedIn), 0, "{ctx}: {o:?}");
    assert!(
        !o.keys.split(',').any(|k| k == setup.twin.user_key()),
        "{ctx}: a login was stored: {}",
        o.keys
    );
}

// ------------------------------------------------------- logins on a twin

/// A login made on a twin: the cookies its browser then holds, and what
/// the twin says to that browser.
struct FlaskLogin {
    what: &'static str,
    jar: Jar,
    flask_says: String,
}

/// Logs in on the twin in every way ROUTES.md offers.
fn logins(t: &RunningTwin) -> Vec<FlaskLogin> {
    let mut out = Vec::new();
    let mut add = |what, jar: Jar| {
        assert!(jar.get("session").is_some(), "{what}: no session cookie");
        let flask_says = t.says(&jar, UA);
        out.push(FlaskLogin {
            what,
            jar,
            flask_says,
        });
    };

    let mut jar = Jar::default();
    t.browse(&mut jar, "/login?id=1", "ok");
    add("a fresh login", jar);

    let mut jar = Jar::default();
    t.browse(&mut jar, "/login?id=3&remember=1", "ok");
    assert!(jar.get("remember_token").is_some());
    add("a login with remember me (both cookies)", jar);

    // A stale login: the session is lost, the remember cookie restores the
    // user, and Flask stores `_fresh = False` in a new session cookie.
    let mut jar = Jar::default();
    t.browse(&mut jar, "/login?id=1&remember=1", "ok");
    jar.remove("session");
    t.browse(&mut jar, "/", "user=1 fresh=0");
    add("a login restored from the remember cookie (stale)", jar);

    let mut jar = Jar::default();
    t.browse(&mut jar, "/login?id=3&permanent=1", "ok");
    add("a permanent session", jar);

    out
}

async fn logins_carry_over(twin: Twin) {
    let (logins, inactive) = {
        let t = RunningTwin::start(twin, "basic");
        let mut jar = Jar::default();
        t.browse(&mut jar, "/login?id=2&force=1", "ok");
        let inactive_says = t.says(&jar, UA);
        (logins(&t), (jar, inactive_says))
    };
    for login in &logins {
        for cookie in ["id", "session"] {
            let setup = Setup {
                cookie,
                ..Setup::new(twin)
            };
            let o = present(&setup, &login.jar).await;
            assert_carried_over(&o, &setup, &login.flask_says, login.what);
            // Once only: logged out here, the Flask login does not return.
            let signals = Signals::default();
            let mut c = setup.client(&signals, CookieSessionStore::default()).await;
            c.jar = login.jar.clone();
            assert_eq!(c.get("/").await.body, login.flask_says, "{}", login.what);
            assert_eq!(c.get("/logout").await.body, "bye");
            assert_eq!(
                c.get("/").await.body,
                "anonymous",
                "{}: after logout",
                login.what
            );
        }
    }
    // bob, inactive, forced in: Flask-Login 0.6.3 never authenticates an
    // inactive user, 0.2.4 does; our app answers as the twin does.
    let (jar, flask_says) = inactive;
    for cookie in ["id", "session"] {
        let setup = Setup {
            cookie,
            ..Setup::new(twin)
        };
        let o = present(&setup, &jar).await;
        assert_eq!(o.first.status, StatusCode::OK, "{o:?}");
        assert_eq!(o.first.body, flask_says, "inactive user, {cookie}");
        assert_eq!(o.second.body, flask_says, "inactive user, {cookie}");
    }
}

#[actix_web::test]
#[ignore = "needs the Flask twins: run by scripts/test.sh (after ../shared/parity/setup all)"]
async fn flask3_logins_carry_over() {
    logins_carry_over(Twin::Flask3).await;
}

#[actix_web::test]
#[ignore = "needs the Flask twins: run by scripts/test.sh (after ../shared/parity/setup all)"]
async fn flask012_logins_carry_over() {
    logins_carry_over(Twin::Flask012).await;
}

// ------------------------------------------------------ session protection

/// Session protection on an imported login, against the twins in each
/// mode: the same browser keeps a fresh login; another `User-Agent`
/// (asked of the twin) or another address (the twin cannot be asked: it
/// sees 127.0.0.1; the answer must be the other `User-Agent`'s) makes it
/// stale (basic, or a permanent session under strong) or anonymous
/// (strong). A Flask session without `_id` is asked too: Flask-Login 0.6.3
/// treats it as another client's, 0.2.4 adopts the current identifier.
async fn protection(twin: Twin) {
    let modes = [
        ("basic", SessionProtection::Basic),
        ("strong", SessionProtection::Strong),
        ("none", SessionProtection::Off),
    ];
    let twins: Vec<RunningTwin> = modes
        .iter()
        .map(|(name, _)| RunningTwin::start(twin, name))
        .collect();
    let mut logins = Vec::new();
    let mut jar = Jar::default();
    twins[0].browse(&mut jar, "/login?id=1", "ok");
    let fresh = jar.get("session").unwrap().to_owned();
    logins.push(("a fresh login", jar));
    let mut jar = Jar::default();
    twins[0].browse(&mut jar, "/login?id=3&permanent=1", "ok");
    logins.push(("a permanent session", jar));
    let mut session = flask_decode(twin, &fresh);
    assert!(session.remove("_id").is_some(), "{session:?}");
    let no_id = flask_sign(twin, SECRET, now(), &session);
    logins.push(("a session without `_id`", Jar::with("session", &no_id)));

    // (login, mode, ua, what the twin says)
    let mut cases = Vec::new();
    for (what, jar) in &logins {
        for (t, (mode_name, mode)) in twins.iter().zip(modes) {
            let same = t.says(jar, UA);
            let other = t.says(jar, OTHER_UA);
            cases.push((*what, mode_name, mode, jar.clone(), UA, PEER, same));
            cases.push((
                *what,
                mode_name,
                mode,
                jar.clone(),
                OTHER_UA,
                PEER,
                other.clone(),
            ));
            cases.push((*what, mode_name, mode, jar.clone(), UA, OTHER_PEER, other));
        }
    }
    drop(twins);
    let mut failures = Vec::new();
    for (what, mode_name, mode, jar, ua, peer, flask_says) in cases {
        let setup = Setup {
            protection: mode,
            ua,
            peer,
            ..Setup::new(twin)
        };
        let o = present(&setup, &jar).await;
        let ctx = format!("{what}, {mode_name} protection, UA {ua}, peer {peer}");
        assert_eq!(o.first.status, StatusCode::OK, "{ctx}: {o:?}");
        if o.first.body != flask_says {
            failures.push(format!(
                "{ctx}: Flask says {flask_says:?}, we say {:?}",
                o.first.body
            ));
            continue;
        }
        if flask_says.starts_with("user=") {
            assert_carried_over(&o, &setup, &flask_says, &ctx);
        } else {
            assert_refused(&o, &setup, &ctx);
            assert!(o.count(Signal::SessionProtected) >= 1, "{ctx}: {o:?}");
        }
    }
    assert!(failures.is_empty(), "{:?}:\n{}", twin, failures.join("\n"));
}

#[actix_web::test]
#[ignore = "needs the Flask twins: run by scripts/test.sh (after ../shared/parity/setup all)"]
async fn flask3_session_protection_as_the_twin() {
    protection(Twin::Flask3).await;
}

#[actix_web::test]
#[ignore = "needs the Flask twins: run by scripts/test.sh (after ../shared/parity/setup all)"]
async fn flask012_session_protection_as_the_twin() {
    protection(Twin::Flask012).await;
}

// ------------------------------------------------------------- refusals

/// `value` with the base64url character at `at` replaced by another one
/// whose top bit differs (so a value bit changes, even in the last
/// character of a signature).
fn flip(value: &str, at: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = value.as_bytes().to_vec();
    let i = ALPHABET
        .iter()
        .position(|&c| c == bytes[at])
        .unwrap_or_else(|| panic!("{value}[{at}] is not base64url"));
    bytes[at] = ALPHABET[(i + 32) % 64];
    String::from_utf8(bytes).unwrap()
}

/// Forged, tampered, expired, unknown: anonymous, never a 5xx, never a
/// login; and each time Flask itself (its `SecureCookieSessionInterface`,
/// `PERMANENT_SESSION_LIFETIME` = 31 days) agrees.
async fn refusals(twin: Twin) {
    let (cookie, flashes_only, carol) = {
        let t = RunningTwin::start(twin, "basic");
        let mut jar = Jar::default();
        t.browse(&mut jar, "/login?id=1", "ok");
        let cookie = jar.get("session").unwrap().to_owned();
        // An anonymous visit to a guarded page: the session holds only
        // `_flashes` (and `_id` in 0.2.4), no login.
        let mut anon = Jar::default();
        let r = t.get("/protected", UA, &anon, &[]);
        assert_eq!(r.status, 302, "{r:?}");
        r.set_cookies.iter().for_each(|c| anon.store(c));
        let flashes_only = anon
            .get("session")
            .expect("a session with a flash")
            .to_owned();
        let mut jar = Jar::default();
        t.browse(&mut jar, "/login?id=3", "ok");
        (cookie, flashes_only, jar.get("session").unwrap().to_owned())
    };
    let session = flask_decode(twin, &cookie);
    let key = twin.user_key();
    let base = Setup::new(twin);

    // The control: the cookie as Flask set it.
    assert!(flask_accepts(twin, FLASK_MAX_AGE, &cookie));
    let o = present(&base, &Jar::with("session", &cookie)).await;
    assert_carried_over(&o, &base, "user=1 fresh=1", "the twin's cookie");

    // The wrong secret; the right one as a fallback (SECRET_KEY_FALLBACKS).
    for cookie_name in ["id", "session"] {
        let setup = Setup {
            cookie: cookie_name,
            flask: FlaskSession::new("not the Flask app's secret").version(twin.version()),
            ..base.clone()
        };
        let o = present(&setup, &Jar::with("session", &cookie)).await;
        assert_refused(&o, &setup, "the wrong secret");
        let setup = Setup {
            flask: FlaskSession::new("the new secret")
                .fallback_secret(SECRET)
                .version(twin.version()),
            ..setup
        };
        let o = present(&setup, &Jar::with("session", &cookie)).await;
        assert_carried_over(&o, &setup, "user=1 fresh=1", "an old secret as a fallback");
    }

    // The other Flask generation (a wrong `FlaskVersion`): fails closed.
    let other = match twin {
        Twin::Flask3 => FlaskVersion::Flask0_12,
        Twin::Flask012 => FlaskVersion::Flask3,
    };
    let setup = Setup {
        flask: FlaskSession::new(SECRET).version(other),
        ..base.clone()
    };
    let o = present(&setup, &Jar::with("session", &cookie)).await;
    assert_refused(&o, &setup, "read as the other Flask version");

    // One character changed: in the payload, the timestamp, the signature.
    let dots: Vec<usize> = cookie.match_indices('.').map(|(i, _)| i).collect();
    let (ts_dot, sig_dot) = (dots[dots.len() - 2], dots[dots.len() - 1]);
    let first = usize::from(cookie.starts_with('.'));
    for at in [
        first,
        (first + ts_dot) / 2,
        ts_dot - 1,
        ts_dot + 1,
        sig_dot + 1,
        cookie.len() - 1,
    ] {
        let edited = flip(&cookie, at);
        assert!(
            !flask_accepts(twin, FLASK_MAX_AGE, &edited),
            "Flask accepts {edited}"
        );
        for cookie_name in ["id", "session"] {
            let setup = Setup {
                cookie: cookie_name,
                ..base.clone()
            };
            let o = present(&setup, &Jar::with("session", &edited)).await;
            assert_refused(&o, &setup, &format!("character {at} changed"));
        }
    }

    // Age: 30 days old is accepted, 32 days is expired; a shorter maximum
    // age on our side (PERMANENT_SESSION_LIFETIME = 60 s, the cookie 100 s
    // old) expires it too; a cookie dated ahead is refused by Flask 3 and
    // accepted by Flask 0.12 (itsdangerous 0.24 has no such check), and so
    // here.
    for (what, at, max_age) in [
        ("30 days old", now() - 30 * DAY, FLASK_MAX_AGE),
        ("32 days old", now() - 32 * DAY, FLASK_MAX_AGE),
        ("100 s old, 60 s allowed", now() - 100, 60),
        ("100 s old, 200 s allowed", now() - 100, 200),
        ("dated 10 min ahead", now() + 600, FLASK_MAX_AGE),
    ] {
        let signed = flask_sign(twin, SECRET, at, &session);
        let flask_accepts = flask_accepts(twin, max_age, &signed);
        let setup = Setup {
            flask: base.flask.clone().max_age(Duration::from_secs(max_age)),
            ..base.clone()
        };
        let o = present(&setup, &Jar::with("session", &signed)).await;
        if flask_accepts {
            assert_carried_over(&o, &setup, "user=1 fresh=1", what);
        } else {
            assert_refused(&o, &setup, what);
        }
        let expected = match what {
            "32 days old" | "100 s old, 60 s allowed" => false,
            "dated 10 min ahead" => twin == Twin::Flask012,
            _ => true,
        };
        assert_eq!(flask_accepts, expected, "Flask, {what}");
    }

    // A user our loader does not know: an id no twin user has, and carol,
    // whom the loader has forgotten since.
    let mut unknown = session.clone();
    unknown.insert(key.to_owned(), "99".into());
    let unknown = flask_sign(twin, SECRET, now(), &unknown);
    let forgetful = Setup {
        forgotten: vec!["3"],
        ..base.clone()
    };
    for (what, setup, value) in [
        ("an unknown user id", &base, &unknown),
        ("a user the loader forgot", &forgetful, &carol),
    ] {
        assert!(flask_accepts(twin, FLASK_MAX_AGE, value));
        for cookie_name in ["id", "session"] {
            let setup = Setup {
                cookie: cookie_name,
                ..setup.clone()
            };
            let o = present(&setup, &Jar::with("session", value)).await;
            assert_refused(&o, &setup, what);
        }
    }

    // User ids that are no id: only a string (or a number) names a user.
    for bad in [
        serde_json::json!(["1"]),
        serde_json::json!({"id": "1"}),
        serde_json::Value::Null,
        serde_json::json!(true),
        serde_json::json!(""),
    ] {
        let mut s = session.clone();
        s.insert(key.to_owned(), bad.clone());
        let value = flask_sign(twin, SECRET, now(), &s);
        let o = present(&base, &Jar::with("session", &value)).await;
        assert_refused(&o, &base, &format!("user id {bad}"));
    }

    // A Flask session without a login: nothing to import, nothing copied.
    let o = present(&base, &Jar::with("session", &flashes_only)).await;
    assert_refused(&o, &base, "a session with only a flash");
    assert!(!o.keys.contains("_flashes"), "{}", o.keys);
}

#[actix_web::test]
#[ignore = "needs the Flask twins: run by scripts/test.sh (after ../shared/parity/setup all)"]
async fn flask3_forged_tampered_expired_unknown_are_refused() {
    refusals(Twin::Flask3).await;
}

#[actix_web::test]
#[ignore = "needs the Flask twins: run by scripts/test.sh (after ../shared/parity/setup all)"]
async fn flask012_forged_tampered_expired_unknown_are_refused() {
    refusals(Twin::Flask012).await;
}

/// Flask-Login 0.2 on Flask 0.12 with itsdangerous 1.1 (docs: `Profile::V0_2_4`
/// with `FlaskVersion::Flask3`): the session is 0.2.4's (`user_id`, an MD5
/// `_id`), the cookie's timestamp Unix seconds as itsdangerous ≥ 1.1 writes
/// it. The 0.2.4 twin's session, re-signed now by the Flask 3 venv (whose
/// cookie format is itsdangerous 1.1's), from the same client: the login
/// comes across fresh, as Flask says.
#[actix_web::test]
#[ignore = "needs the Flask twins: run by scripts/test.sh (after ../shared/parity/setup all)"]
async fn flask012_on_itsdangerous_1_1_carries_over() {
    let (cookie, flask_says) = {
        let t = RunningTwin::start(Twin::Flask012, "basic");
        let mut jar = Jar::default();
        t.browse(&mut jar, "/login?id=1", "ok");
        let says = t.says(&jar, UA);
        (jar.get("session").unwrap().to_owned(), says)
    };
    assert_eq!(flask_says, "user=1 fresh=1");
    let session = flask_decode(Twin::Flask012, &cookie);
    assert!(session.contains_key("user_id") && session.contains_key("_id"));
    let resigned = flask_sign(Twin::Flask3, SECRET, now(), &session);
    for protection in [SessionProtection::Basic, SessionProtection::Strong] {
        let setup = Setup {
            protection,
            flask: FlaskSession::new(SECRET).version(FlaskVersion::Flask3),
            ..Setup::new(Twin::Flask012)
        };
        let o = present(&setup, &Jar::with("session", &resigned)).await;
        assert_carried_over(
            &o,
            &setup,
            &flask_says,
            &format!("a 0.2.4 session, Unix timestamp, {protection:?}"),
        );
    }
}

// ------------------------------------------------- large sessions, keys

/// A large session, which Flask compresses (a `.` before the payload): the
/// login is imported, the app's own keys only when named with `copy_key`,
/// and only plain values. A session that inflates past 64 KiB (Flask
/// itself would read it) is refused, without a 5xx.
async fn large_sessions(twin: Twin) {
    let cookie = {
        let t = RunningTwin::start(twin, "basic");
        let mut jar = Jar::default();
        t.browse(&mut jar, "/login?id=1", "ok");
        jar.get("session").unwrap().to_owned()
    };
    let mut session = flask_decode(twin, &cookie);
    session.insert("cart".into(), "item-42,".repeat(300).into());
    session.insert("theme".into(), "dark".into());
    session.insert("visits".into(), 7.into());
    session.insert("tags".into(), serde_json::json!(["a", "b"]));
    let large = flask_sign(twin, SECRET, now(), &session);
    assert!(large.starts_with('.'), "Flask did not compress: {large}");
    assert!(large.len() < 4096, "{} bytes", large.len());
    assert!(flask_accepts(twin, FLASK_MAX_AGE, &large));

    for cookie_name in ["id", "session"] {
        let plain = Setup {
            cookie: cookie_name,
            ..Setup::new(twin)
        };
        let o = present(&plain, &Jar::with("session", &large)).await;
        assert_carried_over(&o, &plain, "user=1 fresh=1", "a compressed session");
        for k in ["cart", "theme", "visits", "tags"] {
            assert!(!o.keys.split(',').any(|x| x == k), "{k} copied: {}", o.keys);
        }

        let copying = Setup {
            flask: plain
                .flask
                .clone()
                .copy_key("cart")
                .copy_key("visits")
                .copy_key("tags")
                .copy_key("absent"),
            ..plain.clone()
        };
        let signals = Signals::default();
        let mut c = copying
            .client(&signals, CookieSessionStore::default())
            .await;
        c.jar = Jar::with("session", &large);
        assert_eq!(c.get("/").await.body, "user=1 fresh=1");
        let cart = c.get("/value/cart").await.body;
        assert_eq!(
            serde_json::from_str::<String>(&cart).unwrap(),
            "item-42,".repeat(300)
        );
        assert_eq!(c.get("/value/visits").await.body, "7");
        assert_eq!(
            c.get("/value/tags").await.body,
            "none",
            "a list is not copied"
        );
        assert_eq!(c.get("/value/theme").await.body, "none", "not named");
        assert_eq!(c.get("/value/absent").await.body, "none");
    }

    // 100 000 bytes of session in a cookie of a few hundred: Flask reads
    // it; the reader stops at 64 KiB and ignores the cookie.
    let mut bomb = flask_decode(twin, &cookie);
    bomb.insert("padding".into(), "x".repeat(100_000).into());
    let bomb = flask_sign(twin, SECRET, now(), &bomb);
    assert!(bomb.starts_with('.') && bomb.len() < 1024, "{}", bomb.len());
    assert!(flask_accepts(twin, FLASK_MAX_AGE, &bomb));
    let setup = Setup::new(twin);
    let o = present(&setup, &Jar::with("session", &bomb)).await;
    assert_refused(&o, &setup, "a session inflating to 100 000 bytes");
}

#[actix_web::test]
#[ignore = "needs the Flask twins: run by scripts/test.sh (after ../shared/parity/setup all)"]
async fn flask3_compressed_sessions_and_copied_keys() {
    large_sessions(Twin::Flask3).await;
}

#[actix_web::test]
#[ignore = "needs the Flask twins: run by scripts/test.sh (after ../shared/parity/setup all)"]
async fn flask012_compressed_sessions_and_copied_keys() {
    large_sessions(Twin::Flask012).await;
}

// ------------------------------------- real Flask cookies, without python

/// The twin's session after `GET /login?id=1` from [`UA`] at 127.0.0.1
/// (secret [`SECRET`]), re-signed by the twin's Flask as if on
/// 2024-01-01T00:00:00Z (`flask_cookie.py sign`): Flask 3.1.3 compressed
/// it. Its `_id` is Flask-Login 0.6.3's SHA-512 of that client.
const FLASK3_COOKIE: &str = ".eJwlzjsOwjAQANG7uKbw_u1cJsqu14I2IRXi7lhCU71uPmWfZ17Psr3POx9lf42yFZnQHMKgUw1JEOtN4PB58DGckHUEMglONjMXUAoVV4wgS1LzLtmNIYJrm23gUEgOrEIqg_siVqvTrTa2xMC-orqM2b2skfvK838D5fsDTPctiw.ZZIAgA._eoEsxBI3qyaqA5VFuEqallEMUg";
/// The same from the 0.2.4 twin, re-signed by Flask 0.12.5 / itsdangerous
/// 0.24 (timestamp counted from 2011); `_id` is 0.2.4's MD5.
const FLASK012_COOKIE: &str = "eyJfZnJlc2giOnRydWUsIl9pZCI6IjM3NjFmMjFkZGJiOWM2NDMzNDk1MzgwNzdjZDRlZTI2IiwidXNlcl9pZCI6IjEifQ.GHOSAA.C-E1VIF_JnhlGHFI6CI9qB94_0E";
/// A maximum age that accepts the 2024 cookies (until 2054), yet refuses
/// each read as the other Flask generation: a 0.12 timestamp (counted from
/// 2011) read as Unix time looks 41 years older, a Flask 3 one read from
/// 2011 lies decades ahead.
const THIRTY_YEARS: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

fn captured(twin: Twin) -> &'static str {
    match twin {
        Twin::Flask3 => FLASK3_COOKIE,
        Twin::Flask012 => FLASK012_COOKIE,
    }
}

/// [`Setup::new`], reading 2024 cookies.
fn setup_for_captured(twin: Twin) -> Setup {
    let base = Setup::new(twin);
    Setup {
        flask: base.flask.clone().max_age(THIRTY_YEARS),
        ..base
    }
}

#[actix_web::test]
async fn captured_flask_cookies_carry_over() {
    for twin in [Twin::Flask3, Twin::Flask012] {
        for cookie in ["id", "session"] {
            let setup = Setup {
                cookie,
                ..setup_for_captured(twin)
            };
            let o = present(&setup, &Jar::with("session", captured(twin))).await;
            assert_carried_over(&o, &setup, "user=1 fresh=1", "a captured cookie");
            // Strong protection, same client: still fresh.
            let strong = Setup {
                protection: SessionProtection::Strong,
                ..setup.clone()
            };
            let o = present(&strong, &Jar::with("session", captured(twin))).await;
            assert_carried_over(&o, &strong, "user=1 fresh=1", "strong, same client");
            // Another client: stale under basic, refused under strong.
            for (ua, peer) in [(OTHER_UA, PEER), (UA, OTHER_PEER)] {
                let basic = Setup {
                    ua,
                    peer,
                    ..setup.clone()
                };
                let o = present(&basic, &Jar::with("session", captured(twin))).await;
                assert_carried_over(&o, &basic, "user=1 fresh=0", "basic, another client");
                assert_eq!(o.count(Signal::SessionProtected), 1, "{o:?}");
                let strong = Setup {
                    protection: SessionProtection::Strong,
                    ..basic
                };
                let o = present(&strong, &Jar::with("session", captured(twin))).await;
                assert_refused(&o, &strong, "strong, another client");
                // Once per request: the refused Flask cookie is left in
                // place (Flask would have emptied, so deleted, it).
                assert!(o.count(Signal::SessionProtected) >= 1, "{o:?}");
            }
        }
    }
}

#[actix_web::test]
async fn captured_flask_cookies_are_refused_when_expired_or_of_another_version() {
    for twin in [Twin::Flask3, Twin::Flask012] {
        // Flask's default PERMANENT_SESSION_LIFETIME: 31 days, long past.
        let setup = Setup::new(twin);
        let o = present(&setup, &Jar::with("session", captured(twin))).await;
        assert_refused(&o, &setup, "a 2024 cookie, 31 days allowed");
        // The other Flask generation reads the timestamp differently.
        let other = match twin {
            Twin::Flask3 => FlaskVersion::Flask0_12,
            Twin::Flask012 => FlaskVersion::Flask3,
        };
        let setup = Setup {
            flask: FlaskSession::new(SECRET)
                .max_age(THIRTY_YEARS)
                .version(other),
            ..setup
        };
        let o = present(&setup, &Jar::with("session", captured(twin))).await;
        assert_refused(&o, &setup, "the other Flask version");
        // Another secret.
        let setup = Setup {
            flask: FlaskSession::new("another secret")
                .max_age(THIRTY_YEARS)
                .version(twin.version()),
            ..setup
        };
        let o = present(&setup, &Jar::with("session", captured(twin))).await;
        assert_refused(&o, &setup, "another secret");
    }
}

#[actix_web::test]
async fn garbage_flask_cookies_are_ignored() {
    let long = "A".repeat(10_000);
    let mut values: Vec<Vec<u8>> = [
        "",
        ".",
        "..",
        "...",
        "a.b.c",
        "eyJfdXNlcl9pZCI6IjEifQ",
        "eyJfdXNlcl9pZCI6IjEifQ.ZZIAgA",
        "eyJfdXNlcl9pZCI6IjEifQ.ZZIAgA.",
        "eyJfdXNlcl9pZCI6IjEifQ.ZZIAgA.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ".eJwAAAA.ZZIAgA.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "\"eyJfdXNlcl9pZCI6IjEifQ.ZZIAgA.AAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
        "%22%3B%00",
        "eyJ1c2VyX2lkIjoiMSJ9.!!!!.????",
        &long,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    values.push(b"\xff\xfe.\x80\x81.\xc3\x28".to_vec());
    for twin in [Twin::Flask3, Twin::Flask012] {
        let real = captured(twin);
        // The real cookie cut short, with a character changed, doubled.
        values.push(real.as_bytes()[..real.len() - 1].to_vec());
        values.push(flip(real, real.len() - 1).into_bytes());
        values.push(flip(real, 1).into_bytes());
        values.push(format!("{real}{real}").into_bytes());
        values.push(format!("{real}.").into_bytes());
    }
    for twin in [Twin::Flask3, Twin::Flask012] {
        for cookie in ["id", "session"] {
            for protection in [SessionProtection::Basic, SessionProtection::Strong] {
                let setup = Setup {
                    cookie,
                    protection,
                    ..setup_for_captured(twin)
                };
                let signals = Signals::default();
                let mut c = setup.client(&signals, CookieSessionStore::default()).await;
                for value in &values {
                    let mut header = b"session=".to_vec();
                    header.extend_from_slice(value);
                    c.jar = Jar::default();
                    let r = c.get_with_cookie_bytes("/", header).await;
                    let ctx = format!(
                        "{twin:?} {cookie} {protection:?}: {:?}",
                        String::from_utf8_lossy(value)
                    );
                    assert_eq!(
                        (r.status, r.body.as_str()),
                        (StatusCode::OK, "anonymous"),
                        "{ctx}"
                    );
                    let r = c.get("/").await;
                    assert_eq!(
                        (r.status, r.body.as_str()),
                        (StatusCode::OK, "anonymous"),
                        "{ctx}"
                    );
                    let imported: Vec<_> = signals
                        .take()
                        .into_iter()
                        .filter(|(s, _)| matches!(s, Signal::ImportedFromFlask | Signal::LoggedIn))
                        .collect();
                    assert!(imported.is_empty(), "{ctx}: {imported:?}");
                }
            }
        }
    }
}

/// A session already logged in here is not replaced by a Flask cookie.
#[actix_web::test]
async fn an_actix_login_wins_over_a_flask_cookie() {
    for twin in [Twin::Flask3, Twin::Flask012] {
        let setup = setup_for_captured(twin);
        let signals = Signals::default();
        let mut c = setup.client(&signals, CookieSessionStore::default()).await;
        assert_eq!(c.get("/login-here?id=3").await.body, "ok");
        c.jar.set("session", captured(twin));
        let r = c.get("/").await;
        assert_eq!(r.body, "user=3 fresh=1", "{twin:?}");
        let names: Vec<_> = signals.take().into_iter().map(|(s, _)| s).collect();
        assert!(!names.contains(&Signal::ImportedFromFlask), "{names:?}");
    }
}

// ----------------------------------------------- the session id renewed

/// The import renews the session id: the anonymous session the browser
/// had (here, with a key planted before the login) is gone, and its key
/// names nobody afterwards.
#[actix_web::test]
async fn import_renews_the_session_id() {
    for twin in [Twin::Flask3, Twin::Flask012] {
        let setup = setup_for_captured(twin);
        let store = MemoryStore::default();
        let signals = Signals::default();
        let mut c = setup.client(&signals, store.clone()).await;
        assert_eq!(c.get("/visit").await.body, "visited");
        let old = c.jar.get("id").expect("an actix session").to_owned();
        let old_keys = store.keys();
        assert_eq!(old_keys.len(), 1);
        c.jar.set("session", captured(twin));
        let r = c.get("/").await;
        assert_eq!(r.body, "user=1 fresh=1", "{twin:?}: {r:?}");
        assert_eq!(c.jar.get("session"), None, "{twin:?}: Flask's cookie kept");
        let new_keys = store.keys();
        assert_eq!(new_keys.len(), 1, "{twin:?}: the old session is kept");
        assert_ne!(
            old_keys, new_keys,
            "{twin:?}: the session id was not renewed"
        );
        assert_eq!(c.get("/").await.body, "user=1 fresh=1");
        // The old key, replayed without the Flask cookie, names nobody.
        c.jar = Jar::with("id", &old);
        assert_eq!(c.get("/").await.body, "anonymous", "{twin:?}");
    }
}
