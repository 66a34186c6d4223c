//! The human-readable part of a section: generated XHTML, every piece of data escaped.
//!
//! FHIR narrative is a restricted XHTML `div` in the XHTML namespace. Names, displays, dosage
//! texts and lot numbers come from national registers and are text, never markup: each is
//! escaped where it is written, so that a `<` or `&` in a product name shows as itself and
//! cannot open an element.

use crate::fhir::datatypes::{CodeableConcept, Narrative};

const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// A narrative being written: paragraphs and tables inside the one `div`.
pub struct Xhtml {
    out: String,
}

impl Default for Xhtml {
    fn default() -> Self {
        Xhtml::new()
    }
}

impl Xhtml {
    pub fn new() -> Xhtml {
        Xhtml {
            out: format!("<div xmlns=\"{XHTML_NS}\">"),
        }
    }

    pub fn paragraph(&mut self, text: &str) -> &mut Xhtml {
        self.out.push_str("<p>");
        self.out.push_str(&escape(text));
        self.out.push_str("</p>");
        self
    }

    /// A table with a header row; every cell is text.
    pub fn table<I>(&mut self, headers: &[&str], rows: I) -> &mut Xhtml
    where
        I: IntoIterator<Item = Vec<String>>,
    {
        self.out.push_str("<table><thead><tr>");
        for header in headers {
            self.out.push_str("<th>");
            self.out.push_str(&escape(header));
            self.out.push_str("</th>");
        }
        self.out.push_str("</tr></thead><tbody>");
        for row in rows {
            self.out.push_str("<tr>");
            for cell in row {
                self.out.push_str("<td>");
                self.out.push_str(&escape(&cell));
                self.out.push_str("</td>");
            }
            self.out.push_str("</tr>");
        }
        self.out.push_str("</tbody></table>");
        self
    }

    /// The narrative, marked as generated from the structured data.
    pub fn finish(mut self) -> Narrative {
        self.out.push_str("</div>");
        Narrative {
            status: "generated".into(),
            div: self.out,
        }
    }
}

/// Text as XHTML character data or attribute content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and line breaks are not allowed in XML.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// What a person would call a coded concept: its text, else the first display, else the first
/// code.
pub fn concept(cc: &CodeableConcept) -> String {
    cc.text
        .clone()
        .or_else(|| cc.coding.iter().find_map(|c| c.display.clone()))
        .or_else(|| cc.coding.iter().find_map(|c| c.code.clone()))
        .unwrap_or_default()
}

/// The codes of a concept, comma-separated, as a reader can look them up.
pub fn codes(cc: &CodeableConcept) -> String {
    cc.coding
        .iter()
        .filter_map(|c| c.code.as_deref())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The date part of a FHIR date or dateTime.
pub fn day(date_time: &str) -> String {
    date_time.get(..10).unwrap_or(date_time).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_everywhere_it_is_written() {
        let mut x = Xhtml::new();
        x.paragraph("Tom & Jerry <script>alert('x')</script>");
        x.table(&["A<B"], [vec!["\"quoted\" & <b>bold</b>".to_owned()]]);
        let div = x.finish().div;
        assert!(div.starts_with("<div xmlns=\"http://www.w3.org/1999/xhtml\">"));
        assert!(div.ends_with("</div>"));
        assert!(div.contains("Tom &amp; Jerry &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(div.contains("<th>A&lt;B</th>"));
        assert!(div.contains("<td>&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;</td>"));
        assert!(!div.contains("<script"));
        assert!(!div.contains("<b>"));
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(escape("a\u{0}b\u{1b}c\td\ne"), "abc\td\ne");
    }

    #[test]
    fn concepts_read_as_text_then_display_then_code() {
        let mut cc = CodeableConcept::coded("s", "C1", "Display");
        assert_eq!(concept(&cc), "Display");
        cc.text = Some("Text".into());
        assert_eq!(concept(&cc), "Text");
        assert_eq!(concept(&CodeableConcept::coded("s", "C1", "")), "C1");
        assert_eq!(codes(&cc), "C1");
        assert_eq!(day("2024-05-06T07:08:09Z"), "2024-05-06");
        assert_eq!(day("2024"), "2024");
    }
}
