# Build, test and demo entry points. Tests and the demo run against the
# PostgreSQL from DATABASE_URL/PGHOST, or a private throwaway cluster
# (scripts/with-postgres). `make` alone lists the targets.

SWIFT ?= swift

.DEFAULT_GOAL := help
.PHONY: help deps build test demo bench clean

help:
	@echo "Targets:"
	@echo "  make deps    install prerequisites (pkg-config, libpq headers, PostgreSQL server)"
	@echo "  make build   debug build (swift build)"
	@echo "  make test    build the tests and run them against PostgreSQL"
	@echo "  make demo    build and run scripts/demo against PostgreSQL"
	@echo "  make bench   release build; run the store, disbursements and read-side (projections) benchmarks"
	@echo "  make clean   remove build products (.build)"

deps:
	@scripts/install-deps || { rc=$$?; echo "make: FAILED at step 'deps' (scripts/install-deps, exit $$rc)" >&2; exit $$rc; }

build: deps
	$(SWIFT) build

# Each step says which one failed, so CI logs point at the right place.
test: deps
	@echo "==> make test: swift build --build-tests" >&2
	@$(SWIFT) build --build-tests || { rc=$$?; echo "make test: FAILED at step 'swift build --build-tests' (exit $$rc)" >&2; exit $$rc; }
	@echo "==> make test: scripts/with-postgres swift test --skip-build" >&2
	@scripts/with-postgres $(SWIFT) test --skip-build || { rc=$$?; echo "make test: FAILED at step 'swift test' (exit $$rc)" >&2; exit $$rc; }

demo: deps build
	scripts/with-postgres scripts/demo

bench: deps
	$(SWIFT) build -c release
	scripts/with-postgres sh -c ".build/release/ledger-bench store && .build/release/ledger-bench disbursements && .build/release/ledger-bench projections"

clean:
	rm -rf .build
