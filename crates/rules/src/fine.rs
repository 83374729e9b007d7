//! The amount due on a fine with a discount for early payment, on the day of payment.
//!
//! КоАП РФ ст. 32.2 ч. 1.3: a fine for an offence of chapter 12 (with the exceptions listed there)
//! paid no later than twenty days from the day the ruling was made is paid at half its amount.
//! The percentage and the period are data of the charge ([`Discount`]), since the law sets
//! other cases too and changes; the counting is the law's:
//! - КоАП ст. 4.8 ч. 1–2: a term in days runs from the day after the event (the ruling) and counts
//!   non-working days;
//! - КоАП ст. 4.8 ч. 3: a term that ends on a non-working day ends on the next working day (on the
//!   production calendar).
//!
//! Rounding: the discounted amount is rounded up to the whole kopeck, so that the payer never
//! pays less than the law's share (half of 501 ₽ 01 коп. is 250 ₽ 51 коп.).

use jiff::civil::Date;
use jiff::ToSpan;

use crate::calendar::ProductionCalendar;

/// A discount for paying early: `percent` off when paid within `days` days of the ruling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discount {
    /// Percent off, 1 to 99.
    pub percent: u8,
    /// Days from the day after the ruling, non-working days included.
    pub days: u16,
    /// The day the ruling was made (вынесено постановление).
    pub ruling: Date,
}

impl Discount {
    /// КоАП ст. 32.2 ч. 1.3: half, within twenty days.
    pub fn half_within_20_days(ruling: Date) -> Discount {
        Discount {
            percent: 50,
            days: 20,
            ruling,
        }
    }

    /// The last day the discount holds.
    pub fn last_day(&self, cal: &ProductionCalendar) -> Date {
        cal.on_or_next_working_day(self.ruling.saturating_add(i64::from(self.days).days()))
    }

    /// The amount due on `paid_on` for a fine of `amount` kopecks.
    pub fn amount_due(&self, amount: i64, paid_on: Date, cal: &ProductionCalendar) -> i64 {
        if paid_on < self.ruling || paid_on > self.last_day(cal) {
            return amount;
        }
        let keep = i128::from(100 - self.percent.min(100));
        let due = (i128::from(amount) * keep + 99) / 100;
        i64::try_from(due).unwrap_or(amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cal() -> &'static ProductionCalendar {
        ProductionCalendar::shared()
    }

    #[test]
    fn half_on_the_twentieth_day_and_full_on_the_twenty_first() {
        // Ruling on Tue 1 Dec 2026: the 20th day is Mon 21 Dec, a working day.
        let d = Discount::half_within_20_days(date(2026, 12, 1));
        assert_eq!(d.last_day(cal()), date(2026, 12, 21));
        assert_eq!(d.amount_due(50_000, date(2026, 12, 1), cal()), 25_000);
        assert_eq!(d.amount_due(50_000, date(2026, 12, 21), cal()), 25_000);
        assert_eq!(d.amount_due(50_000, date(2026, 12, 22), cal()), 50_000);
    }

    #[test]
    fn a_term_ending_on_a_day_off_ends_on_the_next_working_day() {
        // Ruling on Sat 12 Dec 2026: the 20th day is 1 Jan 2027, a holiday; the New Year
        // holidays and the weekend after them run to Sun 10 Jan 2027.
        let d = Discount::half_within_20_days(date(2026, 12, 12));
        assert_eq!(d.last_day(cal()), date(2027, 1, 11));
        assert_eq!(d.amount_due(150_000, date(2027, 1, 11), cal()), 75_000);
        assert_eq!(d.amount_due(150_000, date(2027, 1, 12), cal()), 150_000);
        // Sat 5 Dec 2026 + 20 = Fri 25 Dec: no shift.
        let d = Discount::half_within_20_days(date(2026, 12, 5));
        assert_eq!(d.last_day(cal()), date(2026, 12, 25));
    }

    #[test]
    fn the_discount_is_rounded_up_to_the_kopeck_and_never_applies_before_the_ruling() {
        let d = Discount::half_within_20_days(date(2026, 12, 1));
        assert_eq!(d.amount_due(50_101, date(2026, 12, 2), cal()), 25_051);
        assert_eq!(d.amount_due(50_000, date(2026, 11, 30), cal()), 50_000);
        let third = Discount {
            percent: 30,
            days: 10,
            ruling: date(2026, 12, 1),
        };
        assert_eq!(third.amount_due(10_001, date(2026, 12, 11), cal()), 7_001);
    }
}
