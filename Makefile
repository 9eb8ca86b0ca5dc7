# SPDX-License-Identifier: Apache-2.0
# The face a person uses. The real build is CMake (CMakeLists.txt); this file only sequences it.
#   make run    install missing Debian packages, build (quietly: log in $(BUILD)/build.log), start / walk
#               through the stack
#   make install  install binary, libraries, headers, m2msec.pc, man pages and docs under PREFIX (default
#               /usr/local), staged under DESTDIR when set
#   make test   unit + system tests, the unit tests again under ASan+UBSan, a short fuzz run
#   make bench  the benchmarks under bench/ (bench/kdf, bench/cse, bench/mef, bench/maf, bench/das, bench/e2e, ...)
#   make fuzz   every libFuzzer harness for FUZZ_SECONDS each (default 60)
BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_FUZZ  ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX      ?= /usr/local
DESTDIR     ?=
# Developer builds treat warnings as errors; a plain `cmake` (packagers) does not (CMakeLists.txt).
WERROR      ?= ON
CONFIGURE    = cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DM2M_WERROR=$(WERROR) \
	       -DCMAKE_INSTALL_PREFIX=$(PREFIX)

.PHONY: all deps build build-quiet build-asan build-fuzz run install test bench fuzz style clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@$(CONFIGURE) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The same build with its output in $(BUILD)/build.log, shown only when the build fails.
build-quiet: deps
	@mkdir -p $(BUILD)
	@echo "building m2msec in $(BUILD)/ (log: $(BUILD)/build.log) ..."
	@{ $(CONFIGURE) && cmake --build $(BUILD) -j $(JOBS); } >$(BUILD)/build.log 2>&1 || \
	 { tail -n 60 $(BUILD)/build.log; echo "build failed: full log in $(BUILD)/build.log"; exit 1; }
	@echo "built $(BUILD)/m2msec"

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DM2M_SANITIZE=ON -DM2M_WERROR=$(WERROR) \
	       -DCMAKE_C_COMPILER=clang-14 >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

build-fuzz: deps
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DM2M_FUZZ=ON -DM2M_WERROR=$(WERROR) \
	       -DCMAKE_C_COMPILER=clang-14 >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS)

run: build-quiet
	@scripts/run.sh $(BUILD)

install: build-quiet
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

test: deps
	@scripts/test.sh

bench: build
	@bench/kdf $(BUILD)
	@$(BUILD)/bench_acp
	@$(BUILD)/bench_discovery
	@$(BUILD)/bench_tls
	@bench/cse $(BUILD)
	@bench/mef $(BUILD)
	@bench/maf $(BUILD)
	@bench/das $(BUILD)
	@bench/e2e $(BUILD)
	@bench/gba $(BUILD)
	@bench/metrics $(BUILD)

fuzz: build-fuzz
	@scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

style:
	@scripts/style.sh

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) build-release var
