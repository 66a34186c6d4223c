/// Code and identifier systems of Swedish records (1177: Nationella läkemedelslistan,
/// vaccinations, HSA). Sources and confidence: `docs/national-code-systems.md`.
pub const SYSTEMS: super::NationalSystems = super::NationalSystems {
    // NPL-id of Läkemedelsverket's Nationellt produktregister för läkemedel (product: name, form,
    // strength), OID 1.2.752.129.2.1.5.1 as used by Inera's RIV-TA contracts. The package level
    // would be NPL-pack-id, 1.2.752.129.2.1.5.2 (HL7 Sweden's base-profile draft uses
    // http://electronichealth.se/identifier/nplpackid for it).
    product_code: "urn:oid:1.2.752.129.2.1.5.1",
    // Vaccines are coded with their NPL-id too: RIV-TA vaccination records recommend NPL-id
    // (codeSystem 1.2.752.129.2.1.5.1) for the vaccine product name.
    vaccine_code: "urn:oid:1.2.752.129.2.1.5.1",
    // HSA-id of Inera's HSA catalogue, as fixed by HL7 Sweden's basprofiler (SEBasePractitioner,
    // alias $hsaid). Inera's RIV-TA contracts use the older root 1.2.752.129.2.1.4.1.
    professional_id: "urn:oid:1.2.752.29.4.19",
    // Care units and providers are HSA objects as well (SEBaseOrganization, same $hsaid system).
    organization_id: "urn:oid:1.2.752.29.4.19",
    // ICD-10-SE, Socialstyrelsen's Swedish edition (OID 1.2.752.116.1.1.1.1.3, as used by Inera's
    // certificate and RIV-TA services). Codes are written with the dot (E11.9).
    icd10: "urn:oid:1.2.752.116.1.1.1.1.3",
    // E-hälsomyndigheten's register of prescribed and dispensed medicines shown in 1177.
    prescription_source: "Nationella läkemedelslistan (E-hälsomyndigheten)",
    // The Public Health Agency's register, with the vaccinations recorded in the care providers'
    // journals (1177 Journalen).
    vaccination_source: "Nationella vaccinationsregistret (Folkhälsomyndigheten)",
    // Laboratory test codes beside LOINC; sources and confidence in docs/national-code-systems.md.
    lab_code: "http://npu-terminology.org",
};
