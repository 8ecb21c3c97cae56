//! English and Spanish message catalogs. Every string the UI shows comes from
//! `src/i18n/{en,es}.toml`; templates ask for keys through [`Tr`].

pub mod dates;

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("en") => Some(Lang::En),
            Some("es") => Some(Lang::Es),
            _ => None,
        }
    }

    /// The first supported language of an `Accept-Language` header, in its order of preference.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut prefs: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.trim().split(';');
                let tag = it.next()?.trim();
                let q = it.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse().ok()).unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        prefs.sort_by(|a, b| b.0.total_cmp(&a.0));
        prefs.into_iter().find_map(|(_, tag)| Lang::from_code(tag))
    }
}

type Catalog = HashMap<String, String>;

fn parse(text: &str) -> Catalog {
    toml::from_str(text).unwrap_or_default()
}

static EN: LazyLock<Catalog> = LazyLock::new(|| parse(include_str!("i18n/en.toml")));
static ES: LazyLock<Catalog> = LazyLock::new(|| parse(include_str!("i18n/es.toml")));

/// The translator a page renders with.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    fn catalog(&self) -> &'static Catalog {
        match self.lang {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }

    /// The message for `key`; the key itself if a catalog lacks it (a test keeps them complete).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match self.catalog().get(key) {
            Some(s) => s.as_str(),
            None => key,
        }
    }

    /// The message with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_string();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_the_same_keys_and_no_empty_messages() {
        assert!(EN.len() > 50, "the English catalog parses");
        let mut en: Vec<_> = EN.keys().collect();
        let mut es: Vec<_> = ES.keys().collect();
        en.sort();
        es.sort();
        let missing_es: Vec<_> = en.iter().filter(|k| !ES.contains_key(k.as_str())).collect();
        let missing_en: Vec<_> = es.iter().filter(|k| !EN.contains_key(k.as_str())).collect();
        assert!(missing_es.is_empty(), "missing in es: {missing_es:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        assert!(EN.values().chain(ES.values()).all(|v| !v.trim().is_empty()));
    }

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language("es-ES,es;q=0.9,en;q=0.8"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("fr;q=0.9, en;q=0.5, es;q=0.7"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(Tr::new(Lang::Es).f("greeting", &[("name", "Ana")]), "Hola, Ana");
    }
}
