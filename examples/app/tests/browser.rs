//! The example app driven through headless Chromium over WebDriver, the way
//! a person uses it:
//!
//! visit a protected page → redirected to the login form with the flashed
//! message → log in with "remember me" → back at the page → restart the
//! browser with the session cookie dropped and the remember cookie kept →
//! still logged in, but not fresh → the settings page asks to
//! re-authenticate → re-authenticate → the settings page opens (and its
//! CSRF-protected form saves) → log out everywhere else (still logged in
//! here) → log out → the protected page redirects again. Then the admin
//! page: an anonymous visitor is sent to log in, carol (no `admin`
//! permission) gets `403` and no Admin link; a hostile `next` after
//! alice's login stays on the site, and alice follows the Admin link.
//!
//! Needs Debian's `chromium` and `chromium-driver`: `#[ignore]`d in a plain
//! `cargo test`, run by `bash scripts/test.sh`, which installs them. Run
//! without them, the test fails, it never skips. `CHROMIUM=/path` and
//! `CHROMEDRIVER=/path` pick other binaries.
//! On failure a screenshot and the page's HTML are saved to
//! `target/test-screenshots/`; with `BROWSER_TEST_SCREENSHOTS=all`, one per
//! step is saved on success too.

use std::{
    env,
    fmt::Display,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::support::{free_port, require_program, App, REMEMBER_COOKIE, SESSION_COOKIE};

const TIMEOUT: Duration = Duration::from_secs(300);

fn screenshot_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .to_owned();
    target.join("test-screenshots")
}

/// A `chromedriver` child on a free loopback port, stopped on drop.
struct ChromeDriver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl ChromeDriver {
    fn start(dir: &Path) -> ChromeDriver {
        let program = require_program(&["chromedriver"], "CHROMEDRIVER", "chromium-driver");
        let port = free_port();
        let log = dir.join("chromedriver.log");
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        ChromeDriver { child, port, log }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits until the driver accepts connections.
    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "chromedriver exited at start ({status}); log:\n{}",
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {} within 20 s; log:\n{}",
                self.port,
                self.log_tail()
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new browser with its own, fresh profile: nothing of an earlier
    /// browser (cookies, cache) is in it.
    async fn browser(&self, profile: &Path) -> Client {
        let chromium = require_program(&["chromium", "chromium-browser"], "CHROMIUM", "chromium");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1000,800",
        ]
        .map(str::to_owned)
        .into_iter()
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot open a Chromium session: {e}\nchromedriver log:\n{}",
                    self.log_tail()
                )
            })
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // chromedriver quits the browsers it started when it is asked to
        // shut down; kill it only if it does not.
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
            use std::io::Write;
            let _ = stream.write_all(
                b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A failed check: what was expected, at which step.
type Check<T = ()> = Result<T, String>;

fn fail<E: Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// The test's state: the app's URL, the current browser, the current step.
struct Flow {
    base: String,
    browser: Client,
    step: usize,
    step_name: String,
    shots: PathBuf,
    shots_always: bool,
}

impl Flow {
    async fn step(&mut self, name: &str) {
        if self.shots_always && self.step > 0 {
            self.save_screenshot("ok").await;
        }
        self.step += 1;
        self.step_name = name.to_owned();
        eprintln!("step {}: {name}", self.step);
    }

    fn file_stem(&self, suffix: &str) -> String {
        let slug: String = self
            .step_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!("browser-{:02}-{slug}-{suffix}", self.step)
    }

    /// Saves a screenshot and the page's HTML; returns the PNG's path.
    async fn save_screenshot(&self, suffix: &str) -> Option<PathBuf> {
        std::fs::create_dir_all(&self.shots).ok()?;
        let png = self.shots.join(format!("{}.png", self.file_stem(suffix)));
        match self.browser.screenshot().await {
            Ok(bytes) => std::fs::write(&png, bytes).ok()?,
            Err(e) => {
                eprintln!("could not take a screenshot: {e}");
                return None;
            }
        }
        if let Ok(html) = self.browser.source().await {
            let _ = std::fs::write(
                self.shots.join(format!("{}.html", self.file_stem(suffix))),
                html,
            );
        }
        Some(png)
    }

    async fn goto(&self, path: &str) -> Check {
        self.browser
            .goto(&format!("{}{path}", self.base))
            .await
            .map_err(fail(&format!("open {path}")))
    }

    /// The current path and query, as `/path?query`.
    async fn location(&self) -> Check<String> {
        let url = self
            .browser
            .current_url()
            .await
            .map_err(fail("read the URL"))?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// Waits (up to 10 s) until the browser is at `expected` (path and
    /// query) and the page has loaded.
    async fn expect_at(&self, expected: &str) -> Check {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let at = self.location().await?;
            let ready = self
                .browser
                .execute("return document.readyState", vec![])
                .await
                .map_err(fail("read document.readyState"))?;
            if at == expected && ready == "complete" {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "expected to be at {expected}, but the browser is at {at}"
                ));
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn text(&self, css: &str) -> Check<String> {
        let element = self
            .browser
            .find(Locator::Css(css))
            .await
            .map_err(fail(&format!("find {css}")))?;
        element.text().await.map_err(fail(&format!("read {css}")))
    }

    /// Waits (up to 5 s) until the element's text contains `expected`.
    async fn expect_text(&self, css: &str, expected: &str) -> Check {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let reading = self.text(css).await;
            if let Ok(text) = &reading {
                if text.contains(expected) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(match reading {
                    Ok(text) => {
                        format!("expected {css} to contain {expected:?}, it reads {text:?}")
                    }
                    Err(err) => format!("expected {css} to contain {expected:?}, but: {err}"),
                });
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn expect_flash(&self, expected: &str) -> Check {
        self.expect_text("#flashes", expected).await
    }

    async fn type_into(&self, css: &str, text: &str) -> Check {
        let field = self
            .browser
            .find(Locator::Css(css))
            .await
            .map_err(fail(&format!("find {css}")))?;
        field.clear().await.map_err(fail(&format!("clear {css}")))?;
        field
            .send_keys(text)
            .await
            .map_err(fail(&format!("type into {css}")))
    }

    async fn click(&self, css: &str) -> Check {
        self.browser
            .find(Locator::Css(css))
            .await
            .map_err(fail(&format!("find {css}")))?
            .click()
            .await
            .map_err(fail(&format!("click {css}")))
    }

    /// Clicks a button that submits a form and waits (up to 10 s) until the
    /// page the form leads to has loaded: a new document, even when the URL
    /// stays the same (a form that redirects back to itself).
    async fn submit(&self, css: &str) -> Check {
        self.browser
            .execute("window.__flowOldPage = true; return null;", vec![])
            .await
            .map_err(fail("mark the page"))?;
        self.click(css).await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // Errors while the page changes are expected: try again.
            let loaded = self
                .browser
                .execute(
                    "return window.__flowOldPage === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(loaded, Ok(serde_json::Value::Bool(true))) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "clicking {css} did not load a new page within 10 s"
                ));
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Checks that no element matches `css`.
    async fn expect_absent(&self, css: &str) -> Check {
        let found = self
            .browser
            .find_all(Locator::Css(css))
            .await
            .map_err(fail(&format!("look for {css}")))?;
        if found.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "expected no {css} on the page, found {}",
                found.len()
            ))
        }
    }

    async fn cookie_names(&self) -> Check<Vec<String>> {
        let cookies = self
            .browser
            .get_all_cookies()
            .await
            .map_err(fail("read the cookies"))?;
        Ok(cookies.iter().map(|c| c.name().to_owned()).collect())
    }
}

#[actix_web::test]
#[ignore = "needs chromium and chromium-driver: run by `bash scripts/test.sh`"]
async fn a_person_logs_in_is_remembered_reauthenticates_and_logs_out() {
    // Both programs are checked before anything starts, so a missing one is
    // reported as such.
    require_program(&["chromium", "chromium-browser"], "CHROMIUM", "chromium");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut driver = ChromeDriver::start(dir.path());

    let app = App::start(dir.path(), &[]);

    driver.wait_ready().await;
    let mut flow = Flow {
        base: app.url(""),
        browser: driver.browser(&dir.path().join("profile-1")).await,
        step: 0,
        step_name: "start".to_owned(),
        shots: screenshot_dir(),
        shots_always: env::var("BROWSER_TEST_SCREENSHOTS").is_ok_and(|v| v == "all"),
    };
    let outcome =
        match actix_web::rt::time::timeout(TIMEOUT, person(&mut flow, &driver, dir.path())).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("the flow took longer than {TIMEOUT:?}")),
        };
    let failure = match outcome {
        Ok(()) => {
            if flow.shots_always {
                flow.save_screenshot("ok").await;
            }
            None
        }
        Err(err) => {
            let at = flow.location().await.unwrap_or_else(|e| e);
            let shot = flow.save_screenshot("FAILED").await;
            Some(format!(
                "step {} ({}) failed: {err}\n  browser at: {at}\n  screenshot: {}",
                flow.step,
                flow.step_name,
                shot.map_or_else(|| "(none)".to_owned(), |p| p.display().to_string()),
            ))
        }
    };
    let _ = flow.browser.clone().close().await;
    app.stop();
    drop(driver);
    if let Some(failure) = failure {
        panic!("{failure}");
    }
}

/// The person's visit. Each step says what it checks; a failed check
/// returns an error that names it.
async fn person(flow: &mut Flow, driver: &ChromeDriver, dir: &Path) -> Check {
    flow.step("a protected page redirects to the login form")
        .await;
    flow.goto("/members").await?;
    flow.expect_at("/login?next=%2Fmembers").await?;
    flow.expect_flash("Please log in to access this page.")
        .await?;

    flow.step("log in with remember me").await;
    flow.type_into("#username", "alice").await?;
    flow.type_into("#password", "wonderland").await?;
    flow.click("#remember").await?;
    flow.submit("#submit").await?;
    flow.expect_at("/members").await?;
    flow.expect_flash("Logged in as Alice Liddell.").await?;
    flow.expect_text("#welcome", "Alice Liddell").await?;
    flow.expect_text("#freshness", "fresh").await?;
    let names = flow.cookie_names().await?;
    if !(names.iter().any(|n| n == SESSION_COOKIE) && names.iter().any(|n| n == REMEMBER_COOKIE)) {
        return Err(format!(
            "expected a session and a remember cookie, the browser has {names:?}"
        ));
    }

    flow.step("restart the browser: session cookie dropped, remember cookie kept")
        .await;
    let mut remember = flow
        .browser
        .get_named_cookie(REMEMBER_COOKIE)
        .await
        .map_err(fail("read the remember cookie"))?;
    let old = std::mem::replace(
        &mut flow.browser,
        driver.browser(&dir.join("profile-2")).await,
    );
    old.close().await.map_err(fail("close the first browser"))?;
    // A cookie can be added only for the page's own site: open one first.
    flow.goto("/").await?;
    flow.expect_text("#is-authenticated", "false").await?;
    remember.set_domain("127.0.0.1");
    flow.browser
        .add_cookie(remember)
        .await
        .map_err(fail("add the remember cookie"))?;
    let names = flow.cookie_names().await?;
    if names.iter().any(|n| n == SESSION_COOKIE) {
        return Err(format!(
            "the new browser should have no session cookie, it has {names:?}"
        ));
    }

    flow.step("still logged in, but not fresh").await;
    flow.goto("/members").await?;
    flow.expect_at("/members").await?;
    flow.expect_text("#welcome", "Alice Liddell").await?;
    flow.expect_text("#freshness", "not fresh").await?;
    flow.expect_text("#current-user", "(remembered)").await?;
    flow.goto("/").await?;
    flow.expect_text("#fresh", "false").await?;
    flow.expect_text("#remembered", "true").await?;

    flow.step("the settings page asks to re-authenticate").await;
    flow.goto("/settings").await?;
    flow.expect_at("/reauthenticate?next=%2Fsettings").await?;
    flow.expect_flash("Please reauthenticate to access this page.")
        .await?;

    flow.step("a wrong password is refused").await;
    flow.type_into("#password", "not-the-password").await?;
    flow.submit("#submit").await?;
    flow.expect_at("/reauthenticate?next=%2Fsettings").await?;
    flow.expect_flash("Wrong password.").await?;

    flow.step("re-authenticate").await;
    flow.type_into("#password", "wonderland").await?;
    flow.submit("#submit").await?;
    flow.expect_at("/settings").await?;
    flow.expect_flash("Password confirmed.").await?;
    flow.expect_text("h1", "Settings").await?;

    flow.step("the settings form saves").await;
    flow.type_into("#display_name", "Alice L.").await?;
    flow.submit("#save").await?;
    flow.expect_at("/settings").await?;
    flow.expect_flash("Settings saved.").await?;
    flow.expect_text("#current-user", "Alice L.").await?;

    flow.step("log out everywhere else").await;
    flow.submit("#logout-everywhere").await?;
    flow.expect_at("/settings").await?;
    flow.expect_flash("You have been logged out everywhere else")
        .await?;
    flow.expect_text("#current-user", "Alice L.").await?;

    flow.step("log out").await;
    flow.submit("#logout").await?;
    flow.expect_at("/").await?;
    flow.expect_flash("You have been logged out.").await?;
    flow.expect_text("#is-authenticated", "false").await?;
    let names = flow.cookie_names().await?;
    if names.iter().any(|n| n == REMEMBER_COOKIE) {
        return Err(format!(
            "logout should delete the remember cookie, the browser has {names:?}"
        ));
    }

    flow.step("the protected page redirects again").await;
    flow.goto("/members").await?;
    flow.expect_at("/login?next=%2Fmembers").await?;
    flow.expect_flash("Please log in to access this page.")
        .await?;

    flow.step("the admin page sends an anonymous visitor to log in")
        .await;
    flow.goto("/admin").await?;
    flow.expect_at("/login?next=%2Fadmin").await?;
    flow.expect_flash("Please log in to access this page.")
        .await?;
    flow.expect_absent("#admin-link").await?;

    flow.step("carol, without the admin permission, is refused it")
        .await;
    flow.type_into("#username", "carol").await?;
    flow.type_into("#password", "looking-glass").await?;
    flow.submit("#submit").await?;
    flow.expect_at("/admin").await?;
    flow.expect_text("h1", "403 Forbidden").await?;
    flow.expect_text("#forbidden", "permission this page needs")
        .await?;

    flow.step("carol's pages have no Admin link").await;
    flow.goto("/").await?;
    flow.expect_text("#current-user", "Carol").await?;
    flow.expect_absent("#admin-link").await?;
    flow.submit("#logout").await?;
    flow.expect_flash("You have been logged out.").await?;

    flow.step("a hostile next stays on the site").await;
    flow.goto("/login?next=%2F%2Fevil.example%2F").await?;
    flow.type_into("#username", "alice").await?;
    flow.type_into("#password", "wonderland").await?;
    flow.submit("#submit").await?;
    flow.expect_at("/").await?;
    flow.expect_flash("Logged in as Alice L.").await?;

    flow.step("alice, an admin, follows the Admin link").await;
    flow.click("#admin-link").await?;
    flow.expect_at("/admin").await?;
    flow.expect_text("h1", "Admin").await?;
    flow.expect_text("#accounts", "carol").await?;
    flow.expect_text("#accounts", "admin").await?;
    Ok(())
}
