//! What the OpenAPI document says about values, built from the code that checks them, so that the
//! document and the server cannot drift apart:
//!
//! - **Closed sets of codes** are named enum components (`UnitKind`, `MeetingStatus`, …) whose
//!   values come from the domain's own code lists (`UnitKind::ALL`, `EventKind::CODES`, …). A field
//!   holding one names it with `#[schema(value_type = …)]` (`#[param(inline, value_type = …)]` for
//!   query parameters) and keeps its Rust type.
//! - **Bounds** (text lengths, number ranges, list sizes, date ranges, patterns) are built by the
//!   helpers below from the constants the handlers and the domain check against; a field takes
//!   them with `#[schema(schema_with = …)]`, through a small function next to its type that also
//!   writes the field's description from the same constants.
//!
//! Lengths count Unicode characters of the value after the server's normalisation (surrounding
//! spaces trimmed, NFC), as the checks do.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

/// `YYYY-MM-DD` between [`membership::time::MIN_DATE`] and [`membership::time::MAX_DATE`]
/// (years 1900–2100; the format checks the day of the month).
pub const DATE_PATTERN: &str = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";
/// A month, `YYYY-MM`.
pub const MONTH_PATTERN: &str = r"^[0-9]{4}-(0[1-9]|1[0-2])$";
/// A time of day, `HH:MM` (24-hour clock).
pub const TIME_OF_DAY_PATTERN: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]$";
/// A CCCD number: 12 digits, the first three a province code 001–096
/// ([`membership::CitizenId::PROVINCE_CODES`]).
pub const CITIZEN_ID_PATTERN: &str = r"^(00[1-9]|0[1-8][0-9]|09[0-6])[0-9]{9}$";
/// A login name: ASCII letters, digits, `.`, `_`, `-` (stored lower-case).
pub const USERNAME_PATTERN: &str = r"^[A-Za-z0-9._-]+$";

/// The named enum components: name and values, for the checks in the tests (the enums used
/// inline, in query parameters and map keys, are not listed).
pub fn enum_components() -> Vec<(Cow<'static, str>, Vec<&'static str>)> {
    vec![
        (UnitKindCode::name(), UnitKindCode::codes()),
        (RoleCode::name(), RoleCode::codes()),
        (StandingCode::name(), StandingCode::codes()),
        (SexCode::name(), SexCode::codes()),
        (SexInput::name(), SexInput::codes()),
        (MemberViewCode::name(), MemberViewCode::codes()),
        (EventTypeCode::name(), EventTypeCode::codes()),
        (NewEventTypeCode::name(), NewEventTypeCode::codes()),
        (MeetingKindCode::name(), MeetingKindCode::codes()),
        (MeetingStatusCode::name(), MeetingStatusCode::codes()),
        (AttendanceStatusCode::name(), AttendanceStatusCode::codes()),
        (RosterRoleCode::name(), RosterRoleCode::codes()),
        (AuthorPresenceCode::name(), AuthorPresenceCode::codes()),
        (VoteCode::name(), VoteCode::codes()),
        (ReportStatusCode::name(), ReportStatusCode::codes()),
        (crate::routes::generated_reports::ReportKindCode::name(), crate::routes::generated_reports::ReportKindCode::codes()),
        (crate::routes::generated_reports::ReportFormatCode::name(), crate::routes::generated_reports::ReportFormatCode::codes()),
        (
            crate::routes::generated_reports::GeneratedReportStatusCode::name(),
            crate::routes::generated_reports::GeneratedReportStatusCode::codes(),
        ),
        (PublishWarningCode::name(), PublishWarningCode::codes()),
        (DocumentKindCode::name(), DocumentKindCode::codes()),
        (DocumentStatusCode::name(), DocumentStatusCode::codes()),
        (AttachmentTypeCode::name(), AttachmentTypeCode::codes()),
        (TaskStatusCode::name(), TaskStatusCode::codes()),
        (TaskPriorityCode::name(), TaskPriorityCode::codes()),
        (TaskRatingCode::name(), TaskRatingCode::codes()),
        (TaskStepCode::name(), TaskStepCode::codes()),
        (QuestionKindCode::name(), QuestionKindCode::codes()),
        (AttemptPeriodCode::name(), AttemptPeriodCode::codes()),
        (WeekdayCode::name(), WeekdayCode::codes()),
        (PointsReasonCode::name(), PointsReasonCode::codes()),
        (NotificationKindCode::name(), NotificationKindCode::codes()),
        (NotificationObjectCode::name(), NotificationObjectCode::codes()),
        (DeliveryChannelCode::name(), DeliveryChannelCode::codes()),
        (DeliveryStatusCode::name(), DeliveryStatusCode::codes()),
    ]
}

/// A named enum component over a list of codes: a unit type implementing `ToSchema` with the
/// component's name, and `codes()`.
macro_rules! code_enum {
    ($(#[$doc:meta])* $ty:ident = $name:literal, $description:literal, $codes:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $ty;

        impl $ty {
            /// The values, in the domain's order.
            pub fn codes() -> Vec<&'static str> {
                $codes.into_iter().collect()
            }
        }

        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::views::schema::code_list($description, Self::codes()).into()
            }
        }

        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
    };
}

pub(crate) use code_enum;

code_enum!(
    /// `membership::UnitKind`.
    UnitKindCode = "UnitKind",
    "Kind of organisation unit: `central`, `province`, `district`, `commune_committee`, `grassroots_committee`, \
     `partial_committee`, `cell` (*chi bộ*), `party_group` (*tổ đảng*).",
    membership::UnitKind::ALL.map(|k| k.code())
);
code_enum!(
    /// `membership::position::Role`.
    RoleCode = "PositionRole",
    "A position in a unit's committee: `secretary` (*bí thư*), `deputy_secretary` (*phó bí thư*), `committee_member` (*cấp ủy viên*).",
    membership::position::Role::ALL.map(|r| r.code())
);
code_enum!(
    /// `membership::lifecycle::Standing`.
    StandingCode = "Standing",
    "A member's standing in the Party.",
    membership::lifecycle::Standing::ALL.map(|s| s.code())
);
code_enum!(
    /// `membership::Sex`, as the server sends it.
    SexCode = "Sex",
    "Sex as recorded.",
    membership::Sex::ALL.map(|s| s.code())
);
code_enum!(
    /// Every spelling of `membership::Sex` the server accepts.
    SexInput = "SexInput",
    "Sex: `male` or `female`; the Vietnamese `nam`, `nữ` (or `nu`) are accepted too, in any case.",
    membership::Sex::ACCEPTED.map(|(spelling, _)| spelling)
);
code_enum!(
    /// `membership::permission::MemberView`.
    MemberViewCode = "MemberVisibility",
    "How much of a member record the caller sees: `full` or `basic`.",
    membership::permission::MemberView::ALL.map(|v| v.code())
);
code_enum!(
    /// The entries of a member's history: the admission and the recorded events.
    EventTypeCode = "MemberEventType",
    "Type of an entry of a member's history: `admit` (the admission, written when the member is created) or a recorded event.",
    std::iter::once(membership::lifecycle::ADMISSION_CODE).chain(membership::lifecycle::EventKind::CODES)
);
code_enum!(
    /// `membership::lifecycle::EventKind::CODES`.
    NewEventTypeCode = "NewMemberEventType",
    "Type of a lifecycle event to record.",
    membership::lifecycle::EventKind::CODES
);
code_enum!(
    /// `meetings::lifecycle::MeetingKind`.
    MeetingKindCode = "MeetingKind",
    "Kind of meeting: `regular` (*thường kỳ*), `thematic` (*chuyên đề*), `extraordinary` (*bất thường*), `committee` (*chi ủy*).",
    meetings::lifecycle::MeetingKind::ALL.map(|k| k.code())
);
code_enum!(
    /// `meetings::lifecycle::MeetingStatus`.
    MeetingStatusCode = "MeetingStatus",
    "Where a meeting is in its life.",
    meetings::lifecycle::MeetingStatus::ALL.map(|s| s.code())
);
code_enum!(
    /// `meetings::attendance::AttendanceStatus`.
    AttendanceStatusCode = "AttendanceStatus",
    "Attendance of one member at a meeting.",
    meetings::attendance::AttendanceStatus::ALL.map(|s| s.code())
);
code_enum!(
    /// `meetings::roster::RosterRole`.
    RosterRoleCode = "RosterRole",
    "Why a member is on a meeting's roster: `obliged` (counted) or `guest` (temporarily transferred in, not counted).",
    meetings::roster::RosterRole::ALL.map(|r| r.code())
);
code_enum!(
    /// `meetings::comments::AuthorPresence`.
    AuthorPresenceCode = "AuthorPresence",
    "The author's attendance when writing an opinion.",
    meetings::comments::AuthorPresence::ALL.map(|p| p.code())
);
code_enum!(
    /// `meetings::minutes::Vote`.
    VoteCode = "Vote",
    "A ballot: `agree` (*tán thành*), `disagree` (*không tán thành*), `other` (*ý kiến khác*).",
    meetings::minutes::Vote::ALL.map(|v| v.code())
);
code_enum!(
    /// `meetings::report::ReportStatus`.
    ReportStatusCode = "ReportStatus",
    "Status of a report to the superior unit.",
    meetings::report::ReportStatus::ALL.map(|s| s.code())
);
code_enum!(
    /// `meetings::content::Warning::CODES`.
    PublishWarningCode = "PublishWarning",
    "A warning that applied when publishing a meeting.",
    meetings::content::Warning::CODES
);
code_enum!(
    /// `documents::model::DocumentKind`.
    DocumentKindCode = "DocumentKind",
    "Kind of document.",
    documents::model::DocumentKind::ALL.map(|k| k.code())
);
code_enum!(
    /// `documents::model::DocumentStatus`.
    DocumentStatusCode = "DocumentStatus",
    "Status of a document.",
    documents::model::DocumentStatus::ALL.map(|s| s.code())
);
code_enum!(
    /// `documents::attachment::FileType`, as MIME types.
    AttachmentTypeCode = "AttachmentType",
    "Type of an attachment, detected from its bytes.",
    documents::attachment::FileType::ALL.map(|t| t.mime())
);
code_enum!(
    /// `tasks::workflow::Status`.
    TaskStatusCode = "TaskStatus",
    "Status of a task.",
    tasks::workflow::Status::ALL.map(|s| s.code())
);
code_enum!(
    /// `tasks::workflow::Priority`.
    TaskPriorityCode = "TaskPriority",
    "Priority of a task.",
    tasks::workflow::Priority::ALL.map(|p| p.code())
);
code_enum!(
    /// `tasks::workflow::Rating`.
    TaskRatingCode = "TaskRating",
    "A leader's rating of a done task.",
    tasks::workflow::Rating::ALL.map(|r| r.code())
);
code_enum!(
    /// `tasks::workflow::Step`.
    TaskStepCode = "TaskStep",
    "A step in a task's history.",
    tasks::workflow::Step::ALL.map(|s| s.code())
);
code_enum!(
    /// `study_points::question::Kind`.
    QuestionKindCode = "QuestionKind",
    "Kind of question: one correct option, several, or true/false.",
    study_points::question::Kind::ALL.map(|k| k.code())
);
code_enum!(
    /// `study_points::quiz::Period`.
    AttemptPeriodCode = "AttemptPeriod",
    "Period over which a quiz's attempts are counted.",
    study_points::quiz::Period::ALL.map(|p| p.code())
);
code_enum!(
    /// `study_points::quiz::WEEKDAYS`.
    WeekdayCode = "Weekday",
    "A day of the week.",
    study_points::quiz::WEEKDAYS.map(study_points::quiz::weekday_code)
);
code_enum!(
    /// `study_points::ledger::Reason`.
    PointsReasonCode = "PointsReason",
    "Why points were awarded.",
    study_points::ledger::Reason::ALL.map(|r| r.code())
);
code_enum!(
    /// `notifications::Kind`.
    NotificationKindCode = "NotificationKind",
    "Kind of notification.",
    notifications::Kind::ALL.map(|k| k.code())
);
code_enum!(
    /// `notifications::ObjectType`.
    NotificationObjectCode = "NotificationObjectType",
    "What a notification links to.",
    notifications::ObjectType::ALL.map(|o| o.code())
);
code_enum!(
    /// `notifications::Channel`.
    DeliveryChannelCode = "DeliveryChannel",
    "How a notification is delivered besides the inbox.",
    notifications::Channel::ALL.map(|c| c.code())
);
code_enum!(
    /// `storage::inbox::DELIVERY_STATUSES`.
    DeliveryStatusCode = "DeliveryStatus",
    "State of an e-mail or push delivery: `pending` (queued or being retried), `sent`, `failed` (given up: a dead letter an administrator may retry), `skipped` (nothing to send).",
    storage::inbox::DELIVERY_STATUSES
);
code_enum!(
    /// `app::study::POINT_BANDS`.
    PointBandCode = "PointBand",
    "A band of yearly points.",
    app::study::POINT_BANDS
);

/// A string that is one of `codes`.
pub fn code_list<'a>(description: &str, codes: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes.into_iter().map(str::to_string)))
        .description(Some(description))
        .build()
}

/// The type `ty`, or also `null` when `nullable`.
fn type_of(ty: Type, nullable: bool) -> SchemaType {
    if nullable { SchemaType::from_iter([ty, Type::Null]) } else { SchemaType::new(ty) }
}

/// A string of `min..=max` characters (no `minLength` when `min` is 0).
pub fn text(min: usize, max: usize) -> ObjectBuilder {
    text_of(min, max, false)
}

/// Like [`text`], or `null`.
pub fn nullable_text(min: usize, max: usize) -> ObjectBuilder {
    text_of(min, max, true)
}

fn text_of(min: usize, max: usize, nullable: bool) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(type_of(Type::String, nullable)).min_length((min > 0).then_some(min)).max_length(Some(max))
}

/// An integer in `min..=max`, with the format of its Rust type.
pub fn integer(format: KnownFormat, min: i64, max: i64) -> ObjectBuilder {
    integer_of(format, min, max, false)
}

/// Like [`integer`], or `null`.
pub fn nullable_integer(format: KnownFormat, min: i64, max: i64) -> ObjectBuilder {
    integer_of(format, min, max, true)
}

fn integer_of(format: KnownFormat, min: i64, max: i64, nullable: bool) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(type_of(Type::Integer, nullable))
        .format(Some(SchemaFormat::KnownFormat(format)))
        .minimum(Some(min))
        .maximum(Some(max))
}

/// An array of `items` with `min..=max` elements (no `minItems` when `min` is 0).
pub fn array(items: impl Into<RefOr<Schema>>, min: usize, max: usize) -> ArrayBuilder {
    array_of(items, min, max, false)
}

/// Like [`array()`], or `null`.
pub fn nullable_array(items: impl Into<RefOr<Schema>>, min: usize, max: usize) -> ArrayBuilder {
    array_of(items, min, max, true)
}

fn array_of(items: impl Into<RefOr<Schema>>, min: usize, max: usize, nullable: bool) -> ArrayBuilder {
    let items: RefOr<Schema> = items.into();
    ArrayBuilder::new().schema_type(type_of(Type::Array, nullable)).items(items).min_items((min > 0).then_some(min)).max_items(Some(max))
}

/// A UUID.
pub fn uuid() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
}

/// An object whose keys are the codes of `K` and whose values are counts.
pub fn counts_by<K: PartialSchema>(format: KnownFormat) -> ObjectBuilder {
    let names = match K::schema() {
        RefOr::T(Schema::Object(names)) => names,
        _ => ObjectBuilder::new().schema_type(Type::String).build(),
    };
    ObjectBuilder::new().schema_type(Type::Object).property_names(Some(names)).additional_properties(Some(
        ObjectBuilder::new().schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(format))).minimum(Some(0)),
    ))
}

/// An e-mail address as [`membership::Email::parse`] accepts it.
pub fn email(nullable: bool) -> ObjectBuilder {
    text_of(0, membership::Email::MAX, nullable).format(Some(SchemaFormat::Custom("email".into())))
}

/// A non-zero integer in `-max..=max` (`min..=max` without 0), e.g. a points adjustment.
pub fn non_zero_integer(format: KnownFormat, max: i64, description: impl Into<String>) -> RefOr<Schema> {
    AnyOfBuilder::new().item(integer(format.clone(), -max, -1)).item(integer(format, 1, max)).description(Some(description)).into()
}

/// A calendar date the server accepts from a client: `YYYY-MM-DD` between 1900-01-01 and
/// 2100-12-31 ([`membership::time::in_range`]). Dates outside are refused (422 `out_of_range` in a
/// body, 400 `invalid_query` in a query).
#[derive(Debug, Clone, Copy)]
pub struct CalendarDate;

impl PartialSchema for CalendarDate {
    fn schema() -> RefOr<Schema> {
        use membership::time::{MAX_DATE, MIN_DATE};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .pattern(Some(DATE_PATTERN))
            .description(Some(format!("A calendar date, `YYYY-MM-DD`, from {MIN_DATE} to {MAX_DATE}.")))
            .build()
            .into()
    }
}

impl ToSchema for CalendarDate {}

/// A month, `YYYY-MM` (a query parameter).
#[derive(Debug, Clone, Copy)]
pub struct Month;

impl PartialSchema for Month {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).pattern(Some(MONTH_PATTERN)).build().into()
    }
}

impl ToSchema for Month {}

/// A calendar year from [`membership::time::MIN_YEAR`] to [`membership::time::MAX_YEAR`], or 0
/// for all time (a query parameter).
#[derive(Debug, Clone, Copy)]
pub struct YearOrAllTime;

impl PartialSchema for YearOrAllTime {
    fn schema() -> RefOr<Schema> {
        use membership::time::{MAX_YEAR, MIN_YEAR};
        AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                    .enum_values(Some([0])),
            )
            .item(integer(KnownFormat::Int32, i64::from(MIN_YEAR), i64::from(MAX_YEAR)))
            .into()
    }
}

impl ToSchema for YearOrAllTime {}

/// A page size type for query parameters: an integer from 1 to the given maximum.
macro_rules! limit {
    ($(#[$doc:meta])* $ty:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $ty;

        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                integer(KnownFormat::Int64, 1, i64::try_from($max).unwrap_or(i64::MAX)).build().into()
            }
        }

        impl ToSchema for $ty {}
    };
}

limit!(
    /// [`crate::views::page_limit`]: 1 to [`crate::views::PAGE_LIMIT_MAX`].
    PageLimit,
    crate::views::PAGE_LIMIT_MAX
);
limit!(
    /// A meeting list: 1 to [`crate::routes::meetings::LIST_LIMIT_MAX`].
    MeetingListLimit,
    crate::routes::meetings::LIST_LIMIT_MAX
);
limit!(
    /// The document feed: 1 to [`crate::routes::documents::FEED_LIMIT_MAX`].
    FeedLimit,
    crate::routes::documents::FEED_LIMIT_MAX
);
limit!(
    /// A leaderboard: 1 to [`crate::routes::study::BOARD_LIMIT_MAX`].
    BoardLimit,
    crate::routes::study::BOARD_LIMIT_MAX
);

/// Raw bytes: a file's content.
#[derive(Debug, Clone, Copy)]
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))).build().into()
    }
}

impl ToSchema for Binary {}

/// The multipart form of an attachment upload: its `file` part (other parts are ignored).
#[derive(Debug, Clone, Copy)]
pub struct UploadForm;

impl PartialSchema for UploadForm {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "file",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                    .description(Some("The file, with a file name in its `Content-Disposition`; its type is detected from the bytes.")),
            )
            .required("file")
            .build()
            .into()
    }
}

impl ToSchema for UploadForm {}
