//! An agency loads its charges as a CSV file: the whole file in one transaction, or nothing with
//! every bad line named.
//!
//! The file: UTF-8 (a byte-order mark is allowed), fields separated by `;` (as a Russian
//! spreadsheet saves them) or `,`, the first line naming the columns in any order:
//! `uin;kind;payer_kind;payer_id;payer_name;purpose;amount;due_date` and, optionally,
//! `kbk;oktmo;ruling_date;discount_percent;discount_days`. `amount` is in roubles
//! (`1500,00` or `1500.00`).

use std::collections::HashMap;

use okno_kernel::actor::Actor;
use okno_kernel::error::{FieldError, Problem, Result};
use okno_kernel::Platform;
use serde::Serialize;

use super::access::check_agency;
use super::charges::{agency_today, check_charge, payee_of, record_new, NewCharge};

/// The header of a file with every column.
pub const CSV_HEADER: &str = "uin;kind;payer_kind;payer_id;payer_name;purpose;amount;due_date;kbk;oktmo;ruling_date;discount_percent;discount_days";
const REQUIRED: [&str; 8] = [
    "uin",
    "kind",
    "payer_kind",
    "payer_id",
    "payer_name",
    "purpose",
    "amount",
    "due_date",
];
const OPTIONAL: [&str; 5] = [
    "kbk",
    "oktmo",
    "ruling_date",
    "discount_percent",
    "discount_days",
];
/// Lines a file may hold.
pub const MAX_LINES: usize = 10_000;

/// What a file loaded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChargesLoaded)]
pub struct Loaded {
    pub loaded: usize,
    pub total_kopecks: i64,
}

fn file_error(code: &str, message: impl Into<String>) -> Problem {
    Problem::invalid_field("file", code, message)
}

fn line_error(e: &mut Vec<FieldError>, line: usize, field: &str, code: &str, message: &str) {
    e.push(FieldError {
        field: format!("line {line}: {field}"),
        code: code.into(),
        message: format!("Строка {line}, поле «{field}»: {message}"),
    });
}

/// The lines of a file as charges with their line numbers, and what could not be read in them
/// (a line with a bad amount still goes on to be checked, with a placeholder amount, so that all
/// of its problems are named together).
type Lines = (Vec<(usize, NewCharge)>, Vec<FieldError>);

/// The file's lines; a problem when the file as a whole cannot be read.
pub fn parse(agency: &str, bytes: &[u8]) -> std::result::Result<Lines, Problem> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        file_error(
            "charges.csv_encoding",
            "Файл не в кодировке UTF-8. Сохраните его как «CSV UTF-8».",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let sep = if first.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| file_error("charges.csv_header", "Не удалось прочитать первую строку."))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| !header.iter().any(|h| h == r))
        .collect();
    if !missing.is_empty() {
        return Err(file_error(
            "charges.csv_header",
            format!(
                "В первой строке нет столбцов: {}. Нужна строка заголовков: {CSV_HEADER}.",
                missing.join(", ")
            ),
        ));
    }
    if let Some(unknown) = header
        .iter()
        .find(|h| !REQUIRED.contains(&h.as_str()) && !OPTIONAL.contains(&h.as_str()))
    {
        return Err(file_error(
            "charges.csv_header",
            format!("Неизвестный столбец «{unknown}». Допустимые: {CSV_HEADER}."),
        ));
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if i >= MAX_LINES {
            return Err(file_error(
                "charges.csv_too_long",
                format!("В файле больше {MAX_LINES} строк. Разделите его на части."),
            ));
        }
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                line_error(
                    &mut errors,
                    line,
                    "*",
                    "charges.csv_line",
                    "строка не читается как CSV.",
                );
                continue;
            }
        };
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let cells: HashMap<&str, &str> = header
            .iter()
            .map(String::as_str)
            .zip(record.iter().map(str::trim))
            .collect();
        if let Some((field, c)) = cells
            .iter()
            .find_map(|(k, v)| okno_kernel::text::refused_char(v, true).map(|c| (*k, c)))
        {
            line_error(
                &mut errors,
                line,
                field,
                okno_kernel::text::CONTROL_CODE,
                &okno_kernel::text::refused_message(c),
            );
            continue;
        }
        let cell = |k: &str| cells.get(k).copied().unwrap_or("").to_string();
        let opt = |k: &str| Some(cell(k)).filter(|v| !v.is_empty());
        let amount = match okno_rules::Kopecks::from_rubles_str(&cell("amount")) {
            Ok(k) => k.get(),
            Err(e) => {
                line_error(
                    &mut errors,
                    line,
                    "amount",
                    e.code(),
                    "сумма в рублях, например 1500,00.",
                );
                // A placeholder that passes, so the check names only the line's other problems.
                1
            }
        };
        let mut number = |k: &str| match opt(k).map(|v| v.parse::<i64>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                line_error(&mut errors, line, k, "charges.csv_number", "целое число.");
                None
            }
        };
        let discount_percent = number("discount_percent");
        let discount_days = number("discount_days");
        out.push((
            line,
            NewCharge {
                agency: agency.to_string(),
                uin: cell("uin"),
                kind: cell("kind"),
                payer_kind: cell("payer_kind"),
                payer_id: cell("payer_id"),
                payer_name: cell("payer_name"),
                purpose: cell("purpose"),
                amount_kopecks: amount,
                due_date: cell("due_date"),
                kbk: opt("kbk"),
                oktmo: opt("oktmo"),
                ruling_date: opt("ruling_date"),
                discount_percent,
                discount_days,
            },
        ));
    }
    if out.is_empty() && errors.is_empty() {
        return Err(file_error(
            "charges.csv_empty",
            "В файле нет ни одного начисления.",
        ));
    }
    Ok((out, errors))
}

/// The line a field error is about (they are named «line N: field»).
fn line_of(e: &FieldError) -> usize {
    e.field
        .strip_prefix("line ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn invalid(errors: Vec<FieldError>) -> Problem {
    Problem::invalid_fields(errors).with_detail(
        "Файл не загружен: исправьте перечисленные строки и загрузите его целиком ещё раз.",
    )
}

/// Loads an agency's file of charges: all of them in one transaction, or none.
pub async fn load_csv(p: &Platform, actor: &Actor, agency: &str, bytes: &[u8]) -> Result<Loaded> {
    check_agency(&p.db, actor, agency).await?;
    let payee = payee_of(p, agency).await?;
    let today = agency_today(p, agency).await?;
    let (lines, mut errors) = parse(agency, bytes)?;
    let mut rows = Vec::with_capacity(lines.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, n) in &lines {
        let key: String = n.uin.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(first) = seen.get(&key) {
            line_error(
                &mut errors,
                *line,
                "uin",
                "charge.uin_repeated",
                &format!("этот УИН уже был в строке {first}."),
            );
        } else {
            seen.insert(key, *line);
        }
        match check_charge(n, &payee, &p.secrets, today, "csv", &actor.name) {
            Ok(c) => rows.push((*line, c)),
            Err(fields) => {
                for f in fields {
                    line_error(&mut errors, *line, &f.field, &f.code, &f.message);
                }
            }
        }
    }
    if !errors.is_empty() {
        // By line; within a line, what could not be read first, then what the check found.
        errors.sort_by_key(line_of);
        return Err(invalid(errors).into());
    }
    let mut tx = p.db.begin().await?;
    let uins: Vec<String> = rows.iter().map(|(_, c)| c.uin.clone()).collect();
    let taken = crate::store::taken_uins(&mut tx, &uins).await?;
    for (line, c) in &rows {
        if taken.contains(&c.uin) {
            line_error(
                &mut errors,
                *line,
                "uin",
                "charge.uin_taken",
                "начисление с этим УИН уже загружено.",
            );
        }
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        return Err(invalid(errors).into());
    }
    let mut total = 0_i64;
    for (line, c) in &rows {
        if !record_new(&mut tx, actor, c).await? {
            // Another load took the УИН between the check and now: nothing of this file stays.
            tx.rollback().await?;
            line_error(
                &mut errors,
                *line,
                "uin",
                "charge.uin_taken",
                "начисление с этим УИН только что загружено.",
            );
            return Err(invalid(errors).into());
        }
        total += c.amount_kopecks;
    }
    tx.commit().await?;
    Ok(Loaded {
        loaded: rows.len(),
        total_kopecks: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_semicolons_with_a_bom_and_columns_in_any_order() {
        let file = "\u{feff}amount;uin;kind;payer_kind;payer_id;payer_name;purpose;due_date\n\
                    1500,00;18810471000000000000000071;fine;snils;112-233-445 95;Иванов И. И.;Штраф;2027-01-10\n\n";
        let (lines, errors) = parse("gibdd", file.as_bytes()).unwrap();
        assert!(errors.is_empty());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].0, 2);
        assert_eq!(lines[0].1.amount_kopecks, 150_000);
        assert_eq!(lines[0].1.payer_id, "112-233-445 95");
    }

    #[test]
    fn every_bad_line_is_named() {
        let file = format!(
            "{CSV_HEADER}\n\
             1;fine;snils;1;И;Ш;15 рублей;2027-01-10;;;;;\n\
             2;fine;snils;1;И;Ш;15;2027-01-10;;;;пять;\n\
             3;fine;snils;1;И;Ш\u{0};15;2027-01-10;;;;;\n"
        );
        let (lines, errors) = parse("gibdd", file.as_bytes()).unwrap();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "line 2: amount",
                "line 3: discount_percent",
                "line 4: purpose"
            ]
        );
        assert!(errors[2].message.contains("нулевой байт"));
        // Lines with a bad number go on to be checked; a line with a control character does not.
        assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(line_of(&errors[1]), 3);
    }

    #[test]
    fn a_file_without_the_required_columns_or_lines_is_refused() {
        let p = parse("gibdd", b"uin;kind\n1;fine\n").unwrap_err();
        assert_eq!(p.errors[0].code, "charges.csv_header");
        assert!(p.errors[0].message.contains("payer_kind"));
        let p = parse("gibdd", format!("{CSV_HEADER}\n").as_bytes()).unwrap_err();
        assert_eq!(p.errors[0].code, "charges.csv_empty");
        let p = parse("gibdd", b"\xff\xfe").unwrap_err();
        assert_eq!(p.errors[0].code, "charges.csv_encoding");
    }
}
