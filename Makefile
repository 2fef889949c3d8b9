# The front door. `make run` and `make test` are the whole setup on a fresh
# Debian machine; everything else is here for developers.
#
#   make run      install missing packages, build, start a demo hub on ./fenghuo-data
#   make test     install missing packages, build with ASan+UBSan, run every test
#   make build    release build in build/
#   make check    formatting and banned-function checks
#   make fuzz     build the libFuzzer targets with clang in build-fuzz/
#   make tsan     build and test under ThreadSanitizer in build-tsan/
#   make coverage build and test with coverage in build-cov/

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build run test check fuzz tsan coverage clean format

all: build

deps:
	@./scripts/install-deps || $(SUDO) ./scripts/install-deps

build: deps
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build build -j $(JOBS)

run: build
	./scripts/run-hub

# The release build is compiled too: the optimizer finds warnings (e.g.
# maybe-uninitialized) that the debug build does not, and `make run` uses it.
test: deps
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build build -j $(JOBS)
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFH_SANITIZE=ON >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

check: deps
	./scripts/check-banned .
	./scripts/check-format .

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

fuzz: deps
	@$(CMAKE) -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DFH_FUZZ=ON >/dev/null
	@$(CMAKE) --build build-fuzz -j $(JOBS)
	@echo "libFuzzer targets: build-fuzz/fuzz_*_libfuzzer (see docs/TESTING.md)"

tsan: deps
	@$(CMAKE) -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DFH_TSAN=ON >/dev/null
	@$(CMAKE) --build build-tsan -j $(JOBS)
	cd build-tsan && ctest --output-on-failure -j $(JOBS)

coverage: deps
	@$(CMAKE) -S . -B build-cov -DCMAKE_BUILD_TYPE=Debug -DFH_COVERAGE=ON >/dev/null
	@$(CMAKE) --build build-cov -j $(JOBS)
	cd build-cov && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf build build-asan build-fuzz build-tsan build-cov
