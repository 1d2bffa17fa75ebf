use odm::Embedded;

// `user_id` and `userId` are one stored name once camelCased.
#[derive(Embedded, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(non_snake_case)]
struct Author {
    user_id: i64,
    #[serde(rename = "userId")]
    legacy: i64,
}

fn main() {}
