//! Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) for the second
//! factor: secrets, the `otpauth://` provisioning URI with its QR code, and code checking.

use rand::rngs::OsRng;
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

/// Digits in a code.
pub const DIGITS: usize = 6;
/// Seconds in a time step.
pub const STEP_SECONDS: u64 = 30;
/// Steps accepted before and after the current one, for clocks that drift.
pub const SKEW_STEPS: u64 = 1;
/// Bytes in a new secret: 160 bits, as RFC 4226 section 4 recommends.
pub const SECRET_BYTES: usize = 20;

/// Why a QR code could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("the provisioning URI does not fit in a QR code: {0}")]
pub struct QrError(#[from] qrcode::types::QrError);

/// A fresh random secret of [`SECRET_BYTES`] bytes from the operating system.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    secret
}

/// The secret in RFC 4648 base32 without padding, as authenticator apps take it typed in.
pub fn secret_base32(secret: &[u8]) -> String {
    totp(secret).get_secret_base32()
}

/// The secret back from its base32 form (upper case, without padding); `None` if it is not base32.
/// Spaces (as the key is shown, in groups of four) and lower case are accepted.
pub fn secret_from_base32(encoded: &str) -> Option<Vec<u8>> {
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Secret::Encoded(compact).to_bytes().ok()
}

/// The base32 key in groups of four (`3YH7 SAFJ …`), for typing by hand into an app.
pub fn grouped(base32: &str) -> String {
    base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://totp/…` URI that an authenticator app reads from a QR code (Google's Key URI
/// format), with the issuer and the account percent-encoded as UTF-8.
pub fn provisioning_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret_base32(secret),
    )
}

/// RFC 3986's unreserved characters (`A–Z a–z 0–9 - . _ ~`): everything else is encoded.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

/// An SVG image (at least 220×220, with the quiet zone) of the URI's QR code, ready to be placed
/// inside an HTML page: it has no XML declaration and starts with `<svg`.
pub fn qr_svg(uri: &str) -> Result<String, QrError> {
    let code = qrcode::QrCode::new(uri.as_bytes())?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}

/// The code for the moment `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    totp(secret).generate(unix_seconds)
}

/// Checks a code typed at `unix_seconds`, accepting the current step and [`SKEW_STEPS`] either
/// side. Spaces in the code are ignored; anything but six digits is refused. Returns the matched
/// step (`unix_seconds / 30` of the code's time), so that the caller can refuse a code of the same
/// or an earlier step than the last one accepted.
pub fn check(secret: &[u8], code: &str, unix_seconds: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret);
    let current = unix_seconds / STEP_SECONDS;
    let first = current.saturating_sub(SKEW_STEPS);
    let last = current.saturating_add(SKEW_STEPS);
    // The latest matching step wins, so that a replay guard errs on the safe side.
    (first..=last).rev().find(|&step| {
        step.checked_mul(STEP_SECONDS)
            .is_some_and(|time| constant_time_eq(totp.generate(time).as_bytes(), code.as_bytes()))
    })
}

fn totp(secret: &[u8]) -> TOTP {
    // Unchecked only in the secret's length: the digits are a valid constant. The skew is unused,
    // `check` walks the window itself to learn the matched step.
    TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 0, STEP_SECONDS, secret.to_vec())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1: the ASCII secret and the last six digits of each 8-digit code.
    const RFC_SECRET: &[u8] = b"12345678901234567890";
    const RFC_VECTORS: [(u64, &str); 6] = [
        (59, "287082"),
        (1_111_111_109, "081804"),
        (1_111_111_111, "050471"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
        (20_000_000_000, "353130"),
    ];

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        for (time, code) in RFC_VECTORS {
            assert_eq!(code_at(RFC_SECRET, time), code, "at {time}");
            assert_eq!(check(RFC_SECRET, code, time), Some(time / 30), "at {time}");
        }
    }

    #[test]
    fn one_step_of_clock_skew_is_accepted_and_two_are_not() {
        let now = 1_700_000_015;
        let step = now / 30;
        let secret = new_secret();
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let time = (now as i64 + offset * 30) as u64;
            let code = code_at(&secret, time);
            let expected = accepted.then(|| (step as i64 + offset) as u64);
            assert_eq!(check(&secret, &code, now), expected, "offset {offset}");
        }
    }

    #[test]
    fn spaces_are_ignored_and_other_input_is_refused() {
        let (time, code) = RFC_VECTORS[3];
        let spaced = format!(" {} {} ", &code[..3], &code[3..]);
        assert_eq!(check(RFC_SECRET, &spaced, time), Some(time / 30));
        for wrong in [
            "",
            "00592",
            "0059240",
            "89005924",
            "00592a",
            "+05924",
            "٠٠٥٩٢٤",
            "005925",
        ] {
            assert_eq!(check(RFC_SECRET, wrong, time), None, "{wrong:?}");
        }
    }

    #[test]
    fn the_first_steps_after_the_epoch_do_not_underflow() {
        let code = code_at(RFC_SECRET, 0);
        assert_eq!(check(RFC_SECRET, &code, 0), Some(0));
        assert_eq!(check(RFC_SECRET, &code, 30), Some(0));
        assert_eq!(check(RFC_SECRET, &code_at(RFC_SECRET, 45), 10), Some(1));
        // The step after the last representable one is skipped, not overflowed.
        let _ = check(RFC_SECRET, "000000", u64::MAX);
    }

    #[test]
    fn secrets_are_fresh_and_base32_round_trips() {
        let secret = new_secret();
        assert_eq!(secret.len(), 20);
        assert_ne!(secret, new_secret());
        let encoded = secret_base32(&secret);
        assert_eq!(encoded.len(), 32);
        assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_eq!(secret_from_base32(&encoded), Some(secret));
        assert_eq!(
            secret_base32(RFC_SECRET),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(secret_from_base32("not base32!"), None);
    }

    #[test]
    fn the_key_shown_in_groups_of_four_reads_back() {
        let secret = new_secret();
        let shown = grouped(&secret_base32(&secret));
        assert_eq!(shown.len(), 32 + 7);
        assert_eq!(shown.split(' ').count(), 8);
        assert_eq!(secret_from_base32(&shown.to_lowercase()), Some(secret));
    }

    #[test]
    fn the_provisioning_uri_carries_everything_an_app_needs() {
        let uri = provisioning_uri(RFC_SECRET, "Окно", "ivan.petrov@mail.ru");
        assert_eq!(
            uri,
            "otpauth://totp/%D0%9E%D0%BA%D0%BD%D0%BE:ivan.petrov%40mail.ru\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%D0%9E%D0%BA%D0%BD%D0%BE\
             &algorithm=SHA1&digits=6&period=30"
        );
        let secret = new_secret();
        let uri = provisioning_uri(&secret, "Госуслуги региона", "+7 912 345-67-89");
        assert!(uri.starts_with("otpauth://totp/%D0%93"), "{uri}");
        assert!(uri.contains(":%2B7%20912%20345-67-89?"), "{uri}");
        let encoded = uri
            .split(['?', '&'])
            .find_map(|part| part.strip_prefix("secret="))
            .unwrap();
        assert_eq!(secret_from_base32(encoded), Some(secret));
    }

    #[test]
    fn the_qr_code_is_an_inline_svg() {
        let uri = provisioning_uri(&new_secret(), "Окно", "ivan.petrov@mail.ru");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.ends_with("</svg>"));
        let width: u32 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|w| w.parse().ok())
            .unwrap();
        assert!(width >= 220, "width {width}");
        assert!(qr_svg(&"x".repeat(8000)).is_err());
    }
}
