//! The database handle: one code path over two engines (embedded SQLite, PostgreSQL), with the
//! `q_*!` macros that run the same portable SQL on whichever connection is at hand: sqlx's native
//! drivers for PostgreSQL and SQLite reads, and a synchronous rusqlite connection for SQLite writes.
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
/// queuing for it is cheaper and fairer than spinning on `SQLITE_BUSY`) and reads through a pool of
/// readers that see committed data (WAL). Never open a second write transaction while holding one.
#[derive(Clone)]
pub enum Db {
    Sqlite {
        writer: SqliteWriter,
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
        // The reader pool opens the file first: it sets WAL mode and creates the file.
        let first = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        first.close().await;
        let writer = SqliteWriter::open(path)?;
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
            Db::Sqlite { writer, .. } => {
                let mut conn = writer.0.clone().lock_owned().await;
                sync_batch(&mut conn, "BEGIN IMMEDIATE")?;
                Ok(Tx {
                    inner: Some(TxInner::Sqlite(conn)),
                    journal: Default::default(),
                })
            }

            Db::Postgres(pg) => Ok(Tx {
                inner: Some(TxInner::Postgres(pg.begin().await?)),
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
            Db::Sqlite { reader, .. } => (
                reader.size() - reader.num_idle() as u32,
                reader.num_idle() as u32,
            ),
            Db::Postgres(pg) => (pg.size() - pg.num_idle() as u32, pg.num_idle() as u32),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { reader, .. } => reader.close().await,
            Db::Postgres(pg) => pg.close().await,
        }
    }
}

/// An open write transaction. Dropping it without [`Tx::commit`] rolls it back.
///
/// Audit records and outbox events a use case adds are held here and written by [`Tx::commit`] in
/// one statement right before `COMMIT`: the change, its journal entries and its events commit
/// together (on PostgreSQL the records are linked into the chain by the sealer right after).
pub struct Tx {
    inner: Option<TxInner>,
    pub(crate) journal: crate::record::Pending,
}

enum TxInner {
    /// The writer connection, held for the whole transaction.
    Sqlite(tokio::sync::OwnedMutexGuard<rusqlite::Connection>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    /// Rolls back now, and waits for it: the rows it locked are free when this returns. (Dropping
    /// a PostgreSQL transaction only queues its `ROLLBACK` for the connection's next use, so its
    /// locks may outlive it for a while.)
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        match self.inner.take() {
            Some(TxInner::Sqlite(mut conn)) => sync_batch(&mut conn, "ROLLBACK"),
            Some(TxInner::Postgres(t)) => t.rollback().await,
            None => Ok(()),
        }
    }

    /// `COMMIT`, after the journal wrote its entries ([`Tx::commit`], in `journal.rs`).
    pub(crate) async fn finish(mut self) -> Result<(), sqlx::Error> {
        match self.inner.take() {
            Some(TxInner::Sqlite(mut conn)) => match sync_batch(&mut conn, "COMMIT") {
                Ok(()) => Ok(()),
                Err(e) => {
                    let _ = sync_batch(&mut conn, "ROLLBACK");
                    Err(e)
                }
            },
            Some(TxInner::Postgres(t)) => t.commit().await,
            None => Err(sqlx::Error::Protocol("transaction already finished".into())),
        }
    }

    pub fn engine(&self) -> Engine {
        match self.inner {
            Some(TxInner::Postgres(_)) => Engine::Postgres,
            _ => Engine::Sqlite,
        }
    }

    pub fn dialect(&self) -> &'static Dialect {
        match self.engine() {
            Engine::Sqlite => &SQLITE,
            Engine::Postgres => &POSTGRES,
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        // SQLite: a transaction dropped without commit is rolled back before the writer is released
        // (sqlx does the same for PostgreSQL).
        if let Some(TxInner::Sqlite(conn)) = self.inner.as_mut() {
            let _ = sync_batch(conn, "ROLLBACK");
        }
    }
}

/// The SQLite writer: one connection, used synchronously by the task that holds it. SQLite admits one
/// writer at a time anyway, and its statements take microseconds (WAL, no fsync at commit), so they
/// run on the caller's thread instead of hopping to a driver thread and back for every statement.
#[derive(Clone)]
pub struct SqliteWriter(std::sync::Arc<tokio::sync::Mutex<rusqlite::Connection>>);

impl SqliteWriter {
    fn open(path: &Path) -> Result<SqliteWriter, sqlx::Error> {
        let c = rusqlite::Connection::open(path).map_err(sqlite_err)?;
        c.busy_timeout(Duration::from_secs(10))
            .map_err(sqlite_err)?;
        c.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA temp_store = memory; PRAGMA cache_size = -16000;",
        )
        .map_err(sqlite_err)?;
        c.set_prepared_statement_cache_capacity(256);
        Ok(SqliteWriter(std::sync::Arc::new(tokio::sync::Mutex::new(
            c,
        ))))
    }
}

/// A rusqlite error as the sqlx error the rest of the kernel handles.
pub fn sqlite_err(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("sqlite: {e}"))
}

fn sync_batch(c: &mut rusqlite::Connection, sql: &str) -> Result<(), sqlx::Error> {
    c.execute_batch(sql).map_err(sqlite_err)
}

/// Prepares `sql` (cached) and binds `args` by their `$N` names, so a statement may use a parameter
/// twice or out of order, as the portable SQL does.
fn sync_prepare<'c>(
    c: &'c rusqlite::Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<rusqlite::CachedStatement<'c>, sqlx::Error> {
    let mut stmt = c.prepare_cached(sql).map_err(sqlite_err)?;
    for i in 1..=stmt.parameter_count() {
        let name = stmt.parameter_name(i).map(str::to_string);
        let n: usize = match name.as_deref().and_then(|n| n.strip_prefix('$')) {
            Some(num) => num
                .parse()
                .map_err(|_| sqlx::Error::Protocol(format!("parameter {name:?} is not $N")))?,
            None => i,
        };
        match args.get(n - 1) {
            Some(a) => stmt.raw_bind_parameter(i, *a).map_err(sqlite_err)?,
            None => stmt
                .raw_bind_parameter(i, rusqlite::types::Null)
                .map_err(sqlite_err)?,
        }
    }
    Ok(stmt)
}

/// `q_exec!` on the SQLite writer.
pub fn sync_exec(
    c: &mut rusqlite::Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<u64, sqlx::Error> {
    let mut stmt = sync_prepare(c, sql, args)?;
    let n = stmt.raw_execute().map_err(sqlite_err)?;
    Ok(n as u64)
}

/// `q_all!` on the SQLite writer: rows by column name into `T`.
pub fn sync_all<T: serde::de::DeserializeOwned>(
    c: &mut rusqlite::Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<T>, sqlx::Error> {
    let mut stmt = sync_prepare(c, sql, args)?;
    let columns = serde_rusqlite::columns_from_statement(&stmt);
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_err)? {
        out.push(
            serde_rusqlite::from_row_with_columns::<T>(row, &columns)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        );
    }
    Ok(out)
}

/// `q_scalar!` on the SQLite writer: the first column of the only row.
pub fn sync_scalar<T: rusqlite::types::FromSql>(
    c: &mut rusqlite::Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<T, sqlx::Error> {
    let mut stmt = sync_prepare(c, sql, args)?;
    let mut rows = stmt.raw_query();
    match rows.next().map_err(sqlite_err)? {
        Some(row) => row.get(0).map_err(sqlite_err),
        None => Err(sqlx::Error::RowNotFound),
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
    /// The SQLite writer inside a [`Tx`].
    SqliteWriter(&'c mut rusqlite::Connection),
}

/// Anything the `q_*!` macros can run a statement on: a [`Tx`] or a [`Conn`].
pub trait AsConn {
    fn as_conn(&mut self) -> ConnRef<'_>;
}

impl AsConn for Tx {
    fn as_conn(&mut self) -> ConnRef<'_> {
        match self.inner.as_mut().expect("an open transaction") {
            TxInner::Sqlite(c) => ConnRef::SqliteWriter(c),
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
            $crate::db::ConnRef::SqliteWriter(c) => $crate::db::sync_exec(c, $sql, &[$(&$arg as &dyn $crate::db::rusqlite::ToSql),*]),
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
            $crate::db::ConnRef::SqliteWriter(c) => $crate::db::sync_all::<$t>(c, $sql, &[$(&$arg as &dyn $crate::db::rusqlite::ToSql),*]),
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
            $crate::db::ConnRef::SqliteWriter(c) => $crate::db::sync_all::<$t>(c, $sql, &[$(&$arg as &dyn $crate::db::rusqlite::ToSql),*]).map(|v| v.into_iter().next()),
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
            $crate::db::ConnRef::SqliteWriter(c) => $crate::db::sync_all::<$t>(c, $sql, &[$(&$arg as &dyn $crate::db::rusqlite::ToSql),*])
                .and_then(|v| v.into_iter().next().ok_or($crate::sqlx::Error::RowNotFound)),
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
            $crate::db::ConnRef::SqliteWriter(c) => $crate::db::sync_scalar::<$t>(c, $sql, &[$(&$arg as &dyn $crate::db::rusqlite::ToSql),*]),
        }
    }};
}

/// Runs raw DDL or several statements (migrations). Not for user input: no parameters.
pub async fn exec_script(c: &mut impl AsConn, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    match c.as_conn() {
        ConnRef::Sqlite(c) => c.execute(sql).await.map(|_| ()),
        ConnRef::Postgres(c) => c.execute(sql).await.map(|_| ()),
        ConnRef::SqliteWriter(c) => sync_batch(c, sql),
    }
}

pub use rusqlite;

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
