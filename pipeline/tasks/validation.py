"""ValidateStaging: the checks of the checks file, between CopyToStaging and LoadProduction.

One task per run date runs every check of the checks file in file order, so a failed halt check
stops the checks after it as well as the load. Every check that ran is recorded in
validation_results, and a passing (or only warning) validation writes its rows and its one
marker in one transaction. A failed halt check quarantines the run date's data: the staging
table, the lake object and the extract file are moved aside, never deleted, and the stages that
made them count as not done, so the next run of the date extracts afresh.
"""

from __future__ import annotations

import functools
import json
import logging
import zoneinfo
from collections import Counter
from functools import cached_property
from typing import Any

from pipeline import notify
from pipeline.backends.warehouse import Session, WarehouseMarkerTarget
from pipeline.errors import one_line
from pipeline.sql_files import parameter_names, render
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.quarantine import quarantine_run_date
from pipeline.tasks.staging import CopyToStaging
from pipeline.validator import (
    Check,
    Outcome,
    checks_file,
    display_path,
    evaluate,
    format_value,
    load_checks,
)

logger = logging.getLogger(__name__)



@functools.cache
def iana_zones() -> frozenset[str]:
    """zoneinfo's IANA names, read once per process (it scans the tz database every call)."""
    return frozenset(zoneinfo.available_timezones())


@functools.lru_cache(maxsize=256)
def _bound_names(*sqls: str) -> frozenset[str]:
    """The ``:name`` parameters SQL texts bind (a backfill asks for every check each week)."""
    return frozenset(name for sql in sqls for name in parameter_names(sql))


class ValidationHalted(RuntimeError):
    """A halt check failed or could not run; the message says which, the values and what to do."""


class ValidateStaging(RunDateTask):
    """Every check of the checks file on the run date's staging table, each recorded in
    validation_results.

    Done (one marker row, written with every check's row) when no halt check failed: every
    check passed, only warned, or was skipped. A failed halt check records the checks that ran,
    quarantines the run date's data and fails the task; the checks after it do not run.
    """

    @cached_property
    def checks(self) -> list[Check]:
        """Every check of the checks file in force, in order."""
        return load_checks(checks_file(self.settings))

    def requires(self) -> CopyToStaging:
        return self.same_athlete(CopyToStaging)

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        outcomes = self._run_checks()
        rows = [{**outcome.row(self.run_date), "athlete_id": self.athlete or None}
                for outcome in outcomes]
        if outcomes and outcomes[-1].blocks:
            self.warehouse.record_validations(rows)  # no marker: the date is not validated
            message = self._halt_message(outcomes[-1])
            self._send_summary(rows)
            raise ValidationHalted(message)
        self.warehouse.record_validations(rows, self.update_id)
        counts = Counter(row["status"] for row in rows)
        self.set_status_message(", ".join(f"{n} {status}" for status, n in counts.items()))
        self._send_summary(rows)

    def _run_checks(self) -> list[Outcome]:
        """The outcomes of the checks in file order, up to the first that blocks the load.

        Every check reads in one read-only transaction (a backfill checks 157 weeks); a check
        whose query fails spoils it, so that check and the ones after it run each in its own,
        as they would alone."""
        outcomes: list[Outcome] = []
        pending = list(enumerate(self.checks, start=1))
        with self.warehouse.read_only_transaction() as session:
            while pending:
                outcome = self._evaluate(*pending[0], session)
                if outcome.status == "error":
                    break
                pending.pop(0)
                self._log(outcome)
                outcomes.append(outcome)
                if outcome.blocks:
                    return outcomes
        for number, check in pending:
            outcome = self._evaluate(number, check)
            self._log(outcome)
            outcomes.append(outcome)
            if outcome.blocks:
                break
        return outcomes

    def _evaluate(self, number: int, check: Check, session: Session | None = None) -> Outcome:
        """One check's outcome (in ``session`` when given)."""
        self.set_status_message(f"check {number} of {len(self.checks)}: {check.name}")
        return evaluate(self.warehouse, check, self.run_date,
                        self.settings.validation_min_history_weeks,
                        self._extra_parameters(check, session), self.staging_table, session)

    def _extra_parameters(self, check: Check, session: Session | None = None) -> dict[str, Any]:
        """The values a check binds that come from outside its SQL (only those it uses), read
        in ``session`` when given."""
        wanted = _bound_names(check.left.sql or "", check.right.sql or "")
        providers = {"unparseable_activities": self._unparseable_count,
                     "non_iana_timezones": lambda: self._non_iana_timezone_count(session)}
        return {name: provide() for name, provide in providers.items() if name in wanted}

    def _non_iana_timezone_count(self, session: Session | None = None) -> int | None:
        """Activities in staging whose time zone is not an IANA name (None without tzdata);
        read in ``session`` (the checks' read-only transaction) when given."""
        known = iana_zones()
        if not known:
            return None
        sql = render("SELECT timezone, COUNT(*) FROM {staging_table} WHERE timezone IS NOT NULL"
                     " GROUP BY timezone", staging_table=self.staging_table)
        rows = (session.execute(sql).fetchall() if session is not None
                else self.warehouse.query(sql))
        unknown = {zone: int(count) for zone, count in rows if zone not in known}
        if unknown:
            logger.warning("time zones that are not IANA names in %s: %s", self.staging_table,
                           ", ".join(repr(zone[:64]) for zone in sorted(unknown)[:5]))
        return sum(unknown.values())

    def _unparseable_count(self) -> int:
        """How many activities of the extract could not be parsed (kept aside in the lake)."""
        key = self.unparseable_key
        if not self.lake.exists(key):
            return 0  # an extract made before activities were set aside
        with self.lake.open_binary(key) as handle:
            return len(json.load(handle))

    def _log(self, outcome: Outcome) -> None:
        level = {"pass": logging.INFO, "skipped": logging.INFO, "warn": logging.WARNING}.get(
            outcome.status, logging.ERROR)
        logger.log(level, "check %s (%s) for %s: %s: %s", outcome.check.name,
                   outcome.check.severity, self.run_date, outcome.status, outcome.message)

    def _halt_message(self, outcome: Outcome) -> str:
        check, checks = outcome.check, display_path(checks_file(self.settings))
        if outcome.status == "error":
            return (f"halt check {check.name} could not run for run date {self.run_date}: "
                    f"{outcome.message}; production was not loaded and nothing was "
                    f"quarantined: fix the check ({checks}, sql/validation/) or the warehouse, "
                    "then rerun the date")
        head = (f"halt check {check.name} failed for run date {self.run_date}: "
                f"left {format_value(outcome.left_value)}, right "
                f"{format_value(outcome.right_value)}: {outcome.message}")
        try:
            moved = quarantine_run_date(self).describe()
        except Exception as error:  # the check's verdict must still reach the user
            return (f"{head}; production was not loaded; quarantining the run's data failed "
                    f"({one_line(error)}), so it is still in place: fix that, then rerun "
                    "the date")
        return (f"{head}; production was not loaded; {moved}; inspect them, fix the source data "
                f"(or the check in {checks}) and rerun the date: it extracts afresh and "
                "validates again")

    def _send_summary(self, rows: list[dict[str, Any]]) -> None:
        """Post every check of the run date to Slack (when configured): the recorded outcome of
        each check that ran, the others as not run; never raises."""
        if not self.settings.slack_webhook_url:
            return
        try:
            ran = {row["check_name"]: row for row in rows}
            lines = []
            for check in self.checks:
                row = ran.get(check.name)
                lines.append({"check_name": check.name, "severity": check.severity,
                              "status": row["status"] if row else None,
                              "message": row["message"] if row else None})
            notify.post_to_slack(
                self.settings,
                notify.validation_summary_payload(self.settings, self.run_date, lines),
            )
        except Exception as error:  # the summary is a courtesy; the checks' outcomes stand
            logger.warning("validation summary not sent: %s", one_line(error))
