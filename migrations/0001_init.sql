-- The platform: revision counter, tokens, audit trail and budgets.
-- Constraints back up the checks in C: the database refuses what code forgot.

CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
-- bumped in the same transaction as every write (ETags of lists and status)
INSERT INTO meta (key, value) VALUES ('revision', 0);

CREATE TABLE tokens (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
	role TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
	hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
	created_at TEXT NOT NULL
);

-- append-only: who changed what, when, before and after (JSON text)
CREATE TABLE audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at TEXT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	entity TEXT NOT NULL,
	entity_id INTEGER NOT NULL,
	before TEXT CHECK (before IS NULL OR json_valid(before)),
	after TEXT CHECK (after IS NULL OR json_valid(after))
);
CREATE INDEX audit_entity ON audit (entity, entity_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

CREATE TABLE budgets (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	municipality_code TEXT NOT NULL
		CHECK (municipality_code GLOB 'GM[0-9][0-9][0-9][0-9]'),
	municipality_name TEXT NOT NULL CHECK (length(municipality_name) >= 1),
	name TEXT NOT NULL CHECK (length(name) >= 1),
	grant_cents INTEGER NOT NULL
		CHECK (typeof(grant_cents) = 'integer' AND grant_cents >= 0),
	spend_from TEXT NOT NULL CHECK (date(spend_from, '+0 days') IS spend_from),
	spend_until TEXT NOT NULL
		CHECK (date(spend_until, '+0 days') IS spend_until AND spend_until >= spend_from),
	decision_ref TEXT,
	overrun_policy TEXT NOT NULL DEFAULT 'warn'
		CHECK (overrun_policy IN ('warn', 'stop'))
);
CREATE INDEX budgets_municipality ON budgets (municipality_code);
