//! Questions: single choice, multiple choice, true/false; scoring on the server.

use membership::fields::{FieldError, normalize_text};

/// Kind of question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Kind {
    /// One correct option among 2–8.
    Single,
    /// Two or more correct options among 3–8.
    Multiple,
    /// Options `Đúng` / `Sai`, one correct.
    TrueFalse,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 3] = [Kind::Single, Kind::Multiple, Kind::TrueFalse];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multiple => "multiple",
            Kind::TrueFalse => "true_false",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Longest question, in characters.
pub const PROMPT_MAX_CHARS: usize = 2_000;
/// Longest option, in characters.
pub const OPTION_MAX_CHARS: usize = 500;
/// Most options of a question.
pub const MAX_OPTIONS: usize = 8;
/// Longest explanation, in characters.
pub const EXPLANATION_MAX_CHARS: usize = 5_000;

/// Checked content of one version of a question.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct QuestionContent {
    /// Kind.
    pub kind: Kind,
    /// The question.
    pub prompt: String,
    /// Options, in display order.
    pub options: Vec<String>,
    /// Indices of the correct options, ascending.
    pub correct: Vec<usize>,
    /// Explanation shown after answering.
    pub explanation: String,
}

/// Why a question is refused: the field and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {error}")]
pub struct QuestionError {
    /// `prompt`, `options`, `correct` or `explanation`.
    pub field: &'static str,
    /// The problem.
    pub error: FieldError,
}

fn err(field: &'static str, error: FieldError) -> QuestionError {
    QuestionError { field, error }
}

impl QuestionContent {
    /// Checks a question: prompt 1–2,000 characters, options 1–500 characters each and distinct,
    /// the right number of options and of correct answers for the kind, explanation up to 5,000.
    pub fn parse(kind: Kind, prompt: &str, options: &[&str], correct: &[usize], explanation: &str) -> Result<Self, QuestionError> {
        let prompt = normalize_text(prompt);
        if prompt.is_empty() {
            return Err(err("prompt", FieldError::Empty));
        }
        if prompt.chars().count() > PROMPT_MAX_CHARS {
            return Err(err("prompt", FieldError::TooLong { max: PROMPT_MAX_CHARS }));
        }
        let options: Vec<String> = if kind == Kind::TrueFalse && options.is_empty() {
            vec!["Đúng".to_string(), "Sai".to_string()]
        } else {
            options.iter().map(|o| normalize_text(o)).collect()
        };
        let (min, max) = match kind {
            Kind::Single => (2, MAX_OPTIONS),
            Kind::Multiple => (3, MAX_OPTIONS),
            Kind::TrueFalse => (2, 2),
        };
        if options.len() < min || options.len() > max {
            return Err(err(
                "options",
                FieldError::InvalidFormat { expected: "2–8 options (3–8 for multiple choice, exactly 2 for true/false)" },
            ));
        }
        if options.iter().any(|o| o.is_empty() || o.chars().count() > OPTION_MAX_CHARS) {
            return Err(err("options", FieldError::InvalidFormat { expected: "each option 1–500 characters" }));
        }
        for (i, o) in options.iter().enumerate() {
            if options[..i].iter().any(|p| p.to_lowercase() == o.to_lowercase()) {
                return Err(err("options", FieldError::InvalidFormat { expected: "distinct options" }));
            }
        }
        let mut correct: Vec<usize> = correct.to_vec();
        correct.sort_unstable();
        correct.dedup();
        if correct.iter().any(|c| *c >= options.len()) {
            return Err(err("correct", FieldError::InvalidFormat { expected: "indices of existing options" }));
        }
        let count_ok = match kind {
            Kind::Single | Kind::TrueFalse => correct.len() == 1,
            Kind::Multiple => correct.len() >= 2 && correct.len() < options.len(),
        };
        if !count_ok {
            return Err(err(
                "correct",
                FieldError::InvalidFormat {
                    expected: "exactly one correct option (single, true/false); two or more but not all (multiple)",
                },
            ));
        }
        let explanation = explanation.trim().to_string();
        if explanation.chars().count() > EXPLANATION_MAX_CHARS {
            return Err(err("explanation", FieldError::TooLong { max: EXPLANATION_MAX_CHARS }));
        }
        Ok(Self { kind, prompt, options, correct, explanation })
    }
}

/// Whether `answer` (selected option indices, any order) is exactly the set of correct options.
pub fn score(q: &QuestionContent, answer: &[usize]) -> bool {
    let mut a = answer.to_vec();
    a.sort_unstable();
    a.dedup();
    a == q.correct
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_checked_and_scored() {
        let single =
            QuestionContent::parse(Kind::Single, "Đảng Cộng sản Việt Nam ra đời năm nào?", &["1925", "1930", "1945"], &[1], "").unwrap();
        assert!(score(&single, &[1]) && !score(&single, &[0]) && !score(&single, &[0, 1]) && !score(&single, &[]));
        let multi = QuestionContent::parse(Kind::Multiple, "Chọn các nhiệm vụ đúng", &["A", "B", "C", "D"], &[2, 0], "").unwrap();
        assert_eq!(multi.correct, [0, 2]);
        assert!(score(&multi, &[2, 0]) && score(&multi, &[0, 2, 2]) && !score(&multi, &[0]) && !score(&multi, &[0, 1, 2]));
        let tf = QuestionContent::parse(Kind::TrueFalse, "Chi bộ sinh hoạt mỗi tháng một lần?", &[], &[0], "Đúng").unwrap();
        assert_eq!(tf.options, ["Đúng", "Sai"]);
        assert!(score(&tf, &[0]) && !score(&tf, &[1]));

        let refused = [
            (Kind::Single, vec!["A", "B"], vec![0, 1], "correct"),
            (Kind::Single, vec!["A"], vec![0], "options"),
            (Kind::Multiple, vec!["A", "B", "C"], vec![0], "correct"),
            (Kind::Multiple, vec!["A", "B", "C"], vec![0, 1, 2], "correct"),
            (Kind::TrueFalse, vec!["Đúng", "Sai", "Không biết"], vec![0], "options"),
            (Kind::Single, vec!["A", "a"], vec![0], "options"),
            (Kind::Single, vec!["A", "B"], vec![5], "correct"),
        ];
        for (kind, options, correct, field) in refused {
            assert_eq!(
                QuestionContent::parse(kind, "Câu hỏi", &options, &correct, "").unwrap_err().field,
                field,
                "{kind:?} {options:?} {correct:?}"
            );
        }
        assert_eq!(QuestionContent::parse(Kind::Single, " ", &["A", "B"], &[0], "").unwrap_err().field, "prompt");
    }
}
