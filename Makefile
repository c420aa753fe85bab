# nearpost: the commands a newcomer types.  CMake does the building; this
# file only strings the steps together.
#
#   make test    install what is missing, build (normal + ASan/UBSan),
#                run every unit and integration test in both builds
#   make demo    install, build, start Redis and the services, show them
#   make up / make down   start / stop Redis and every built service
#   make fuzz    run every fuzz target for FUZZ_SECONDS each (clang)
#   make bench   build optimised and run the benchmarks
#   make lint    cppcheck

BUILD      ?= build
SAN        ?= build-san
FUZZBUILD  ?= build-fuzz
BENCHBUILD ?= build-bench
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
CTEST_ARGS ?= --output-on-failure --no-tests=error -j$(JOBS)

.PHONY: all deps build build-san test test-fast demo up down fuzz bench \
	lint clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
$(SAN)/CMakeCache.txt:
	cmake -S . -B $(SAN) -DCMAKE_BUILD_TYPE=Sanitize

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

build-san: deps $(SAN)/CMakeCache.txt
	cmake --build $(SAN) -j$(JOBS)

# Every test, in the normal build and again under ASan+UBSan.
# deps installed Chromium, so the browser test may not skip itself here.
test: build build-san
	NP_REQUIRE_BROWSER=1 ctest --test-dir $(BUILD) $(CTEST_ARGS)
	NP_REQUIRE_BROWSER=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir $(SAN) $(CTEST_ARGS)
	./scripts/fuzz.sh --smoke

# Only the normal build, for a quick loop while editing.
test-fast: build
	ctest --test-dir $(BUILD) $(CTEST_ARGS)

up: build
	./scripts/up.sh $(BUILD)

down:
	./scripts/down.sh

demo: build
	./scripts/demo.sh $(BUILD)

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh

bench: deps
	cmake -S . -B $(BENCHBUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCHBUILD) -j$(JOBS)
	./scripts/bench.sh $(BENCHBUILD)

# cppcheck over every C file, with sys/queue.h's macros given to it.
# Suppressed: jansson's foreach macros it cannot expand without the system
# headers, and one cross-function false positive (a struct its callee fills).
lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 -I common \
	  --suppress=missingIncludeSystem --suppress=unknownMacro \
	  --include=/usr/include/x86_64-linux-gnu/sys/queue.h \
	  --suppress=ctuuninitvar common services tools

clean:
	rm -rf $(BUILD) $(SAN) $(FUZZBUILD) $(BENCHBUILD)
