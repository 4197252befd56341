# Thin wrapper over CMake. `make test` and `make run` install what they need first.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PORT ?= 5001
CMAKE_FLAGS ?=

ifeq ($(SANITIZE),1)
  BUILD := build-san
  CMAKE_FLAGS += -DTAILOR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
endif

.PHONY: all deps build run test bench fuzz clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/tailor serve --port $(PORT)

# Third-party libraries' process-lifetime caches are not leaks of ours.
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/lsan.supp

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: deps
	@cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-bench -j $(JOBS)
	bash bench/run.sh build-bench

# Runs every libFuzzer target for FUZZ_SECONDS each (default 60).
FUZZ_SECONDS ?= 60
fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DTAILOR_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-san build-bench build-fuzz
