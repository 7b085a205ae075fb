"""Evaluation harness: run prompt sets (LongText-Bench, OneIG-Bench text, GenEval metadata, our
spec format) through a ComfyUI workflow or the drawing-only path, score them with the official
rules (``rules``), OCR (``verify.ocr``) and structure checks (``verify.spec``), and write an HTML,
JSON and text report. ``python -m evaluation --help`` from the pack folder; the CoCo_Evaluate node
uses the same scoring (``scoring``) for one image in a graph.

Arrows: evaluation imports sandbox/, verify/ (and codegen/ if ever needed); only nodes/evaluate.py
and this package's command line import evaluation. No torch or ComfyUI import here.
"""
