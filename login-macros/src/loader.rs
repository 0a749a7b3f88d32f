//! `#[user_loader]`: turns an `async fn` (or a plain `fn`) into a unit
//! struct of the same name that implements `actix_login::UserLoader`.
//!
//! ```text
//! /// Docs.
//! #[user_loader]
//! pub async fn load_user(id: &str, db: web::Data<Db>) -> Option<Account> { db.get(id) }
//! ```
//! becomes
//! ```text
//! /// Docs.
//! #[allow(non_camel_case_types)]
//! #[derive(Debug, Clone, Copy, Default)]
//! pub struct load_user;
//!
//! impl ::actix_login::UserLoader for load_user {
//!     type User = <Option<Account> as ::actix_login::IntoLoadResult>::User;
//!     async fn load_user(&self, id: &str, req: &HttpRequest)
//!         -> Result<Option<Self::User>, ::actix_login::LoaderError>
//!     {
//!         async fn load_user(id: &str, db: web::Data<Db>) -> Option<Account> { db.get(id) }
//!         let arg1 = <web::Data<Db> as FromRequest>::extract(req).await.map_err(Into::<Error>::into)?;
//!         <Option<Account> as ::actix_login::IntoLoadResult>::into_load_result(
//!             load_user(<&str as ::actix_login::__private::LoaderId<'_>>::from_id(id), arg1).await,
//!         )
//!     }
//! }
//! ```
//!
//! The user's function is kept whole as an item inside the method, so its
//! body, patterns and attributes need no rewriting.
//!
//! A plain `fn` is called the same way, without `.await`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{spanned::Spanned, Attribute, FnArg, ReturnType, Signature, Type, Visibility};

use crate::parse::{both, input_and_compile_error, paren_span, Errors, FnItem, MacroArgs};

/// A loader function that passed every check.
struct Loader {
    args: MacroArgs,
    /// Doc comments: they document the generated struct.
    docs: Vec<Attribute>,
    /// `#[cfg]`s: they apply to the struct and its impl.
    cfgs: Vec<Attribute>,
    /// Every other attribute stays on the user's function.
    other_attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    block: TokenStream,
    /// The type of the first argument, the id.
    id_ty: Type,
    /// The types of the other arguments, the extractors.
    extractor_tys: Vec<Type>,
    /// `Option<U>` or `Result<Option<U>, E>`.
    ret: Type,
}

/// The macro: parse, check, generate; on error the item is returned
/// unchanged with the errors after it.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match parse(args, item.clone()) {
        Ok(loader) => generate(loader),
        Err(err) => input_and_compile_error(item, err),
    }
}

const NOT_A_FN: &str = "`#[user_loader]` can only be used on a function";

fn parse(args: TokenStream, item: TokenStream) -> syn::Result<Loader> {
    let args = MacroArgs::parse(args);
    let item = FnItem::parse_item(item, NOT_A_FN).and_then(check);
    let (args, (item, id_ty, extractor_tys, ret)) = both(args, item)?;

    let block = item.block();
    let FnItem {
        attrs, vis, sig, ..
    } = item;
    let (mut docs, mut cfgs, mut other_attrs) = (Vec::new(), Vec::new(), Vec::new());
    for attr in attrs {
        if attr.path().is_ident("doc") {
            docs.push(attr);
        } else if attr.path().is_ident("cfg") {
            cfgs.push(attr);
        } else {
            other_attrs.push(attr);
        }
    }

    Ok(Loader {
        args,
        docs,
        cfgs,
        other_attrs,
        vis,
        sig,
        block,
        id_ty,
        extractor_tys,
        ret,
    })
}

type Checked = (FnItem, Type, Vec<Type>, Type);

/// Rejects what cannot be a loader, every problem at once, and returns the
/// id type, the extractor types and the return type.
fn check(item: FnItem) -> syn::Result<Checked> {
    let mut errors = Errors::default();
    let sig = &item.sig;

    let generics = &sig.generics;
    if !generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            generics,
            "`#[user_loader]` functions cannot be generic",
        ));
    } else if let Some(where_clause) = &generics.where_clause {
        errors.push(syn::Error::new_spanned(
            where_clause,
            "`#[user_loader]` functions cannot be generic",
        ));
    }

    let mut tys = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.push(syn::Error::new_spanned(
                receiver,
                "`#[user_loader]` must be a free function, not a method with a `self` receiver",
            )),
            FnArg::Typed(arg) => {
                if let Type::ImplTrait(impl_trait) = &*arg.ty {
                    errors.push(syn::Error::new_spanned(
                        impl_trait,
                        "`#[user_loader]` functions cannot be generic: \
                         name the extractor type instead of `impl Trait`",
                    ));
                }
                tys.push((*arg.ty).clone());
            }
        }
    }
    if sig.inputs.is_empty() {
        errors.push(syn::Error::new(
            paren_span(&sig.paren_token),
            "the first argument must be the user id: `id: &str`",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "`#[user_loader]` functions cannot be variadic",
        ));
    }

    let ret = match &sig.output {
        ReturnType::Type(_, ty) => Some((**ty).clone()),
        ReturnType::Default => {
            errors.push(syn::Error::new(
                sig.paren_token.span.close(),
                "expected a return type `Option<User>` or `Result<Option<User>, E>`",
            ));
            None
        }
    };

    errors.finish()?;
    let mut tys = tys.into_iter();
    match (tys.next(), ret) {
        (Some(id_ty), Some(ret)) => Ok((item, id_ty, tys.collect(), ret)),
        // Both cases pushed an error above, so `finish` returned it.
        _ => Err(syn::Error::new(Span::call_site(), NOT_A_FN)),
    }
}

fn generate(loader: Loader) -> TokenStream {
    let Loader {
        args: MacroArgs { krate, krate_span },
        docs,
        cfgs,
        other_attrs,
        vis,
        sig,
        block,
        id_ty,
        extractor_tys,
        ret,
    } = loader;
    let name = &sig.ident;

    let actix_web = quote_spanned!(krate_span=> #krate::__private::actix_web);
    let user_loader = quote_spanned!(krate_span=> #krate::UserLoader);
    let into_load_result = quote_spanned!(krate_span=> #krate::IntoLoadResult);
    let loader_error = quote_spanned!(krate_span=> #krate::LoaderError);

    // No user expression is ever placed in the generated method's scope (the
    // user's function is an item: it sees none of these locals), so these
    // names cannot clash. The id is located at the user's id type, so that
    // "`i64: From<&str>` is not satisfied" points there: rustc reports a
    // mixed-site identifier at the attribute instead.
    let id = Ident::new("__actix_login_id", id_ty.span());
    let req = Ident::new("__actix_login_req", Span::mixed_site());
    let extracted: Vec<Ident> = (1..=extractor_tys.len())
        .map(|i| format_ident!("__actix_login_arg{}", i, span = Span::mixed_site()))
        .collect();

    // Spanned at the user's types, so that "`i64: From<&str>` is not
    // satisfied", "`Database: FromRequest` is not satisfied" or
    // "`IntoLoadResult` is not implemented for `Vec<u8>`" point at the
    // signature rather than at the attribute.
    let id_arg =
        quote_spanned!(id_ty.span()=> <#id_ty as #krate::__private::LoaderId<'_>>::from_id(#id));
    let extractions = extractor_tys
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> <#ty as #actix_web::FromRequest>::extract(#req)));
    let user_ty = quote_spanned!(ret.span()=> type User = <#ret as #into_load_result>::User;);
    let output = quote_spanned!(ret.span()=> ::core::result::Result<::core::option::Option<Self::User>, #loader_error>);

    let is_async = sig.asyncness.is_some();
    let call = if is_async {
        quote_spanned! {ret.span()=>
            <#ret as #into_load_result>::into_load_result(#name(#id_arg #(, #extracted)*).await)
        }
    } else {
        quote_spanned! {ret.span()=>
            <#ret as #into_load_result>::into_load_result(#name(#id_arg #(, #extracted)*))
        }
    };
    quote! {
        #(#cfgs)*
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(
            ::core::fmt::Debug,
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::default::Default
        )]
        #vis struct #name;

        #(#cfgs)*
        impl #user_loader for #name {
            #user_ty

            async fn load_user(
                &self,
                #id: &::core::primitive::str,
                #req: &#actix_web::HttpRequest,
            ) -> #output {
                #(#other_attrs)*
                #sig #block

                #(
                    let #extracted = #extractions
                        .await
                        .map_err(::core::convert::Into::<#actix_web::Error>::into)?;
                )*
                #call
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(item: TokenStream) -> Vec<String> {
        match parse(TokenStream::new(), item) {
            Ok(_) => panic!("expected errors"),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn docs_go_to_the_struct_and_the_function_inside_the_impl() {
        let out = expand(
            TokenStream::new(),
            quote! {
                /// Loads.
                #[allow(unused)]
                pub async fn load_user(id: &str, db: web::Data<Db>) -> Option<Account> { db.get(id) }
            },
        )
        .to_string();
        let struct_at = out.find("pub struct load_user").expect(&out);
        let impl_at = out
            .find("impl :: actix_login :: UserLoader for load_user")
            .expect(&out);
        let doc_at = out.find("doc = r\" Loads.\"").expect(&out);
        let allow_at = out.find("allow (unused)").expect(&out);
        assert!(
            doc_at < struct_at && struct_at < impl_at && impl_at < allow_at,
            "{out}"
        );
        assert!(out.contains("async fn load_user (id : & str , db : web :: Data < Db >) -> Option < Account > { db . get (id) }"), "{out}");
        assert!(out.contains("< web :: Data < Db > as :: actix_login :: __private :: actix_web :: FromRequest > :: extract"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn every_signature_error_is_reported() {
        assert_eq!(
            errors(quote!(
                fn load<T>() {}
            )),
            [
                "`#[user_loader]` functions cannot be generic",
                "the first argument must be the user id: `id: &str`",
                "expected a return type `Option<User>` or `Result<Option<User>, E>`",
            ]
        );
        assert_eq!(
            errors(quote!(
                async fn load(&self, id: &str) -> Option<U> {
                    None
                }
            )),
            ["`#[user_loader]` must be a free function, not a method with a `self` receiver"]
        );
    }
}
