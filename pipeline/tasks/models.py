"""The model tables, built from their SQL files after each load: ``BuildModel(run_date, model)``.

Which models exist and in which order they build come from the files (``sql/models/``, read by
``pipeline.model_registry``): a model requires the models it refs (and those its tests ref). A
``table`` model is built aside as its candidate (``<model>__next_YYYYMMDD``), checked by its
tests (``sql/models/marts/model_tests.ini``), and only then swapped in, with the tests' outcomes
and its marker in the swap's transaction; a failing halt test fails the run, leaves the live
table as it was and keeps the candidate for inspection.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import luigi

from pipeline import model_registry, model_tests
from pipeline.backends.warehouse import Session, Warehouse, WarehouseMarkerTarget
from pipeline.model_registry import Model
from pipeline.run_dates import run_week
from pipeline.tasks.apply_events import apply_events_if_pending
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.production import LoadProduction
from pipeline.tasks.reconcile import reconcile_if_due
from pipeline.tasks.streams import FetchStreams, streams_from_api
from pipeline.validator import Outcome, evaluate, format_value

# What DuckDB may keep between two model builds (its pages of production, mostly) before it is
# released: a few models share those pages instead of reading them again.
RELEASE_ABOVE_MIB = 48.0


class ModelTestFailed(RuntimeError):
    """A halt test of a model failed; the live model table was left as it was."""


def model_parameters(run_date: date) -> dict[str, Any]:
    """The values a model SELECT may bind: ``:run_date`` and the run's week as
    ``:run_week_start`` <= start_date_local < ``:run_week_end`` (``pipeline/run_dates.py``)."""
    return {"run_date": run_date, **run_week(run_date).parameters()}


def build_untested(warehouse: Warehouse, definition: Model, run_date: date,
                   update_id: str) -> None:
    """Build one model of a run date as BuildModel does, its tests left out: for tools that
    rebuild the models from production (the benchmarks, tests that write production)."""
    params = model_parameters(run_date)
    if definition.materialized == "view":
        warehouse.replace_view(definition.name, definition.select(), update_id)
    elif definition.materialized == "incremental":
        warehouse.replace_run_rows(definition.name, definition.select(), update_id, params)
    else:
        candidate = definition.candidate_table(run_date)
        warehouse.build_candidate(candidate, definition.select(), params)
        warehouse.swap_in_candidate(definition.name, candidate, update_id)


class BuildModel(RunDateTask):
    """The model table (or view) ``model`` of the run date, from ``sql/models/**/<model>.sql``.

    A table: candidate built (one transaction), tests run on it, then the candidate swapped in
    with the tests' outcomes and the marker (one transaction). A view is replaced, an
    incremental model's rows of the run date are replaced, each with its marker.
    """

    model = luigi.Parameter(description="A model's name: its file's stem in sql/models/.")

    @property
    def definition(self) -> Model:
        """The model's file, read now."""
        return model_registry.model(self.model)

    @property
    def update_id(self) -> str:
        """e.g. 'BuildModel(2026-11-29,activity_summary_monthly)' (',a42' after the model for
        an athlete other than the install's first)."""
        tag = f",{self.athlete_tag}" if self.athlete_tag else ""
        return f"{self.task_family}({self.run_date.isoformat()},{self.model}{tag})"

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def tests(self) -> list[model_tests.ModelTest]:
        """The model's tests (a table model's only), read now."""
        if self.definition.materialized != "table":
            return []
        return model_tests.tests_of(self.model)

    def requires(self) -> list[luigi.Task]:
        """Production, the models this one refs and the models its tests ref."""
        refs = dict.fromkeys(self.definition.refs)
        for test in self.tests():
            refs.update(dict.fromkeys(ref for ref in test.refs if ref != self.model))
        # A model that reads activity_streams waits for the API's streams when they are fetched
        # (STREAMS_FROM_API=on, issue 21); FetchStreams requires LoadProduction.
        upstream: luigi.Task = self.same_athlete(LoadProduction)
        if "activity_streams" in self.definition.text and streams_from_api():
            upstream = self.same_athlete(FetchStreams)
        return [upstream, *reconcile_if_due(self), *apply_events_if_pending(self),
                *(self.same_athlete(BuildModel, model=ref) for ref in refs)]

    def run(self) -> None:
        definition = self.definition
        if definition.materialized == "table":
            self._build_table(definition)
        else:
            build_untested(self.warehouse, definition, self.run_date, self.update_id)
        # Issue 23: what this model's build read of the whole history goes back before the
        # next one (DuckDB's buffer pool would otherwise keep every model's pages), once the
        # engine holds more than RELEASE_ABOVE_MIB: closing and reopening the file after every
        # model was most of a small model's build time.
        self.warehouse.release_memory(above_mib=RELEASE_ABOVE_MIB)
        self.set_status_message(f"{self.model} built")

    def _build_table(self, definition: Model) -> None:
        """Candidate, tests, swap; a failing halt test stops before the swap.

        First all three in one transaction (one commit: issue 23); when a test does not pass
        cleanly (a failure, a query that cannot run), that transaction is rolled back and the
        steps run one by one, as before, so that a failing candidate is kept to inspect."""
        warehouse = self.warehouse
        candidate = definition.candidate_table(self.run_date)
        tests = self.tests()
        self.set_status_message(f"{self.model}: building, testing and swapping in {candidate}")

        def run_tests(session: Session) -> list[dict[str, Any]] | None:
            outcomes = [evaluate(warehouse, test.check(candidate), self.run_date,
                                 session=session) for test in tests]
            if any(outcome.status == "error" or outcome.blocks for outcome in outcomes):
                return None  # an error spoils the session; a failure keeps its candidate
            return [outcome.row(self.run_date) for outcome in outcomes]

        if warehouse.build_and_swap(self.model, candidate, definition.select(),
                                    model_parameters(self.run_date), self.update_id, run_tests):
            return
        self.set_status_message(f"{self.model}: building the candidate {candidate}")
        warehouse.build_candidate(candidate, definition.select(),
                                  model_parameters(self.run_date))
        outcomes = []
        for test in tests:
            self.set_status_message(f"{self.model}: test {test.name} on {candidate}")
            outcomes.append(evaluate(warehouse, test.check(candidate), self.run_date))
        rows = [outcome.row(self.run_date) for outcome in outcomes]
        failed = [outcome for outcome in outcomes if outcome.blocks]
        if failed:
            warehouse.record_validations(rows)
            raise ModelTestFailed(self._failure_message(definition, candidate, failed))
        warehouse.swap_in_candidate(self.model, candidate, self.update_id, rows)

    def _failure_message(self, definition: Model, candidate: str,
                         failed: list[Outcome]) -> str:
        first = failed[0]
        others = "".join(f"; halt test {outcome.check.name} failed as well"
                         for outcome in failed[1:])
        return (
            f"model test {first.check.name} (halt) failed for run date {self.run_date}: "
            f"{format_value(first.left_value)} rows break it ({first.message}){others}; the "
            f"table {self.model} was left as it was and the new build kept as the candidate "
            f"{candidate}: look at the data first, the rows of {candidate} that break the test "
            f"and the activities in strava_activity_data they come from (a date or a value no "
            f"activity can have); correct or remove those in the source and rerun the date. Only "
            f"when the data is right is {definition.label} (or the test in "
            f"{model_tests.tests_file().name}) to change"
        )


def mart_tasks(run_date: date, athlete_id: int = 0) -> list[BuildModel]:
    """Every mart of the run date (the tables people read), from the model files; an athlete's
    (each mart holds every athlete's rows, keyed by athlete_id; the athlete's marker says its
    load is in them)."""
    return [BuildModel(run_date=run_date, model=name, athlete_id=athlete_id)
            for name in model_registry.mart_names()]
