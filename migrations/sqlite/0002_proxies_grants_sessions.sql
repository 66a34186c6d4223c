-- State of later features, created now so that the schema is settled; the code that fills
-- these tables comes with those features. People appear by Patient id only (opaque ids,
-- never national identifiers, R40); secrets by their SHA-256 only.

-- Powers of attorney and other proxy relations registered through the gateway (R32, R34),
-- beside those the national registers report.
CREATE TABLE proxies (
    id                 TEXT    NOT NULL PRIMARY KEY,
    -- the person represented, and the person acting for them
    grantor_patient_id TEXT    NOT NULL,
    holder_patient_id  TEXT    NOT NULL,
    kind               TEXT    NOT NULL CHECK (kind IN ('guardian', 'power-of-attorney')),
    -- JSON array of the service areas granted
    service_areas      TEXT    NOT NULL,
    purpose            TEXT,
    valid_from_ms      INTEGER NOT NULL,
    valid_until_ms     INTEGER,
    created_ms         INTEGER NOT NULL,
    revoked_ms         INTEGER
) STRICT;

CREATE INDEX proxies_by_grantor ON proxies (grantor_patient_id);
CREATE INDEX proxies_by_holder ON proxies (holder_patient_id);

-- An app a citizen approved at the authorization server (R5, R38): who, for which patient
-- context, which scopes, until when.
CREATE TABLE app_grants (
    id                 TEXT    NOT NULL PRIMARY KEY,
    client_id          TEXT    NOT NULL,
    subject_patient_id TEXT    NOT NULL,
    patient_id         TEXT    NOT NULL,
    scopes             TEXT    NOT NULL,
    created_ms         INTEGER NOT NULL,
    expires_ms         INTEGER,
    revoked_ms         INTEGER
) STRICT;

CREATE INDEX app_grants_by_subject ON app_grants (subject_patient_id);

-- Refresh tokens, by hash; rotation links a used token to its successor.
CREATE TABLE refresh_tokens (
    token_sha256 TEXT    NOT NULL PRIMARY KEY,
    grant_id     TEXT    NOT NULL REFERENCES app_grants (id),
    scopes       TEXT    NOT NULL,
    issued_ms    INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    revoked_ms   INTEGER,
    replaced_by  TEXT
) STRICT;

CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (grant_id);

-- Login sessions at the authorization server (R38: the citizen lists and ends them).
CREATE TABLE sessions (
    id_sha256          TEXT    NOT NULL PRIMARY KEY,
    subject_patient_id TEXT    NOT NULL,
    acr                TEXT,
    created_ms         INTEGER NOT NULL,
    last_seen_ms       INTEGER NOT NULL,
    expires_ms         INTEGER NOT NULL,
    revoked_ms         INTEGER
) STRICT;

CREATE INDEX sessions_by_subject ON sessions (subject_patient_id);
