# Build, test and demo entry points. Tests, the demo and the benchmarks run against a
# private throwaway cluster (scripts/with-postgres), never the server DATABASE_URL/PGHOST
# name; a server of your own only by opting in: LEDGER_TEST_DATABASE_URL (make test),
# LEDGER_DEMO_DATABASE_URL (make demo). `make` alone lists the targets.

SWIFT ?= swift
# The Python tools of the API tests (openapi-spec-validator, schemathesis): a venv outside the
# work tree that `make deps` (scripts/install-deps) fills and OpenAPITests runs.
LEDGER_VENV ?= $(HOME)/.cache/ledger/venv
export LEDGER_VENV

.DEFAULT_GOAL := help
.PHONY: help deps build test demo bench bench-rules clean schema-manifest openapi man completions install uninstall

# `make install`: the binary, its man page and the shell completion scripts under
# $(DESTDIR)$(PREFIX). CONFIGURATION=debug installs the debug build instead of a release build
# (what `make test` checks, in a throwaway DESTDIR, without building a release).
PREFIX ?= /usr/local
DESTDIR ?=
CONFIGURATION ?= release
BIN_DIR = .build/$(CONFIGURATION)
MAN_DIR = .build/man
COMPLETION_DIR = .build/completions

help:
	@echo "Targets:"
	@echo "  make deps    install prerequisites (pkg-config, libpq headers, PostgreSQL server)"
	@echo "  make build   debug build (swift build)"
	@echo "  make test    build the tests and run them against PostgreSQL"
	@echo "  make demo    build and run scripts/demo against PostgreSQL"
	@echo "  make bench   release build; run the store, disbursements, read-side (projections), HTTP (serve), Merkle tree (tree) and replication (primary + standby of its own) benchmarks"
	@echo "  make bench-rules  what the database's domain rules cost ledger.append (pgbench, rules on and off)"
	@echo "  make man     generate the man page ledger.1 into .build/man (swift-argument-parser's generate-manual plugin)"
	@echo "  make completions  write the bash, zsh and fish completion scripts into .build/completions"
	@echo "  make install  release build; install ledger, ledger.1 and the completion scripts under \$$(DESTDIR)\$$(PREFIX) (PREFIX=/usr/local)"
	@echo "  make uninstall  remove what make install installed"
	@echo "  make clean   remove build products (.build)"
	@echo "  make schema-manifest  regenerate what \`ledger audit schema\` expects, after changing sql/"
	@echo "  make openapi  embed docs/api/openapi.json in the service, after changing it"

deps:
	@scripts/install-deps || { rc=$$?; echo "make: FAILED at step 'deps' (scripts/install-deps, exit $$rc)" >&2; exit $$rc; }

build: deps
	$(SWIFT) build

# Each step says which one failed, so CI logs point at the right place.
# Suites that migrate a database from the first migration. Early migrations change the cluster's
# shared roles on the way (0005 gives ledger_admin CREATEROLE, 0011 takes it back), which tests of
# those roles running at the same moment would see, and two such migrations at once can fail with
# "tuple concurrently updated". So they run first, alone, one test at a time.
FROM_SCRATCH = LedgerCLITests\.(UpgradeTests|MigratorTests|MigrateCommandTests|NationalIDKeyUpgradeTests)/
# The web pages' browser suites (headless Chromium, one per suite) run last, one at a time, so
# that several browsers and the parallel suites do not fight over two cores.
BROWSER = LedgerServerTests\.Browser[A-Za-z]*Tests/
# The replication suites start primaries, standbys and restored backups of their own (initdb,
# pg_basebackup; Sources/LocalCluster), beside the test server: one test at a time, after the
# parallel suites, so that their servers and a SIGKILL'd primary never compete with them.
REPLICATION = ReplicationTests\.

test: deps
	@echo "==> make test: swift build --build-tests" >&2
	@$(SWIFT) build --build-tests || { rc=$$?; echo "make test: FAILED at step 'swift build --build-tests' (exit $$rc)" >&2; exit $$rc; }
	@echo "==> make test: scripts/with-postgres: the suites that migrate from scratch, one test at a time; then every other test in parallel; then the replication suites (their own primaries and standbys) and the browser suites, one test at a time" >&2
	@LEDGER_VENV="$(LEDGER_VENV)" scripts/with-postgres --opt-in LEDGER_TEST_DATABASE_URL sh -c '$(SWIFT) test --skip-build --no-parallel --filter "$(FROM_SCRATCH)" && $(SWIFT) test --skip-build --skip "$(FROM_SCRATCH)" --skip "$(BROWSER)" --skip "$(REPLICATION)" && $(SWIFT) test --skip-build --no-parallel --filter "$(REPLICATION)" && $(SWIFT) test --skip-build --no-parallel --filter "$(BROWSER)"' || { rc=$$?; echo "make test: FAILED at step 'swift test' (exit $$rc)" >&2; exit $$rc; }
	@echo "==> make test: scripts/test-install: make install of the debug build into a throwaway DESTDIR" >&2
	@SWIFT="$(SWIFT)" scripts/test-install || { rc=$$?; echo "make test: FAILED at step 'scripts/test-install' (exit $$rc)" >&2; exit $$rc; }

demo: deps build
	scripts/with-postgres --opt-in LEDGER_DEMO_DATABASE_URL scripts/demo

bench: deps
	$(SWIFT) build -c release
	scripts/with-postgres sh -c ".build/release/ledger-bench store && .build/release/ledger-bench disbursements && .build/release/ledger-bench projections && .build/release/ledger-bench serve && .build/release/ledger-bench tree && .build/release/ledger-bench replication"

bench-rules: deps
	$(SWIFT) build -c release --product ledger
	LEDGER=.build/release/ledger scripts/with-postgres scripts/bench-rules

# What `ledger audit schema` expects: read from a database migrated by sql/ on a private
# throwaway server (never DATABASE_URL/PGHOST), written to Sources/Migrations/SchemaManifest.swift.
schema-manifest: deps
	scripts/schema-manifest

# What GET /api/v1/openapi.json serves: docs/api/openapi.json, written into
# Sources/LedgerServer/OpenAPIDocument.swift (OpenAPITests fails while it is stale).
openapi:
	scripts/openapi-embed

# The man page from the same definitions as --help: the plugin builds the package in
# $(CONFIGURATION) and writes into .build/plugins; the page is copied to .build/man (never the tree).
man:
	$(SWIFT) package plugin generate-manual --configuration $(CONFIGURATION)
	rm -rf $(MAN_DIR)
	mkdir -p $(MAN_DIR)
	cp .build/plugins/GenerateManual/outputs/LedgerCLI/ledger.1 $(MAN_DIR)/ledger.1

completions:
	$(SWIFT) build -c $(CONFIGURATION) --product ledger
	mkdir -p $(COMPLETION_DIR)
	$(BIN_DIR)/ledger --generate-completion-script bash > $(COMPLETION_DIR)/ledger.bash
	$(BIN_DIR)/ledger --generate-completion-script zsh > $(COMPLETION_DIR)/_ledger
	$(BIN_DIR)/ledger --generate-completion-script fish > $(COMPLETION_DIR)/ledger.fish

# Where each shell looks for completions installed with a package (bash-completion, zsh's
# site-functions, fish's vendor_completions.d).
install: man completions
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/man/man1" \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions" "$(DESTDIR)$(PREFIX)/share/zsh/site-functions" \
		"$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d"
	install -m 755 $(BIN_DIR)/ledger "$(DESTDIR)$(PREFIX)/bin/ledger"
	install -m 644 $(MAN_DIR)/ledger.1 "$(DESTDIR)$(PREFIX)/share/man/man1/ledger.1"
	install -m 644 $(COMPLETION_DIR)/ledger.bash "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/ledger"
	install -m 644 $(COMPLETION_DIR)/_ledger "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_ledger"
	install -m 644 $(COMPLETION_DIR)/ledger.fish "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/ledger.fish"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/ledger" "$(DESTDIR)$(PREFIX)/share/man/man1/ledger.1" \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/ledger" "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_ledger" \
		"$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/ledger.fish"

clean:
	rm -rf .build
