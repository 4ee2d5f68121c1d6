//! Document kinds, official numbers, the lifecycle and field rules.

use membership::fields::{FieldError, normalize_text};

/// Kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum DocumentKind {
    /// *Nghị quyết*.
    Resolution,
    /// *Chỉ thị*.
    Directive,
    /// *Kết luận*.
    Conclusion,
    /// *Quy định*.
    Regulation,
    /// *Hướng dẫn*.
    Guidance,
    /// *Thông báo*.
    Notice,
    /// *Tài liệu học tập*.
    StudyMaterial,
    /// *Tin tức*.
    News,
}

impl DocumentKind {
    /// Every kind.
    pub const ALL: [DocumentKind; 8] = [
        DocumentKind::Resolution,
        DocumentKind::Directive,
        DocumentKind::Conclusion,
        DocumentKind::Regulation,
        DocumentKind::Guidance,
        DocumentKind::Notice,
        DocumentKind::StudyMaterial,
        DocumentKind::News,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::Resolution => "resolution",
            DocumentKind::Directive => "directive",
            DocumentKind::Conclusion => "conclusion",
            DocumentKind::Regulation => "regulation",
            DocumentKind::Guidance => "guidance",
            DocumentKind::Notice => "notice",
            DocumentKind::StudyMaterial => "study_material",
            DocumentKind::News => "news",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether the kind carries an official number (news and study material need not).
    pub fn needs_number(self) -> bool {
        !matches!(self, DocumentKind::News | DocumentKind::StudyMaterial)
    }
}

/// Lifecycle status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum DocumentStatus {
    /// Being prepared by the issuing unit.
    Draft,
    /// Delivered to the audience.
    Published,
    /// Withdrawn: readable by leaders with a banner, no longer by members.
    Withdrawn,
}

impl DocumentStatus {
    /// Every status.
    pub const ALL: [DocumentStatus; 3] = [DocumentStatus::Draft, DocumentStatus::Published, DocumentStatus::Withdrawn];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            DocumentStatus::Draft => "draft",
            DocumentStatus::Published => "published",
            DocumentStatus::Withdrawn => "withdrawn",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A refused status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {} document cannot be {action}", from.code())]
pub struct InvalidTransition {
    /// Current status.
    pub from: DocumentStatus,
    /// `published`, `withdrawn` or `edited`.
    pub action: &'static str,
}

/// Publishing: drafts only.
pub fn publish(from: DocumentStatus) -> Result<DocumentStatus, InvalidTransition> {
    match from {
        DocumentStatus::Draft => Ok(DocumentStatus::Published),
        _ => Err(InvalidTransition { from, action: "published" }),
    }
}

/// Withdrawing: published documents only.
pub fn withdraw(from: DocumentStatus) -> Result<DocumentStatus, InvalidTransition> {
    match from {
        DocumentStatus::Published => Ok(DocumentStatus::Withdrawn),
        _ => Err(InvalidTransition { from, action: "withdrawn" }),
    }
}

/// Editing: drafts only (a published document is withdrawn and reissued, never silently changed).
pub fn check_editable(from: DocumentStatus) -> Result<(), InvalidTransition> {
    if from == DocumentStatus::Draft { Ok(()) } else { Err(InvalidTransition { from, action: "edited" }) }
}

/// Longest official number, in characters once spaces are removed.
pub const NUMBER_MAX_CHARS: usize = 40;
/// Longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 500;
/// Most tags on a document or question.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters.
pub const TAG_MAX_CHARS: usize = 50;

/// Parses an official number/symbol (*số, ký hiệu*) such as `05-NQ/TU`, `125-QĐ/HU`,
/// `12-HD/BTCTW`: a number, a hyphen, a kind symbol, a slash and the issuer's symbol; upper-cased,
/// spaces removed.
pub fn parse_number(raw: &str) -> Result<String, FieldError> {
    let compact: String = normalize_text(raw).chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect();
    if compact.is_empty() {
        return Err(FieldError::Empty);
    }
    if compact.chars().count() > NUMBER_MAX_CHARS {
        return Err(FieldError::TooLong { max: NUMBER_MAX_CHARS });
    }
    let invalid = FieldError::InvalidFormat { expected: "NUMBER-SYMBOL/ISSUER, e.g. 05-NQ/TU" };
    let (left, issuer) = compact.split_once('/').ok_or(invalid.clone())?;
    let (number, symbol) = left.split_once('-').ok_or(invalid.clone())?;
    let symbol_ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) || !symbol_ok(symbol) || !symbol_ok(issuer) {
        return Err(invalid);
    }
    Ok(compact)
}

/// Checks a title (1–[`TITLE_MAX_CHARS`] characters) and returns it normalised.
pub fn parse_title(raw: &str) -> Result<String, FieldError> {
    let t = normalize_text(raw);
    if t.is_empty() {
        return Err(FieldError::Empty);
    }
    if t.chars().count() > TITLE_MAX_CHARS {
        return Err(FieldError::TooLong { max: TITLE_MAX_CHARS });
    }
    Ok(t)
}

/// Checks tags: at most [`MAX_TAGS`], each 1–[`TAG_MAX_CHARS`] characters, normalised,
/// duplicates removed.
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, FieldError> {
    if raw.len() > MAX_TAGS {
        return Err(FieldError::TooLong { max: MAX_TAGS });
    }
    let mut out: Vec<String> = Vec::new();
    for tag in raw {
        let t = normalize_text(tag);
        if t.is_empty() {
            return Err(FieldError::Empty);
        }
        if t.chars().count() > TAG_MAX_CHARS {
            return Err(FieldError::TooLong { max: TAG_MAX_CHARS });
        }
        if !out.iter().any(|o| crate::fold::fold(o) == crate::fold::fold(&t)) {
            out.push(t);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number(" 05-nq/tu ").unwrap(), "05-NQ/TU");
        assert_eq!(parse_number("125-QĐ/HU").unwrap(), "125-QĐ/HU");
        assert_eq!(parse_number("12-HD/BTCTW").unwrap(), "12-HD/BTCTW");
        for bad in ["NQ/TU", "05NQ/TU", "05-NQ", "x-NQ/TU", "05-/TU"] {
            assert!(parse_number(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_number("  "), Err(FieldError::Empty));
    }

    #[test]
    fn lifecycle() {
        use DocumentStatus::*;
        assert_eq!(publish(Draft), Ok(Published));
        assert!(publish(Published).is_err() && publish(Withdrawn).is_err());
        assert_eq!(withdraw(Published), Ok(Withdrawn));
        assert!(withdraw(Draft).is_err() && withdraw(Withdrawn).is_err());
        assert!(check_editable(Draft).is_ok() && check_editable(Published).is_err());
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.code()), Some(k));
        }
        assert!(!DocumentKind::News.needs_number() && DocumentKind::Resolution.needs_number());
    }

    #[test]
    fn tags_deduplicate_by_folded_form() {
        let tags = vec!["Xây dựng Đảng".into(), "xay dung dang".into(), " Kinh tế ".into()];
        assert_eq!(parse_tags(&tags).unwrap(), ["Xây dựng Đảng", "Kinh tế"]);
        assert!(parse_tags(&["".into()]).is_err());
    }
}
