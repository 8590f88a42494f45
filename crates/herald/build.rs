// The end-to-end suite is built a second time for PostgreSQL
// (`tests/e2e_postgres.rs`) when HERALD_TEST_DATABASE_URL names a server;
// without it that binary holds a single test saying it was skipped.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(herald_pg_tests)");
    println!("cargo::rerun-if-env-changed=HERALD_TEST_DATABASE_URL");
    let configured =
        std::env::var("HERALD_TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty());
    if configured {
        println!("cargo::rustc-cfg=herald_pg_tests");
    }
}
