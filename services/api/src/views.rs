//! Response bodies and their conversions from storage records. Request bodies live next to their
//! handlers. [`schema`] holds what the OpenAPI document says about values (enums, bounds).

pub mod schema;

use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use membership::permission::MemberView as Visibility;
use membership::position::Position;
use serde::Serialize;
use storage::members::{EventRecord, MemberRecord};
use storage::units::UnitRecord;
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;
use uuid::Uuid;

use crate::error::ApiError;
use crate::views::schema::{CalendarDate, EventTypeCode, MemberViewCode, RoleCode, SexCode, StandingCode, UnitKindCode, text};

/// An organisation unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitView {
    /// Id (UUID v7).
    pub id: Uuid,
    /// Current superior unit (none for the root).
    pub parent_id: Option<Uuid>,
    /// Kind: `central`, `province`, `district`, `commune_committee`, `grassroots_committee`,
    /// `partial_committee`, `cell` (*chi bộ*), `party_group` (*tổ đảng*).
    #[schema(value_type = UnitKindCode)]
    pub kind: String,
    /// Vietnamese name of the kind.
    #[schema(example = "Chi bộ")]
    pub kind_label: String,
    /// Name.
    #[schema(example = "Chi bộ thôn Đông Thành")]
    pub name: String,
    /// Depth in the tree (root = 0).
    pub depth: i32,
    /// Date the current superior link took effect.
    pub parent_since: NaiveDate,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<&UnitRecord> for UnitView {
    fn from(u: &UnitRecord) -> Self {
        Self {
            id: u.id.as_uuid(),
            parent_id: u.parent_id.map(|p| p.as_uuid()),
            kind: u.kind.code().to_string(),
            kind_label: u.kind.label_vi().to_string(),
            name: u.name.clone(),
            depth: u.depth,
            parent_since: u.parent_since,
            created_at: u.created_at,
        }
    }
}

/// A unit with its ancestry (for breadcrumbs).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitDetail {
    /// The unit.
    #[serde(flatten)]
    pub unit: UnitView,
    /// Ancestors, root first, excluding the unit itself.
    pub ancestors: Vec<UnitRef>,
}

/// A short reference to a unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRef {
    /// Id.
    pub id: Uuid,
    /// Kind code.
    #[schema(value_type = UnitKindCode)]
    pub kind: String,
    /// Name.
    pub name: String,
}

impl From<&UnitRecord> for UnitRef {
    fn from(u: &UnitRecord) -> Self {
        Self { id: u.id.as_uuid(), kind: u.kind.code().to_string(), name: u.name.clone() }
    }
}

/// A position held in a unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PositionView {
    /// Id.
    pub id: Uuid,
    /// Unit.
    pub unit_id: Uuid,
    /// Holder.
    pub member_id: Uuid,
    /// `secretary` (*bí thư*), `deputy_secretary` (*phó bí thư*), `committee_member` (*cấp ủy viên*).
    #[schema(value_type = RoleCode)]
    pub role: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive), if ended.
    pub to: Option<NaiveDate>,
}

impl From<&Position> for PositionView {
    fn from(p: &Position) -> Self {
        Self {
            id: p.id.as_uuid(),
            unit_id: p.unit_id.as_uuid(),
            member_id: p.member_id.as_uuid(),
            role: p.role.code().to_string(),
            from: p.from,
            to: p.to,
        }
    }
}

/// A member record. Fields marked *private* are present only in the `full` view: for the member
/// themself and for leaders (secretary, deputy, committee members) and administrators over the
/// member's unit. Colleagues in the same cell get the `basic` view (name, cell, positions).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    /// Id.
    pub id: Uuid,
    /// `full` or `basic`.
    #[schema(value_type = MemberViewCode)]
    pub view: String,
    /// Full name (NFC).
    #[schema(example = "Nguyễn Thị Hồng")]
    pub full_name: String,
    /// Home cell.
    pub unit_id: Uuid,
    /// Active positions.
    pub positions: Vec<PositionView>,
    /// `probationary`, `official`, `removed`, `expelled`, `deceased` (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<StandingCode>)]
    pub standing: Option<String>,
    /// Host cell while temporarily transferred (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_unit_id: Option<Uuid>,
    /// Start of the exemption from Party activities, if exempt (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exempt_since: Option<NaiveDate>,
    /// `male` or `female` (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<SexCode>)]
    pub sex: Option<String>,
    /// Date of birth (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// Admission date (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admitted_on: Option<NaiveDate>,
    /// Date recognised as official (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub official_on: Option<NaiveDate>,
    /// Party-card number (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_card_number: Option<String>,
    /// CCCD, 12 digits (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citizen_id: Option<String>,
    /// Phone, national form (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Version for `If-Match` (also sent as the `ETag` header of single-member responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

impl MemberView {
    /// The view of `m` at `visibility`, with the given active positions.
    pub fn new(m: &MemberRecord, visibility: Visibility, positions: Vec<PositionView>) -> Self {
        let full = visibility == Visibility::Full;
        fn private<T>(full: bool, v: T) -> Option<T> {
            if full { Some(v) } else { None }
        }
        Self {
            id: m.id.as_uuid(),
            view: visibility.code().to_string(),
            full_name: m.full_name.as_str().to_string(),
            unit_id: m.state.home_unit.as_uuid(),
            positions,
            standing: private(full, m.state.standing.code().to_string()),
            temporary_unit_id: if full { m.state.temporary_host.map(|u| u.as_uuid()) } else { None },
            exempt_since: if full { m.state.exempt_since } else { None },
            sex: private(full, m.sex.code().to_string()),
            date_of_birth: private(full, m.date_of_birth),
            admitted_on: private(full, m.state.admitted_on),
            official_on: if full { m.state.official_on } else { None },
            party_card_number: if full { m.party_card_number.as_ref().map(|v| v.as_str().to_string()) } else { None },
            citizen_id: private(full, m.citizen_id.as_str().to_string()),
            phone: if full { m.phone.as_ref().map(|v| v.as_str().to_string()) } else { None },
            email: if full { m.email.as_ref().map(|v| v.as_str().to_string()) } else { None },
            version: private(full, m.version),
        }
    }
}

/// Longest decision number, in characters.
pub const DECISION_NUMBER_MAX_CHARS: usize = 64;
/// Longest decision issuer, in characters.
pub const DECISION_ISSUER_MAX_CHARS: usize = 200;

/// A deciding document cited by a lifecycle event.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Number/symbol (*số, ký hiệu*).
    #[schema(schema_with = decision_number_schema)]
    pub number: String,
    /// Date signed (today or earlier).
    #[schema(value_type = CalendarDate)]
    pub date: NaiveDate,
    /// Issuing body (*cơ quan ban hành*).
    #[schema(schema_with = decision_issuer_schema)]
    pub issuer: String,
}

fn decision_number_schema() -> Object {
    text(1, DECISION_NUMBER_MAX_CHARS)
        .description(Some(format!("Number/symbol (*số, ký hiệu*), 1–{DECISION_NUMBER_MAX_CHARS} characters.")))
        .examples(["125-QĐ/HU"])
        .build()
}

fn decision_issuer_schema() -> Object {
    text(1, DECISION_ISSUER_MAX_CHARS)
        .description(Some(format!("Issuing body (*cơ quan ban hành*), 1–{DECISION_ISSUER_MAX_CHARS} characters.")))
        .examples(["Ban Thường vụ Huyện ủy Kiến Xương"])
        .build()
}

/// A lifecycle event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    /// Id.
    pub id: Uuid,
    /// `admit`, `recognize_official`, `transfer`, `temporary_transfer`, `end_temporary_transfer`,
    /// `exempt`, `end_exemption`, `remove`, `expel`, `decease`.
    #[schema(value_type = EventTypeCode)]
    #[serde(rename = "type")]
    pub kind: String,
    /// Effective date.
    pub effective_on: NaiveDate,
    /// Home cell before the event.
    pub from_unit_id: Option<Uuid>,
    /// Transfer target or temporary host.
    pub to_unit_id: Option<Uuid>,
    /// Deciding document.
    pub decision: Option<DecisionBody>,
    /// Note.
    pub note: Option<String>,
    /// Account that recorded the event.
    pub recorded_by: Option<Uuid>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl From<&EventRecord> for EventView {
    fn from(e: &EventRecord) -> Self {
        Self {
            id: e.id.as_uuid(),
            kind: e.kind.clone(),
            effective_on: e.effective_on,
            from_unit_id: e.from_unit_id.map(|u| u.as_uuid()),
            to_unit_id: e.to_unit_id.map(|u| u.as_uuid()),
            decision: e.decision.as_ref().map(|d| DecisionBody { number: d.number.clone(), date: d.date, issuer: d.issuer.clone() }),
            note: e.note.clone(),
            recorded_by: e.recorded_by,
            recorded_at: e.recorded_at,
        }
    }
}

/// A page of results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Encodes a cursor (opaque to clients).
pub fn encode_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Decodes a cursor; 400 `invalid_cursor` if it was not produced by [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Result<Uuid, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or(ApiError::BadRequest { code: "invalid_cursor", detail: "the cursor is not one this API returned".into() })
}

/// Page size when a list's `limit` is absent.
pub const PAGE_LIMIT_DEFAULT: u64 = 50;
/// Largest page size of the cursor-paged lists.
pub const PAGE_LIMIT_MAX: u64 = 200;

/// Checks a page size: default [`PAGE_LIMIT_DEFAULT`], 1..=[`PAGE_LIMIT_MAX`].
pub fn page_limit(limit: Option<u64>) -> Result<u64, ApiError> {
    match limit {
        None => Ok(PAGE_LIMIT_DEFAULT),
        Some(n @ 1..=PAGE_LIMIT_MAX) => Ok(n),
        Some(_) => Err(ApiError::BadRequest { code: "invalid_query", detail: format!("limit must be between 1 and {PAGE_LIMIT_MAX}") }),
    }
}

/// Refuses dates outside 1900-01-01..=2100-12-31 (422 `out_of_range` naming the field): outside
/// that range the databases and date arithmetic disagree.
pub fn check_dates(dates: &[(&str, Option<chrono::NaiveDate>)]) -> Result<(), ApiError> {
    let issues: Vec<crate::error::FieldIssue> = dates
        .iter()
        .filter(|(_, d)| d.is_some_and(|d| !membership::time::in_range(d)))
        .map(|(f, _)| crate::error::FieldIssue::new(*f, "out_of_range", "must be between 1900-01-01 and 2100-12-31"))
        .collect();
    if issues.is_empty() { Ok(()) } else { Err(ApiError::Validation(issues)) }
}

/// Like [`check_dates`] for query parameters: 400 `invalid_query`.
pub fn check_query_dates(dates: &[Option<chrono::NaiveDate>]) -> Result<(), ApiError> {
    if dates.iter().flatten().all(|d| membership::time::in_range(*d)) {
        Ok(())
    } else {
        Err(ApiError::BadRequest { code: "invalid_query", detail: "dates must be between 1900-01-01 and 2100-12-31".into() })
    }
}
