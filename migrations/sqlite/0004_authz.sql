-- The authorization server's state (SMART App Launch, R4-R10, R34, R38). Secrets (codes,
-- refresh tokens, session and flow ids) are kept by their SHA-256 only; people by Patient id.

-- An authorization request in progress: across the eID redirect, the choice of whom to
-- represent and the approval page. Short-lived.
CREATE TABLE authz_flows (
    id_sha256  TEXT    NOT NULL PRIMARY KEY,
    -- JSON: the client's request, the eID round trip's nonce/state/verifier, the user
    details    TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
) STRICT;

-- Authorization codes: single use (used_ms is set once, by a guarded update).
CREATE TABLE authz_codes (
    code_sha256 TEXT    NOT NULL PRIMARY KEY,
    client_id   TEXT    NOT NULL,
    -- JSON: redirect_uri, scope, code_challenge, grant, session, user, patient, nonce
    details     TEXT    NOT NULL,
    expires_ms  INTEGER NOT NULL,
    used_ms     INTEGER
) STRICT;

-- A refresh token belongs to a family (one login of one app); presenting a replaced token
-- again revokes the whole family (reuse detection).
ALTER TABLE refresh_tokens ADD COLUMN family TEXT;
ALTER TABLE refresh_tokens ADD COLUMN session_id TEXT;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);

-- What a login session was for, to list it (R38): the client and the eID country.
ALTER TABLE sessions ADD COLUMN client_id TEXT;
ALTER TABLE sessions ADD COLUMN country TEXT;

-- Access tokens issued, so that revoking a grant, a login or a refresh family also revokes
-- the access tokens that came from it.
CREATE TABLE issued_access_tokens (
    jti        TEXT    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL,
    grant_id   TEXT,
    family     TEXT,
    session_id TEXT,
    expires_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX issued_access_tokens_by_grant ON issued_access_tokens (grant_id);
CREATE INDEX issued_access_tokens_by_family ON issued_access_tokens (family);

-- Revoked access tokens by jti, until they would have expired anyway (R10). Every
-- instance reads new rows into its in-memory revocation set.
CREATE TABLE revoked_tokens (
    jti        TEXT    NOT NULL PRIMARY KEY,
    expires_ms INTEGER NOT NULL,
    revoked_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX revoked_tokens_by_time ON revoked_tokens (revoked_ms);

-- jti of client assertions already used (RFC 7523 §3, R7): a second use is a replay.
CREATE TABLE used_client_assertions (
    client_id  TEXT    NOT NULL,
    jti        TEXT    NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
) STRICT;
