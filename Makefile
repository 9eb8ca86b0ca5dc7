# SPDX-License-Identifier: Apache-2.0
# The face a person uses. The real build is CMake (CMakeLists.txt); this file only sequences it.
#   make run    install missing Debian packages, build, start / walk through the stack
#   make test   unit + system tests, the unit tests again under ASan+UBSan, a short fuzz run
#   make bench  the benchmarks under bench/
#   make fuzz   every libFuzzer harness for FUZZ_SECONDS each (default 60)
BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_FUZZ  ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build build-asan build-fuzz run test bench fuzz style clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DM2M_SANITIZE=ON \
	       -DCMAKE_C_COMPILER=clang-14 >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

build-fuzz: deps
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DM2M_FUZZ=ON \
	       -DCMAKE_C_COMPILER=clang-14 >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS)

run: build
	@scripts/run.sh $(BUILD)

test: deps
	@scripts/test.sh

bench: build
	@bench/kdf $(BUILD)
	@$(BUILD)/bench_acp
	@$(BUILD)/bench_discovery
	@$(BUILD)/bench_tls
	@bench/cse $(BUILD)

fuzz: build-fuzz
	@scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

style:
	@scripts/style.sh

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) var
