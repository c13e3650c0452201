-- Scoped tokens: a token may be limited to one municipality (its CBS code)
-- or to one school (its code); admin tokens never are. Tokens may expire,
-- and remember when they were last used. The audit trail says in which
-- scope each change was made.
CREATE TABLE tokens_scoped (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
	role TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
	hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
	created_at TEXT NOT NULL,
	municipality_code TEXT
		CHECK (municipality_code GLOB 'GM[0-9][0-9][0-9][0-9]'),
	school_code TEXT CHECK (length(school_code) = 6),
	expires_at TEXT CHECK (expires_at GLOB
		'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'),
	last_used_at TEXT,
	CHECK (municipality_code IS NULL OR school_code IS NULL),
	CHECK (role != 'admin' OR
	       (municipality_code IS NULL AND school_code IS NULL))
);
INSERT INTO tokens_scoped (id, name, role, hash, created_at)
	SELECT id, name, role, hash, created_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_scoped RENAME TO tokens;

-- "municipality GM0406", "school 10HZ00", or NULL for an unscoped token
ALTER TABLE audit ADD COLUMN scope TEXT;
