//! # study-points — studying resolutions for points (*học tập nghị quyết, điểm tích lũy*)
//!
//! Questions tied to documents, checked for the right number of correct options and scored on
//! the server only ([`question`]); quizzes with an open window, a time limit and attempt limits
//! per period, question sets fixed or drawn per attempt preferring unseen questions ([`quiz`]);
//! the append-only, idempotent points ledger with yearly totals against the 200-points target
//! and ranks with ties ([`ledger`]).
//!
//! ```
//! use study_points::question::{Kind, QuestionContent, score};
//! let q = QuestionContent::parse(Kind::Single, "Đảng ta ra đời năm nào?", &["1925", "1930"], &[1], "Ngày 3/2/1930.").unwrap();
//! assert!(score(&q, &[1]));
//! assert!(!score(&q, &[0]));
//! ```

pub mod ledger;
pub mod question;
pub mod quiz;

membership::id_type!(
    /// A question (all its versions).
    QuestionId
);
membership::id_type!(
    /// One version of a question's content.
    QuestionVersionId
);
membership::id_type!(
    /// A quiz (*cuộc thi / đợt học tập*).
    QuizId
);
membership::id_type!(
    /// An attempt at a quiz.
    AttemptId
);
