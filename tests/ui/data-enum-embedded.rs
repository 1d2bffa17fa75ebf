use odm::Embedded;

#[derive(Embedded)]
enum Shape {
    Point,
    Circle { radius: f64 },
    Square(f64),
}

fn main() {}
