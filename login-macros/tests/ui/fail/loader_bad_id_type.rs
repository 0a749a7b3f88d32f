use actix_login::{user_loader, User};

#[derive(Clone)]
struct Account;

impl User for Account {
    fn get_id(&self) -> String {
        String::new()
    }
}

struct UserId(u64);

// `&str` does not convert into `UserId`: the error points at the type.
#[user_loader]
async fn load_user(id: UserId) -> Option<Account> {
    let _ = id;
    None
}

fn main() {}
