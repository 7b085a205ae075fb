"""Model-agnostic half of CoCo_CodeGen: backend protocol and the local decoding loop that drives a
model's ``start``/``step`` (``backend``), the LogitsModel views of local models and the backend
for them (``native``), prompts (``prompts``), code extraction (``extract``), the render-and-repair
loop (``repair``) and the OpenAI-compatible backend (``backends/``). Standard library at import
time (plus the stdlib-only ``models.llm.chat`` and ``models.interrupt``); torch is imported only
when a local model decodes."""
