# Two commands matter: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# PostgreSQL for tests unless DATABASE_URL is given (set it empty for SQLite: `DATABASE_URL= make test`).
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dhr_tracker
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint format install services chromium nginx bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	env -u DATABASE_URL $(PY) manage.py migrate --noinput
	env -u DATABASE_URL $(PY) manage.py seed_demo
	env -u DATABASE_URL $(PY) manage.py runserver 127.0.0.1:8000

# Start PostgreSQL and Redis if this machine has them stopped.
services:
	@if [ -n "$(DATABASE_URL)" ] && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
		for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; fi
	@if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then \
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/ci.log; \
		for i in $$(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done; fi

# The browser tests drive Debian's Chromium; never a browser downloaded from elsewhere.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The deployment tests run Debian's nginx in front of gunicorn (tests/deploy/test_nginx_live.py).
nginx:
	@test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	env -u DATABASE_URL $(VENV)/bin/mypy
	env -u DATABASE_URL $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install chromium nginx services lint
	# A fresh test database every time: a database left by an earlier or interrupted run must not leak in.
	# Two processes (pytest-xdist), one per core of the machines this runs on; each has its own test
	# database and Redis database (tests/settings.py).
	DATABASE_URL="$(DATABASE_URL)" TEST_REDIS_URL="$(TEST_REDIS_URL)" $(VENV)/bin/pytest --create-db -n 2

# Benchmarks print their figures; they are never part of `make test`.
bench: install services
	$(PY) bench/audit_bench.py
	$(PY) bench/sharing_bench.py
	$(PY) bench/reviews_bench.py
	$(PY) bench/import_bench.py
	$(PY) bench/combined_bench.py
	$(PY) bench/anonymisation_recall.py
	$(PY) bench/load_bench.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
