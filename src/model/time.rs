//! Timestamps and calendar values as Chup writes them: ISO 8601 with an
//! offset (`2024-01-18T20:48:00+08:00`), Laravel's UTC form
//! (`2024-01-18T12:44:18.000000Z`), dates (`2024-01-18`) and clock times
//! (`20:50:00` or `20:50`).
//!
//! The model keeps every one of these as the text the sender wrote, so a
//! payload round-trips byte for byte; this module only reads and writes them.
//! It owns no clock: callers pass the instant in.

/// Malaysia's offset from UTC in seconds; every payload timestamp carries it.
pub const MYT_OFFSET_SECS: i64 = 8 * 3600;

/// A point in time read from an ISO 8601 timestamp, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    /// Nanoseconds within that second.
    pub nanos: u32,
}

/// What a timestamp's text says besides the instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub instant: Instant,
    /// The written offset in seconds east of UTC (`Z` is 0).
    pub offset_secs: i64,
    /// True when the text ended in `Z` rather than a numeric offset.
    pub zulu: bool,
}

fn digits(s: &[u8], from: usize, n: usize) -> Option<i64> {
    let part = s.get(from..from + n)?;
    part.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Reads `YYYY-MM-DD`; `None` when it is not a real date in that form.
pub fn parse_date(s: &str) -> Option<(i64, i64, i64)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some((y, m, d))
}

/// Reads a clock time `HH:MM:SS` or `HH:MM` into seconds after midnight.
pub fn parse_clock(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let (h, m) = (digits(b, 0, 2)?, digits(b, 3, 2)?);
    if b.get(2) != Some(&b':') || h > 23 || m > 59 {
        return None;
    }
    let sec = match b.len() {
        5 => 0,
        8 if b[5] == b':' => digits(b, 6, 2).filter(|s| *s <= 59)?,
        _ => return None,
    };
    Some((h * 3600 + m * 60 + sec) as u32)
}

/// Reads an ISO 8601 timestamp with seconds, optional fraction and a
/// mandatory offset (`Z` or `±HH:MM`).
pub fn parse_timestamp(s: &str) -> Option<Parsed> {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' {
        return None;
    }
    let (y, mo, d) = parse_date(s.get(..10)?)?;
    let secs_of_day = i64::from(parse_clock(s.get(11..19)?)?);
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        if end == start || end - start > 9 {
            return None;
        }
        let frac = digits(b, start, end - start)?;
        nanos = (frac * 10i64.pow(9 - (end - start) as u32)) as u32;
        i = end;
    }
    let (offset_secs, zulu) = match b.get(i..) {
        Some(b"Z") => (0, true),
        Some(rest)
            if rest.len() == 6 && (rest[0] == b'+' || rest[0] == b'-') && rest[3] == b':' =>
        {
            let (oh, om) = (digits(rest, 1, 2)?, digits(rest, 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let sign = if rest[0] == b'-' { -1 } else { 1 };
            (sign * (oh * 3600 + om * 60), false)
        }
        _ => return None,
    };
    let unix = days_from_civil(y, mo, d) * 86_400 + secs_of_day - offset_secs;
    Some(Parsed {
        instant: Instant { unix, nanos },
        offset_secs,
        zulu,
    })
}

/// Writes `YYYY-MM-DDTHH:MM:SS+08:00` for a unix second, in Malaysia time.
pub fn format_myt(unix: i64) -> String {
    let local = unix + MYT_OFFSET_SECS;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Writes Laravel's UTC form `YYYY-MM-DDTHH:MM:SS.000000Z`, as note timestamps carry it.
pub fn format_laravel_utc(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000000Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// The Malaysian calendar date (`YYYY-MM-DD`) of a unix second.
pub fn format_myt_date(unix: i64) -> String {
    format_myt(unix)[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_offset_and_zulu_forms_to_the_same_instant() {
        let a = parse_timestamp("2024-01-18T20:44:18+08:00").expect("valid");
        let b = parse_timestamp("2024-01-18T12:44:18.000000Z").expect("valid");
        assert_eq!(a.instant, b.instant);
        assert_eq!(a.offset_secs, 8 * 3600);
        assert!(b.zulu);
        assert_eq!(a.instant.unix, 1_705_581_858);
    }

    #[test]
    fn rejects_timestamps_without_offset_or_with_bad_fields() {
        for bad in [
            "2024-01-18T20:44:18",
            "2024-02-30T20:44:18+08:00",
            "2024-01-18 20:44:18+08:00",
            "2024-01-18T24:00:00+08:00",
            "2024-01-18T20:44:18+8:00",
            "2024-01-18T20:44:18.Z",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad} should not parse");
        }
    }

    #[test]
    fn formats_round_trip_through_the_parser() {
        for unix in [0, 1_705_581_858, 1_706_480_685, 4_102_444_799] {
            let t = format_myt(unix);
            assert!(t.ends_with("+08:00"));
            assert_eq!(
                parse_timestamp(&t).expect("own output parses").instant.unix,
                unix
            );
            let z = format_laravel_utc(unix);
            assert_eq!(
                parse_timestamp(&z).expect("own output parses").instant.unix,
                unix
            );
        }
        assert_eq!(format_myt(1_705_581_858), "2024-01-18T20:44:18+08:00");
        assert_eq!(
            format_laravel_utc(1_705_581_858),
            "2024-01-18T12:44:18.000000Z"
        );
    }

    #[test]
    fn reads_both_clock_forms() {
        assert_eq!(parse_clock("20:50:00"), Some(75_000));
        assert_eq!(parse_clock("20:50"), Some(75_000));
        assert_eq!(parse_clock("20:5"), None);
        assert_eq!(parse_clock("25:00"), None);
        assert_eq!(parse_clock("20:50:60"), None);
    }
}
