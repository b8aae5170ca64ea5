//! Durations written the way nginx writes times: `30s`, `15m`, `1h 30m`, `2d`, plain seconds.

/// Seconds per unit, largest first; nginx's `M` is 30 days and `y` 365 days.
const UNITS: [(char, i64); 7] = [
    ('y', 365 * 86_400),
    ('M', 30 * 86_400),
    ('w', 7 * 86_400),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// Parses a duration into seconds; a leading `-` means the past (`-1h` is an hour ago).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    if body.trim().is_empty() {
        return Err(format!("invalid duration {text:?}: no value"));
    }

    let mut total: i64 = 0;
    let mut previous_unit: Option<i64> = None;
    let mut rest = body;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("invalid duration {text:?}: expected a number at {rest:?}"));
        }
        let (number, after) = rest.split_at(digits);
        let too_large = || format!("invalid duration {text:?}: too large");
        let value: i64 = number.parse().map_err(|_| too_large())?;

        let (seconds_per_unit, unit_len) = match after.chars().next() {
            // A bare number counts seconds, as in nginx.
            None => (1, 0),
            Some(c) if c.is_whitespace() => (1, 0),
            Some('m') if after.starts_with("ms") => {
                return Err(format!("invalid duration {text:?}: JWT times are whole seconds"));
            }
            Some(c) => match UNITS.iter().find(|(unit, _)| *unit == c) {
                Some(&(_, seconds)) => (seconds, c.len_utf8()),
                None => {
                    return Err(format!(
                        "invalid duration {text:?}: unknown unit {c:?} (use y M w d h m s)"
                    ));
                }
            },
        };
        // Like nginx, each unit at most once and largest first, so "1m1h" is a typo, not 61m.
        if previous_unit.is_some_and(|previous| seconds_per_unit >= previous) {
            return Err(format!(
                "invalid duration {text:?}: units must go from largest to smallest"
            ));
        }
        previous_unit = Some(seconds_per_unit);
        total = value
            .checked_mul(seconds_per_unit)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(too_large)?;
        rest = &after[unit_len..];
    }
    Ok(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn single_units() {
        assert_eq!(parse_duration("30s"), Ok(30));
        assert_eq!(parse_duration("15m"), Ok(900));
        assert_eq!(parse_duration("1h"), Ok(3_600));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert_eq!(parse_duration("1w"), Ok(604_800));
        assert_eq!(parse_duration("1M"), Ok(2_592_000));
        assert_eq!(parse_duration("1y"), Ok(31_536_000));
    }

    #[test]
    fn plain_seconds_and_signs() {
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("-1h"), Ok(-3_600));
        assert_eq!(parse_duration("+5m"), Ok(300));
        assert_eq!(parse_duration("-30"), Ok(-30));
        assert_eq!(parse_duration(" 10s "), Ok(10));
    }

    #[test]
    fn combined_units() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400));
        assert_eq!(parse_duration("1h 30m"), Ok(5_400));
        assert_eq!(parse_duration("1d 2h 3m 4s"), Ok(93_784));
        assert_eq!(parse_duration("1m30"), Ok(90));
        assert_eq!(parse_duration("-1h30m"), Ok(-5_400));
    }

    #[test]
    fn malformed_durations_are_errors() {
        for bad in [
            "", " ", "-", "+", "m", "1x", "1.5h", "1m1h", "1m1m", "30 1m", "1h-5m", "15 m", "10ms",
            "--1h", "1h!", "١h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(parse_duration("99999999999999999999").is_err());
        assert!(parse_duration("9223372036854775807y").is_err());
        assert!(parse_duration("9223372036854775807s").is_ok());
        assert!(parse_duration("9223372036854775807m").is_err());
    }
}
