"""Model-agnostic half of CoCo_CodeGen: backend protocol and local decoding loop (``backend``),
prompts (``prompts``), code extraction (``extract``) and the render-and-repair loop (``repair``).
Standard library at import time; torch is imported only when a local model decodes."""
