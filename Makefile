# nearpost: the commands a newcomer types.  CMake does the building; this
# file only strings the steps together.
#
#   make test    install what is missing, build (normal + ASan/UBSan),
#                run every unit and integration test in both builds
#   make demo    install, build, start Redis and the services, run the
#                simulated city (npsim) DEMO_MINUTES city minutes at
#                DEMO_SPEED x, print its SLA summary
#   make up / make down   start / stop Redis and every built service
#   make fuzz    run every fuzz target for FUZZ_SECONDS each (clang)
#   make bench   build optimised and run every benchmark of issue 5; ends
#                with a table of figures and targets (also written to
#                build-bench/bench-results.txt); BENCH_ONLY="loop ..." runs
#                a subset (geo route intake loop latency clock positions)
#   make chaos   the whole loop under load while every service is killed
#                (CHAOS_SECONDS, CHAOS_KILLS per service, CHAOS_SEED)
#   make lint    cppcheck

BUILD      ?= build
SAN        ?= build-san
FUZZBUILD  ?= build-fuzz
BENCHBUILD ?= build-bench
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
CHAOS_SECONDS ?= 360
CHAOS_KILLS ?= 3
DEMO_MINUTES ?= 30
DEMO_SPEED ?= 10
CTEST_ARGS ?= --output-on-failure --no-tests=error -j$(JOBS)

.PHONY: all deps build build-san test test-fast demo up down fuzz bench chaos \
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
	DEMO_MINUTES=$(DEMO_MINUTES) DEMO_SPEED=$(DEMO_SPEED) \
	    ./scripts/demo.sh $(BUILD)

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh

bench: deps
	cmake -S . -B $(BENCHBUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCHBUILD) -j$(JOBS)
	./scripts/bench.sh $(BENCHBUILD)

# Kills every service (and Redis once) under steady load; prints the
# figures and fails on any call lost or doubled, double dispatch, incident
# left open, deadline fired twice or not at all.
chaos: build
	NP_BIN_DIR=$(abspath $(BUILD))/bin NP_SRC_DIR=$(CURDIR) \
	PYTHONPATH=$(CURDIR)/tests/integration /usr/bin/python3 -B \
	  tests/chaos/chaos.py --seconds $(CHAOS_SECONDS) --kills $(CHAOS_KILLS)

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
