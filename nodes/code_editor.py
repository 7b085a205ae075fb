"""CoCo_CodeEditor: the drawing code as an editable widget.

The node outputs the code to run: the editor's text when the user has written or edited it,
otherwise the code arriving on the optional ``upstream_code`` input (from CoCo_CodeGen). Clearing
the editor returns to following the upstream code. The upstream code is echoed to the UI so the
editor can show it. The optional ``files`` input (COCO_FILES) is not used by the run itself: it tells
the editor's live preview which CoCo_InputFiles node's files to send with the preview request.
"""

from __future__ import annotations

from comfy_api.latest import io

from .input_files import CocoFiles

NODE_ID = "CoCo_CodeEditor"


def choose_code(editor_text: str, upstream_code: str | None) -> str:
    if editor_text is not None and editor_text.strip():
        return editor_text
    return upstream_code or ""


class CodeEditor(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=NODE_ID,
            display_name="CoCo Code Editor",
            category="CoCo/code",
            description=(
                "Holds the drawing code (Python matplotlib/PIL or SVG) that CoCo_SandboxRender turns into "
                "a draft. Type or paste code here, or connect CoCo_CodeGen to 'upstream_code': the editor's "
                "text wins when it is not empty; clear it to follow the upstream code again."
            ),
            inputs=[
                io.String.Input(
                    "code", multiline=True, default="", dynamic_prompts=False,
                    tooltip="Drawing code to run. When not empty it replaces the upstream code; "
                            "leave empty to pass 'upstream_code' through unchanged.",
                ),
                io.String.Input(
                    "upstream_code", optional=True, force_input=True,
                    tooltip="Code from CoCo_CodeGen (or any STRING). Used when the editor is empty.",
                ),
                CocoFiles.Input(
                    "files", optional=True,
                    tooltip="Optional: the CoCo Input Files node whose files the code reads, so that the live "
                            "preview sees them too (connect the same node to CoCo Sandbox Render for the run).",
                ),
            ],
            outputs=[io.String.Output("code_out", display_name="code", tooltip="The code to render.")],
        )

    @classmethod
    def execute(cls, code: str, upstream_code: str | None = None, files=None) -> io.NodeOutput:
        out = choose_code(code, upstream_code)
        used = "editor" if code and code.strip() else "upstream"
        ui = {"upstream_code": [upstream_code or ""], "used": [used]}
        return io.NodeOutput(out, ui=ui)


NODES = [CodeEditor]
