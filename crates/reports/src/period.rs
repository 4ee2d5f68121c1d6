//! Report periods in Vietnam's calendar.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// A month, a quarter or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// `2026-10`.
    Month {
        /// The year.
        year: i32,
        /// 1–12.
        month: u32,
    },
    /// `2026-Q4`.
    Quarter {
        /// The year.
        year: i32,
        /// 1–4.
        quarter: u32,
    },
    /// `2026`.
    Year {
        /// The year.
        year: i32,
    },
}

/// Why a period does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a period is a month (2026-10), a quarter (2026-Q4) or a year (2026) between 2000 and 2100")]
pub struct PeriodError;

/// The years a period may name.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl Period {
    /// Parses `YYYY-MM`, `YYYY-Qn` or `YYYY` (years 2000–2100).
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let year = |y: &str| -> Result<i32, PeriodError> {
            if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
                return Err(PeriodError);
            }
            let y: i32 = y.parse().map_err(|_| PeriodError)?;
            if YEARS.contains(&y) { Ok(y) } else { Err(PeriodError) }
        };
        match s.split_once('-') {
            None => Ok(Period::Year { year: year(s)? }),
            Some((y, rest)) => {
                let y = year(y)?;
                if let Some(q) = rest.strip_prefix('Q') {
                    match q {
                        "1" | "2" | "3" | "4" => Ok(Period::Quarter { year: y, quarter: q.parse().map_err(|_| PeriodError)? }),
                        _ => Err(PeriodError),
                    }
                } else if rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit()) {
                    let m: u32 = rest.parse().map_err(|_| PeriodError)?;
                    if (1..=12).contains(&m) { Ok(Period::Month { year: y, month: m }) } else { Err(PeriodError) }
                } else {
                    Err(PeriodError)
                }
            }
        }
    }

    /// The month containing `date`.
    pub fn month_of(date: NaiveDate) -> Period {
        Period::Month { year: date.year(), month: date.month() }
    }

    /// The year of the period.
    pub fn year(self) -> i32 {
        match self {
            Period::Month { year, .. } | Period::Quarter { year, .. } | Period::Year { year } => year,
        }
    }

    /// The first day.
    pub fn start(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, 3 * quarter - 2),
            Period::Year { year } => (year, 1),
        };
        first_of(y, m)
    }

    /// The day after the last day (the exclusive end).
    pub fn end_exclusive(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Month { year, month } => (year, month + 1),
            Period::Quarter { year, quarter } => (year, 3 * quarter + 1),
            Period::Year { year } => (year + 1, 1),
        };
        if m > 12 { first_of(y + 1, m - 12) } else { first_of(y, m) }
    }

    /// The last day.
    pub fn last_day(self) -> NaiveDate {
        self.end_exclusive().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// Whether `date` falls in the period.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date < self.end_exclusive()
    }

    /// The months of the period, in order (`(year, month)`).
    pub fn months(self) -> Vec<(i32, u32)> {
        match self {
            Period::Month { year, month } => vec![(year, month)],
            Period::Quarter { year, quarter } => (3 * quarter - 2..=3 * quarter).map(|m| (year, m)).collect(),
            Period::Year { year } => (1..=12).map(|m| (year, m)).collect(),
        }
    }

    /// The quarters the period touches (`(year, quarter)`); a month touches its quarter.
    pub fn quarters(self) -> Vec<(i32, u32)> {
        match self {
            Period::Month { year, month } => vec![(year, (month - 1) / 3 + 1)],
            Period::Quarter { year, quarter } => vec![(year, quarter)],
            Period::Year { year } => (1..=4).map(|q| (year, q)).collect(),
        }
    }

    /// The period before this one, of the same length.
    pub fn previous(self) -> Period {
        match self {
            Period::Month { year, month: 1 } => Period::Month { year: year - 1, month: 12 },
            Period::Month { year, month } => Period::Month { year, month: month - 1 },
            Period::Quarter { year, quarter: 1 } => Period::Quarter { year: year - 1, quarter: 4 },
            Period::Quarter { year, quarter } => Period::Quarter { year, quarter: quarter - 1 },
            Period::Year { year } => Period::Year { year: year - 1 },
        }
    }

    /// The Vietnamese label: `tháng 10/2026`, `quý IV/2026`, `năm 2026`.
    pub fn label_vi(self) -> String {
        match self {
            Period::Month { year, month } => format!("tháng {month:02}/{year}"),
            Period::Quarter { year, quarter } => format!("quý {}/{year}", ["I", "II", "III", "IV"][(quarter as usize).saturating_sub(1).min(3)]),
            Period::Year { year } => format!("năm {year}"),
        }
    }
}

fn first_of(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Period::Year { year } => write!(f, "{year:04}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_and_prints() {
        for s in ["2026-10", "2026-01", "2026-Q1", "2026-Q4", "2026", "2000", "2100-12"] {
            assert_eq!(Period::parse(s).unwrap().to_string(), s);
        }
        for s in ["", "26", "2026-13", "2026-00", "2026-1", "2026-Q0", "2026-Q5", "2026-q1", "1999", "2101", "2026-10-01", "+2026", "２０２６"] {
            assert_eq!(Period::parse(s), Err(PeriodError), "{s}");
        }
    }

    #[test]
    fn bounds_months_and_previous() {
        let oct = Period::parse("2026-10").unwrap();
        assert_eq!((oct.start(), oct.last_day(), oct.end_exclusive()), (d(2026, 10, 1), d(2026, 10, 31), d(2026, 11, 1)));
        let dec = Period::parse("2026-12").unwrap();
        assert_eq!(dec.end_exclusive(), d(2027, 1, 1));
        let q4 = Period::parse("2026-Q4").unwrap();
        assert_eq!((q4.start(), q4.last_day()), (d(2026, 10, 1), d(2026, 12, 31)));
        assert_eq!(q4.months(), vec![(2026, 10), (2026, 11), (2026, 12)]);
        let feb = Period::parse("2028-02").unwrap();
        assert_eq!(feb.last_day(), d(2028, 2, 29));
        let y = Period::parse("2026").unwrap();
        assert_eq!((y.start(), y.last_day(), y.months().len(), y.quarters().len()), (d(2026, 1, 1), d(2026, 12, 31), 12, 4));
        assert!(y.contains(d(2026, 12, 31)) && !y.contains(d(2027, 1, 1)));
        assert_eq!(Period::parse("2026-01").unwrap().previous().to_string(), "2025-12");
        assert_eq!(Period::parse("2026-Q1").unwrap().previous().to_string(), "2025-Q4");
        assert_eq!(oct.quarters(), vec![(2026, 4)]);
        assert_eq!(oct.label_vi(), "tháng 10/2026");
        assert_eq!(q4.label_vi(), "quý IV/2026");
    }
}
