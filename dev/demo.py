"""`make demo`: run the bundled example workflow through a real ComfyUI server.

Starts the ComfyUI that dev/bootstrap.sh installed, with this pack mounted, on 127.0.0.1,
converts example_workflows/Chart from code.json (UI format) to an API prompt with the server's
/object_info, queues it through /prompt, fetches the images through /view and writes them to
demo-output/ (or the folder given as the first argument). Needs no model weights.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from harness import ComfyServer, execution_error, images_of  # noqa: E402
from workflow_convert import convert  # noqa: E402

WORKFLOW = REPO / "example_workflows" / "Chart from code.json"


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "demo-output").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coco-demo-") as root:
        server = ComfyServer(Path(root))
        print(f"starting ComfyUI on {server.url} ...", flush=True)
        server.start()
        try:
            prompt = convert(json.loads(WORKFLOW.read_text()), server.object_info())
            entry = server.run(prompt, timeout=300)
            err = execution_error(entry)
            if err:
                print(f"workflow failed in {err.get('node_type')}: {err.get('exception_message')}", file=sys.stderr)
                return 1
            written = []
            for image in images_of(entry):
                if image.get("type") != "output":
                    continue
                path = out_dir / image["filename"]
                path.write_bytes(server.view(image))
                written.append(path)
        finally:
            server.stop()
    if not written:
        print("the workflow produced no image", file=sys.stderr)
        return 1
    for p in written:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
