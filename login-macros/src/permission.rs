//! `#[permission_required("a", "b")]`: the rewrite of the login guards, with
//! the extractor `actix_login::PermissionRequired<P>`, where `P` is a hidden
//! unit struct written beside the handler that names the permissions.
//!
//! ```text
//! #[permission_required("notes.write")]      struct __actix_login_permissions_new_note;
//! async fn new_note(                  ==>    impl RequiredPermissions for __actix_login_permissions_new_note {
//!     form: web::Form<F>,                        const PERMISSIONS: &[&str] = &["notes.write"];
//! ) -> impl Responder {..}                   }
//!                                            async fn new_note(
//!                                                __actix_login_guard: PermissionRequired<__actix_login_permissions_new_note>,
//!                                                form: web::Form<F>,
//!                                            ) -> impl Responder {..}
//! ```
//!
//! Every check lives in the extractor; the macro only names the permissions.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::{ext::IdentExt, LitStr};

use crate::{
    guard::{insert_guard, parse_handler},
    parse::{both, input_and_compile_error, split_arguments, Errors, MacroArgs},
};

const ATTRIBUTE: &str = "permission_required";

/// The attribute's arguments: the permissions, and `crate = "..."`.
struct Args {
    permissions: Vec<LitStr>,
    crate_args: MacroArgs,
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let parsed = both(parse_args(args), parse_handler(ATTRIBUTE, item.clone()));
    match parsed {
        Ok((args, handler)) => generate(args, handler),
        Err(err) => input_and_compile_error(item, err),
    }
}

/// String literals are permissions; `crate = ..` goes to the shared parser;
/// anything else is reported where it is.
fn parse_args(args: TokenStream) -> syn::Result<Args> {
    let mut permissions = Vec::new();
    let mut crate_args = TokenStream::new();
    let mut errors = Errors::default();
    let mut failed = false;
    for arg in split_arguments(args) {
        let mut trees = arg.clone().into_iter();
        match (trees.next(), trees.next()) {
            (Some(TokenTree::Ident(ident)), _) if ident == "crate" => {
                crate_args.extend(arg);
                crate_args.extend(quote!(,));
            }
            (Some(TokenTree::Literal(_)), None) => match syn::parse2::<LitStr>(arg.clone()) {
                Ok(lit) if lit.value().is_empty() => {
                    failed = true;
                    errors.push(syn::Error::new(lit.span(), "a permission cannot be empty"));
                }
                Ok(lit) => permissions.push(lit),
                Err(_) => {
                    failed = true;
                    errors.push(expected(&arg));
                }
            },
            _ => {
                failed = true;
                errors.push(expected(&arg));
            }
        }
    }
    let crate_args = MacroArgs::parse(crate_args);
    if let Err(err) = &crate_args {
        failed = true;
        errors.push(err.clone());
    }
    if permissions.is_empty() && !failed {
        errors.push(syn::Error::new(
            Span::call_site(),
            format!(
                "`#[{ATTRIBUTE}]` needs at least one permission, \
                 like `#[{ATTRIBUTE}(\"notes.write\")]`"
            ),
        ));
    }
    errors.finish()?;
    Ok(Args {
        permissions,
        crate_args: crate_args?,
    })
}

fn expected(arg: &TokenStream) -> syn::Error {
    syn::Error::new_spanned(
        arg,
        "expected a permission as a string, like `\"notes.write\"`, or `crate = \"...\"`",
    )
}

fn generate(args: Args, mut item: crate::parse::FnItem) -> TokenStream {
    let Args {
        permissions,
        crate_args: MacroArgs { krate, krate_span },
    } = args;
    // The handler's name makes the marker's unique in its module; it has the
    // handler's visibility, since it appears in the handler's signature.
    let marker = format_ident!(
        "__actix_login_permissions_{}",
        item.sig.ident.unraw(),
        span = Span::call_site()
    );
    let vis = &item.vis;
    let mut trait_path = krate.clone();
    trait_path
        .segments
        .push(syn::Ident::new("RequiredPermissions", krate_span).into());
    let marker_item = quote_spanned! {Span::call_site()=>
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code, missing_docs)]
        #vis struct #marker;
        impl #trait_path for #marker {
            const PERMISSIONS: &'static [&'static str] = &[#(#permissions),*];
        }
    };
    let mut extractor = krate;
    extractor
        .segments
        .push(syn::Ident::new("PermissionRequired", krate_span).into());
    let last = extractor.segments.last_mut().expect("just pushed");
    last.arguments = syn::PathArguments::AngleBracketed(syn::parse_quote!(<#marker>));
    insert_guard(&mut item, extractor, krate_span);

    let mut out = marker_item;
    out.extend(item.into_token_stream());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(args: TokenStream) -> String {
        match parse_args(args) {
            Ok(_) => panic!("expected an error"),
            Err(err) => err
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" | "),
        }
    }

    #[test]
    fn the_marker_names_the_permissions_and_the_guard_comes_first() {
        let out = expand(
            quote! { "notes.write", "notes.publish" },
            quote! { pub async fn publish(body: String) -> String { body } },
        );
        let expected = quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code, missing_docs)]
            pub struct __actix_login_permissions_publish;
            impl ::actix_login::RequiredPermissions for __actix_login_permissions_publish {
                const PERMISSIONS: &'static [&'static str] = &["notes.write", "notes.publish"];
            }
            pub async fn publish(
                __actix_login_guard: ::actix_login::PermissionRequired<__actix_login_permissions_publish>,
                body: String
            ) -> String { body }
        };
        assert_eq!(out.to_string(), expected.to_string());
    }

    #[test]
    fn crate_override_in_any_position() {
        let out = expand(
            quote! { crate = "re::login", "admin" },
            quote! { async fn admin() {} },
        )
        .to_string();
        assert!(
            out.contains("impl re :: login :: RequiredPermissions"),
            "{out}"
        );
        assert!(out.contains("re :: login :: PermissionRequired <"), "{out}");
    }

    #[test]
    fn argument_errors() {
        assert_eq!(
            errors(quote!()),
            "`#[permission_required]` needs at least one permission, \
             like `#[permission_required(\"notes.write\")]`"
        );
        assert_eq!(
            errors(quote! { "", notes, 1, crate = "a", crate = "b" }),
            "a permission cannot be empty \
             | expected a permission as a string, like `\"notes.write\"`, or `crate = \"...\"` \
             | expected a permission as a string, like `\"notes.write\"`, or `crate = \"...\"` \
             | duplicate argument `crate`"
        );
    }
}
