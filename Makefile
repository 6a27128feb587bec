# The front door. Every target wraps CMake/CTest; `make help` lists them.
#   make run            set up, fetch MNIST, build, and walk through the stages
#   make test           build and run every test (STAGE=01 for one stage's tests)
BUILD ?= build
STAGE ?=
JOBS ?= $(shell nproc)
# WERROR=ON makes warnings errors (CI). Left unset, the build keeps what it was configured
# with, so `make run` after `make test WERROR=ON` does not rebuild everything.
WERROR ?=
CMAKE_ARGS ?=
WERROR_ARG = $(if $(WERROR),-DMNIST_WERROR=$(WERROR))

.PHONY: all run test bench docs data setup clean help configure sanitize fuzz mutants

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure: setup
	@if [ ! -f $(BUILD)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(WERROR_ARG) $(CMAKE_ARGS); \
	else \
	  cmake -S . -B $(BUILD) $(WERROR_ARG) $(CMAKE_ARGS) > /dev/null; \
	fi

setup:
	@bash scripts/setup.sh

data:
	@bash scripts/fetch_mnist.sh data/mnist

run: data all
	@bash scripts/tour.sh $(BUILD)

test: data all
	@if [ -n "$(STAGE)" ]; then \
	  ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L 'stage$(STAGE)'; \
	else \
	  ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS); \
	fi

bench: data all
	@bash scripts/bench.sh $(BUILD)

docs:
	@bash scripts/docs.sh $(BUILD)

sanitize: data
	@bash scripts/sanitize.sh

fuzz:
	@bash scripts/fuzz.sh $(or $(SECONDS),60)

mutants: data
	@bash scripts/mutants.sh

clean:
	rm -rf $(BUILD)

help:
	@sed -n 's/^#   //p' Makefile
	@echo "  make bench          every stage's Google Benchmark, one report"
	@echo "  make docs           the Doxygen site in $(BUILD)/docs/html"
	@echo "  make data           fetch MNIST into data/mnist and check its SHA-256"
	@echo "  make sanitize       the test suite under ASan+UBSan, then TSan (clang)"
	@echo "  make fuzz           each libFuzzer target for SECONDS (default 60)"
	@echo "  make mutants        break the code in known ways; the shared tests must catch each"
	@echo "  make clean          remove $(BUILD)/"
