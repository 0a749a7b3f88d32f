use actix_login::{user_loader, User};

#[derive(Clone)]
struct Account;

impl User for Account {
    fn get_id(&self) -> String {
        String::new()
    }
}

#[user_loader]
async fn not_optional(_id: &str) -> Account {
    Account
}

#[user_loader]
async fn not_a_user(_id: &str) -> Option<String> {
    None
}

fn main() {}
