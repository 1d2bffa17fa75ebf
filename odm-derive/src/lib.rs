//! The derives of odm: `#[derive(Document)]` and `#[derive(Embedded)]`.
//! Use them through the `odm` crate (`use odm::{Document, Embedded};`).
//!
//! Each derive is a pipeline, like serde_derive's: `internals` parses the
//! input and its attributes into an IR and checks it, `codegen` emits one
//! generated piece per file, and `expand` ties them together.

mod codegen;
mod expand;
mod internals;

use proc_macro::TokenStream;
use syn::parse_macro_input;

/// Derive `odm::Document` for a struct stored in its own collection.
///
/// ```ignore
/// use odm::bson::oid::ObjectId;
/// use odm::Document;
///
/// #[derive(Document)]
/// #[odm(collection = "people")]
/// struct User {
///     id: Option<ObjectId>,
///     name: String,
///     #[serde(rename = "yob")]
///     born: chrono::NaiveDate,
/// }
///
/// let age = &User::fields().born; // a typed path: `yob`
/// ```
///
/// It generates the `Document` impl, a `UserFields` struct of typed paths
/// (one public field per stored field, returned by `User::fields()`), and
/// compile-time checks that every field type is storable.
///
/// # The id
///
/// The id is the field marked `#[odm(id)]`, else the field named `id`. It is
/// always stored as `_id`, first. Its type implements `IdValue`: `ObjectId`,
/// `String`, `i32`, `i64`, `Uuid`, or your own. An `Option<T>` id (usually
/// `Option<ObjectId>`) is `None` until the first insert: it is then not
/// written, the backend generates one, and the collection sets it back.
///
/// # Stored names
///
/// serde owns wire names, and odm follows it: `#[serde(rename = "..")]` on a
/// field and `#[serde(rename_all = "..")]` on the struct choose the stored
/// keys (and so the typed paths). `#[odm(rename = "..")]` does the same
/// without serde. Two fields stored under one name are a compile error.
/// `serde` is a helper attribute of both derives (as with schemars), so
/// `#[serde(..)]` works whether or not the type also derives serde's traits.
///
/// # Container attributes
///
/// | attribute | meaning |
/// |---|---|
/// | `#[odm(collection = "name")]` | the collection (default: the struct's name in snake_case, `BlogPost` → `blog_post`) |
/// | `#[odm(validate)]` | run `validator::Validate` (which the struct must derive or implement) before every insert and replace; errors carry full dotted stored paths (`address.zip`, `items.0.qty`; renames applied, like every other odm path) |
/// | `#[odm(deny_unknown_fields)]` or `#[serde(deny_unknown_fields)]` | a stored key the struct does not know is a decode error (by default it is ignored) |
/// | `#[serde(rename_all = "..")]` | `camelCase`, `snake_case`, `kebab-case`, `PascalCase`, `SCREAMING_SNAKE_CASE`, `lowercase`, `UPPERCASE`, `SCREAMING-KEBAB-CASE` |
/// | `#[serde(default)]`, `#[serde(default = "path")]` | a missing field takes its value from `Default::default()` (or the function) of the whole struct |
/// | `#[odm(index(keys(..), ..))]` | a compound or text index (see [Indexes](#indexes)) |
///
/// # Field attributes
///
/// | attribute | meaning |
/// |---|---|
/// | `#[odm(id)]` | this field is the id, stored as `_id` |
/// | `#[odm(rename = "key")]`, `#[serde(rename = "key")]` | the stored key |
/// | `#[serde(alias = "old")]` | also read the field from `old` |
/// | `#[odm(default)]`, `#[serde(default)]`, `default = "path"` | a missing field reads as `Default::default()` (or the function's value) instead of an error |
/// | `#[odm(skip)]`, `#[serde(skip)]` | not stored; `Default::default()` (or the given default) on read |
/// | `#[serde(skip_serializing)]` / `#[serde(skip_deserializing)]` | not written / not read (default on read) |
/// | `#[serde(skip_serializing_if = "Option::is_none")]` | not written when the function says so |
/// | `#[odm(with = "module")]` | stored through `module::to_raw(&T) -> Result<RawValue<'static>, EncodeError>` and `module::from_raw(RawBsonRef) -> Result<T, DecodeError>` (for example `odm::value::local_time` for `DateTime<Local>`); its path is a plain `Field` |
/// | `#[odm(serde)]` | stored through the type's serde impls and bson's serializer (honouring serde's `with`); its path is a plain `Field` |
/// | `#[odm(index)]`, `#[odm(index(..))]`, `#[odm(unique)]` | an index on this field (see [Indexes](#indexes)) |
/// | `#[odm(version)]` | optimistic concurrency on an integer field: replaces, saves and typed updates match the version they read and increment it; a stale write is `Error::Conflict` |
/// | `#[odm(on_delete = "cascade" \| "nullify" \| "pull" \| "deny")]` | on a `Ref<T>` field (`nullify`: `Option<Ref<T>>`, `pull`: `Vec<Ref<T>>`): what deleting the referenced `T` through odm does to this document, in one transaction where the backend has them |
///
/// # Indexes
///
/// Indexes are declared on the model and created by
/// `db.collection::<M>().sync_indexes().await?`; `plan_indexes()` says what
/// a sync would do, without doing it.
///
/// ```ignore
/// #[derive(Document)]
/// #[odm(index(keys(address.city, -age), name = "city_age"))]
/// #[odm(index(keys(address.zip), unique, partial_filter = |f| f.age.gte(18)))]
/// #[odm(index(text(title = 10, body), default_language = "english"))]
/// struct User {
///     id: Option<ObjectId>,
///     #[odm(unique)]                                    // {email: 1}, unique
///     email: String,
///     #[odm(index(desc, sparse))]                       // {nickname: -1}, sparse
///     nickname: Option<String>,
///     #[odm(index(expire_after = 30 * 24 * 3600))]      // TTL, in seconds
///     last_seen: chrono::DateTime<chrono::Utc>,
///     #[odm(index(collation(locale = "fr", strength = 2)))]
///     name: String,
///     age: i32,
///     address: Address,
///     title: String,
///     body: String,
/// }
/// ```
///
/// On a field, `#[odm(index)]` is an ascending index and `#[odm(unique)]` a
/// unique one (both together: one unique index); `#[odm(index(..))]` takes
/// `desc`, `text` and the options below. On the struct, `index(..)` lists
/// its keys with `keys(a.b, -c)` (`-` descending) and/or
/// `text(field = weight, other)`, then the options:
///
/// | option | meaning |
/// |---|---|
/// | `unique` | refuse duplicate keys |
/// | `sparse` | leave out documents without the field |
/// | `name = ".."` | the index's name (default MongoDB's: `city_1_age_-1`, `title_text`) |
/// | `partial_filter = \|f\| f.age.gte(18)` | index only matching documents; a closure over the typed paths returning a `Filter<Self>` |
/// | `expire_after = 3600` | TTL: delete a document this many seconds after the date in the key (any constant `u64` expression) |
/// | `collation(locale = "fr", strength = 2, ..)` | string comparisons (`case_level`, `case_first`, `numeric_ordering`, `alternate`, `max_variable`, `backwards`, `normalization`) |
/// | `default_language = ".."` | text indexes: the stemming language |
///
/// Keys are Rust field paths through embedded structs, checked by the
/// compiler through the typed paths, so serde renames are honoured and a
/// misspelt key is a compile error at the key. So are a TTL on a field that
/// is not a date (`DateTime<Utc>`, `DateTime<FixedOffset>`, `NaiveDateTime`,
/// `NaiveDate`, `bson::DateTime`, or an `Option`/`Vec` of one), a text key
/// that is not a `String` (or `Option<String>`, `Vec<String>`), a TTL on a
/// compound index, `sparse` with `partial_filter`, two text indexes, and an
/// index on the id, on a skipped field or in an `Embedded` type.
///
/// # Field types
///
/// Any type implementing `IntoBson`, `FromBson` and `PathType`: numbers,
/// `bool`, `String`, `ObjectId`, `Uuid`, `Vec<u8>` (binary), chrono's
/// `NaiveDate`, `NaiveDateTime`, `DateTime<Utc>` and `DateTime<FixedOffset>`
/// (BSON dates; milliseconds are kept and finer precision is truncated),
/// `Option`, `Vec`, `HashMap<String, _>`/`BTreeMap<String, _>`, `Box`, and
/// your `#[derive(Embedded)]` types. An unsupported type is a compile error
/// at the field.
///
/// # Schema and validation rules
///
/// The derive also implements `Document::json_schema()` (the `$jsonSchema`
/// implied by the field types and their `validator` attributes, which
/// `collection.sync_schema()` installs), `Document::check_document()` (every
/// reason a stored document cannot be read, used by
/// `collection.check_schema()`) and, for a `#[odm(validate)]` model,
/// `Document::field_rules()`: the `range`, `length`, `regex`, `email` and
/// `url` attributes (and those of embedded values marked
/// `#[validate(nested)]`) that typed updates are checked against, with
/// guards on bounded `$inc`/`$mul`. Other `#[validate(..)]` attributes are
/// left to `validator`. See `odm::schema`.
///
/// # Not supported (compile errors saying what to write instead)
///
/// Tuple and unit structs, enums and unions, generic parameters, a missing
/// or second id, `#[serde(flatten)]`, an id that is skipped, unknown
/// `#[odm(..)]` attributes or index options.
#[proc_macro_derive(Document, attributes(odm, serde))]
pub fn derive_document(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as syn::DeriveInput);
    expand::derive_document(input).into()
}

/// Derive `odm::Embedded` for a struct stored inside documents, or a
/// unit-only enum stored as a string.
///
/// ```ignore
/// #[derive(odm::Embedded)]
/// struct Address {
///     city: String,
///     zip: String,
/// }
///
/// #[derive(odm::Embedded)]
/// #[serde(rename_all = "snake_case")]
/// enum Status {
///     InStock,   // stored as "in_stock"
///     SoldOut,
/// }
/// ```
///
/// A struct is stored as a sub-document, with the field attributes of
/// `#[derive(Document)]` (except `id`) and `#[odm(deny_unknown_fields)]`.
/// It generates `IntoBson`, `FromBson`, `Embedded`, and a `PathType` whose
/// paths are an `AddressFields<R, S>` struct: `User::fields().address.city`
/// is the path `address.city`, and `User::fields().address` dereferences to
/// the path of the whole sub-document. Embedded structs nest to any depth,
/// and in `Vec`s and `Option`s (a struct cannot contain itself, even boxed:
/// its paths would be infinite).
///
/// An enum must have only unit variants; each is stored as its name,
/// honouring `#[serde(rename)]`, `#[odm(rename)]`, `#[serde(alias)]` and the
/// enum's `#[serde(rename_all)]`. Reading any other string is an error
/// naming the accepted values.
///
/// Validation of embedded values is `validator`'s: put
/// `#[validate(nested)]` on the field of the document that holds them.
#[proc_macro_derive(Embedded, attributes(odm, serde))]
pub fn derive_embedded(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as syn::DeriveInput);
    expand::derive_embedded(input).into()
}
