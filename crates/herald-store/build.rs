// `sqlx::migrate!` embeds the migrations at compile time; rebuild when they
// change so a test never runs against a stale schema.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
