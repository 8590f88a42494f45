//! A migration that has landed may already be applied to someone's store,
//! and a store whose applied migration no longer matches refuses to open
//! ("migration N is not the one this Herald applies"). So a landed
//! migration is never edited: a change to the schema is a new migration.
//! This test holds the checksum of every migration; adding one means
//! recording it here, and editing a landed one fails here first.

/// (engine, version, first 16 hex digits of sqlx's SHA-384 checksum).
const RECORDED: &[(&str, i64, &str)] = &[
    ("sqlite", 1, "d5e7b2fea18bb948"),
    ("sqlite", 2, "50959cde1e6353ed"),
    ("sqlite", 3, "9022726f57d4388f"),
    ("sqlite", 4, "62edd405b8e7d7ff"),
    ("sqlite", 5, "2614c16acf58d2cf"),
    ("sqlite", 6, "1778c990a288621c"),
    ("sqlite", 7, "0941c1099bb559fc"),
    ("sqlite", 8, "47aa20b0576e5b79"),
    ("sqlite", 9, "30814af26676ecc7"),
    ("sqlite", 10, "63ca37c9ed840595"),
    ("sqlite", 11, "5b7a31bdc2473985"),
    ("sqlite", 12, "988caded18f9b719"),
    ("postgres", 1, "a20621c015f5ff2f"),
    ("postgres", 2, "9e74c1fcd01c9c28"),
    ("postgres", 3, "40349a32aca683be"),
    ("postgres", 4, "9778fe55ac567ed3"),
    ("postgres", 5, "64c500a4d8feb214"),
    ("postgres", 6, "ac54901b33de2215"),
];

#[test]
fn every_migration_is_recorded_and_none_was_edited() {
    let engines = [
        ("sqlite", &crate::sqlite::MIGRATOR),
        ("postgres", &crate::postgres::MIGRATOR),
    ];
    let mut found = Vec::new();
    for (engine, migrator) in engines {
        for migration in migrator.iter() {
            let hex: String = migration.checksum[..8]
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            found.push((engine, migration.version, hex));
        }
    }
    let recorded: Vec<_> = RECORDED
        .iter()
        .map(|&(engine, version, hex)| (engine, version, hex.to_owned()))
        .collect();
    for (engine, version, hex) in &found {
        match recorded.iter().find(|r| r.0 == *engine && r.1 == *version) {
            Some(r) => assert_eq!(
                &r.2, hex,
                "{engine} migration {version} differs from the one recorded: a landed \
                 migration must not be edited (write a new one); if it never landed, \
                 record its new checksum"
            ),
            None => panic!("{engine} migration {version} ({hex}) is not recorded here"),
        }
    }
    assert_eq!(
        found.len(),
        recorded.len(),
        "a recorded migration is missing"
    );
}
