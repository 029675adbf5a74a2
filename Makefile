# Two commands: `make run` (set up, build the sample warehouse if needed, start the dashboard)
# and `make test` (set up, run every test). Nothing else to install.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WAREHOUSE ?= data/warehouse.duckdb
RAW := $(wildcard data/raw/*.csv)
PORT ?= 8501

.PHONY: setup run test browser warehouse bench lint clean rollup-demo

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

# Government-wide roll-up (issue 17): three differently shaped ministries, each built and
# published at "home", then accepted into the roll-up store (issue 24), rolled up from it and
# served with the submissions inbox (local mode may submit for any organisation)
DEMO := data/rollup-demo
ROLLUP_ORGS ?= MIC:20210401 MOE:7 MAFF:11
rollup-demo: setup
	@for org in $(ROLLUP_ORGS); do code=$${org%%:*}; seed=$${org##*:}; \
		$(PY) -m pipelines sample --organisation $$code --seed $$seed --out $(DEMO)/$$code/raw >/dev/null && \
		$(PY) -m pipelines build --raw $(DEMO)/$$code/raw --warehouse $(DEMO)/$$code/warehouse.duckdb >/dev/null && \
		out=$$($(PY) -m pipelines publish --raw $(DEMO)/$$code/raw \
			--warehouse $(DEMO)/$$code/warehouse.duckdb --out $(DEMO)/$$code/pack \
			--releases $(DEMO)/releases) || exit 1; \
		echo "$$out" | head -1; done
	rm -rf $(DEMO)/store
	@for org in $(ROLLUP_ORGS); do code=$${org%%:*}; \
		$(PY) -m pipelines rollup accept $(DEMO)/$$code/pack --store $(DEMO)/store \
			--submitted-by make-rollup-demo || exit 1; done
	$(PY) -m pipelines rollup --store $(DEMO)/store --out $(DEMO)/rollup.duckdb
	DTP_EDITION=rollup DTP_WAREHOUSE=$(DEMO)/rollup.duckdb DTP_ROLLUP_STORE=$(DEMO)/store \
		$(PY) -m streamlit run dashboard/app.py \
		--server.address 127.0.0.1 --server.port $(PORT) --browser.gatherUsageStats false

# Debian chromium and a CJK font for the real-browser tests, LibreOffice Impress and
# poppler-utils for the briefing packs' layout test (apt-get as root)
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi ipaexgothic \
			|| ! command -v soffice >/dev/null || ! command -v pdftotext >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				chromium fonts-ipaexfont-gothic libreoffice-impress poppler-utils >/dev/null; \
		else echo "browser and layout tests need: sudo apt-get install chromium" \
			"fonts-ipaexfont-gothic libreoffice-impress poppler-utils"; fi; \
	fi

test: setup browser
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench
	$(PY) -m bench.brief
	$(PY) -m bench rollup --packs 24 200

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(WAREHOUSE) test-artifacts
