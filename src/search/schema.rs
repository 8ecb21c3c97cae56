//! The index schema and its analyzers. Every text field is indexed three ways: folded (lower
//! case, no accents) for exact, fuzzy and prefix matching, and folded then stemmed in English
//! and in Spanish, so "reuniones" meets "Reunión" and "projectors" meets "Projector".

use crate::model::room::{Resource, Room};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, SchemaBuilder, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
    TokenizerManager,
};
use tantivy::{TantivyDocument, Term};

/// Bumped whenever the schema or an analyzer changes: an index written with another version is
/// rebuilt at start.
pub const VERSION: u32 = 1;

pub const FOLD: &str = "salas_fold";
pub const EN: &str = "salas_en";
pub const ES: &str = "salas_es";

/// What a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Room,
    Resource,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Room => "room",
            Kind::Resource => "resource",
        }
    }
}

/// One searchable text, indexed with each analyzer.
#[derive(Clone, Copy)]
pub struct TextField {
    pub fold: Field,
    pub en: Field,
    pub es: Field,
    /// How much a match here weighs against the other texts.
    pub weight: f32,
}

#[derive(Clone)]
pub struct Fields {
    pub schema: Schema,
    pub id: Field,
    pub kind: Field,
    pub capacity: Field,
    /// Name, equipment names, then location and description: weightiest first.
    pub texts: [TextField; 3],
}

impl Default for Fields {
    fn default() -> Fields {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let kind = b.add_text_field("kind", STRING | STORED);
        let capacity = b.add_u64_field("capacity", NumericOptions::default().set_indexed().set_fast());
        let texts =
            [text_field(&mut b, "name", 3.0), text_field(&mut b, "equipment", 2.0), text_field(&mut b, "details", 1.0)];
        Fields { schema: b.build(), id, kind, capacity, texts }
    }
}

impl Fields {
    pub fn id_term(&self, id: &str) -> Term {
        Term::from_field_text(self.id, id)
    }

    pub fn room_doc(&self, room: &Room, equipment: &[&Resource]) -> TantivyDocument {
        let names: Vec<&str> = equipment.iter().map(|r| r.name.as_str()).collect();
        let details = format!("{}\n{}", room.location, room.description);
        self.doc(&room.id.to_string(), Kind::Room, room.capacity, [&room.name, &names.join("\n"), &details])
    }

    pub fn resource_doc(&self, resource: &Resource) -> TantivyDocument {
        self.doc(&resource.id.to_string(), Kind::Resource, 0, [&resource.name, "", &resource.description])
    }

    fn doc(&self, id: &str, kind: Kind, capacity: u32, texts: [&str; 3]) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.id, id);
        doc.add_text(self.kind, kind.as_str());
        doc.add_u64(self.capacity, capacity.into());
        for (field, text) in self.texts.iter().zip(texts) {
            for f in [field.fold, field.en, field.es] {
                doc.add_text(f, text);
            }
        }
        doc
    }
}

fn text_field(b: &mut SchemaBuilder, name: &str, weight: f32) -> TextField {
    let mut add = |suffix: &str, analyzer: &str| {
        let indexing =
            TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(IndexRecordOption::WithFreqs);
        b.add_text_field(&format!("{name}_{suffix}"), TextOptions::default().set_indexing_options(indexing))
    };
    TextField { fold: add("fold", FOLD), en: add("en", EN), es: add("es", ES), weight }
}

/// Lower case without accents, in words; `language` adds its stemmer.
pub fn analyzer(language: Option<Language>) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    match language {
        Some(l) => base.filter(Stemmer::new(l)).build(),
        None => base.build(),
    }
}

pub fn register(tokenizers: &TokenizerManager) {
    tokenizers.register(FOLD, analyzer(None));
    tokenizers.register(EN, analyzer(Some(Language::English)));
    tokenizers.register(ES, analyzer(Some(Language::Spanish)));
}

/// The tokens `analyzer` makes of `text`.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    analyzer.token_stream(text).process(&mut |t| out.push(t.text.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_stemming() {
        assert_eq!(tokens(&mut analyzer(None), "Sala de REUNIÓN, Año"), ["sala", "de", "reunion", "ano"]);
        assert_eq!(tokens(&mut analyzer(Some(Language::Spanish)), "reuniones"), ["reunion"]);
        assert_eq!(
            tokens(&mut analyzer(Some(Language::English)), "Projectors"),
            tokens(&mut analyzer(Some(Language::English)), "projector")
        );
    }
}
