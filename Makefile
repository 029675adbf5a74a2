# Two commands: `make run` (set up, build the sample warehouse if needed, start the dashboard)
# and `make test` (set up, run every test). Nothing else to install.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WAREHOUSE ?= data/warehouse.duckdb
RAW := $(wildcard data/raw/*.csv)
PORT ?= 8501

.PHONY: setup run test browser warehouse bench lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# rebuilt when missing or older than any raw file
$(WAREHOUSE): $(RAW) | setup
	DTP_WAREHOUSE=$(WAREHOUSE) $(PY) -m pipelines build --raw data/raw --warehouse $(WAREHOUSE)

warehouse: $(WAREHOUSE)

run: setup $(WAREHOUSE)
	DTP_WAREHOUSE=$(WAREHOUSE) $(PY) -m streamlit run dashboard/app.py \
		--server.address 127.0.0.1 --server.port $(PORT) --browser.gatherUsageStats false

# Debian chromium and a CJK font for the real-browser tests (apt-get as root)
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi ipaexgothic; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				chromium fonts-ipaexfont-gothic >/dev/null; \
		else echo "browser tests need: sudo apt-get install chromium fonts-ipaexfont-gothic"; fi; \
	fi

test: setup browser
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench
	$(PY) -m bench.brief

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(WAREHOUSE) test-artifacts
