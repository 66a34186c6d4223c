/// Code and identifier systems of Finnish records (MyKanta/OmaKanta: Reseptikeskus, Potilastiedon
/// arkisto, Terhikki, SOTE-organisaatiorekisteri). Sources and confidence:
/// `docs/national-code-systems.md`.
pub const SYSTEMS: super::NationalSystems = super::NationalSystems {
    // Nordic article number (VNR) of Fimea/Kela's medicinal product database, Koodistopalvelu
    // code set 1.2.246.537.6.55 (HL7 Finland FI Base: FiBaseImmunization VNR slice; Kanta PHR
    // CodeSystem url). Kanta e-prescription examples carry the versioned code set ...6.55.2004.
    product_code: "urn:oid:1.2.246.537.6.55",
    // Vaccines are coded with their VNR as well (FiBaseImmunization vaccineCode.coding[VNR]).
    vaccine_code: "urn:oid:1.2.246.537.6.55",
    // Terhikki registration number of Valvira's register of health care professionals
    // (FI Base FiBasePractitioner identifier[Terhikki]).
    professional_id: "urn:oid:1.2.246.537.26",
    // THL SOTE-organisaatiorekisteri (FI Base Provenance custodian identifier system; code set
    // version 1.2.246.537.6.202.2008 in Koodistopalvelu). The values are the organisations' OIDs.
    organization_id: "urn:oid:1.2.246.537.6.202",
    // THL Tautiluokitus ICD-10, the Finnish edition (Koodistopalvelu 1.2.246.537.6.1; its code set
    // version 1.2.246.537.6.1.1999 appears in FI Base examples). Codes carry the dot (E11.9).
    icd10: "urn:oid:1.2.246.537.6.1",
    // Kela's national prescription centre in the Kanta services.
    prescription_source: "Reseptikeskus (Kanta-palvelut)",
    // Vaccinations recorded in the Kanta patient data repository (and THL's vaccination register).
    vaccination_source: "Potilastiedon arkisto, rokotustiedot (Kanta-palvelut)",
    // Laboratory test codes beside LOINC; sources and confidence in docs/national-code-systems.md.
    lab_code: "urn:oid:1.2.246.537.6.3",
};
