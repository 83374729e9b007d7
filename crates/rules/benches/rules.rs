//! Criterion benchmarks of okno-rules: parsing each identifier, formatting money, stepping the
//! production calendar by 30 working days and building + parsing a payment QR payload.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use jiff::civil::date;
use okno_rules::{
    Account, Bik, Inn, Kopecks, Kpp, Ogrn, Ogrnip, PassportRf, PaymentQr, Phone,
    ProductionCalendar, Snils, Uin,
};

fn identifiers(c: &mut Criterion) {
    let bik = Bik::parse("044525225").ok();
    c.bench_function("snils", |b| {
        b.iter(|| Snils::parse(black_box("112-233-445 95")))
    });
    c.bench_function("inn10", |b| b.iter(|| Inn::parse(black_box("7707083893"))));
    c.bench_function("inn12", |b| {
        b.iter(|| Inn::parse(black_box("123456789047")))
    });
    c.bench_function("ogrn", |b| {
        b.iter(|| Ogrn::parse(black_box("1027700132195")))
    });
    c.bench_function("ogrnip", |b| {
        b.iter(|| Ogrnip::parse(black_box("304500116000157")))
    });
    c.bench_function("kpp", |b| b.iter(|| Kpp::parse(black_box("773601001"))));
    c.bench_function("bik", |b| b.iter(|| Bik::parse(black_box("044525225"))));
    if let Some(bik) = &bik {
        c.bench_function("account_corr", |b| {
            b.iter(|| Account::parse_correspondent(black_box("30101810400000000225"), bik))
        });
    }
    c.bench_function("uin", |b| {
        b.iter(|| Uin::parse(black_box("11111111111111111111")))
    });
    c.bench_function("passport", |b| {
        b.iter(|| PassportRf::parse(black_box("45 08 123456")))
    });
    c.bench_function("phone", |b| {
        b.iter(|| Phone::parse(black_box("+7 (916) 123 45 67")))
    });
}

fn money(c: &mut Criterion) {
    c.bench_function("kopecks_display", |b| {
        b.iter(|| black_box(Kopecks(-123_456_789)).to_string())
    });
    c.bench_function("kopecks_parse", |b| {
        b.iter(|| Kopecks::from_rubles_str(black_box("1 234 567,89")))
    });
}

fn calendar(c: &mut Criterion) {
    let cal = ProductionCalendar::embedded();
    c.bench_function("add_working_days_30", |b| {
        b.iter(|| cal.add_working_days(black_box(date(2025, 12, 1)), black_box(30)))
    });
    c.bench_function("add_working_days_30_fallback_year", |b| {
        b.iter(|| cal.add_working_days(black_box(date(2027, 12, 1)), black_box(30)))
    });
}

fn qr(c: &mut Criterion) {
    c.bench_function("qr_build_and_parse", |b| {
        b.iter(|| {
            let qr = PaymentQr::builder(
                black_box("Казначейство России (ФНС России)"),
                "03100643000000018500",
                "ОТДЕЛЕНИЕ ТУЛА БАНКА РОССИИ",
                "017003983",
                "40102810445370000059",
            )
            .sum(Kopecks(123_450))
            .purpose("Единый налоговый платёж")
            .payee_inn("7727406020")
            .build();
            qr.and_then(|q| PaymentQr::parse(&q.to_payload()))
        })
    });
}

criterion_group!(benches, identifiers, money, calendar, qr);
criterion_main!(benches);
