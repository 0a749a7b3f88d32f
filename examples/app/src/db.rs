//! The demo's users: a SQLite table (through `rusqlite`, with SQLite compiled
//! in), passwords hashed with Argon2id (the `argon2` crate's defaults, the
//! OWASP-recommended parameters, a random salt per hash, stored as a PHC
//! string).
//!
//! The database is created and seeded with [`DEMO_USERS`] on first start. A
//! file database can be shared by several app instances (SQLite locks it;
//! WAL mode lets readers and a writer work side by side).

use std::{
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError},
};

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier},
    Argon2,
};
use rusqlite::{params, Connection, OptionalExtension};

/// Where the users live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A private in-memory database, seeded at start and gone at exit. Each
    /// app instance has its own.
    Memory,
    /// A SQLite file, created and seeded when missing. Several instances
    /// (and restarts) can share it.
    File(PathBuf),
}

/// A seeded account, printed by the example at startup.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// Login name.
    pub username: &'static str,
    /// Password (hashed before it is stored).
    pub password: &'static str,
    /// Name shown on the pages.
    pub display_name: &'static str,
    /// Whether the account may log in.
    pub active: bool,
}

/// The accounts created on first start.
pub const DEMO_USERS: [DemoUser; 2] = [
    DemoUser {
        username: "alice",
        password: "wonderland",
        display_name: "Alice Liddell",
        active: true,
    },
    DemoUser {
        username: "bob",
        password: "builder",
        display_name: "Bob (disabled)",
        active: false,
    },
];

/// A row of the `users` table: the app's user type.
#[derive(Debug, Clone)]
pub struct Account {
    /// Primary key; what the session and the remember cookie carry.
    pub id: i64,
    /// Login name, unique.
    pub username: String,
    /// Name shown on the pages.
    pub display_name: String,
    /// The Argon2 PHC string.
    pub password_hash: String,
    /// Inactive accounts cannot log in.
    pub active: bool,
}

impl actix_login::User for Account {
    fn get_id(&self) -> String {
        self.id.to_string()
    }

    fn is_active(&self) -> bool {
        self.active
    }

    /// The password hash: changing the password ends every other session
    /// and voids the remember cookies issued before (actix-login stores a
    /// keyed digest of these bytes, never the bytes themselves).
    fn session_auth_hash(&self) -> Option<Vec<u8>> {
        Some(self.password_hash.as_bytes().to_vec())
    }
}

/// The connection, shared by every worker of one app instance.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS users (
        id            INTEGER PRIMARY KEY,
        username      TEXT    NOT NULL UNIQUE,
        display_name  TEXT    NOT NULL,
        password_hash TEXT    NOT NULL,
        active        INTEGER NOT NULL DEFAULT 1
    );
";

const COLUMNS: &str = "id, username, display_name, password_hash, active";

fn row_to_account(row: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: row.get(0)?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        password_hash: row.get(3)?,
        active: row.get(4)?,
    })
}

impl Db {
    /// Opens (creating when missing) the database and seeds the demo users
    /// it lacks. Hashing the seed passwords takes a moment: Argon2 is slow on
    /// purpose.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or created, or is not a SQLite database.
    pub fn open(location: &Database) -> rusqlite::Result<Db> {
        let conn = match location {
            Database::Memory => Connection::open_in_memory()?,
            Database::File(path) => {
                let conn = Connection::open(path)?;
                // Another instance may be writing: wait for its lock instead
                // of failing at once.
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn
            }
        };
        conn.execute_batch(SCHEMA)?;
        for user in DEMO_USERS {
            let exists: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM users WHERE username = ?1)",
                [user.username],
                |row| row.get(0),
            )?;
            if !exists {
                let hash = hash_password(user.password);
                // OR IGNORE: another instance seeding the same file may have
                // been first.
                conn.execute(
                    "INSERT OR IGNORE INTO users (username, display_name, password_hash, active)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![user.username, user.display_name, hash, user.active],
                )?;
            }
        }
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-done statement
        // behind (SQLite rolls it back), so the connection stays usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The account with this id.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn by_id(&self, id: i64) -> rusqlite::Result<Option<Account>> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
                [id],
                row_to_account,
            )
            .optional()
    }

    /// The account with this login name.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn by_username(&self, username: &str) -> rusqlite::Result<Option<Account>> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM users WHERE username = ?1"),
                [username],
                row_to_account,
            )
            .optional()
    }

    /// Sets an account's display name.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn set_display_name(&self, id: i64, display_name: &str) -> rusqlite::Result<()> {
        self.conn()
            .execute(
                "UPDATE users SET display_name = ?1 WHERE id = ?2",
                params![display_name, id],
            )
            .map(drop)
    }

    /// Sets an account's password hash (from [`hash_password`]).
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn set_password_hash(&self, id: i64, password_hash: &str) -> rusqlite::Result<()> {
        self.conn()
            .execute(
                "UPDATE users SET password_hash = ?1 WHERE id = ?2",
                params![password_hash, id],
            )
            .map(drop)
    }
}

/// Hashes a password with Argon2id and a fresh random salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
///
/// # Panics
///
/// Only if the operating system's random generator fails.
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("Argon2 hashing with default parameters and an OS salt")
        .to_string()
}

/// Whether `password` matches the PHC string `hash`. The parameters are
/// read from the hash, so hashes made with older settings keep working.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Checks a login. When the name is unknown a dummy hash is verified all the
/// same, so the answer takes as long as for a wrong password and does not
/// tell which names exist. Slow on purpose: call it off the async workers
/// (`web::block`).
pub fn check_credentials(account: Option<Account>, password: &str) -> Option<Account> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    match account {
        Some(account) if verify_password(password, &account.password_hash) => Some(account),
        Some(_) => None,
        None => {
            let dummy = DUMMY.get_or_init(|| hash_password("not a password anyone has"));
            let _ = verify_password(password, dummy);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_and_checks_passwords() {
        let db = Db::open(&Database::Memory).unwrap();
        let alice = db.by_username("alice").unwrap().unwrap();
        assert!(alice.password_hash.starts_with("$argon2id$"));
        assert!(check_credentials(Some(alice.clone()), "wonderland").is_some());
        assert!(check_credentials(Some(alice.clone()), "Wonderland").is_none());
        assert!(check_credentials(None, "wonderland").is_none());
        assert!(!db.by_username("bob").unwrap().unwrap().active);
        assert_eq!(db.by_id(alice.id).unwrap().unwrap().username, "alice");
        db.set_display_name(alice.id, "A.").unwrap();
        assert_eq!(db.by_id(alice.id).unwrap().unwrap().display_name, "A.");
    }
}
