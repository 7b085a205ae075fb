"""``python -m dataset_builder`` (run from the pack folder)."""

import sys

from .cli import main

sys.exit(main())
