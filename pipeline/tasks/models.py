"""Model tables rebuilt from production after each load, one task per model."""

from __future__ import annotations

from pipeline.backends.warehouse import WarehouseMarkerTarget
from pipeline.run_dates import run_week
from pipeline.tasks.base import RunDateTask
from pipeline.tasks.production import LoadProduction


class BuildModel(RunDateTask):
    """Replace the model table ``model_name`` with ``sql/models/<model_name>.sql``.

    The SELECT may use the run date as ``:run_date`` (e.g. to end a week spine at the run's week)
    and the run's week as ``:run_week_start`` <= start_date_local < ``:run_week_end``.
    """

    model_name: str = ""

    def requires(self) -> LoadProduction:
        return LoadProduction(run_date=self.run_date)

    def output(self) -> WarehouseMarkerTarget:
        return WarehouseMarkerTarget(self.warehouse, self.update_id)

    def run(self) -> None:
        self.warehouse.rebuild_model(
            self.model_name, self.update_id,
            params={"run_date": self.run_date, **run_week(self.run_date).parameters()},
        )
        self.set_status_message(f"{self.model_name} rebuilt")


class BuildMonthlySummary(BuildModel):
    """activity_summary_monthly: runs per local calendar month."""

    model_name = "activity_summary_monthly"


class BuildYearlySummary(BuildModel):
    """activity_summary_yearly: every activity per local calendar year."""

    model_name = "activity_summary_yearly"


class BuildKudosByWorkoutType(BuildModel):
    """kudos_by_workout_type: kudos of runs and rides per readable workout label."""

    model_name = "kudos_by_workout_type"


class BuildWeeklyKudosChange(BuildModel):
    """weekly_kudos_change: week-over-week kudos change per workout label, every week."""

    model_name = "weekly_kudos_change"


class BuildWeeklyDistanceBySport(BuildModel):
    """weekly_distance_by_sport: distance, time and kudos per week and sport, every week."""

    model_name = "weekly_distance_by_sport"


class BuildMonthlyDistanceBySport(BuildModel):
    """monthly_distance_by_sport: distance, time and kudos per local month and sport."""

    model_name = "monthly_distance_by_sport"


class BuildActivityRoutes(BuildModel):
    """activity_routes: activities with an encoded route, for the dashboard's map."""

    model_name = "activity_routes"


class BuildWeeklyNewActivities(BuildModel):
    """weekly_new_activities: the activities of the run date's week."""

    model_name = "weekly_new_activities"


MODEL_TASKS: list[type[BuildModel]] = [
    BuildMonthlySummary,
    BuildYearlySummary,
    BuildKudosByWorkoutType,
    BuildWeeklyKudosChange,
    BuildWeeklyDistanceBySport,
    BuildMonthlyDistanceBySport,
    BuildActivityRoutes,
    BuildWeeklyNewActivities,
]
