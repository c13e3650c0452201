-- Corrections and settlement (booked money is corrected, never edited away).
--
-- An expenditure may correct an earlier one (corrects_id): only a
-- correction may have a negative amount, and no amount is 0. SQLite cannot
-- change a CHECK of a table, so the table is made anew and its rows,
-- indexes and the triggers of migration 3 moved over.
CREATE TABLE expenditures_new (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	programme_id INTEGER NOT NULL REFERENCES programmes (id),
	plan_id INTEGER REFERENCES plans (id),
	amount_cents INTEGER NOT NULL
		CHECK (typeof(amount_cents) = 'integer' AND amount_cents != 0),
	spent_on TEXT NOT NULL CHECK (date(spent_on, '+0 days') IS spent_on),
	description TEXT NOT NULL CHECK (length(description) >= 1),
	reference TEXT,
	status TEXT NOT NULL DEFAULT 'submitted'
		CHECK (status IN ('submitted', 'approved', 'rejected', 'paid')),
	corrects_id INTEGER REFERENCES expenditures (id),
	CHECK (amount_cents > 0 OR corrects_id IS NOT NULL),
	CHECK (corrects_id IS NULL OR corrects_id != id)
);
INSERT INTO expenditures_new (id, version, created_at, updated_at,
	programme_id, plan_id, amount_cents, spent_on, description, reference,
	status)
SELECT id, version, created_at, updated_at, programme_id, plan_id,
	amount_cents, spent_on, description, reference, status
FROM expenditures;
DROP TABLE expenditures;
ALTER TABLE expenditures_new RENAME TO expenditures;
CREATE INDEX expenditures_programme ON expenditures (programme_id, status);
CREATE INDEX expenditures_plan ON expenditures (plan_id);
CREATE INDEX expenditures_corrects ON expenditures (corrects_id);

CREATE TRIGGER bounds_expenditure_insert AFTER INSERT ON expenditures
BEGIN
	UPDATE budget_bounds SET money = money + abs(NEW.amount_cents)
	WHERE budget_id = (SELECT budget_id FROM programmes
			   WHERE id = NEW.programme_id);
END;
CREATE TRIGGER bounds_expenditure_update AFTER UPDATE OF amount_cents,
programme_id ON expenditures
BEGIN
	UPDATE budget_bounds SET money = money - abs(OLD.amount_cents)
	WHERE budget_id = (SELECT budget_id FROM programmes
			   WHERE id = OLD.programme_id);
	UPDATE budget_bounds SET money = money + abs(NEW.amount_cents)
	WHERE budget_id = (SELECT budget_id FROM programmes
			   WHERE id = NEW.programme_id);
END;
CREATE TRIGGER bounds_expenditure_delete AFTER DELETE ON expenditures
BEGIN
	UPDATE budget_bounds SET money = money - abs(OLD.amount_cents)
	WHERE budget_id = (SELECT budget_id FROM programmes
			   WHERE id = OLD.programme_id);
END;

-- Settlement (vaststelling): what a settled plan finally commits, at most
-- what was approved; null until it is settled.
ALTER TABLE plans ADD COLUMN settled_cents INTEGER
	CHECK (settled_cents IS NULL OR (typeof(settled_cents) = 'integer'
		AND settled_cents >= 0 AND settled_cents <= approved_cents));
