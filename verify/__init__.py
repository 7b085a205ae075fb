"""Inspect a rendered draft against its prompt (CoCo's "verification", PSIR's Inspect step).

App code with no ComfyUI or torch import at module level:

* ``spec``    — our spec format (required text, chart/table/graph structure) and the exact
                structure checks against the sandbox's semantic layout;
* ``layout``  — reads the draft's texts/canvas from a layout (semantic, or the plain ``elements``);
* ``checks``  — exact layout checks: required text, missing glyphs, overlap, clipping, small text;
* ``ocr``     — optional OCR engines (Tesseract for Latin scripts, RapidOCR for CJK);
* ``inspector`` — runs every check and turns the findings into ``passed``, ``score`` and a critique.
"""
