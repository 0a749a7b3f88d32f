// A plain `fn` is a loader too, with or without extractors after the id.
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
    actix_web::rt::System::new().block_on(async {
        let req = actix_web::test::TestRequest::default()
            .app_data(web::Data::new(vec!["1".to_owned()]))
            .to_http_request();
        assert!(matches!(load_user.load_user("1", &req).await, Ok(Some(_))));
        assert!(matches!(load_user.load_user("2", &req).await, Ok(None)));
        assert!(matches!(load_with_data.load_user("1", &req).await, Ok(Some(_))));
    });
}
