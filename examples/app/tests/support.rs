//! What the end-to-end tests share: the `app` binary started as an operator
//! starts it, a visitor speaking HTTP to it with its own cookie jar, and the
//! outside programs the tests need, found or reported.

use std::{
    collections::BTreeMap,
    env,
    fs::File,
    io::{BufRead, BufReader},
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use actix_web::{
    cookie::{time::OffsetDateTime, Cookie},
    http::{header, StatusCode},
};

/// The app's session cookie (`server.rs`).
pub const SESSION_COOKIE: &str = "demo_session";
/// The app's remember-me cookie (`server.rs`).
pub const REMEMBER_COOKIE: &str = "remember_token";

/// How long the app may take to print its address: it hashes the seeded
/// users' passwords with Argon2id first, which a debug build does slowly.
const START_TIMEOUT: Duration = Duration::from_secs(120);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The first of `names` on `PATH` (or the file `$override_var` names), or a
/// failure that says how to install it: these tests never skip.
pub fn require_program(names: &[&str], override_var: &str, package: &str) -> PathBuf {
    if let Some(path) = env::var_os(override_var) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{override_var}={} is not a file",
            path.display()
        );
        return path;
    }
    let dirs: Vec<PathBuf> = env::var_os("PATH")
        .iter()
        .flat_map(env::split_paths)
        .collect();
    names
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{}` was not found on PATH: this test needs it and does not skip.\n\
                 Install it with `bash scripts/install-test-deps.sh` (Debian: apt-get install {package}),\n\
                 or set {override_var} to its path.",
                names[0]
            )
        })
}

/// One running `app` process, killed on drop.
pub struct App {
    child: Child,
    pub addr: SocketAddr,
    stderr: PathBuf,
}

impl App {
    /// Runs the `app` binary this package builds, as `cargo run --bin app`
    /// would, with `vars` added to its environment (`PORT=0`, one worker,
    /// a private in-memory database and Argon2 at its cheapest,
    /// `INSECURE_FAST_HASHING=true`, unless `vars` says otherwise), and
    /// waits for the line that announces its address. Its standard error
    /// goes to a file in `dir`, shown if it fails to start.
    pub fn start(dir: &Path, vars: &[(&str, &str)]) -> App {
        let stderr = dir.join(format!("app-{}.stderr", free_port()));
        let mut command = Command::new(env!("CARGO_BIN_EXE_app"));
        command
            .env("PORT", "0")
            .env("WORKERS", "1")
            .env("DATABASE", ":memory:")
            .env("SECRET_KEY", "end-to-end test secret, 32 bytes or more")
            // A debug build hashes at the app's real cost in about a second:
            // the tests log in often. `cookie_sessions` runs the real cost.
            .env("INSECURE_FAST_HASHING", "true")
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&stderr).expect("a file for the app's stderr"));
        let mut child = command.spawn().expect("start the app binary");
        let stdout = child.stdout.take().expect("the app's stdout");
        let (lines, announced) = mpsc::channel();
        // Read every line, so that the app never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = lines.send(line);
            }
        });
        let prefix = "actix-login demo listening on http://";
        let addr = loop {
            match announced.recv_timeout(START_TIMEOUT) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix(prefix) {
                        break addr.parse().expect("the announced address");
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait().expect("reap the app");
                    panic!(
                        "the app did not announce its address within {START_TIMEOUT:?} ({status}); stderr:\n{}",
                        std::fs::read_to_string(&stderr).unwrap_or_default()
                    );
                }
            }
        };
        App {
            child,
            addr,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the app wrote to its standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Kills the process (as a crash or a redeploy would) and returns the
    /// port it listened on, free again.
    pub fn stop(mut self) -> u16 {
        self.kill();
        self.addr.port()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP response, read whole.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn csrf_token(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF token in the page:\n{}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').expect("end of the token") + start;
        self.body[start..end].to_owned()
    }

    #[track_caller]
    pub fn assert_redirect(&self, to: &str) {
        assert!(
            self.status.is_redirection() && self.location.as_deref() == Some(to),
            "expected a redirect to {to}, got {} {:?}:\n{}",
            self.status,
            self.location,
            self.body
        );
    }

    #[track_caller]
    pub fn assert_ok_with(&self, text: &str) {
        assert!(
            self.status == StatusCode::OK && self.body.contains(text),
            "expected 200 with {text:?}, got {} {:?}:\n{}",
            self.status,
            self.location,
            self.body
        );
    }
}

/// A visitor: one browser's cookie jar, sent to whichever instance it is
/// pointed at. Cookies are not told apart by port, as in a browser.
#[derive(Clone, Default)]
pub struct Visitor {
    pub cookies: BTreeMap<String, String>,
}

impl Visitor {
    fn client() -> awc::Client {
        awc::Client::builder()
            .disable_redirects()
            .timeout(Duration::from_secs(30))
            .finish()
    }

    async fn send(&mut self, req: awc::ClientRequest, form: Option<&[(&str, &str)]>) -> Page {
        let cookie_header = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookie_header.is_empty() {
            req
        } else {
            req.insert_header((header::COOKIE, cookie_header))
        };
        let sent = match form {
            Some(form) => req.send_form(&form).await,
            None => req.send().await,
        };
        let mut res = sent.unwrap_or_else(|e| panic!("request failed: {e}"));
        for value in res.headers().get_all(header::SET_COOKIE) {
            let cookie = Cookie::parse(value.to_str().expect("ASCII Set-Cookie").to_owned())
                .expect("a cookie");
            let expired = cookie
                .max_age()
                .is_some_and(|age| age.is_zero() || age.is_negative())
                || cookie
                    .expires_datetime()
                    .is_some_and(|at| at <= OffsetDateTime::now_utc());
            if expired {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        let body = res.body().limit(1 << 20).await.expect("response body");
        Page {
            status: res.status(),
            headers: res.headers().clone(),
            location: res
                .headers()
                .get(header::LOCATION)
                .map(|l| l.to_str().expect("ASCII Location").to_owned()),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        self.send(Self::client().get(url), None).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        self.send(Self::client().post(url), Some(form)).await
    }

    /// Fills in and posts the login form (no "remember me", no `next`):
    /// the answer to the POST.
    pub async fn try_log_in(&mut self, at: &App, username: &str, password: &str) -> Page {
        let token = self.get(&at.url("/login")).await.csrf_token();
        self.post(
            &at.url("/login"),
            &[
                ("csrf_token", token.as_str()),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Logs out with the button every page has.
    pub async fn log_out(&mut self, at: &App) {
        let token = self.get(&at.url("/")).await.csrf_token();
        self.post(&at.url("/logout"), &[("csrf_token", token.as_str())])
            .await
            .assert_redirect("/");
    }

    /// Logs in as alice through the login form, as a browser would.
    pub async fn log_in(&mut self, at: &App, remember: bool) {
        let form = self.get(&at.url("/login?next=%2Fmembers")).await;
        let token = form.csrf_token();
        let mut fields = vec![
            ("csrf_token", token.as_str()),
            ("username", "alice"),
            ("password", "wonderland"),
            ("next", "/members"),
        ];
        if remember {
            fields.push(("remember", "on"));
        }
        self.post(&at.url("/login"), &fields)
            .await
            .assert_redirect("/members");
        assert_eq!(
            self.cookies.contains_key(REMEMBER_COOKIE),
            remember,
            "remember cookie"
        );
    }
}
