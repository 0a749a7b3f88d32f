//! The demo's users: a SQLite table (through `rusqlite`, with SQLite compiled
//! in), passwords hashed with Argon2id ([`Hashing::Strong`]: OWASP's
//! recommended parameters, written out, a random salt per hash, stored as a
//! PHC string). Every Argon2 computation a request starts goes through the
//! bound in `hash_limit.rs`: the methods that hash or verify are `async` and
//! wait for it.
//!
//! The database is created and seeded with [`DEMO_USERS`] on first start. A
//! file database can be shared by several app instances (SQLite locks it;
//! WAL mode lets readers and a writer work side by side).

use std::{
    collections::HashSet,
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier},
    Algorithm, Argon2, Params, Version,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::hash_limit::{HashGate, HashingLimit};

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
    /// What the account may do beyond logging in (`admin`: the admin page).
    pub permissions: &'static [&'static str],
}

/// The accounts created on first start.
pub const DEMO_USERS: [DemoUser; 3] = [
    DemoUser {
        username: "alice",
        password: "wonderland",
        display_name: "Alice Liddell",
        active: true,
        permissions: &["admin"],
    },
    DemoUser {
        username: "bob",
        password: "builder",
        display_name: "Bob (disabled)",
        active: false,
        permissions: &[],
    },
    DemoUser {
        username: "carol",
        password: "looking-glass",
        display_name: "Carol",
        active: true,
        permissions: &[],
    },
];

/// How many password checks may fail, per account name and per client
/// address, within a sliding window. See `throttle.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The window, in seconds.
    pub window_secs: i64,
    /// Failed checks against one account name within the window.
    pub per_account: u32,
    /// Failed checks from one client address within the window.
    pub per_address: u32,
}

/// Which limit refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Too many failures against this account name.
    Account,
    /// Too many failures from this client address.
    Address,
}

/// What [`Db::begin_attempt`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Check the password. The attempt counts as failed until
    /// [`Db::forget_failures`] clears the account's.
    Allowed,
    /// Do not: `limit` is reached, for `retry_after` more seconds.
    Throttled {
        /// The limit reached.
        limit: Limit,
        /// Seconds until the oldest failure leaves the window.
        retry_after: u64,
    },
}

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
    /// Bumped by "log out everywhere": part of what the session auth hash
    /// covers.
    pub session_epoch: i64,
}

impl actix_login::User for Account {
    fn get_id(&self) -> String {
        self.id.to_string()
    }

    fn is_active(&self) -> bool {
        self.active
    }

    /// The session epoch and the password hash: changing either ends every
    /// other session and voids the remember cookies issued before
    /// (actix-login stores a keyed digest of these bytes, never the bytes
    /// themselves, and tags remember cookies with it). A password change
    /// changes the hash; "log out everywhere" bumps the epoch
    /// ([`Db::bump_session_epoch`]).
    fn session_auth_hash(&self) -> Option<Vec<u8>> {
        Some(format!("{}\n{}", self.session_epoch, self.password_hash).into_bytes())
    }
}

/// How new passwords are hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hashing {
    /// Argon2id, m = 46 MiB, t = 1, p = 1: see [`Hashing::params`]. The
    /// app's default.
    #[default]
    Strong,
    /// Argon2id at the crate's minimum (m = 8 KiB, t = 1): hashes anyone can
    /// brute-force. For the tests only (`INSECURE_FAST_HASHING=true`), so
    /// that a debug build does not spend seconds per login.
    InsecureFast,
}

impl Hashing {
    /// The Argon2 parameters.
    ///
    /// `Strong` is the first configuration OWASP's Password Storage Cheat
    /// Sheet recommends for Argon2id: m = 46 MiB (47 104 KiB), t = 1,
    /// p = 1. Why this one, and why written out rather than left to
    /// `Argon2::default()` (m = 19 MiB, t = 2, the cheat sheet's second
    /// line):
    ///
    /// - memory is what makes each guess expensive on GPUs and ASICs. The
    ///   cheat sheet rates its lines as equal, but by the attacker's
    ///   memory × time, 46 MiB × 1 pass costs more than 19 MiB × 2 (46
    ///   against 38 MiB-passes), while the server spends only about a fifth
    ///   more time per login;
    /// - p = 1: without its `parallel` feature the crate computes lanes one
    ///   after the other, so more lanes would only add time;
    /// - written here, the cost cannot drop silently with a crate upgrade,
    ///   and the reason sits next to the numbers.
    ///
    /// Each verification holds its 46 MiB while it runs: the login throttle
    /// bounds how many guesses ever get that far, and `hash_limit.rs` how
    /// many run at once. Hashes made with other parameters keep verifying:
    /// the parameters are read from each hash.
    pub fn params(self) -> Params {
        let (m_kib, t, p) = match self {
            Hashing::Strong => (46 * 1024, 1, 1),
            Hashing::InsecureFast => (Params::MIN_M_COST, Params::MIN_T_COST, 1),
        };
        Params::new(m_kib, t, p, None).expect("valid Argon2 parameters")
    }

    fn argon2(self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params())
    }
}

/// Hashes and checks passwords with the configured [`Hashing`], at most as
/// many at once as the [`HashGate`] lets.
struct Passwords {
    argon2: Argon2<'static>,
    /// The hash of a password nobody has, with the same parameters, checked
    /// when a login names no account: see [`Db::check_credentials`].
    dummy: String,
    gate: HashGate,
}

impl Passwords {
    fn new(hashing: Hashing, limit: &HashingLimit) -> Passwords {
        let argon2 = hashing.argon2();
        let dummy = hash_with(&argon2, "not a password anyone has");
        Passwords {
            argon2,
            dummy,
            gate: HashGate::new(limit),
        }
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &str) -> String {
    argon2
        .hash_password(password.as_bytes())
        .expect("Argon2 hashing with valid parameters and an OS salt")
        .to_string()
}

/// The connection, shared by every worker of one app instance, and the
/// password hasher.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    passwords: Arc<Passwords>,
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
        active        INTEGER NOT NULL DEFAULT 1,
        session_epoch INTEGER NOT NULL DEFAULT 0
    );
    -- Password checks still counted against an account name and a client
    -- address (see `Db::begin_attempt`).
    CREATE TABLE IF NOT EXISTS login_attempts (
        id      INTEGER PRIMARY KEY,
        account TEXT    NOT NULL,
        address TEXT    NOT NULL,
        at      INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS login_attempts_account ON login_attempts (account, at);
    CREATE INDEX IF NOT EXISTS login_attempts_address ON login_attempts (address, at);
    CREATE INDEX IF NOT EXISTS login_attempts_at ON login_attempts (at);
    -- What each account may do beyond logging in (`PermissionLoader`).
    CREATE TABLE IF NOT EXISTS permissions (
        user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        permission TEXT    NOT NULL,
        PRIMARY KEY (user_id, permission)
    );
";

const COLUMNS: &str = "id, username, display_name, password_hash, active, session_epoch";

fn row_to_account(row: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: row.get(0)?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        password_hash: row.get(3)?,
        active: row.get(4)?,
        session_epoch: row.get(5)?,
    })
}

/// Brings a database made by an older version of the app up to date: the
/// `session_epoch` column (0 for every existing account).
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let has_epoch: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM pragma_table_info('users') WHERE name = 'session_epoch')",
        [],
        |row| row.get(0),
    )?;
    if !has_epoch {
        conn.execute_batch(
            "ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0",
        )?;
    }
    Ok(())
}

impl Db {
    /// Opens (creating when missing) the database and seeds the demo users
    /// it lacks, hashing new passwords with `hashing`, and later at most
    /// `limit.concurrency` at once. Hashing the seed passwords takes a
    /// moment: Argon2 is slow on purpose.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or created, or is not a SQLite database.
    pub fn open(
        location: &Database,
        hashing: Hashing,
        limit: &HashingLimit,
    ) -> rusqlite::Result<Db> {
        let passwords = Passwords::new(hashing, limit);
        let mut conn = match location {
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
        let had_permissions = {
            // One write transaction: instances opening the same file at
            // once must not both add the column.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let had_permissions: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'permissions')",
                [],
                |row| row.get(0),
            )?;
            tx.execute_batch(SCHEMA)?;
            migrate(&tx)?;
            tx.commit()?;
            had_permissions
        };
        for user in DEMO_USERS {
            let exists: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM users WHERE username = ?1)",
                [user.username],
                |row| row.get(0),
            )?;
            let mut created = false;
            if !exists {
                let hash = hash_with(&passwords.argon2, user.password);
                // OR IGNORE: another instance seeding the same file may have
                // been first.
                created = conn.execute(
                    "INSERT OR IGNORE INTO users (username, display_name, password_hash, active)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![user.username, user.display_name, hash, user.active],
                )? == 1;
            }
            // Grants are seeded with the account, or once into a database
            // made before there were permissions; never again, so that
            // revoking one sticks.
            if created || !had_permissions {
                for permission in user.permissions {
                    conn.execute(
                        "INSERT OR IGNORE INTO permissions (user_id, permission)
                         SELECT id, ?2 FROM users WHERE username = ?1",
                        [user.username, permission],
                    )?;
                }
            }
        }
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            passwords: Arc::new(passwords),
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

    /// Hashes a password with Argon2id, the configured parameters and a
    /// fresh random salt, as a PHC string
    /// (`$argon2id$v=19$m=47104,t=1,p=1$salt$hash`). Slow on purpose: runs
    /// on the blocking thread pool, once the bound lets it.
    ///
    /// # Errors
    ///
    /// `503` when the bound is busy for too long ([`crate::hash_limit::Busy`]);
    /// `500` only if the operating system's random generator fails.
    pub async fn hash_password(&self, password: String) -> actix_web::Result<String> {
        let db = self.clone();
        self.passwords
            .gate
            .run(move || hash_with(&db.passwords.argon2, &password))
            .await
    }

    /// Checks a login. When the name is unknown a dummy hash made with the
    /// same parameters is verified all the same, so the answer takes as long
    /// as for a wrong password and does not tell which names exist. Slow on
    /// purpose: runs on the blocking thread pool, once the bound lets it.
    ///
    /// # Errors
    ///
    /// `503` when the bound is busy for too long ([`crate::hash_limit::Busy`]).
    pub async fn check_credentials(
        &self,
        account: Option<Account>,
        password: String,
    ) -> actix_web::Result<Option<Account>> {
        let db = self.clone();
        self.passwords
            .gate
            .run(move || match account {
                Some(account) if verify_password(&password, &account.password_hash) => {
                    Some(account)
                }
                Some(_) => None,
                None => {
                    let _ = verify_password(&password, &db.passwords.dummy);
                    None
                }
            })
            .await
    }

    /// Whether `password` matches the PHC string `hash` (a logged-in user's
    /// current password). Slow on purpose: runs on the blocking thread pool,
    /// once the bound lets it.
    ///
    /// # Errors
    ///
    /// `503` when the bound is busy for too long ([`crate::hash_limit::Busy`]).
    pub async fn check_password(&self, password: String, hash: String) -> actix_web::Result<bool> {
        self.passwords
            .gate
            .run(move || verify_password(&password, &hash))
            .await
    }

    /// Counts a password check against `account` (a name, existing or not)
    /// and `address` **before** the check runs, unless either already has
    /// `limits` failures in the window: then nothing is counted and the
    /// answer is [`Attempt::Throttled`].
    ///
    /// Counting first, in one write transaction, is what bounds the Argon2
    /// work: a burst of concurrent guesses cannot all pass the check before
    /// the first of them is recorded (a check-then-record scheme lets
    /// them), and across app instances sharing the file the transaction
    /// serialises them too. Refused attempts are not counted, so the limit
    /// frees up as the oldest failures leave the window. Older rows are
    /// deleted on the way.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn begin_attempt(
        &self,
        limits: &Limits,
        account: &str,
        address: &str,
        now: i64,
    ) -> rusqlite::Result<Attempt> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cutoff = now - limits.window_secs;
        tx.execute("DELETE FROM login_attempts WHERE at <= ?1", [cutoff])?;
        let checks = [
            (Limit::Account, "account", account, limits.per_account),
            (Limit::Address, "address", address, limits.per_address),
        ];
        for (limit, column, key, max) in checks {
            let (failures, oldest): (u32, Option<i64>) = tx.query_row(
                &format!("SELECT COUNT(*), MIN(at) FROM login_attempts WHERE {column} = ?1"),
                [key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if failures >= max {
                let frees_at = oldest.unwrap_or(now) + limits.window_secs;
                let retry_after = u64::try_from(frees_at - now).unwrap_or(0).max(1);
                return Ok(Attempt::Throttled { limit, retry_after });
            }
        }
        tx.execute(
            "INSERT INTO login_attempts (account, address, at) VALUES (?1, ?2, ?3)",
            params![account, address, now],
        )?;
        tx.commit()?;
        Ok(Attempt::Allowed)
    }

    /// Clears the failures counted against `account`, after a password
    /// check for it succeeded (the address keeps those against other
    /// names).
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn forget_failures(&self, account: &str) -> rusqlite::Result<()> {
        self.conn()
            .execute("DELETE FROM login_attempts WHERE account = ?1", [account])
            .map(drop)
    }

    /// Every account, by name.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn accounts(&self) -> rusqlite::Result<Vec<Account>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))?;
        let rows = stmt.query_map([], row_to_account)?;
        rows.collect()
    }

    /// What the account may do beyond logging in (the `permissions`
    /// table): what the app's `PermissionLoader` answers.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn permissions_of(&self, id: i64) -> rusqlite::Result<HashSet<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT permission FROM permissions WHERE user_id = ?1")?;
        let rows = stmt.query_map([id], |row| row.get(0))?;
        rows.collect()
    }

    /// "Log out everywhere": bumps the account's session epoch, which its
    /// session auth hash covers, so every session and remember cookie
    /// issued before stops working.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn bump_session_epoch(&self, id: i64) -> rusqlite::Result<()> {
        self.conn()
            .execute(
                "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = ?1",
                [id],
            )
            .map(drop)
    }

    /// Sets an account's password hash (from [`Db::hash_password`]).
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

/// Whether `password` matches the PHC string `hash`. The parameters are
/// read from the hash, so hashes made with older settings keep working.
/// Slow on purpose: only through the [`HashGate`] ([`Db::check_password`],
/// [`Db::check_credentials`]).
fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_memory() -> Db {
        Db::open(
            &Database::Memory,
            Hashing::InsecureFast,
            &HashingLimit::default(),
        )
        .unwrap()
    }

    #[actix_web::test]
    async fn seeds_and_checks_passwords() {
        let db = open_memory();
        let alice = db.by_username("alice").unwrap().unwrap();
        assert!(alice
            .password_hash
            .starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
        let check = |account: Option<Account>, password: &str| {
            db.check_credentials(account, password.to_owned())
        };
        assert!(check(Some(alice.clone()), "wonderland")
            .await
            .unwrap()
            .is_some());
        assert!(check(Some(alice.clone()), "Wonderland")
            .await
            .unwrap()
            .is_none());
        assert!(check(None, "wonderland").await.unwrap().is_none());
        let hash = db.hash_password("new one".to_owned()).await.unwrap();
        assert!(db
            .check_password("new one".to_owned(), hash.clone())
            .await
            .unwrap());
        assert!(!db
            .check_password("wonderland".to_owned(), hash)
            .await
            .unwrap());
        assert!(!db.by_username("bob").unwrap().unwrap().active);
        let carol = db.by_username("carol").unwrap().unwrap();
        assert!(carol.active);
        assert_eq!(
            db.permissions_of(alice.id).unwrap(),
            HashSet::from(["admin".to_owned()])
        );
        assert!(db.permissions_of(carol.id).unwrap().is_empty());
        assert_eq!(db.accounts().unwrap().len(), 3);
        assert_eq!(db.by_id(alice.id).unwrap().unwrap().username, "alice");
        db.set_display_name(alice.id, "A.").unwrap();
        assert_eq!(db.by_id(alice.id).unwrap().unwrap().display_name, "A.");
    }

    #[test]
    fn attempts_are_counted_per_account_and_address_in_a_window() {
        let db = open_memory();
        let limits = Limits {
            window_secs: 100,
            per_account: 2,
            per_address: 3,
        };
        let attempt = |account: &str, address: &str, now: i64| {
            db.begin_attempt(&limits, account, address, now).unwrap()
        };
        assert_eq!(attempt("alice", "a", 1000), Attempt::Allowed);
        assert_eq!(attempt("alice", "b", 1010), Attempt::Allowed);
        // The account's limit, from any address, until the first leaves.
        assert_eq!(
            attempt("alice", "c", 1020),
            Attempt::Throttled {
                limit: Limit::Account,
                retry_after: 80
            }
        );
        assert_eq!(attempt("alice", "c", 1101), Attempt::Allowed);
        // A success clears the account's failures, not the address's.
        db.forget_failures("alice").unwrap();
        assert_eq!(attempt("alice", "c", 1102), Attempt::Allowed);
        assert_eq!(attempt("x", "c", 1103), Attempt::Allowed);
        assert_eq!(attempt("y", "c", 1104), Attempt::Allowed);
        assert_eq!(
            attempt("z", "c", 1105),
            Attempt::Throttled {
                limit: Limit::Address,
                retry_after: 97
            }
        );
        // Refused attempts are not counted.
        assert_eq!(attempt("z", "d", 1106), Attempt::Allowed);
    }

    #[test]
    fn an_older_database_gains_the_session_epoch_and_the_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE users (
                 id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE,
                 display_name TEXT NOT NULL, password_hash TEXT NOT NULL,
                 active INTEGER NOT NULL DEFAULT 1);
             INSERT INTO users (username, display_name, password_hash)
                 VALUES ('alice', 'Alice', 'not a hash');",
        )
        .unwrap();
        drop(old);
        let db = Db::open(
            &Database::File(path),
            Hashing::InsecureFast,
            &HashingLimit::default(),
        )
        .unwrap();
        let alice = db.by_username("alice").unwrap().unwrap();
        assert_eq!(alice.session_epoch, 0);
        // The permissions table is new: the demo grants are seeded once.
        assert!(db.permissions_of(alice.id).unwrap().contains("admin"));
        let before = actix_login::User::session_auth_hash(&alice);
        db.bump_session_epoch(alice.id).unwrap();
        let alice = db.by_id(alice.id).unwrap().unwrap();
        assert_eq!(alice.session_epoch, 1);
        assert_ne!(actix_login::User::session_auth_hash(&alice), before);
    }

    #[test]
    fn the_default_hashing_is_owasps_argon2id() {
        assert_eq!(Hashing::default(), Hashing::Strong);
        let params = Hashing::default().params();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (47_104, 1, 1)
        );
        let hash = hash_with(&Hashing::default().argon2(), "wonderland");
        assert!(
            hash.starts_with("$argon2id$v=19$m=47104,t=1,p=1$"),
            "{hash}"
        );
        assert!(verify_password("wonderland", &hash));
    }
}
