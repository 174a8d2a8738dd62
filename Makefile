# DermTriage: every command works from a fresh clone; each one creates/updates the project venv at .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup setup-dev system-deps package selftest bench lint install-check screenshot clean lock

# Locked builds (issue 23): every install takes exactly the versions (and files, by sha256) in requirements/*.lock;
# `make lock` updates them on purpose. runtime.lock: the app's dependencies; dev.lock: the app with every extra
# (test, train, package, cluster) resolved together, so one venv never mixes two resolutions.
LOCK_RUNTIME := requirements/runtime.lock
LOCK_DEV     := requirements/dev.lock
PIP_COMPILE  := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

# Set up the runtime and start the app.
run: setup
	$(PY) main.py

# Set up everything (runtime, tests, training extra: torch 2.13.0 CPU, cluster extra: Ray) and run the whole
# test suite.
test: setup-dev
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

setup: $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK_RUNTIME)
	$(PY) -m pip install --quiet --no-deps -e .

setup-dev: $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK_DEV)
	$(PY) -m pip install --quiet --no-deps -e .

# Update the lock files on purpose: after changing a dependency in pyproject.toml, or to take new releases
# (then run `make test` and `make package` before committing them). pip-compile uses pip's own configuration,
# so torch 2.13.0 resolves to the CPU wheel pip is given (see README), not a CUDA build.
lock:
	rm -rf build/lock && $(PYTHON) -m venv build/lock
	build/lock/bin/python -m pip install --quiet 'pip-tools>=7.4'
	build/lock/bin/pip-compile $(PIP_COMPILE) --upgrade -o $(LOCK_RUNTIME) pyproject.toml
	build/lock/bin/pip-compile $(PIP_COMPILE) --upgrade --extra test --extra train --extra package --extra cluster \
	  -o $(LOCK_DEV) pyproject.toml

# Linux libraries Qt needs offscreen, under Xvfb and for the xcb plugin (Debian/Ubuntu; needs root).
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 \
	  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 \
	  libxcb-xinerama0 libxcb-xkb1 libxcb-randr0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libx11-xcb1 \
	  xvfb xauth fonts-dejavu-core strace icu-devtools binutils gcc desktop-file-utils

# One-folder PyInstaller build in dist/DermTriage (see build.spec), and on Debian-family systems the .deb
# that installs it with a menu entry, an icon and "Open with" (tools/build_deb.py: dist/dermtriage_*.deb).
package: setup-dev
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN build.spec
	$(PY) tools/build_deb.py

selftest: setup
	$(PY) main.py --selftest

bench: setup-dev
	$(PY) benchmarks/bench_scan.py
	$(PY) benchmarks/bench_inference.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/bench_gui.py
	$(PY) benchmarks/bench_package.py

# Style, then the layering contracts in pyproject.toml ([tool.importlinter]).
lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# `pip install .` (not editable) into a fresh venv, then run the installed command from another folder.
install-check:
	rm -rf build/install-check && $(PYTHON) -m venv build/install-check/venv
	build/install-check/venv/bin/python -m pip install --quiet --require-hashes -r $(LOCK_RUNTIME)
	build/install-check/venv/bin/python -m pip install --quiet --no-deps .
	cd build/install-check && QT_QPA_PLATFORM=offscreen venv/bin/dermtriage --selftest
	cd build/install-check && venv/bin/dermtriage scan $(CURDIR)/assets/samples --out scan.csv --quiet
	test "$$(wc -l < build/install-check/scan.csv)" -gt 1

screenshot: setup-dev
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) docs/screenshot.py
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) docs/screenshot.py --heatmap --out docs/screenshot_heatmap.png
	for s in 1024x700 1366x768 1920x1080; do \
		xvfb-run -a -s "-screen 0 $${s}x24" $(PY) docs/screenshot.py --fit --out docs/screenshot_$$s.png; \
	done

clean:
	rm -rf build dist
