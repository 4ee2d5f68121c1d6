//! Pure figures the reports share.

use chrono::{Datelike, NaiveDate};

/// The attendance-rate criterion of a good meeting: strictly above 85 % of the members obliged
/// to attend (the same criterion as `meetings::attendance`).
pub const QUALITY_RATE: f64 = 0.85;

/// The yearly study-points target per member.
pub const POINTS_TARGET: i64 = 200;

/// A ratio `part / whole`, `None` when the whole is zero (a report shows "—", never 0 % or NaN).
pub fn ratio(part: u64, whole: u64) -> Option<f64> {
    if whole == 0 { None } else { Some(part as f64 / whole as f64) }
}

/// Attendance-rate bands (*mức tỉ lệ dự họp*) for the "units by rate band" chart and the
/// distribution columns: below 50 %, 50–70 %, 70–85 %, above 85 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RateBand {
    /// Below 50 %.
    Below50,
    /// From 50 % to below 70 %.
    From50To70,
    /// From 70 % up to and including 85 %.
    From70To85,
    /// Strictly above 85 % (the quality criterion).
    Above85,
}

impl RateBand {
    /// Every band, lowest first.
    pub const ALL: [RateBand; 4] = [RateBand::Below50, RateBand::From50To70, RateBand::From70To85, RateBand::Above85];

    /// The band of a rate (0–1).
    pub fn of(rate: f64) -> RateBand {
        if rate > QUALITY_RATE {
            RateBand::Above85
        } else if rate >= 0.70 {
            RateBand::From70To85
        } else if rate >= 0.50 {
            RateBand::From50To70
        } else {
            RateBand::Below50
        }
    }

    /// The label printed in headers and charts.
    pub fn label(self) -> &'static str {
        match self {
            RateBand::Below50 => "< 50%",
            RateBand::From50To70 => "50–70%",
            RateBand::From70To85 => "70–85%",
            RateBand::Above85 => "> 85%",
        }
    }
}

/// Age bands of the membership composition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBand {
    /// Up to 30 years old.
    UpTo30,
    /// 31–40.
    From31To40,
    /// 41–50.
    From41To50,
    /// 51–60.
    From51To60,
    /// Over 60.
    Over60,
    /// Date of birth not recorded.
    Unknown,
}

impl AgeBand {
    /// Every band, youngest first.
    pub const ALL: [AgeBand; 6] = [AgeBand::UpTo30, AgeBand::From31To40, AgeBand::From41To50, AgeBand::From51To60, AgeBand::Over60, AgeBand::Unknown];

    /// The band of a member born on `birth` on `on` (age in completed years).
    pub fn of(birth: Option<NaiveDate>, on: NaiveDate) -> AgeBand {
        let Some(b) = birth else { return AgeBand::Unknown };
        let mut age = on.year() - b.year();
        if (on.month(), on.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        match age {
            i32::MIN..=30 => AgeBand::UpTo30,
            31..=40 => AgeBand::From31To40,
            41..=50 => AgeBand::From41To50,
            51..=60 => AgeBand::From51To60,
            _ => AgeBand::Over60,
        }
    }

    /// The label printed in headers.
    pub fn label(self) -> &'static str {
        match self {
            AgeBand::UpTo30 => "≤ 30",
            AgeBand::From31To40 => "31–40",
            AgeBand::From41To50 => "41–50",
            AgeBand::From51To60 => "51–60",
            AgeBand::Over60 => "> 60",
            AgeBand::Unknown => "Chưa rõ",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_and_ratios() {
        assert_eq!(ratio(1, 0), None);
        assert_eq!(ratio(17, 20), Some(0.85));
        assert_eq!(RateBand::of(0.85), RateBand::From70To85, "85 % is not above 85 %");
        assert_eq!(RateBand::of(0.851), RateBand::Above85);
        assert_eq!(RateBand::of(0.70), RateBand::From70To85);
        assert_eq!(RateBand::of(0.5), RateBand::From50To70);
        assert_eq!(RateBand::of(0.0), RateBand::Below50);
        let on = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        let born = |y, m, d| Some(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!(AgeBand::of(born(1996, 10, 31), on), AgeBand::UpTo30);
        assert_eq!(AgeBand::of(born(1995, 11, 1), on), AgeBand::UpTo30, "30 until the birthday");
        assert_eq!(AgeBand::of(born(1995, 10, 31), on), AgeBand::From31To40);
        assert_eq!(AgeBand::of(born(1965, 1, 1), on), AgeBand::Over60);
        assert_eq!(AgeBand::of(born(1966, 1, 1), on), AgeBand::From51To60);
        assert_eq!(AgeBand::of(None, on), AgeBand::Unknown);
    }
}
