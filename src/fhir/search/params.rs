//! What a search parameter is: its name, type, and how to read its values off a resource.

use crate::fhir::datatypes::{CodeableConcept, Identifier, Reference};
use crate::fhir::resource::DomainResource;
use crate::fhir::search::date::DateRange;

/// The R4 search parameter types the gateway supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Token,
    String,
    Date,
    Reference,
    Quantity,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Token => "token",
            ParamType::String => "string",
            ParamType::Date => "date",
            ParamType::Reference => "reference",
            ParamType::Quantity => "quantity",
        }
    }
}

/// One value of a resource element, as a search parameter sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexValue<'a> {
    /// A coded value; `text` is what `:text` searches (display or CodeableConcept.text).
    Token {
        system: Option<&'a str>,
        code: &'a str,
        text: Option<&'a str>,
    },
    Str(&'a str),
    Date(DateRange),
    /// A literal relative reference, `Type/id`.
    Reference(&'a str),
    Quantity {
        value: f64,
        system: Option<&'a str>,
        code: Option<&'a str>,
        unit: Option<&'a str>,
    },
}

/// A search parameter of resource type `R`.
pub struct ParamDef<R> {
    pub name: &'static str,
    pub kind: ParamType,
    /// Canonical URL of the SearchParameter definition.
    pub definition: &'static str,
    pub documentation: &'static str,
    /// For reference parameters: the resource type they point to.
    pub target: Option<&'static str>,
    pub extract: for<'a> fn(&'a R) -> Vec<IndexValue<'a>>,
}

/// A resource type that can be searched: its parameters and its default order.
pub trait Searchable: DomainResource {
    fn params() -> &'static [ParamDef<Self>];

    fn param(name: &str) -> Option<&'static ParamDef<Self>> {
        Self::params().iter().find(|p| p.name == name)
    }

    /// `_include` values this type supports, e.g. `MedicationRequest:patient`.
    fn includes() -> &'static [&'static str] {
        &[]
    }

    /// The order of results when no `_sort` is given: newest first for clinical data.
    fn default_sort() -> &'static str;
}

// Helpers that turn common data types into index values.

pub fn codeable_concept(cc: &CodeableConcept) -> impl Iterator<Item = IndexValue<'_>> {
    cc.coding.iter().filter_map(move |c| {
        Some(IndexValue::Token {
            system: c.system.as_deref(),
            code: c.code.as_deref()?,
            text: c.display.as_deref().or(cc.text.as_deref()),
        })
    })
}

pub fn identifiers(ids: &[Identifier]) -> impl Iterator<Item = IndexValue<'_>> {
    ids.iter().filter_map(|i| {
        Some(IndexValue::Token {
            system: i.system.as_deref(),
            code: i.value.as_deref()?,
            text: None,
        })
    })
}

/// A `code` element: bound to one code system that the search may name.
pub fn code<'a>(system: &'static str, code: &'a str) -> IndexValue<'a> {
    IndexValue::Token {
        system: Some(system),
        code,
        text: None,
    }
}

pub fn reference(r: &Reference) -> Option<IndexValue<'_>> {
    r.reference.as_deref().map(IndexValue::Reference)
}

pub fn date(text: &str) -> Option<IndexValue<'static>> {
    DateRange::parse(text).map(IndexValue::Date)
}

pub fn resource_id<R: DomainResource>(r: &R) -> IndexValue<'_> {
    IndexValue::Token {
        system: None,
        code: r.id(),
        text: None,
    }
}

pub fn last_updated<R: DomainResource>(r: &R) -> Option<IndexValue<'static>> {
    r.meta().last_updated.as_deref().and_then(date)
}

pub fn quantity(q: &crate::fhir::datatypes::Quantity) -> Option<IndexValue<'_>> {
    Some(IndexValue::Quantity {
        value: q.value?,
        system: q.system.as_deref(),
        code: q.code.as_deref(),
        unit: q.unit.as_deref(),
    })
}
