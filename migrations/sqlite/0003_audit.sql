-- The access log (R35-R38): one row per AuditEvent, chained by hash. `seq` is the position
-- in the chain (one chain for the whole store); `prev_hash` is the hash of the record at
-- seq - 1 (or of the pruning anchor), and `hash` is SHA-256 over the previous hash, the
-- position, the recorded instant, the patients and the AuditEvent JSON (TEXT, served byte
-- for byte). `ehds-gateway audit verify` recomputes every link.

CREATE TABLE audit_events (
    seq         INTEGER NOT NULL PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    recorded_ms INTEGER NOT NULL,
    -- the Patient ids of the record's patient entities, comma-separated (opaque ids)
    patients    TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
) STRICT;

-- The patient's log (`AuditEvent?patient=`), newest first.
CREATE TABLE audit_event_patients (
    patient_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (patient_id, seq)
) STRICT;

-- The head of the chain, and where it starts after pruning: the last pruned record's
-- position and hash (0 and the zero hash before any pruning).
CREATE TABLE audit_chain (
    id           INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    head_seq     INTEGER NOT NULL,
    head_hash    TEXT    NOT NULL,
    anchor_seq   INTEGER NOT NULL,
    anchor_hash  TEXT    NOT NULL
) STRICT;

INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000',
        0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Records are never changed, whatever code runs; only pruning (of the oldest, past the
-- retention period) deletes them.
CREATE TRIGGER audit_events_are_immutable BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are immutable');
END;
