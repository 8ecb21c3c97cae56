//! The configuration loader on arbitrary file text: exactly what `salas` runs on its config file
//! (`Config::load_text`, after the read), with no environment and no flags. It must not panic,
//! and a refusal must be one line that names where the trouble is: the file (the TOML parser's
//! message names the key and line) or the key the value belongs to.
#![no_main]

use libfuzzer_sys::fuzz_target;
use salas::config::{Config, Overrides};
use std::path::Path;

const FILE: &str = "fuzz.toml";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Config::load_text(Some((Path::new(FILE), text)), Overrides::default(), Vec::new()) {
        Ok(loaded) => {
            // What loads is what the server starts with: validate() vouched for the address.
            assert!(loaded.config.listen_addr().is_ok(), "{:?}", loaded.config.listen);
        }
        Err(e) => {
            let message = e.0;
            assert!(!message.contains(is_line_break), "not one line: {message:?}");
            assert!(names_a_key(&message), "names no key: {message:?}");
        }
    }
});

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// `fuzz.toml: …` (a parse error), or `section.key: …` / `section.key must …` whose section is one
/// the configuration has.
fn names_a_key(message: &str) -> bool {
    if message.starts_with(&format!("{FILE}: ")) {
        return true;
    }
    let Ok(toml::Value::Table(defaults)) = toml::Value::try_from(Config::default()) else { return false };
    let key = message.split([':', ' ']).next().unwrap_or("");
    let top = key.split(['.', '[']).next().unwrap_or("");
    !key.is_empty() && defaults.contains_key(top)
}
