//! Search terms and ranking. Every field of a document is split into words; each word is indexed
//! under its folded form (for diacritic- and case-insensitive matching) together with its exact
//! form (lower case, diacritics kept) and the weight of the field. A query matches the documents
//! that contain every folded query word; the score adds, per query word, the best field weight,
//! doubled when the document has the word with exactly the query's diacritics.

use std::collections::HashMap;

use crate::fold::words;

/// Weight of a word found in the title.
pub const TITLE_WEIGHT: i32 = 8;
/// … in the official number.
pub const NUMBER_WEIGHT: i32 = 6;
/// … in a tag.
pub const TAG_WEIGHT: i32 = 4;
/// … in the summary.
pub const SUMMARY_WEIGHT: i32 = 2;
/// … in the body.
pub const BODY_WEIGHT: i32 = 1;
/// Multiplier when the document has the query word with the same diacritics.
pub const EXACT_MULTIPLIER: i32 = 2;
/// At most this many query words are used.
pub const MAX_QUERY_WORDS: usize = 8;

/// One index entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Term {
    /// Folded word (the lookup key).
    pub folded: String,
    /// Exact word (lower case, NFC, diacritics kept).
    pub exact: String,
    /// Best field weight of this exact word in the document.
    pub weight: i32,
}

/// The fields of a document that are searched.
#[derive(Debug, Clone, Copy)]
pub struct Searchable<'a> {
    /// Title.
    pub title: &'a str,
    /// Official number.
    pub number: &'a str,
    /// Summary.
    pub summary: &'a str,
    /// Body.
    pub body: &'a str,
    /// Tags.
    pub tags: &'a [String],
}

/// The index entries of a document: one per distinct (folded, exact) word, with its best weight.
pub fn index_terms(doc: Searchable<'_>) -> Vec<Term> {
    let mut best: HashMap<(String, String), i32> = HashMap::new();
    let mut add = |text: &str, weight: i32| {
        for (exact, folded) in words(text) {
            let slot = best.entry((folded, exact)).or_insert(weight);
            *slot = (*slot).max(weight);
        }
    };
    add(doc.title, TITLE_WEIGHT);
    add(doc.number, NUMBER_WEIGHT);
    for tag in doc.tags {
        add(tag, TAG_WEIGHT);
    }
    add(doc.summary, SUMMARY_WEIGHT);
    add(doc.body, BODY_WEIGHT);
    let mut terms: Vec<Term> = best.into_iter().map(|((folded, exact), weight)| Term { folded, exact, weight }).collect();
    terms.sort();
    terms
}

/// A parsed query word.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct QueryWord {
    /// Folded form: what must match.
    pub folded: String,
    /// Exact form, when the user typed diacritics (earns the exact bonus).
    pub exact: Option<String>,
}

/// Splits a query into distinct words (at most [`MAX_QUERY_WORDS`]).
pub fn parse_query(q: &str) -> Vec<QueryWord> {
    let mut out: Vec<QueryWord> = Vec::new();
    for (exact, folded) in words(q) {
        if out.iter().any(|w| w.folded == folded) {
            continue;
        }
        let has_marks = exact != folded;
        out.push(QueryWord { folded, exact: has_marks.then_some(exact) });
        if out.len() == MAX_QUERY_WORDS {
            break;
        }
    }
    out
}

/// Score of one document for a query, from its index entries; `None` if a query word is missing.
pub fn score(query: &[QueryWord], terms: &[Term]) -> Option<i32> {
    let mut total = 0;
    for word in query {
        let best = terms
            .iter()
            .filter(|t| t.folded == word.folded)
            .map(|t| if word.exact.as_deref() == Some(t.exact.as_str()) { t.weight * EXACT_MULTIPLIER } else { t.weight })
            .max()?;
        total += best;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(title: &'a str, body: &'a str) -> Searchable<'a> {
        Searchable { title, number: "", summary: "", body, tags: &[] }
    }

    #[test]
    fn ranking_order() {
        let docs = [
            ("title exact", index_terms(doc("Nghị quyết về đảng viên", ""))),
            ("body exact", index_terms(doc("Thông báo", "nghị quyết đảng viên"))),
            ("title folded only", index_terms(doc("Nghi quyet dang vien (không dấu)", ""))),
            ("unrelated", index_terms(doc("Kế hoạch", "tin tức"))),
            ("one word only", index_terms(doc("Nghị quyết", ""))),
        ];
        let rank = |q: &str| {
            let query = parse_query(q);
            let mut scored: Vec<(i32, &str)> = docs.iter().filter_map(|(name, terms)| score(&query, terms).map(|s| (s, *name))).collect();
            scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
            scored.into_iter().map(|(_, n)| n).collect::<Vec<_>>()
        };
        // With diacritics: exact title > folded title > exact body.
        assert_eq!(rank("nghị quyết đảng viên"), ["title exact", "title folded only", "body exact"]);
        // Without diacritics, every form matches equally by field.
        assert_eq!(rank("nghi quyet dang vien"), ["title exact", "title folded only", "body exact"]);
        assert_eq!(rank("NGHỊ QUYẾT"), ["one word only", "title exact", "title folded only", "body exact"]);
        assert!(rank("xyz").is_empty());
    }

    #[test]
    fn terms_are_distinct_with_best_weight() {
        let tags = vec!["Xây dựng Đảng".to_string()];
        let t = index_terms(Searchable { title: "Đảng", number: "05-NQ/TU", summary: "", body: "đảng đảng", tags: &tags });
        let dang: Vec<&Term> = t.iter().filter(|t| t.folded == "dang").collect();
        assert_eq!(dang.len(), 1);
        assert_eq!(dang[0].weight, TITLE_WEIGHT);
        assert!(t.iter().any(|t| t.folded == "nq" && t.weight == NUMBER_WEIGHT));
        assert!(t.iter().any(|t| t.folded == "xay" && t.weight == TAG_WEIGHT));
        assert_eq!(parse_query("đảng Đảng dang").len(), 1);
        assert_eq!(parse_query("dang")[0].exact, None);
    }
}
