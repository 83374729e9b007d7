//! The database handle: one code path over two engines (embedded SQLite, PostgreSQL) through sqlx's
//! native drivers, with the `q_*!` macros that run the same portable SQL on whichever engine is open.
//!
//! Portable SQL rules (see ARCHITECTURE §4): `$1` placeholders, `RETURNING`, `ON CONFLICT … DO
//! NOTHING`, `TEXT`/`BIGINT` columns, booleans as integers, `CAST(SUM(x) AS BIGINT)` for sums. The few
//! statements that must differ live in [`Dialect`].

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Postgres, Sqlite};

/// Which engine a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// Where the database is. Its `Debug` never shows a password.
#[derive(Clone)]
pub enum DbLocation {
    /// An SQLite file (created when missing).
    SqliteFile(std::path::PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

impl std::fmt::Debug for DbLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbLocation::SqliteFile(p) => write!(f, "SqliteFile({})", p.display()),
            DbLocation::Postgres(url) => write!(f, "Postgres({})", redact_url(url)),
        }
    }
}

/// Replaces the password of a URL with `***` so it can be shown or logged.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".into();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_string(),
    }
}

/// Pool sizes and timeouts.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The shared database handle. Cheap to clone.
///
/// On SQLite, writes go through a single writer connection (SQLite admits one writer at a time;
/// queuing in the pool is cheaper and fairer than spinning on `SQLITE_BUSY`) and reads through a
/// pool of readers that see committed data (WAL).
#[derive(Clone)]
pub enum Db {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({})", self.engine().name())
    }
}

impl Db {
    /// Opens (and for SQLite creates) the database.
    pub async fn connect(location: &DbLocation, pool: &PoolSettings) -> Result<Db, sqlx::Error> {
        match location {
            DbLocation::SqliteFile(path) => Self::connect_sqlite(path, pool).await,
            DbLocation::Postgres(url) => {
                let opts = PgConnectOptions::from_str(url)?
                    .application_name("okno")
                    .log_statements(tracing::log::LevelFilter::Trace);
                // No ping before every acquire: it costs a round trip per use case, and a broken
                // connection surfaces as an error on first use and is replaced.
                let pg = PgPoolOptions::new()
                    .max_connections(pool.max_connections)
                    .test_before_acquire(false)
                    .acquire_timeout(pool.acquire_timeout)
                    .connect_with(opts)
                    .await?;
                Ok(Db::Postgres(pg))
            }
        }
    }

    async fn connect_sqlite(path: &Path, pool: &PoolSettings) -> Result<Db, sqlx::Error> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
            }
        }
        // WAL with synchronous=NORMAL: a commit is in the WAL file before it returns, so it survives
        // a crash of the process (kill -9); only a power loss can take the last commits back.
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000")
            .log_statements(tracing::log::LevelFilter::Trace);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .min_connections(1)
            .acquire_timeout(pool.acquire_timeout.max(Duration::from_secs(30)))
            .connect_with(opts.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(pool.max_connections.clamp(1, 8))
            .test_before_acquire(false)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Db::Sqlite { writer, reader })
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite { .. } => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    pub fn dialect(&self) -> &'static Dialect {
        match self.engine() {
            Engine::Sqlite => &SQLITE,
            Engine::Postgres => &POSTGRES,
        }
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so it holds the write lock from
    /// the start and never fails half-way with `SQLITE_BUSY_SNAPSHOT`.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Db::Sqlite { writer, .. } => Ok(Tx {
                inner: TxInner::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
                journal: Default::default(),
            }),
            Db::Postgres(pg) => Ok(Tx {
                inner: TxInner::Postgres(pg.begin().await?),
                journal: Default::default(),
            }),
        }
    }

    /// A connection for reads outside a transaction.
    pub async fn read(&self) -> Result<Conn, sqlx::Error> {
        match self {
            Db::Sqlite { reader, .. } => Ok(Conn::Sqlite(reader.acquire().await?)),
            Db::Postgres(pg) => Ok(Conn::Postgres(pg.acquire().await?)),
        }
    }

    /// `SELECT 1`: is the database reachable?
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let mut c = self.read().await?;
        let one: i64 = crate::q_scalar!(&mut c, i64, "SELECT CAST(1 AS BIGINT)")?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    /// Connections in use and idle, for `/metrics`.
    pub fn pool_state(&self) -> (u32, u32) {
        match self {
            Db::Sqlite { writer, reader } => (
                writer.size() + reader.size() - writer.num_idle() as u32 - reader.num_idle() as u32,
                writer.num_idle() as u32 + reader.num_idle() as u32,
            ),
            Db::Postgres(pg) => (pg.size() - pg.num_idle() as u32, pg.num_idle() as u32),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Db::Postgres(pg) => pg.close().await,
        }
    }
}

/// An open write transaction. Dropping it without [`Tx::commit`] rolls it back.
///
/// Audit records and outbox events a use case adds are held here and written by [`Tx::commit`] in
/// one statement right before `COMMIT`: the change, its journal entries and its events still commit
/// together, and the journal's head is locked only for that last step.
pub struct Tx {
    inner: TxInner,
    pub(crate) journal: crate::journal::Pending,
}

enum TxInner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    /// Writes what the use case journalled, then commits.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let pending = std::mem::take(&mut self.journal);
        crate::journal::flush(&mut self, pending).await?;
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await,
            TxInner::Postgres(t) => t.commit().await,
        }
    }

    pub fn engine(&self) -> Engine {
        match self.inner {
            TxInner::Sqlite(_) => Engine::Sqlite,
            TxInner::Postgres(_) => Engine::Postgres,
        }
    }

    pub fn dialect(&self) -> &'static Dialect {
        match self.engine() {
            Engine::Sqlite => &SQLITE,
            Engine::Postgres => &POSTGRES,
        }
    }
}

/// A pooled connection for reads.
pub enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// A borrowed connection of either engine: what the `q_*!` macros run on.
pub enum ConnRef<'c> {
    Sqlite(&'c mut sqlx::SqliteConnection),
    Postgres(&'c mut sqlx::PgConnection),
}

/// Anything the `q_*!` macros can run a statement on: a [`Tx`] or a [`Conn`].
pub trait AsConn {
    fn as_conn(&mut self) -> ConnRef<'_>;
}

impl AsConn for Tx {
    fn as_conn(&mut self) -> ConnRef<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => ConnRef::Sqlite(t),
            TxInner::Postgres(t) => ConnRef::Postgres(t),
        }
    }
}

impl AsConn for Conn {
    fn as_conn(&mut self) -> ConnRef<'_> {
        match self {
            Conn::Sqlite(c) => ConnRef::Sqlite(c),
            Conn::Postgres(c) => ConnRef::Postgres(c),
        }
    }
}

impl<T: AsConn + ?Sized> AsConn for &mut T {
    fn as_conn(&mut self) -> ConnRef<'_> {
        (**self).as_conn()
    }
}

/// The statements that cannot be written once for both engines, side by side.
#[derive(Debug)]
pub struct Dialect {
    /// Locks rows of a `SELECT` for the transaction (workers claiming jobs). Empty on SQLite, whose
    /// write transaction already excludes every other writer.
    pub for_update_skip_locked: &'static str,
}

pub static SQLITE: Dialect = Dialect {
    for_update_skip_locked: "",
};

pub static POSTGRES: Dialect = Dialect {
    for_update_skip_locked: "FOR UPDATE SKIP LOCKED",
};

/// Executes a statement; gives the number of rows affected.
/// `q_exec!(&mut tx, "UPDATE t SET a = $1 WHERE id = $2", a, id)`.
#[macro_export]
macro_rules! q_exec {
    ($c:expr, $sql:expr $(, $arg:expr)* $(,)?) => {{
        match $crate::db::AsConn::as_conn($c) {
            $crate::db::ConnRef::Sqlite(c) => $crate::sqlx::query($sql)$(.bind($arg))*
                .execute(&mut *c).await.map(|r| r.rows_affected()),
            $crate::db::ConnRef::Postgres(c) => $crate::sqlx::query($sql)$(.bind($arg))*
                .execute(&mut *c).await.map(|r| r.rows_affected()),
        }
    }};
}

/// Fetches all rows as `T: FromRow`. `q_all!(&mut c, Agency, "SELECT … WHERE a = $1", a)`.
#[macro_export]
macro_rules! q_all {
    ($c:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {{
        match $crate::db::AsConn::as_conn($c) {
            $crate::db::ConnRef::Sqlite(c) => $crate::sqlx::query_as::<_, $t>($sql)$(.bind($arg))*
                .fetch_all(&mut *c).await,
            $crate::db::ConnRef::Postgres(c) => $crate::sqlx::query_as::<_, $t>($sql)$(.bind($arg))*
                .fetch_all(&mut *c).await,
        }
    }};
}

/// Fetches at most one row as `T: FromRow`.
#[macro_export]
macro_rules! q_opt {
    ($c:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {{
        match $crate::db::AsConn::as_conn($c) {
            $crate::db::ConnRef::Sqlite(c) => $crate::sqlx::query_as::<_, $t>($sql)$(.bind($arg))*
                .fetch_optional(&mut *c).await,
            $crate::db::ConnRef::Postgres(c) => $crate::sqlx::query_as::<_, $t>($sql)$(.bind($arg))*
                .fetch_optional(&mut *c).await,
        }
    }};
}

/// Fetches exactly one row as `T: FromRow`.
#[macro_export]
macro_rules! q_one {
    ($c:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {{
        match $crate::db::AsConn::as_conn($c) {
            $crate::db::ConnRef::Sqlite(c) => $crate::sqlx::query_as::<_, $t>($sql)$(.bind($arg))*
                .fetch_one(&mut *c).await,
            $crate::db::ConnRef::Postgres(c) => $crate::sqlx::query_as::<_, $t>($sql)$(.bind($arg))*
                .fetch_one(&mut *c).await,
        }
    }};
}

/// Fetches one value of the first column of exactly one row.
#[macro_export]
macro_rules! q_scalar {
    ($c:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {{
        match $crate::db::AsConn::as_conn($c) {
            $crate::db::ConnRef::Sqlite(c) => $crate::sqlx::query_scalar::<_, $t>($sql)$(.bind($arg))*
                .fetch_one(&mut *c).await,
            $crate::db::ConnRef::Postgres(c) => $crate::sqlx::query_scalar::<_, $t>($sql)$(.bind($arg))*
                .fetch_one(&mut *c).await,
        }
    }};
}

/// Runs raw DDL or several statements (migrations). Not for user input: no parameters.
pub async fn exec_script(c: &mut impl AsConn, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    match c.as_conn() {
        ConnRef::Sqlite(c) => c.execute(sql).await.map(|_| ()),
        ConnRef::Postgres(c) => c.execute(sql).await.map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_never_show_the_password() {
        assert_eq!(
            redact_url("postgres://okno:s3cret@db:5432/okno"),
            "postgres://okno:***@db:5432/okno"
        );
        assert_eq!(redact_url("postgres://db/okno"), "postgres://db/okno");
        let loc = DbLocation::Postgres("postgres://u:pw@h/d".into());
        assert!(!format!("{loc:?}").contains("pw"));
    }
}
