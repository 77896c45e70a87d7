-- One completed reconciliation (an attempt is recorded once).
INSERT INTO reconciliations (run_date, attempt, completed_at, listed, added, changed, removed)
VALUES (:run_date, :attempt, :completed_at, :listed, :added, :changed, :removed);
