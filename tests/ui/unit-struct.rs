use odm::Embedded;

#[derive(Embedded)]
struct Marker;

fn main() {}
