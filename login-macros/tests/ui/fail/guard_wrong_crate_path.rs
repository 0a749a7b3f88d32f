// A wrong `crate = "..."` path is reported at the string.
#[actix_login::login_required(crate = "elsewhere::actix_login")]
async fn wrong_path() -> &'static str {
    "wrong path"
}

fn main() {}
