//! The member lifecycle as a state machine over dated events.
//!
//! A member is admitted as probationary (*dự bị*), recognised as official (*chính thức*) no
//! earlier than 12 months after admission, may be transferred officially (*chuyển sinh hoạt
//! chính thức*: leaves the source roster and joins the target) or temporarily (*tạm thời*: stays
//! in the home roster and appears in the host cell as temporary), may be exempted from Party
//! activities (*miễn sinh hoạt*) and have the exemption ended, and leaves the Party by removal
//! (*xóa tên*), expulsion (*khai trừ*) or death. Events are applied in date order; an
//! impossible transition is a [`LifecycleError`].

use chrono::NaiveDate;

use crate::UnitId;
use crate::time::add_months;

/// Length of probation before a member may be recognised as official.
pub const PROBATION_MONTHS: u32 = 12;

/// A member's standing in the Party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Standing {
    /// *Đảng viên dự bị*.
    Probationary,
    /// *Đảng viên chính thức*.
    Official,
    /// Removed from the rolls (*xóa tên*).
    Removed,
    /// Expelled (*khai trừ*).
    Expelled,
    /// Deceased (*từ trần*).
    Deceased,
}

impl Standing {
    /// Every standing.
    pub const ALL: [Standing; 5] = [Standing::Probationary, Standing::Official, Standing::Removed, Standing::Expelled, Standing::Deceased];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Standing::Probationary => "probationary",
            Standing::Official => "official",
            Standing::Removed => "removed",
            Standing::Expelled => "expelled",
            Standing::Deceased => "deceased",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the member is still a member (probationary or official).
    pub fn is_active(self) -> bool {
        matches!(self, Standing::Probationary | Standing::Official)
    }
}

/// The current state of a member, derived by applying events in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MemberState {
    /// Probationary, official, or one of the terminal standings.
    pub standing: Standing,
    /// The cell whose roster the member belongs to.
    pub home_unit: UnitId,
    /// Set while the member is temporarily active in another cell.
    pub temporary_host: Option<UnitId>,
    /// Set (with its start date) while the member is exempt from Party activities.
    pub exempt_since: Option<NaiveDate>,
    /// Admission date (*ngày vào Đảng*).
    pub admitted_on: NaiveDate,
    /// Date recognised as official (*ngày chính thức*).
    pub official_on: Option<NaiveDate>,
    /// Effective date of the latest event (admission at first).
    pub last_event_on: NaiveDate,
}

impl MemberState {
    /// The state right after admission as a probationary member of `cell`.
    pub fn admitted(cell: UnitId, admitted_on: NaiveDate) -> Self {
        Self {
            standing: Standing::Probationary,
            home_unit: cell,
            temporary_host: None,
            exempt_since: None,
            admitted_on,
            official_on: None,
            last_event_on: admitted_on,
        }
    }

    /// The state of a member recorded as already official (imports of existing members).
    pub fn already_official(cell: UnitId, admitted_on: NaiveDate, official_on: NaiveDate) -> Result<Self, LifecycleError> {
        let earliest = add_months(admitted_on, PROBATION_MONTHS);
        if official_on < earliest {
            return Err(LifecycleError::ProbationNotComplete { earliest });
        }
        Ok(Self {
            standing: Standing::Official,
            official_on: Some(official_on),
            last_event_on: official_on,
            ..Self::admitted(cell, admitted_on)
        })
    }

    /// Whether the member must attend their home cell's meetings (active, not exempt).
    pub fn is_obliged_to_attend(&self) -> bool {
        self.standing.is_active() && self.exempt_since.is_none()
    }
}

/// Minimum age at admission (Điều lệ Đảng: from 18 years old).
pub const MIN_ADMISSION_AGE: u32 = 18;

/// Why an admission record is refused; `field()` names the input field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    /// Younger than 18 on the admission date.
    #[error("the member must be at least 18 years old on the admission date")]
    TooYoung,
    /// A date lies after today.
    #[error("{field} is in the future")]
    InFuture {
        /// The field.
        field: &'static str,
    },
    /// A date outside 1900–2100.
    #[error("{field} must be between 1900-01-01 and 2100-12-31")]
    OutOfRange {
        /// The field.
        field: &'static str,
    },
    /// Recorded as official before 12 months of probation.
    #[error("official_on must be at least 12 months after admitted_on (earliest {earliest})")]
    ProbationNotComplete {
        /// Earliest possible date.
        earliest: NaiveDate,
    },
}

impl AdmissionError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AdmissionError::TooYoung => "too_young",
            AdmissionError::InFuture { .. } => "in_future",
            AdmissionError::OutOfRange { .. } => "out_of_range",
            AdmissionError::ProbationNotComplete { .. } => "probation_not_complete",
        }
    }

    /// The input field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            AdmissionError::TooYoung => "date_of_birth",
            AdmissionError::InFuture { field } | AdmissionError::OutOfRange { field } => field,
            AdmissionError::ProbationNotComplete { .. } => "official_on",
        }
    }
}

/// The initial state of a member recorded in `cell`: probationary since `admitted_on`, or
/// official since `official_on` for members recorded after the fact. Checks the minimum age,
/// that no date is in the future and the 12-month probation.
pub fn admit(
    cell: UnitId,
    date_of_birth: NaiveDate,
    admitted_on: NaiveDate,
    official_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<MemberState, AdmissionError> {
    for (field, date) in [("date_of_birth", Some(date_of_birth)), ("admitted_on", Some(admitted_on)), ("official_on", official_on)] {
        if date.is_some_and(|d| !crate::time::in_range(d)) {
            return Err(AdmissionError::OutOfRange { field });
        }
    }
    if date_of_birth > today {
        return Err(AdmissionError::InFuture { field: "date_of_birth" });
    }
    if admitted_on > today {
        return Err(AdmissionError::InFuture { field: "admitted_on" });
    }
    if add_months(date_of_birth, MIN_ADMISSION_AGE * 12) > admitted_on {
        return Err(AdmissionError::TooYoung);
    }
    match official_on {
        None => Ok(MemberState::admitted(cell, admitted_on)),
        Some(on) if on > today => Err(AdmissionError::InFuture { field: "official_on" }),
        Some(on) => MemberState::already_official(cell, admitted_on, on)
            .map_err(|_| AdmissionError::ProbationNotComplete { earliest: add_months(admitted_on, PROBATION_MONTHS) }),
    }
}

/// What happened to a member. With the `serde` feature it is tagged by its code in a `type`
/// field: `{"type": "transfer", "to_unit": "…"}`, `{"type": "exempt"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(tag = "type", rename_all = "snake_case"))]
pub enum EventKind {
    /// Recognised as official member (*công nhận đảng viên chính thức*).
    RecognizeOfficial,
    /// Official transfer to another cell.
    Transfer {
        /// The receiving cell.
        to_unit: UnitId,
    },
    /// Temporary transfer to a host cell.
    TemporaryTransfer {
        /// The host cell.
        host_unit: UnitId,
    },
    /// End of a temporary transfer.
    EndTemporaryTransfer,
    /// Exemption from Party activities (*miễn sinh hoạt*).
    Exempt,
    /// End of an exemption.
    EndExemption,
    /// Removal from the rolls (*xóa tên*).
    Remove,
    /// Expulsion (*khai trừ*).
    Expel,
    /// Death.
    Decease,
}

/// Code of a member's admission: the first entry of every history, written when the member is
/// created (never recorded as an [`EventKind`]).
pub const ADMISSION_CODE: &str = "admit";

/// Why [`EventKind::from_code`] refused a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EventCodeError {
    /// Not one of [`EventKind::CODES`].
    #[error("unknown event type")]
    Unknown,
    /// A transfer without its receiving or host cell.
    #[error("a transfer needs the receiving or host cell")]
    TargetMissing,
}

impl EventKind {
    /// The codes of the events one records, in the order of the lifecycle.
    pub const CODES: [&'static str; 9] = [
        "recognize_official",
        "transfer",
        "temporary_transfer",
        "end_temporary_transfer",
        "exempt",
        "end_exemption",
        "remove",
        "expel",
        "decease",
    ];

    /// The event named by `code`; `target` is the receiving cell of a `transfer` or the host
    /// cell of a `temporary_transfer` (ignored by the other events).
    pub fn from_code(code: &str, target: Option<UnitId>) -> Result<Self, EventCodeError> {
        let kind = match code {
            "recognize_official" => EventKind::RecognizeOfficial,
            "transfer" => EventKind::Transfer { to_unit: target.ok_or(EventCodeError::TargetMissing)? },
            "temporary_transfer" => EventKind::TemporaryTransfer { host_unit: target.ok_or(EventCodeError::TargetMissing)? },
            "end_temporary_transfer" => EventKind::EndTemporaryTransfer,
            "exempt" => EventKind::Exempt,
            "end_exemption" => EventKind::EndExemption,
            "remove" => EventKind::Remove,
            "expel" => EventKind::Expel,
            "decease" => EventKind::Decease,
            _ => return Err(EventCodeError::Unknown),
        };
        Ok(kind)
    }

    /// Stable code of the event type, as used by the API.
    pub fn code(&self) -> &'static str {
        match self {
            EventKind::RecognizeOfficial => "recognize_official",
            EventKind::Transfer { .. } => "transfer",
            EventKind::TemporaryTransfer { .. } => "temporary_transfer",
            EventKind::EndTemporaryTransfer => "end_temporary_transfer",
            EventKind::Exempt => "exempt",
            EventKind::EndExemption => "end_exemption",
            EventKind::Remove => "remove",
            EventKind::Expel => "expel",
            EventKind::Decease => "decease",
        }
    }

    /// Whether the event must cite a deciding document.
    pub fn requires_decision(&self) -> bool {
        !matches!(self, EventKind::Decease)
    }

    /// The unit this event names besides the member's home cell, if any.
    pub fn target_unit(&self) -> Option<UnitId> {
        match self {
            EventKind::Transfer { to_unit } => Some(*to_unit),
            EventKind::TemporaryTransfer { host_unit } => Some(*host_unit),
            _ => None,
        }
    }
}

/// Why an event cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The member has left the Party (removed, expelled, deceased).
    #[error("the member is no longer active ({standing})")]
    NotActive {
        /// Current standing code.
        standing: &'static str,
    },
    /// Recognition requested for someone who is not probationary.
    #[error("only a probationary member can be recognised as official")]
    NotProbationary,
    /// Recognition before 12 months of probation.
    #[error("probation ends on {earliest}")]
    ProbationNotComplete {
        /// The earliest date of recognition.
        earliest: NaiveDate,
    },
    /// Transfer to the cell the member is already in.
    #[error("the member already belongs to that cell")]
    SameUnit,
    /// An official transfer while a temporary transfer is running.
    #[error("end the temporary transfer first")]
    TemporarilyTransferred,
    /// A temporary-transfer operation that does not match the state.
    #[error("the member is not temporarily transferred")]
    NotTemporarilyTransferred,
    /// Exemption while already exempt.
    #[error("the member is already exempt")]
    AlreadyExempt,
    /// End of an exemption that does not exist.
    #[error("the member is not exempt")]
    NotExempt,
    /// The event is dated before the member's latest event.
    #[error("the event is dated before the latest event ({last})")]
    OutOfOrder {
        /// Date of the latest event.
        last: NaiveDate,
    },
    /// The event is dated after today.
    #[error("the effective date is in the future")]
    InFuture,
    /// The event requires a deciding document.
    #[error("a deciding document is required")]
    DecisionRequired,
}

impl LifecycleError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::NotActive { .. } => "member_not_active",
            LifecycleError::NotProbationary => "not_probationary",
            LifecycleError::ProbationNotComplete { .. } => "probation_not_complete",
            LifecycleError::SameUnit => "same_unit",
            LifecycleError::TemporarilyTransferred => "temporarily_transferred",
            LifecycleError::NotTemporarilyTransferred => "not_temporarily_transferred",
            LifecycleError::AlreadyExempt => "already_exempt",
            LifecycleError::NotExempt => "not_exempt",
            LifecycleError::OutOfOrder { .. } => "event_out_of_order",
            LifecycleError::InFuture => "effective_date_in_future",
            LifecycleError::DecisionRequired => "decision_required",
        }
    }
}

/// Applies one event, effective on `on`, to `state`. `today` is the current date in Vietnam.
pub fn apply(state: &MemberState, event: &EventKind, on: NaiveDate, today: NaiveDate) -> Result<MemberState, LifecycleError> {
    if !state.standing.is_active() {
        return Err(LifecycleError::NotActive { standing: state.standing.code() });
    }
    if on > today {
        return Err(LifecycleError::InFuture);
    }
    if !crate::time::in_range(on) {
        return Err(LifecycleError::OutOfOrder { last: state.last_event_on });
    }
    if on < state.last_event_on {
        return Err(LifecycleError::OutOfOrder { last: state.last_event_on });
    }
    let mut next = state.clone();
    next.last_event_on = on;
    match event {
        EventKind::RecognizeOfficial => {
            if state.standing != Standing::Probationary {
                return Err(LifecycleError::NotProbationary);
            }
            let earliest = add_months(state.admitted_on, PROBATION_MONTHS);
            if on < earliest {
                return Err(LifecycleError::ProbationNotComplete { earliest });
            }
            next.standing = Standing::Official;
            next.official_on = Some(on);
        }
        EventKind::Transfer { to_unit } => {
            if state.temporary_host.is_some() {
                return Err(LifecycleError::TemporarilyTransferred);
            }
            if *to_unit == state.home_unit {
                return Err(LifecycleError::SameUnit);
            }
            next.home_unit = *to_unit;
        }
        EventKind::TemporaryTransfer { host_unit } => {
            if state.temporary_host.is_some() {
                return Err(LifecycleError::TemporarilyTransferred);
            }
            if *host_unit == state.home_unit {
                return Err(LifecycleError::SameUnit);
            }
            next.temporary_host = Some(*host_unit);
        }
        EventKind::EndTemporaryTransfer => {
            if state.temporary_host.is_none() {
                return Err(LifecycleError::NotTemporarilyTransferred);
            }
            next.temporary_host = None;
        }
        EventKind::Exempt => {
            if state.exempt_since.is_some() {
                return Err(LifecycleError::AlreadyExempt);
            }
            next.exempt_since = Some(on);
        }
        EventKind::EndExemption => {
            if state.exempt_since.is_none() {
                return Err(LifecycleError::NotExempt);
            }
            next.exempt_since = None;
        }
        EventKind::Remove | EventKind::Expel | EventKind::Decease => {
            next.standing = match event {
                EventKind::Remove => Standing::Removed,
                EventKind::Expel => Standing::Expelled,
                _ => Standing::Deceased,
            };
            next.temporary_host = None;
            next.exempt_since = None;
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn unit(n: u128) -> UnitId {
        UnitId::from_uuid(uuid::Uuid::from_u128(n))
    }

    /// Every event kind from every reachable kind of state: the full transition table.
    #[test]
    fn transition_table() {
        let home = unit(1);
        let other = unit(2);
        let today = d(2026, 6, 1);
        let admitted = d(2024, 1, 15);
        let probationary = MemberState::admitted(home, admitted);
        let official = MemberState::already_official(home, admitted, d(2025, 1, 15)).unwrap();
        let temp = MemberState { temporary_host: Some(other), ..official.clone() };
        let exempt = MemberState { exempt_since: Some(d(2025, 2, 1)), last_event_on: d(2025, 2, 1), ..official.clone() };
        let removed = MemberState { standing: Standing::Removed, ..official.clone() };
        let expelled = MemberState { standing: Standing::Expelled, ..official.clone() };
        let deceased = MemberState { standing: Standing::Deceased, ..official.clone() };
        let states = [
            ("probationary", &probationary),
            ("official", &official),
            ("temporarily_transferred", &temp),
            ("exempt", &exempt),
            ("removed", &removed),
            ("expelled", &expelled),
            ("deceased", &deceased),
        ];
        let events = [
            EventKind::RecognizeOfficial,
            EventKind::Transfer { to_unit: other },
            EventKind::Transfer { to_unit: home },
            EventKind::TemporaryTransfer { host_unit: other },
            EventKind::EndTemporaryTransfer,
            EventKind::Exempt,
            EventKind::EndExemption,
            EventKind::Remove,
            EventKind::Expel,
            EventKind::Decease,
        ];
        let mut table = Vec::new();
        for (name, state) in states {
            for event in &events {
                let label = match event {
                    EventKind::Transfer { to_unit } if *to_unit == home => "transfer(home)".to_string(),
                    e => e.code().to_string(),
                };
                let outcome = match apply(state, event, d(2026, 3, 1), today) {
                    Ok(next) => format!(
                        "ok -> {}{}{}{}",
                        next.standing.code(),
                        if next.home_unit == other { " home=other" } else { "" },
                        if next.temporary_host.is_some() { " temp" } else { "" },
                        if next.exempt_since.is_some() { " exempt" } else { "" },
                    ),
                    Err(e) => format!("refused: {}", e.code()),
                };
                table.push(format!("{name:<24} {label:<24} {outcome}"));
            }
        }
        insta::assert_snapshot!(table.join("\n"));
    }

    #[test]
    fn dates_are_checked() {
        let home = unit(1);
        let admitted = d(2024, 2, 29);
        let s = MemberState::admitted(home, admitted);
        let today = d(2026, 1, 1);
        // 12 months after 29 Feb 2024 is 28 Feb 2025.
        assert_eq!(
            apply(&s, &EventKind::RecognizeOfficial, d(2025, 2, 27), today),
            Err(LifecycleError::ProbationNotComplete { earliest: d(2025, 2, 28) })
        );
        assert!(apply(&s, &EventKind::RecognizeOfficial, d(2025, 2, 28), today).is_ok());
        assert_eq!(apply(&s, &EventKind::Exempt, d(2026, 1, 2), today), Err(LifecycleError::InFuture));
        assert_eq!(apply(&s, &EventKind::Exempt, d(2024, 2, 28), today), Err(LifecycleError::OutOfOrder { last: admitted }));
        assert_eq!(
            MemberState::already_official(home, admitted, d(2024, 12, 1)),
            Err(LifecycleError::ProbationNotComplete { earliest: d(2025, 2, 28) })
        );
    }

    #[test]
    fn admission_rules() {
        let cell = unit(1);
        let today = d(2026, 1, 1);
        let dob = d(2000, 5, 10);
        assert_eq!(admit(cell, dob, d(2018, 5, 9), None, today), Err(AdmissionError::TooYoung));
        assert!(admit(cell, dob, d(2018, 5, 10), None, today).is_ok());
        assert_eq!(admit(cell, dob, d(2026, 1, 2), None, today), Err(AdmissionError::InFuture { field: "admitted_on" }));
        assert_eq!(admit(cell, d(2027, 1, 1), d(2026, 1, 1), None, today), Err(AdmissionError::InFuture { field: "date_of_birth" }));
        assert_eq!(
            admit(cell, dob, d(2020, 1, 1), Some(d(2020, 12, 31)), today),
            Err(AdmissionError::ProbationNotComplete { earliest: d(2021, 1, 1) })
        );
        let official = admit(cell, dob, d(2020, 1, 1), Some(d(2021, 1, 1)), today).unwrap();
        assert_eq!(official.standing, Standing::Official);
        assert_eq!(official.last_event_on, d(2021, 1, 1));
        assert_eq!(AdmissionError::TooYoung.field(), "date_of_birth");
    }

    #[test]
    fn obligation_follows_state() {
        let s = MemberState::admitted(unit(1), d(2024, 1, 1));
        assert!(s.is_obliged_to_attend());
        let exempt = apply(&s, &EventKind::Exempt, d(2024, 6, 1), d(2025, 1, 1)).unwrap();
        assert!(!exempt.is_obliged_to_attend());
        let back = apply(&exempt, &EventKind::EndExemption, d(2024, 9, 1), d(2025, 1, 1)).unwrap();
        assert!(back.is_obliged_to_attend());
        let dead = apply(&back, &EventKind::Decease, d(2024, 10, 1), d(2025, 1, 1)).unwrap();
        assert!(!dead.is_obliged_to_attend());
    }

    #[test]
    fn event_codes_round_trip() {
        let cell = UnitId::from_uuid(uuid::Uuid::from_u128(7));
        for code in EventKind::CODES {
            assert_eq!(EventKind::from_code(code, Some(cell)).map(|k| k.code()), Ok(code));
        }
        assert_eq!(EventKind::from_code(ADMISSION_CODE, Some(cell)), Err(EventCodeError::Unknown));
        assert_eq!(EventKind::from_code("transfer", None), Err(EventCodeError::TargetMissing));
        assert_eq!(EventKind::from_code("temporary_transfer", None), Err(EventCodeError::TargetMissing));
        // Every variant's code is listed: adding a variant without its code fails to compile here.
        let listed = |k: EventKind| match k {
            EventKind::RecognizeOfficial
            | EventKind::Transfer { .. }
            | EventKind::TemporaryTransfer { .. }
            | EventKind::EndTemporaryTransfer
            | EventKind::Exempt
            | EventKind::EndExemption
            | EventKind::Remove
            | EventKind::Expel
            | EventKind::Decease => EventKind::CODES.contains(&k.code()),
        };
        assert!(listed(EventKind::Transfer { to_unit: cell }) && listed(EventKind::Decease));
    }
}
