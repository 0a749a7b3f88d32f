//! actix-login's `tracing` events, with user ids as fields and never a
//! cookie value. Alone in its test binary: tracing caches callsite interest
//! process-wide, so a scoped subscriber in a binary whose other tests run in
//! parallel would miss events.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use crate::common::*;
use actix_login::SessionProtection;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn take(&self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut *self.0.lock().unwrap())).into_owned()
    }
}

#[actix_web::test]
async fn logins_restores_rejections_and_protection_are_traced_with_user_ids() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // The fixture's secret, "deterministic", is shorter than 32 bytes.
    let mut c = client_with(|b| b.session_protection(SessionProtection::Basic)).await;
    let log = captured.take();
    assert!(
        log.contains("WARN") && log.contains("shorter than 32 bytes"),
        "{log}"
    );
    c.body("/login-notch-remember").await;
    let log = captured.take();
    assert!(
        log.contains("user logged in") && log.contains("user.id=1"),
        "{log}"
    );

    c.clear_session();
    assert_eq!(c.body("/username").await, "Notch");
    let log = captured.take();
    assert!(
        log.contains("restored from the remember cookie") && log.contains("user.id=1"),
        "{log}"
    );

    c.get_with_ua("/username", "another-browser/2").await;
    let log = captured.take();
    assert!(log.contains("session protection"), "{log}");

    c.body("/logout").await;
    let log = captured.take();
    assert!(
        log.contains("user logged out") && log.contains("user.id=1"),
        "{log}"
    );

    let forged = "1|0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000dead";
    c.clear_session();
    c.set_remember(forged);
    assert_eq!(c.body("/username").await, "Anonymous");
    let log = captured.take();
    assert!(log.contains("rejected a remember cookie"), "{log}");
    assert!(
        !log.contains("dead"),
        "the cookie value must not be logged: {log}"
    );
}
