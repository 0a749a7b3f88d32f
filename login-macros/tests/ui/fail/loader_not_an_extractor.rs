use actix_login::{user_loader, User};

#[derive(Clone)]
struct Account;

impl User for Account {
    fn get_id(&self) -> String {
        String::new()
    }
}

struct Database;

#[user_loader]
async fn load_user(_id: &str, _db: Database) -> Option<Account> {
    None
}

fn main() {}
