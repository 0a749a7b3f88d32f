use actix_login::{user_loader, User};
use actix_web::FromRequest;

#[derive(Clone)]
struct Account;

impl User for Account {
    fn get_id(&self) -> String {
        String::new()
    }
}

#[user_loader]
async fn type_parameter<D: FromRequest>(_id: &str, _db: D) -> Option<Account> {
    None
}

#[user_loader]
async fn where_clause(_id: &str) -> Option<Account>
where
    Account: Clone,
{
    None
}

#[user_loader]
async fn impl_trait(_id: &str, _db: impl FromRequest) -> Option<Account> {
    None
}

fn main() {}
