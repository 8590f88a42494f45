//! `herald keys add`: append a key with a fresh secret to a credentials
//! file and print the secret, once.

use anyhow::Context;
use herald_protocol::auth::credentials::{append_entry, generate_entry};

use crate::config::AddKeyArgs;

pub fn add(args: AddKeyArgs) -> anyhow::Result<()> {
    let entry = generate_entry(
        &args.account_id,
        &args.role,
        args.connect_user_arn,
        args.chime_bearer_arn,
    );
    let (id, secret) = (entry.access_key_id.clone(), entry.secret_access_key.clone());
    append_entry(&args.credentials, entry)
        .with_context(|| format!("adding a key to {}", args.credentials.display()))?;
    println!("access_key_id = {id}");
    println!("secret_access_key = {secret}");
    eprintln!(
        "Key added to {}. The secret is shown only this once; send SIGHUP to a running herald to load it.",
        args.credentials.display()
    );
    Ok(())
}
