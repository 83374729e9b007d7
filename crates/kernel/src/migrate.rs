//! The migrations runner: every crate ships numbered SQL files (`migrations/NNNN_name.sql`, one
//! for both engines unless they need their own), and this applies the missing ones in order, each
//! in its own transaction.
//!
//! Applied migrations are recorded in `okno_migrations` with a checksum; a file changed after it was
//! applied is refused at start-up rather than silently ignored.

use sha2::{Digest, Sha256};

use crate::db::{exec_script, Db, Engine};
use crate::{q_exec, q_opt};

/// One migration of one crate, in both dialects.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The crate (or part) that owns it, e.g. `kernel`.
    pub owner: &'static str,
    /// Sequence within the owner, starting at 1.
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// A part's migrations, and the parts it uses: the crates it depends on, whose tables its
/// migrations may reference. Each part declares them beside its migrations, and a test holds
/// them to the part's `Cargo.toml`.
pub struct Part {
    pub name: &'static str,
    pub uses: &'static [&'static str],
    pub migrations: Vec<Migration>,
}

/// The migrations of all parts, each part's after those of every part it uses (in the order
/// given where neither uses the other), so that a table exists before another part references
/// it. A cycle cannot be ordered: Cargo refuses a cycle of crates, so it is a wrong `uses`, and
/// this panics naming the parts left.
pub fn in_dependency_order(parts: Vec<Part>) -> Vec<Migration> {
    let names: Vec<&str> = parts.iter().map(|p| p.name).collect();
    let mut left = parts;
    let mut placed: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    while !left.is_empty() {
        let ready = left.iter().position(|p| {
            p.uses
                .iter()
                .all(|u| placed.contains(u) || !names.contains(u))
        });
        let Some(i) = ready else {
            let stuck: Vec<&str> = left.iter().map(|p| p.name).collect();
            panic!("parts that use each other cannot be migrated in order: {stuck:?}");
        };
        let part = left.remove(i);
        placed.push(part.name);
        out.extend(part.migrations);
    }
    out
}

/// Declares a migration of the calling crate. Its SQL is `migrations/NNNN_name.sql`, run on both
/// engines; where the engines need different SQL, `per_engine` reads
/// `migrations/sqlite/NNNN_name.sql` and `migrations/postgres/NNNN_name.sql` instead.
#[macro_export]
macro_rules! migration {
    ($owner:expr, $version:expr, $file:literal) => {{
        let sql = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/",
            $file,
            ".sql"
        ));
        $crate::migrate::Migration {
            owner: $owner,
            version: $version,
            name: $file,
            sqlite: sql,
            postgres: sql,
        }
    }};
    ($owner:expr, $version:expr, $file:literal, per_engine) => {
        $crate::migrate::Migration {
            owner: $owner,
            version: $version,
            name: $file,
            sqlite: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/sqlite/",
                $file,
                ".sql"
            )),
            postgres: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/postgres/",
                $file,
                ".sql"
            )),
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration {owner}/{version} ({name}) was changed after it was applied")]
    ChecksumMismatch {
        owner: String,
        version: i64,
        name: String,
    },
}

#[derive(serde::Deserialize, sqlx::FromRow)]
struct Applied {
    checksum: String,
}

const BOOTSTRAP: &str = "CREATE TABLE IF NOT EXISTS okno_migrations (
    owner TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (owner, version)
)";

/// Applies every migration not yet applied, in the order given (owners in dependency order).
/// Returns how many were applied now. Safe to run from several nodes at once on PostgreSQL: the
/// first takes an advisory lock, the others wait and then find nothing to do.
pub async fn run(db: &Db, migrations: &[Migration]) -> Result<usize, MigrateError> {
    let mut tx = db.begin().await?;
    exec_script(&mut tx, BOOTSTRAP).await?;
    tx.commit().await?;

    let mut applied_now = 0;
    for m in migrations {
        let sql = match db.engine() {
            Engine::Sqlite => m.sqlite,
            Engine::Postgres => m.postgres,
        };
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        let mut tx = db.begin().await?;
        if db.engine() == Engine::Postgres {
            // One node migrates at a time; released at commit.
            exec_script(&mut tx, "SELECT pg_advisory_xact_lock(7410001)").await?;
        }
        let found = q_opt!(
            &mut tx,
            Applied,
            "SELECT checksum FROM okno_migrations WHERE owner = $1 AND version = $2",
            m.owner,
            m.version
        )?;
        match found {
            Some(a) if a.checksum == checksum => continue,
            Some(_) => {
                return Err(MigrateError::ChecksumMismatch {
                    owner: m.owner.into(),
                    version: m.version,
                    name: m.name.into(),
                })
            }
            None => {}
        }
        exec_script(&mut tx, sql).await?;
        q_exec!(
            &mut tx,
            "INSERT INTO okno_migrations (owner, version, name, checksum, applied_at) VALUES ($1, $2, $3, $4, $5)",
            m.owner,
            m.version,
            m.name,
            checksum,
            crate::clock::now_ms()
        )?;
        tx.commit().await?;
        tracing::info!(
            owner = m.owner,
            version = m.version,
            name = m.name,
            "migration applied"
        );
        applied_now += 1;
    }
    Ok(applied_now)
}

/// Fresh databases with the kernel's tables, on each engine the machine has, for the kernel's
/// database tests. Keep the [`okno_testkit::FreshDatabase`] while the test runs.
#[cfg(test)]
pub(crate) async fn test_databases(test: &str) -> Vec<(Db, okno_testkit::FreshDatabase)> {
    let mut out = Vec::new();
    for fresh in okno_testkit::fresh_databases(test).await {
        let at = match fresh.postgres_url() {
            Some(url) => crate::db::DbLocation::Postgres(url.into()),
            None => crate::db::DbLocation::SqliteFile(fresh.sqlite_file()),
        };
        let db = Db::connect(&at, &crate::db::PoolSettings::default())
            .await
            .unwrap();
        run(&db, &crate::migrations()).await.unwrap();
        out.push((db, fresh));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &'static str, uses: &'static [&'static str]) -> Part {
        Part {
            name,
            uses,
            migrations: vec![Migration {
                owner: name,
                version: 1,
                name: "0001",
                sqlite: "",
                postgres: "",
            }],
        }
    }

    #[test]
    fn a_part_is_migrated_after_the_parts_it_uses_whatever_the_order_given() {
        let order = in_dependency_order(vec![
            part("services", &["kernel", "rules", "directory", "offices"]),
            part("offices", &["kernel", "directory"]),
            part("directory", &["kernel"]),
            part("kernel", &["rules"]),
        ]);
        let owners: Vec<&str> = order.iter().map(|m| m.owner).collect();
        assert_eq!(owners, ["kernel", "directory", "offices", "services"]);
    }

    #[test]
    #[should_panic(expected = "use each other")]
    fn parts_that_use_each_other_are_refused() {
        in_dependency_order(vec![part("a", &["b"]), part("b", &["a"])]);
    }
}
