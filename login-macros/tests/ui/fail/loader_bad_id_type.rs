use actix_login::{user_loader, User};

#[derive(Clone)]
struct Account;

impl User for Account {
    fn get_id(&self) -> String {
        String::new()
    }
}

#[user_loader]
async fn load_user(id: i64) -> Option<Account> {
    let _ = id;
    None
}

fn main() {}
