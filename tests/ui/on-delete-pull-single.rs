use odm::Ref;

#[derive(odm::Document)]
struct Author {
    id: i64,
}

#[derive(odm::Document)]
struct Post {
    id: i64,
    #[odm(on_delete = "pull")]
    author: Option<Ref<Author>>,
}

fn main() {}
