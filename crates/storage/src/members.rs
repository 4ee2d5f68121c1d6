//! Members, their lifecycle state and event history.

use chrono::{DateTime, NaiveDate, Utc};
use membership::lifecycle::{MemberState, Standing};
use membership::{CitizenId, Email, EventId, FullName, MemberId, PartyCardNumber, Phone, Sex, UnitId};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::entities::{member_events, members};
use crate::{StoreError, StoreResult, corrupt, insert_row};

/// A member record as stored, re-parsed into domain types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// Id.
    pub id: MemberId,
    /// Full name.
    pub full_name: FullName,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Party-card number (issued once official).
    pub party_card_number: Option<PartyCardNumber>,
    /// CCCD.
    pub citizen_id: CitizenId,
    /// Phone.
    pub phone: Option<Phone>,
    /// E-mail.
    pub email: Option<Email>,
    /// Lifecycle state (standing, home cell, temporary host, exemption, dates).
    pub state: MemberState,
    /// Optimistic-concurrency version, incremented on every change.
    pub version: i32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn to_record(m: members::Model) -> StoreResult<MemberRecord> {
    let standing = Standing::parse(&m.standing).ok_or_else(|| corrupt("members.standing", &m.standing))?;
    Ok(MemberRecord {
        id: MemberId::from_uuid(m.id),
        full_name: FullName::parse(&m.full_name).map_err(|e| corrupt("members.full_name", e))?,
        date_of_birth: m.date_of_birth,
        sex: Sex::parse(&m.sex).map_err(|e| corrupt("members.sex", e))?,
        party_card_number: m
            .party_card_number
            .as_deref()
            .map(PartyCardNumber::parse)
            .transpose()
            .map_err(|e| corrupt("members.party_card_number", e))?,
        citizen_id: CitizenId::parse(&m.citizen_id).map_err(|e| corrupt("members.citizen_id", e))?,
        phone: m.phone.as_deref().map(Phone::parse).transpose().map_err(|e| corrupt("members.phone", e))?,
        email: m.email.as_deref().map(Email::parse).transpose().map_err(|e| corrupt("members.email", e))?,
        state: MemberState {
            standing,
            home_unit: UnitId::from_uuid(m.unit_id),
            temporary_host: m.temporary_unit_id.map(UnitId::from_uuid),
            exempt_since: m.exempt_since,
            admitted_on: m.admitted_on,
            official_on: m.official_on,
            last_event_on: m.last_event_on,
        },
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_active(r: &MemberRecord) -> members::ActiveModel {
    members::ActiveModel {
        id: Set(r.id.as_uuid()),
        unit_id: Set(r.state.home_unit.as_uuid()),
        temporary_unit_id: Set(r.state.temporary_host.map(|u| u.as_uuid())),
        full_name: Set(r.full_name.as_str().to_string()),
        date_of_birth: Set(r.date_of_birth),
        sex: Set(r.sex.code().to_string()),
        admitted_on: Set(r.state.admitted_on),
        official_on: Set(r.state.official_on),
        standing: Set(r.state.standing.code().to_string()),
        exempt_since: Set(r.state.exempt_since),
        last_event_on: Set(r.state.last_event_on),
        party_card_number: Set(r.party_card_number.as_ref().map(|v| v.as_str().to_string())),
        citizen_id: Set(r.citizen_id.as_str().to_string()),
        phone: Set(r.phone.as_ref().map(|v| v.as_str().to_string())),
        email: Set(r.email.as_ref().map(|v| v.as_str().to_string())),
        version: Set(r.version),
        created_at: Set(r.created_at),
        updated_at: Set(r.updated_at),
    }
}

/// Inserts a member. A duplicate card number or CCCD is a `Conflict` naming the column.
pub async fn insert<C: ConnectionTrait>(c: &C, member: &MemberRecord) -> StoreResult<()> {
    insert_row(c, to_active(member)).await
}

/// Inserts many members in multi-row statements (imports, demo data).
pub async fn insert_many<C: ConnectionTrait>(c: &C, batch: &[MemberRecord]) -> StoreResult<()> {
    // 18 columns per row; stay well under SQLite's 32,766 bound parameters.
    for chunk in batch.chunks(500) {
        members::Entity::insert_many(chunk.iter().map(to_active)).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Loads one member.
pub async fn get<C: ConnectionTrait>(c: &C, id: MemberId) -> StoreResult<MemberRecord> {
    let model = members::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?;
    to_record(model)
}

/// Loads several members by id (missing ids are skipped).
pub async fn get_many<C: ConnectionTrait>(c: &C, ids: &[MemberId]) -> StoreResult<Vec<MemberRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = members::Entity::find().filter(members::Column::Id.is_in(ids.iter().map(|i| i.as_uuid()))).all(c).await?;
    models.into_iter().map(to_record).collect()
}

/// Which standings a list includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandingFilter {
    /// Probationary and official members.
    Active,
    /// Everybody ever recorded.
    All,
    /// One standing.
    Only(Standing),
}

/// A page request over a unit's roster.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// The unit.
    pub unit: UnitId,
    /// Include every unit under `unit` (closure-table join).
    pub include_subtree: bool,
    /// Standing filter.
    pub standing: StandingFilter,
    /// Return members with an id greater than this (the cursor).
    pub after: Option<MemberId>,
    /// Page size.
    pub limit: u64,
}

/// One page of members, ordered by id (UUID v7: creation order). Without `include_subtree`,
/// members temporarily transferred into the unit are included (their state shows it).
pub async fn list<C: ConnectionTrait>(c: &C, q: &ListQuery) -> StoreResult<Vec<MemberRecord>> {
    let unit = q.unit.as_uuid();
    let scope = if q.include_subtree {
        let sub = Query::select().column("descendant_id").from("org_unit_closure").and_where(Expr::col("ancestor_id").eq(unit)).to_owned();
        Condition::any().add(members::Column::UnitId.in_subquery(sub))
    } else {
        Condition::any().add(members::Column::UnitId.eq(unit)).add(members::Column::TemporaryUnitId.eq(unit))
    };
    let mut select = members::Entity::find().filter(scope);
    select = match q.standing {
        StandingFilter::All => select,
        StandingFilter::Active => {
            select.filter(members::Column::Standing.is_in([Standing::Probationary.code(), Standing::Official.code()]))
        }
        StandingFilter::Only(s) => select.filter(members::Column::Standing.eq(s.code())),
    };
    if let Some(after) = q.after {
        select = select.filter(members::Column::Id.gt(after.as_uuid()));
    }
    let models = select.order_by_asc(members::Column::Id).limit(q.limit).all(c).await?;
    models.into_iter().map(to_record).collect()
}

/// Of the given card numbers and CCCDs, those already stored.
pub async fn existing_keys<C: ConnectionTrait>(c: &C, cards: &[String], citizen_ids: &[String]) -> StoreResult<(Vec<String>, Vec<String>)> {
    let mut found_cards = Vec::new();
    let mut found_ids = Vec::new();
    for chunk in cards.chunks(500) {
        let rows = members::Entity::find().filter(members::Column::PartyCardNumber.is_in(chunk.iter().cloned())).all(c).await?;
        found_cards.extend(rows.into_iter().filter_map(|m| m.party_card_number));
    }
    for chunk in citizen_ids.chunks(500) {
        let rows = members::Entity::find().filter(members::Column::CitizenId.is_in(chunk.iter().cloned())).all(c).await?;
        found_ids.extend(rows.into_iter().map(|m| m.citizen_id));
    }
    Ok((found_cards, found_ids))
}

/// Writes the whole record back if its stored version is still `expected_version`; the version
/// is incremented. `VersionMismatch` if the row changed meanwhile (or no longer exists).
pub async fn update<C: ConnectionTrait>(c: &C, member: &MemberRecord, expected_version: i32) -> StoreResult<()> {
    let mut active = to_active(member);
    active.version = Set(expected_version + 1);
    active.created_at = sea_orm::ActiveValue::NotSet;
    let result = members::Entity::update_many()
        .set(active)
        .filter(members::Column::Id.eq(member.id.as_uuid()))
        .filter(members::Column::Version.eq(expected_version))
        .exec(c)
        .await?;
    if result.rows_affected == 1 { Ok(()) } else { Err(StoreError::VersionMismatch) }
}

/// A deciding document (*quyết định*) cited by an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Number/symbol, e.g. `125-QĐ/HU`.
    pub number: String,
    /// Date signed.
    pub date: NaiveDate,
    /// Issuing body, e.g. `Ban Thường vụ Huyện ủy Kiến Xương`.
    pub issuer: String,
}

/// A lifecycle event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Id.
    pub id: EventId,
    /// The member.
    pub member_id: MemberId,
    /// Event type code (see `membership::lifecycle::EventKind::code`); `admit` for the admission itself.
    pub kind: String,
    /// Effective date.
    pub effective_on: NaiveDate,
    /// Home cell before the event.
    pub from_unit_id: Option<UnitId>,
    /// Cell the event names (transfer target, temporary host).
    pub to_unit_id: Option<UnitId>,
    /// Deciding document.
    pub decision: Option<Decision>,
    /// Free-text note.
    pub note: Option<String>,
    /// Account that recorded it.
    pub recorded_by: Option<Uuid>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

fn event_active(e: &EventRecord) -> member_events::ActiveModel {
    member_events::ActiveModel {
        id: Set(e.id.as_uuid()),
        member_id: Set(e.member_id.as_uuid()),
        kind: Set(e.kind.clone()),
        effective_on: Set(e.effective_on),
        from_unit_id: Set(e.from_unit_id.map(|u| u.as_uuid())),
        to_unit_id: Set(e.to_unit_id.map(|u| u.as_uuid())),
        decision_number: Set(e.decision.as_ref().map(|d| d.number.clone())),
        decision_date: Set(e.decision.as_ref().map(|d| d.date)),
        decision_issuer: Set(e.decision.as_ref().map(|d| d.issuer.clone())),
        note: Set(e.note.clone()),
        recorded_by: Set(e.recorded_by),
        recorded_at: Set(e.recorded_at),
    }
}

/// Appends an event to a member's history.
pub async fn insert_event<C: ConnectionTrait>(c: &C, e: &EventRecord) -> StoreResult<()> {
    insert_row(c, event_active(e)).await
}

/// Appends many events (imports, demo data).
pub async fn insert_events<C: ConnectionTrait>(c: &C, batch: &[EventRecord]) -> StoreResult<()> {
    for chunk in batch.chunks(1000) {
        member_events::Entity::insert_many(chunk.iter().map(event_active)).exec_without_returning(c).await?;
    }
    Ok(())
}

/// A member's history, in effective-date order.
pub async fn events<C: ConnectionTrait>(c: &C, member: MemberId) -> StoreResult<Vec<EventRecord>> {
    let models = member_events::Entity::find()
        .filter(member_events::Column::MemberId.eq(member.as_uuid()))
        .order_by_asc(member_events::Column::EffectiveOn)
        .order_by_asc(member_events::Column::Id)
        .all(c)
        .await?;
    Ok(models
        .into_iter()
        .map(|m| EventRecord {
            id: EventId::from_uuid(m.id),
            member_id: MemberId::from_uuid(m.member_id),
            kind: m.kind,
            effective_on: m.effective_on,
            from_unit_id: m.from_unit_id.map(UnitId::from_uuid),
            to_unit_id: m.to_unit_id.map(UnitId::from_uuid),
            decision: match (m.decision_number, m.decision_date, m.decision_issuer) {
                (Some(number), Some(date), Some(issuer)) => Some(Decision { number, date, issuer }),
                _ => None,
            },
            note: m.note,
            recorded_by: m.recorded_by,
            recorded_at: m.recorded_at,
        })
        .collect())
}

/// Locks a member's row for the rest of the transaction, so that a check-then-insert about the
/// member (the attempts started at a quiz, the points adjusted this year) cannot interleave with
/// another: a no-op update takes the row lock on PostgreSQL and the database write lock on SQLite
/// (where write transactions already hold it from their start). `NotFound` for an unknown member.
pub async fn lock<C: ConnectionTrait>(c: &C, id: MemberId) -> StoreResult<()> {
    let locked = members::Entity::update_many()
        .col_expr(members::Column::Version, Expr::col(members::Column::Version))
        .filter(members::Column::Id.eq(id.as_uuid()))
        .exec(c)
        .await?;
    if locked.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
