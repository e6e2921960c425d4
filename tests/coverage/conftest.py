"""``scripts/`` on ``sys.path``: the coverage script and its SDK reader are run as
``python scripts/sdk_coverage.py``, so they import each other as top-level modules."""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
