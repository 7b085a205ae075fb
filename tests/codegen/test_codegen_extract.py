"""Code extraction from model answers."""

from __future__ import annotations

import pytest

from comfyui_coco.codegen.extract import extract_code, find_fences, split_thinking

PY = "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(4, 3), dpi=100)\nfig.savefig('a.png')\n"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><text x="5" y="20">Hi</text></svg>'


@pytest.mark.parametrize("label", ["python", "py", "Python", "python3", "py3", ""])
def test_fenced_python_labels(label):
    got = extract_code(f"Here is the code:\n```{label}\n{PY}```\nEnjoy!", "python")
    assert got.code == PY and got.language == "python" and got.source == "fence"


@pytest.mark.parametrize("label", ["svg", "xml", "html", ""])
def test_fenced_svg_labels(label):
    got = extract_code(f"Sure.\n```{label}\n{SVG}\n```\n", "svg")
    assert got.code.strip() == SVG and got.language == "svg" and got.source == "fence"


def test_svg_fence_with_xml_prolog_and_trailing_prose_inside():
    txt = f'```xml\n<?xml version="1.0"?>\n{SVG}\nThat draws it.\n```'
    got = extract_code(txt, "svg")
    assert got.code.startswith("<?xml") and got.code.rstrip().endswith("</svg>") and "draws" not in got.code


def test_raw_svg_without_fence():
    got = extract_code(f"The image:\n{SVG}\nI hope you like it.", "svg")
    assert got.code.strip() == SVG and got.source == "raw-svg"


def test_multiple_fences_picks_longest_parsing_python():
    txt = ("First install:\n```bash\npip install matplotlib\n```\n"
           "A sketch:\n```python\nimport numpy as np\n```\n"
           f"The full program:\n```python\n{PY}```\n"
           "Output:\n```\n<Figure size 400x300>\n```\n")
    got = extract_code(txt, "python")
    assert got.code == PY


def test_parsing_block_beats_longer_broken_block():
    broken = "import matplotlib.pyplot as plt\nfor i in range(3)\n    print(i)\n" * 3
    txt = f"```python\n{broken}```\nfixed:\n```python\n{PY}```"
    assert extract_code(txt, "python").code == PY


def test_language_choice_between_python_and_svg_fences():
    txt = f"```python\n{PY}```\nor as SVG:\n```svg\n{SVG}\n```"
    assert extract_code(txt, "python").code == PY
    assert extract_code(txt, "svg").code.strip() == SVG


def test_mismatched_language_falls_back_with_a_note():
    got = extract_code(f"```svg\n{SVG}\n```", "python")
    assert got.language == "svg" and "not python" in got.note


def test_think_block_is_removed():
    txt = f"<think>I could use ```python\nimport os\n``` but better:</think>\n```python\n{PY}```"
    got = extract_code(txt, "python")
    assert got.code == PY
    answer, thinking = split_thinking(txt)
    assert "import os" in thinking and "<think>" not in answer


def test_code_only_inside_think_is_still_found():
    got = extract_code(f"<think>plan\n```python\n{PY}```\n</think>", "python")
    assert got.code == PY and "inside <think>" in got.note


def test_lone_closing_think_and_unclosed_think():
    assert extract_code(f"planning...</think>\n```python\n{PY}```", "python").code == PY
    answer, thinking = split_thinking(f"```python\n{PY}```\n<think>more thoughts that never end")
    assert "never end" in thinking and "never end" not in answer


def test_truncated_fence_without_closing():
    txt = f"Here:\n```python\n{PY}ax = fig.add_subplot(111)\n"
    got = extract_code(txt, "python")
    assert got.source == "fence-unclosed" and got.code.startswith("import matplotlib") and "add_subplot" in got.code


def test_truncated_svg():
    got = extract_code('```svg\n<svg width="10" height="10"><rect width="5"', "svg")
    assert got.code.startswith("<svg") and got.source == "fence-unclosed"


def test_crlf_and_tildes():
    txt = f"~~~python\r\n{PY.replace(chr(10), chr(13) + chr(10))}~~~\r\n"
    got = extract_code(txt, "python")
    assert got.code == PY and "\r" not in got.code


def test_indented_fence_in_a_list_item():
    body = "".join("    " + ln + "\n" for ln in PY.splitlines())
    txt = f"1. Run this:\n\n    ```python\n{body}    ```\n"
    assert extract_code(txt, "python").code == PY


def test_uniform_and_first_line_indentation():
    ind = "".join("        " + ln + "\n" for ln in PY.splitlines())
    assert extract_code(f"```python\n{ind}```", "python").code == PY
    first = "    " + PY
    assert extract_code(f"```python\n{first}```", "python").code == PY


def test_longer_fence_contains_inner_triple_backticks():
    inner = 'doc = """\n```\nnot a fence end\n```\n"""\n' + PY
    got = extract_code(f"````python\n{inner}````", "python")
    assert got.code == inner


def test_prose_only_answer_with_code_lines():
    txt = ("Sure! To draw this you can write the following.\n"
           "import matplotlib.pyplot as plt\n"
           "fig, ax = plt.subplots(figsize=(6, 4), dpi=100)\n"
           "ax.text(0.5, 0.5, 'Sale 50%',\n"
           "        ha='center')\n"
           "fig.savefig('out.png')\n"
           "This saves the image. Let me know if you need changes!")
    got = extract_code(txt, "python")
    assert got.source == "prose"
    assert got.code.startswith("import matplotlib") and got.code.rstrip().endswith("fig.savefig('out.png')")


def test_nothing_found():
    got = extract_code("I cannot draw that, sorry.", "python")
    assert not got and got.source == "none" and got.code == ""
    assert not extract_code("", "svg")


def test_unlabelled_output_block_is_not_code():
    got = extract_code("Result:\n```\nThe chart shows three bars, one per year.\n```", "python")
    assert not got
    assert not extract_code("Output:\n```\nhello\n```", "python")


def test_python_that_writes_svg_stays_python():
    code = f"svg = '''{SVG}'''\nopen('x.svg', 'w').write(svg)\n"
    got = extract_code(f"```python\n{code}```", "python")
    assert got.code == code and got.language == "python"


def test_find_fences_reports_closed_state():
    blocks = find_fences("```py\na=1\n```\ntext\n```svg\n<svg")
    assert [(b.label, b.closed) for b in blocks] == [("py", True), ("svg", False)]


def test_non_ascii_text_is_kept_exactly():
    code = "import matplotlib.pyplot as plt\nplt.text(0, 0, '¡Hola! 漢字 – 50 %')\n"
    assert extract_code(f"```python\n{code}```").code == code


def test_closing_fence_glued_to_the_last_line():
    got = extract_code("```python\nimport os\nx = os.sep```\nThat's all.", "python")
    assert got.code == "import os\nx = os.sep\n" and got.source == "fence"
