//! Member record fields (Quy định 339-QĐ/TW), each parsed into a type that can only hold a valid
//! value. Text is trimmed, inner whitespace collapsed and Unicode-normalised to NFC on the way in.

use unicode_normalization::UnicodeNormalization;

/// Why a field value was refused. `code()` is stable and used by the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The value is empty after trimming.
    #[error("must not be empty")]
    Empty,
    /// The value is longer than allowed (in characters).
    #[error("must be at most {max} characters")]
    TooLong {
        /// The maximum length in characters.
        max: usize,
    },
    /// The value is shorter than allowed (in characters).
    #[error("must be at least {min} characters")]
    TooShort {
        /// The minimum length in characters.
        min: usize,
    },
    /// The value contains characters not allowed in this field.
    #[error("contains characters that are not allowed")]
    InvalidCharacters,
    /// The value does not have the expected shape.
    #[error("has an invalid format: {expected}")]
    InvalidFormat {
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// The value is not one of the accepted values.
    #[error("must be one of: {allowed}")]
    NotAllowed {
        /// The accepted values, comma separated.
        allowed: &'static str,
    },
}

impl FieldError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            FieldError::Empty => "empty",
            FieldError::TooLong { .. } => "too_long",
            FieldError::TooShort { .. } => "too_short",
            FieldError::InvalidCharacters => "invalid_characters",
            FieldError::InvalidFormat { .. } => "invalid_format",
            FieldError::NotAllowed { .. } => "not_allowed",
        }
    }
}

/// Trims, collapses runs of whitespace to one space and normalises to NFC.
pub fn normalize_text(raw: &str) -> String {
    let nfc: String = raw.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Normalises multi-line text to NFC, trims every line and the whole, keeps line breaks
/// (collapsing runs of more than one blank line).
pub fn normalize_text_keep_lines(raw: &str) -> String {
    let nfc: String = raw.nfc().collect();
    let mut out: Vec<String> = Vec::new();
    for line in nfc.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && out.last().is_some_and(String::is_empty) {
            continue;
        }
        out.push(line);
    }
    out.join("\n").trim().to_string()
}

fn bounded(raw: &str, max: usize) -> Result<String, FieldError> {
    let text = normalize_text(raw);
    if text.is_empty() {
        return Err(FieldError::Empty);
    }
    if text.chars().count() > max {
        return Err(FieldError::TooLong { max });
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::InvalidCharacters);
    }
    Ok(text)
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(try_from = "String", into = "String"))]
        pub struct $name(String);

        /// Parses through [`parse`](Self::parse): what `serde` deserializes with, so invalid input is
        /// refused.
        #[cfg(feature = "serde")]
        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(raw: String) -> Result<Self, FieldError> {
                Self::parse(&raw)
            }
        }

        /// The normalised value: what `serde` serializes.
        #[cfg(feature = "serde")]
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl $name {
            /// The normalised value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_newtype!(
    /// A person's full name (*họ và tên*), e.g. `Nguyễn Thị Hồng Nhung`: NFC, trimmed, 1–100
    /// characters of letters, spaces, apostrophes, hyphens and dots.
    FullName
);

impl FullName {
    /// Maximum length in characters.
    pub const MAX: usize = 100;

    /// Parses and normalises a full name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = bounded(raw, Self::MAX)?;
        if !text.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '\'' || c == '-' || c == '.') {
            return Err(FieldError::InvalidCharacters);
        }
        Ok(Self(text))
    }
}

text_newtype!(
    /// A party-card number (*số thẻ đảng viên*): 6–12 digits; spaces and dots people type between
    /// groups are removed.
    PartyCardNumber
);

impl PartyCardNumber {
    /// Fewest digits.
    pub const MIN_DIGITS: usize = 6;
    /// Most digits.
    pub const MAX_DIGITS: usize = 12;

    /// Parses a party-card number.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '.').collect();
        if digits.is_empty() {
            return Err(FieldError::Empty);
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) || !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len()) {
            return Err(FieldError::InvalidFormat { expected: "6 to 12 digits" });
        }
        Ok(Self(digits))
    }
}

text_newtype!(
    /// A citizen identity card number (*số CCCD*): exactly 12 digits, the first three being a
    /// province code from 001 to 096.
    CitizenId
);

impl CitizenId {
    /// Number of digits.
    pub const DIGITS: usize = 12;
    /// The province codes the first three digits may hold.
    pub const PROVINCE_CODES: std::ops::RangeInclusive<u32> = 1..=96;

    /// Parses a CCCD number.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.is_empty() {
            return Err(FieldError::Empty);
        }
        if digits.len() != Self::DIGITS || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::InvalidFormat { expected: "12 digits" });
        }
        let province: u32 = digits[..3].parse().map_err(|_| FieldError::InvalidFormat { expected: "12 digits" })?;
        if !Self::PROVINCE_CODES.contains(&province) {
            return Err(FieldError::InvalidFormat { expected: "12 digits starting with a province code 001-096" });
        }
        Ok(Self(digits))
    }
}

text_newtype!(
    /// A Vietnamese mobile phone number, stored in national form `0xxxxxxxxx` (10 digits, network
    /// prefix 3, 5, 7, 8 or 9). Accepts `+84`/`84` prefixes, spaces, dots and hyphens.
    Phone
);

impl Phone {
    /// Parses a phone number.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
        if compact.is_empty() {
            return Err(FieldError::Empty);
        }
        let national = if let Some(rest) = compact.strip_prefix("+84") {
            format!("0{rest}")
        } else if compact.len() == 11 && compact.starts_with("84") {
            format!("0{}", &compact[2..])
        } else {
            compact
        };
        let bytes = national.as_bytes();
        let valid = bytes.len() == 10
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'0'
            && matches!(bytes[1], b'3' | b'5' | b'7' | b'8' | b'9');
        if !valid {
            return Err(FieldError::InvalidFormat { expected: "a Vietnamese mobile number such as 0912345678 or +84912345678" });
        }
        Ok(Self(national))
    }
}

text_newtype!(
    /// An e-mail address: trimmed, at most 254 characters, `local@domain.tld`, domain lower-cased.
    Email
);

impl Email {
    /// Maximum length in characters.
    pub const MAX: usize = 254;

    /// Parses an e-mail address.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(FieldError::Empty);
        }
        if text.chars().count() > Self::MAX {
            return Err(FieldError::TooLong { max: Self::MAX });
        }
        let invalid = FieldError::InvalidFormat { expected: "name@example.vn" };
        let (local, domain) = text.split_once('@').ok_or(invalid.clone())?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.chars().any(|c| c.is_whitespace() || c == '@' || c.is_control()) || !domain_ok {
            return Err(invalid);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }
}

text_newtype!(
    /// A login name: 3–64 characters of ASCII letters, digits, `.`, `_`, `-`; stored lower-case.
    /// A party-card number is a valid username.
    Username
);

impl Username {
    /// Minimum length in characters.
    pub const MIN: usize = 3;
    /// Maximum length in characters.
    pub const MAX: usize = 64;

    /// Parses a username.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim().to_ascii_lowercase();
        if text.is_empty() {
            return Err(FieldError::Empty);
        }
        if text.len() < Self::MIN {
            return Err(FieldError::TooShort { min: Self::MIN });
        }
        if text.len() > Self::MAX {
            return Err(FieldError::TooLong { max: Self::MAX });
        }
        if !text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(FieldError::InvalidCharacters);
        }
        Ok(Self(text))
    }
}

/// Sex as recorded on the member record (*giới tính*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Sex {
    /// *Nam*.
    Male,
    /// *Nữ*.
    Female,
}

impl Sex {
    /// Every value.
    pub const ALL: [Sex; 2] = [Sex::Male, Sex::Female];

    /// Every spelling [`parse`](Self::parse) accepts (ignoring case and surrounding spaces): the
    /// stable codes and the Vietnamese words.
    pub const ACCEPTED: [(&'static str, Sex); 5] =
        [("male", Sex::Male), ("female", Sex::Female), ("nam", Sex::Male), ("nữ", Sex::Female), ("nu", Sex::Female)];

    /// Stable code: `male` or `female`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Parses the stable code (also accepts `nam`/`nữ`/`nu`, case-insensitive): one of
    /// [`ACCEPTED`](Self::ACCEPTED).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = normalize_text(raw).to_lowercase();
        if text.is_empty() {
            return Err(FieldError::Empty);
        }
        Self::ACCEPTED
            .iter()
            .find(|(spelling, _)| *spelling == text)
            .map(|(_, sex)| *sex)
            .ok_or(FieldError::NotAllowed { allowed: "male, female" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_name_is_nfc_trimmed_and_collapsed() {
        // "Nguyễn" typed in decomposed form (NFD) with extra spaces.
        let nfd = "  Nguye\u{0302}\u{0303}n   Va\u{0306}n  An ";
        let name = FullName::parse(nfd).unwrap();
        assert_eq!(name.as_str(), "Nguyễn Văn An");
        assert!(name.as_str().chars().count() == 13);
    }

    #[test]
    fn field_table() {
        type Case = (&'static str, Result<&'static str, &'static str>);
        let names: &[Case] = &[
            ("Trần Thị Bích", Ok("Trần Thị Bích")),
            ("", Err("empty")),
            ("   ", Err("empty")),
            ("Lê Văn 3", Err("invalid_characters")),
            ("Lê\u{0007}Văn", Err("invalid_characters")),
        ];
        for (raw, want) in names {
            let got = FullName::parse(raw).map(|v| v.0).map_err(|e| e.code());
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "name {raw:?}");
        }
        assert_eq!(FullName::parse(&"a".repeat(101)).unwrap_err(), FieldError::TooLong { max: 100 });

        let cccd: &[Case] = &[
            ("001099012345", Ok("001099012345")),
            (" 034 188 000 123 ", Ok("034188000123")),
            ("00109901234", Err("invalid_format")),
            ("0010990123456", Err("invalid_format")),
            ("00109901234a", Err("invalid_format")),
            ("000099012345", Err("invalid_format")),
            ("097099012345", Err("invalid_format")),
            ("", Err("empty")),
        ];
        for (raw, want) in cccd {
            let got = CitizenId::parse(raw).map(|v| v.0).map_err(|e| e.code());
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "cccd {raw:?}");
        }

        let phones: &[Case] = &[
            ("0912345678", Ok("0912345678")),
            ("+84 912 345 678", Ok("0912345678")),
            ("84912345678", Ok("0912345678")),
            ("091.234.5678", Ok("0912345678")),
            ("0312345678", Ok("0312345678")),
            ("0212345678", Err("invalid_format")),
            ("091234567", Err("invalid_format")),
            ("09123456789", Err("invalid_format")),
            ("abc", Err("invalid_format")),
        ];
        for (raw, want) in phones {
            let got = Phone::parse(raw).map(|v| v.0).map_err(|e| e.code());
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "phone {raw:?}");
        }

        let cards: &[Case] = &[
            ("12345678", Ok("12345678")),
            ("12.345.678", Ok("12345678")),
            ("12345", Err("invalid_format")),
            ("1234567890123", Err("invalid_format")),
            ("1234567X", Err("invalid_format")),
        ];
        for (raw, want) in cards {
            let got = PartyCardNumber::parse(raw).map(|v| v.0).map_err(|e| e.code());
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "card {raw:?}");
        }

        let emails: &[Case] = &[
            ("an.nguyen@Example.VN", Ok("an.nguyen@example.vn")),
            ("no-at-sign", Err("invalid_format")),
            ("a@b", Err("invalid_format")),
            ("a b@c.vn", Err("invalid_format")),
            ("@c.vn", Err("invalid_format")),
        ];
        for (raw, want) in emails {
            let got = Email::parse(raw).map(|v| v.0).map_err(|e| e.code());
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "email {raw:?}");
        }

        let users: &[Case] =
            &[("Admin", Ok("admin")), ("12345678", Ok("12345678")), ("ab", Err("too_short")), ("bí.thư", Err("invalid_characters"))];
        for (raw, want) in users {
            let got = Username::parse(raw).map(|v| v.0).map_err(|e| e.code());
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "username {raw:?}");
        }
    }

    #[test]
    fn sex_accepts_codes_and_vietnamese() {
        assert_eq!(Sex::parse("Nữ").unwrap(), Sex::Female);
        assert_eq!(Sex::parse("male").unwrap(), Sex::Male);
        assert_eq!(Sex::parse("x").unwrap_err().code(), "not_allowed");
        for sex in Sex::ALL {
            assert_eq!(Sex::parse(sex.code()), Ok(sex), "every code parses");
            assert!(Sex::ACCEPTED.contains(&(sex.code(), sex)), "every code is an accepted spelling");
        }
        for (spelling, sex) in Sex::ACCEPTED {
            assert_eq!(Sex::parse(&spelling.to_uppercase()), Ok(sex), "{spelling}");
        }
    }
}
