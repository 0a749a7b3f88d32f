use actix_login::login_required;

struct Pages;

impl Pages {
    #[login_required]
    async fn index(&self) -> &'static str {
        "index"
    }

    #[actix_login::fresh_login_required]
    async fn settings(self: std::rc::Rc<Self>) -> &'static str {
        "settings"
    }
}

fn main() {}
