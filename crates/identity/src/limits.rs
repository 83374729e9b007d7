//! Per-IP rate limits on sign-in, registration and code requests: a fixed window per minute per
//! (action, address), kept in the node's memory. Each node limits on its own.

use std::collections::HashMap;
use std::sync::Mutex;

use okno_kernel::error::Problem;

/// What is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    SignIn,
    Register,
    Code,
}

/// Requests per minute per address, by action.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub sign_in: u32,
    pub register: u32,
    pub code: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sign_in: 30,
            register: 10,
            code: 10,
        }
    }
}

#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    windows: Mutex<HashMap<(Action, String), (i64, u32)>>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, a: Action) -> u32 {
        match a {
            Action::SignIn => self.limits.sign_in,
            Action::Register => self.limits.register,
            Action::Code => self.limits.code,
        }
    }

    /// Counts one request of `action` from `ip`; refuses with 429 over the minute's limit.
    /// A limit of 0 turns the limit off; requests with no known address are not limited.
    pub fn check(&self, action: Action, ip: Option<&str>) -> Result<(), Problem> {
        self.check_at(action, ip, okno_kernel::clock::now_ms())
    }

    fn check_at(&self, action: Action, ip: Option<&str>, now: i64) -> Result<(), Problem> {
        let limit = self.limit(action);
        let Some(ip) = ip.filter(|_| limit > 0) else {
            return Ok(());
        };
        let minute = now / 60_000;
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if w.len() > 100_000 {
            w.retain(|_, (m, _)| *m == minute);
        }
        let e = w.entry((action, ip.to_string())).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
        if e.1 > limit {
            let wait = 60 - (now / 1000) % 60;
            return Err(
                Problem::new(429, "rate_limited", "Слишком много запросов").with_detail(format!(
                    "Слишком много попыток с вашего адреса. Повторите через {wait} с."
                )),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_over_the_minutes_limit_are_refused_until_the_next_minute() {
        let l = Limiter::new(Limits {
            sign_in: 3,
            register: 1,
            code: 1,
        });
        let t = 10 * 60_000;
        for _ in 0..3 {
            assert!(l.check_at(Action::SignIn, Some("10.0.0.1"), t).is_ok());
        }
        let p = l
            .check_at(Action::SignIn, Some("10.0.0.1"), t + 1)
            .unwrap_err();
        assert_eq!((p.status, p.code.as_ref()), (429, "rate_limited"));
        assert!(
            l.check_at(Action::SignIn, Some("10.0.0.2"), t).is_ok(),
            "another address"
        );
        assert!(
            l.check_at(Action::Register, Some("10.0.0.1"), t).is_ok(),
            "another action"
        );
        assert!(l
            .check_at(Action::SignIn, Some("10.0.0.1"), t + 60_000)
            .is_ok());
    }
}
