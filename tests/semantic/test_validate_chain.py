"""validate_semantic rejects or clips hostile layouts; the GoT chain round-trips and reads edits."""

from __future__ import annotations

import json

import pytest

from comfyui_coco.sandbox import render_inprocess
from comfyui_coco.sandbox.semantic import (SemanticError, chain_objects, got_chain, got_palette, parse_got_chain,
                                           validate_semantic)


def base(**kw):
    d = {"version": 1, "source": "pil", "canvas": {"width": 100, "height": 50}, "axes": [], "texts": [],
         "shapes": [], "edges": []}
    d.update(kw)
    return d


@pytest.mark.parametrize("obj, size", [
    ("not a dict", (100, 50)), ([base()], (100, 50)), (base(version=2), (100, 50)), (base(version=True), (100, 50)),
    (base(version="1"), (100, 50)), (base(source="exec"), (100, 50)), (base(canvas={"width": 99, "height": 50}), (100, 50)),
    (base(canvas=None), (100, 50)), (base(), (0, 50)), (base(), (True, 50)),
])
def test_unusable_layouts_are_rejected(obj, size):
    with pytest.raises(SemanticError):
        validate_semantic(obj, *size)


def test_hostile_fields_are_clipped_dropped_or_nulled():
    evil = base(
        texts=[{"id": "t0", "text": "ok\x00\x1b[31m\u202ebad" + "x" * 5000, "role": "<script>", "axes": "ax9",
                "bbox": [-50, -5, 1e308, 30], "box_1000": [0, 0, 0, 0], "inside": "s7", "rotation": float("nan"),
                "fontsize_px": True, "color": "red; evil", "extra": {"deep": [[[[1]]]]}},
               {"id": "t0", "text": "duplicate id", "bbox": [1, 1, 2, 2]},
               {"id": "../etc", "text": "bad id", "bbox": [1, 1, 2, 2]},
               {"id": "t2", "text": "off canvas", "bbox": [200, 60, 300, 90]},
               {"id": "t3", "text": "no box"},
               {"id": "t4", "text": "", "bbox": [1, 1, 2, 2]}],
        shapes=[{"id": "s0", "kind": "rect", "fill": "#FFCC00", "bbox": [90, 40, 10, 5], "contains": ["t0", "t9", 5]},
                {"id": "s1", "kind": "torus", "bbox": [0, 0, 10, 10], "part_of": "e5"}],
        edges=[{"id": "e0", "from": "s0", "to": "zz9", "start": [-10, 20], "end": [500, float("inf")]},
               {"id": "e2", "from": "s0", "to": "zz9", "start": [-10, 20], "end": [500, 10]},
               {"id": "e1", "from": "s0", "to": "s1", "start": [1, 2], "end": [3, 4], "directed": "yes"}],
        axes=[{"id": "ax0", "kind": "bar", "bars": [{"value": float("inf"), "category": 7, "bbox": [1, 1, 5, 5]}] * 3000,
               "lines": [{"points": [[0, 1]] * 6000 + [["a", 1], [float("nan"), 2]]}],
               "cells": [{"row": -5, "col": 0}, {"row": 1, "col": 2, "text": "c"}],
               "xticklabels": ["x" * 500, 3], "xscale": "weird", "x_inverted": 1}],
        evil="dropped")
    out = validate_semantic(json.loads(json.dumps(evil, allow_nan=True)), 100, 50)
    assert set(out) == {"version", "source", "canvas", "axes", "texts", "shapes", "edges", "truncated"}
    (t0,) = [t for t in out["texts"] if t["id"] == "t0"]
    assert t0["text"].startswith("ok[31mbad") and len(t0["text"]) == 2000 and "\x1b" not in t0["text"]
    assert t0["role"] == "text" and t0["axes"] is None and t0["inside"] is None   # s7 does not exist
    assert t0["bbox"] == [0.0, 0.0, 100.0, 30.0] and t0["box_1000"] == [0, 0, 999, 600]
    assert t0["fontsize_px"] is None and t0["color"] is None and "extra" not in t0 and t0["rotation"] == 0.0
    assert [t["id"] for t in out["texts"]] == ["t0"]        # duplicate/bad id, off-canvas, no box, empty: dropped
    s0, s1 = out["shapes"]
    assert s0["bbox"] == [10.0, 5.0, 90.0, 40.0] and s0["fill"] == "#ffcc00" and s0["contains"] == ["t0"]
    assert s1["kind"] == "path" and s1["part_of"] is None
    e2, e1 = out["edges"]            # e0's end is not a finite point: dropped
    assert e2["to"] is None and e2["start"] == [0.0, 20.0] and e2["end"] == [100.0, 10.0]
    assert e1["directed"] is False and (e1["from"], e1["to"]) == ("s0", "s1")
    (ax,) = out["axes"]
    assert len(ax["bars"]) == 2000 and ax["bars"][0]["value"] is None and ax["bars"][0]["category"] is None
    assert len(ax["lines"][0]["points"]) == 5000
    assert [(c["row"], c["col"]) for c in ax["cells"]] == [(1, 2)]
    assert ax["xticklabels"] == ["x" * 200] and ax["xscale"] == "linear" and ax["x_inverted"] is False
    assert out["truncated"] is True


def test_edge_with_unusable_points_is_dropped():
    out = validate_semantic(base(edges=[{"id": "e0", "start": [1, 2], "end": [float("nan"), 2]}]), 100, 50)
    assert out["edges"] == []


def test_validated_layout_is_a_fixed_point_and_chain_round_trips():
    res = render_inprocess("fig, ax = plt.subplots(figsize=(5, 3), dpi=60)\n"
                           "ax.bar(['Q1', 'Q2'], [1.5, 2.25], label='2024 \"net\"')\nax.set_title('Sales, \\u00e9t\\u00e9')\n"
                           "ax.legend()\nax.text(0, 2, 'memo')\n")
    sem = res.layout["semantic"]
    assert validate_semantic(sem, res.images[0].width, res.images[0].height) == sem
    chain = got_chain(sem)
    lines = chain.splitlines()
    assert lines[0] == f"canvas width={res.images[0].width} height={res.images[0].height} source=matplotlib"
    assert 'title "Sales, été"' in chain and 'bar "Q1" value=1.5 series="2024 \\"net\\""' in chain
    objs = chain_objects(sem)
    assert parse_got_chain(chain) == [{k: o[k] for k in ("kind", "text", "attrs", "box_1000")} for o in objs]
    assert all(0 <= v <= 999 for o in objs if o["box_1000"] for v in o["box_1000"])


def test_parse_reads_user_edits_and_got_boxes():
    text = ('# my edit\n\ntitle "Hello" [10,20,300,80]\nbar "Q1" value=3 series=2024 (100,200),(50,900)\n'
            'rect "Box" fill=#ff0000 [1200,-5,20,30]\nthis line is free text\nwedge "x" fraction=0.25\n')
    objs = parse_got_chain(text)
    assert objs == [
        {"kind": "title", "text": "Hello", "attrs": {}, "box_1000": [10, 20, 300, 80]},
        {"kind": "bar", "text": "Q1", "attrs": {"value": 3, "series": 2024}, "box_1000": [50, 200, 100, 900]},
        {"kind": "rect", "text": "Box", "attrs": {"fill": "#ff0000"}, "box_1000": [20, 0, 999, 30]},
        {"kind": "text", "text": "this line is free text", "attrs": {}, "box_1000": None},
        {"kind": "wedge", "text": "x", "attrs": {"fraction": 0.25}, "box_1000": None},
    ]


def test_palette_is_distinct_and_stable():
    pal = got_palette(24)
    assert len(set(pal)) == 24 and pal == got_palette(24) and pal[0] != pal[1]
