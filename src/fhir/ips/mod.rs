//! The International Patient Summary as a FHIR document: IPS 2.0.0 by default, IPS 1.1.0 on
//! request (`SummaryProfile`).
//!
//! A Bundle of type `document`: the Composition first, then the Patient, the author (this
//! gateway, as a Device), and the resources the sections list. It is built from resources
//! that are already loaded and already cut down to what the caller may see; this module does
//! no I/O and reads no clock (the time and the document id are given), so that it can be
//! tested and timed on its own.
//!
//! Full URLs and references: a resource the gateway serves (Patient, AllergyIntolerance,
//! Condition, Immunization, DiagnosticReport, Observation) has its RESTful URL as fullUrl, and its own relative references
//! (`Patient/no.p-001`) resolve against that. A resource that exists only in this document
//! (the Composition, the Device, the MedicationStatements, the "no information" resources) has a
//! `urn:uuid:` fullUrl, and since a relative reference cannot be resolved from such an entry,
//! everything it points to is written as an absolute URL.
//!
//! Sections: Problems, Allergies and Medications always; Alerts, Immunizations, Results and
//! History of Past Problems when there is something to list (`sections.rs` has the rules per
//! section). A section whose resource type the caller may not read says so with the
//! emptyReason `withheld`.
//!
//! The two editions share their canonical URLs, so a document says which it follows by its
//! claims: an IPS 2.0 document claims `Bundle-uv-ips` and `Composition-uv-ips` unversioned, as
//! the 2.0.0 examples do; an IPS 1.1.0 document claims them with `|1.1.0`. IPS 1.1.0 has no
//! emptyReason on its sections (required ones need an entry), so a 1.1.0 document with a
//! withheld section departs from the profile on that point and claims neither.

mod absent;
pub mod narrative;
mod sections;

use time::OffsetDateTime;

use crate::fhir::datatypes::{CodeableConcept, Identifier, Meta, Reference};
use crate::fhir::resources::{
    AllergyIntolerance, Bundle, BundleEntry, Composition, Condition, Device, DeviceName,
    DeviceVersion, DiagnosticReport, EntryResource, Immunization, MedicationRequest, Observation,
    Patient,
};
use crate::fhir::{DomainResource, Resource, uuid};
use crate::mapping::{self, systems};

pub use absent::ABSENT_UNKNOWN;

pub const IPS_BUNDLE: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips";
pub const IPS_COMPOSITION: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips";
pub const LOINC: &str = "http://loinc.org";
/// LOINC 60591-5, "Patient summary Document": the type of every IPS Composition.
pub const PATIENT_SUMMARY: &str = "60591-5";
pub const LIST_EMPTY_REASON: &str = "http://terminology.hl7.org/CodeSystem/list-empty-reason";

/// What goes into one patient's summary: the Patient and, per section type, the resources the
/// caller may see (`None`: the caller may not read that type at all).
#[derive(Debug, Clone, Copy)]
pub struct PatientData<'a> {
    pub patient: &'a Patient,
    pub conditions: Option<&'a [Condition]>,
    pub allergy_intolerances: Option<&'a [AllergyIntolerance]>,
    pub medication_requests: Option<&'a [MedicationRequest]>,
    pub immunizations: Option<&'a [Immunization]>,
    pub diagnostic_reports: Option<&'a [DiagnosticReport]>,
    pub observations: Option<&'a [Observation]>,
}

/// The profile a patient summary document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SummaryProfile {
    /// IPS 1.1.0: required sections with nothing to list hold "no information about ..."
    /// resources; no Alerts section.
    Ips1_1,
    /// IPS 2.0.0, the default.
    #[default]
    Ips2_0,
    /// The HL7 Europe Patient Summary (`hl7.fhir.eu.eps` 1.0.0): an IPS 2.0 document whose
    /// History of Procedures and Medical Devices sections are required too, claiming the EPS
    /// profiles beside the IPS ones. What MyHealth@EU is moving to.
    EuEps,
}

pub const EPS_BUNDLE: &str = "http://hl7.eu/fhir/eps/StructureDefinition/bundle-eu-eps";
pub const EPS_COMPOSITION: &str = "http://hl7.eu/fhir/eps/StructureDefinition/composition-eu-eps";
pub const EPS_PATIENT: &str = "http://hl7.eu/fhir/eps/StructureDefinition/patient-eu-eps";
pub const EPS_MEDICATION_STATEMENT: &str =
    "http://hl7.eu/fhir/eps/StructureDefinition/MedicationStatement-eu-eps";

impl SummaryProfile {
    /// The profile a `$summary` `profile` parameter asks for: the canonical of
    /// Bundle-uv-ips or Composition-uv-ips (the 2.0.0 OperationDefinition names the latter),
    /// unversioned or with `|2.0.0` for IPS 2.0, with `|1.1.0` for IPS 1.1.0; or of
    /// bundle-eu-eps or composition-eu-eps for the EU Patient Summary. `None` for anything
    /// else.
    pub fn of_profile(canonical: &str) -> Option<SummaryProfile> {
        let (url, version) = match canonical.split_once('|') {
            Some((url, version)) => (url, Some(version)),
            None => (canonical, None),
        };
        match (url, version) {
            (IPS_BUNDLE | IPS_COMPOSITION, None | Some("2.0.0")) => Some(SummaryProfile::Ips2_0),
            (IPS_BUNDLE | IPS_COMPOSITION, Some("1.1.0")) => Some(SummaryProfile::Ips1_1),
            (EPS_BUNDLE | EPS_COMPOSITION, None | Some("1.0.0")) => Some(SummaryProfile::EuEps),
            _ => None,
        }
    }

    /// The settings' name of each profile (`[ncp] summary_profile`).
    pub fn of_name(name: &str) -> Option<SummaryProfile> {
        match name {
            "ips-1.1" => Some(SummaryProfile::Ips1_1),
            "ips-2.0" => Some(SummaryProfile::Ips2_0),
            "eu-eps" => Some(SummaryProfile::EuEps),
            _ => None,
        }
    }

    /// Whether sections may say why they list nothing (`emptyReason`): IPS 2.0 and the EPS.
    pub fn has_empty_reasons(self) -> bool {
        self != SummaryProfile::Ips1_1
    }

    /// What the document's Bundle claims in `meta.profile`.
    fn bundle_claims(self) -> Vec<String> {
        match self {
            SummaryProfile::Ips2_0 => vec![IPS_BUNDLE.to_owned()],
            SummaryProfile::Ips1_1 => vec![format!("{IPS_BUNDLE}|1.1.0")],
            SummaryProfile::EuEps => vec![EPS_BUNDLE.to_owned(), IPS_BUNDLE.to_owned()],
        }
    }

    /// What the document's Composition claims in `meta.profile`.
    fn composition_claims(self) -> Vec<String> {
        match self {
            SummaryProfile::Ips2_0 => vec![IPS_COMPOSITION.to_owned()],
            SummaryProfile::Ips1_1 => vec![format!("{IPS_COMPOSITION}|1.1.0")],
            SummaryProfile::EuEps => vec![EPS_COMPOSITION.to_owned(), IPS_COMPOSITION.to_owned()],
        }
    }
}

/// Where and when the document is made.
#[derive(Debug, Clone, Copy)]
pub struct DocumentContext<'a> {
    /// This server's FHIR base, for the RESTful fullUrls.
    pub fhir_base: &'a str,
    pub timestamp: OffsetDateTime,
    /// A fresh UUID per document: the document's identifier.
    pub document_id: &'a str,
    pub software_version: &'a str,
    pub profile: SummaryProfile,
}

/// The patient summary document.
pub fn summary(data: &PatientData<'_>, ctx: &DocumentContext<'_>) -> Bundle {
    let mut doc = Assembly::new(ctx, data.patient);
    let device = doc.author();
    let sections = sections::all(&mut doc, data);
    // Only a 1.1.0 document with a section it cannot fill departs from its profile.
    let claims =
        ctx.profile.has_empty_reasons() || !sections.iter().any(|s| s.empty_reason.is_some());
    let confidentiality = if doc.any_restricted() { "R" } else { "N" };
    let timestamp = mapping::instant(ctx.timestamp);
    let composition = Composition {
        id: uuid::from_name(&format!("Composition/{}", ctx.document_id)),
        meta: Meta {
            profile: if claims {
                ctx.profile.composition_claims()
            } else {
                Vec::new()
            },
            ..Default::default()
        },
        status: "final".into(),
        type_: CodeableConcept::coded(LOINC, PATIENT_SUMMARY, "Patient summary Document"),
        subject: doc.patient_reference(),
        date: timestamp.clone(),
        author: vec![device],
        title: "International Patient Summary".into(),
        confidentiality: Some(confidentiality.into()),
        section: sections,
    };
    let composition_entry = BundleEntry {
        full_url: uuid::urn(&composition.id),
        resource: EntryResource::Typed(Box::new(composition.into())),
        search: None,
    };
    let mut entry = Vec::with_capacity(doc.entries.len() + 1);
    entry.push(composition_entry);
    entry.append(&mut doc.entries);
    Bundle {
        id: Some(ctx.document_id.to_owned()),
        meta: Some(Meta {
            last_updated: Some(timestamp.clone()),
            profile: if claims {
                ctx.profile.bundle_claims()
            } else {
                Vec::new()
            },
            ..Default::default()
        }),
        identifier: Some(Identifier::new(
            "urn:ietf:rfc:3986",
            &uuid::urn(ctx.document_id),
        )),
        type_: "document".into(),
        timestamp: Some(timestamp),
        total: None,
        link: Vec::new(),
        entry,
    }
}

/// The entries of a document being assembled, after the Composition.
struct Assembly<'a> {
    ctx: &'a DocumentContext<'a>,
    patient_url: String,
    patient_display: Option<String>,
    entries: Vec<BundleEntry>,
}

impl<'a> Assembly<'a> {
    fn new(ctx: &'a DocumentContext<'a>, patient: &Patient) -> Assembly<'a> {
        let mut doc = Assembly {
            ctx,
            patient_url: String::new(),
            patient_display: patient.name.first().and_then(|n| n.text.clone()),
            entries: Vec::new(),
        };
        doc.patient_url = if ctx.profile == SummaryProfile::EuEps {
            // The EPS Patient is the IPS one (it imposes it) and says so.
            let mut claimed = patient.clone();
            claimed.meta.profile.insert(0, EPS_PATIENT.to_owned());
            doc.served(&claimed)
        } else {
            doc.served(patient)
        }
        .reference
        .unwrap_or_default();
        doc
    }

    /// An absolute reference to the Patient, for resources with a `urn:uuid:` fullUrl.
    fn patient_reference(&self) -> Reference {
        Reference {
            reference: Some(self.patient_url.clone()),
            display: self.patient_display.clone(),
            ..Default::default()
        }
    }

    /// Adds a resource the gateway serves, under its RESTful URL; returns a reference to it.
    fn served<R: DomainResource>(&mut self, resource: &R) -> Reference {
        let url = self.url_of(resource);
        self.push(url, resource.clone().into())
    }

    /// The RESTful URL of a resource the gateway serves, its fullUrl in the document.
    fn url_of<R: DomainResource>(&self, resource: &R) -> String {
        format!(
            "{}/{}/{}",
            self.ctx.fhir_base,
            R::TYPE.as_str(),
            resource.id()
        )
    }

    /// Adds a resource that exists only in this document, under `urn:uuid:<its id>`.
    fn generated(&mut self, resource: Resource) -> Reference {
        let url = uuid::urn(resource.id().unwrap_or_default());
        self.push(url, resource)
    }

    fn push(&mut self, full_url: String, resource: Resource) -> Reference {
        self.entries.push(BundleEntry {
            full_url: full_url.clone(),
            resource: EntryResource::Typed(Box::new(resource)),
            search: None,
        });
        Reference {
            reference: Some(full_url),
            ..Default::default()
        }
    }

    /// The gateway as the document's author.
    fn author(&mut self) -> Reference {
        let device = Device {
            id: uuid::from_name(&format!("Device/ehds-gateway/{}", self.ctx.fhir_base)),
            meta: None,
            device_name: vec![DeviceName {
                name: "ehds-gateway".into(),
                type_: "user-friendly-name".into(),
            }],
            type_: Some(CodeableConcept::text(
                "FHIR gateway to the Nordic national health portals",
            )),
            version: vec![DeviceVersion {
                value: self.ctx.software_version.to_owned(),
            }],
            url: Some(self.ctx.fhir_base.to_owned()),
        };
        let mut reference = self.generated(device.into());
        reference.display = Some("ehds-gateway".into());
        reference
    }

    /// Whether any resource in the document carries the `R` (restricted) confidentiality
    /// label: the document as a whole is then restricted too.
    fn any_restricted(&self) -> bool {
        self.entries.iter().any(|e| match &e.resource {
            EntryResource::Typed(r) => r.meta().is_some_and(|m| {
                m.security.iter().any(|c| {
                    c.system.as_deref() == Some(systems::CONFIDENTIALITY)
                        && c.code.as_deref() == Some("R")
                })
            }),
            EntryResource::Json(_) => false,
        })
    }
}

#[cfg(test)]
mod tests;
