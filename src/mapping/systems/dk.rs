/// Code and identifier systems of Danish records (sundhed.dk: Fælles Medicinkort, Det Danske
/// Vaccinationsregister, SOR, autorisationsregisteret). Sources and confidence:
/// `docs/national-code-systems.md`.
pub const SYSTEMS: super::NationalSystems = super::NationalSystems {
    // Lægemiddelstyrelsen's Drug ID (11 digits, the LMS01 "Drugs" file of Medicinpriser, used by
    // FMK for the ordinated drug). HL7 Denmark's dk-core defines no system for it; this URI is
    // the one used for Danish FMK data in the HL7 Europe Gravitate-Health IPS examples.
    product_code: "https://laegemiddelstyrelsen.dk/LMS01/DrugID",
    // DDV VaccineIdentifier (SSI's numeric vaccine id), as aliased by HL7 Denmark dk-core
    // (DkCoreImmunization, vaccineCode.coding[DdvVaccine], from the DDV schema namespace).
    vaccine_code: "http://vaccinationsregister.dk/schemas/2013/12/01/VaccineIdentifier",
    // Autorisations-ID of Styrelsen for Patientsikkerhed (dk-core AuthorizationIdentifier:
    // 5 consonants/digits).
    professional_id: "https://autregweb.sst.dk",
    // SOR, Sundhedsvæsenets Organisationsregister (dk-core SORIdentifier, MedCom), OID
    // 1.2.208.176.1.1; pharmacies have SOR codes too.
    organization_id: "urn:oid:1.2.208.176.1.1",
    // SKS, Sundhedsvæsenets Klassifikations System (dk-core alias $SKS, OID 1.2.208.176.2.4);
    // diagnoses are ICD-10 codes with the "D" prefix and no dot (DE119).
    icd10: "urn:oid:1.2.208.176.2.4",
    // The Shared Medication Record shown on sundhed.dk.
    prescription_source: "Fælles Medicinkort (FMK)",
    // Statens Serum Institut's vaccination register, shown on sundhed.dk.
    vaccination_source: "Det Danske Vaccinationsregister (DDV)",
    // Laboratory test codes beside LOINC; sources and confidence in docs/national-code-systems.md.
    lab_code: "http://npu-terminology.org",
};
