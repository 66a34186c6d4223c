//! National identifiers out of text bound for a log: request paths and error messages.
//!
//! A client may put a national identifier anywhere in a URL path (`/fhir/Patient/17854110128`,
//! unauthenticated or not), and error messages quote what the client sent. Such text passes
//! through here on its way into a log line: each word holding something shaped like a
//! national identifier is replaced by the identifier's keyed pseudonym when the word is a
//! valid number of some country, else by [`PLACEHOLDER`] (a mistyped number is still, or
//! nearly, a person's number).
//!
//! "Shaped like" is wider than what the parsers accept, and ignores check digits: nine or
//! more digits in a row (every kind without separators: 10 digits in SE and DK, 11 in NO, 12
//! in SE with the century), or six digits, one separator and three digits (DK and SE with a
//! hyphen, SE's `+` of the over-hundreds, FI's century signs `-`, `+`, `A`–`F`, `U`–`Y`). A
//! word is a maximal run of ASCII letters, digits, `-` and `+`. The gateway's own ids
//! (`no.p-001.rx-0001`, UUIDs) seldom hold such a run; when one does, the log loses that id,
//! which costs a reader some convenience and never a person their number.

use std::borrow::Cow;

use super::{Country, NationalId};

/// What stands in the log for a word shaped like an identifier that no country accepts.
pub const PLACEHOLDER: &str = "[redacted]";

/// `text` with every word shaped like a national identifier replaced.
pub fn text(text: &str) -> Cow<'_, str> {
    if !words(text).any(|(start, end)| shaped_like_an_id(&text[start..end])) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in words(text) {
        let word = &text[start..end];
        if shaped_like_an_id(word) {
            out.push_str(&text[copied..start]);
            out.push_str(&replacement(word));
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// A URL path for a log. Percent-escapes are decoded first, so that `1785411%30128` is seen
/// for the number it is; a path with nothing to redact is returned as it came.
pub fn path(path: &str) -> Cow<'_, str> {
    if !path.contains('%') {
        return text(path);
    }
    let decoded = percent_decode(path);
    match text(&decoded) {
        Cow::Borrowed(_) => Cow::Borrowed(path),
        Cow::Owned(redacted) => Cow::Owned(redacted),
    }
}

/// The byte ranges of the words of `text`. Word characters are ASCII, so every range starts
/// and ends on a character boundary.
fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'+';
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && !is_word(bytes[at]) {
            at += 1;
        }
        if at == bytes.len() {
            return None;
        }
        let start = at;
        while at < bytes.len() && is_word(bytes[at]) {
            at += 1;
        }
        Some((start, at))
    })
}

fn shaped_like_an_id(word: &str) -> bool {
    let bytes = word.as_bytes();
    let digits_at = |from: usize, count: usize| {
        bytes
            .get(from..from + count)
            .is_some_and(|run| run.iter().all(u8::is_ascii_digit))
    };
    (0..bytes.len()).any(|i| {
        digits_at(i, 9)
            || (digits_at(i, 6)
                && bytes
                    .get(i + 6)
                    .is_some_and(|&b| b == b'-' || b == b'+' || b.is_ascii_alphabetic())
                && digits_at(i + 7, 3))
    })
}

/// The pseudonym of the first country (in a fixed order, so that a number always gets the
/// same one) whose rules accept the word, else the placeholder.
fn replacement(word: &str) -> Cow<'static, str> {
    Country::ALL
        .into_iter()
        .find_map(|country| NationalId::parse_for_country(country, word).ok())
        .map_or(Cow::Borrowed(PLACEHOLDER), |id| Cow::Owned(id.pseudonym()))
}

/// `%XX` escapes decoded; invalid escapes are kept, invalid UTF-8 replaced.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::national_id::synth;
    use time::macros::date;

    fn every_kind() -> Vec<NationalId> {
        let d = date!(1985 - 06 - 14);
        vec![
            synth::no_fnr(d, 125).unwrap().into(),
            synth::no_dnumber(d, 125).unwrap().into(),
            synth::se_personnummer(d, 123).unwrap().into(),
            synth::se_samordningsnummer(d, 123).unwrap().into(),
            synth::dk_cpr(d, 1234).unwrap().into(),
            synth::fi_hetu(date!(1952 - 10 - 13), 908).unwrap().into(),
            synth::fi_hetu(date!(2017 - 06 - 15), 921).unwrap().into(),
        ]
    }

    #[test]
    fn every_kind_in_a_path_becomes_a_pseudonym() {
        // A bare number may be valid in two countries (a DK CPR number can pass as a SE
        // samordningsnummer); it then gets the first country's pseudonym.
        for id in every_kind() {
            for path in [
                format!("/fhir/Patient/{}", id.value()),
                format!("/fhir/Patient/no.{}/$summary", id.value()),
                format!("/{}", id.value()),
            ] {
                let logged = super::path(&path);
                assert!(!logged.contains(id.value()), "{path} → {logged}");
                assert!(!logged.contains(PLACEHOLDER), "{path} → {logged}");
                assert!(logged.contains('#'), "{path} → {logged}");
            }
        }
    }

    #[test]
    fn a_fodselsnummer_becomes_its_own_pseudonym() {
        let fnr = NationalId::from(synth::no_fnr(date!(1985 - 06 - 14), 125).unwrap());
        let logged = path(&format!("/fhir/Patient/{}", fnr.value())).into_owned();
        assert_eq!(logged, format!("/fhir/Patient/{}", fnr.pseudonym()));
        assert!(fnr.pseudonym().starts_with("NO-fnr#"));
    }

    #[test]
    fn numbers_no_country_accepts_become_the_placeholder() {
        for number in [
            "12848801266",   // an fnr with a wrong control digit
            "123456789",     // nine digits
            "3102625629",    // a CPR number of 31 February
            "131052-308U",   // a henkilötunnus with a wrong check character
            "p17854110128x", // glued to letters
        ] {
            let logged = text(&format!("Patient/{number} is not known")).into_owned();
            assert_eq!(logged, format!("Patient/{PLACEHOLDER} is not known"));
        }
    }

    #[test]
    fn escaped_digits_are_seen_through() {
        let fnr = synth::no_fnr(date!(1985 - 06 - 14), 125).unwrap();
        let escaped: String = fnr
            .as_str()
            .chars()
            .map(|c| format!("%{:02X}", c as u32))
            .collect();
        let logged = path(&format!("/fhir/Patient/{escaped}")).into_owned();
        assert_eq!(
            logged,
            format!("/fhir/Patient/{}", NationalId::from(fnr).pseudonym())
        );
    }

    #[test]
    fn ordinary_paths_and_messages_are_untouched() {
        for unchanged in [
            "/fhir/Patient/no.p-001",
            "/fhir/MedicationRequest/no.p-no-003.rx-0001",
            "/fhir/Patient/no.p-001/$everything",
            "/fhir/AuditEvent/0b7c6f53-3f5e-4a8e-9d0e-2c1f7a9e4b21",
            "/fhir/Consent/%7Bid%7D",
            "/auth/account/grants/abc",
            "resource type 'Foo' is not supported by this server",
            "2024-05-01T12:00:00Z",
        ] {
            assert!(
                matches!(path(unchanged), Cow::Borrowed(_)),
                "{unchanged} → {}",
                path(unchanged)
            );
        }
    }

    #[test]
    fn non_ascii_text_around_a_number_survives() {
        let fnr = synth::no_fnr(date!(1985 - 06 - 14), 125).unwrap();
        let logged = text(&format!("fødselsnummer «{}» ukjent", fnr.as_str())).into_owned();
        assert_eq!(
            logged,
            format!(
                "fødselsnummer «{}» ukjent",
                NationalId::from(fnr).pseudonym()
            )
        );
    }
}
