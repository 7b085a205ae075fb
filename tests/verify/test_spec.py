"""verify.spec: the spec format and the exact structure checks against a semantic layout.

The semantic layouts here follow docs/semantic_layout.md (what the sandbox reads back from an
executed drawing); the render-based set in test_inspect_set.py checks the same code on real drafts.
Each check was seen failing by changing one expected value (see the *_wrong tests)."""

from __future__ import annotations

import json

import pytest

from comfyui_coco.verify.spec import SpecError, check_structure, load_items, structure_score, validate_item

BAR = {"version": 1, "source": "matplotlib", "canvas": {"width": 400, "height": 300},
       "axes": [{"id": "ax0", "kind": "bar", "kinds": ["bar"], "title": "Quarterly sales", "xlabel": "Quarter",
                 "ylabel": "Sales", "xticklabels": ["Q1", "Q2", "Q3"], "yticklabels": ["0", "10", "20"],
                 "legend": [],
                 "bars": [{"category": "Q1", "series": None, "value": 12.5, "orientation": "v", "bbox": [0, 0, 1, 1]},
                          {"category": "Q2", "series": None, "value": 20.0, "orientation": "v", "bbox": [0, 0, 1, 1]},
                          {"category": "Q3", "series": None, "value": 7.0, "orientation": "v", "bbox": [0, 0, 1, 1]}],
                 "lines": [], "scatters": [], "wedges": [], "cells": [], "bbox": [50, 30, 380, 270]}],
       "texts": [{"id": "t0", "text": "Quarterly sales", "role": "title", "bbox": [150, 5, 260, 20]}],
       "shapes": [], "edges": []}
SPEC = {"chart_type": "bar", "title": "Quarterly sales", "categories": ["Q1", "Q2", "Q3"],
        "values": [12.5, 20, 7], "category_axis_label": "Quarter", "value_axis_label": "Sales"}


def test_chart_spec_all_hold():
    f = check_structure(SPEC, BAR)
    assert {x["kind"] for x in f} == {"chart_type", "title", "category", "value", "axis_label"}
    assert all(x["ok"] for x in f), [x for x in f if not x["ok"]]
    assert structure_score(f) == 1.0


@pytest.mark.parametrize("change,kind", [
    ({"chart_type": "pie"}, "chart_type"), ({"title": "Annual sales"}, "title"),
    ({"values": [12.5, 21, 7]}, "value"), ({"categories": ["Q1", "Q2", "Q4"], "values": None}, "category"),
    ({"value_axis_label": "Revenue"}, "axis_label")])
def test_chart_spec_wrong(change, kind):
    spec = {**SPEC, **change}
    if spec["values"] is None:
        del spec["values"]
    f = check_structure(spec, BAR)
    bad = [x for x in f if not x["ok"]]
    assert [x["kind"] for x in bad] == [kind] and bad[0]["message"]
    assert structure_score(f) == pytest.approx(1 - 1 / len(f))


def test_bar_family_and_synonyms():
    grouped = json.loads(json.dumps(BAR))
    grouped["axes"][0]["kind"] = "grouped_bar"
    assert check_structure({"chart_type": "bar chart"}, grouped)[0]["ok"]
    assert check_structure({"chart_type": "column"}, BAR)[0]["ok"]
    assert not check_structure({"chart_type": "barh"}, BAR)[0]["ok"]


def test_table_and_graph():
    sem = {"axes": [{"id": "ax0", "kind": "table", "cells": [
        {"row": 0, "col": 0, "text": "Name"}, {"row": 0, "col": 1, "text": "Score"},
        {"row": 1, "col": 0, "text": "Ann"}, {"row": 1, "col": 1, "text": "9"}]}],
        "texts": [{"id": "t0", "text": "Start"}, {"id": "t1", "text": "End"}, {"id": "t2", "text": "Scores"}],
        "shapes": [{"id": "s0", "kind": "rect", "contains": ["t0"]}, {"id": "s1", "kind": "rect", "contains": ["t1"]}],
        "edges": [{"id": "e0", "from": "s0", "to": "s1", "directed": True}]}
    f = check_structure({"title": "Scores", "header": ["Name", "Score"], "rows": [["Ann", "9"]]}, sem)
    assert all(x["ok"] for x in f) and len(f) == 5
    f = check_structure({"header": ["Name", "Score"], "rows": [["Ann", "8"]]}, sem)
    assert [x["expected"] for x in f if not x["ok"]] == ["8"]
    g = check_structure({"nodes": ["Start", "End"], "edges": [["Start", "End"]], "directed": True}, sem)
    assert all(x["ok"] for x in g)
    g = check_structure({"nodes": ["Start", "Stop"], "edges": [["End", "Start"]], "directed": True}, sem)
    assert [x["kind"] for x in g if not x["ok"]] == ["graph_node", "graph_edge"]
    assert "wrong way" in g[-1]["message"]


def test_item_format(tmp_path):
    item = validate_item({"id": "a", "prompt": "p", "required_text": "X", "spec": SPEC})
    assert item["required_text"] == ["X"] and item["lang"] == "en" and item["category"] == "other"
    with pytest.raises(SpecError):
        validate_item({"id": "a", "prompt": "p", "spec": {"categories": ["a"], "values": [1, 2]}})
    p = tmp_path / "items.jsonl"
    p.write_text(json.dumps(item) + "\n" + json.dumps({**item, "id": "b"}) + "\n")
    assert [i["id"] for i in load_items(str(p))] == ["a", "b"]
    # a whole item may be passed: its "spec" is used
    assert all(x["ok"] for x in check_structure(item, BAR))


def test_series_values_by_name():
    sem = json.loads(json.dumps(BAR))
    ax = sem["axes"][0]
    ax["kind"] = "grouped_bar"
    ax["bars"] = [{"category": c, "series": s, "value": v} for s, vals in (("2025", (1, 2, 3)), ("2024", (4, 5, 6)))
                  for c, v in zip(("Q1", "Q2", "Q3"), vals)]
    spec = {"chart_type": "bar", "categories": ["Q1", "Q2", "Q3"], "values": {"2024": [4, 5, 6], "2025": [1, 2, 3]}}
    assert all(f["ok"] for f in check_structure(spec, sem))  # matched by name, not by drawing order
    spec["values"]["2024"] = [4, 5, 7]
    bad = [f for f in check_structure(spec, sem) if not f["ok"]]
    assert [(f["category"], f["series"], f["found"]) for f in bad] == [("Q3", "2024", 6)]


def test_required_text_is_matched_as_a_whole():
    from comfyui_coco.verify.checks import required_text

    texts = [{"text": "Q10 total"}, {"text": "Sales (k$) 2024"}, {"text": "季度销售额"}]
    got = {f["expected"]: f["ok"] for f in required_text(["Q1", "Q10", "Sales (k$)", "销售", "total"], texts)}
    assert got == {"Q1": False, "Q10": True, "Sales (k$)": True, "销售": True, "total": True}
