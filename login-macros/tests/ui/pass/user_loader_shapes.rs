//! `#[user_loader]` with every accepted signature, each usable as a
//! `LoginManager` loader.

use std::{collections::HashMap, fmt};

use actix_login::{user_loader, LoaderError, LoginManager, User, UserLoader};
use actix_web::{web, HttpRequest};

#[derive(Clone)]
pub struct Account {
    id: String,
}

impl User for Account {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

/// `&str` id, `Option` result.
#[user_loader]
pub async fn by_str(id: &str) -> Option<Account> {
    Some(Account { id: id.to_owned() })
}

/// `String` id, an extractor argument.
#[user_loader]
async fn by_string(id: String, accounts: web::Data<HashMap<String, Account>>) -> Option<Account> {
    accounts.get(&id).cloned()
}

#[derive(Debug)]
struct DbError;

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("db")
    }
}

/// `Result` with a custom error type, `?` and early return inside.
#[user_loader]
pub(crate) async fn fallible(id: &str, req: HttpRequest) -> Result<Option<Account>, DbError> {
    if id.is_empty() {
        return Ok(None);
    }
    let _ = req.path();
    Err(DbError)
}

/// `Result` with `LoaderError` itself, and `?` on any `Display` error.
#[user_loader]
async fn loader_error(id: &str) -> Result<Option<Account>, LoaderError> {
    let n: u64 = id.parse()?;
    Ok(Some(Account { id: n.to_string() }))
}

/// Patterns other than plain identifiers, and several extractors.
#[user_loader]
#[allow(unused_mut)]
async fn patterns(
    mut id: String,
    web::Query(_params): web::Query<HashMap<String, String>>,
    _: web::Data<u32>,
) -> Option<Account> {
    id.push('!');
    Some(Account { id })
}

/// A user type given through a path, an id type that `&str` converts into.
#[user_loader]
async fn boxed(id: Box<str>) -> std::option::Option<self::Account> {
    Some(Account { id: id.into() })
}

/// `#[cfg]` applies to the struct and its impl.
#[user_loader]
#[cfg(any())]
async fn configured_out(id: &str) -> Option<Account> {
    compile_error!("not compiled")
}

#[user_loader]
#[cfg(all())]
async fn configured_in(id: &str) -> Option<Account> {
    Some(Account { id: id.to_owned() })
}

fn takes_loader<L: UserLoader<User = Account> + Send + Sync + Copy + Default + fmt::Debug>(
    loader: L,
) {
    let _ = LoginManager::builder(loader, "x").build();
}

fn main() {
    takes_loader(by_str);
    takes_loader(by_string);
    takes_loader(fallible);
    takes_loader(loader_error);
    takes_loader(patterns);
    takes_loader(boxed);
    takes_loader(configured_in);
}
