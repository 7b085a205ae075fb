"""The semantic layout of matplotlib drawings read back equals the code's data (values and texts
exactly) and the rendered pixels (boxes within 1 px, measured by each element's own colour).
Rendered through the real job pipeline (render_inprocess: same capture as the sandbox child)."""

from __future__ import annotations

import pytest

from comfyui_coco.sandbox import render_inprocess
from comfyui_coco.sandbox.semantic import validate_semantic

from .helpers import colour_box, coverage_box, near, rgb

BARS = """
fig, axs = plt.subplots(1, 2, figsize=(7, 3.5), dpi=90)
ax = axs[0]
ax.bar(["north", "south", "east"], [3.5, 12.25, 7.0], color=["#cc3333", "#33aa33", "#3333cc"])
ax.set_yscale("log")
ax.invert_xaxis()
ax.set_title("Sales by region", color="#ff00ff")
ax.tick_params(axis="x", labelrotation=45)
for lbl, c in zip(ax.get_xticklabels(), ["#ff0000", "#0000ff", "#00ffff"]):
    lbl.set_color(c)
ax2 = axs[1]
ax2.barh(["a", "b"], [5, 2], color=["#ffaa00", "#00aaaa"], label="share")
ax2.set_xlabel("percent", color="#00ff00")
ax2.invert_yaxis()
for a in axs:
    a.spines[:].set_visible(False)
fig.savefig(output_dir + "/bars.png", bbox_inches="tight", dpi=110)
"""


def sem_of(res, i=0):
    assert res.ok, res.error
    layouts = getattr(res, "layouts", None)
    sem = (layouts[i] if layouts else res.layout).get("semantic")
    im = res.images[i]
    assert sem is not None and sem["canvas"] == {"width": im.width, "height": im.height}
    return sem


def test_bars_log_inverted_rotated_tight_dpi():
    res = render_inprocess(BARS)
    sem, img = sem_of(res), rgb(res)
    a0, a1 = sem["axes"]
    assert (a0["kind"], a1["kind"]) == ("bar", "barh")
    assert a0["yscale"] == "log" and a0["x_inverted"] and a1["y_inverted"] and not a0["y_inverted"]
    assert a0["title"] == "Sales by region" and a1["xlabel"] == "percent" and a1["ylabel"] is None
    assert [(b["category"], b["value"], b["orientation"]) for b in a0["bars"]] == [
        ("north", 3.5, "v"), ("south", 12.25, "v"), ("east", 7.0, "v")]
    assert [(b["category"], b["value"], b["series"], b["orientation"]) for b in a1["bars"]] == [
        ("a", 5.0, "share", "h"), ("b", 2.0, "share", "h")]
    assert a0["xticklabels"] == ["north", "south", "east"] and a1["yticklabels"] == ["a", "b"]
    for bar, col in zip(a0["bars"] + a1["bars"], ["#cc3333", "#33aa33", "#3333cc", "#ffaa00", "#00aaaa"]):
        assert near(bar["bbox"], colour_box(img, col, 10)), (bar, colour_box(img, col, 10))
    texts = {t["text"]: t for t in sem["texts"]}
    assert texts["Sales by region"]["role"] == "title" and texts["percent"]["role"] == "xlabel"
    assert {texts[k]["rotation"] for k in ("north", "south", "east")} == {45.0}
    for text, col in [("Sales by region", "#ff00ff"), ("percent", "#00ff00"), ("north", "#ff0000"),
                      ("south", "#0000ff"), ("east", "#00ffff")]:
        assert near(texts[text]["bbox"], coverage_box(img, col)), (text, texts[text]["bbox"], coverage_box(img, col))
        assert texts[text]["axes"] in ("ax0", "ax1") and texts[text]["color"] == col
    # the ticks of a log axis read as numbers, not mathtext source
    assert all("mathdefault" not in s for s in a0["yticklabels"]) and "10^{1}" in a0["yticklabels"]


def test_several_figures_per_job_and_dpi_rescale():
    code = ("for i, (w, d) in enumerate([(4, 50), (6, 80)]):\n"
            "    fig = plt.figure(figsize=(w, 3), dpi=d)\n"
            "    ax = fig.add_subplot()\n"
            "    ax.plot([0, 1, 2], [i, 2.5, -1.25], color='#ff00ff', lw=3, label=f'run {i}')\n"
            "    ax.legend()\n"
            "    ax.spines[:].set_visible(False)\n"
            "    fig.savefig(f'{output_dir}/f{i}.png')\n")
    res = render_inprocess(code)
    assert res.ok and len(res.images) == 2
    for i, (w, h) in enumerate([(200, 150), (480, 240)]):
        sem = sem_of(res, i)
        assert sem["canvas"] == {"width": w, "height": h}
        (ax,) = sem["axes"]
        assert ax["kind"] == "line" and ax["legend"] == [f"run {i}"]
        (ln,) = ax["lines"]
        assert ln["label"] == f"run {i}" and ln["points"] == [[0.0, float(i)], [1.0, 2.5], [2.0, -1.25]]
        assert near(ln["bbox"], colour_box(rgb(res, i), "#ff00ff", 60)), (ln["bbox"], colour_box(rgb(res, i), "#ff00ff"))


def test_stacked_grouped_histogram_pie_donut_scatter_area():
    code = """
fig, axs = plt.subplots(2, 3, figsize=(9, 6), dpi=60)
x = np.arange(3)
axs[0, 0].bar(["a", "b", "c"], [1, 2, 3], label="low")
axs[0, 0].bar(["a", "b", "c"], [4, 5, 6], bottom=[1, 2, 3], label="high")
axs[0, 1].bar(x - 0.2, [1, 2, 3], 0.4, label="2023")
axs[0, 1].bar(x + 0.2, [3, 2, 1], 0.4, label="2024")
axs[0, 1].set_xticks(x, ["Q1", "Q2", "Q3"])
axs[0, 2].hist([1, 2, 2, 3, 3, 3], bins=[0.5, 1.5, 2.5, 3.5])
axs[1, 0].pie([30, 50, 20], labels=["A", "B", "C"])
axs[1, 1].pie([1, 3], labels=["x", "y"], wedgeprops=dict(width=0.3))
axs[1, 2].scatter([1, 2, 3, 4], [4, 3, 2, 1], label="pts")
axs[1, 2].fill_between([0, 1, 2], [0, 1, 0], alpha=0.3, label="band")
"""
    sem = sem_of(render_inprocess(code))
    ax = sem["axes"]
    assert [a["kind"] for a in ax] == ["stacked_bar", "grouped_bar", "histogram", "pie", "donut", "mixed"]
    st = ax[0]["bars"]
    assert [(b["category"], b["series"], b["value"], b["base"]) for b in st] == [
        ("a", "low", 1.0, 0.0), ("b", "low", 2.0, 0.0), ("c", "low", 3.0, 0.0),
        ("a", "high", 4.0, 1.0), ("b", "high", 5.0, 2.0), ("c", "high", 6.0, 3.0)]
    assert [(b["category"], b["series"], b["value"]) for b in ax[1]["bars"]] == [
        ("Q1", "2023", 1.0), ("Q2", "2023", 2.0), ("Q3", "2023", 3.0),
        ("Q1", "2024", 3.0), ("Q2", "2024", 2.0), ("Q3", "2024", 1.0)]
    assert [(b["x0"], b["x1"], b["value"]) for b in ax[2]["bars"]] == [(0.5, 1.5, 1.0), (1.5, 2.5, 2.0), (2.5, 3.5, 3.0)]
    assert [(w["label"], w["value"], round(w["fraction"], 9)) for w in ax[3]["wedges"]] == [
        ("A", 30.0, 0.3), ("B", 50.0, 0.5), ("C", 20.0, 0.2)]
    assert [(w["label"], w["value"]) for w in ax[4]["wedges"]] == [("x", 1.0), ("y", 3.0)]
    assert ax[5]["kinds"] == ["scatter", "area"]
    assert [(s["label"], s["count"]) for s in ax[5]["scatters"]] == [("pts", 4)]
    (band,) = ax[5]["lines"]
    assert band["fill"] and band["label"] == "band" and [1.0, 1.0] in band["points"]


def test_heatmap_and_table_cells_by_row_and_column():
    code = """
fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3), dpi=70)
data = np.array([[1.5, 2.0, 0.25], [4.0, 5.5, 6.0]])
a.imshow(data, cmap="viridis")
for i in range(2):
    for j in range(3):
        a.text(j, i, f"{data[i, j]:g}", ha="center", va="center", color="w")
b.axis("off")
b.table(cellText=[["1", "2"], ["3", "4"]], colLabels=["x", "y"], loc="center")
"""
    sem = sem_of(render_inprocess(code))
    hm, tb = sem["axes"]
    assert hm["kind"] == "heatmap" and tb["kind"] == "table"
    cells = {(c["row"], c["col"]): c for c in hm["cells"]}
    assert len(cells) == 6 and cells[(1, 2)]["value"] == 6.0 and cells[(0, 2)]["text"] == "0.25"
    assert cells[(0, 0)]["bbox"][0] < cells[(0, 1)]["bbox"][0] and cells[(0, 0)]["bbox"][1] < cells[(1, 0)]["bbox"][1]
    tcells = {(c["row"], c["col"]): c["text"] for c in tb["cells"]}
    assert tcells == {(0, 0): "x", (0, 1): "y", (1, 0): "1", (1, 1): "2", (2, 0): "3", (2, 1): "4"}
    assert {t["role"] for t in sem["texts"] if t["text"] in ("x", "y", "0.25")} == {"cell"}


def test_flowchart_boxes_and_arrows_read_as_nodes_and_edges():
    code = """
fig, ax = plt.subplots(figsize=(6, 3), dpi=80)
ax.set_xlim(0, 10); ax.set_ylim(0, 5); ax.axis("off")
ax.text(2, 2.5, "Start", ha="center", va="center", bbox=dict(boxstyle="round", fc="#ffcc00"))
ax.text(8, 2.5, "Done", ha="center", va="center", bbox=dict(boxstyle="square", fc="#99ccff"))
ax.annotate("", xy=(7.4, 2.5), xytext=(2.6, 2.5), arrowprops=dict(arrowstyle="->"))
ax.annotate("note", xy=(8, 2.3), xytext=(5, 0.8), arrowprops=dict(arrowstyle="-"))
"""
    sem = sem_of(render_inprocess(code))
    assert sem["axes"][0]["kind"] == "diagram"
    texts = {t["text"]: t for t in sem["texts"]}
    shapes = {s["id"]: s for s in sem["shapes"]}
    start, done = shapes[texts["Start"]["inside"]], shapes[texts["Done"]["inside"]]
    assert start["fill"] == "#ffcc00" and done["fill"] == "#99ccff" and start["kind"] == done["kind"] == "rect"
    e0, e1 = sem["edges"]
    assert (e0["from"], e0["to"], e0["directed"], e0["text"]) == (start["id"], done["id"], True, None)
    assert (e1["from"], e1["to"], e1["directed"], e1["text"]) == (texts["note"]["id"], done["id"], False, "note")


def test_polar_and_3d_axes_kinds():
    code = """
fig = plt.figure(figsize=(6, 3), dpi=60)
p = fig.add_subplot(1, 2, 1, projection="polar"); p.plot([0, 1, 2], [1, 2, 1])
t = fig.add_subplot(1, 2, 2, projection="3d"); t.plot([0, 1], [0, 1], [0, 1]); t.set_zlabel("height")
"""
    sem = sem_of(render_inprocess(code))
    assert [a["kind"] for a in sem["axes"]] == ["polar", "3d"]
    assert sem["axes"][0]["kinds"] == ["line"] and sem["axes"][1]["zlabel"] == "height"


def test_semantic_survives_the_real_sandbox_boundary():
    """Through a real sandbox worker process and the caller's reply checks."""
    from comfyui_coco.sandbox import get_pool

    res = get_pool().render(BARS)
    sem = sem_of(res)
    assert [b["value"] for b in sem["axes"][0]["bars"]] == [3.5, 12.25, 7.0]
    assert validate_semantic(sem, res.images[0].width, res.images[0].height) == sem


@pytest.mark.parametrize("bad", ["fig.savefig(output_dir + '/x.png')\nimport matplotlib.axes"])
def test_capture_is_best_effort(bad):
    res = render_inprocess("fig, ax = plt.subplots()\nax.bar(['a'], [1])\n" + bad)
    assert res.ok and sem_of(res)["axes"][0]["bars"][0]["value"] == 1.0


def test_many_points_are_capped_and_marked_truncated():
    res = render_inprocess("fig, ax = plt.subplots()\nfor k in range(12):\n"
                           "    ax.plot(np.arange(3000), np.arange(3000) * 0.5 + k)\n")
    sem = sem_of(res)
    lines = sem["axes"][0]["lines"]
    assert len(lines) == 12 and sem.get("truncated") is True
    assert sum(len(ln["points"]) for ln in lines) == 20000 and lines[0]["points"][2999] == [2999.0, 1499.5]
