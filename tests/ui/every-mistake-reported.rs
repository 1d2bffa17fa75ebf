// Several mistakes in one model: each is reported once, at its own span,
// and nothing else (the stub impl keeps the rest of the crate quiet).
use odm::Document;

#[derive(Document)]
#[odm(collection = 1)]
struct Product {
    #[odm(id, skip)]
    sku: String,
    #[odm(rename = "price")]
    cost: i64,
    price: i64,
    #[odm(frobnicate)]
    name: String,
}

fn needs_document<D: odm::Document>() {}

fn main() {
    needs_document::<Product>();
}
