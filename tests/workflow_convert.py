"""UI-format (litegraph) workflow -> API-format prompt, using a live server's /object_info.

Our own small converter for the tests, following what the frontend's graphToPrompt does for the
cases our workflows use: widgets_values mapped positionally onto widget inputs in schema order,
the control_after_generate value after a seed skipped, links resolved, UI-only nodes dropped,
muted nodes dropped and bypassed nodes passed through.
"""

from __future__ import annotations

WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
UI_ONLY = {"Note", "MarkdownNote", "PrimitiveNode", "Reroute"}
MUTED, BYPASS = 2, 4


def _ordered_inputs(info: dict) -> list[tuple[str, object, dict]]:
    order = info.get("input_order", {})
    out = []
    for section in ("required", "optional"):
        spec = info.get("input", {}).get(section, {})
        names = order.get(section, list(spec))
        for name in names:
            entry = spec[name]
            typ = entry[0]
            opts = entry[1] if len(entry) > 1 and isinstance(entry[1], dict) else {}
            out.append((name, typ, opts))
    return out


def _is_widget(typ, opts) -> bool:
    if opts.get("forceInput"):
        return False
    return isinstance(typ, list) or typ in WIDGET_TYPES


def _has_control(name: str, typ, opts) -> bool:
    if "control_after_generate" in opts:
        return bool(opts["control_after_generate"])
    return typ == "INT" and name in ("seed", "noise_seed")


def convert(workflow: dict, object_info: dict) -> dict:
    nodes = {n["id"]: n for n in workflow["nodes"]}
    links = {l[0]: l for l in workflow.get("links", [])}

    def source(link_id):
        """Follow a link back through bypassed nodes and reroutes to a real output."""
        _, origin, slot, *_ = links[link_id]
        node = nodes[origin]
        while node.get("mode") == BYPASS or node["type"] == "Reroute":
            # pass-through: the first input of the same type carries the value
            out_type = node["outputs"][slot]["type"]
            nxt = next((i for i in node.get("inputs", []) if i.get("link") is not None
                        and (i["type"] == out_type or node["type"] == "Reroute")), None)
            if nxt is None:
                return None
            _, origin, slot, *_ = links[nxt["link"]]
            node = nodes[origin]
        return [str(node["id"]), slot]

    prompt = {}
    for node in workflow["nodes"]:
        if node["type"] in UI_ONLY or node.get("mode") in (MUTED, BYPASS):
            continue
        info = object_info[node["type"]]
        values = list(node.get("widgets_values") or [])
        linked = {i["name"]: i["link"] for i in node.get("inputs", []) if i.get("link") is not None}
        inputs = {}
        for name, typ, opts in _ordered_inputs(info):
            if _is_widget(typ, opts):
                if values:
                    inputs[name] = values.pop(0)
                    if _has_control(name, typ, opts) and values:
                        values.pop(0)
            if name in linked:
                src = source(linked[name])
                if src is not None:
                    inputs[name] = src
                else:
                    inputs.pop(name, None)
        prompt[str(node["id"])] = {
            "class_type": node["type"],
            "inputs": inputs,
            "_meta": {"title": node.get("title") or info.get("display_name") or node["type"]},
        }
    return prompt
