"""Structure scores: the spec against a semantic layout (verify/spec.py's checks, the schema of
docs/semantic_layout.md) and the same questions answered from OCR text. Seen failing: with the
multiset check in structure_from_ocr replaced by `any word`, the "East Coast" case passes wrongly."""

from __future__ import annotations

from comfyui_coco.evaluation import scoring
from comfyui_coco.evaluation.sets import Item

SPEC = {"chart_type": "bar", "title": "Regional Sales", "categories": ["North", "East Coast"], "values": [12, 30],
        "category_axis_label": "Region", "value_axis_label": "Revenue"}


def _semantic(values=(12.0, 30.0), title="Regional Sales"):
    bars = [{"category": c, "series": None, "value": v, "orientation": "v", "bbox": [10, 10, 20, 20]}
            for c, v in zip(("North", "East Coast"), values)]
    return {"version": 1, "source": "matplotlib", "canvas": {"width": 800, "height": 500},
            "axes": [{"id": "ax0", "kind": "bar", "kinds": ["bar"], "title": title, "xlabel": "Region",
                      "ylabel": "Revenue", "xticklabels": ["North", "East Coast"], "yticklabels": [],
                      "legend": [], "bars": bars, "lines": [], "scatters": [], "wedges": [], "cells": [],
                      "bbox": [0, 0, 800, 500]}],
            "texts": [{"id": "t0", "text": title, "role": "title", "axes": "ax0", "bbox": [0, 0, 10, 10]}],
            "shapes": [], "edges": []}


def _item(spec=SPEC):
    return Item(id="c", set="s", category="chart", lang="en", prompt="", required_text=[], spec=spec)


def test_structure_from_layout_uses_verify_spec():
    good = scoring.structure_from_layout(_item(), {"semantic": _semantic()})
    assert good["score"] == 1.0, good
    bad = scoring.structure_from_layout(_item(), {"semantic": _semantic(values=(12.0, 31.0))})
    assert 0.0 < bad["score"] < 1.0
    assert any(not f["ok"] and f["kind"] == "value" for f in bad["findings"])
    assert scoring.structure_from_layout(_item(), {"elements": []}) == {"score": 0.0, "error": "the draft has no semantic layout"}
    assert scoring.structure_from_layout(_item(None), {"semantic": _semantic()}) is None
    objects = scoring.structure_from_layout(_item({"kind": "objects", "include": [{"class": "cow", "count": 1}]}),
                                            {"semantic": _semantic()})
    assert objects["score"] is None and "no structure check" in objects["error"]


def test_structure_from_ocr_needs_every_word_of_each_string():
    res = scoring.structure_from_ocr(_item(), "Regional Sales\nNorth East\nRegion Revenue")
    found = {c["expected"]: c["found"] for c in res["checks"]}
    assert found == {"Regional Sales": True, "Region": True, "Revenue": True, "North": True, "East Coast": False}
    assert res["score"] == 0.8
    assert scoring.structure_from_ocr(_item(), "")["score"] == 0.0
