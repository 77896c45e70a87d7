"""The shape of a run date's Luigi graph: one task per stage, one per model, a root that requires
only what it must."""

from __future__ import annotations

from collections import Counter

import pytest
from luigi.task import flatten

from pipeline import model_registry, model_tests
from pipeline.status import graph_tasks
from pipeline.tasks import (
    BuildModel,
    LoadProduction,
    RecordWatermark,
    ValidateStaging,
    WeeklyPipeline,
)
from pipeline.tasks.dashboard import BuildDashboard
from pipeline.tasks.staging import CopyToStaging
from tests.conftest import RUN_DATE

STAGES = ["ExtractActivities", "UploadToLake", "CopyToStaging", "ValidateStaging",
          "LoadProduction", "RecordWatermark", "TrainKudosModel", "BuildDashboard"]


def test_a_run_date_is_one_task_per_stage_and_one_per_model() -> None:
    tasks = list(graph_tasks(WeeklyPipeline(run_date=RUN_DATE)))
    models = model_registry.load_models()

    assert Counter(task.task_family for task in tasks) == {
        **dict.fromkeys(STAGES, 1), "BuildModel": len(models)}
    assert sorted(task.model for task in tasks if isinstance(task, BuildModel)) == sorted(models)
    assert len(tasks) == len(STAGES) + len(models)


def test_the_root_requires_the_watermark_and_the_dashboard_only() -> None:
    root = WeeklyPipeline(run_date=RUN_DATE)
    assert flatten(root.requires()) == [RecordWatermark(run_date=RUN_DATE),
                                        BuildDashboard(run_date=RUN_DATE)]


def test_the_checks_are_one_task_between_staging_and_production() -> None:
    validation = ValidateStaging(run_date=RUN_DATE)
    assert flatten(validation.requires()) == [CopyToStaging(run_date=RUN_DATE)]
    assert validation in flatten(LoadProduction(run_date=RUN_DATE).requires())


def test_a_model_requires_the_models_it_and_its_tests_ref() -> None:
    seen_a_test_ref = False
    for name, model in model_registry.load_models().items():
        required = {task.model for task in flatten(BuildModel(run_date=RUN_DATE,
                                                              model=name).requires())
                    if isinstance(task, BuildModel)}
        test_refs = {ref for test in (model_tests.tests_of(name)
                                      if model.materialized == "table" else [])
                     for ref in test.refs if ref != name}
        assert required == set(model.refs) | test_refs, name
        seen_a_test_ref = seen_a_test_ref or bool(test_refs - set(model.refs))
    assert seen_a_test_ref  # a shipped test reads a model its own model does not ref


def test_several_athletes_are_one_chain_each_and_narrow_to_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.athlete_upgrade
    import pipeline.tasks.weekly

    monkeypatch.setattr(pipeline.tasks.weekly, "authorized_ids", lambda settings: [11, 12, 13])
    monkeypatch.setattr(pipeline.athlete_upgrade, "ensure_upgraded", lambda *args: None)
    tasks = list(graph_tasks(WeeklyPipeline(run_date=RUN_DATE)))
    models = model_registry.load_models()
    assert Counter(task.task_family for task in tasks) == {
        **dict.fromkeys(STAGES, 3), "BuildModel": 3 * len(models)}
    for athlete in (11, 12, 13):  # each chain requires only its own athlete's stages
        chain = list(graph_tasks(RecordWatermark(run_date=RUN_DATE, athlete_id=athlete)))
        assert {task.athlete_id for task in chain} == {athlete}
    narrowed = WeeklyPipeline(run_date=RUN_DATE, athlete_ids=[12])
    assert flatten(narrowed.requires()) == [RecordWatermark(run_date=RUN_DATE, athlete_id=12),
                                            BuildDashboard(run_date=RUN_DATE, athlete_id=12)]
