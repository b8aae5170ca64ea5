//! Readable renderings of JWT NumericDates (seconds since the Unix epoch, UTC).

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range ISO 8601 dates print plainly in.
const MIN_TIMESTAMP: i64 = -62_167_219_200;
const MAX_TIMESTAMP: i64 = 253_402_300_799;

/// `2025-01-31T12:00:00Z`, or `None` outside years 0 to 9999.
pub fn format_utc(timestamp: i64) -> Option<String> {
    if !(MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&timestamp) {
        return None;
    }
    let days = timestamp.div_euclid(86_400);
    let second_of_day = timestamp.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    ))
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Count from 0000-03-01 so the leap day ends each 4/100/400-year cycle; 400 years are
    // exactly 146097 days.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March: each 5-month stretch has 153 days.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A span like `1d 2h 3m 4s` (zero parts left out; `0s` for nothing).
pub fn format_span(seconds: u64) -> String {
    let parts = [
        (seconds / 86_400, "d"),
        (seconds % 86_400 / 3_600, "h"),
        (seconds % 3_600 / 60, "m"),
        (seconds % 60, "s"),
    ];
    let text: Vec<String> =
        parts.iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n}{unit}")).collect();
    if text.is_empty() {
        "0s".to_owned()
    } else {
        text.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format_utc(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(format_utc(951_782_400).as_deref(), Some("2000-02-29T00:00:00Z"));
        assert_eq!(format_utc(1_700_000_000).as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(format_utc(4_102_444_799).as_deref(), Some("2099-12-31T23:59:59Z"));
        assert_eq!(format_utc(-1).as_deref(), Some("1969-12-31T23:59:59Z"));
        assert_eq!(format_utc(MIN_TIMESTAMP).as_deref(), Some("0000-01-01T00:00:00Z"));
        assert_eq!(format_utc(MAX_TIMESTAMP).as_deref(), Some("9999-12-31T23:59:59Z"));
        assert_eq!(format_utc(MAX_TIMESTAMP + 1), None);
        assert_eq!(format_utc(i64::MIN), None);
    }

    #[test]
    fn every_day_follows_the_previous_one() {
        // Walks 1900..2100 checking each date is the successor of the one before.
        let mut previous = civil_from_days(-25_567);
        assert_eq!(previous, (1900, 1, 1));
        for days in -25_566..47_482 {
            let (y, m, d) = civil_from_days(days);
            let (py, pm, pd) = previous;
            let next_day = (y, m, d) == (py, pm, pd + 1);
            let next_month = (y, m, d) == (py, pm + 1, 1);
            let next_year = (y, m, d) == (py + 1, 1, 1) && (pm, pd) == (12, 31);
            assert!(next_day || next_month || next_year, "{previous:?} -> {:?}", (y, m, d));
            previous = (y, m, d);
        }
        assert_eq!(previous, (2099, 12, 31));
    }

    #[test]
    fn spans() {
        assert_eq!(format_span(0), "0s");
        assert_eq!(format_span(59), "59s");
        assert_eq!(format_span(900), "15m");
        assert_eq!(format_span(93_784), "1d 2h 3m 4s");
        assert_eq!(format_span(86_400 * 400), "400d");
    }
}
