//! From what a person types to a tantivy query. Every word must match somewhere (in any text
//! field, in any of its forms); how it matches decides how much it counts: the exact word
//! weighs most, then its English or Spanish stem, then a near spelling (typos), and the last
//! word may be the start of a word (as-you-type).

use super::schema::{self, Fields};
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::{Language, TextAnalyzer};
use tantivy::{Term, schema::Field};

/// Little words that say nothing about a room, in English and Spanish. They are dropped unless
/// the query has nothing else ("sala de reunión" still needs "sala" and "reunion").
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "at", "for", "in", "near", "of", "on", "or", "the", "to", "with", "al", "cerca", "con", "de",
    "del", "el", "en", "la", "las", "los", "o", "para", "por", "un", "una", "y",
];

/// Most words a query may have; the rest are ignored (each word multiplies the query's cost).
const MAX_WORDS: usize = 8;

/// The query's words, folded (lower case, no accents), stop words dropped; and whether the last
/// one is still being typed (no space after it), so it may be a prefix.
pub fn words(text: &str) -> (Vec<String>, bool) {
    let all = schema::tokens(&mut schema::analyzer(None), text);
    let kept: Vec<String> = all.iter().filter(|w| !STOP_WORDS.contains(&w.as_str())).cloned().collect();
    let mut words = if kept.is_empty() { all } else { kept };
    words.truncate(MAX_WORDS);
    let typing = text.chars().last().is_some_and(char::is_alphanumeric);
    (words, typing)
}

/// Typos tolerated in a word of `len` characters: none in short words (they would match
/// everything), one from four letters, two from seven.
pub fn typos(len: usize) -> u8 {
    match len {
        0..=3 => 0,
        4..=6 => 1,
        _ => 2,
    }
}

/// The query for `text`, or None when it has no words.
pub fn build(fields: &Fields, text: &str) -> Option<Box<dyn Query>> {
    let (words, typing) = words(text);
    let last = words.len().checked_sub(1)?;
    let (mut en, mut es) = (schema::analyzer(Some(Language::English)), schema::analyzer(Some(Language::Spanish)));
    let clauses = words
        .iter()
        .enumerate()
        .map(|(i, w)| (Occur::Must, word_query(fields, w, i == last && typing, &mut en, &mut es)))
        .collect();
    Some(Box::new(BooleanQuery::new(clauses)))
}

fn word_query(
    fields: &Fields,
    word: &str,
    prefix: bool,
    en: &mut TextAnalyzer,
    es: &mut TextAnalyzer,
) -> Box<dyn Query> {
    let stem = |a: &mut TextAnalyzer| schema::tokens(a, word).into_iter().next().unwrap_or_else(|| word.to_string());
    let (stem_en, stem_es) = (stem(en), stem(es));
    let len = word.chars().count();
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for f in &fields.texts {
        let w = f.weight;
        any.push(should(term(f.fold, word), 4.0 * w));
        any.push(should(term(f.en, &stem_en), 2.0 * w));
        any.push(should(term(f.es, &stem_es), 2.0 * w));
        let n = typos(len);
        if n > 0 {
            any.push(should(Box::new(FuzzyTermQuery::new(text_term(f.fold, word), n, true)), w));
        }
        if prefix {
            let n = if len > 4 { 1 } else { 0 };
            any.push(should(Box::new(FuzzyTermQuery::new_prefix(text_term(f.fold, word), n, true)), w));
        }
    }
    Box::new(BooleanQuery::new(any))
}

fn should(q: Box<dyn Query>, boost: f32) -> (Occur, Box<dyn Query>) {
    (Occur::Should, Box::new(BoostQuery::new(q, boost)))
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(text_term(field, text), IndexRecordOption::WithFreqs))
}

fn text_term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_stop_words_dropped() {
        assert_eq!(words("Sala de Reunión"), (vec!["sala".to_string(), "reunion".to_string()], true));
        assert_eq!(words("room with projector "), (vec!["room".to_string(), "projector".to_string()], false));
        assert_eq!(words("de la"), (vec!["de".to_string(), "la".to_string()], true));
        assert_eq!(words("  "), (vec![], false));
        assert_eq!(words(&"x ".repeat(20)).0.len(), MAX_WORDS);
    }

    #[test]
    fn short_words_must_be_spelt_right() {
        assert_eq!(typos(3), 0);
        assert_eq!(typos(4), 1);
        assert_eq!(typos(8), 2);
    }

    #[test]
    fn an_empty_query_is_none() {
        assert!(build(&Fields::default(), " , ").is_none());
        assert!(build(&Fields::default(), "sala").is_some());
    }
}
