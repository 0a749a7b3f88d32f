use actix_login::{user_loader, User};

#[derive(Clone)]
struct Account;

impl User for Account {
    fn get_id(&self) -> String {
        String::new()
    }
}

struct Store;

impl Store {
    #[user_loader]
    async fn load_user(&self, _id: &str) -> Option<Account> {
        None
    }
}

fn main() {}
