"""Activities the pipeline cannot parse are set aside with their raw JSON; the rest loads."""

from __future__ import annotations

import json

import duckdb

from tests.conftest import RUN_DATE, PipelineWorld, succeeded


def test_unparseable_activities_and_non_iana_zones_are_reported_while_the_rest_loads(
    world: PipelineWorld,
) -> None:
    newest = sorted(world.athlete.activities, key=lambda a: a["start_date"])[-4:]
    world.athlete.update_activity(newest[3]["id"], timezone="(GMT+00:00) Mars/Olympus_Mons")
    world.athlete.update_activity(newest[0]["id"], start_date_local="20/11/2026 09:00")
    world.athlete.update_activity(newest[1]["id"], id="not-a-number")
    shifted = world.athlete.update_activity(
        newest[2]["id"], start_date=newest[2]["start_date"].replace("Z", "+00:00"))
    assert succeeded(world.run_weekly())

    kept = json.loads((world.data_dir / "lake" / "strava" / "unparseable" / "2026-11-29"
                       / "activities.json").read_text())
    assert [item["reason"] for item in kept] == [
        "start_date_local '20/11/2026 09:00' is not an ISO 8601 time",
        "id 'not-a-number' is not a positive 64-bit integer"]
    assert kept[0]["activity"]["id"] == newest[0]["id"]
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        ids = {row[0] for row in db.execute("SELECT id FROM strava_activity_data").fetchall()}
        status, left, message = db.execute(
            "SELECT status, left_value, message FROM validation_results"
            " WHERE run_date = ? AND check_name = 'no_unparseable_activities'",
            [RUN_DATE]).fetchone()
    assert newest[0]["id"] not in ids and shifted["id"] in ids
    assert len(ids) == len([a for a in world.athlete.activities
                            if a["start_date"] < "2026-11-30"]) - 2
    assert (status, left) == ("warn", 2)
    assert "raw JSON in the lake" in message
    with duckdb.connect(str(world.data_dir / "warehouse.duckdb"), read_only=True) as db:
        zones = db.execute(
            "SELECT status, left_value FROM validation_results"
            " WHERE run_date = ? AND check_name = 'timezones_are_iana_names'",
            [RUN_DATE]).fetchone()
        stored = db.execute("SELECT timezone FROM strava_activity_data WHERE id = ?",
                            [newest[3]["id"]]).fetchone()
    assert zones == ("warn", 1) and stored == ("Mars/Olympus_Mons",)
