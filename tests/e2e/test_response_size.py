"""Finding 6 of issue 25: no answer can take the pipeline's memory.

A 1 MiB gzip that expanded to 1 GiB once took 2.15 GiB of memory before failing. Every answer of
Strava's API is now read with a byte cap on the wire and once decompressed (MAX_BODY_BYTES,
made small here), never holding much more than the cap, and stops with one line.
"""

from __future__ import annotations

import tracemalloc

import pytest

from pipeline import run_dates
from pipeline.sandbox.faults import sized_answer
from pipeline.settings import load_settings
from pipeline.strava import body as body_module
from pipeline.strava import client_from_settings
from pipeline.strava.body import ResponseTooLarge
from tests.conftest import RUN_DATE, PipelineWorld, succeeded

CAP = 4 * 1024 * 1024
BEFORE = int(run_dates.extract_before(RUN_DATE).timestamp())


@pytest.mark.parametrize(("fault", "how"), [
    ("gzipbomb:256", "once decompressed"),  # 256 MiB from a quarter-MiB gzip, no length
    ("large:16", "(it announced 16,777,216)"),
])
def test_an_answer_larger_than_the_cap_stops_with_one_line_in_little_memory(
    world: PipelineWorld, monkeypatch: pytest.MonkeyPatch, fault: str, how: str,
) -> None:
    monkeypatch.setattr(body_module, "MAX_BODY_BYTES", CAP)
    client = client_from_settings(load_settings())
    client.access_token()  # the token first: the fault is for the activity list
    sized_answer(fault)  # the sandbox's own body, built before memory is measured
    world.sandbox.inject(fault)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge) as stopped:
            list(client.iter_pages(0, BEFORE))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(stopped.value)
    assert "\n" not in message
    assert message.startswith("Strava's answer to /api/v3/athlete/activities is larger than "
                              f"{CAP:,} bytes {how}")
    assert peak < 3 * CAP, peak
    world.sandbox.clear_faults()
    assert succeeded(world.run_weekly())  # a normal answer is read as before


def test_a_body_that_lies_about_its_length_is_capped_on_the_wire(
    world: PipelineWorld, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No Content-Length to trust: the wire count stops it (the announced size is bypassed)."""
    monkeypatch.setattr(body_module, "MAX_BODY_BYTES", CAP)
    client = client_from_settings(load_settings())
    client.access_token()
    world.sandbox.inject("large:16")
    original = body_module.read_capped

    def without_length(response, where, limit=None):  # noqa: ANN001, ANN202
        response.headers.pop("Content-Length", None)
        return original(response, where, limit)

    monkeypatch.setattr("pipeline.strava.client.read_capped", without_length)
    with pytest.raises(ResponseTooLarge, match="bytes on the wire"):
        list(client.iter_pages(0, BEFORE))
