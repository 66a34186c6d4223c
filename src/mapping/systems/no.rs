/// Code and identifier systems of Norwegian records (Helsenorge: Reseptformidleren, SYSVAK,
/// HPR, Enhetsregisteret, Volven). Sources and confidence: `docs/national-code-systems.md`.
pub const SYSTEMS: super::NationalSystems = super::NationalSystems {
    // FEST varenummer (6 digits, the package number prescribed through e-resept). No NamingSystem
    // in no-basis yet; this is the system the FHI/HL7 Norway LMDI IG ("Legemiddeldata fra
    // institusjon") gives the `Varenummer` slice of Medication.code (next to
    // http://dmp.no/fhir/NamingSystem/festLegemiddelPakning for the FEST pakning id).
    product_code: "http://dmp.no/fhir/NamingSystem/fest-varenummer",
    // SYSVAK vaccine codes (e.g. MMR52, KOM09, BNT03), published by FHI on Volven. No FHIR
    // NamingSystem is published; the Volven code list "9501 SYSVAK vaksinetyper" is taken to be
    // the SYSVAK code list and written as a Volven OID the way no-basis writes Volven code lists
    // (2.16.578.1.12.4.1.1.<kodeverk>). Inferred, to be confirmed on volven.no.
    vaccine_code: "urn:oid:2.16.578.1.12.4.1.1.9501",
    // HPR-nummer, Helsepersonellregisteret (no-basis NamingSystem no-basis-helsepersonellnummer,
    // OID 2.16.578.1.12.4.1.4.4).
    professional_id: "urn:oid:2.16.578.1.12.4.1.4.4",
    // Organisasjonsnummer in Enhetsregisteret (no-basis NamingSystem no-basis-orgnr, OID
    // 2.16.578.1.12.4.1.4.101). HER-id (urn:oid:2.16.578.1.12.4.1.2) is the alternative for
    // communication parties in Helsenettet.
    organization_id: "urn:oid:2.16.578.1.12.4.1.4.101",
    // ICD-10 as published by Direktoratet for e-helse/Helsedirektoratet, Volven kodeverk 7110
    // (HL7 Norway kodeverk IG, CodeSystem no-kodeverk-ICD-10, identifier
    // urn:oid:2.16.578.1.12.4.1.1.7110; its canonical URL there is http://hl7.org/fhir/sid/icd-10-no).
    // Codes are written without the dot (E119), as in Volven and the KITH/NAV messages.
    icd10: "urn:oid:2.16.578.1.12.4.1.1.7110",
    // The national e-prescription register behind Helsenorge's "Resepter".
    prescription_source: "Reseptformidleren (e-resept)",
    // The national immunisation register of the Norwegian Institute of Public Health.
    vaccination_source: "SYSVAK – Nasjonalt vaksinasjonsregister (Folkehelseinstituttet)",
    // Laboratory test codes beside LOINC; sources and confidence in docs/national-code-systems.md.
    lab_code: "urn:oid:2.16.578.1.12.4.1.1.7280",
};
