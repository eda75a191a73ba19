# IOC: `make run` starts the whole city; `make test` proves it with real parts.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Training the vision model needs torch and Ultralytics (GBs): its own environment, never the
# one the city runs in.
TRAIN_VENV := .venv-train
TRAIN_STAMP := $(TRAIN_VENV)/.installed

.PHONY: run test test-unit test-integration test-browser install browser bench clean model

run: $(STAMP)
	$(BIN)/ioc up

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "need Python 3.11 ($(PY)); set PY=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@# supervision and trackers ask for the desktop OpenCV, which needs libGL and shares the
	@# cv2 folder with the headless one: keep only the headless build, whole.
	$(BIN)/pip uninstall --quiet --yes opencv-python
	$(BIN)/pip install --quiet --force-reinstall --no-deps opencv-python-headless==5.0.0.93
	touch $(STAMP)

$(TRAIN_STAMP): pyproject.toml
	test -x $(TRAIN_VENV)/bin/python || $(PY) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/pip install --quiet --upgrade pip
	$(TRAIN_VENV)/bin/pip install --quiet -e '.[train]'
	$(TRAIN_VENV)/bin/pip uninstall --quiet --yes opencv-python
	$(TRAIN_VENV)/bin/pip install --quiet --force-reinstall --no-deps opencv-python-headless==5.0.0.93
	touch $(TRAIN_STAMP)

# Reproduces analytics/vision/model/ (the committed detector and its metrics) on the CPU.
# Two stages (analytics/vision/cli.py): from the config, then on from the first's weights.
model: $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/ioc vision train --out .data/vision-stage1
	cp .data/vision-stage1/training.json analytics/vision/model/training-stage1.json
	$(TRAIN_VENV)/bin/ioc vision train --from .data/vision-stage1/traffic-yolo.pt

# Headless Chromium for the browser tests comes from Debian (never a downloaded browser).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/ioc bench ingest

clean:
	rm -rf $(VENV) $(TRAIN_VENV) .data test-artifacts
