// A plain `fn` is a loader too: without extractors it answers at once
// (`load_user_now`), with extractors after them.
use actix_login::{user_loader, User, UserLoader};
use actix_web::web;

#[derive(Clone)]
struct Account;

impl User for Account {
    fn get_id(&self) -> String {
        String::new()
    }
}

#[user_loader]
fn load_user(id: &str) -> Option<Account> {
    (id == "1").then_some(Account)
}

#[user_loader]
fn load_with_data(id: String, known: web::Data<Vec<String>>) -> Option<Account> {
    known.contains(&id).then_some(Account)
}

fn main() {
    let req = actix_web::test::TestRequest::default().to_http_request();
    assert!(matches!(load_user.load_user_now("1", &req), Some(Ok(Some(_)))));
    assert!(matches!(load_user.load_user_now("2", &req), Some(Ok(None))));
    assert!(load_with_data.load_user_now("1", &req).is_none());
}
