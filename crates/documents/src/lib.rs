//! # documents — directives, documents and news (*văn bản chỉ đạo, tin tức*)
//!
//! Rules of the official channel that carries documents from any level down to the members they
//! are addressed to: kinds and official numbers ([`model`]), the draft → published → withdrawn
//! lifecycle, audiences (a unit's subtree, chosen child subtrees, optionally narrowed to roles —
//! [`audience`]), who may read and who may manage a document ([`access`]: the issuer's side in
//! every status, the audience once published, leaders over the audience also once withdrawn),
//! attachment type detection from the bytes ([`attachment`]), and the Vietnamese
//! search: diacritic and case folding, tokenising and ranking ([`fold`], [`search`]).
//!
//! What it leaves to callers: storage, the clock, ids, the bytes of attachments, and the actual
//! index lookups (the storage layer keeps a term table built from [`search::index_terms`]).
//!
//! ```
//! use documents::fold::fold;
//! assert_eq!(fold("Nghị quyết ĐẢNG VIÊN"), "nghi quyet dang vien");
//! ```
//!
//! ## The `serde` feature
//!
//! Off by default. With `features = ["serde"]` (which enables `membership/serde`) the data types
//! implement `Serialize`/`Deserialize`: ids as their UUID string, [`model::DocumentKind`] and
//! [`model::DocumentStatus`] as their stable `code()`, [`attachment::FileType`] as its MIME type
//! (anything else is refused), search terms as objects.
//!
#![cfg_attr(feature = "serde", doc = "```")]
#![cfg_attr(not(feature = "serde"), doc = "```ignore")]
//! use documents::{attachment::FileType, model::DocumentKind};
//!
//! assert_eq!(serde_json::to_string(&DocumentKind::StudyMaterial).unwrap(), r#""study_material""#);
//! let pdf: FileType = serde_json::from_str(r#""application/pdf""#).unwrap();
//! assert_eq!(pdf, FileType::Pdf);
//! assert!(serde_json::from_str::<FileType>(r#""application/x-msdownload""#).is_err());
//! ```

pub mod access;
pub mod attachment;
pub mod audience;
pub mod fold;
pub mod model;
pub mod search;

membership::id_type!(
    /// A document.
    DocumentId
);
membership::id_type!(
    /// An attachment.
    AttachmentId
);

#[cfg(test)]
#[cfg(feature = "serde")]
mod serde_tests {
    use super::*;
    use crate::attachment::FileType;
    use crate::model::{DocumentKind, DocumentStatus};
    use crate::search::{QueryWord, Searchable, Term, index_terms, parse_query};
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> serde_json::Value {
        let json = serde_json::to_value(value).unwrap();
        let back: T = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(&back, value, "{json}");
        json
    }

    #[test]
    fn codes_serialize_as_their_code() {
        for k in DocumentKind::ALL {
            assert_eq!(round_trip(&k), k.code());
        }
        for s in [DocumentStatus::Draft, DocumentStatus::Published, DocumentStatus::Withdrawn] {
            assert_eq!(round_trip(&s), s.code());
        }
        for t in [
            FileType::Pdf,
            FileType::Docx,
            FileType::Png,
            FileType::Jpeg,
            FileType::Webp,
            FileType::Mp3,
            FileType::M4a,
            FileType::Ogg,
            FileType::Wav,
        ] {
            assert_eq!(round_trip(&t), t.mime());
        }
    }

    #[test]
    fn records_round_trip() {
        assert_eq!(round_trip(&DocumentId::from_uuid(uuid::Uuid::from_u128(5))), "00000000-0000-0000-0000-000000000005");
        round_trip(&AttachmentId::from_uuid(uuid::Uuid::from_u128(6)));
        let tags = vec!["Nghị quyết".to_string()];
        let terms: Vec<Term> =
            index_terms(Searchable { title: "Nghị quyết số 05", number: "05-NQ/TU", summary: "", body: "", tags: &tags });
        round_trip(&terms);
        let query: Vec<QueryWord> = parse_query("nghị quyết");
        round_trip(&query);
    }

    #[test]
    fn invalid_values_are_refused() {
        assert!(serde_json::from_str::<FileType>(r#""text/html""#).is_err());
        assert!(serde_json::from_str::<DocumentKind>(r#""StudyMaterial""#).is_err());
        assert!(serde_json::from_str::<membership::CitizenId>(r#""abc""#).is_err());
    }
}
