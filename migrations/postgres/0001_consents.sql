-- Consent resources (R24, R29). `consents` holds the current version of each, as its FHIR
-- JSON beside the columns searches need; `consent_versions` holds every version ever stored,
-- the current one included. Nothing is ever deleted: a withdrawal is a new version with
-- status `inactive`. Instants are milliseconds since 1970-01-01 UTC, so that both backends
-- compare them the same way. The JSON is TEXT, not JSONB, so that it is served byte for
-- byte as it was written (JSONB reorders keys).

CREATE TABLE consents (
    id              TEXT   NOT NULL PRIMARY KEY,
    version         BIGINT NOT NULL CHECK (version >= 1),
    -- the Patient id of Consent.patient (an opaque id, never a national identifier)
    patient_id      TEXT   NOT NULL,
    status          TEXT   NOT NULL,
    scope_system    TEXT,
    scope_code      TEXT,
    -- Consent.dateTime as the range its precision covers: [date_start_ms, date_end_ms)
    date_start_ms   BIGINT,
    date_end_ms     BIGINT,
    last_updated_ms BIGINT NOT NULL,
    resource        TEXT   NOT NULL
);

-- The policy engine reads a patient's active consents on every request.
CREATE INDEX consents_by_patient ON consents (patient_id, status);
-- A health-data access body asks who opted out of secondary use (scope research, R29).
CREATE INDEX consents_by_scope ON consents (scope_code, status);

-- Consent.category codes of the current version, replaced on every update.
CREATE TABLE consent_categories (
    consent_id TEXT NOT NULL REFERENCES consents (id),
    system     TEXT NOT NULL,
    code       TEXT NOT NULL,
    PRIMARY KEY (consent_id, system, code)
);

CREATE INDEX consent_categories_by_code ON consent_categories (code, system);

CREATE TABLE consent_versions (
    consent_id      TEXT   NOT NULL REFERENCES consents (id),
    version         BIGINT NOT NULL CHECK (version >= 1),
    status          TEXT   NOT NULL,
    last_updated_ms BIGINT NOT NULL,
    resource        TEXT   NOT NULL,
    PRIMARY KEY (consent_id, version)
);

-- History is append-only and consents are never hard-deleted, whatever code runs.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: %', TG_OP, TG_TABLE_NAME, TG_ARGV[0];
END;
$$;

CREATE TRIGGER consent_versions_are_immutable BEFORE UPDATE OR DELETE ON consent_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('consent versions are immutable');

CREATE TRIGGER consents_are_kept BEFORE DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION refuse_change('consents are withdrawn, never deleted');
