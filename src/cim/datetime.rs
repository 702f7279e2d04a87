//! CIM datetimes and intervals (DSP0004 §5.2.4 DMTF strings; DSP0230 `xs:dateTime` and
//! `xs:duration` renderings; hyperv-wsman.md §7 and §14 item 7).
//!
//! * Timestamp, DMTF form: `yyyymmddHHMMSS.mmmmmmsUUU` (25 characters, `s` is `+` or `-`,
//!   `UUU` the offset from UTC in minutes). As `xs:dateTime`: `2013-03-09T02:57:32Z`, with
//!   optional fractional seconds (kept to microseconds, further digits dropped) and offsets such
//!   as `+08:00`; a missing zone is read as UTC.
//! * Interval, DMTF form: `ddddddddHHMMSS.mmmmmm:000`. As `xs:duration`: `P0DT0H1M40S`,
//!   `PT60.000S` (days, hours, minutes and seconds; hours/minutes/seconds may overflow and are
//!   normalized; non-zero years or months are rejected because their length is not fixed;
//!   negative durations are rejected).
//!
//! Asterisks (DMTF "unknown" digits) are accepted only in the microseconds field, where WMI uses
//! them for "no sub-second precision" (`.******`), and read as zero; anywhere else they are an
//! error. Out-of-range fields (month 13, day 31 of April, hour 24, ...) are errors.

use std::fmt;
use std::time::Duration;

use super::{CimError, short};

/// A CIM timestamp: calendar date, time of day with microseconds, and offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CimDateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    microsecond: u32,
    offset_minutes: i16,
}

/// A CIM interval (a non-negative span of at most 99 999 999 days), microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CimInterval {
    days: u32,
    micros_of_day: u64,
}

const MICROS_PER_DAY: u64 = 86_400_000_000;
const MAX_DAYS: u64 = 99_999_999;

fn err(input: &str, reason: &'static str) -> CimError {
    CimError::DateTime {
        input: short(input),
        reason,
    }
}

/// The value of an all-digit ASCII slice.
fn digits(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + u64::from(d - b'0')))
}

/// Microseconds from a DMTF field of six digits, or six asterisks / digits then asterisks.
fn dmtf_micros(b: &[u8]) -> Option<u32> {
    let known = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if b.len() != 6 || !b.get(known..)?.iter().all(|&c| c == b'*') {
        return None;
    }
    let mut v = if known == 0 {
        0
    } else {
        digits(b.get(..known)?)?
    };
    for _ in known..6 {
        v *= 10;
    }
    u32::try_from(v).ok()
}

/// Microseconds from fractional-second digits (any count; digits past the sixth dropped).
fn frac_micros(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u32 = 0;
    for i in 0..6 {
        v = v * 10 + b.get(i).map_or(0, |d| u32::from(d - b'0'));
    }
    Some(v)
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

impl CimDateTime {
    /// A timestamp from components; out-of-range values are an error. `offset_minutes` is the
    /// offset from UTC (east positive), at most ±999 as the DMTF form allows.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        microsecond: u32,
        offset_minutes: i16,
    ) -> Result<Self, CimError> {
        let dt = CimDateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            microsecond,
            offset_minutes,
        };
        match dt.check() {
            Some(reason) => Err(err(&dt.to_dmtf_unchecked(), reason)),
            None => Ok(dt),
        }
    }

    fn check(&self) -> Option<&'static str> {
        if self.year > 9999 {
            Some("year out of range")
        } else if !(1..=12).contains(&self.month) {
            Some("month out of range")
        } else if self.day == 0 || self.day > days_in_month(self.year, self.month) {
            Some("day out of range")
        } else if self.hour > 23 || self.minute > 59 || self.second > 59 {
            Some("time of day out of range")
        } else if self.microsecond > 999_999 {
            Some("microseconds out of range")
        } else if !(-999..=999).contains(&self.offset_minutes) {
            Some("utc offset out of range")
        } else {
            None
        }
    }

    /// Parse either form: DMTF (25 characters with `.` at index 14) or `xs:dateTime`.
    pub fn parse(s: &str) -> Result<Self, CimError> {
        let t = s.trim();
        if t.len() == 25 && t.as_bytes().get(14) == Some(&b'.') {
            Self::parse_dmtf(t)
        } else {
            Self::parse_xs(t)
        }
    }

    /// Parse the DMTF timestamp form `yyyymmddHHMMSS.mmmmmmsUUU`.
    pub fn parse_dmtf(s: &str) -> Result<Self, CimError> {
        let b = s.as_bytes();
        if b.len() != 25 || b.get(14) != Some(&b'.') {
            return Err(err(s, "expected 25 characters yyyymmddHHMMSS.mmmmmmsUUU"));
        }
        let sign: i16 = match b.get(21) {
            Some(b'+') => 1,
            Some(b'-') => -1,
            Some(b':') => return Err(err(s, "this is an interval, not a timestamp")),
            _ => return Err(err(s, "expected + or - before the utc offset")),
        };
        let num = |r: std::ops::Range<usize>| b.get(r).and_then(digits);
        let bad = || err(s, "expected digits");
        let micro = b.get(15..21).and_then(dmtf_micros).ok_or_else(bad)?;
        let offset = num(22..25).ok_or_else(bad)?;
        Self::new(
            u16::try_from(num(0..4).ok_or_else(bad)?).map_err(|_| bad())?,
            u8::try_from(num(4..6).ok_or_else(bad)?).map_err(|_| bad())?,
            u8::try_from(num(6..8).ok_or_else(bad)?).map_err(|_| bad())?,
            u8::try_from(num(8..10).ok_or_else(bad)?).map_err(|_| bad())?,
            u8::try_from(num(10..12).ok_or_else(bad)?).map_err(|_| bad())?,
            u8::try_from(num(12..14).ok_or_else(bad)?).map_err(|_| bad())?,
            micro,
            sign * i16::try_from(offset).map_err(|_| bad())?,
        )
        .map_err(|e| match e {
            CimError::DateTime { reason, .. } => err(s, reason),
            other => other,
        })
    }

    /// Parse `xs:dateTime` (`2013-03-09T02:57:32Z`, `…T02:57:32.5+08:00`) or a bare
    /// `xs:date` (`2013-03-09`, read as midnight).
    pub fn parse_xs(s: &str) -> Result<Self, CimError> {
        let b = s.as_bytes();
        let bad = || err(s, "expected yyyy-mm-ddThh:mm:ss[.f][Z|+hh:mm]");
        let n = |r: std::ops::Range<usize>| b.get(r).and_then(digits).ok_or_else(bad);
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(bad());
        }
        let (year, month, day) = (n(0..4)?, n(5..7)?, n(8..10)?);
        let (mut hour, mut minute, mut second, mut micro) = (0, 0, 0, 0);
        let mut rest = b.get(10..).ok_or_else(bad)?;
        if let Some(time) = rest.strip_prefix(b"T") {
            if time.get(2) != Some(&b':') || time.get(5) != Some(&b':') {
                return Err(bad());
            }
            let tn = |r: std::ops::Range<usize>| time.get(r).and_then(digits).ok_or_else(bad);
            (hour, minute, second) = (tn(0..2)?, tn(3..5)?, tn(6..8)?);
            rest = time.get(8..).ok_or_else(bad)?;
            if let Some(frac) = rest.strip_prefix(b".") {
                let len = frac.iter().take_while(|c| c.is_ascii_digit()).count();
                micro = frac_micros(frac.get(..len).ok_or_else(bad)?).ok_or_else(bad)?;
                rest = frac.get(len..).ok_or_else(bad)?;
            }
        }
        let offset = parse_zone(rest).ok_or_else(bad)?;
        let c = |v: u64| u8::try_from(v).map_err(|_| bad());
        Self::new(
            u16::try_from(year).map_err(|_| bad())?,
            c(month)?,
            c(day)?,
            c(hour)?,
            c(minute)?,
            c(second)?,
            micro,
            offset,
        )
        .map_err(|e| match e {
            CimError::DateTime { reason, .. } => err(s, reason),
            other => other,
        })
    }

    /// Year (0–9999).
    pub fn year(&self) -> u16 {
        self.year
    }
    /// Month (1–12).
    pub fn month(&self) -> u8 {
        self.month
    }
    /// Day of month (1–31).
    pub fn day(&self) -> u8 {
        self.day
    }
    /// Hour (0–23).
    pub fn hour(&self) -> u8 {
        self.hour
    }
    /// Minute (0–59).
    pub fn minute(&self) -> u8 {
        self.minute
    }
    /// Second (0–59).
    pub fn second(&self) -> u8 {
        self.second
    }
    /// Microsecond (0–999 999).
    pub fn microsecond(&self) -> u32 {
        self.microsecond
    }
    /// Offset from UTC in minutes (east positive).
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    fn to_dmtf_unchecked(self) -> String {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}.{:06}{}{:03}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.microsecond,
            sign,
            self.offset_minutes.unsigned_abs()
        )
    }

    /// The DMTF form `yyyymmddHHMMSS.mmmmmmsUUU`.
    pub fn to_dmtf(self) -> String {
        self.to_dmtf_unchecked()
    }

    /// The RFC 3339 / `xs:dateTime` form as WinRM writes it: `2013-03-09T02:57:32Z`, with
    /// `.ffffff` when there are microseconds and `+hh:mm` when the offset is not zero.
    pub fn to_rfc3339(self) -> String {
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if self.microsecond != 0 {
            s.push_str(&format!(".{:06}", self.microsecond));
        }
        if self.offset_minutes == 0 {
            s.push('Z');
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let abs = self.offset_minutes.unsigned_abs();
            s.push_str(&format!("{sign}{:02}:{:02}", abs / 60, abs % 60));
        }
        s
    }
}

/// `Z`, empty (UTC), or `±hh:mm` → offset minutes.
fn parse_zone(b: &[u8]) -> Option<i16> {
    let sign = match b.first() {
        None => return Some(0),
        Some(b'Z') if b.len() == 1 => return Some(0),
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    if b.len() != 6 || b.get(3) != Some(&b':') {
        return None;
    }
    let (h, m) = (digits(b.get(1..3)?)?, digits(b.get(4..6)?)?);
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * i16::try_from(h * 60 + m).ok()?)
}

impl fmt::Display for CimDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl CimInterval {
    /// An interval of `days` days and `micros_of_day` microseconds (less than one day).
    pub fn new(days: u32, micros_of_day: u64) -> Result<Self, CimError> {
        if u64::from(days) > MAX_DAYS || micros_of_day >= MICROS_PER_DAY {
            return Err(err(
                &format!("{days}d {micros_of_day}us"),
                "interval out of range",
            ));
        }
        Ok(CimInterval {
            days,
            micros_of_day,
        })
    }

    /// Parse either form: DMTF (`ddddddddHHMMSS.mmmmmm:000`) or `xs:duration`.
    pub fn parse(s: &str) -> Result<Self, CimError> {
        let t = s.trim();
        if t.starts_with('P') {
            Self::parse_xs_duration(t)
        } else {
            Self::parse_dmtf(t)
        }
    }

    /// Parse the DMTF interval form `ddddddddHHMMSS.mmmmmm:000`.
    pub fn parse_dmtf(s: &str) -> Result<Self, CimError> {
        let b = s.as_bytes();
        if b.len() != 25 || b.get(14) != Some(&b'.') || b.get(21..25) != Some(b":000") {
            return Err(err(s, "expected 25 characters ddddddddHHMMSS.mmmmmm:000"));
        }
        let bad = || err(s, "expected digits");
        let num = |r: std::ops::Range<usize>| b.get(r).and_then(digits).ok_or_else(bad);
        let (d, h, m, sec) = (num(0..8)?, num(8..10)?, num(10..12)?, num(12..14)?);
        let micro = b.get(15..21).and_then(dmtf_micros).ok_or_else(bad)?;
        if h > 23 || m > 59 || sec > 59 {
            return Err(err(s, "time of day out of range"));
        }
        let of_day = ((h * 60 + m) * 60 + sec) * 1_000_000 + u64::from(micro);
        Self::new(u32::try_from(d).map_err(|_| bad())?, of_day)
    }

    /// Parse `xs:duration` (`P1DT2H3M4.5S`, `PT60.000S`); see the module docs for limits.
    pub fn parse_xs_duration(s: &str) -> Result<Self, CimError> {
        let bad = |reason| err(s, reason);
        let body = s.strip_prefix('P').ok_or_else(|| bad("expected P"))?;
        let (date, time) = match body.split_once('T') {
            Some((d, t)) if !t.is_empty() => (d, Some(t)),
            Some(_) => return Err(bad("empty time part after T")),
            None => (body, None),
        };
        if date.is_empty() && time.is_none() {
            return Err(bad("empty duration"));
        }
        let mut micros: u128 = 0;
        for (value, unit) in duration_parts(date).ok_or_else(|| bad("malformed date part"))? {
            match unit {
                'D' => micros += u128::from(value.0) * u128::from(MICROS_PER_DAY),
                'Y' | 'M' if value.0 == 0 => {}
                _ => return Err(bad("years and months are not supported")),
            }
            if value.1 != 0 {
                return Err(bad("fraction allowed only on seconds"));
            }
        }
        let parts = match time {
            Some(t) => duration_parts(t).ok_or_else(|| bad("malformed time part"))?,
            None => Vec::new(),
        };
        for ((whole, frac), unit) in parts {
            let scale: u128 = match unit {
                'H' => 3_600_000_000,
                'M' => 60_000_000,
                'S' => 1_000_000,
                _ => return Err(bad("unknown time unit")),
            };
            if frac != 0 && unit != 'S' {
                return Err(bad("fraction allowed only on seconds"));
            }
            micros += u128::from(whole) * scale + u128::from(frac);
        }
        Self::from_micros(micros).ok_or_else(|| bad("interval out of range"))
    }

    fn from_micros(micros: u128) -> Option<Self> {
        let per_day = u128::from(MICROS_PER_DAY);
        let days = u32::try_from(micros / per_day).ok()?;
        let of_day = u64::try_from(micros % per_day).ok()?;
        Self::new(days, of_day).ok()
    }

    /// Whole days.
    pub fn days(&self) -> u32 {
        self.days
    }

    /// Microseconds within the last day.
    pub fn micros_of_day(&self) -> u64 {
        self.micros_of_day
    }

    /// As a [`Duration`].
    pub fn to_duration(self) -> Duration {
        Duration::from_secs(u64::from(self.days) * 86_400)
            + Duration::from_micros(self.micros_of_day)
    }

    /// From a [`Duration`] (sub-microsecond part dropped); too long → error.
    pub fn from_duration(d: Duration) -> Result<Self, CimError> {
        Self::from_micros(d.as_micros())
            .ok_or_else(|| err(&format!("{d:?}"), "interval out of range"))
    }

    fn hms(&self) -> (u64, u64, u64, u64) {
        let us = self.micros_of_day % 1_000_000;
        let secs = self.micros_of_day / 1_000_000;
        (secs / 3600, secs / 60 % 60, secs % 60, us)
    }

    /// The DMTF form `ddddddddHHMMSS.mmmmmm:000`.
    pub fn to_dmtf(self) -> String {
        let (h, m, s, us) = self.hms();
        format!("{:08}{h:02}{m:02}{s:02}.{us:06}:000", self.days)
    }

    /// The `xs:duration` form as WinRM writes it: `P0DT0H1M40S`, `P0DT0H0M42.123S`.
    pub fn to_xs_duration(self) -> String {
        let (h, m, s, us) = self.hms();
        let mut out = format!("P{}DT{h}H{m}M{s}", self.days);
        if us != 0 {
            let frac = format!("{us:06}");
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        out.push('S');
        out
    }
}

/// Split `1D`, `2H3M4.5S` into ((whole, fraction in micros), unit) pairs.
fn duration_parts(s: &str) -> Option<Vec<((u64, u64), char)>> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let unit = rest.get(end..)?.chars().next()?;
        let num = rest.get(..end)?;
        let (whole, frac) = match num.split_once('.') {
            Some((w, f)) => (digits(w.as_bytes())?, u64::from(frac_micros(f.as_bytes())?)),
            None => (digits(num.as_bytes())?, 0),
        };
        out.push(((whole, frac), unit));
        rest = rest.get(end + unit.len_utf8()..)?;
    }
    Some(out)
}

impl fmt::Display for CimInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xs_duration())
    }
}

impl TryFrom<Duration> for CimInterval {
    type Error = CimError;
    fn try_from(d: Duration) -> Result<Self, CimError> {
        Self::from_duration(d)
    }
}

impl From<CimInterval> for Duration {
    fn from(i: CimInterval) -> Duration {
        i.to_duration()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dmtf_timestamp_parses_and_formats() {
        let d = CimDateTime::parse("20131120125627.123456+060").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2013, 11, 20));
        assert_eq!((d.hour(), d.minute(), d.second()), (12, 56, 27));
        assert_eq!((d.microsecond(), d.offset_minutes()), (123_456, 60));
        assert_eq!(d.to_dmtf(), "20131120125627.123456+060");
        assert_eq!(d.to_rfc3339(), "2013-11-20T12:56:27.123456+01:00");
        let neg = CimDateTime::parse_dmtf("20000229000000.000000-300").unwrap();
        assert_eq!(neg.offset_minutes(), -300);
        assert_eq!(neg.to_string(), "2000-02-29T00:00:00-05:00");
    }

    #[test]
    fn dmtf_asterisk_micros_read_as_zero() {
        let d = CimDateTime::parse("20250101120000.******+000").unwrap();
        assert_eq!(d.microsecond(), 0);
        let d = CimDateTime::parse("20250101120000.12****+000").unwrap();
        assert_eq!(d.microsecond(), 120_000);
        assert!(CimDateTime::parse("2025****120000.000000+000").is_err());
        assert!(CimDateTime::parse("20250101120000.1*2***+000").is_err());
    }

    #[test]
    fn xs_datetime_forms() {
        let d = CimDateTime::parse("2013-03-09T02:57:32Z").unwrap();
        assert_eq!(d.to_dmtf(), "20130309025732.000000+000");
        assert_eq!(d.to_rfc3339(), "2013-03-09T02:57:32Z");
        let d = CimDateTime::parse("2025-11-20T09:14:02.1234567+08:00").unwrap();
        assert_eq!(d.microsecond(), 123_456);
        assert_eq!(d.offset_minutes(), 480);
        let d = CimDateTime::parse(" 2025-11-26T01:02:03.4-01:30 ").unwrap();
        assert_eq!((d.microsecond(), d.offset_minutes()), (400_000, -90));
        let d = CimDateTime::parse("2013-03-09").unwrap();
        assert_eq!(d.to_rfc3339(), "2013-03-09T00:00:00Z");
    }

    #[test]
    fn invalid_timestamps_are_errors() {
        for bad in [
            "",
            "2013-13-01T00:00:00Z",
            "2013-04-31T00:00:00Z",
            "2013-02-29T00:00:00Z",
            "2013-01-01T24:00:00Z",
            "2013-01-01T00:00:00+15:00",
            "2013-01-01T00:00:00.Z",
            "2013-01-01T00:00:00Zjunk",
            "20131320125627.123456+060",
            "20131120125627.123456:000",
            "2013112012562x.123456+060",
            "20131120125627.123456+06",
            "２０13-01-01T00:00:00Z",
        ] {
            assert!(CimDateTime::parse(bad).is_err(), "{bad:?}");
        }
        let e = CimDateTime::parse("2013-13-01T00:00:00Z").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid cim datetime \"2013-13-01T00:00:00Z\": month out of range"
        );
    }

    #[test]
    fn intervals() {
        let i = CimInterval::parse("00000001020304.500000:000").unwrap();
        assert_eq!(i.to_duration(), Duration::from_micros(93_784_500_000));
        assert_eq!(i.to_xs_duration(), "P1DT2H3M4.5S");
        assert_eq!(i.to_dmtf(), "00000001020304.500000:000");
        let i = CimInterval::parse("P0DT0H1M40S").unwrap();
        assert_eq!(i.to_duration(), Duration::from_secs(100));
        let i = CimInterval::parse("PT60.000S").unwrap();
        assert_eq!(i.to_duration(), Duration::from_secs(60));
        assert_eq!(i.to_xs_duration(), "P0DT0H1M0S");
        let i = CimInterval::parse("P0DT0H0M42.123S").unwrap();
        assert_eq!(i.to_string(), "P0DT0H0M42.123S");
        let i = CimInterval::parse("PT49H").unwrap();
        assert_eq!((i.days(), i.micros_of_day()), (2, 3_600_000_000));
    }

    #[test]
    fn invalid_intervals_are_errors() {
        for bad in [
            "",
            "P",
            "PT",
            "P1Y",
            "P1M",
            "-P1D",
            "PT1.5H",
            "P1.5D",
            "PTS",
            "PT1X",
            "00000001240000.000000:000",
            "00000001020304.500000+000",
            "P1DT",
            "P999999999999999999D",
        ] {
            assert!(CimInterval::parse(bad).is_err(), "{bad:?}");
        }
        assert!(CimInterval::parse("P0Y0M3D").is_ok());
    }

    #[test]
    fn duration_conversions() {
        let d = Duration::new(90_061, 1_500);
        let i = CimInterval::try_from(d).unwrap();
        assert_eq!(Duration::from(i), Duration::new(90_061, 1_000));
        assert!(CimInterval::from_duration(Duration::from_secs(u64::MAX)).is_err());
        assert!(CimInterval::new(0, MICROS_PER_DAY).is_err());
    }

    fn any_datetime() -> impl Strategy<Value = CimDateTime> {
        (
            0u16..=9999,
            1u8..=12,
            1u8..=28,
            0u8..24,
            0u8..60,
            0u8..60,
            0u32..1_000_000,
            -999i16..=999,
        )
            .prop_map(|(y, mo, d, h, mi, s, us, off)| {
                CimDateTime::new(y, mo, d, h, mi, s, us, off).unwrap()
            })
    }

    proptest! {
        #[test]
        fn dmtf_round_trip(d in any_datetime()) {
            let text = d.to_dmtf();
            prop_assert_eq!(text.len(), 25);
            prop_assert_eq!(CimDateTime::parse(&text).unwrap(), d);
        }

        #[test]
        fn rfc3339_round_trip(d in any_datetime(), off in -840i16..=840) {
            let d = CimDateTime::new(d.year(), d.month(), d.day(), d.hour(), d.minute(),
                d.second(), d.microsecond(), off).unwrap();
            prop_assert_eq!(CimDateTime::parse(&d.to_rfc3339()).unwrap(), d);
        }

        #[test]
        fn interval_round_trip(days in 0u32..=99_999_999, us in 0u64..MICROS_PER_DAY) {
            let i = CimInterval::new(days, us).unwrap();
            prop_assert_eq!(CimInterval::parse(&i.to_dmtf()).unwrap(), i);
            prop_assert_eq!(CimInterval::parse(&i.to_xs_duration()).unwrap(), i);
            prop_assert_eq!(CimInterval::from_duration(i.to_duration()).unwrap(), i);
        }

        #[test]
        fn random_input_never_panics(s in any::<String>(), t in "[0-9PTDHMS.:+*Z-]{0,30}") {
            let _ = CimDateTime::parse(&s);
            let _ = CimInterval::parse(&s);
            let _ = CimDateTime::parse(&t);
            let _ = CimInterval::parse(&t);
        }
    }
}
