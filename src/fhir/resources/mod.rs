//! The resource types the gateway emits.

pub mod allergy_intolerance;
pub mod audit_event;
pub mod bundle;
pub mod capability_statement;
pub mod composition;
pub mod condition;
pub mod consent;
pub mod device;
pub mod diagnostic_report;
pub mod flag;
pub mod immunization;
pub mod medication_dispense;
pub mod medication_request;
pub mod medication_statement;
pub mod observation;
pub mod operation_outcome;
pub mod patient;
pub mod specimen;

pub use allergy_intolerance::{AllergyIntolerance, AllergyReaction};
pub use audit_event::{AuditAgent, AuditEntity, AuditEntityDetail, AuditEvent, AuditSource};
pub use bundle::{Bundle, BundleEntry, BundleLink, EntryResource, EntrySearch};
pub use capability_statement::CapabilityStatement;
pub use composition::{Composition, CompositionSection};
pub use condition::Condition;
pub use consent::{Consent, ConsentPolicy, ConsentProvision, ProvisionActor, ProvisionData};
pub use device::{Device, DeviceName, DeviceVersion};
pub use diagnostic_report::DiagnosticReport;
pub use flag::Flag;
pub use immunization::{Immunization, ImmunizationPerformer};
pub use medication_dispense::{DispensePerformer, MedicationDispense};
pub use medication_request::{DispenseRequest, MedicationRequest};
pub use medication_statement::MedicationStatement;
pub use observation::{Observation, ObservationReferenceRange};
pub use operation_outcome::{OperationOutcome, OutcomeIssue};
pub use patient::{Patient, PatientCommunication};
pub use specimen::{Specimen, SpecimenCollection};
