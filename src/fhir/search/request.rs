//! Parsing a search request (query string or `_search` form body) into criteria and controls.
//!
//! Everything is checked here, before any data is touched: an unknown parameter, an unknown
//! modifier or a malformed value is a 400 (unless the client asked for lenient handling).

use crate::fhir::search::date::DateSearch;
use crate::fhir::search::params::{ParamDef, ParamType, Searchable};
use crate::fhir::search::quantity::QuantitySearch;

/// Limits that protect the server (R41).
#[derive(Debug, Clone, Copy)]
pub struct SearchLimits {
    pub default_count: usize,
    pub max_count: usize,
    pub max_params: usize,
    /// How many patients one search may name (`patient`, `subject`, `_id`, `identifier`).
    pub max_patients: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// AND of criteria; each criterion is an OR of its values.
    pub criteria: Vec<Criterion>,
    pub count: usize,
    pub offset: usize,
    pub summary: Summary,
    pub elements: Option<Vec<String>>,
    pub includes: Vec<String>,
    pub sort: Vec<SortKey>,
    /// The parameters as understood, without paging and format controls: what a page
    /// link has to carry to run the same search again.
    pub canonical: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub name: &'static str,
    pub kind: ParamType,
    pub modifier: Modifier,
    pub values: Vec<SearchValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Modifier {
    None,
    Exact,
    Contains,
    Not,
    Text,
    Missing(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SearchValue {
    Token {
        system: TokenSystem,
        code: Option<String>,
    },
    Str(String),
    Date(DateSearch),
    Quantity(QuantitySearch),
    /// A relative reference `Type/id`.
    Reference(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenSystem {
    /// `code`: any system.
    Any,
    /// `|code`: no system.
    Absent,
    /// `system|code` or `system|`.
    Is(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    False,
    True,
    Count,
    Text,
    Data,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub name: &'static str,
    pub descending: bool,
}

/// Result parameters that R4 defines but this server does not implement.
const UNSUPPORTED_RESULT_PARAMS: &[&str] = &[
    "_revinclude",
    "_contained",
    "_containedType",
    "_has",
    "_list",
    "_query",
    "_text",
    "_content",
    "_filter",
    "_security",
    "_tag",
    "_profile",
    "_source",
    "_type",
];

/// Parameters handled outside search (format negotiation).
const FORMAT_PARAMS: &[&str] = &["_format", "_pretty"];

impl SearchRequest {
    /// Parses `(name, value)` pairs for resource type `R`. `base_url` is this server's FHIR
    /// base, so that absolute references to it can be accepted. With `lenient`, unknown
    /// parameters are ignored instead of refused (`Prefer: handling=lenient`).
    pub fn parse<R: Searchable>(
        pairs: &[(String, String)],
        limits: SearchLimits,
        lenient: bool,
        base_url: &str,
    ) -> Result<SearchRequest, String> {
        if pairs.len() > limits.max_params {
            return Err(format!(
                "too many search parameters: {} given, at most {} allowed",
                pairs.len(),
                limits.max_params
            ));
        }
        let mut request = SearchRequest {
            criteria: Vec::new(),
            count: limits.default_count,
            offset: 0,
            summary: Summary::False,
            elements: None,
            includes: Vec::new(),
            sort: Vec::new(),
            canonical: Vec::new(),
        };
        for (name, value) in pairs {
            let kept = request.apply::<R>(name, value, limits, lenient, base_url)?;
            if kept {
                request.canonical.push((name.clone(), value.clone()));
            }
        }
        Ok(request)
    }

    /// Applies one parameter; returns whether it belongs in the canonical form.
    fn apply<R: Searchable>(
        &mut self,
        name: &str,
        value: &str,
        limits: SearchLimits,
        lenient: bool,
        base_url: &str,
    ) -> Result<bool, String> {
        match name {
            _ if FORMAT_PARAMS.contains(&name) => Ok(false),
            "_count" => {
                let count: usize = value
                    .parse()
                    .map_err(|_| format!("_count must be a non-negative integer, not '{value}'"))?;
                // A server may return fewer than asked (R4 §3.1.1.5.4); it caps silently.
                self.count = count.min(limits.max_count);
                Ok(false)
            }
            "_summary" => {
                self.summary = match value {
                    "true" => Summary::True,
                    "false" => Summary::False,
                    "count" => Summary::Count,
                    "text" => Summary::Text,
                    "data" => Summary::Data,
                    _ => {
                        return Err(format!(
                            "_summary must be true, false, count, text or data, not '{value}'"
                        ));
                    }
                };
                Ok(true)
            }
            "_elements" => {
                let names: Vec<String> = value.split(',').map(|s| s.trim().to_owned()).collect();
                if names
                    .iter()
                    .any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_alphanumeric()))
                {
                    return Err(format!(
                        "_elements must be a comma-separated list of element names, not '{value}'"
                    ));
                }
                self.elements.get_or_insert_with(Vec::new).extend(names);
                Ok(true)
            }
            "_include" => {
                if !R::includes().contains(&value) {
                    return Err(format!(
                        "_include={value} is not supported on {}; supported: {}",
                        R::TYPE.as_str(),
                        if R::includes().is_empty() {
                            "none".to_owned()
                        } else {
                            R::includes().join(", ")
                        }
                    ));
                }
                if !self.includes.iter().any(|i| i == value) {
                    self.includes.push(value.to_owned());
                }
                Ok(true)
            }
            "_sort" => {
                for key in value.split(',') {
                    let (descending, param) = match key.strip_prefix('-') {
                        Some(rest) => (true, rest),
                        None => (false, key),
                    };
                    let def = R::param(param).ok_or_else(|| {
                        format!(
                            "cannot sort {} by unknown parameter '{param}'",
                            R::TYPE.as_str()
                        )
                    })?;
                    if def.kind == ParamType::Reference {
                        return Err(format!("cannot sort by reference parameter '{param}'"));
                    }
                    self.sort.push(SortKey {
                        name: def.name,
                        descending,
                    });
                }
                Ok(true)
            }
            "_total" => match value {
                "none" | "estimate" | "accurate" => Ok(false),
                _ => Err(format!(
                    "_total must be none, estimate or accurate, not '{value}'"
                )),
            },
            _ if name.starts_with("_include:") => Err(format!("'{name}' is not supported")),
            _ => {
                let (base, modifier) = match name.split_once(':') {
                    Some((b, m)) => (b, Some(m)),
                    None => (name, None),
                };
                if base.contains('.') {
                    return unknown(lenient, format!("chained search '{name}' is not supported"));
                }
                if UNSUPPORTED_RESULT_PARAMS.contains(&base) {
                    return unknown(lenient, format!("parameter '{base}' is not supported"));
                }
                let Some(def) = R::param(base) else {
                    return unknown(
                        lenient,
                        format!("unknown search parameter '{base}' for {}", R::TYPE.as_str()),
                    );
                };
                let criterion = parse_criterion(def, modifier, value, base_url)?;
                self.criteria.push(criterion);
                Ok(true)
            }
        }
    }

    /// The values of the criteria on parameter `name` (for instance the patients a clinical
    /// search is about).
    pub fn criteria_on<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Criterion> + 'a {
        self.criteria.iter().filter(move |c| c.name == name)
    }
}

fn unknown(lenient: bool, message: String) -> Result<bool, String> {
    if lenient { Ok(false) } else { Err(message) }
}

fn parse_criterion<R>(
    def: &ParamDef<R>,
    modifier: Option<&str>,
    value: &str,
    base_url: &str,
) -> Result<Criterion, String> {
    let modifier = parse_modifier(def, modifier)?;
    if let Modifier::Missing(_) = modifier {
        let missing = match value {
            "true" => true,
            "false" => false,
            _ => return Err(format!("{}:missing must be true or false", def.name)),
        };
        return Ok(Criterion {
            name: def.name,
            kind: def.kind,
            modifier: Modifier::Missing(missing),
            values: Vec::new(),
        });
    }
    let parts = split_unescaped(value, ',');
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("empty value in search parameter '{}'", def.name));
    }
    let values = parts
        .iter()
        .map(|part| parse_value(def, &modifier, part, base_url))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Criterion {
        name: def.name,
        kind: def.kind,
        modifier,
        values,
    })
}

fn parse_modifier<R>(def: &ParamDef<R>, modifier: Option<&str>) -> Result<Modifier, String> {
    let Some(m) = modifier else {
        return Ok(Modifier::None);
    };
    let parsed = match (def.kind, m) {
        (_, "missing") => Modifier::Missing(true),
        (ParamType::String, "exact") => Modifier::Exact,
        (ParamType::String, "contains") => Modifier::Contains,
        (ParamType::Token, "not") => Modifier::Not,
        (ParamType::Token, "text") => Modifier::Text,
        (ParamType::Reference, t) if Some(t) == def.target => Modifier::None,
        _ => {
            return Err(format!(
                "modifier ':{m}' is not supported on {} parameter '{}'",
                def.kind.as_str(),
                def.name
            ));
        }
    };
    Ok(parsed)
}

fn parse_value<R>(
    def: &ParamDef<R>,
    modifier: &Modifier,
    raw: &str,
    base_url: &str,
) -> Result<SearchValue, String> {
    match def.kind {
        ParamType::String => Ok(SearchValue::Str(unescape(raw))),
        ParamType::Token if *modifier == Modifier::Text => Ok(SearchValue::Str(unescape(raw))),
        ParamType::Token => {
            let pieces = split_unescaped(raw, '|');
            let (system, code) = match pieces.as_slice() {
                [code] => (TokenSystem::Any, Some(unescape(code))),
                [system, code] if system.is_empty() => (TokenSystem::Absent, Some(unescape(code))),
                [system, code] => (
                    TokenSystem::Is(unescape(system)),
                    (!code.is_empty()).then(|| unescape(code)),
                ),
                _ => {
                    return Err(format!(
                        "'{raw}' is not a token (code, system|code, |code or system|)"
                    ));
                }
            };
            Ok(SearchValue::Token { system, code })
        }
        ParamType::Date => DateSearch::parse(raw).map(SearchValue::Date),
        ParamType::Quantity => QuantitySearch::parse(&unescape(raw)).map(SearchValue::Quantity),
        ParamType::Reference => {
            let target = def.target.unwrap_or("Patient");
            let text = unescape(raw);
            let relative = text
                .strip_prefix(base_url)
                .map(|r| r.trim_start_matches('/').to_owned())
                .unwrap_or(text);
            let reference = if relative.contains('/') {
                relative
            } else {
                format!("{target}/{relative}")
            };
            let valid = reference
                .split_once('/')
                .is_some_and(|(t, id)| !t.is_empty() && is_valid_id(id));
            if !valid {
                return Err(format!(
                    "'{raw}' is not a reference (id, Type/id or an absolute URL of this server)"
                ));
            }
            Ok(SearchValue::Reference(reference))
        }
    }
}

/// FHIR ids: `[A-Za-z0-9\-\.]{1,64}`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Splits on `sep` except where it is escaped with a backslash (R4 §3.1.1.4.12).
fn split_unescaped(value: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            current.push(c);
            if let Some(next) = chars.next() {
                current.push(next);
            }
        } else if c == sep {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::{MedicationRequest, Patient};

    const LIMITS: SearchLimits = SearchLimits {
        default_count: 20,
        max_count: 100,
        max_params: 10,
        max_patients: 10,
    };
    const BASE: &str = "http://localhost:8080/fhir";

    fn pairs(query: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(query).unwrap()
    }

    fn parse_mr(query: &str) -> Result<SearchRequest, String> {
        SearchRequest::parse::<MedicationRequest>(&pairs(query), LIMITS, false, BASE)
    }

    #[test]
    fn references_in_all_three_forms_are_the_same() {
        for q in [
            "patient=no.p-1",
            "patient=Patient/no.p-1",
            "patient=http://localhost:8080/fhir/Patient/no.p-1",
            "patient:Patient=no.p-1",
        ] {
            let r = parse_mr(q).unwrap();
            assert_eq!(
                r.criteria[0].values,
                vec![SearchValue::Reference("Patient/no.p-1".into())],
                "{q}"
            );
        }
        assert!(parse_mr("patient=Patient/").is_err());
        assert!(parse_mr("patient:Practitioner=1").is_err());
    }

    #[test]
    fn tokens_parse_each_form_and_commas_are_or() {
        let r = parse_mr("code=http://www.whocc.no/atc|C09AA05,|x,y,sys|").unwrap();
        assert_eq!(
            r.criteria[0].values,
            vec![
                SearchValue::Token {
                    system: TokenSystem::Is("http://www.whocc.no/atc".into()),
                    code: Some("C09AA05".into())
                },
                SearchValue::Token {
                    system: TokenSystem::Absent,
                    code: Some("x".into())
                },
                SearchValue::Token {
                    system: TokenSystem::Any,
                    code: Some("y".into())
                },
                SearchValue::Token {
                    system: TokenSystem::Is("sys".into()),
                    code: None
                },
            ]
        );
        let escaped = parse_mr("code=a\\,b").unwrap();
        assert_eq!(escaped.criteria[0].values.len(), 1);
        assert!(parse_mr("code=a|b|c").is_err());
    }

    #[test]
    fn repetition_is_and() {
        let r = parse_mr("authoredon=ge2024-01-01&authoredon=lt2025-01-01").unwrap();
        assert_eq!(r.criteria.len(), 2);
    }

    #[test]
    fn unknown_parameters_and_modifiers_are_refused_unless_lenient() {
        assert!(
            parse_mr("colour=red")
                .unwrap_err()
                .contains("unknown search parameter 'colour'")
        );
        assert!(
            parse_mr("status:exact=active")
                .unwrap_err()
                .contains("modifier")
        );
        assert!(parse_mr("patient.name=x").unwrap_err().contains("chained"));
        assert!(parse_mr("_revinclude=Provenance:target").is_err());
        let lenient = SearchRequest::parse::<MedicationRequest>(
            &pairs("colour=red&status=active"),
            LIMITS,
            true,
            BASE,
        )
        .unwrap();
        assert_eq!(lenient.criteria.len(), 1);
        assert_eq!(
            lenient.canonical,
            vec![("status".to_owned(), "active".to_owned())]
        );
    }

    #[test]
    fn result_parameters_are_checked() {
        assert_eq!(parse_mr("_count=1000").unwrap().count, 100);
        assert!(parse_mr("_count=-1").is_err());
        assert!(parse_mr("_count=ten").is_err());
        assert_eq!(parse_mr("_summary=count").unwrap().summary, Summary::Count);
        assert!(parse_mr("_summary=maybe").is_err());
        assert!(parse_mr("_include=MedicationRequest:patient").is_ok());
        assert!(parse_mr("_include=MedicationRequest:requester").is_err());
        assert!(parse_mr("_elements=status,subject").is_ok());
        assert!(parse_mr("_elements=a.b").is_err());
        assert!(parse_mr("_sort=-authoredon,status").is_ok());
        assert!(parse_mr("_sort=patient").is_err());
        assert!(
            parse_mr("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11")
                .unwrap_err()
                .contains("too many")
        );
    }

    #[test]
    fn dates_and_missing_are_validated() {
        assert!(parse_mr("authoredon=2024-13-01").is_err());
        assert!(parse_mr("authoredon=xx2024").is_err());
        let m = parse_mr("authoredon:missing=true").unwrap();
        assert_eq!(m.criteria[0].modifier, Modifier::Missing(true));
        assert!(parse_mr("authoredon:missing=yes").is_err());
        let p = SearchRequest::parse::<Patient>(
            &pairs("family:exact=Nordmann&gender:not=male"),
            LIMITS,
            false,
            BASE,
        )
        .unwrap();
        assert_eq!(p.criteria[0].modifier, Modifier::Exact);
        assert_eq!(p.criteria[1].modifier, Modifier::Not);
    }
}
