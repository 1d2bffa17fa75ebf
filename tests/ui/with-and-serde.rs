use odm::Document;

#[derive(Document)]
struct Meeting {
    id: i64,
    #[odm(with = "odm::value::local_time", serde)]
    starts: chrono::DateTime<chrono::Local>,
}

fn main() {}
