# The two commands of the README: `make run` and `make test`. Both install
# missing Debian packages first, then configure and build Release.
BUILD ?= build
JOBS ?= $(shell nproc)
CONFIG ?= configs/quickstart.yaml
# nvcc lives outside PATH in a default CUDA install; CMake finds it through PATH.
export PATH := $(PATH):/usr/local/cuda/bin

# `make sanitize`: ASan + UBSan (float-cast-overflow, no recovery) on every
# C++ translation unit, CUDA off, in its own build directory; then the whole
# test suite, the config fuzzer included, under the sanitizers.
SANITIZE_BUILD ?= build-sanitize

.PHONY: all setup configure build run test bench clean sanitize
all: build

setup:
	@scripts/setup-debian.sh

configure: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > $(BUILD).configure.log 2>&1 || \
	  (cat $(BUILD).configure.log; exit 1)
	@grep -E "cimmc CUDA backend" $(BUILD).configure.log || true

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	./$(BUILD)/cimmc run $(CONFIG) -o $(BUILD)/quickstart.h5

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

bench: build
	./$(BUILD)/cimmc_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

sanitize: setup
	@cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIMMC_SANITIZE=ON \
	  -DCIMMC_ENABLE_CUDA=OFF -DCIMMC_BUILD_BENCHMARKS=OFF > $(SANITIZE_BUILD).configure.log 2>&1 || \
	  (cat $(SANITIZE_BUILD).configure.log; exit 1)
	@cmake --build $(SANITIZE_BUILD) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 CIMMC_FUZZ_TIMEOUT_S=120 \
	  ctest --test-dir $(SANITIZE_BUILD) --output-on-failure -j$(JOBS)

clean:
	rm -rf $(BUILD) $(BUILD).configure.log $(SANITIZE_BUILD) $(SANITIZE_BUILD).configure.log
