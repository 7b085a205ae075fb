"""Dataset builder: CoCo-10K-style text–code pairs and text–draft–final triplets, at scale.

``python -m dataset_builder build PROMPTS.jsonl OUT/`` (from the pack folder) runs the pipeline
(code generation → sandbox render → inspection → optional refinement through ComfyUI servers →
writing) on Ray (embedded local Ray by default, ``--address`` for a cluster) or, with
``--executor local``, on plain local sandbox pools. See docs/dataset_format.md for the format.

Import costs: ``records`` and ``store`` are standard library only (the ComfyUI node uses them);
``stages`` imports the sandbox and codegen packages; Ray is imported only by ``executors`` when a
Ray run starts. Nothing here imports ComfyUI or torch.
"""

FORMAT_NAME = "coco-dataset"
FORMAT_VERSION = 1
