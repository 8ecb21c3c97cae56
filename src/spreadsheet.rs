//! CSV for spreadsheets, the one writer of every CSV download (reports, the audit log): RFC 4180
//! through the `csv` crate, lines ending in CRLF; and [`text`], which keeps a spreadsheet from
//! running a cell as a formula.

/// The CSV text of `header` and `rows`, cells as given.
pub fn csv<'a>(header: &[&str], rows: impl IntoIterator<Item = Vec<std::borrow::Cow<'a, str>>>) -> String {
    // Flexible: rows of other lengths are written as they are. Writing into memory then cannot
    // fail, so there is no error to hand back.
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).from_writer(Vec::new());
    let _ = out.write_record(header);
    for row in rows {
        let _ = out.write_record(row.iter().map(|cell| cell.as_bytes()));
    }
    let bytes = out.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A text cell made inert: one that begins with `=`, `+`, `-` or `@` gets a leading `'`, so a
/// spreadsheet opening the file shows it instead of running it as a formula. Numbers are not
/// text: -3 stays -3.
pub fn text(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@']) { format!("'{cell}").into() } else { cell.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_needs_it_and_defuses_formulas() {
        let rows = vec![
            vec![text("plain"), text("a,\"b\"")],
            vec![text("=cmd()"), text("two\nlines")],
            vec!["-3".into(), "4".into()],
        ];
        assert_eq!(csv(&["x", "y"], rows), "x,y\r\nplain,\"a,\"\"b\"\"\"\r\n'=cmd(),\"two\nlines\"\r\n-3,4\r\n");
    }
}
