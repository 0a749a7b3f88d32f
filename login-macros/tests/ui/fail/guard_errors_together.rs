// Every problem is reported at once, and the item is still defined (no
// "cannot find function" in `main`).
use actix_login::login_required;

struct Pages;

impl Pages {
    #[login_required(bogus)]
    fn index(&self) -> &'static str {
        "index"
    }
}

fn main() {
    let _ = Pages.index();
}
