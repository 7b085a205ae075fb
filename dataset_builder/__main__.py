"""``python -m dataset_builder`` (run from the pack folder)."""

import sys

if __package__ == "dataset_builder":        # top-level: load the pack as a package first (see _siblings)
    from dataset_builder._siblings import as_pack_module
    cli = as_pack_module("dataset_builder.cli")
else:
    from . import cli

sys.exit(cli.main())
