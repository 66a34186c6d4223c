//! Does a resource match a criterion? R4 matching rules for each parameter type.

use std::cmp::Ordering;

use crate::fhir::search::params::{IndexValue, Searchable};
use crate::fhir::search::request::{Criterion, Modifier, SearchValue, SortKey, TokenSystem};

/// Case- and accent-insensitive form of a string, as R4 string search compares them
/// ("Ødegård" and "odegard" are the same).
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

pub fn matches_all<R: Searchable>(resource: &R, criteria: &[Criterion], now_ms: i64) -> bool {
    criteria.iter().all(|c| matches(resource, c, now_ms))
}

pub fn matches<R: Searchable>(resource: &R, criterion: &Criterion, now_ms: i64) -> bool {
    let Some(def) = R::param(criterion.name) else {
        return false;
    };
    let values = (def.extract)(resource);
    match criterion.modifier {
        Modifier::Missing(missing) => values.is_empty() == missing,
        // `:not` includes resources that have no value at all (R4 §3.1.1.4.7).
        Modifier::Not => !criterion.values.iter().any(|s| {
            values
                .iter()
                .any(|v| value_matches(v, s, &Modifier::None, now_ms))
        }),
        ref modifier => criterion
            .values
            .iter()
            .any(|s| values.iter().any(|v| value_matches(v, s, modifier, now_ms))),
    }
}

fn value_matches(
    value: &IndexValue<'_>,
    search: &SearchValue,
    modifier: &Modifier,
    now_ms: i64,
) -> bool {
    match (value, search) {
        (IndexValue::Str(text), SearchValue::Str(wanted)) => string_matches(text, wanted, modifier),
        (IndexValue::Token { text, .. }, SearchValue::Str(wanted))
            if *modifier == Modifier::Text =>
        {
            text.is_some_and(|t| fold(t).starts_with(&fold(wanted)))
        }
        (
            IndexValue::Token { system, code, .. },
            SearchValue::Token {
                system: wanted_system,
                code: wanted_code,
            },
        ) => {
            let system_ok = match wanted_system {
                TokenSystem::Any => true,
                TokenSystem::Absent => system.is_none(),
                TokenSystem::Is(s) => *system == Some(s.as_str()),
            };
            system_ok && wanted_code.as_deref().is_none_or(|c| c == *code)
        }
        (IndexValue::Date(range), SearchValue::Date(search)) => search.matches(*range, now_ms),
        (IndexValue::Reference(reference), SearchValue::Reference(wanted)) => reference == wanted,
        (
            IndexValue::Quantity {
                value,
                system,
                code,
                unit,
            },
            SearchValue::Quantity(search),
        ) => search.matches(*value, *system, *code, *unit),
        _ => false,
    }
}

fn string_matches(text: &str, wanted: &str, modifier: &Modifier) -> bool {
    match modifier {
        Modifier::Exact => text == wanted,
        Modifier::Contains => fold(text).contains(&fold(wanted)),
        _ => fold(text).starts_with(&fold(wanted)),
    }
}

/// Sorts by the keys; resources without a value for a key come last, ties keep id order.
/// Each resource's sort values are read once, not once per comparison.
pub fn sort<R: Searchable>(resources: &mut Vec<R>, keys: &[SortKey]) {
    let defs: Vec<_> = keys
        .iter()
        .map(|k| (R::param(k.name), k.descending))
        .collect();
    let mut decorated: Vec<(Vec<Option<SortValue>>, R)> = resources
        .drain(..)
        .map(|r| {
            let values = defs
                .iter()
                .map(|(def, _)| def.and_then(|d| sort_value((d.extract)(&r).first())))
                .collect();
            (values, r)
        })
        .collect();
    decorated.sort_by(|(ka, a), (kb, b)| {
        for (i, (_, descending)) in defs.iter().enumerate() {
            let ordering = match (&ka[i], &kb[i]) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) if *descending => y.cmp(x),
                (Some(x), Some(y)) => x.cmp(y),
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        a.id().cmp(b.id())
    });
    resources.extend(decorated.into_iter().map(|(_, r)| r));
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    Instant(i64),
    Number(OrderedNumber),
    Text(String),
}

/// A finite quantity value, ordered by `f64::total_cmp` so that it can be a sort key.
#[derive(PartialEq)]
struct OrderedNumber(f64);

impl Eq for OrderedNumber {}

impl PartialOrd for OrderedNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

fn sort_value(value: Option<&IndexValue<'_>>) -> Option<SortValue> {
    Some(match value? {
        IndexValue::Date(range) => SortValue::Instant(range.low),
        IndexValue::Str(s) => SortValue::Text(fold(s)),
        IndexValue::Token { code, .. } => SortValue::Text((*code).to_owned()),
        IndexValue::Reference(r) => SortValue::Text((*r).to_owned()),
        IndexValue::Quantity { value, .. } => SortValue::Number(OrderedNumber(*value)),
    })
}

/// Parses the default sort of a type (`-authoredon`) into keys.
pub fn default_sort_keys<R: Searchable>() -> Vec<SortKey> {
    let spec = R::default_sort();
    let (descending, name) = match spec.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, spec),
    };
    R::param(name)
        .map(|def| {
            vec![SortKey {
                name: def.name,
                descending,
            }]
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_nordic_accents() {
        assert_eq!(fold("Ødegård"), "odegard");
        assert_eq!(fold("Hämäläinen"), "hamalainen");
        assert_eq!(fold("ÅSA"), "asa");
        assert!(string_matches("Ødegård", "ode", &Modifier::None));
        assert!(!string_matches("Ødegård", "ode", &Modifier::Exact));
        assert!(string_matches("Ødegård", "Ødegård", &Modifier::Exact));
        assert!(string_matches(
            "Bjørnstjerne",
            "STJERN",
            &Modifier::Contains
        ));
        assert!(!string_matches("Bjørnstjerne", "stjern", &Modifier::None));
    }
}
