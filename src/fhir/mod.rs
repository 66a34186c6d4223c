//! The FHIR R4 protocol: typed resources, search, result shaping, errors, capability.

pub mod capability;
pub mod datatypes;
pub mod elements;
pub mod error;
pub mod ips;
pub mod resource;
pub mod resources;
pub mod search;
pub mod uuid;

pub use error::FhirError;
pub use resource::{DomainResource, Resource, ResourceType};

/// The media type of FHIR JSON.
pub const FHIR_JSON: &str = "application/fhir+json";
