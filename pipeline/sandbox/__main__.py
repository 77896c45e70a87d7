"""``python -m pipeline.sandbox``: serve the fake Strava locally (``strava-pipeline sandbox``)."""

import sys

from pipeline.sandbox_cli import main

sys.exit(main())
