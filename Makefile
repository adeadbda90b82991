# Panhuo: two commands. `make run` installs, migrates, loads the demo county and serves;
# `make test` installs and runs the whole suite on SQLite, then on PostgreSQL + Redis when they answer.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

PORT ?= 8000
# The public address printed in every document's QR code and 核验地址 (settings PANHUO["SITE_URL"]): by default the
# address `run` / `serve` answer on, so `PORT=8101 make run` prints links that open; behind a proxy set the real one.
PANHUO_SITE_URL ?= http://127.0.0.1:$(PORT)
VENV := .venv
PY := $(VENV)/bin/python
# Debian packages the project needs: CJK fonts (Noto, and for rare characters of names 花园明朝 and BabelStone Han)
# and poppler for the documents, pango/harfbuzz for WeasyPrint,
# the PostgreSQL client for looking into the database, venv for Python itself, chromium for the browser tests, and
# NSS's certutil so the tests can check signatures with poppler's pdfsig as an outside verifier does, and faketime so
# that such outside programs run at the suite's clock (tests/clock.py).
DEB_PACKAGES := fonts-noto-cjk fonts-hanazono fonts-babelstone-han poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
	postgresql-client python3-venv chromium libnss3-tools faketime
LOCAL_DATABASE_URL := postgres://postgres@127.0.0.1:5432/panhuo
LOCAL_REDIS_URL := redis://127.0.0.1:6379/15
# The suite's "now" (tests/clock.py): PANHUO_TEST_CLOCK=2027-02-10T23:30+08:00 make test runs both passes then. Unset,
# the SQLite pass runs on an ordinary working morning and the PostgreSQL pass on an awkward instant: 23:30 in Beijing
# (another date in UTC) during the 2027 春节 break.
AWKWARD_CLOCK := 2027-02-10T23:30:00+08:00

.PHONY: run test system-packages deps migrate demo lint walk bench-import serve worker beat

system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then \
	    echo "Please install these Debian/Ubuntu packages (or your system's equivalent):$$missing"; exit 1; fi; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "Installing system packages:$$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt | system-packages
	@py=$$(command -v python3.11 || command -v python3); \
	$$py -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' ; \
	[ -x $(PY) ] || $$py -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

deps: system-packages $(VENV)/.installed

migrate: deps
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py init_pki

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

run: demo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl-C to stop)"
	PANHUO_SITE_URL="$(PANHUO_SITE_URL)" $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Both passes run at once, one per core, each into its own log (printed when it ends). The browser tests and the
# benchmarks' smoke tests run in the SQLite pass only: their PostgreSQL difference is nil, and they are half a pass.
# Each pass ends with its 15 slowest tests, to keep the suite's time in view.
ONE_PASS_ONLY := browser or bench

test: deps lint
	@db="$${DATABASE_URL:-}"; redis="$${REDIS_URL:-}"; \
	if [ -z "$$db" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then db="$(LOCAL_DATABASE_URL)"; fi; \
	if [ -z "$$redis" ] && (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then redis="$(LOCAL_REDIS_URL)"; fi; \
	logs=$$(mktemp -d); start=$$(date +%s); \
	echo "== pass 1: SQLite, jobs in-process (log: $$logs/sqlite.log) =="; \
	( env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -q -p no:cacheprovider --durations=15 -m "not walk" > $$logs/sqlite.log 2>&1 ) & sqlite=$$!; \
	pg=""; \
	if [ -n "$$db" ] && [ -n "$$redis" ]; then \
	  echo "== pass 2: PostgreSQL + Redis + a real Celery worker, at $${PANHUO_TEST_CLOCK:-$(AWKWARD_CLOCK)} (log: $$logs/postgres.log) =="; \
	  ( DATABASE_URL="$$db" REDIS_URL="$$redis" PANHUO_TEST_CLOCK="$${PANHUO_TEST_CLOCK:-$(AWKWARD_CLOCK)}" \
	    $(PY) -m pytest -q -p no:cacheprovider --durations=15 -m "not ($(ONE_PASS_ONLY))" > $$logs/postgres.log 2>&1 ) & pg=$$!; \
	elif [ -n "$${CI:-}" ]; then \
	  echo "CI needs PostgreSQL and Redis for the second pass (.ci/run starts them)"; kill $$sqlite; exit 1; \
	else \
	  echo "== pass 2 skipped: no PostgreSQL/Redis answered (set DATABASE_URL and REDIS_URL) =="; \
	fi; \
	status=0; \
	wait $$sqlite || status=1; echo "== pass 1 (SQLite) =="; cat $$logs/sqlite.log; \
	if [ -n "$$pg" ]; then wait $$pg || status=1; echo "== pass 2 (PostgreSQL) =="; cat $$logs/postgres.log; fi; \
	echo "== both passes took $$(( $$(date +%s) - start )) s =="; \
	exit $$status

# A case of each lead department's area walked to 销号 in chromium (tests/browser/test_department_walks.py): minutes
# each, so not in `make test`; screenshots in artifacts/screenshots/.
walk: deps
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -q -p no:cacheprovider -m walk tests/browser

bench-import: deps
	$(PY) manage.py bench import --rows 10000

# Production processes (see README): web, worker and beat.
serve: deps
	PANHUO_SITE_URL="$(PANHUO_SITE_URL)" $(VENV)/bin/gunicorn config.wsgi --bind 0.0.0.0:$(PORT) --workers 3
worker: deps
	PANHUO_SITE_URL="$(PANHUO_SITE_URL)" $(VENV)/bin/celery -A config worker --loglevel=info
beat: deps
	$(VENV)/bin/celery -A config beat --loglevel=info
