//! The characters no reader sees: C0 controls but `\n` and `\t`, DEL, C1, and the invisible
//! format characters — bidi overrides, isolates and marks (the Arabic letter mark included),
//! zero-width spaces and joiners, the word joiner and invisible operators, the soft hyphen,
//! line and paragraph separators, the byte-order mark, variation selectors, Hangul fillers and
//! Unicode tag characters (which spell ASCII invisibly).
//!
//! A secret split by them reads whole once copied out of a log, and tag characters carry text
//! no one sees. Text from a server loses them where it enters ([`super::redact::cut`]), before
//! it is redacted, so a split secret is whole again when it is looked for; every printed line
//! loses them too ([`super::escape`]).

/// Is `c` a character no reader sees?
pub fn is_invisible(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{AD}'
                | '\u{34F}'
                | '\u{61C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2028}'..='\u{2029}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// `text` without the characters no reader sees.
pub fn remove(text: &str) -> String {
    text.chars().filter(|c| !is_invisible(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_go_and_text_stays() {
        let tags: String = "ghp_x"
            .chars()
            .map(|c| char::from_u32(0xE0000 + c as u32).unwrap_or(c))
            .collect();
        assert_eq!(
            remove(&format!(
                "a\u{1}b\u{200B}c\u{2060}d\u{AD}e\u{61C}f\u{FE0F}g{tags}h\u{202E}i"
            )),
            "abcdefghi"
        );
        assert_eq!(
            remove("line one\n\tacme/api é ✓ 日本"),
            "line one\n\tacme/api é ✓ 日本"
        );
    }
}
