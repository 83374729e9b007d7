//! What the directory's use cases share: field errors, the form of a code, the word for «no
//! category», and Russia's time zones.

use okno_kernel::error::FieldError;

pub(super) fn field(errors: &mut Vec<FieldError>, f: &str, code: &str, msg: impl Into<String>) {
    errors.push(FieldError {
        field: f.into(),
        code: code.into(),
        message: msg.into(),
    });
}

pub(super) fn is_code(code: &str) -> bool {
    (2..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What a category filter (`/services?category=`, `GET /api/v1/services?category=`) says for
/// the services in no category; no category may take it as its code.
pub const NO_CATEGORY: &str = "none";

/// The Russian Federation's IANA zones (all eleven offsets).
pub const RUSSIAN_TIME_ZONES: [&str; 21] = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Simferopol",
    "Europe/Kirov",
    "Europe/Volgograd",
    "Europe/Astrakhan",
    "Europe/Saratov",
    "Europe/Ulyanovsk",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Barnaul",
    "Asia/Tomsk",
    "Asia/Novokuznetsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Chita",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
];

pub(super) fn is_time_zone(tz: &str) -> bool {
    RUSSIAN_TIME_ZONES.contains(&tz)
        || [
            "Asia/Sakhalin",
            "Asia/Srednekolymsk",
            "Asia/Kamchatka",
            "Asia/Anadyr",
            "Asia/Khandyga",
            "Asia/Ust-Nera",
        ]
        .contains(&tz)
}
