-- The grants made on a person's data by someone acting for them (a guardian, an attorney),
-- which that person lists and may revoke on their account page (R38).
CREATE INDEX app_grants_by_patient ON app_grants (patient_id);
