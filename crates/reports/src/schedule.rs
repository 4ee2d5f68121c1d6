//! The schedule of scheduled reports.
//!
//! A [`Rule`] says: on day `day` of each month at `at` (Vietnam time), generate the previous
//! month's report of `kind` in `format` for every unit of the listed kinds; when the previous
//! month closes a quarter, also the quarter's, and in January also the previous year's. What is
//! due at a moment is a pure function of the moment and the rules; generating each (kind, unit,
//! period, format) once is the caller's job (the database's unique key).

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use membership::unit::UnitKind;

use crate::kind::{Format, ReportKind};
use crate::period::Period;

/// One scheduled report run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The report kind (a roll-up: activity or membership).
    pub kind: ReportKind,
    /// The format written.
    pub format: Format,
    /// Day of the month (1–28) from which the run is due.
    pub day: u32,
    /// Time of day, Vietnam time, from which the run is due.
    pub at: NaiveTime,
    /// The unit kinds reported on (e.g. commune committees and provinces).
    pub units: Vec<UnitKind>,
}

/// Why a rule does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a schedule rule is KIND:FORMAT:DAY:HH:MM:UNIT_KINDS, e.g. activity:xlsx:6:07:00:commune_committee+province (day 1–28; a kind that takes quarters and years)"
)]
pub struct RuleError;

impl Rule {
    /// The default: on the 6th at 07:00 (after reports are due on the 5th), the activity roll-up
    /// in XLSX for every commune committee and province.
    pub fn default_rules() -> Vec<Rule> {
        vec![Rule {
            kind: ReportKind::Activity,
            format: Format::Xlsx,
            day: 6,
            at: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or(NaiveTime::MIN),
            units: vec![UnitKind::CommuneCommittee, UnitKind::Province],
        }]
    }

    /// Parses `KIND:FORMAT:DAY:HH:MM:UNIT_KIND[+UNIT_KIND…]`.
    pub fn parse(s: &str) -> Result<Rule, RuleError> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let [kind, format, day, hh, mm, units] = parts.as_slice() else { return Err(RuleError) };
        let kind = ReportKind::from_code(kind).ok_or(RuleError)?;
        if !matches!(kind, ReportKind::Activity | ReportKind::Membership) {
            return Err(RuleError);
        }
        let format = Format::from_code(format).ok_or(RuleError)?;
        if !kind.supports(format) {
            return Err(RuleError);
        }
        let day: u32 = day.parse().map_err(|_| RuleError)?;
        if !(1..=28).contains(&day) {
            return Err(RuleError);
        }
        let at = NaiveTime::from_hms_opt(hh.parse().map_err(|_| RuleError)?, mm.parse().map_err(|_| RuleError)?, 0).ok_or(RuleError)?;
        let units = units.split('+').map(|u| UnitKind::parse(u).map_err(|_| RuleError)).collect::<Result<Vec<_>, _>>()?;
        if units.is_empty() {
            return Err(RuleError);
        }
        Ok(Rule { kind, format, day, at, units })
    }

    /// Parses a comma-separated list of rules.
    pub fn parse_list(s: &str) -> Result<Vec<Rule>, RuleError> {
        s.split(',').filter(|p| !p.trim().is_empty()).map(Rule::parse).collect()
    }

    /// The periods this rule has made due by `now` (Vietnam local time) in the current month:
    /// none before the day and time; from then on, the previous month, plus the previous quarter
    /// when that month closed one, plus the previous year in January. Earlier months' runs were
    /// due in their own month (`due` run late still generates the latest ones only).
    pub fn due(&self, now: NaiveDateTime) -> Vec<Period> {
        let today = now.date();
        let Some(from) = NaiveDate::from_ymd_opt(today.year(), today.month(), self.day).map(|d| d.and_time(self.at)) else {
            return Vec::new();
        };
        if now < from {
            return Vec::new();
        }
        let last = Period::month_of(today).previous();
        let mut out = vec![last];
        if let Period::Month { year, month } = last {
            if month % 3 == 0 {
                out.push(Period::Quarter { year, quarter: month / 3 });
            }
            if month == 12 {
                out.push(Period::Year { year });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }

    #[test]
    fn due_from_the_sixth_at_seven() {
        let rule = &Rule::default_rules()[0];
        assert!(rule.due(at(2026, 11, 6, 6, 59)).is_empty());
        assert!(rule.due(at(2026, 11, 5, 23, 59)).is_empty());
        let p: Vec<String> = rule.due(at(2026, 11, 6, 7, 0)).iter().map(|p| p.to_string()).collect();
        assert_eq!(p, ["2026-10"]);
        let p: Vec<String> = rule.due(at(2026, 11, 30, 23, 0)).iter().map(|p| p.to_string()).collect();
        assert_eq!(p, ["2026-10"]);
        let p: Vec<String> = rule.due(at(2026, 10, 6, 7, 0)).iter().map(|p| p.to_string()).collect();
        assert_eq!(p, ["2026-09", "2026-Q3"]);
        let p: Vec<String> = rule.due(at(2027, 1, 6, 8, 0)).iter().map(|p| p.to_string()).collect();
        assert_eq!(p, ["2026-12", "2026-Q4", "2026"]);
    }

    #[test]
    fn parses_rules() {
        let r = Rule::parse("membership:csv:10:18:30:province").unwrap();
        assert_eq!((r.kind, r.format, r.day, r.at.to_string(), r.units), (ReportKind::Membership, Format::Csv, 10, "18:30:00".into(), vec![UnitKind::Province]));
        assert_eq!(Rule::parse_list("activity:xlsx:6:07:00:commune_committee+province").unwrap(), Rule::default_rules());
        for bad in ["", "activity:xlsx:6:07:00:", "cell_month:xlsx:6:07:00:cell", "activity:pdf:6:07:00:province", "activity:xlsx:29:07:00:province", "activity:xlsx:6:25:00:province", "activity:xlsx:6:07:00:village"] {
            assert!(Rule::parse(bad).is_err(), "{bad}");
        }
    }
}
