-- One completed reconciliation of an athlete (an attempt is recorded once).
INSERT INTO reconciliations (athlete_id, run_date, attempt, completed_at, listed, added, changed,
                             removed)
VALUES (:athlete_id, :run_date, :attempt, :completed_at, :listed, :added, :changed, :removed);
