"""``python -m evaluation`` from the pack folder. The evaluation package uses the pack's other
packages (sandbox/, verify/) through relative imports, so it runs inside the pack imported as a
package (``comfyui_coco``), exactly as ComfyUI and the tests import it."""

import importlib.util
import os
import sys

if __package__ in (None, "", "evaluation"):
    _pack = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if "comfyui_coco" not in sys.modules:
        _spec = importlib.util.spec_from_file_location("comfyui_coco", os.path.join(_pack, "__init__.py"),
                                                       submodule_search_locations=[_pack])
        _mod = importlib.util.module_from_spec(_spec)
        sys.modules["comfyui_coco"] = _mod
        _spec.loader.exec_module(_mod)
    from comfyui_coco.evaluation.cli import main
else:
    from .cli import main

sys.exit(main())
