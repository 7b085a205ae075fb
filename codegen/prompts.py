"""Prompts for code-as-chain-of-thought drawing.

Two conventions:

* ``chat`` (OpenAI-compatible servers, local Qwen2 chat models): role messages; the backend or the
  server applies the chat template.
* ``coco`` (the CoCo/BAGEL model): the same messages become bare ``<|im_start|>…<|im_end|>``
  segments without role headers (BAGEL's ``prepare_prompts``). Think mode prefills BAGEL's own
  think system prompt verbatim as the first segment. CoCo's real training prompt is not public
  (notes/bagel.md §5): the editable system prompt is one more segment; clear it to send the bare
  user prompt only.

The drawing conventions follow CoCo's sandbox: the program writes its image file(s) into the
predefined variable ``output_dir``; ``plt``, ``np``, ``Image`` etc. are available but imports are
still written out so the code also runs elsewhere.
"""

from __future__ import annotations

LANGUAGES = ("python", "svg")

DEFAULT_SYSTEM_PROMPT = """\
You are a precise illustrator who draws by writing code. Turn the user's request into ONE complete,
runnable program that renders the image deterministically. The program is your plan: a reader
should see from it where every element goes.

Rules:
1. Plan first, as comments at the top of the program: canvas size, a grid or coordinates for every
   region, reading order, colours, and every text string that will appear.
2. Use an explicit canvas of at most 2048 pixels per side and 4 megapixels in all. Python:
   fig = plt.figure(figsize=(W, H), dpi=D), e.g. figsize=(10.24, 10.24), dpi=100 for 1024x1024,
   or a PIL Image of an explicit size.
   SVG: an <svg> root with width, height and viewBox, e.g. width="1024" height="1024".
3. Reproduce every quoted text, number, label, date and name from the request exactly, with the
   same spelling, capitalisation and digits. Do not invent extra text. Give text enough space:
   nothing may overlap or run off the canvas.
4. Python: use matplotlib and/or PIL (and numpy) only. Write all imports. Save the final image into
   the existing directory held by the variable output_dir, e.g.
   fig.savefig(os.path.join(output_dir, "draft.png"), dpi=D); do not call plt.show().
   Never read files, use the network, start processes or read environment variables.
5. SVG: one self-contained <svg> document; no scripts, no external images, fonts or links.
6. Answer with the program in a single fenced code block (```python or ```svg) and nothing after it.
"""

LANGUAGE_RULES = {
    "python": ("Write the program in Python (matplotlib/PIL). Save the image into output_dir. "
               "Answer with one ```python block."),
    "svg": ("Write the image as one SVG document (width, height and viewBox set). "
            "Answer with one ```svg block."),
}

# BAGEL's think system prompts, verbatim (inferencer.py; each first line ends with a space).
BAGEL_GEN_THINK_SYSTEM_PROMPT = (
    "You should first think about the planning process in the mind and then generate the image. \n"
    "The planning process is enclosed within <think> </think> tags, i.e. <think> planning process here </think> "
    "image here"
)
BAGEL_VLM_THINK_SYSTEM_PROMPT = (
    "You should first think about the reasoning process in the mind and then provide the user with the answer. \n"
    "The reasoning process is enclosed within <think> </think> tags, i.e. <think> reasoning process here </think> "
    "answer here"
)

CHAT_THINK_RULE = ("First think step by step about the layout inside <think> </think> tags, then give the "
                   "complete program.")


def user_message(prompt: str, language: str) -> str:
    if language not in LANGUAGE_RULES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return f"{prompt.strip()}\n\n{LANGUAGE_RULES[language]}"


def build_messages(prompt: str, language: str, system_prompt: str, style: str, think: bool = False) -> list[dict]:
    """The first-round messages for a backend of the given prompt ``style``."""
    if not prompt or not prompt.strip():
        raise ValueError("the prompt is empty")
    msgs: list[dict] = []
    system = (system_prompt or "").strip()
    if style == "coco":
        # Bare segments; BAGEL's think prompt comes first, as in its inferencer.
        if think:
            msgs.append({"role": "system", "content": BAGEL_GEN_THINK_SYSTEM_PROMPT})
        if system:
            msgs.append({"role": "system", "content": system})
        msgs.append({"role": "user", "content": user_message(prompt, language)})
        return msgs
    if style != "chat":
        raise ValueError(f"unknown prompt style {style!r}")
    if think:
        system = (system + "\n\n" + CHAT_THINK_RULE).strip()
    if system:
        msgs.append({"role": "system", "content": system})
    msgs.append({"role": "user", "content": user_message(prompt, language)})
    return msgs


def fence(code: str, language: str) -> str:
    return f"```{language}\n{code.rstrip()}\n```"


def repair_request(error_report: str, language: str) -> str:
    what = "program" if language == "python" else "SVG document"
    return (f"Running your {what} in the sandbox failed:\n\n{error_report.strip()}\n\n"
            f"Fix the error and answer with the complete corrected {what} (not a diff) in one "
            f"```{language} block. Keep the layout, every text string and every number unchanged "
            "unless they caused the error.")


def repair_messages(base: list[dict], failed_code: str, error_report: str, language: str) -> list[dict]:
    """``base`` (the first-round messages) + the failing code as the assistant's answer + the error."""
    return [*base,
            {"role": "assistant", "content": fence(failed_code, language)},
            {"role": "user", "content": repair_request(error_report, language)}]


def correction_request(critique: str, language: str, score: float | None = None) -> str:
    """The inspector's findings on a draft that rendered, asking for the corrected program."""
    what = "program" if language == "python" else "SVG document"
    head = "The draft your " + what + " rendered was inspected against the request"
    if score is not None:
        head += f" (score {score:.2f} of 1)"
    return (f"{head}. These problems were found:\n\n{critique.strip()}\n\n"
            f"Fix every problem and answer with the complete corrected {what} (not a diff) in one "
            f"```{language} block. Keep everything that is already right unchanged.")


def correction_messages(base: list[dict], code: str, critique: str, language: str,
                        score: float | None = None) -> list[dict]:
    """``base`` + the inspected code as the assistant's answer + the findings."""
    return [*base,
            {"role": "assistant", "content": fence(code, language)},
            {"role": "user", "content": correction_request(critique, language, score=score)}]


FILES_HEAD_LINES = 6
FILES_HEAD_CHARS = 600


def describe_files(files) -> str:
    """What the model must know about the user's input files (``[(name, bytes)]``): each file's name
    and size, the head of every table/text, the shape of JSON, an image's size, a module's names.
    The program finds them in its working directory under these names."""
    if not files:
        return ""
    parts = ["These files are in the program's working directory (open them by these exact names; they are "
             "read-only):"]
    for name, data in files:
        parts.append(f"- {name} ({len(data)} bytes){_file_summary(name, bytes(data))}")
    return "\n".join(parts)


def _text_head(data: bytes) -> str:
    text = data[:FILES_HEAD_CHARS * 2].decode("utf-8", "replace")
    lines = text.splitlines()[:FILES_HEAD_LINES]
    return "\n".join("    " + ln[:200] for ln in lines)


def _file_summary(name: str, data: bytes) -> str:
    low = name.lower()
    try:
        if low.endswith((".csv", ".tsv", ".txt", ".dat", ".mplstyle")):
            n = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
            kind = {".csv": "table", ".tsv": "table (tab-separated)", ".mplstyle": "matplotlib style file, use "
                    "plt.style.use(\"" + name + "\")"}.get(low[low.rfind("."):], "text")
            return f", {kind}, {n} lines; first lines:\n{_text_head(data)}"
        if low.endswith(".json"):
            import json

            obj = json.loads(data.decode("utf-8"))
            if isinstance(obj, dict):
                shape = "object with keys " + ", ".join(repr(k) for k in list(obj)[:20])
            elif isinstance(obj, list):
                shape = f"list of {len(obj)} items" + (
                    ", the first: " + json.dumps(obj[0], ensure_ascii=False)[:300] if obj else "")
            else:
                shape = type(obj).__name__
            return f", JSON {shape}"
        if low.endswith(".py"):
            import ast

            tree = ast.parse(data.decode("utf-8", "replace"))
            names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
            names += [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                      if isinstance(t, ast.Name)]
            mod = name[:-3]
            return f", helper module: `import {mod}`" + (f"; defines {', '.join(names[:20])}" if names else "")
        if low.endswith((".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")):
            import io as _io

            from PIL import Image

            with Image.open(_io.BytesIO(data)) as im:
                return f", image {im.size[0]}x{im.size[1]} px ({im.mode})"
        if low.endswith(".svg"):
            return ", SVG image"
    except Exception as e:  # a summary is a courtesy: never fail the generation for it
        return f" (could not be read: {type(e).__name__})"
    return ""
