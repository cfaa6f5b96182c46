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

# The main job: functions onto Compute-ACAMs, a trained ViT's accuracy through RACE-IT under
# device noise, and BERT-base's cost on RACE-IT against the baselines.
run: build
	$(RACEIT) acam tour
	$(RACEIT) eval --model vit-digits --data digits --arch raceit --mode frozen --seeds 3
	$(RACEIT) compare --model bert-base

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	tools/run_bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
