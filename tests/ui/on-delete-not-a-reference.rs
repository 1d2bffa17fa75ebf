#[derive(odm::Document)]
struct Post {
    id: i64,
    #[odm(on_delete = "cascade")]
    title: String,
}

fn main() {}
