//! The guard against guessing: failed sign-ins counted per login, the lock after too many, and
//! what the person is told. Checking the lock and counting a failure are one statement.

use okno_kernel::clock::now_ms;
use okno_kernel::db::Tx;
use okno_kernel::error::{Problem, Result};

use crate::settings::Settings;
use crate::store;

/// How long the lockout that follows `lockouts` earlier ones lasts: `lockout_ms`, doubled with
/// each earlier lockout, at most a day. The pure half of the guard; [`count_failure`] applies it.
pub(crate) fn lock_length(s: &Settings, lockouts: i64) -> i64 {
    let factor = 1i64 << lockouts.clamp(0, 20);
    s.lockout_ms.saturating_mul(factor).min(86_400_000)
}

/// What became of a failed sign-in (a wrong password, an unknown login, a wrong second factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Counted; not enough in a row to lock.
    Counted,
    /// Counted, and this very failure locked the subject until then.
    Locked(i64),
    /// The subject was already locked until then: not counted, no new lockout.
    AlreadyLocked(i64),
}

pub(crate) fn locked_problem(until: i64, now: i64) -> Problem {
    let minutes = ((until - now) + 59_999) / 60_000;
    Problem::new(429, "auth.locked", "Вход временно заблокирован").with_detail(format!(
        "Слишком много неудачных попыток входа. Повторите через {minutes} мин. или восстановите доступ."
    ))
}

pub(crate) fn bad_credentials() -> Problem {
    Problem::new(401, "auth.invalid_credentials", "Неверный логин или пароль").with_detail(
        "Неверный логин или пароль. Проверьте раскладку клавиатуры и Caps Lock: пароль чувствителен к регистру.",
    )
}

/// Counts a failed sign-in for `subject` and locks it after `lockout_after` in a row, exactly, also
/// when failures come at once. Checking the lock and counting are one conditional upsert: on a
/// locked row it changes nothing and returns no row. The upsert leaves the row locked to this
/// transaction (on PostgreSQL its row lock, on SQLite the writer's), so the lock is set by exactly
/// one failure and no other failure is counted in between.
pub(crate) async fn count_failure(tx: &mut Tx, s: &Settings, subject: &str) -> Result<Failure> {
    let now = now_ms();
    let counted = store::count_throttle_failure(tx, subject, now).await?;
    let Some(t) = counted else {
        // Not updated, so locked; the upsert holds the row, so it is still locked now.
        let until = lock_of(tx, subject, now).await?.unwrap_or(now);
        return Ok(Failure::AlreadyLocked(until));
    };
    if t.failures < s.lockout_after {
        return Ok(Failure::Counted);
    }
    let until = now + lock_length(s, t.lockouts);
    store::lock_throttle(tx, until, subject).await?;
    Ok(Failure::Locked(until))
}

/// The end of `subject`'s lock when it is locked at `now`, read in the caller's transaction.
pub(crate) async fn lock_of(
    tx: &mut impl okno_kernel::db::AsConn,
    subject: &str,
    now: i64,
) -> Result<Option<i64>> {
    let t = store::locked_throttle(tx, subject, now).await?;
    Ok(t.and_then(|t| t.locked_until))
}

/// After a right password or second factor: forgets the failures of `subject` unless it is
/// locked, which refuses with `auth.locked` — a lock that fell while the password was being
/// verified wins. The delete is conditional, and the lock is read again after it: on PostgreSQL
/// (READ COMMITTED) the delete waits for a failure counting on the row and re-checks the row it
/// committed, and the next statement sees every lock committed before it; on SQLite the
/// transaction holds the writer throughout.
pub(crate) async fn clear_failures(tx: &mut Tx, subject: &str) -> Result<()> {
    let now = now_ms();
    store::clear_unlocked_throttle(tx, subject, now).await?;
    match lock_of(tx, subject, now).await? {
        Some(until) => Err(locked_problem(until, now).into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lockout_lasts_twice_the_last_up_to_a_day() {
        let s = Settings::default();
        let minutes: Vec<i64> = (0..9).map(|n| lock_length(&s, n) / 60_000).collect();
        assert_eq!(minutes, [15, 30, 60, 120, 240, 480, 960, 1440, 1440]);
        assert_eq!(lock_length(&s, 10_000), 86_400_000, "no overflow");
        assert_eq!(lock_length(&s, -1), 15 * 60_000);
    }
}
