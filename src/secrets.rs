//! Deployment secrets that nobody configured: generated once, kept in the database, shared by
//! every instance on the same database. Nothing secret is built into the binary.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use crate::entities::setting;

const SECRET_KEY: &str = "secret_key";
const TOKEN_KEY: &str = "token_key";

#[derive(Clone)]
pub struct Secrets {
    /// Rocket's key for private cookies (sessions, CSRF), base64 of 64 bytes.
    pub secret_key: String,
    /// Key from which survey tokens are derived (HMAC); tokens themselves are never stored.
    pub token_key: Vec<u8>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { .. }")
    }
}

impl Secrets {
    /// Reads the deployment's secrets, generating each one the first time. Insert-if-absent and
    /// read back means two instances starting together end up with the same values.
    pub async fn load_or_create(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let secret_key = load_or_create(db, SECRET_KEY, 64, |bytes| STANDARD.encode(bytes)).await?;
        let token_key =
            load_or_create(db, TOKEN_KEY, 32, |bytes| URL_SAFE_NO_PAD.encode(bytes)).await?;
        let token_key = URL_SAFE_NO_PAD
            .decode(token_key.as_bytes())
            .map_err(|err| DbErr::Custom(format!("stored {TOKEN_KEY} is not base64url: {err}")))?;
        Ok(Secrets {
            secret_key,
            token_key,
        })
    }
}

async fn load_or_create(
    db: &DatabaseConnection,
    key: &str,
    len: usize,
    encode: impl Fn(&[u8]) -> String,
) -> Result<String, DbErr> {
    if let Some(existing) = setting::Entity::find_by_id(key.to_owned()).one(db).await? {
        return Ok(existing.value);
    }
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    // Another instance may have written it between our read and our insert: theirs stands.
    let inserted = setting::insert_if_absent(db, key, encode(&bytes)).await?;
    if inserted {
        tracing::info!("generated a new {key} and kept it in the database");
    }
    setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| DbErr::RecordNotFound(format!("setting {key}")))
}
