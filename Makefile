# The two commands of the README: `make run` and `make test`. Both install
# missing Debian packages first, then configure and build Release.
BUILD ?= build
JOBS ?= $(shell nproc)
CONFIG ?= configs/quickstart.yaml
# nvcc lives outside PATH in a default CUDA install; CMake finds it through PATH.
export PATH := $(PATH):/usr/local/cuda/bin

.PHONY: all setup configure build run test bench clean
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

clean:
	rm -rf $(BUILD) $(BUILD).configure.log
