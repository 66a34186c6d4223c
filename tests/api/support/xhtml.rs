//! FHIR narrative checks: a narrative is one well-formed XHTML `div` in the XHTML namespace.

#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use quick_xml::Reader;
use quick_xml::events::Event;

const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Panics unless `div` parses as XML with a single root `div` that declares the XHTML
/// namespace, every element closed and in order. Returns the character data, unescaped, so
/// that a test can look at what a reader sees.
#[track_caller]
pub fn assert_xhtml_div(div: &str) -> String {
    let mut reader = Reader::from_str(div);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                if depth == 0 {
                    roots += 1;
                    assert_eq!(start.name().as_ref(), "div", "the root is a div: {div}");
                    let xmlns = start
                        .attributes()
                        .filter_map(Result::ok)
                        .find(|a| a.key.as_ref() == "xmlns")
                        .unwrap_or_else(|| panic!("the div declares its namespace: {div}"));
                    assert_eq!(xmlns.value.as_ref(), XHTML_NS, "{div}");
                }
                depth += 1;
            }
            Ok(Event::End(_)) => {
                assert!(depth > 0, "an end tag without a start: {div}");
                depth -= 1;
                text.push(' ');
            }
            Ok(Event::Empty(_)) => assert!(depth > 0, "content outside the div: {div}"),
            Ok(Event::Text(t)) => {
                let content = t.xml10_content();
                if depth == 0 && !content.trim().is_empty() {
                    panic!("text outside the div: {div}");
                }
                text.push_str(&content);
            }
            Ok(Event::GeneralRef(r)) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.xml10_content();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .unwrap_or_else(|| panic!("unknown entity &{name}; in {div}"))
                            .to_owned()
                    }
                    Err(e) => panic!("bad character reference ({e}): {div}"),
                };
                text.push_str(&resolved);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XHTML ({e}): {div}"),
        }
    }
    assert_eq!(depth, 0, "unclosed elements: {div}");
    assert_eq!(roots, 1, "exactly one root div: {div}");
    text
}
