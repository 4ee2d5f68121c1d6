//! Vietnamese folding: lower case, no tone marks, no vowel marks, `đ` → `d`. `nghi quyet` and
//! `NGHỊ QUYẾT` fold to the same text as *Nghị quyết*, whether typed precomposed (NFC) or
//! decomposed (NFD).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for matching: NFD, combining marks removed, `đ`/`Đ` → `d`, lower case.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Lower case, NFC: the "exact" form of a word, diacritics kept.
pub fn exact(text: &str) -> String {
    text.nfc().flat_map(char::to_lowercase).collect()
}

/// Splits text into words (letters and digits), each as (exact form, folded form).
pub fn words(text: &str) -> Vec<(String, String)> {
    let nfc: String = text.nfc().collect();
    nfc.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| (exact(w), fold(w)))
        .filter(|(_, f)| !f.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    /// Every Vietnamese vowel (a ă â e ê i o ô ơ u ư y) with no tone and each of the five tones
    /// (huyền, sắc, hỏi, ngã, nặng), lower and upper case, precomposed and decomposed: all fold to
    /// the bare Latin vowel.
    #[test]
    fn every_vowel_with_every_tone() {
        let table: [(&str, [&str; 6]); 12] = [
            ("a", ["a", "à", "á", "ả", "ã", "ạ"]),
            ("a", ["ă", "ằ", "ắ", "ẳ", "ẵ", "ặ"]),
            ("a", ["â", "ầ", "ấ", "ẩ", "ẫ", "ậ"]),
            ("e", ["e", "è", "é", "ẻ", "ẽ", "ẹ"]),
            ("e", ["ê", "ề", "ế", "ể", "ễ", "ệ"]),
            ("i", ["i", "ì", "í", "ỉ", "ĩ", "ị"]),
            ("o", ["o", "ò", "ó", "ỏ", "õ", "ọ"]),
            ("o", ["ô", "ồ", "ố", "ổ", "ỗ", "ộ"]),
            ("o", ["ơ", "ờ", "ớ", "ở", "ỡ", "ợ"]),
            ("u", ["u", "ù", "ú", "ủ", "ũ", "ụ"]),
            ("u", ["ư", "ừ", "ứ", "ử", "ữ", "ự"]),
            ("y", ["y", "ỳ", "ý", "ỷ", "ỹ", "ỵ"]),
        ];
        let mut checked = 0;
        for (base, forms) in table {
            for form in forms {
                let upper: String = form.to_uppercase();
                for variant in [form.to_string(), upper.clone(), form.nfd().collect(), upper.nfd().collect()] {
                    assert_eq!(fold(&variant), base, "{variant:?} ({:?})", variant.chars().map(|c| c as u32).collect::<Vec<_>>());
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 12 * 6 * 4);
    }

    #[test]
    fn d_with_stroke_and_phrases() {
        let cases = [
            ("Đảng viên", "dang vien"),
            ("đảng VIÊN", "dang vien"),
            ("NGHỊ QUYẾT 05-NQ/TU", "nghi quyet 05-nq/tu"),
            ("Kết luận", "ket luan"),
            ("Hướng dẫn", "huong dan"),
            ("Thông báo", "thong bao"),
        ];
        for (raw, want) in cases {
            assert_eq!(fold(raw), want);
            assert_eq!(fold(&raw.nfd().collect::<String>()), want, "NFD {raw}");
        }
    }

    #[test]
    fn words_keep_exact_and_folded_forms() {
        let w = words("Nghị quyết số 05-NQ/TU, về đảng viên!");
        let folded: Vec<&str> = w.iter().map(|(_, f)| f.as_str()).collect();
        assert_eq!(folded, ["nghi", "quyet", "so", "05", "nq", "tu", "ve", "dang", "vien"]);
        assert_eq!(w[0].0, "nghị");
    }
}
