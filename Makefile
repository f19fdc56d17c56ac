# Tessera: every entry point a developer or CI needs. Nothing here relies on tools
# installed by hand: Swift and the packages come with the machine image (see README).
SWIFT ?= swift
EXAMPLE ?= examples/siamsnn.yaml
TARGET ?= truenorth-4x4

.PHONY: deps build test run bench clean

# Root installs directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

## System libraries the package links: Cairo (PNG pictures, through libpng) and pkg-config,
## which tells SwiftPM where Cairo's headers are. Installed from Debian's packages if missing.
deps:
	@pkg-config --exists cairo 2>/dev/null || { \
		echo "installing libcairo2-dev and pkg-config (Debian packages)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libcairo2-dev pkg-config >/dev/null; }

## Release build of the `tessera` command (.build/release/tessera).
build: deps
	$(SWIFT) build -c release

## All tests (Swift Testing), on a debug build.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

## The main job on a bundled example: check the SiamSNN tracker against a 4x4 TrueNorth board.
run: build
	.build/release/tessera check $(EXAMPLE) --target $(TARGET)

clean:
	rm -rf .build

## Benchmarks (release build): emulator on a full synthetic chip vs the scalar reference,
## core map loading vs a bare JSON parse. Figures: docs/performance.md.
bench: deps
	$(SWIFT) build -c release --product tessera-bench
	.build/release/tessera-bench
