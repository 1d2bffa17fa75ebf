//! Parsing and checking of index declarations, through the whole derive.

use proc_macro2::TokenStream;
use syn::parse_quote;

use crate::expand::{derive_document, derive_embedded};

fn errors(output: &TokenStream) -> Vec<String> {
    output
        .to_string()
        .split("compile_error !")
        .skip(1)
        .map(|rest| rest.split('"').nth(1).unwrap_or_default().to_owned())
        .collect()
}

fn one_error(output: &TokenStream) -> String {
    let errors = errors(output);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap_or_default()
}

#[test]
fn struct_level_keys_keep_paths_directions_and_options() {
    let out = derive_document(parse_quote! {
        #[odm(index(keys(address.city, -age, +name), unique, name = "by_city",
                    partial_filter = |f| f.age.gte(18), collation(locale = "fr", strength = 2)))]
        #[odm(index(text(title = 10, body), default_language = "french"))]
        struct User {
            id: i64,
            age: i32,
            name: String,
            address: Address,
            title: String,
            body: String,
        }
    });
    assert!(errors(&out).is_empty(), "{out}");
    let text = out.to_string();
    assert!(text.contains("fn indexes ()"), "{text}");
    assert!(text.contains("__f . address . city . __odm_index_path ()"));
    assert!(text.contains("__f . age . __odm_index_path ()) , - 1_i32"));
    assert!(text.contains("__f . name . __odm_index_path ()) , 1_i32"));
    assert!(text.contains("\"by_city\""));
    assert!(text.contains("partial_filter :: < Self > (| f | f . age . gte (18))"));
    assert!(text.contains("__c . insert (\"locale\" , \"fr\")"));
    assert!(text.contains("__c . insert (\"strength\" , 2)"));
    assert!(text.contains("text_key (__f . title"));
    assert!(text.contains("10 as :: odm :: __private :: std :: primitive :: i32"));
    assert!(text.contains("\"french\""));
}

#[test]
fn field_level_indexes_merge_unique_into_the_plain_index() {
    let out = derive_document(parse_quote! {
        struct User {
            id: i64,
            #[odm(index(desc, sparse), unique)]
            email: String,
            #[odm(index(expire_after = 24 * 3600))]
            seen: DateTime<Utc>,
            #[odm(unique)]
            handle: String,
        }
    });
    assert!(errors(&out).is_empty(), "{out}");
    let text = out.to_string();
    // One index for `email`, unique, descending, sparse; one for `handle`.
    assert_eq!(text.matches("__ix . unique = true").count(), 2, "{text}");
    assert_eq!(text.matches("__ix . sparse = true").count(), 1);
    assert!(text.contains("__f . email . __odm_index_path ()) , - 1_i32"));
    assert!(text.contains("ttl_key (__f . seen"));
    assert!(text.contains("primitive :: u64 = 24 * 3600"));
}

#[test]
fn the_same_keys_under_other_names_or_kinds_are_distinct_indexes() {
    let out = derive_document(parse_quote! {
        #[odm(index(keys(a), name = "a_fr", collation(locale = "fr")))]
        #[odm(index(keys(-a)))]
        #[odm(index(keys(a, b)))]
        struct M { id: i64, #[odm(index)] a: String, b: i32 }
    });
    assert!(errors(&out).is_empty(), "{out}");
}

#[test]
fn a_model_without_indexes_keeps_the_default() {
    let out = derive_document(parse_quote! {
        struct User { id: i64, name: String }
    });
    assert!(!out.to_string().contains("fn indexes"));
}

#[test]
fn malformed_declarations_say_what_to_write() {
    let cases: Vec<(syn::DeriveInput, &str)> = vec![
        (
            parse_quote! { #[odm(index)] struct M { id: i64 } },
            "a struct-level index lists its keys",
        ),
        (
            parse_quote! { #[odm(index(unique))] struct M { id: i64 } },
            "this index has no keys",
        ),
        (
            parse_quote! { #[odm(index(keys(a), background))] struct M { id: i64, a: i32 } },
            "unknown index option `background` on a struct",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(keys(a)))] a: i32 } },
            "unknown index option `keys` on a field",
        ),
        (
            parse_quote! { #[odm(index(keys(a, b), expire_after = 60))] struct M { id: i64, a: i32, b: i32 } },
            "a TTL index (`expire_after`) has exactly one key",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(sparse, partial_filter = |f| f.a.gt(1)))] a: i32 } },
            "MongoDB refuses `sparse` together with `partial_filter`",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(partial_filter = 3))] a: i32 } },
            "`partial_filter` takes a closure",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(text))] a: String, #[odm(index(text))] b: String } },
            "at most one text index",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(collation(strength = 2)))] a: String } },
            "a collation needs its locale",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(collation(locale = "fr", level = 2)))] a: String } },
            "unknown collation setting `level`",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(default_language = "french"))] a: String } },
            "`default_language` is an option of text indexes only",
        ),
        (
            parse_quote! { struct M { #[odm(unique)] id: i64 } },
            "the id is already indexed and unique",
        ),
        (
            parse_quote! { #[odm(index(keys(id)))] struct M { id: i64 } },
            "the id is already indexed and unique",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(skip, index)] a: i32 } },
            "a skipped field is not stored",
        ),
        (
            parse_quote! { #[odm(index(text(a = 0)))] struct M { id: i64, a: String } },
            "a text weight is a whole number",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(sparse, sparse = 1))] a: i32 } },
            "`sparse` takes no value",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(text, expire_after = 5))] a: String } },
            "expires documents by a date, not by text",
        ),
        (
            parse_quote! { struct M { id: i64, #[odm(index(text, desc))] a: String } },
            "descending or text, not both",
        ),
        (
            parse_quote! { #[odm(index(keys(a), unique))] struct M { id: i64, #[odm(index)] a: i32 } },
            "repeats the keys of another declared one",
        ),
        (
            parse_quote! { #[odm(index(keys(b), name = "x"))] struct M { id: i64, #[odm(index(name = "x"))] a: i32, b: i32 } },
            "two indexes are named",
        ),
    ];
    for (input, expected) in cases {
        let message = one_error(&derive_document(input));
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
}

#[test]
fn keys_that_are_not_paths_are_parse_errors() {
    let out = derive_document(parse_quote! {
        #[odm(index(keys(a = 1)))]
        struct M { id: i64, a: i32 }
    });
    assert!(one_error(&out).contains("`-path` for descending"));
}

#[test]
fn embedded_types_declare_no_indexes() {
    let out = derive_embedded(parse_quote! {
        #[odm(index(keys(city)))]
        struct Address {
            #[odm(unique)]
            city: String,
        }
    });
    let errors = errors(&out);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors
        .iter()
        .all(|e| e.contains("indexes belong to the document's collection")));
}
