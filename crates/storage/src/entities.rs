//! sea-orm entities. Private to this crate: callers get domain types or the record structs of
//! each repository module.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod org_units {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_units")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub parent_id: Option<Uuid>,
        pub kind: String,
        pub name: String,
        pub depth: i32,
        pub parent_since: Date,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod org_unit_links {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "org_unit_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub parent_id: Uuid,
        pub valid_from: Date,
        pub valid_until: Option<Date>,
    }
    no_relations!();
}

pub mod members {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub temporary_unit_id: Option<Uuid>,
        pub full_name: String,
        pub date_of_birth: Date,
        pub sex: String,
        pub admitted_on: Date,
        pub official_on: Option<Date>,
        pub standing: String,
        pub exempt_since: Option<Date>,
        pub last_event_on: Date,
        pub party_card_number: Option<String>,
        pub citizen_id: String,
        pub phone: Option<String>,
        pub email: Option<String>,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod member_events {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "member_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub member_id: Uuid,
        pub kind: String,
        pub effective_on: Date,
        pub from_unit_id: Option<Uuid>,
        pub to_unit_id: Option<Uuid>,
        pub decision_number: Option<String>,
        pub decision_date: Option<Date>,
        pub decision_issuer: Option<String>,
        pub note: Option<String>,
        pub recorded_by: Option<Uuid>,
        pub recorded_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod positions {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "positions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub member_id: Uuid,
        pub role: String,
        pub from_date: Date,
        pub to_date: Option<Date>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod accounts {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub member_id: Option<Uuid>,
        pub username: String,
        pub password_hash: String,
        pub must_change_password: bool,
        pub disabled: bool,
        pub created_at: DateTimeUtc,
        pub password_changed_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod admin_grants {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_grants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub account_id: Uuid,
        pub unit_id: Uuid,
        pub granted_by: Option<Uuid>,
        pub granted_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod sessions {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub account_id: Uuid,
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub client_addr: Option<String>,
    }
    no_relations!();
}

pub mod login_throttle {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_throttle")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub window_start_us: i64,
        pub failures: i32,
    }
    no_relations!();
}

pub mod audit_log {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub at: DateTimeUtc,
        pub actor_account_id: Option<Uuid>,
        pub action: String,
        pub target_type: String,
        pub target_id: Option<Uuid>,
        pub unit_id: Option<Uuid>,
        pub client_addr: Option<String>,
        pub details: String,
    }
    no_relations!();
}

pub mod outbox_events {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub aggregate_type: String,
        pub aggregate_id: Uuid,
        pub unit_id: Option<Uuid>,
        pub payload: String,
        pub created_at: DateTimeUtc,
        pub processed_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod meetings {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meetings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub kind: String,
        pub combined_thematic: bool,
        pub title: String,
        pub status: String,
        pub starts_at: DateTimeUtc,
        pub planned_minutes: i32,
        pub location: Option<String>,
        pub online_link: Option<String>,
        pub notes: String,
        pub version: i32,
        pub late_publication: bool,
        pub short_duration_confirmed: bool,
        pub published_at: Option<DateTimeUtc>,
        pub opened_at: Option<DateTimeUtc>,
        pub ended_at: Option<DateTimeUtc>,
        pub cancelled_at: Option<DateTimeUtc>,
        pub cancel_reason: Option<String>,
        pub minutes_text: Option<String>,
        pub resolution_text: Option<String>,
        pub chair_id: Option<Uuid>,
        pub minutes_taker_id: Option<Uuid>,
        pub actual_started_at: Option<DateTimeUtc>,
        pub actual_ended_at: Option<DateTimeUtc>,
        pub minutes_approved_at: Option<DateTimeUtc>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// `year * 100 + month` (Vietnam) of a regular meeting that is not cancelled, else NULL;
        /// unique per unit (`ux_meetings_regular_month`).
        pub regular_month: Option<i32>,
    }
    no_relations!();
}

pub mod agenda_items {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agenda_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub meeting_id: Uuid,
        pub position: i32,
        pub title: String,
        pub description: String,
        pub presenter: Option<String>,
        pub planned_minutes: Option<i32>,
    }
    no_relations!();
}

pub mod attendance {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attendance")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub meeting_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
        pub role: String,
        pub official: bool,
        pub status: String,
        pub checked_in_at: Option<DateTimeUtc>,
        pub reason: Option<String>,
        pub recorded_by: Option<Uuid>,
        pub recorded_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod comments {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "comments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub meeting_id: Uuid,
        pub agenda_item_id: Option<Uuid>,
        pub parent_id: Option<Uuid>,
        pub author_id: Uuid,
        pub author_presence: String,
        pub body: String,
        pub created_at: DateTimeUtc,
        pub edited_at: Option<DateTimeUtc>,
        pub hidden_at: Option<DateTimeUtc>,
        pub hidden_by: Option<Uuid>,
        pub hidden_reason: Option<String>,
    }
    no_relations!();
}

pub mod comment_edits {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "comment_edits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub comment_id: Uuid,
        pub previous_body: String,
        pub edited_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod motions {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "motions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub meeting_id: Uuid,
        pub title: String,
        pub by_ballot: bool,
        pub agree: i32,
        pub disagree: i32,
        pub other: i32,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod ballots {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ballots")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub motion_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
        pub vote: String,
        pub cast_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod meeting_ratings {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_ratings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub meeting_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
        pub preparation: i16,
        pub content: i16,
        pub discussion: i16,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod meeting_reports {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_reports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub meeting_id: Uuid,
        pub unit_id: Uuid,
        pub parent_unit_id: Uuid,
        pub status: String,
        pub sent_at: DateTimeUtc,
        pub sent_by: Option<Uuid>,
        pub late: bool,
        pub month: String,
        pub summary: String,
        pub decided_at: Option<DateTimeUtc>,
        pub decided_by: Option<Uuid>,
        pub decision_comment: Option<String>,
    }
    no_relations!();
}

pub mod calendar_feeds {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_feeds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
        pub token_hash: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod documents {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "documents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub issuer_unit_id: Uuid,
        pub kind: String,
        pub number: Option<String>,
        pub title: String,
        pub summary: String,
        pub body: String,
        pub issued_on: Option<Date>,
        pub effective_on: Option<Date>,
        pub tags: String,
        pub roles: String,
        pub status: String,
        pub required: bool,
        pub read_deadline: Option<Date>,
        pub escalated_at: Option<DateTimeUtc>,
        pub published_at: Option<DateTimeUtc>,
        pub withdrawn_at: Option<DateTimeUtc>,
        pub withdraw_reason: Option<String>,
        pub version: i32,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod document_audience {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "document_audience")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub document_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub unit_id: Uuid,
    }
    no_relations!();
}

pub mod document_terms {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "document_terms")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub term: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub document_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub exact: String,
        pub weight: i32,
        pub published_key: i64,
    }
    no_relations!();
}

pub mod read_receipts {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "read_receipts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub document_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
        pub first_read_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod bookmarks {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bookmarks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub document_id: Uuid,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod attachments {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attachments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub document_id: Uuid,
        pub file_name: String,
        pub mime: String,
        pub size: i64,
        pub sha256: String,
        pub storage_key: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod tasks {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub title: String,
        pub description: String,
        pub assigner_member_id: Option<Uuid>,
        pub assigner_account_id: Uuid,
        pub source_meeting_id: Option<Uuid>,
        pub review_meeting_id: Option<Uuid>,
        pub due_on: Date,
        pub priority: String,
        pub status: String,
        pub percent: i16,
        pub rating: Option<String>,
        pub evaluation_comment: Option<String>,
        pub evaluated_by: Option<Uuid>,
        pub evaluated_at: Option<DateTimeUtc>,
        pub submitted_at: Option<DateTimeUtc>,
        pub cancelled_at: Option<DateTimeUtc>,
        pub cancel_reason: Option<String>,
        pub due_soon_notified_at: Option<DateTimeUtc>,
        pub overdue_notified_at: Option<DateTimeUtc>,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod task_assignees {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_assignees")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub task_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
    }
    no_relations!();
}

pub mod task_updates {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "task_updates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub task_id: Uuid,
        pub kind: String,
        pub author_member_id: Option<Uuid>,
        pub author_account_id: Uuid,
        pub percent: Option<i16>,
        pub note: String,
        pub attachment_ref: Option<String>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod questions {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "questions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub document_id: Uuid,
        pub unit_id: Uuid,
        pub kind: String,
        pub tags: String,
        pub current_version_id: Uuid,
        pub current_version: i32,
        pub answered: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod question_versions {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "question_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub question_id: Uuid,
        pub version: i32,
        pub kind: String,
        pub prompt: String,
        pub options: String,
        pub correct: String,
        pub explanation: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod quizzes {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "quizzes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Uuid,
        pub title: String,
        pub description: String,
        pub opens_on: Date,
        pub closes_on: Date,
        pub weekdays: String,
        pub daily_from: Option<String>,
        pub daily_to: Option<String>,
        pub time_limit_minutes: i32,
        pub max_attempts: i32,
        pub attempt_period: String,
        pub points_per_correct: i32,
        pub question_count: i32,
        pub selection: String,
        pub tags: String,
        pub document_ids: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod quiz_questions {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "quiz_questions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub quiz_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub question_id: Uuid,
        pub position: i32,
    }
    no_relations!();
}

pub mod attempts {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub quiz_id: Uuid,
        pub member_id: Uuid,
        pub started_at: DateTimeUtc,
        pub deadline: DateTimeUtc,
        pub submitted_at: Option<DateTimeUtc>,
        pub question_ids: String,
        pub version_ids: String,
        pub answers: Option<String>,
        pub correct_count: Option<i32>,
        pub points: Option<i32>,
    }
    no_relations!();
}
