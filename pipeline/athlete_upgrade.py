"""The upgrade of a single-athlete install to many athletes (issue 26), done once, losing nothing.

Warehouse migration 0008 adds ``athlete_id`` (NULL on existing rows) to the tables that lacked
it; state migration 0004 gives existing watermarks and reconciliations athlete_id 0. When the
graph is first built with the athletes' token store, the install's first athlete takes those rows
over in one step: the warehouse's NULLs and the state's 0s become its id, and the state store
records it (``athlete_upgrades``) with the newest run date its rows reached. That athlete keeps
every target name it had (pipeline/athlete_scope.py), so no finished stage runs again.

Which athlete: the sole authorized one; with several, the one production holds activities of
when production holds exactly one athlete's. Otherwise nothing is taken over (a new install
of several athletes: every athlete's names carry its id).
"""

from __future__ import annotations

import logging

from pipeline.athlete_scope import first_athlete, forget_cached
from pipeline.backends import StateStore, Warehouse

logger = logging.getLogger(__name__)


def choose_first_athlete(state: StateStore, warehouse: Warehouse,
                         athlete_ids: list[int]) -> int | None:
    """The athlete who takes over the install's single-athlete rows, or None."""
    if len(athlete_ids) == 1:
        return athlete_ids[0]
    if not athlete_ids:
        return None
    warehouse.ensure_schema()
    in_production = [int(row[0]) for row in
                     warehouse.query_file("athletes/production_athletes.sql")]
    if len(in_production) == 1 and in_production[0] in athlete_ids:
        return in_production[0]
    if state.legacy_rows():
        logger.warning("the state store holds rows of a single-athlete install, but which of "
                       "the %d athletes they belong to is unclear: run once with only that "
                       "athlete authorized, or with --athlete-id ID", len(athlete_ids))
    return None


def ensure_upgraded(state: StateStore, warehouse: Warehouse,
                    athlete_ids: list[int]) -> int | None:
    """Record the install's first athlete and hand it the single-athlete rows, once; its id
    (None when there is none to record)."""
    known = first_athlete(state)
    if known:
        return known
    athlete = choose_first_athlete(state, warehouse, athlete_ids)
    if athlete is None:
        return None
    warehouse.ensure_schema()
    with warehouse.transaction() as session:  # idempotent: only NULLs are filled
        session.run_file("athletes/fill_athlete_id.sql", {"athlete_id": athlete})
    state.take_over_legacy_rows(athlete)
    forget_cached(state)
    logger.info("athlete %d took over this install's existing rows (its targets keep their "
                "names)", athlete)
    return athlete
