//! FHIR R4 search: parameters, parsing, matching, paging.

pub mod date;
pub mod definitions;
pub mod matching;
pub mod page_token;
pub mod params;
pub mod quantity;
pub mod request;

pub use page_token::{PageSealer, PageState};
pub use params::{IndexValue, ParamDef, ParamType, Searchable};
pub use request::{
    Criterion, Modifier, SearchLimits, SearchRequest, SearchValue, Summary, TokenSystem,
};
