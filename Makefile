# The two commands a new user types: `make run` and `make test`. Both install what is missing
# (Debian packages), build with CMake + Ninja (+ ccache), then run.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
KEFU_WERROR ?= OFF
PORT ?= 8080
DB ?= kefu.db
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 120

.PHONY: all deps configure build run test test-unit test-integration bench sanitize fuzz format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DKEFU_WERROR=$(KEFU_WERROR)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The agent console and the dashboard need keys: fresh random ones per `make run` unless given.
ifeq ($(origin AGENT_KEY),undefined)
AGENT_KEY := $(shell od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
endif
ifeq ($(origin ADMIN_KEY),undefined)
ADMIN_KEY := $(shell od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
endif

run: build
	@echo "kefu: starting the demo shop on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	@echo "  chat:          http://127.0.0.1:$(PORT)/"
	@echo "  agent console: http://127.0.0.1:$(PORT)/agent  (any name, key $(AGENT_KEY))"
	@echo "  dashboard:     http://127.0.0.1:$(PORT)/admin  (key $(ADMIN_KEY))"
	KEFU_SERVER_AGENT_KEY=$(AGENT_KEY) KEFU_KB_ADMIN_KEY=$(ADMIN_KEY) \
	  $(BUILD_DIR)/kefu serve --port $(PORT) --db $(DB)

test: build
	scripts/run-tests.sh $(BUILD_DIR)

bench: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DKEFU_BUILD_BENCH=ON
	cmake --build $(BUILD_DIR) -j $(JOBS)
	bench/run.sh $(BUILD_DIR)

# The turn path under AddressSanitizer and UBSan, in build-san (about an hour from a cold ccache).
sanitize: deps
	scripts/sanitize.sh

# libFuzzer (Clang) with ASan and UBSan on text/, whole conversations and the HTTP API's handlers,
# in build-fuzz, FUZZ_SECONDS per target.
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

format:
	scripts/format.sh

clean:
	rm -rf $(BUILD_DIR)
