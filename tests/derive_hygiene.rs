//! The generated code names everything by absolute path through the facade:
//! it compiles next to user items that shadow the usual names.

#[allow(dead_code, non_camel_case_types)]
mod shadowing {
    // Items named like what generated code might reach for unqualified.
    // (Not `Option`: bson's own `cstr!`, which the keys go through, names it
    // unqualified.)
    struct Result;
    struct Some;
    struct Ok;
    struct Err;
    struct Default;
    struct String;
    struct Vec;
    mod std {}
    mod core {}
    mod bson {}

    #[derive(::odm::Embedded)]
    pub enum Kind {
        A,
        B,
    }

    #[derive(::odm::Embedded)]
    pub struct Inner {
        pub n: i32,
    }

    fn answer() -> i32 {
        42
    }

    #[derive(::odm::Document)]
    #[serde(default)]
    pub struct Model {
        pub id: ::std::option::Option<::odm::bson::oid::ObjectId>,
        pub name: ::std::string::String,
        pub inner: Inner,
        pub kind: Kind,
        #[serde(skip)]
        pub cache: ::std::vec::Vec<u8>,
        #[odm(default = "answer")]
        pub n: i32,
        #[odm(serde)]
        pub extra: ::std::collections::BTreeMap<::std::string::String, i32>,
        #[odm(with = "::odm::value::local_time")]
        pub at: ::odm::chrono::DateTime<::odm::chrono::Local>,
    }

    impl ::std::default::Default for Model {
        fn default() -> Self {
            Model {
                id: ::std::option::Option::None,
                name: ::std::string::String::new(),
                inner: Inner { n: 0 },
                kind: Kind::A,
                cache: ::std::vec::Vec::new(),
                n: 0,
                extra: ::std::collections::BTreeMap::new(),
                at: ::odm::chrono::Local::now(),
            }
        }
    }

    #[test]
    fn round_trips_without_the_prelude() {
        use ::odm::Document as _;
        let model = <Model as ::std::default::Default>::default();
        let doc = model.to_document().unwrap();
        let back = Model::from_document(&doc).unwrap();
        ::std::assert_eq!(back.n, 0);
        ::std::assert_eq!(Model::fields().inner.n.path(), "inner.n");
    }
}
