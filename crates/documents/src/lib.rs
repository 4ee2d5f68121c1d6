//! # documents — directives, documents and news (*văn bản chỉ đạo, tin tức*)
//!
//! Rules of the official channel that carries documents from any level down to the members they
//! are addressed to: kinds and official numbers ([`model`]), the draft → published → withdrawn
//! lifecycle, audiences (a unit's subtree, chosen child subtrees, optionally narrowed to roles —
//! [`audience`]), attachment type detection from the bytes ([`attachment`]), and the Vietnamese
//! search: diacritic and case folding, tokenising and ranking ([`fold`], [`search`]).
//!
//! What it leaves to callers: storage, the clock, ids, the bytes of attachments, and the actual
//! index lookups (the storage layer keeps a term table built from [`search::index_terms`]).
//!
//! ```
//! use documents::fold::fold;
//! assert_eq!(fold("Nghị quyết ĐẢNG VIÊN"), "nghi quyet dang vien");
//! ```

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
