//! `crate = "..."` names actix_login through a re-export.

mod web_kit {
    pub use actix_login;
}

mod handlers {
    use crate::web_kit::actix_login::{fresh_login_required, login_required, user_loader, User};

    #[derive(Clone)]
    pub struct Account;

    impl User for Account {
        fn get_id(&self) -> String {
            "1".to_owned()
        }
    }

    #[login_required(crate = "crate::web_kit::actix_login")]
    pub async fn guarded() -> &'static str {
        "guarded"
    }

    #[fresh_login_required(crate = "crate::web_kit::actix_login")]
    pub async fn fresh() -> &'static str {
        "fresh"
    }

    #[user_loader(crate = "crate::web_kit::actix_login")]
    pub async fn load(_id: &str) -> Option<Account> {
        Some(Account)
    }
}

fn main() {
    use actix_web::{web, App};

    let _manager = actix_login::LoginManager::builder(handlers::load, "x")
        .build();
    let _app = App::new()
        .route("/guarded", web::get().to(handlers::guarded))
        .route("/fresh", web::get().to(handlers::fresh));
}
