use actix_login::permission_required;

#[permission_required]
async fn none() -> &'static str {
    "none"
}

#[permission_required("")]
async fn empty() -> &'static str {
    "empty"
}

#[permission_required(notes.write, 7, redirect = "/login")]
async fn not_strings() -> &'static str {
    "not strings"
}

#[permission_required("admin", crate = "actix_login", crate = "actix_login")]
async fn duplicate_crate() -> &'static str {
    "duplicate"
}

fn main() {}
