# Two commands for a fresh machine (see README.md):
#   make demo   venv + real ComfyUI, then the bundled workflow through the live server -> demo-output/
#   make test   venv + real ComfyUI (+ browser tooling), then the whole test suite
PY := .venv/bin/python

.PHONY: bootstrap demo test bench

bootstrap:
	bash dev/bootstrap.sh

demo: bootstrap
	$(PY) dev/demo.py demo-output

test: bootstrap
	npm run --silent check
	COCO_REQUIRE_BROWSER=1 $(PY) -m pytest tests -q -p no:cacheprovider --timeout=900 -o junit_family=xunit2 --junitxml=test-artifacts/junit.xml

bench: bootstrap
	$(PY) bench/sandbox.py
	$(PY) bench/load.py
	$(PY) bench/decode.py
