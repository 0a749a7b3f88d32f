//! Signals: Flask-Login's blinker signals, as callbacks registered on the
//! manager with [`LoginManagerBuilder::on`](crate::LoginManagerBuilder::on).

use actix_web::HttpRequest;

/// The signals actix-login sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// A user was logged in by [`login_user`](crate::login_user).
    LoggedIn,
    /// [`logout_user`](crate::logout_user) ran (in the 0.6.3 profile also
    /// when nobody was logged in; then the event has no user).
    LoggedOut,
    /// A user was restored from the remember cookie.
    LoadedFromCookie,
    /// A user was loaded by the request loader.
    LoadedFromRequest,
    /// [`confirm_login`](crate::confirm_login) made the login fresh again.
    LoginConfirmed,
    /// A guarded view refused an anonymous user.
    Unauthorized,
    /// A view that wants a fresh login refused a stale one.
    NeedsRefresh,
    /// Session protection saw a changed session identifier.
    SessionProtected,
    /// The user of the request was loaded (0.6.3's `user_accessed`: once per
    /// request that asks for the user).
    Accessed,
    /// A user was carried over from a Flask session cookie
    /// ([`import_flask_session`](crate::LoginManagerBuilder::import_flask_session)).
    ImportedFromFlask,
}

impl Signal {
    /// Every signal, for subscribing to all of them.
    pub const ALL: [Signal; 10] = [
        Signal::LoggedIn,
        Signal::LoggedOut,
        Signal::LoadedFromCookie,
        Signal::LoadedFromRequest,
        Signal::LoginConfirmed,
        Signal::Unauthorized,
        Signal::NeedsRefresh,
        Signal::SessionProtected,
        Signal::Accessed,
        Signal::ImportedFromFlask,
    ];

    /// Flask-Login's name of the signal (`logged-in`, `session-protected`…).
    pub fn name(self) -> &'static str {
        match self {
            Signal::LoggedIn => "logged-in",
            Signal::LoggedOut => "logged-out",
            Signal::LoadedFromCookie => "loaded-from-cookie",
            Signal::LoadedFromRequest => "loaded-from-request",
            Signal::LoginConfirmed => "login-confirmed",
            Signal::Unauthorized => "unauthorized",
            Signal::NeedsRefresh => "needs-refresh",
            Signal::SessionProtected => "session-protected",
            Signal::Accessed => "accessed",
            Signal::ImportedFromFlask => "imported-from-flask",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One signal as a subscriber receives it.
#[derive(Debug)]
pub struct SignalEvent<'a, U> {
    /// Which signal.
    pub signal: Signal,
    /// The request during which it was sent.
    pub request: &'a HttpRequest,
    /// The user concerned, where there is one (logged in, logged out, loaded).
    pub user: Option<&'a U>,
}

pub(crate) type Subscriber<U> = Box<dyn Fn(&SignalEvent<'_, U>) + Send + Sync>;

pub(crate) struct Subscribers<U> {
    list: Vec<(Signal, Subscriber<U>)>,
}

impl<U> Default for Subscribers<U> {
    fn default() -> Self {
        Subscribers { list: Vec::new() }
    }
}

impl<U> Subscribers<U> {
    pub(crate) fn push(&mut self, signal: Signal, f: Subscriber<U>) {
        self.list.push((signal, f));
    }

    pub(crate) fn send(&self, signal: Signal, request: &HttpRequest, user: Option<&U>) {
        if self.list.is_empty() {
            return;
        }
        let event = SignalEvent {
            signal,
            request,
            user,
        };
        for (s, f) in &self.list {
            if *s == signal {
                f(&event);
            }
        }
    }
}
