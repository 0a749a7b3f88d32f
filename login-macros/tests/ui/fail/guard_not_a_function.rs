use actix_login::login_required;

#[login_required]
struct Index;

fn main() {}
