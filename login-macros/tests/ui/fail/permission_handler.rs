use actix_login::permission_required;

#[permission_required("notes.write")]
fn not_async() -> &'static str {
    "not async"
}

struct Pages;

impl Pages {
    #[permission_required("admin")]
    async fn with_self(&self) -> &'static str {
        "self"
    }
}

fn main() {}
