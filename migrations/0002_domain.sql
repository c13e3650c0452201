-- The NPO domain: goals, programmes, reallocations, schools, plans and
-- expenditures. Amounts are integer cents; statuses move only through the
-- workflows in server/workflow.c, which these CHECKs back up.

ALTER TABLE audit ADD COLUMN note TEXT;

CREATE TABLE goals (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	budget_id INTEGER NOT NULL REFERENCES budgets (id),
	code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 16),
	name TEXT NOT NULL CHECK (length(name) >= 1),
	allocated_cents INTEGER NOT NULL
		CHECK (typeof(allocated_cents) = 'integer' AND allocated_cents >= 0),
	UNIQUE (budget_id, code)
);

CREATE TABLE programmes (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	goal_id INTEGER NOT NULL REFERENCES goals (id),
	budget_id INTEGER NOT NULL REFERENCES budgets (id),
	name TEXT NOT NULL CHECK (length(name) >= 1),
	partner TEXT,
	owner TEXT,
	budget_cents INTEGER NOT NULL
		CHECK (typeof(budget_cents) = 'integer' AND budget_cents >= 0),
	starts_on TEXT CHECK (starts_on IS NULL OR date(starts_on, '+0 days') IS starts_on),
	ends_on TEXT CHECK (ends_on IS NULL OR date(ends_on, '+0 days') IS ends_on),
	status TEXT NOT NULL DEFAULT 'planned'
		CHECK (status IN ('planned', 'active', 'completed', 'stopped')),
	decision_ref TEXT,
	CHECK (starts_on IS NULL OR ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX programmes_goal ON programmes (goal_id);
CREATE INDEX programmes_budget ON programmes (budget_id);

-- append-only (no UPDATE or DELETE); from/to name one goal or one programme
CREATE TABLE reallocations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version = 1),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	budget_id INTEGER NOT NULL REFERENCES budgets (id),
	from_goal_id INTEGER REFERENCES goals (id),
	from_programme_id INTEGER REFERENCES programmes (id),
	to_goal_id INTEGER REFERENCES goals (id),
	to_programme_id INTEGER REFERENCES programmes (id),
	amount_cents INTEGER NOT NULL
		CHECK (typeof(amount_cents) = 'integer' AND amount_cents > 0),
	reason TEXT NOT NULL CHECK (length(reason) >= 1),
	decision_ref TEXT,
	decided_on TEXT NOT NULL CHECK (date(decided_on, '+0 days') IS decided_on),
	CHECK ((from_goal_id IS NULL) != (from_programme_id IS NULL)),
	CHECK ((to_goal_id IS NULL) != (to_programme_id IS NULL))
);
CREATE INDEX reallocations_budget ON reallocations (budget_id);
CREATE TRIGGER reallocations_no_update BEFORE UPDATE ON reallocations
BEGIN
	SELECT RAISE(ABORT, 'reallocations are append-only');
END;
CREATE TRIGGER reallocations_no_delete BEFORE DELETE ON reallocations
BEGIN
	SELECT RAISE(ABORT, 'reallocations are append-only');
END;

CREATE TABLE schools (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	code TEXT NOT NULL UNIQUE
		CHECK (code GLOB '[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9][0-9]'),
	name TEXT NOT NULL CHECK (length(name) >= 1),
	sector TEXT NOT NULL
		CHECK (sector IN ('vve', 'po', 'sbo', 'so', 'vso', 'vo', 'pro')),
	municipality_code TEXT NOT NULL
		CHECK (municipality_code GLOB 'GM[0-9][0-9][0-9][0-9]')
);

CREATE TABLE plans (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	programme_id INTEGER NOT NULL REFERENCES programmes (id),
	school_id INTEGER NOT NULL REFERENCES schools (id),
	school_year TEXT NOT NULL
		CHECK (school_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
	title TEXT NOT NULL CHECK (length(title) >= 1),
	requested_cents INTEGER NOT NULL
		CHECK (typeof(requested_cents) = 'integer' AND requested_cents >= 0),
	approved_cents INTEGER
		CHECK (approved_cents IS NULL OR (typeof(approved_cents) = 'integer'
			AND approved_cents BETWEEN 0 AND requested_cents)),
	status TEXT NOT NULL DEFAULT 'draft'
		CHECK (status IN ('draft', 'submitted', 'approved', 'rejected',
				  'withdrawn', 'settled')),
	submitted_at TEXT,
	decided_at TEXT,
	note TEXT,
	CHECK ((approved_cents IS NOT NULL) = (status IN ('approved', 'settled'))),
	UNIQUE (programme_id, school_id, school_year)
);
CREATE INDEX plans_school ON plans (school_id);

CREATE TABLE expenditures (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	programme_id INTEGER NOT NULL REFERENCES programmes (id),
	plan_id INTEGER REFERENCES plans (id),
	amount_cents INTEGER NOT NULL
		CHECK (typeof(amount_cents) = 'integer' AND amount_cents > 0),
	spent_on TEXT NOT NULL CHECK (date(spent_on, '+0 days') IS spent_on),
	description TEXT NOT NULL CHECK (length(description) >= 1),
	reference TEXT,
	status TEXT NOT NULL DEFAULT 'submitted'
		CHECK (status IN ('submitted', 'approved', 'rejected', 'paid'))
);
CREATE INDEX expenditures_programme ON expenditures (programme_id, status);
CREATE INDEX expenditures_plan ON expenditures (plan_id);
