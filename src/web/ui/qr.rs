//! QR codes as inline SVG markup (the `qrcode` crate, no image library, no outside service).
//! The markup uses presentation attributes only, never `style`, so pages keep their strict CSP.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An `<svg>` element encoding `text`, labelled `label` for screen readers; empty if `text` is
/// too long for a QR code (the page then simply has no code).
pub fn svg(text: &str, label: &str) -> String {
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else { return String::new() };
    let markup = code
        .render::<svg::Color>()
        .quiet_zone(true)
        .module_dimensions(4, 4)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    let start = markup.find("<svg").unwrap_or(0);
    let attrs = format!(r#"<svg class="qr" role="img" aria-label="{}""#, escape(label));
    markup[start..].replacen("<svg", &attrs, 1)
}

/// Escapes text for an attribute value.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_svg_without_styles_or_xml_declaration() {
        let out = svg("https://salas.example/rooms/0193", "Open \"Sala\" <on> a phone");
        assert!(out.starts_with(r#"<svg class="qr" role="img" aria-label="Open &quot;Sala&quot; &lt;on&gt; a phone""#));
        assert!(out.ends_with("</svg>"));
        assert!(!out.contains("style") && !out.contains("<?xml"));
        assert!(out.contains("<path fill=\"#000\" d=\"M"));
    }

    #[test]
    fn too_long_for_a_code_gives_nothing() {
        assert_eq!(svg(&"x".repeat(5000), "x"), "");
    }
}
