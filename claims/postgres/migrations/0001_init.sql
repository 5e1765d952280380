-- Claims store schema, PostgreSQL dialect. Times are Unix microseconds; each
-- JSON body is the full record, the other columns exist to filter and order.
CREATE TABLE claims (
	id           TEXT PRIMARY KEY,
	upload_id    TEXT NOT NULL,
	uploader     TEXT NOT NULL,
	reference_id TEXT NOT NULL,
	platform     TEXT NOT NULL,
	org          TEXT NOT NULL,
	origin       TEXT NOT NULL,
	state        TEXT NOT NULL,
	escalated    INTEGER NOT NULL,
	score        DOUBLE PRECISION NOT NULL,
	deadline     BIGINT,
	created      BIGINT NOT NULL,
	version      BIGINT NOT NULL,
	body         TEXT NOT NULL
);
-- One active claim per claimant, upload and reference: duplicate complaints
-- merge instead of multiplying, even when filed concurrently.
CREATE UNIQUE INDEX claims_active ON claims (upload_id, reference_id, org) WHERE state NOT IN ('rejected', 'reinstated');
CREATE INDEX claims_deadline ON claims (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX claims_state ON claims (state, created);
CREATE INDEX claims_org ON claims (org, created);
CREATE INDEX claims_created ON claims (created);
CREATE INDEX claims_uploader ON claims (uploader);

CREATE TABLE audit_events (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at         BIGINT NOT NULL,
	actor      TEXT NOT NULL,
	actor_role TEXT NOT NULL,
	subject    TEXT NOT NULL,
	subject_id TEXT NOT NULL,
	kind       TEXT NOT NULL,
	from_state TEXT NOT NULL,
	to_state   TEXT NOT NULL,
	reason     TEXT NOT NULL,
	detail     TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit_events (subject, subject_id, seq);
-- The audit trail is append-only, enforced by the database itself.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit trail is append-only';
END;
$$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE TABLE complaints (
	id      TEXT PRIMARY KEY,
	org     TEXT NOT NULL,
	created BIGINT NOT NULL,
	body    TEXT NOT NULL
);
CREATE INDEX complaints_org ON complaints (org, created);

CREATE TABLE upload_results (
	upload_id TEXT PRIMARY KEY,
	checked   BIGINT NOT NULL,
	body      TEXT NOT NULL
);

CREATE TABLE strikes (
	id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	uploader TEXT NOT NULL,
	claim_id TEXT NOT NULL,
	created  BIGINT NOT NULL,
	expires  BIGINT NOT NULL,
	voided   BIGINT
);
CREATE INDEX strikes_uploader ON strikes (uploader, created);
CREATE INDEX strikes_claim ON strikes (claim_id);

CREATE TABLE blocks (
	video_id TEXT NOT NULL,
	claim_id TEXT NOT NULL,
	created  BIGINT NOT NULL,
	PRIMARY KEY (video_id, claim_id)
);
CREATE INDEX blocks_claim ON blocks (claim_id);

CREATE TABLE policies (
	id   TEXT PRIMARY KEY,
	org  TEXT NOT NULL,
	body TEXT NOT NULL
);
CREATE INDEX policies_org ON policies (org);

CREATE TABLE tokens (
	id      TEXT PRIMARY KEY,
	hash    TEXT NOT NULL UNIQUE,
	role    TEXT NOT NULL,
	org     TEXT NOT NULL,
	name    TEXT NOT NULL,
	created BIGINT NOT NULL,
	revoked BIGINT
);
