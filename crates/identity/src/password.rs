//! Passwords: the strength policy that names every failed rule at once, and Argon2id hashing on a
//! bounded pool of blocking workers, with a dummy verification for unknown logins.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::rngs::OsRng;
use serde::Serialize;
use tokio::sync::Semaphore;

/// What a password must satisfy besides the fixed rules (letters, digits, specials, no sequences,
/// no personal data, not guessable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The least number of characters (Unicode scalar values, not bytes).
    pub min_length: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { min_length: 8 }
    }
}

/// One rule that a password fails. [`check`] reports every one of them at once, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Weakness {
    TooShort,
    NoUppercase,
    NoLowercase,
    NoDigit,
    NoSpecial,
    KeyboardSequence,
    ContainsPersonalData,
    /// zxcvbn scores it below 3: guessable, common or known from breaches.
    Common,
}

impl Weakness {
    /// Every weakness, in the order [`check`] reports them.
    pub const ALL: [Weakness; 8] = [
        Weakness::TooShort,
        Weakness::NoUppercase,
        Weakness::NoLowercase,
        Weakness::NoDigit,
        Weakness::NoSpecial,
        Weakness::KeyboardSequence,
        Weakness::ContainsPersonalData,
        Weakness::Common,
    ];

    /// A stable English code for APIs and logs.
    pub fn code(self) -> &'static str {
        match self {
            Weakness::TooShort => "password.too_short",
            Weakness::NoUppercase => "password.no_uppercase",
            Weakness::NoLowercase => "password.no_lowercase",
            Weakness::NoDigit => "password.no_digit",
            Weakness::NoSpecial => "password.no_special",
            Weakness::KeyboardSequence => "password.keyboard_sequence",
            Weakness::ContainsPersonalData => "password.contains_personal_data",
            Weakness::Common => "password.common",
        }
    }

    /// The rule as the person reads it, in Russian.
    pub fn message(self, policy: &Policy) -> String {
        match self {
            Weakness::TooShort => format!(
                "Не менее {} {}",
                policy.min_length,
                characters_genitive(policy.min_length)
            ),
            Weakness::NoUppercase => "Хотя бы одна заглавная буква".to_owned(),
            Weakness::NoLowercase => "Хотя бы одна строчная буква".to_owned(),
            Weakness::NoDigit => "Хотя бы одна цифра".to_owned(),
            Weakness::NoSpecial => "Хотя бы один специальный символ (например, ! ? % #)".to_owned(),
            Weakness::KeyboardSequence => {
                "Без последовательностей клавиш и символов подряд (qwerty, 12345, abcd, йцукен)"
                    .to_owned()
            }
            Weakness::ContainsPersonalData => {
                "Без ваших персональных данных (телефона, почты, имени, даты рождения)".to_owned()
            }
            Weakness::Common => {
                "Пароль слишком простой или встречается в утечках — придумайте менее предсказуемый"
                    .to_owned()
            }
        }
    }
}

/// «символа» or «символов» after «не менее N»: genitive singular for 1, 21, 31…, plural otherwise.
fn characters_genitive(n: usize) -> &'static str {
    if n % 10 == 1 && n % 100 != 11 {
        "символа"
    } else {
        "символов"
    }
}

/// The least zxcvbn score (0–4) that a password needs: 3 means more than 10^8 guesses.
const MIN_ZXCVBN_SCORE: u8 = 3;

/// Words that Russian speakers put in passwords most, most common first. zxcvbn ships English
/// dictionaries only, so these are given to it as extra dictionary words: «Пароль123!» would
/// otherwise score as random letters.
const RUSSIAN_COMMON_WORDS: [&str; 40] = [
    "пароль",
    "любовь",
    "привет",
    "россия",
    "москва",
    "солнышко",
    "наташа",
    "максим",
    "андрей",
    "александр",
    "дмитрий",
    "сергей",
    "алексей",
    "владимир",
    "татьяна",
    "анастасия",
    "кристина",
    "екатерина",
    "мария",
    "светлана",
    "ирина",
    "елена",
    "ольга",
    "марина",
    "настя",
    "мамочка",
    "котенок",
    "кошка",
    "собака",
    "зайка",
    "ангел",
    "барсик",
    "спартак",
    "зенит",
    "динамо",
    "счастье",
    "свобода",
    "победа",
    "родина",
    "компьютер",
];

/// How many characters in a row make a sequence, and the least length of a personal-data token.
const RUN: usize = 4;

/// Keyboard rows of the QWERTY and ЙЦУКЕН layouts, in lower case.
const KEYBOARD_ROWS: [&str; 7] = [
    "1234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю",
];

/// Checks a password against the policy and returns every rule it fails; empty means acceptable.
///
/// `personal` holds what the platform knows of the person, as given: phone, e-mail, name parts,
/// birth date. Values that are empty or short are harmless.
pub fn check(policy: &Policy, password: &str, personal: &[&str]) -> Vec<Weakness> {
    let mut failed = Vec::new();
    let lower: Vec<char> = password.chars().flat_map(char::to_lowercase).collect();

    if password.chars().count() < policy.min_length {
        failed.push(Weakness::TooShort);
    }
    if !password.chars().any(char::is_uppercase) {
        failed.push(Weakness::NoUppercase);
    }
    if !password.chars().any(char::is_lowercase) {
        failed.push(Weakness::NoLowercase);
    }
    if !password.chars().any(|c| c.is_numeric()) {
        failed.push(Weakness::NoDigit);
    }
    if !password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
    {
        failed.push(Weakness::NoSpecial);
    }
    if has_sequence(&lower) {
        failed.push(Weakness::KeyboardSequence);
    }

    let tokens = personal_tokens(personal);
    let lower: String = lower.into_iter().collect();
    if tokens.iter().any(|token| lower.contains(token.as_str())) {
        failed.push(Weakness::ContainsPersonalData);
    }

    // zxcvbn scores an empty password 0 and reads only the first 100 characters of a long one.
    let mut inputs: Vec<&str> = personal.to_vec();
    inputs.extend(tokens.iter().map(String::as_str));
    inputs.extend(RUSSIAN_COMMON_WORDS);
    let score: u8 = zxcvbn::zxcvbn(password, &inputs).score().into();
    if score < MIN_ZXCVBN_SCORE {
        failed.push(Weakness::Common);
    }
    failed
}

/// True when `lower` holds four characters in a row that repeat one character, step through the
/// alphabet or the digits by one (either way), or run along a keyboard row (either way).
fn has_sequence(lower: &[char]) -> bool {
    lower.windows(RUN).any(|window| {
        let same = window.iter().all(|&c| c == window[0]);
        let ascending = window
            .windows(2)
            .all(|p| alphabet_step(p[0], p[1]) == Some(1));
        let descending = window
            .windows(2)
            .all(|p| alphabet_step(p[0], p[1]) == Some(-1));
        same || ascending || descending || on_keyboard_row(window)
    })
}

/// The distance from `a` to `b` when both are in the same alphabet (Latin, Cyrillic, digits).
fn alphabet_step(a: char, b: char) -> Option<i64> {
    fn class(c: char) -> Option<u8> {
        match c {
            'a'..='z' => Some(0),
            '0'..='9' => Some(1),
            'а'..='я' => Some(2),
            _ => None,
        }
    }
    let class_a = class(a)?;
    if class(b)? != class_a {
        return None;
    }
    Some(i64::from(u32::from(b)) - i64::from(u32::from(a)))
}

fn on_keyboard_row(window: &[char]) -> bool {
    let forwards: String = window.iter().collect();
    let backwards: String = window.iter().rev().collect();
    KEYBOARD_ROWS
        .iter()
        .any(|row| row.contains(forwards.as_str()) || row.contains(backwards.as_str()))
}

/// The lower-case fragments of personal data that a password must not contain.
///
/// Each value is split on characters that are not letters or digits; tokens of four or more
/// characters count. An e-mail counts by its local part only (a domain such as `mail.ru` is not
/// personal). A value made of digits and separators (a phone, a date) also counts by all its digits
/// together, and a phone by its last 10 and last 7 digits.
fn personal_tokens(personal: &[&str]) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    let mut add = |token: String| {
        if token.chars().count() >= RUN && !tokens.contains(&token) {
            tokens.push(token);
        }
    };
    for value in personal {
        let value = value.trim().to_lowercase();
        let value = match value.split_once('@') {
            Some((local, _domain)) => local.to_owned(),
            None => value,
        };
        add(value.clone());
        for part in value.split(|c: char| !c.is_alphanumeric()) {
            add(part.to_owned());
        }
        let numeric = value
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().,/".contains(c));
        if numeric {
            let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
            for tail in [digits.len(), 10, 7] {
                if digits.len() >= tail && (tail == digits.len() || digits.len() >= 10) {
                    add(digits[digits.len() - tail..].iter().collect());
                }
            }
        }
    }
    tokens
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashParams {
    /// OWASP Password Storage Cheat Sheet, "Argon2id": "a minimum configuration of 19 MiB of
    /// memory, an iteration count of 2, and 1 degree of parallelism" (m=19456, t=2, p=1).
    fn default() -> Self {
        HashParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Why hashing or verifying could not be done (a wrong password is not an error).
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("invalid Argon2 parameters: {0}")]
    Params(argon2::Error),
    #[error("the hashing pool needs between 1 and {max} workers, not {0}", max = Semaphore::MAX_PERMITS)]
    Workers(usize),
    #[error("the stored password hash is malformed: {0}")]
    Malformed(password_hash::Error),
    #[error("password hashing failed: {0}")]
    Hashing(password_hash::Error),
    #[error("the hashing pool is closed")]
    PoolClosed,
    #[error("the hashing task failed (it panicked)")]
    Task,
    #[error("the hashing threads could not be started: {0}")]
    Threads(std::io::Error),
}

type Job = Box<dyn FnOnce() + Send>;

/// `workers` threads of their own that run hashing jobs: the same threads for the life of the
/// pool, like the raw benchmark's, rather than whichever blocking thread of tokio's is free (the
/// working memory then stays warm in one core's caches). They end when the last `Hasher` is
/// dropped and the sender with it.
fn start_threads(workers: usize) -> Result<mpsc::Sender<Job>, HashError> {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..workers {
        let rx = Arc::clone(&rx);
        std::thread::Builder::new()
            .name(format!("okno-argon2-{i}"))
            .spawn(move || loop {
                let job = match rx.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => return,
                };
                match job {
                    // A panicking job loses its answer (the caller sees `HashError::Task`), not
                    // the thread.
                    Ok(job) => {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                    Err(_) => return,
                }
            })
            .map_err(HashError::Threads)?;
    }
    Ok(tx)
}

/// The password the dummy hash is made of; nobody ever signs in with it.
const DUMMY_PASSWORD: &str = "okno-dummy-password-for-unknown-logins";

/// Hashes and verifies passwords with Argon2id, at most `workers` at once, on threads of its own
/// (never on tokio's workers). Clones share the pool.
#[derive(Clone)]
pub struct Hasher {
    inner: Arc<Inner>,
}

struct Inner {
    argon2: Argon2<'static>,
    params: HashParams,
    workers: usize,
    permits: Arc<Semaphore>,
    /// A hash of [`DUMMY_PASSWORD`] with the current parameters, made on first need.
    dummy: OnceLock<String>,
    /// Argon2 working memory (`memory_kib` KiB each) kept between verifications, at most one per
    /// worker: allocating and zeroing 19 MiB and faulting its pages in for every sign-in cost
    /// about a tenth of the hashing time.
    memory: Mutex<Vec<Vec<Block>>>,
    /// The pool's threads take jobs from here.
    jobs: mpsc::Sender<Job>,
    /// Hashes running right now inside the blocking section, and the most seen at once.
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.inner.params)
            .field("workers", &self.inner.workers)
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// A hasher with these parameters and a pool of `workers` concurrent hashes.
    pub fn new(params: HashParams, workers: usize) -> Result<Hasher, HashError> {
        if workers == 0 || workers > Semaphore::MAX_PERMITS {
            return Err(HashError::Workers(workers));
        }
        let argon2_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(HashError::Params)?;
        Ok(Hasher {
            inner: Arc::new(Inner {
                argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params),
                params,
                workers,
                permits: Arc::new(Semaphore::new(workers)),
                dummy: OnceLock::new(),
                memory: Mutex::new(Vec::new()),
                jobs: start_threads(workers)?,
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
            }),
        })
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> HashParams {
        self.inner.params
    }

    /// How many hashes or verifications hold a place in the pool right now.
    pub fn in_flight(&self) -> usize {
        self.inner.workers - self.inner.permits.available_permits()
    }

    /// The PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_owned();
        self.run(move |inner| inner.hash(&password)).await?
    }

    /// Whether `password` matches the stored PHC string; an error only when the string is
    /// malformed. The string's own parameters are used, so older hashes still verify.
    pub async fn verify(&self, phc: &str, password: &str) -> Result<bool, HashError> {
        let phc = phc.to_owned();
        let password = password.to_owned();
        self.run(move |inner| inner.verify(&phc, &password)).await?
    }

    /// Spends the time of one verification, for a login that does not exist, so that the answer's
    /// timing does not tell whether it does. The first call makes the dummy hash, which costs the
    /// same as verifying against it.
    pub async fn verify_dummy(&self, password: &str) {
        let password = password.to_owned();
        let outcome = self
            .run(move |inner| {
                let mut made_now = false;
                let phc = inner.dummy.get_or_init(|| {
                    made_now = true;
                    // A failure here would leave a string that verify refuses at once; it cannot
                    // happen with parameters that Hasher::new accepted.
                    inner.hash(DUMMY_PASSWORD).unwrap_or_default()
                });
                if !made_now {
                    let _ = inner.verify(phc, &password);
                }
            })
            .await;
        if let Err(error) = outcome {
            tracing::warn!(%error, "dummy password verification failed");
        }
    }

    /// [`Hasher::verify`] on the calling thread, outside the pool: for measuring the raw rate.
    pub fn verify_blocking(&self, phc: &str, password: &str) -> Result<bool, HashError> {
        self.inner.verify(phc, password)
    }

    /// True when `phc` was not made with Argon2id v19 and the current parameters (or cannot be
    /// read): the caller should store a fresh hash after the next successful sign-in.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(hash) = PasswordHash::new(phc) else {
            return true;
        };
        if hash.algorithm != Algorithm::Argon2id.ident()
            || hash.version != Some(Version::V0x13.into())
        {
            return true;
        }
        let Ok(stored) = Params::try_from(&hash) else {
            return true;
        };
        let current = self.inner.params;
        stored.m_cost() != current.memory_kib
            || stored.t_cost() != current.iterations
            || stored.p_cost() != current.parallelism
            || hash.hash.map(|output| output.len()) != Some(Params::DEFAULT_OUTPUT_LEN)
    }

    /// Waits for a place in the pool, then runs `work` on one of the pool's threads. The place is
    /// given back when `work` ends, even if the caller stops waiting for it.
    async fn run<T, F>(&self, work: F) -> Result<T, HashError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .map_err(|_| HashError::PoolClosed)?;
        let inner = Arc::clone(&self.inner);
        let (done, outcome) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let now = inner.running.fetch_add(1, Ordering::SeqCst) + 1;
            inner.peak.fetch_max(now, Ordering::SeqCst);
            let outcome = work(&inner);
            inner.running.fetch_sub(1, Ordering::SeqCst);
            // The place is free before the caller hears back (a panic in `work` frees it too, as
            // the closure unwinds).
            drop(permit);
            let _ = done.send(outcome);
        });
        self.inner
            .jobs
            .send(job)
            .map_err(|_| HashError::PoolClosed)?;
        outcome.await.map_err(|_| HashError::Task)
    }
}

impl Inner {
    fn hash(&self, password: &str) -> Result<String, HashError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(HashError::Hashing)
    }

    fn verify(&self, phc: &str, password: &str) -> Result<bool, HashError> {
        let hash = PasswordHash::new(phc).map_err(HashError::Malformed)?;
        // Without these the verifier would answer "wrong password" rather than "malformed".
        if hash.salt.is_none() || hash.hash.is_none() {
            return Err(HashError::Malformed(password_hash::Error::PhcStringField));
        }
        if hash.algorithm != Algorithm::Argon2id.ident() {
            // Another Argon2 variant (an imported hash): the crate's own path.
            return match self.argon2.verify_password(password.as_bytes(), &hash) {
                Ok(()) => Ok(true),
                Err(password_hash::Error::Password) => Ok(false),
                Err(error) => Err(HashError::Malformed(error)),
            };
        }
        let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
            return Err(HashError::Malformed(password_hash::Error::PhcStringField));
        };
        let params = Params::try_from(&hash).map_err(HashError::Malformed)?;
        let version = match hash.version {
            Some(v) => Version::try_from(v).map_err(|e| HashError::Malformed(e.into()))?,
            None => Version::default(),
        };
        let mut salt_bytes = [0u8; password_hash::Salt::MAX_LENGTH];
        let salt = salt
            .decode_b64(&mut salt_bytes)
            .map_err(HashError::Malformed)?;
        let mut out = vec![0u8; expected.len()];
        let blocks = params.block_count();
        let argon2 = Argon2::new(Algorithm::Argon2id, version, params);
        // The memory of a finished verification is reused as is: Argon2 overwrites every block in
        // its first pass before it reads one (RFC 9106 §3.4), so nothing of the last password leaks
        // into this one.
        let mut memory = self
            .memory
            .lock()
            .map(|mut m| m.pop())
            .unwrap_or_default()
            .unwrap_or_default();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        let outcome = argon2.hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut memory[..blocks],
        );
        if memory.len() == self.params.memory_kib as usize {
            if let Ok(mut m) = self.memory.lock() {
                if m.len() < self.workers {
                    m.push(memory);
                }
            }
        }
        outcome.map_err(|e| HashError::Malformed(e.into()))?;
        // `Output` compares in constant time.
        let computed = password_hash::Output::new(&out).map_err(HashError::Malformed)?;
        Ok(computed == expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::Duration;

    fn weaknesses(password: &str, personal: &[&str]) -> Vec<Weakness> {
        check(&Policy::default(), password, personal)
    }

    fn fails(password: &str, personal: &[&str], weakness: Weakness) -> bool {
        weaknesses(password, personal).contains(&weakness)
    }

    #[test]
    fn strong_passwords_pass() {
        assert_eq!(weaknesses("Xk7#vT9q!mPz", &[]), vec![]);
        assert_eq!(weaknesses("Лиса-На-Крыше7", &[]), vec![]);
        assert_eq!(
            weaknesses(
                "Xk7#vT9q!mPz",
                &["+7 (912) 345-67-89", "ivan.petrov@mail.ru"]
            ),
            vec![]
        );
    }

    #[test]
    fn the_cyrillic_passphrase_scores_at_least_three() {
        let score: u8 = zxcvbn::zxcvbn("Лиса-На-Крыше7", &[]).score().into();
        assert!(score >= 3, "score {score}");
    }

    #[test]
    fn well_known_weak_passwords_fail() {
        for password in ["Qwerty123!", "Password1!", "Pa$$w0rd1"] {
            assert!(
                !weaknesses(password, &[]).is_empty(),
                "{password} was accepted"
            );
        }
        assert!(fails("Qwerty123!", &[], Weakness::KeyboardSequence));
        assert!(fails("Password1!", &[], Weakness::Common));
        assert!(fails("Pa$$w0rd1", &[], Weakness::Common));
        let found = weaknesses("Иванов1985!", &["Иванов"]);
        assert!(found.contains(&Weakness::ContainsPersonalData), "{found:?}");
    }

    #[test]
    fn a_short_password_fails_on_length_counted_in_characters() {
        assert!(fails("Xk7#vT9", &[], Weakness::TooShort));
        // Seven Cyrillic letters are fourteen bytes but seven characters.
        assert!(fails("Жк7#вТ9", &[], Weakness::TooShort));
        assert!(!fails("Жк7#вТ9ю", &[], Weakness::TooShort));
        let long = Policy { min_length: 14 };
        assert!(check(&long, "Xk7#vT9q!mPz", &[]).contains(&Weakness::TooShort));
    }

    #[test]
    fn letters_of_both_cases_are_needed_in_latin_or_cyrillic() {
        assert!(fails("xk7#vt9q!mpz", &[], Weakness::NoUppercase));
        assert!(fails("XK7#VT9Q!MPZ", &[], Weakness::NoLowercase));
        assert!(!fails("жк7#вт9ю!Mпз", &[], Weakness::NoUppercase));
        assert!(!fails("ЖК7#ВТ9Ю!mПЗ", &[], Weakness::NoLowercase));
    }

    #[test]
    fn a_digit_is_needed() {
        assert!(fails("Xkq#vTsq!mPz", &[], Weakness::NoDigit));
        assert!(!fails("Xk7#vTsq!mPz", &[], Weakness::NoDigit));
    }

    #[test]
    fn a_special_character_is_needed_and_a_space_is_not_one() {
        assert!(fails("Xk7vT9qmPz", &[], Weakness::NoSpecial));
        assert!(fails("Xk7 vT9 qmPz", &[], Weakness::NoSpecial));
        assert!(!fails("Xk7-vT9qmPz", &[], Weakness::NoSpecial));
    }

    #[test]
    fn sequences_along_the_alphabet_and_the_keyboard_fail() {
        for sequence in [
            "abcd", "DCBA", "1234", "4321", "абвг", "ГВБА", "qwer", "ASDF", "lkjh", "mnbv", "7890",
            "йцук", "ЖДЛО", "ячсм", "aaaa", "1111", "щщщщ",
        ] {
            let password = format!("Zk#9{sequence}Xq!");
            assert!(
                fails(&password, &[], Weakness::KeyboardSequence),
                "{password}"
            );
        }
        for harmless in ["abce", "1235", "qwtr", "aaab", "z0a1", "yzab", "890-"] {
            let password = format!("Zk#9{harmless}Xq!");
            assert!(
                !fails(&password, &[], Weakness::KeyboardSequence),
                "{password}"
            );
        }
    }

    #[test]
    fn personal_data_fails_in_any_case() {
        let person = [
            "+7 (912) 345-67-89",
            "ivan.petrov@mail.ru",
            "Иван",
            "Петров",
            "14.03.1985",
        ];
        for password in [
            "Xk#9ИВАН!q",
            "Xk#9петров!q",
            "Xk#9IVAN!q",
            "Xk#9Petrov!q",
            "Xk#9ivan.petrov!q",
            "Xk#1985!q",
            "Xk#3456789!q",
            "Xk#9123456789!q",
            "Xk#14031985!q",
        ] {
            assert!(
                fails(password, &person, Weakness::ContainsPersonalData),
                "{password}"
            );
        }
        // Short tokens (7, 912, 03) and the e-mail's domain are not personal data.
        for password in ["Xk#912Zq!mP", "Xk#mailZq!mP", "Xk7#vT9q!mPz"] {
            assert!(
                !fails(password, &person, Weakness::ContainsPersonalData),
                "{password}"
            );
        }
    }

    #[test]
    fn guessable_passwords_are_common() {
        assert!(fails("Monkey12#a", &[], Weakness::Common));
        assert!(fails("Пароль123!", &[], Weakness::Common));
        assert!(fails("Любовь2024!", &[], Weakness::Common));
        assert!(fails("", &[], Weakness::Common));
        assert!(!fails("Xk7#vT9q!mPz", &[], Weakness::Common));
    }

    #[test]
    fn every_failure_is_reported_at_once() {
        assert_eq!(
            weaknesses("aaaa", &[]),
            vec![
                Weakness::TooShort,
                Weakness::NoUppercase,
                Weakness::NoDigit,
                Weakness::NoSpecial,
                Weakness::KeyboardSequence,
                Weakness::Common,
            ]
        );
        assert_eq!(weaknesses("", &[]).len(), 6);
        assert_eq!(
            weaknesses("иванов", &["Иванов"]),
            vec![
                Weakness::TooShort,
                Weakness::NoUppercase,
                Weakness::NoDigit,
                Weakness::NoSpecial,
                Weakness::ContainsPersonalData,
                Weakness::Common,
            ]
        );
    }

    #[test]
    fn codes_are_stable_and_messages_are_russian() {
        let codes: Vec<&str> = Weakness::ALL.iter().map(|w| w.code()).collect();
        assert_eq!(codes[0], "password.too_short");
        assert!(codes.iter().all(|c| c.starts_with("password.")));
        let policy = Policy::default();
        assert_eq!(Weakness::TooShort.message(&policy), "Не менее 8 символов");
        assert_eq!(
            Weakness::TooShort.message(&Policy { min_length: 21 }),
            "Не менее 21 символа"
        );
        assert_eq!(
            Weakness::TooShort.message(&Policy { min_length: 11 }),
            "Не менее 11 символов"
        );
        for weakness in Weakness::ALL {
            assert!(weakness
                .message(&policy)
                .chars()
                .any(|c| ('а'..='я').contains(&c)));
        }
        assert_eq!(
            serde_json::to_string(&Weakness::ContainsPersonalData).unwrap(),
            "\"contains_personal_data\""
        );
    }

    proptest! {
        #[test]
        fn check_never_panics_and_counts_length_in_characters(
            password in "\\PC{0,40}",
            personal in proptest::collection::vec("\\PC{0,20}", 0..4),
        ) {
            let personal: Vec<&str> = personal.iter().map(String::as_str).collect();
            let found = check(&Policy::default(), &password, &personal);
            prop_assert_eq!(
                found.contains(&Weakness::TooShort),
                password.chars().count() < 8
            );
            let mut sorted = found.clone();
            sorted.sort_by_key(|w| Weakness::ALL.iter().position(|a| a == w));
            sorted.dedup();
            prop_assert_eq!(found, sorted);
        }
    }

    fn fast() -> HashParams {
        HashParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn default_parameters_are_owasps() {
        assert_eq!(
            HashParams::default(),
            HashParams {
                memory_kib: 19456,
                iterations: 2,
                parallelism: 1
            }
        );
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = Hasher::new(fast(), 2).unwrap();
        let phc = hasher.hash("Secret#Pass1").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{phc}");
        assert!(hasher.verify(&phc, "Secret#Pass1").await.unwrap());
        assert!(!hasher.verify(&phc, "Secret#Pass2").await.unwrap());
        assert!(!hasher.verify(&phc, "secret#pass1").await.unwrap());
        assert!(hasher.verify_blocking(&phc, "Secret#Pass1").unwrap());
        assert!(!hasher.verify_blocking(&phc, "").unwrap());
    }

    #[tokio::test]
    async fn reused_working_memory_gives_the_crates_own_answers() {
        // A hash made by the argon2 crate's own path, checked again and again through the pooled
        // memory, right and wrong in turn: the leftovers of one verification never change the next.
        let params = Params::new(1024, 2, 1, None).unwrap();
        let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"Secret#Pass1", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let hasher = Hasher::new(
            HashParams {
                memory_kib: 1024,
                iterations: 2,
                ..fast()
            },
            2,
        )
        .unwrap();
        for _ in 0..3 {
            assert!(hasher.verify(&phc, "Secret#Pass1").await.unwrap());
            assert!(!hasher.verify(&phc, "Secret#Pass2").await.unwrap());
        }
        let kept = hasher.inner.memory.lock().unwrap().len();
        assert!((1..=2).contains(&kept), "{kept} buffers kept");
    }

    #[tokio::test]
    async fn each_hash_has_its_own_salt() {
        let hasher = Hasher::new(fast(), 1).unwrap();
        let first = hasher.hash("Secret#Pass1").await.unwrap();
        let second = hasher.hash("Secret#Pass1").await.unwrap();
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_malformed_hash_is_an_error_not_a_mismatch() {
        let hasher = Hasher::new(fast(), 1).unwrap();
        for phc in [
            "",
            "plain text",
            "$argon2id$v=19$m=1024",
            "$pbkdf2$i=1$c2FsdA$aGFzaA",
        ] {
            assert!(
                matches!(
                    hasher.verify(phc, "Secret#Pass1").await,
                    Err(HashError::Malformed(_))
                ),
                "{phc}"
            );
        }
    }

    #[tokio::test]
    async fn the_default_parameters_make_an_owasp_hash() {
        let hasher = Hasher::new(HashParams::default(), 1).unwrap();
        let phc = hasher.hash("Secret#Pass1").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hasher.verify(&phc, "Secret#Pass1").await.unwrap());
    }

    #[tokio::test]
    async fn hashes_made_with_other_parameters_verify_and_need_a_rehash() {
        let old = Hasher::new(fast(), 1).unwrap();
        let new = Hasher::new(
            HashParams {
                memory_kib: 2048,
                ..fast()
            },
            1,
        )
        .unwrap();
        let phc = old.hash("Secret#Pass1").await.unwrap();
        assert!(new.verify(&phc, "Secret#Pass1").await.unwrap());
        assert!(new.needs_rehash(&phc));
        assert!(!old.needs_rehash(&phc));
        assert!(old.needs_rehash("garbage"));
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"Secret#Pass1", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(old.needs_rehash(&argon2i));
        assert!(old.verify(&argon2i, "Secret#Pass1").await.unwrap());
    }

    #[tokio::test]
    async fn the_dummy_verification_uses_a_hash_made_once() {
        let hasher = Hasher::new(fast(), 1).unwrap();
        hasher.verify_dummy("whoever").await;
        let dummy = hasher.inner.dummy.get().cloned().unwrap();
        assert!(!hasher.needs_rehash(&dummy));
        hasher.clone().verify_dummy("whoever").await;
        assert_eq!(hasher.inner.dummy.get(), Some(&dummy));
        assert_eq!(hasher.in_flight(), 0);
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(matches!(Hasher::new(fast(), 0), Err(HashError::Workers(0))));
        let too_little = HashParams {
            memory_kib: 4,
            ..fast()
        };
        assert!(matches!(
            Hasher::new(too_little, 1),
            Err(HashError::Params(_))
        ));
    }

    #[test]
    fn debug_shows_no_hash_material() {
        let hasher = Hasher::new(fast(), 3).unwrap();
        let shown = format!("{hasher:?}");
        assert!(shown.contains("workers: 3"), "{shown}");
        assert!(!shown.contains("argon2"), "{shown}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_most_the_pool_size_of_hashes_run_at_once() {
        // Heavier than fast() so that the six hashes overlap in time.
        let hasher = Hasher::new(
            HashParams {
                memory_kib: 8192,
                iterations: 2,
                parallelism: 1,
            },
            2,
        )
        .unwrap();
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash(&format!("Secret#Pass{i}")).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let peak = hasher.inner.peak.load(Ordering::SeqCst);
        assert!((1..=2).contains(&peak), "peak {peak}");
        assert_eq!(hasher.in_flight(), 0);
    }

    #[tokio::test]
    async fn a_caller_waits_while_the_pool_is_full() {
        let hasher = Hasher::new(fast(), 1).unwrap();
        let held = Arc::clone(&hasher.inner.permits)
            .acquire_owned()
            .await
            .unwrap();
        assert_eq!(hasher.in_flight(), 1);
        let waiting = tokio::time::timeout(Duration::from_millis(200), hasher.hash("Secret#Pass1"));
        assert!(waiting.await.is_err(), "hashed without a place in the pool");
        drop(held);
        assert_eq!(hasher.in_flight(), 0);
        let phc = hasher.hash("Secret#Pass1").await.unwrap();
        assert!(hasher.verify(&phc, "Secret#Pass1").await.unwrap());
    }
}
