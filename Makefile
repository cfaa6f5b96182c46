# The README's two commands: `make run` and `make test`. Both set up what is missing first.
BUILD ?= build
JOBS  ?= $(shell nproc)
RACEIT = $(BUILD)/src/cli/raceit

.PHONY: setup build run test bench clean

setup:
	@tools/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(RACEIT) acam tour

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	tools/run_bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
