"""Trust of drawing code and of the texts that shape it: the ONE approval gate of the pack.

Threat: where the sandbox cannot keep code away from the user's files and the network (tiers
"none" — Windows, Linux without kernel layers — and "partial" — macOS, untested), anything that
decides what code runs can steal files: the code itself, and the texts a model writes code from
(prompt, system prompt, input files, upstream strings). A shared workflow carries all of these.

Rule: a text is *trusted* when this machine vouches for it, by SHA-256 of the exact text:
  * ``generated`` — code CoCo_CodeGen wrote in this ComfyUI process from trusted inputs (memory);
  * ``typed``     — typed or edited by the user on this machine (the editor extension reports it);
  * ``approved``  — read and approved by the user on this machine;
  * ``default``   — shipped with the pack (the default system prompt) or empty.
Typed and approved hashes live in ``coco_approved_code.json`` in ComfyUI's user directory — never
in a workflow, so sharing a workflow never shares trust, and a workflow cannot claim it.
On a weak tier, foreign code does not run, and code is not generated from foreign inputs, until
the user approved them. On the strong Linux tier nothing is gated.

Render node, code generator and the HTTP routes all call this module; nothing else decides.
``COCO_GATE_TIER=none|partial`` makes the gate treat the sandbox as that weak tier (it can only
make the gate stricter: for tests, and for users who want approvals everywhere).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading

from .common import CoCoError

_lock = threading.Lock()
_generated: set[str] = set()
_pending: dict[str, list[dict]] = {}  # node id -> foreign inputs of its last refused run
_FILE_NAME = "coco_approved_code.json"
MAX_TYPED = 5000  # typed-text hashes kept (oldest forgotten first)
GATE_TIER_ENV = "COCO_GATE_TIER"
_isolation_cache = None


def code_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _default_hashes() -> set[str]:
    from ..codegen.prompts import DEFAULT_SYSTEM_PROMPT

    return {code_hash(""), code_hash(DEFAULT_SYSTEM_PROMPT)}


# ---- isolation ----------------------------------------------------------------------------------

def isolation():
    """The sandbox's IsolationInfo (fixed for the process; cached because asking the pool waits
    for its lock, which a running render holds), weakened by COCO_GATE_TIER when set."""
    global _isolation_cache
    if _isolation_cache is None:
        from ..sandbox import IsolationInfo, get_pool

        real = get_pool().isolation()
        forced = os.environ.get(GATE_TIER_ENV, "").strip().lower()
        if forced in ("none", "partial"):
            real = IsolationInfo(tier=forced, layers=list(real.layers), enforces_files_network=False,
                                 description=f"{forced} (set by {GATE_TIER_ENV}; the sandbox itself: "
                                             f"{real.description})")
        _isolation_cache = real
    return _isolation_cache


def isolation_dict(iso=None) -> dict:
    iso = iso or isolation()
    return {"tier": str(iso.tier), "enforces_files_network": bool(iso.enforces_files_network),
            "description": str(iso.description)}


# ---- the store on this machine ------------------------------------------------------------------

def _store_path() -> str:
    import folder_paths

    return os.path.join(folder_paths.get_user_directory(), _FILE_NAME)


def _load() -> dict:
    try:
        with open(_store_path(), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    return {"approved_sha256": list(data.get("approved_sha256", [])),
            "typed_sha256": list(data.get("typed_sha256", []))}


def _save(data: dict) -> None:
    path = _store_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=0)
    os.replace(tmp, path)


def _add(key: str, texts, cap: int | None = None) -> list[str]:
    hashes = [code_hash(t) for t in texts]
    with _lock:
        data = _load()
        known = [h for h in data[key] if h not in hashes] + hashes
        data[key] = known[-cap:] if cap else sorted(set(known))
        _save(data)
    return hashes


def mark_generated(code: str) -> None:
    with _lock:
        _generated.add(code_hash(code))


def mark_typed(text: str) -> str:
    """The user typed or edited this text on this machine (the browser extension says so)."""
    return _add("typed_sha256", [text], cap=MAX_TYPED)[0]


def approve(text: str) -> str:
    return approve_all([text])[0]


def approve_all(texts) -> list[str]:
    hashes = _add("approved_sha256", list(texts))
    with _lock:  # approved inputs of a refused run are no longer pending
        for node, items in list(_pending.items()):
            left = [i for i in items if i["sha256"] not in hashes]
            if left:
                _pending[node] = left
            else:
                del _pending[node]
    return hashes


def trust_of(text: str) -> str | None:
    """'generated' | 'typed' | 'approved' | 'default', or None for a foreign text."""
    h = code_hash(text)
    with _lock:
        if h in _generated:
            return "generated"
        data = _load()
    if h in data["typed_sha256"]:
        return "typed"
    if h in data["approved_sha256"]:
        return "approved"
    if h in _default_hashes():
        return "default"
    return None


def is_generated_here(code: str) -> bool:
    return code_hash(code) in _generated


def is_approved(text: str) -> bool:
    """Trusted on this machine (whatever the isolation)."""
    return trust_of(text) is not None


def status(text: str, iso=None) -> dict:
    iso = iso or isolation()
    how = trust_of(text)
    return {"sha256": code_hash(text), "trust": how, "trusted": how is not None,
            "needs_approval": how is None and not iso.enforces_files_network}


# ---- the gate -----------------------------------------------------------------------------------

def code_refusal(code: str) -> dict | None:
    """None when this code may run here, else why not (JSON-ready)."""
    iso = isolation()
    if iso.enforces_files_network or is_approved(code):
        return None
    return {"error": "approval_required", "code_sha256": code_hash(code), **isolation_dict(iso),
            "message": "this code was not written or typed on this machine (it came in a workflow or from a "
                       "remote server), and the sandbox here cannot keep it from your files and the network. "
                       "Read it, then approve it."}


def require_code(node: str, code: str) -> None:
    """Raise the CoCoError a node shows when its code may not run here."""
    if code_refusal(code) is None:
        return
    raise CoCoError(
        node,
        "waiting for your approval: this code was not written or typed on this machine (it came in a workflow, "
        f"or from a remote server), and the sandbox here cannot keep it away from your files and the network "
        f"({_describe()}).",
        "read the code in CoCo_CodeEditor and press 'Approve' if you trust it (the approval stays on this "
        "machine), or run ComfyUI under Linux/WSL2/Docker where the sandbox is enforced.")


def _describe() -> str:
    try:
        return isolation().description
    except Exception as e:  # the sandbox could not start
        return f"sandbox unavailable: {type(e).__name__}: {e}"


def remote_code_refusal(local_source: bool) -> str:
    """Why CodeGen may not render (repair, inspect) code a remote server wrote, or "" when it may."""
    if local_source or isolation().enforces_files_network:
        return ""
    return ("the code comes from a remote server and the sandbox here cannot keep code away from your files and "
            f"the network ({_describe()}); it was not rendered or repaired. Review it in CoCo_CodeEditor and "
            "approve it there.")


def foreign_inputs(named: dict) -> list[dict]:
    """The inputs (name -> text) that are foreign where that matters: [] on the strong tier. Without
    a working sandbox the gate acts as on a weak tier."""
    try:
        if isolation().enforces_files_network:
            return []
    except Exception:
        pass
    return [{"name": name, "sha256": code_hash(text), "text": text}
            for name, text in named.items() if isinstance(text, str) and trust_of(text) is None]


def require_inputs(node: str, node_id, named: dict) -> None:
    """Refuse to generate code from foreign inputs on a weak tier; remember them for the UI
    (GET /coco/pending_inputs) so the user can read them in full and approve them."""
    foreign = foreign_inputs(named)
    key = str(node_id)
    with _lock:
        if foreign:
            _pending[key] = foreign
        else:
            _pending.pop(key, None)
    if not foreign:
        return
    names = ", ".join(f"'{f['name']}'" for f in foreign)
    shown = "\n".join(f"--- {f['name']} (sha256 {f['sha256'][:12]}) ---\n{_clip(f['text'])}" for f in foreign)
    raise CoCoError(
        node,
        f"waiting for your approval of {names}: these texts came with a loaded workflow or from another node "
        "(they were not typed on this machine), and code written from them could read your files or use the "
        f"network because the sandbox here does not stop that ({_describe()}).\n{shown}",
        "read the texts on the CoCo Code Gen node and press 'Approve inputs' there if you trust them (the "
        "approval is kept on this machine only, for these exact texts), or type the texts yourself; then queue again.")


def pending_inputs(node_id) -> list[dict]:
    with _lock:
        return list(_pending.get(str(node_id), []))


def _clip(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters on the node)"
