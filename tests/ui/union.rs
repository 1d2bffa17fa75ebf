use odm::Document;

#[derive(Document)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
