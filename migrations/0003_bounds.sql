-- Every figure of a budget (whole period or any year, at any level) is part
-- of one of three sums: all its goals' allocations, all its programmes'
-- budgets, or all its plans' approved amounts and expenditures together.
-- This table keeps those three sums (of absolute values) per budget, by the
-- triggers below, in the same transaction as every write. SQLite turns an
-- integer sum that overflows into a REAL, which the CHECK refuses: so a
-- write after which some figure could not be counted in 64 bits fails and
-- changes nothing (the daemon answers 422 overflow), whoever writes, at a
-- cost that does not grow with the ledger. Bounds, not figures: the figures
-- are still computed from the records.
CREATE TABLE budget_bounds (
	budget_id INTEGER PRIMARY KEY,
	allocated INTEGER NOT NULL DEFAULT 0,
	programmed INTEGER NOT NULL DEFAULT 0,
	money INTEGER NOT NULL DEFAULT 0,
	CONSTRAINT figures_fit CHECK (typeof(allocated) = 'integer'
		AND typeof(programmed) = 'integer' AND typeof(money) = 'integer')
);

-- The sums of what is there now. A budget that already cannot be counted
-- (written before this check existed) gets the largest bound, so nothing
-- more is added to it; its figures answer 500 overflow, and the front page
-- shows the others.
INSERT INTO budget_bounds (budget_id, allocated, programmed, money)
SELECT b.id,
	CASE WHEN (SELECT total(abs(allocated_cents)) FROM goals
		   WHERE budget_id = b.id) < 9.2e18
	THEN (SELECT coalesce(sum(abs(allocated_cents)), 0) FROM goals
	      WHERE budget_id = b.id)
	ELSE 9223372036854775807 END,
	CASE WHEN (SELECT total(abs(budget_cents)) FROM programmes
		   WHERE budget_id = b.id) < 9.2e18
	THEN (SELECT coalesce(sum(abs(budget_cents)), 0) FROM programmes
	      WHERE budget_id = b.id)
	ELSE 9223372036854775807 END,
	CASE WHEN (SELECT total(abs(v)) FROM (
			SELECT p.approved_cents AS v FROM plans p
			JOIN programmes pr ON pr.id = p.programme_id
			WHERE pr.budget_id = b.id
			UNION ALL SELECT e.amount_cents FROM expenditures e
			JOIN programmes pr ON pr.id = e.programme_id
			WHERE pr.budget_id = b.id)) < 9.2e18
	THEN (SELECT coalesce(sum(abs(v)), 0) FROM (
			SELECT p.approved_cents AS v FROM plans p
			JOIN programmes pr ON pr.id = p.programme_id
			WHERE pr.budget_id = b.id
			UNION ALL SELECT e.amount_cents FROM expenditures e
			JOIN programmes pr ON pr.id = e.programme_id
			WHERE pr.budget_id = b.id))
	ELSE 9223372036854775807 END
FROM budgets b;

CREATE TRIGGER bounds_budget_insert AFTER INSERT ON budgets
BEGIN
	INSERT INTO budget_bounds (budget_id) VALUES (NEW.id);
END;
CREATE TRIGGER bounds_budget_delete AFTER DELETE ON budgets
BEGIN
	DELETE FROM budget_bounds WHERE budget_id = OLD.id;
END;

-- On an update the old amount leaves first, so a change within one budget
-- never overflows on the way.
CREATE TRIGGER bounds_goal_insert AFTER INSERT ON goals
BEGIN
	UPDATE budget_bounds SET allocated = allocated + abs(NEW.allocated_cents)
	WHERE budget_id = NEW.budget_id;
END;
CREATE TRIGGER bounds_goal_update AFTER UPDATE OF allocated_cents, budget_id
ON goals
BEGIN
	UPDATE budget_bounds SET allocated = allocated - abs(OLD.allocated_cents)
	WHERE budget_id = OLD.budget_id;
	UPDATE budget_bounds SET allocated = allocated + abs(NEW.allocated_cents)
	WHERE budget_id = NEW.budget_id;
END;
CREATE TRIGGER bounds_goal_delete AFTER DELETE ON goals
BEGIN
	UPDATE budget_bounds SET allocated = allocated - abs(OLD.allocated_cents)
	WHERE budget_id = OLD.budget_id;
END;

CREATE TRIGGER bounds_programme_insert AFTER INSERT ON programmes
BEGIN
	UPDATE budget_bounds SET programmed = programmed + abs(NEW.budget_cents)
	WHERE budget_id = NEW.budget_id;
END;
CREATE TRIGGER bounds_programme_update AFTER UPDATE OF budget_cents, budget_id
ON programmes
BEGIN
	UPDATE budget_bounds SET programmed = programmed - abs(OLD.budget_cents)
	WHERE budget_id = OLD.budget_id;
	UPDATE budget_bounds SET programmed = programmed + abs(NEW.budget_cents)
	WHERE budget_id = NEW.budget_id;
END;
CREATE TRIGGER bounds_programme_delete AFTER DELETE ON programmes
BEGIN
	UPDATE budget_bounds SET programmed = programmed - abs(OLD.budget_cents)
	WHERE budget_id = OLD.budget_id;
END;

CREATE TRIGGER bounds_plan_insert AFTER INSERT ON plans
BEGIN
	UPDATE budget_bounds SET money = money + coalesce(abs(NEW.approved_cents), 0)
	WHERE budget_id = (SELECT budget_id FROM programmes
			   WHERE id = NEW.programme_id);
END;
CREATE TRIGGER bounds_plan_update AFTER UPDATE OF approved_cents, programme_id
ON plans
BEGIN
	UPDATE budget_bounds SET money = money - coalesce(abs(OLD.approved_cents), 0)
	WHERE budget_id = (SELECT budget_id FROM programmes
			   WHERE id = OLD.programme_id);
	UPDATE budget_bounds SET money = money + coalesce(abs(NEW.approved_cents), 0)
	WHERE budget_id = (SELECT budget_id FROM programmes
			   WHERE id = NEW.programme_id);
END;
CREATE TRIGGER bounds_plan_delete AFTER DELETE ON plans
BEGIN
	UPDATE budget_bounds SET money = money - coalesce(abs(OLD.approved_cents), 0)
	WHERE budget_id = (SELECT budget_id FROM programmes
			   WHERE id = OLD.programme_id);
END;

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
