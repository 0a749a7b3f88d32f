use actix_login::{fresh_login_required, login_required};

#[login_required(redirect = "/login")]
async fn unknown() -> &'static str {
    "unknown"
}

#[login_required("/login")]
async fn literal() -> &'static str {
    "literal"
}

#[fresh_login_required(crate = "actix_login", crate = "actix_login")]
async fn duplicate() -> &'static str {
    "duplicate"
}

#[login_required(crate = actix_login)]
async fn not_a_string() -> &'static str {
    "not a string"
}

#[login_required(crate = "not a path")]
async fn not_a_path() -> &'static str {
    "not a path"
}

fn main() {}
