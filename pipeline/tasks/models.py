"""The model tables, built from their SQL files after each load: ``BuildModel(run_date, model)``.

Which models exist and in which order they build come from the files (``sql/models/``, read by
``pipeline.model_registry``): a model requires the models it refs. A ``table`` model is built
aside (``StageModel``), checked by its tests (``TestModel``, ``sql/models/marts/
model_tests.ini``), and only then swapped in (``BuildModel``); a failing halt test fails the run
and leaves the live table as it was.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import luigi

from pipeline import model_registry, model_tests
from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.model_registry import Model
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.production import LoadProduction
from pipeline.validator import check_parameters, evaluate, format_value


class ModelTestFailed(RuntimeError):
    """A halt test of a model failed; the live model table was left as it was."""


def model_parameters(run_date: date) -> dict[str, Any]:
    """The values a model SELECT may bind: those of the validation checks (``:run_date``...)."""
    return check_parameters(run_date, 0)


class _ModelTask(RunDateTask):
    """A dated task about one model file."""

    model = luigi.Parameter(description="A model's name: its file's stem in sql/models/.")

    @property
    def definition(self) -> Model:
        """The model's file, read now."""
        return model_registry.model(self.model)

    @property
    def update_id(self) -> str:
        """e.g. 'BuildModel(2026-11-29,activity_summary_monthly)'."""
        return f"{self.task_family}({self.run_date.isoformat()},{self.model})"

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def inputs(self) -> list[luigi.Task]:
        """The models this one refs, and production."""
        return [LoadProduction(run_date=self.run_date),
                *(BuildModel(run_date=self.run_date, model=ref)
                  for ref in self.definition.refs)]


class StageModel(_ModelTask):
    """``<model>__next``: a table model built aside from its SELECT, for its tests."""

    def requires(self) -> list[luigi.Task]:
        return self.inputs()

    def run(self) -> None:
        definition = self.definition
        self.warehouse.stage_model(definition.staged_table, definition.select(), self.update_id,
                                   model_parameters(self.run_date))


class TestModel(RunDateTask):
    """One model test on the staged table, recorded in validation_results."""

    __test__ = False  # a Luigi task, not a pytest class

    model = luigi.Parameter(description="The model tested.")
    test = luigi.Parameter(description="A test's name in sql/models/marts/model_tests.ini.")

    @property
    def update_id(self) -> str:
        """'TestModel(YYYY-MM-DD,test)'."""
        return f"{self.task_family}({self.run_date.isoformat()},{self.test})"

    def definition(self) -> model_tests.ModelTest:
        """This task's test, read now."""
        for test in model_tests.tests_of(self.model):
            if test.name == self.test:
                return test
        raise model_tests.ModelError(f"no test [{self.test}] of model {self.model} in "
                                     f"{model_tests.tests_file().name}")

    def requires(self) -> list[luigi.Task]:
        stage = StageModel(run_date=self.run_date, model=self.model)
        return [stage, *(BuildModel(run_date=self.run_date, model=ref)
                         for ref in self.definition().refs if ref != self.model)]

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        test = self.definition()
        staged = model_registry.model(self.model).staged_table
        outcome = evaluate(self.warehouse, test.check(staged), self.run_date)
        if outcome.blocks:
            self.warehouse.record_validation(outcome.row(self.run_date))
            self.warehouse.forget_marker(StageModel(run_date=self.run_date,
                                                    model=self.model).update_id)
            raise ModelTestFailed(
                f"model test {test.name} (halt) failed for run date {self.run_date}: "
                f"{format_value(outcome.left_value)} rows break it ({outcome.message}); the "
                f"table {self.model} was left as it was and the new build kept as {staged}: "
                f"fix sql/models/{model_registry.model(self.model).layer}/{self.model}.sql (or "
                f"the test in {model_tests.tests_file().name}) and rerun the date"
            )
        self.warehouse.record_validation(outcome.row(self.run_date), self.update_id)
        self.set_status_message(f"{test.name}: {outcome.status}: {outcome.message}")


class BuildModel(_ModelTask):
    """The model table (or view) ``model`` of the run date, from ``sql/models/**/<model>.sql``."""

    def requires(self) -> list[luigi.Task]:
        if self.definition.materialized != "table":
            return self.inputs()
        tests = model_tests.tests_of(self.model)
        return [StageModel(run_date=self.run_date, model=self.model),
                *(TestModel(run_date=self.run_date, model=self.model, test=test.name)
                  for test in tests)]

    def run(self) -> None:
        definition, warehouse = self.definition, self.warehouse
        if definition.materialized == "view":
            warehouse.replace_view(self.model, definition.select(), self.update_id)
        elif definition.materialized == "incremental":
            warehouse.replace_run_rows(self.model, definition.select(), self.update_id,
                                       model_parameters(self.run_date))
        else:
            stage = StageModel(run_date=self.run_date, model=self.model)
            warehouse.swap_model(self.model, definition.staged_table, self.update_id,
                                 forget=[stage.update_id])
        self.set_status_message(f"{self.model} built")


def mart_tasks(run_date: date) -> list[BuildModel]:
    """Every mart of the run date (the tables people read), from the model files."""
    return [BuildModel(run_date=run_date, model=name) for name in model_registry.mart_names()]
