//! `#[login_required]`, `#[fresh_login_required]` and `#[anonymous_required]`:
//! one rewrite that puts the library's guard extractor first in the
//! handler's arguments.
//!
//! ```text
//! #[login_required]                 async fn settings(
//! async fn settings(         ==>        __actix_login_guard: ::actix_login::LoginRequired,
//!     form: web::Form<F>,               form: web::Form<F>,
//! ) -> impl Responder {..}          ) -> impl Responder {..}
//! ```
//!
//! actix-web extracts the arguments in order and stops at the first that
//! fails, so the guard answers an anonymous request before any body
//! extractor reads the payload. Everything else about the function (its
//! other attributes, including `#[get(..)]`, its docs, visibility, generics,
//! where clause, return type and body) is left as written.

use proc_macro2::{Ident, Span, TokenStream};
use quote::ToTokens;
use syn::{FnArg, Pat, PatIdent, PatType, Token, Type, TypePath};

use crate::parse::{both, input_and_compile_error, Errors, FnItem, MacroArgs};

/// Which guard to insert.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Guard {
    /// `#[login_required]`: `actix_login::LoginRequired`.
    Login,
    /// `#[fresh_login_required]`: `actix_login::FreshLoginRequired`.
    FreshLogin,
    /// `#[anonymous_required]`: `actix_login::AnonymousRequired`.
    Anonymous,
}

impl Guard {
    fn attribute(self) -> &'static str {
        match self {
            Guard::Login => "login_required",
            Guard::FreshLogin => "fresh_login_required",
            Guard::Anonymous => "anonymous_required",
        }
    }

    fn extractor(self) -> &'static str {
        match self {
            Guard::Login => "LoginRequired",
            Guard::FreshLogin => "FreshLoginRequired",
            Guard::Anonymous => "AnonymousRequired",
        }
    }
}

/// A handler that passed every check.
struct Handler {
    args: MacroArgs,
    item: FnItem,
}

/// The macro: parse, check, rewrite; on error the item is returned unchanged
/// with the errors after it.
pub(crate) fn expand(guard: Guard, args: TokenStream, item: TokenStream) -> TokenStream {
    match parse(guard, args, item.clone()) {
        Ok(handler) => generate(guard, handler),
        Err(err) => input_and_compile_error(made_async(item), err),
    }
}

/// A plain `fn` given back as an `async fn`, so that the "only on `async
/// fn`" error is the only one: as written, actix would add "`Handler<_>` is
/// not satisfied" for the same mistake. Anything else is given back as is.
pub(crate) fn made_async(item: TokenStream) -> TokenStream {
    match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(mut f) if f.sig.asyncness.is_none() && f.sig.receiver().is_none() => {
            f.sig.asyncness = Some(syn::Token![async](f.sig.fn_token.span));
            quote::ToTokens::into_token_stream(f)
        }
        _ => item,
    }
}

fn parse(guard: Guard, args: TokenStream, item: TokenStream) -> syn::Result<Handler> {
    let args = MacroArgs::parse(args);
    let item = parse_handler(guard.attribute(), item);
    let (args, item) = both(args, item)?;
    Ok(Handler { args, item })
}

/// Parses the handler under `#[attribute]`, rejecting what cannot be a
/// handler, every problem at once.
pub(crate) fn parse_handler(attribute: &str, item: TokenStream) -> syn::Result<FnItem> {
    let not_async = format!("`#[{attribute}]` can only be used on `async fn` handlers");
    let item = FnItem::parse_item(item, &not_async)?;
    let mut errors = Errors::default();
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(sig.fn_token.span, &not_async));
    }
    if let Some(receiver) = sig.receiver() {
        errors.push(syn::Error::new_spanned(
            receiver,
            format!(
                "`#[{attribute}]` cannot be used on a method with a `self` receiver: \
                 actix-web handlers are free functions or associated functions without `self`",
            ),
        ));
    }
    errors.finish()?;
    Ok(item)
}

fn generate(guard: Guard, handler: Handler) -> TokenStream {
    let Handler { args, mut item } = handler;
    let MacroArgs { krate, krate_span } = args;

    let mut extractor = krate;
    extractor
        .segments
        .push(Ident::new(guard.extractor(), krate_span).into());
    insert_guard(&mut item, extractor, krate_span);
    item.into_token_stream()
}

/// Makes `extractor` the handler's first argument.
pub(crate) fn insert_guard(item: &mut FnItem, extractor: syn::Path, span: Span) {
    // Mixed-site hygiene: the binding can clash with none of the user's.
    let binding = Ident::new("__actix_login_guard", Span::mixed_site());
    let guard_arg = FnArg::Typed(PatType {
        attrs: Vec::new(),
        pat: Box::new(Pat::Ident(PatIdent {
            attrs: Vec::new(),
            by_ref: None,
            mutability: None,
            ident: binding,
            subpat: None,
        })),
        colon_token: Token![:](span),
        ty: Box::new(Type::Path(TypePath {
            qself: None,
            path: extractor,
        })),
    });
    item.sig.inputs.insert(0, guard_arg);
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn expand_to_string(guard: Guard, args: TokenStream, item: TokenStream) -> String {
        expand(guard, args, item).to_string()
    }

    // Brace-delimited `quote!`s: rustfmt leaves them as written.
    #[test]
    fn guard_is_the_first_argument() {
        let out = expand_to_string(
            Guard::Login,
            quote! {},
            quote! { #[get("/")] pub async fn index(q: Query<Q>) -> &'static str { "x" } },
        );
        let expected = quote! {
            #[get("/")]
            pub async fn index(__actix_login_guard: ::actix_login::LoginRequired, q: Query<Q>)
                -> &'static str { "x" }
        };
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn fresh_guard_and_crate_override() {
        let out = expand_to_string(
            Guard::FreshLogin,
            quote! { crate = "reexport::login" },
            quote! { async fn index() -> HttpResponse { todo!() } },
        );
        let expected = quote! {
            async fn index(__actix_login_guard: reexport::login::FreshLoginRequired)
                -> HttpResponse { todo!() }
        };
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn errors_keep_the_item() {
        let item = quote!(
            fn index(&self) -> HttpResponse {
                todo!()
            }
        );
        let out = expand_to_string(Guard::Login, quote!(bogus), item.clone());
        assert!(out.starts_with(&item.to_string()), "{out}");
        assert_eq!(out.matches("compile_error").count(), 3, "{out}");
    }
}
