//! One type for "any resource the gateway serves", and the trait each of them implements.

use serde::{Deserialize, Serialize};

use crate::fhir::datatypes::Meta;
use crate::fhir::resources::{
    AllergyIntolerance, AuditEvent, Bundle, CapabilityStatement, Composition, Condition, Consent,
    Device, DiagnosticReport, Flag, Immunization, MedicationDispense, MedicationRequest,
    MedicationStatement, Observation, OperationOutcome, Patient,
};

/// Every resource type the gateway emits. `resourceType` comes first in the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType")]
pub enum Resource {
    Patient(Patient),
    MedicationRequest(MedicationRequest),
    MedicationDispense(MedicationDispense),
    Immunization(Immunization),
    AllergyIntolerance(AllergyIntolerance),
    Condition(Condition),
    Observation(Observation),
    DiagnosticReport(DiagnosticReport),
    Consent(Consent),
    AuditEvent(AuditEvent),
    Composition(Composition),
    MedicationStatement(MedicationStatement),
    Device(Device),
    Flag(Flag),
    Bundle(Bundle),
    OperationOutcome(OperationOutcome),
    CapabilityStatement(CapabilityStatement),
}

impl Resource {
    /// The `resourceType`, as FHIR spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Resource::Patient(_) => "Patient",
            Resource::MedicationRequest(_) => "MedicationRequest",
            Resource::MedicationDispense(_) => "MedicationDispense",
            Resource::Immunization(_) => "Immunization",
            Resource::AllergyIntolerance(_) => "AllergyIntolerance",
            Resource::Condition(_) => "Condition",
            Resource::Observation(_) => "Observation",
            Resource::DiagnosticReport(_) => "DiagnosticReport",
            Resource::Consent(_) => "Consent",
            Resource::AuditEvent(_) => "AuditEvent",
            Resource::Composition(_) => "Composition",
            Resource::MedicationStatement(_) => "MedicationStatement",
            Resource::Device(_) => "Device",
            Resource::Flag(_) => "Flag",
            Resource::Bundle(_) => "Bundle",
            Resource::OperationOutcome(_) => "OperationOutcome",
            Resource::CapabilityStatement(_) => "CapabilityStatement",
        }
    }

    /// The logical id, where the resource has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Resource::Patient(r) => Some(&r.id),
            Resource::MedicationRequest(r) => Some(&r.id),
            Resource::MedicationDispense(r) => Some(&r.id),
            Resource::Immunization(r) => Some(&r.id),
            Resource::AllergyIntolerance(r) => Some(&r.id),
            Resource::Condition(r) => Some(&r.id),
            Resource::Observation(r) => Some(&r.id),
            Resource::DiagnosticReport(r) => Some(&r.id),
            Resource::Consent(r) => Some(&r.id),
            Resource::AuditEvent(r) => Some(&r.id),
            Resource::Composition(r) => Some(&r.id),
            Resource::MedicationStatement(r) => Some(&r.id),
            Resource::Device(r) => Some(&r.id),
            Resource::Flag(r) => Some(&r.id),
            Resource::Bundle(r) => r.id.as_deref(),
            Resource::OperationOutcome(r) => r.id.as_deref(),
            Resource::CapabilityStatement(_) => None,
        }
    }

    /// `meta`, where the resource has one.
    pub fn meta(&self) -> Option<&Meta> {
        match self {
            Resource::Patient(r) => Some(&r.meta),
            Resource::MedicationRequest(r) => Some(&r.meta),
            Resource::MedicationDispense(r) => Some(&r.meta),
            Resource::Immunization(r) => Some(&r.meta),
            Resource::AllergyIntolerance(r) => Some(&r.meta),
            Resource::Condition(r) => Some(&r.meta),
            Resource::Observation(r) => Some(&r.meta),
            Resource::DiagnosticReport(r) => Some(&r.meta),
            Resource::Consent(r) => Some(&r.meta),
            Resource::AuditEvent(r) => Some(&r.meta),
            Resource::Composition(r) => Some(&r.meta),
            Resource::MedicationStatement(r) => Some(&r.meta),
            Resource::Device(r) => r.meta.as_ref(),
            Resource::Flag(r) => Some(&r.meta),
            Resource::Bundle(r) => r.meta.as_ref(),
            Resource::OperationOutcome(_) | Resource::CapabilityStatement(_) => None,
        }
    }
}

/// What the REST layer needs to know of a patient-data resource.
pub trait DomainResource: Clone + Into<Resource> + Send + Sync + 'static {
    const TYPE: ResourceType;
    fn id(&self) -> &str;
    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;
    /// The Patient id this resource belongs to (its compartment), from its subject/patient.
    fn patient_id(&self) -> Option<&str>;
    /// Its sensitivity labels (`consent::sensitivity`), by which a citizen may restrict it.
    fn sensitivity(&self) -> Vec<&'static str> {
        Vec::new()
    }
}

/// The resource types the FHIR facade serves data of: mapped from the portals, or (Consent)
/// kept in the gateway's own store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    Patient,
    MedicationRequest,
    Immunization,
    AllergyIntolerance,
    Condition,
    Consent,
    DiagnosticReport,
    MedicationDispense,
    Observation,
    /// The access log (R35, R36). Not among [`ResourceType::ALL`]: it is no part of a
    /// patient's record (`$everything`, `_type`) and has routes of its own.
    AuditEvent,
}

impl ResourceType {
    pub const ALL: [ResourceType; 9] = [
        ResourceType::Patient,
        ResourceType::AllergyIntolerance,
        ResourceType::Condition,
        ResourceType::Consent,
        ResourceType::DiagnosticReport,
        ResourceType::Immunization,
        ResourceType::MedicationDispense,
        ResourceType::MedicationRequest,
        ResourceType::Observation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Patient => "Patient",
            ResourceType::MedicationRequest => "MedicationRequest",
            ResourceType::Immunization => "Immunization",
            ResourceType::AllergyIntolerance => "AllergyIntolerance",
            ResourceType::Condition => "Condition",
            ResourceType::Consent => "Consent",
            ResourceType::DiagnosticReport => "DiagnosticReport",
            ResourceType::MedicationDispense => "MedicationDispense",
            ResourceType::Observation => "Observation",
            ResourceType::AuditEvent => "AuditEvent",
        }
    }

    pub fn parse(name: &str) -> Option<ResourceType> {
        ResourceType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The Patient id in a reference such as `Patient/no.p-001`.
fn referenced_patient(reference: &crate::fhir::datatypes::Reference) -> Option<&str> {
    reference.reference.as_deref()?.strip_prefix("Patient/")
}

macro_rules! domain_resource {
    ($ty:ident, |$r:ident| $patient:expr) => {
        domain_resource!($ty, |$r| $patient, |_s| Vec::new());
    };
    ($ty:ident, |$r:ident| $patient:expr, |$s:ident| $labels:expr) => {
        impl From<$ty> for Resource {
            fn from(r: $ty) -> Resource {
                Resource::$ty(r)
            }
        }

        impl DomainResource for $ty {
            const TYPE: ResourceType = ResourceType::$ty;
            fn id(&self) -> &str {
                &self.id
            }
            fn meta(&self) -> &Meta {
                &self.meta
            }
            fn meta_mut(&mut self) -> &mut Meta {
                &mut self.meta
            }
            fn patient_id(&self) -> Option<&str> {
                let $r = self;
                $patient
            }
            fn sensitivity(&self) -> Vec<&'static str> {
                let $s = self;
                $labels
            }
        }
    };
}

domain_resource!(Patient, |r| Some(r.id.as_str()));
domain_resource!(MedicationRequest, |r| referenced_patient(&r.subject), |r| {
    crate::consent::sensitivity::of_codes(&r.medication_codeable_concept.coding)
});
domain_resource!(Immunization, |r| referenced_patient(&r.patient));
domain_resource!(AllergyIntolerance, |r| referenced_patient(&r.patient));
domain_resource!(Condition, |r| referenced_patient(&r.subject), |r| {
    crate::consent::sensitivity::of_codes(&r.code.coding)
});
domain_resource!(
    MedicationDispense,
    |r| referenced_patient(&r.subject),
    |r| crate::consent::sensitivity::of_codes(&r.medication_codeable_concept.coding)
);
domain_resource!(Observation, |r| referenced_patient(&r.subject));
domain_resource!(DiagnosticReport, |r| referenced_patient(&r.subject));
domain_resource!(Consent, |r| r.patient.as_ref().and_then(referenced_patient));
domain_resource!(AuditEvent, |r| r
    .entity
    .iter()
    .filter_map(|e| e.what.as_ref())
    .find_map(referenced_patient));

impl From<Composition> for Resource {
    fn from(r: Composition) -> Resource {
        Resource::Composition(r)
    }
}

impl From<MedicationStatement> for Resource {
    fn from(r: MedicationStatement) -> Resource {
        Resource::MedicationStatement(r)
    }
}

impl From<Flag> for Resource {
    fn from(r: Flag) -> Resource {
        Resource::Flag(r)
    }
}

impl From<Device> for Resource {
    fn from(r: Device) -> Resource {
        Resource::Device(r)
    }
}
