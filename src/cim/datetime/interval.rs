//! CIM intervals: DMTF `ddddddddHHMMSS.mmmmmm:000` and `xs:duration` (see the parent module
//! docs for the accepted forms and limits).

use std::fmt;
use std::time::Duration;

use super::{digits, dmtf_micros, err, frac_micros};
use crate::cim::CimError;

/// A CIM interval (a non-negative span of at most 99 999 999 days), microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CimInterval {
    days: u32,
    micros_of_day: u64,
}

const MICROS_PER_DAY: u64 = 86_400_000_000;
const MAX_DAYS: u64 = 99_999_999;

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

    proptest! {
        #[test]
        fn interval_round_trip(days in 0u32..=99_999_999, us in 0u64..MICROS_PER_DAY) {
            let i = CimInterval::new(days, us).unwrap();
            prop_assert_eq!(CimInterval::parse(&i.to_dmtf()).unwrap(), i);
            prop_assert_eq!(CimInterval::parse(&i.to_xs_duration()).unwrap(), i);
            prop_assert_eq!(CimInterval::from_duration(i.to_duration()).unwrap(), i);
        }
    }
}
