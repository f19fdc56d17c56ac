# Tessera: every entry point a developer or CI needs. Nothing here relies on tools
# installed by hand: Swift and the packages come with the machine image (see README).
SWIFT ?= swift
EXAMPLE ?= examples/siamsnn/siamsnn.yaml
TARGET ?= truenorth-32x32

.PHONY: deps build test run bench bench-full results clean install fuzz fuzz-ci test-sanitize docs-check

## Where `make install` puts the binary and the shell completions.
PREFIX ?= /usr/local

# Root installs directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

## System libraries the package links: Cairo (PNG pictures, through libpng), zlib (the core
## map archive's deflate and CRC-32), METIS (placement's graph partitioner), libhdf5 (NIR
## files), Open MPI (`mpirun -np N tessera emulate`, one board over N processes) and pkg-config,
## which tells SwiftPM where their headers are. Installed from Debian's packages if missing.
deps:
	@pkg-config --exists cairo zlib 2>/dev/null || { \
		echo "installing libcairo2-dev, zlib1g-dev and pkg-config (Debian packages)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libcairo2-dev zlib1g-dev pkg-config >/dev/null; }
	@pkg-config --exists hdf5 2>/dev/null || { \
		echo "installing libhdf5-dev (Debian package)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libhdf5-dev >/dev/null; }
	@test -f /usr/include/metis.h || { \
		echo "installing libmetis-dev (Debian package)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libmetis-dev >/dev/null; }
	@pkg-config --exists ompi-c 2>/dev/null && command -v mpirun >/dev/null || { \
		echo "installing libopenmpi-dev and openmpi-bin (Debian packages)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenmpi-dev openmpi-bin >/dev/null; }

## Release build of the `tessera` command (.build/release/tessera).
build: deps
	$(SWIFT) build -c release

## All tests (Swift Testing), on an optimised build with testable imports, in its own
## build folder (.build-test) so that `make build` is not rebuilt with other flags. The
## emulator-heavy and full-layer tests run about 13 times faster than on a debug build.
TEST_FLAGS := -c release --scratch-path .build-test -Xswiftc -enable-testing
test: deps
	$(SWIFT) build --build-tests $(TEST_FLAGS)
	$(SWIFT) test --skip-build $(TEST_FLAGS)

## The main job on a bundled example: compile the full-size SiamSNN tracker for a board of
## 32x32 TrueNorth chips, print its report (cores, chips, latency, energy per frame at a
## firing rate of 0.05, the ANN comparison) and write its chip picture. Its cores are built
## and counted one at a time without writing the map; `tessera compile ... -o NAME.npz`
## writes it as core map v2 (docs/full-size.md).
run: build
	.build/release/tessera report $(EXAMPLE) --target $(TARGET) --rate 0.05 --ticks 64 --ann $(EXAMPLE)
	mkdir -p out
	.build/release/tessera render $(EXAMPLE) --target $(TARGET) -o out/siamsnn-chip.svg

## The release binary in $(PREFIX)/bin, with swift-argument-parser's completion scripts for
## bash, zsh and fish. The bundled targets are compiled in, so it works from any folder.
install: build
	install -d $(PREFIX)/bin $(PREFIX)/share/bash-completion/completions $(PREFIX)/share/zsh/site-functions $(PREFIX)/share/fish/vendor_completions.d
	install -m 755 .build/release/tessera $(PREFIX)/bin/tessera
	$(PREFIX)/bin/tessera --generate-completion-script bash > $(PREFIX)/share/bash-completion/completions/tessera
	$(PREFIX)/bin/tessera --generate-completion-script zsh > $(PREFIX)/share/zsh/site-functions/_tessera
	$(PREFIX)/bin/tessera --generate-completion-script fish > $(PREFIX)/share/fish/vendor_completions.d/tessera.fish

## libFuzzer on one reader: make fuzz READER=yaml|npy|npz|coremap-v1|coremap-v2|nir|onnx
## [FUZZ_SECONDS=60] [FUZZ_RUNS=-1]. Its own build folder (coverage instrumentation and
## AddressSanitizer everywhere, so a leak or an out-of-bounds read is found too; linked by
## lld, as gold fails on the instrumented objects); the corpus in .build-fuzz/corpus-READER
## grows from the committed inputs of that format. It stops after FUZZ_SECONDS or
## FUZZ_RUNS executions, whichever comes first. A crash leaves its input as crash-* in the
## current folder and fails (docs/reliability.md).
READER ?= yaml
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= -1
READERS := yaml npy npz coremap-v1 coremap-v2 nir onnx
FIX := Tests/TesseraTests/Fixtures
SEEDS_yaml := examples $(FIX)/digits
SEEDS_npy := $(FIX)/npy
SEEDS_npz := $(FIX)/npy $(FIX)/digits
SEEDS_coremap-v1 := examples
SEEDS_coremap-v2 := $(FIX)/npy
SEEDS_nir := $(FIX)/nir $(FIX)/nir/frameworks
SEEDS_onnx := $(FIX)/onnx $(FIX)/onnx/malformed
## Leaks outside Tessera are suppressed one by one (tools/fuzz/lsan.supp). A huge malloc
## returns NULL, as glibc's does in a real run, instead of aborting under AddressSanitizer:
## libhdf5 sizes some of its buffers from a corrupt file's fields and checks for NULL.
FUZZ_ENV := LSAN_OPTIONS=suppressions=$(CURDIR)/tools/fuzz/lsan.supp ASAN_OPTIONS=allocator_may_return_null=1
FUZZ_BUILD := $(SWIFT) build -c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
## The NIR target's fuzz build leaves out the structure walk in a child process that the
## release binary does before libhdf5 reads a file (forking under AddressSanitizer costs
## 30 ms), so crashes inside libhdf5 that the walk would refuse are expected. It runs in
## libFuzzer's fork mode, going on past them, and every input it reports is replayed
## through the release binary (tools/fuzz/triage.sh): only one that is not refused with an
## error fails the make.
FUZZ_MODE_nir := -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -artifact_prefix=.build-fuzz/artifacts-nir/
## In fork mode libFuzzer can still exit non-zero after the inputs it was told to ignore
## (71 in a CI run that had found a crash and an out-of-memory input). Such a run is judged
## by the triage below, so its status is tolerated only when it left reported inputs there.
FUZZ_TRIAGED_nir := || ls .build-fuzz/artifacts-nir | grep -q .
fuzz: deps
	$(FUZZ_BUILD) --product fuzz-$(READER)
	mkdir -p .build-fuzz/corpus-coremap-v1 .build-fuzz/corpus-coremap-v2 .build-fuzz/corpus-$(READER) .build-fuzz/artifacts-nir
	@# The core map readers start from real maps of the small example, v1 and v2.
	@case "$(READER)" in coremap-*|nir) $(SWIFT) build -c release --product tessera ;; esac
	@case "$(READER)" in coremap-*) \
		.build/release/tessera compile examples/tiny-int.yaml --target tiny -o .build-fuzz/corpus-coremap-v1/tiny-int.json >/dev/null && \
		.build/release/tessera compile examples/tiny-int.yaml --target tiny -o .build-fuzz/corpus-coremap-v2/tiny-int.npz >/dev/null ;; esac
	$(FUZZ_ENV) .build-fuzz/release/fuzz-$(READER) .build-fuzz/corpus-$(READER) $(SEEDS_$(READER)) -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 $(FUZZ_MODE_$(READER)) $(FUZZ_TRIAGED_$(READER))
	@case "$(READER)" in nir) tools/fuzz/triage.sh .build-fuzz/artifacts-nir nir ;; esac

## What CI runs after the tests: every fuzz target for FUZZ_SECONDS (a minute) each, so
## that a crash, a leak or a hang a change brings in fails the build.
fuzz-ci:
	set -e; for r in $(READERS); do $(MAKE) --no-print-directory fuzz READER=$$r FUZZ_SECONDS=$(FUZZ_SECONDS); done

## Every quick command the README and docs/ show, run as written on a fresh clone of HEAD with
## ../shared beside it (tools/check-doc-commands.sh; slow and framework blocks are skipped).
## CI runs it last, so a page whose commands stop working fails the build.
docs-check:
	tools/check-doc-commands.sh --skip-slow

## All tests once under AddressSanitizer and UndefinedBehaviorSanitizer, in their own build
## folder (slower than `make test`; run once per issue, docs/reliability.md). The Swift
## toolchain on Linux has no -sanitize=undefined for Swift code, whose overflow and bounds
## checks trap anyway; UBSan instruments the C modules (the emulator's kernels, the
## libhdf5 shim and probe), and any report of it stops the run.
SANITIZE_FLAGS := -c release --scratch-path .build-sanitize -Xswiftc -enable-testing --sanitize=address \
	-Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
test-sanitize: deps
	$(SWIFT) build --build-tests $(SANITIZE_FLAGS)
	LSAN_OPTIONS=suppressions=$(CURDIR)/tools/fuzz/lsan.supp $(SWIFT) test --skip-build $(SANITIZE_FLAGS)

clean:
	rm -rf .build .build-test .build-fuzz .build-sanitize

## Benchmarks (release build): emulator on a full synthetic chip vs the scalar reference and
## the machine's limit, core map loading vs a bare JSON parse, then the same network in
## Brian2 (a virtual environment the script creates; skipped with a message without PyPI),
## spike for spike, with the time ratio. Figures: docs/performance.md.
bench: deps
	$(SWIFT) build -c release --product tessera-bench
	$(SWIFT) build -c release --product tessera
	.build/release/tessera-bench
	tools/bench/peer.sh

## Full size (release build, not in CI, about 20 minutes and up to 13 GB of memory):
## compiles SiamSNN, dl-vgg9 at two sizes and DeepLab to core maps, emulates one frame of
## SiamSNN and of DeepLab, and prints each figure beside its target; each compile's stage
## profile (`--profile`) is kept in its log. Figures: docs/performance.md, "Full size".
bench-full: deps
	$(SWIFT) build -c release --product tessera
	tools/bench/full.sh

## Every measured figure the docs cite, written whole to docs/results.md with the date, the
## machine and the command of each (tools/results/results.sh; release build). It runs the
## small networks, both benchmarks, Brian2 beside Tessera, MPI, and the full-size compiles,
## frames and reports: about an hour and up to 13 GB of memory. RESULTS_QUICK=1 leaves out
## everything but the small networks and the benchmarks (a few minutes).
results: build
	RESULTS_QUICK=$(RESULTS_QUICK) tools/results/results.sh
