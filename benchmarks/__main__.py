"""``python -m benchmarks`` from the checkout: the performance table (benchmarks/suite.py)."""

import sys

from benchmarks.suite import main

sys.exit(main())
