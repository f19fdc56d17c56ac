# Tessera: every entry point a developer or CI needs. Nothing here relies on tools
# installed by hand: Swift and the packages come with the machine image (see README).
SWIFT ?= swift
EXAMPLE ?= examples/siamsnn.yaml
TARGET ?= truenorth-4x4

.PHONY: build test run bench clean

## Release build of the `tessera` command (.build/release/tessera).
build:
	$(SWIFT) build -c release

## All tests (Swift Testing), on a debug build.
test:
	$(SWIFT) build --build-tests
	$(SWIFT) test

## The main job on a bundled example: check the SiamSNN tracker against a 4x4 TrueNorth board.
run: build
	.build/release/tessera check $(EXAMPLE) --target $(TARGET)

clean:
	rm -rf .build

## Benchmarks (release build): emulator on a full synthetic chip vs the scalar reference,
## core map loading vs a bare JSON parse. Figures: docs/performance.md.
bench:
	$(SWIFT) build -c release --product tessera-bench
	.build/release/tessera-bench
