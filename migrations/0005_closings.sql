-- Closed years: a municipality closes a calendar year of a budget once its
-- annual accounts are final; the report of that year is kept as it was at
-- closing (JSON). Append-only.
CREATE TABLE closings (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version = 1),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	budget_id INTEGER NOT NULL REFERENCES budgets (id),
	year INTEGER NOT NULL CHECK (typeof(year) = 'integer'),
	closed_at TEXT NOT NULL,
	closed_by TEXT NOT NULL,
	note TEXT,
	report TEXT NOT NULL CHECK (json_valid(report)),
	UNIQUE (budget_id, year)
);
CREATE TRIGGER closings_no_update BEFORE UPDATE ON closings
BEGIN
	SELECT RAISE(ABORT, 'closings are append-only');
END;
