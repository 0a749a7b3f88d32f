use actix_login::{user_loader, User};

#[derive(Clone)]
struct Account;

impl User for Account {
    fn get_id(&self) -> String {
        String::new()
    }
}

#[user_loader(cache = true)]
async fn load_user(_id: &str) -> Option<Account> {
    None
}

fn main() {}
