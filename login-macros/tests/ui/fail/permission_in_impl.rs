//! The marker struct cannot be written inside an `impl` block: the error
//! points at the attribute.

use actix_login::permission_required;

struct Pages;

impl Pages {
    #[permission_required("admin")]
    async fn admin() -> &'static str {
        "admin"
    }
}

fn main() {}
