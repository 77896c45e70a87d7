"""The weekly Strava pipeline. Importing it loads the project's luigi.cfg (see pipeline.project),
so every entry point keeps the project's exit codes and settings from any working directory."""

from pipeline.project import load_luigi_config

load_luigi_config()
