-- Imports find a cost by its reference within its programme (idempotent
-- re-imports): without this index every row of an import would scan the
-- programme's costs.
CREATE INDEX expenditures_reference ON expenditures (programme_id, reference);
