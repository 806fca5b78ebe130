# Tollgate: `make run` and `make test` work on a fresh Debian 12 machine (root or a sudo-capable user).
.PHONY: all deps build web run dev test test-faults fuzz unit functional e2e bench fmt lint clean help

SHELL := /bin/bash
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

help:
	@echo "make run     install what is missing, build, start embedded PostgreSQL, serve on http://localhost:3001"
	@echo "make test    install, build, run unit + functional (asan build) + web + fault + browser tests and a fuzz"
	@echo "             smoke; ends with 'N passed, N failed'"
	@echo "make test-faults  the fault suite: kill/pause PostgreSQL, Redis, SMTP, Stripe and Tollgate under load, soak"
	@echo "make fuzz    libFuzzer harnesses (clang) for every parser of untrusted input, 60 s each"
	@echo "make dev     server on :3001 plus the Vite dev server on :5173 with hot reload"
	@echo "make bench   /healthz against a bare Beast server; writes bench/RESULTS.md"
	@echo "make fmt     clang-format the C++ sources"
	@echo "make lint    clang-format check, clang-tidy on changed files, eslint + tsc"

all: build

deps:
	@scripts/deps.sh

build: deps
	@source scripts/lib.sh && configure_build release
	cmake --build build/release --target tollgate
	cd web && npm run --silent build
	@ln -sf build/release/tollgate tollgate

run: build
	@scripts/run.sh

dev: deps
	@source scripts/lib.sh && configure_build release
	cmake --build build/release --target tollgate
	@scripts/dev.sh

test:
	@scripts/test.sh

test-faults:
	@scripts/test-faults.sh

fuzz: deps
	@scripts/fuzz.sh 60

bench: deps
	@source scripts/lib.sh && configure_build release
	cmake --build build/release --target tollgate bench_hello
	bench/all.sh build/release/bench/bench_hello build/release/tollgate

fmt:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

lint: deps
	@scripts/deps.sh --test
	@source scripts/lib.sh && configure_build release && cmake --build build/release --target tollgate_core >/dev/null
	@scripts/lint.sh

clean:
	rm -rf build web/dist tollgate
