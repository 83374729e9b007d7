//! Faults the sandbox injects on request (`POST /sandbox/faults`), for the platform's fault
//! tests: a slow answer, an answer lost after the operation was done, a notification sent twice.

use serde::Deserialize;

/// How a fault shows itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// Wait `ms` before doing the operation and answering; the operation is done even if the
    /// caller has given up by then.
    Delay { ms: u64 },
    /// Do the operation, then answer HTTP 500 without a body.
    DropAnswer,
    /// Send the next notification twice.
    DuplicateNotification,
}

/// A fault as asked for: `{"method":"Init","mode":"delay","ms":5000,"times":1}`. `method` is
/// `Init`, `GetState`, `Confirm`, `Cancel` or `*` (any); for `duplicate_notification` it may be
/// left out. `times` defaults to 1.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct FaultRequest {
    #[serde(default)]
    pub method: Option<String>,
    pub mode: String,
    #[serde(default)]
    pub ms: Option<u64>,
    #[serde(default)]
    pub times: Option<u32>,
}

#[derive(Clone, Debug)]
struct Fault {
    method: String,
    mode: Mode,
    left: u32,
}

/// The faults waiting to happen, each for a number of times.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    list: Vec<Fault>,
}

const METHODS: &[&str] = &["Init", "GetState", "Confirm", "Cancel", "*"];

impl Faults {
    /// Adds a fault, or says why it cannot be.
    pub fn add(&mut self, r: FaultRequest) -> Result<(), &'static str> {
        let mode = match (r.mode.as_str(), r.ms) {
            ("delay", Some(ms)) if ms <= 600_000 => Mode::Delay { ms },
            ("delay", _) => return Err("delay needs ms (at most 600000)"),
            ("drop_answer", _) => Mode::DropAnswer,
            ("duplicate_notification", _) => Mode::DuplicateNotification,
            _ => return Err("mode is delay, drop_answer or duplicate_notification"),
        };
        let method = match (&r.method, mode) {
            (Some(m), _) if METHODS.contains(&m.as_str()) => m.clone(),
            (None, Mode::DuplicateNotification) => "*".into(),
            _ => return Err("method is Init, GetState, Confirm, Cancel or *"),
        };
        let left = r.times.unwrap_or(1);
        if left == 0 || left > 1000 {
            return Err("times is 1 to 1000");
        }
        self.list.push(Fault { method, mode, left });
        Ok(())
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }

    fn take_where(&mut self, pick: impl Fn(&Fault) -> bool) -> Option<Mode> {
        let i = self.list.iter().position(pick)?;
        let f = &mut self.list[i];
        let mode = f.mode;
        f.left -= 1;
        if f.left == 0 {
            self.list.remove(i);
        }
        Some(mode)
    }

    /// The fault for this call of `method`, if one is waiting (used up by this call).
    pub fn take_for_call(&mut self, method: &str) -> Option<Mode> {
        self.take_where(|f| {
            f.mode != Mode::DuplicateNotification && (f.method == method || f.method == "*")
        })
    }

    /// Whether the next notification goes twice (used up by it).
    pub fn take_duplicate(&mut self) -> bool {
        self.take_where(|f| f.mode == Mode::DuplicateNotification)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> FaultRequest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_fault_happens_the_given_number_of_times() {
        let mut f = Faults::default();
        f.add(req(r#"{"method":"Init","mode":"delay","ms":50,"times":2}"#))
            .unwrap();
        assert_eq!(f.take_for_call("GetState"), None);
        assert_eq!(f.take_for_call("Init"), Some(Mode::Delay { ms: 50 }));
        assert_eq!(f.take_for_call("Init"), Some(Mode::Delay { ms: 50 }));
        assert_eq!(f.take_for_call("Init"), None);
    }

    #[test]
    fn bad_faults_are_refused() {
        let mut f = Faults::default();
        assert!(f.add(req(r#"{"method":"Init","mode":"delay"}"#)).is_err());
        assert!(f
            .add(req(r#"{"method":"Pay","mode":"drop_answer"}"#))
            .is_err());
        assert!(f.add(req(r#"{"method":"Init","mode":"explode"}"#)).is_err());
        assert!(f
            .add(req(r#"{"method":"Init","mode":"drop_answer","times":0}"#))
            .is_err());
        f.add(req(r#"{"mode":"duplicate_notification"}"#)).unwrap();
        assert_eq!(f.take_for_call("Init"), None);
        assert!(f.take_duplicate());
        assert!(!f.take_duplicate());
    }
}
