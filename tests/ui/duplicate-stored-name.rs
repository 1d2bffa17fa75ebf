use odm::Document;

#[derive(Document, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Post {
    id: i64,
    #[serde(rename = "title")]
    headline: String,
    title: String,
}

fn main() {}
