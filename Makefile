# Quick start: `make train` (the main job) and `make test` (ruff + the test suite).
# Each creates .venv and installs the pinned requirements on first use.
#   PYTHON=python3.12   the interpreter that creates .venv (3.11 or newer; default python3.11)
#   ACCEL=cuda12|tpu    also install the CUDA 12 or TPU build of the pinned jaxlib
#                       (requirements-cuda12.txt / requirements-tpu.txt; default: CPU only)
PYTHON ?= python3.11
ACCEL ?=
VENV ?= .venv
PY := $(VENV)/bin/python
CONFIG ?= experiments/configs/playhouse_find.py
WORKDIR ?= runs/playhouse_find
# The lock to install: requirements.txt, or the accelerator's lock that extends it.
REQUIREMENTS := requirements$(if $(ACCEL),-$(ACCEL)).txt
STAMP := $(VENV)/.installed$(if $(ACCEL),-$(ACCEL))
ifeq ($(wildcard $(REQUIREMENTS)),)
$(error ACCEL=$(ACCEL) names no lock file ($(REQUIREMENTS) does not exist): use ACCEL=cuda12, ACCEL=tpu, or no ACCEL for the CPU build)
endif

.PHONY: install install-test train test lint bench tensorboard study-lift-sizes web-clips

$(STAMP): requirements.txt setup.py $(REQUIREMENTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r $(REQUIREMENTS)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(STAMP) requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

install: $(STAMP)
install-test: $(VENV)/.installed-test

train: install
	$(PY) -m experiments.train --config=$(CONFIG) --workdir=$(WORKDIR)

test: install-test
	$(PY) -m ruff check .
	$(PY) -m pytest -q -n 2 --dist worksteal

# The TensorBoard viewer (installed by `make install-test`) on every run under runs/.
tensorboard: install-test
	$(VENV)/bin/tensorboard --logdir runs

lint: install-test
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench: install-test
	for b in reward_throughput env_throughput agent_throughput train_throughput pretrain_batches; do \
	  $(PY) benchmarks/$$b.py --out benchmarks/results/$$b.json; done
	$(PY) benchmarks/clip_sizes.py

# The CLIP-size study on Lift (README, "CLIP size on Lift"): each size's CLIP (skipped where its
# model exists), one threshold rule, 4 sizes x 3 seeds; table and Q3 plot in runs/lift_sizes/report.
SIZES ?= XS S M L
study-lift-sizes: install
	for s in $(SIZES); do test -d runs/pretrain_clip/$$s/model || \
	  $(PY) -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:$$s \
	  $$(test -d runs/pretrain_clip/$$s/checkpoints && echo --resume) || exit 1; done
	$(PY) -c "import json, sys; m = json.load(open(sys.argv[1]))['models']; \
	  sys.exit(any(s not in m for s in sys.argv[2:]))" runs/lift_sizes/calibration.json $(SIZES) \
	  2>/dev/null || $(PY) -m experiments.analysis.calibrate --overwrite \
	  --config=experiments/configs/playhouse_lift.py --out=runs/lift_sizes/calibration.json \
	  --models=$$(for s in $(SIZES); do printf "$$s=runs/pretrain_clip/$$s/model,"; done)
	$(PY) -m experiments.sweep --config=experiments/configs/playhouse_lift.py \
	  --sweep=studies/lift_sizes/sweep.py --workdir=runs/lift_sizes/sweep
	$(PY) -m experiments.analysis.scaling_report --calibration=runs/lift_sizes/calibration.json \
	  --results=runs/lift_sizes/sweep/results.json --out=runs/lift_sizes/report

# The off-the-shelf CLIP family (studies/web_clip): each size pretrained on the web stand-in
# corpus only and exported where `load_clip("web-<size>")` finds it (web-S ships). Sizes whose
# model exists are skipped; WEB_SIZES=M builds one.
WEB_SIZES ?= XXS XS M
web-clips: install
	for s in $(WEB_SIZES); do test -f vlm_rewards/assets/web_$$s/config.json || \
	  $(PY) -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:$$s,web \
	  --config.export_dir=vlm_rewards/assets/web_$$s \
	  $$(test -d runs/pretrain_clip/web/$$s/checkpoints && echo --resume) || exit 1; done
