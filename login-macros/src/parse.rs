//! Parsing shared by every macro: the `crate = "..."` argument and the
//! annotated function.
//!
//! Nothing here generates code; [`crate::guard`] and [`crate::loader`] turn
//! what is parsed into their expansions.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt};
use syn::{
    braced,
    parse::{Parse, ParseStream},
    token, Attribute, LitStr, Path, Signature, Visibility,
};

/// The arguments of an attribute: only `crate = "path"` is known.
pub(crate) struct MacroArgs {
    /// The path of the `actix_login` crate in the generated code.
    pub(crate) krate: Path,
    /// Where errors about items of that crate point: at the `"path"` literal
    /// when it was given, at the attribute otherwise.
    pub(crate) krate_span: Span,
}

impl MacroArgs {
    /// Parses the tokens between the attribute's parentheses.
    ///
    /// Every faulty argument is reported, each spanned at itself.
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut parsed = MacroArgs {
            krate: syn::parse_quote!(::actix_login),
            krate_span: Span::call_site(),
        };
        let mut seen_crate = false;
        let mut errors = Errors::default();

        for arg in split_arguments(args) {
            match parse_crate_argument(&arg) {
                Ok(None) => errors.push(unknown_argument(&arg)),
                Ok(Some(_)) if seen_crate => {
                    errors.push(syn::Error::new_spanned(&arg, "duplicate argument `crate`"));
                }
                Ok(Some((krate, span))) => {
                    seen_crate = true;
                    parsed.krate = krate;
                    parsed.krate_span = span;
                }
                Err(err) => errors.push(err),
            }
        }

        errors.finish()?;
        Ok(parsed)
    }
}

/// Splits attribute arguments at their top-level commas. A trailing comma is
/// allowed; an empty argument (`a,,b`) is returned as the lone comma so that
/// it can be reported.
pub(crate) fn split_arguments(args: TokenStream) -> Vec<TokenStream> {
    let mut arguments = Vec::new();
    let mut current = TokenStream::new();
    for tree in args {
        match &tree {
            TokenTree::Punct(punct) if punct.as_char() == ',' => {
                if current.is_empty() {
                    arguments.push(tree.into_token_stream());
                } else {
                    arguments.push(std::mem::take(&mut current));
                }
            }
            _ => current.append(tree),
        }
    }
    if !current.is_empty() {
        arguments.push(current);
    }
    arguments
}

/// `Ok(None)` when the argument is not `crate ...` at all.
fn parse_crate_argument(arg: &TokenStream) -> syn::Result<Option<(Path, Span)>> {
    match arg.clone().into_iter().next() {
        Some(TokenTree::Ident(ident)) if ident == "crate" => {}
        // An empty argument, as in `a,,b`.
        Some(TokenTree::Punct(punct)) if punct.as_char() == ',' => {
            return Err(syn::Error::new(punct.span(), "expected `crate = \"...\"`"));
        }
        _ => return Ok(None),
    }

    let literal = syn::parse::Parser::parse2(
        |input: ParseStream<'_>| {
            input.parse::<syn::Token![crate]>()?;
            input.parse::<syn::Token![=]>()?;
            input.parse::<LitStr>()
        },
        arg.clone(),
    )
    .map_err(|_| syn::Error::new_spanned(arg, "expected `crate = \"...\"`"))?;

    let path = literal.parse::<Path>().map_err(|_| {
        syn::Error::new(
            literal.span(),
            "`crate` must name a path, like `crate = \"my_reexport::actix_login\"`",
        )
    })?;
    Ok(Some((path, literal.span())))
}

fn unknown_argument(arg: &TokenStream) -> syn::Error {
    let name = match arg.clone().into_iter().next() {
        Some(TokenTree::Ident(ident)) => ident.to_string(),
        _ => arg.to_string(),
    };
    syn::Error::new_spanned(
        arg,
        format!("unknown argument `{name}`, expected `crate = \"...\"`"),
    )
}

/// A function item. Only its signature is parsed: the body is kept as tokens,
/// so a syntax error in it is reported by rustc where it is, and expansion
/// stays cheap.
pub(crate) struct FnItem {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) brace: token::Brace,
    pub(crate) body: TokenStream,
}

impl Parse for FnItem {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = braced!(content in input);
        let body = content.parse()?;
        Ok(FnItem {
            attrs,
            vis,
            sig,
            brace,
            body,
        })
    }
}

impl FnItem {
    /// Parses the annotated item; anything but a function with a body is
    /// reported with `message`, spanned where parsing stopped.
    pub(crate) fn parse_item(item: TokenStream, message: &str) -> syn::Result<Self> {
        syn::parse2(item).map_err(|err| syn::Error::new(err.span(), message))
    }

    /// The body with its braces.
    pub(crate) fn block(&self) -> TokenStream {
        let mut block = TokenStream::new();
        self.brace
            .surround(&mut block, |tokens| tokens.extend(self.body.clone()));
        block
    }
}

impl ToTokens for FnItem {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append_all(&self.attrs);
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        tokens.extend(self.block());
    }
}

/// Collects errors so that every problem is reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(err),
            None => self.0 = Some(err),
        }
    }

    /// `Err` with every error pushed, if any.
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Both results, or every error of the two.
pub(crate) fn both<A, B>(a: syn::Result<A>, b: syn::Result<B>) -> syn::Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut err), Err(other)) => {
            err.combine(other);
            Err(err)
        }
        (Err(err), Ok(_)) | (Ok(_), Err(err)) => Err(err),
    }
}

/// The annotated item unchanged, followed by the errors as
/// `compile_error!`s: the item still exists, so that the errors are the
/// macro's own and not a cascade of "cannot find function" (and IDEs keep
/// completing it).
pub(crate) fn input_and_compile_error(item: TokenStream, err: syn::Error) -> TokenStream {
    let mut output = item;
    output.extend(err.to_compile_error());
    output
}

/// The span of a parenthesized group, for "expected an argument here".
pub(crate) fn paren_span(paren: &token::Paren) -> Span {
    paren.span.join()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn krate(args: TokenStream) -> String {
        MacroArgs::parse(args)
            .unwrap()
            .krate
            .to_token_stream()
            .to_string()
    }

    fn error(args: TokenStream) -> String {
        match MacroArgs::parse(args) {
            Ok(_) => panic!("expected an error"),
            Err(err) => err
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" | "),
        }
    }

    #[test]
    fn default_path_is_absolute() {
        assert_eq!(krate(quote!()), ":: actix_login");
    }

    #[test]
    fn crate_argument_overrides_the_path() {
        assert_eq!(
            krate(quote!(crate = "my::actix_login")),
            "my :: actix_login"
        );
        assert_eq!(krate(quote! { crate = "::x", }), ":: x");
    }

    #[test]
    fn unknown_arguments_are_named() {
        assert_eq!(
            error(quote!(foo = 1)),
            "unknown argument `foo`, expected `crate = \"...\"`"
        );
        assert_eq!(
            error(quote!("lit")),
            "unknown argument `\"lit\"`, expected `crate = \"...\"`"
        );
    }

    #[test]
    fn every_faulty_argument_is_reported() {
        assert_eq!(
            error(quote! { a, crate = "x", crate = "y", crate, crate = "1 + 1", , }),
            "unknown argument `a`, expected `crate = \"...\"` | duplicate argument `crate` \
             | expected `crate = \"...\"` | `crate` must name a path, like \
             `crate = \"my_reexport::actix_login\"` | expected `crate = \"...\"`"
        );
    }

    #[test]
    fn fn_item_round_trips_its_body_untouched() {
        let item = quote!(#[get("/")] pub async fn f(x: u8) -> u8 { #![allow(unused)] x + });
        let parsed: FnItem = syn::parse2(item.clone()).unwrap();
        assert_eq!(parsed.to_token_stream().to_string(), item.to_string());
        assert_eq!(parsed.sig.inputs.len(), 1);
    }
}
