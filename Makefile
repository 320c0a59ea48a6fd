# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 3000
# The playground's browser test drives Debian's Chromium (tests/browser.py).
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint smoke doctor bench-zoom bench-ask bench-fanout bench-standing

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	$(BIN)/seminar-bot db upgrade
	$(BIN)/seminar-bot serve --port $(PORT)

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 4

# Installed where the distribution's apt-get can (as root, or through sudo without a password);
# anywhere else `make test` says how, and the browser test is skipped with the same reason.
APT_CHROMIUM := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
$(CHROMIUM):
	@if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make: no apt-get here: install Chromium at $(CHROMIUM) for the playground's browser test"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  sh -c '$(APT_CHROMIUM)'; \
	else \
	  sudo -n sh -c '$(APT_CHROMIUM)' || \
	  echo "make: run 'sudo apt-get install chromium' for the playground's browser test"; \
	fi

# The container's install and start commands in a fresh venv (see README "Deployment").
smoke:
	bash deploy/smoke.sh

doctor: $(STAMP)
	$(BIN)/seminar-bot doctor

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Benchmarks print their figures (and save them to bench/results/); see README "Benchmarks".
bench-zoom: $(STAMP)
	$(BIN)/python -m bench.zoom_storm $(ARGS)

bench-ask: $(STAMP)
	$(BIN)/python -m bench.slack_ack $(ARGS)

bench-fanout: $(STAMP)
	$(BIN)/python -m bench.fanout $(ARGS)

bench-standing: $(STAMP)
	$(BIN)/python -m bench.standing $(ARGS)
