-- The sums the status is made of, kept per programme and month and per
-- plan by the triggers below, in the same transaction as every write of an
-- expenditure (whoever writes it: a request, an import, the demo, another
-- process), so that a status costs in proportion to the programmes and plans
-- of a budget, not to its expenditures. They stay figures of the records:
-- `npo-budgetd check` sums the rows again and compares, and so does the
-- daemon at a start that migrated the database.
--
-- A spent expenditure (approved or paid) counts in the month of its
-- spent_on: spent, paid if it is paid, and unplanned if it belongs to no
-- plan (it then commits itself); with a plan, it counts in the plan's spent.
-- The periods of a status (a calendar year, a school year from August) are
-- whole months.
CREATE TABLE programme_sums (
	programme_id INTEGER NOT NULL, -- no foreign key: not a reference
		-- that keeps a programme from being deleted (see below)
	month TEXT NOT NULL, -- YYYY-MM
	spent INTEGER NOT NULL DEFAULT 0,
	paid INTEGER NOT NULL DEFAULT 0,
	unplanned INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (programme_id, month)
) WITHOUT ROWID;

CREATE TABLE plan_sums (
	plan_id INTEGER PRIMARY KEY,
	spent INTEGER NOT NULL DEFAULT 0
);

INSERT INTO programme_sums (programme_id, month, spent, paid, unplanned)
SELECT programme_id, substr(spent_on, 1, 7), sum(amount_cents),
	sum(CASE WHEN status = 'paid' THEN amount_cents ELSE 0 END),
	sum(CASE WHEN plan_id IS NULL THEN amount_cents ELSE 0 END)
FROM expenditures WHERE status IN ('approved', 'paid')
GROUP BY programme_id, substr(spent_on, 1, 7);

INSERT INTO plan_sums (plan_id, spent)
SELECT plan_id, sum(amount_cents) FROM expenditures
WHERE status IN ('approved', 'paid') AND plan_id IS NOT NULL
GROUP BY plan_id;

-- The sums go with what they sum (a programme or plan can be deleted only
-- when nothing spent points to it: their sums are then 0).
CREATE TRIGGER sums_programme_delete AFTER DELETE ON programmes
BEGIN
	DELETE FROM programme_sums WHERE programme_id = OLD.id;
END;
CREATE TRIGGER sums_plan_delete AFTER DELETE ON plans
BEGIN
	DELETE FROM plan_sums WHERE plan_id = OLD.id;
END;

-- What one expenditure adds when it is stored spent.
CREATE TRIGGER sums_expenditure_insert AFTER INSERT ON expenditures
WHEN NEW.status IN ('approved', 'paid')
BEGIN
	INSERT INTO programme_sums (programme_id, month) VALUES
		(NEW.programme_id, substr(NEW.spent_on, 1, 7))
		ON CONFLICT DO NOTHING;
	UPDATE programme_sums SET spent = spent + NEW.amount_cents,
		paid = paid + iif(NEW.status = 'paid', NEW.amount_cents, 0),
		unplanned = unplanned +
			iif(NEW.plan_id IS NULL, NEW.amount_cents, 0)
	WHERE programme_id = NEW.programme_id
		AND month = substr(NEW.spent_on, 1, 7);
	INSERT INTO plan_sums (plan_id) SELECT NEW.plan_id
		WHERE NEW.plan_id IS NOT NULL ON CONFLICT DO NOTHING;
	UPDATE plan_sums SET spent = spent + NEW.amount_cents
	WHERE plan_id = NEW.plan_id;
END;

CREATE TRIGGER sums_expenditure_delete AFTER DELETE ON expenditures
WHEN OLD.status IN ('approved', 'paid')
BEGIN
	UPDATE programme_sums SET spent = spent - OLD.amount_cents,
		paid = paid - iif(OLD.status = 'paid', OLD.amount_cents, 0),
		unplanned = unplanned -
			iif(OLD.plan_id IS NULL, OLD.amount_cents, 0)
	WHERE programme_id = OLD.programme_id
		AND month = substr(OLD.spent_on, 1, 7);
	UPDATE plan_sums SET spent = spent - OLD.amount_cents
	WHERE plan_id = OLD.plan_id;
END;

-- An update is the old row leaving and the new one coming.
CREATE TRIGGER sums_expenditure_update AFTER UPDATE OF status, amount_cents,
	spent_on, plan_id, programme_id ON expenditures
WHEN OLD.status IN ('approved', 'paid') OR NEW.status IN ('approved', 'paid')
BEGIN
	UPDATE programme_sums SET spent = spent - OLD.amount_cents,
		paid = paid - iif(OLD.status = 'paid', OLD.amount_cents, 0),
		unplanned = unplanned -
			iif(OLD.plan_id IS NULL, OLD.amount_cents, 0)
	WHERE OLD.status IN ('approved', 'paid')
		AND programme_id = OLD.programme_id
		AND month = substr(OLD.spent_on, 1, 7);
	UPDATE plan_sums SET spent = spent - OLD.amount_cents
	WHERE OLD.status IN ('approved', 'paid') AND plan_id = OLD.plan_id;
	INSERT INTO programme_sums (programme_id, month)
		SELECT NEW.programme_id, substr(NEW.spent_on, 1, 7)
		WHERE NEW.status IN ('approved', 'paid')
		ON CONFLICT DO NOTHING;
	UPDATE programme_sums SET spent = spent + NEW.amount_cents,
		paid = paid + iif(NEW.status = 'paid', NEW.amount_cents, 0),
		unplanned = unplanned +
			iif(NEW.plan_id IS NULL, NEW.amount_cents, 0)
	WHERE NEW.status IN ('approved', 'paid')
		AND programme_id = NEW.programme_id
		AND month = substr(NEW.spent_on, 1, 7);
	INSERT INTO plan_sums (plan_id) SELECT NEW.plan_id
		WHERE NEW.status IN ('approved', 'paid')
		AND NEW.plan_id IS NOT NULL ON CONFLICT DO NOTHING;
	UPDATE plan_sums SET spent = spent + NEW.amount_cents
	WHERE NEW.status IN ('approved', 'paid') AND plan_id = NEW.plan_id;
END;

-- The costs dated outside a budget's period are found by date.
CREATE INDEX expenditures_programme_date ON expenditures (programme_id, spent_on);
