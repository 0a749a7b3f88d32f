use actix_login::user_loader;

#[user_loader]
async fn load_user(_id: &str) {}

fn main() {}
