# The README's two commands: `make run` and `make test`. Both set up what is missing first.
BUILD ?= build
JOBS  ?= $(shell nproc)
RACEIT = $(BUILD)/src/cli/raceit

.PHONY: setup build run test bench clean test-asan fuzz

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
	tools/tidy.sh $(BUILD)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer; any report fails.
ASAN_BUILD ?= build-asan
test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRACEIT_SANITIZE=ON -DRACEIT_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# Each reader's libFuzzer target for FUZZ_SECONDS (clang, ASan+UBSan); crashes land in
# $(FUZZ_BUILD)/crashes/TARGET — add them to fuzz/regressions/TARGET so that `make test` replays them.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= onnx_import npy config program expression
fuzz: setup
	CC=clang-19 CXX=clang++-19 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRACEIT_FUZZ=ON \
	  -DRACEIT_BUILD_TESTS=OFF -DRACEIT_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	tools/run_fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: build
	tools/run_bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
