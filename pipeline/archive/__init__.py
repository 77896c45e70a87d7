"""The athlete's own Strava archive ("Download your data") as a source of activities.

``strava-pipeline import-archive PATH`` (``pipeline/archive/command.py``) and the Luigi task
``ImportArchive`` (``pipeline/tasks/archive.py``) read ``activities.csv`` of the ZIP (or of the
folder it unpacks to) and merge its activities into production through the lake, a staging
table, the staging checks and one transaction (``pipeline/archive/importer.py``).
"""
