# pmtools - memory and hang inspector for CPython processes
#
# GNU make. `make` builds bin/pm-*; `make check` runs every test with
# warnings as errors; `make check-asan` the same under ASan+UBSan;
# `make deps` installs what building and testing need (Debian).
#
# No .POSIX here: under it GNU make presets CC=c99 and CFLAGS=-O1, which
# would defeat the defaults below.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/pmtools

CC ?= cc
CFLAGS ?= -O2 -g
PM_WARN = -std=c11 -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes
# CI=true (the CI runner sets it) turns warnings into errors; so does check.
ifneq ($(filter-out false 0,$(CI)),)
PM_WERROR = -Werror
endif
# Sanitizers, set by check-asan for its own build.
PM_SAN =
PM_CFLAGS = $(PM_WARN) $(PM_WERROR) $(PM_SAN) -D_GNU_SOURCE -Ilib -MMD -MP
LDLIBS = -lzstd -lcsv -lpthread

# Where objects and programs go; check-asan uses build-asan/ and bin-asan/.
BUILD_DIR = build
BIN_DIR = bin

# Every cmd/pm-X.c is a program: a new one needs no edit here.
PROGS = $(patsubst cmd/%.c,%,$(wildcard cmd/pm-*.c))
BINS = $(PROGS:%=$(BIN_DIR)/%)
# Programs written in sh, kept in share/: copied to $(BIN_DIR) and
# installed in BINDIR with the others.
SCRIPTS = pm-leakcheck
SCRIPT_BINS = $(SCRIPTS:%=$(BIN_DIR)/%)
LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD_DIR)/%.o)
# tests/unit/test-X.c are unit tests that check runs (exit 0 = pass); the
# other tests/unit/X.c are helpers for the bats suites, found in $PM_UNIT.
UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_BINS = $(UNIT_SRC:tests/unit/%.c=$(BUILD_DIR)/unit/%)
UNIT_TESTS = $(filter $(BUILD_DIR)/unit/test-%,$(UNIT_BINS))
SUITES = $(wildcard tests/*.bats)

MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)
MAN7 = $(wildcard man/*.7)
SHARE_FILES = $(filter-out $(SCRIPTS:%=share/%), \
	$(shell find share -type f 2>/dev/null | LC_ALL=C sort))

DEPS_PKGS = libzstd-dev libcsv-dev zstd bats bats-assert bats-support \
	mandoc cppcheck bsdextrautils strace gdb python3.11-minimal
CPPCHECK_FLAGS = --quiet --std=c11 --enable=warning,portability,performance \
	--error-exitcode=1 --inline-suppr --suppress=missingIncludeSystem \
	-D_GNU_SOURCE -Ilib
ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

all: $(BINS) $(SCRIPT_BINS)

# Objects depend on the flags they were built with: a change of CFLAGS,
# -Werror or sanitizers rebuilds everything. The stamp is rewritten only
# when the flags differ, so an unchanged build stays up to date.
FLAGS_STAMP = $(BUILD_DIR)/.flags
FLAGS_NOW = $(strip $(CC) $(PM_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS))
ifeq ($(filter clean uninstall deps,$(MAKECMDGOALS)),)
ifneq ($(FLAGS_NOW),$(strip $(shell cat $(FLAGS_STAMP) 2>/dev/null)))
$(shell mkdir -p $(BUILD_DIR))
$(file >$(FLAGS_STAMP),$(FLAGS_NOW))
endif
endif

$(BUILD_DIR)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD_DIR)/libpm.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

$(BIN_DIR)/%: $(BUILD_DIR)/cmd/%.o $(BUILD_DIR)/libpm.a
	@mkdir -p $(@D)
	$(CC) $(PM_SAN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD_DIR)/libpm.a $(LDLIBS)

$(SCRIPT_BINS): $(BIN_DIR)/%: share/%
	@mkdir -p $(@D)
	cp share/$* $@.tmp && chmod 755 $@.tmp && mv -f $@.tmp $@

$(BUILD_DIR)/unit/%: $(BUILD_DIR)/tests/unit/%.o $(BUILD_DIR)/libpm.a
	@mkdir -p $(@D)
	$(CC) $(PM_SAN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD_DIR)/libpm.a $(LDLIBS)

$(FLAGS_STAMP):
	@mkdir -p $(@D)
	$(file >$@,$(FLAGS_NOW))

units: $(UNIT_BINS)

# The suites run against the programs in $PM_BIN and the unit helpers in
# $PM_UNIT; tests/run-bats checks the pythons and prints the totals.
check:
	$(MAKE) PM_WERROR=-Werror all units
	PM_BIN='$(CURDIR)/$(BIN_DIR)' PM_UNIT='$(CURDIR)/$(BUILD_DIR)/unit' \
	    bash tests/run-bats $(UNIT_TESTS) $(SUITES)

check-asan:
	$(MAKE) BUILD_DIR=build-asan BIN_DIR=bin-asan PM_WERROR=-Werror \
	    PM_SAN='$(ASAN_FLAGS)' all units
	PM_BIN='$(CURDIR)/bin-asan' PM_UNIT='$(CURDIR)/build-asan/unit' \
	    ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    bash tests/run-bats $(UNIT_TESTS:$(BUILD_DIR)/%=build-asan/%) $(SUITES)

# Install the Debian packages that are missing; nothing when all are there.
deps:
	@missing=; \
	for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | \
		    grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	[ -n "$$missing" ] || exit 0; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1; then sudo='sudo -n'; \
	else echo "deps: need root to install:$$missing" >&2; exit 1; fi; \
	echo "deps: installing$$missing"; \
	$$sudo apt-get update -q && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $$missing </dev/null

# Man pages, C sources, shell scripts, and --help against each SYNOPSIS.
lint: all
	mandoc -Tlint -Wwarning $(MAN1) $(MAN5) $(MAN7)
	cppcheck $(CPPCHECK_FLAGS) lib cmd
	@if command -v shellcheck >/dev/null 2>&1; then \
		echo 'shellcheck .ci/run tests/run-bats tests/helper.bash share/demo/demo.sh'; \
		shellcheck -x .ci/run tests/run-bats share/demo/demo.sh && \
		shellcheck -s bash tests/helper.bash; \
	fi
	PM_BIN='$(CURDIR)/$(BIN_DIR)' bats tests/help.bats </dev/null

install: all
	mkdir -p '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' \
	    '$(DESTDIR)$(MANDIR)/man5' '$(DESTDIR)$(MANDIR)/man7' \
	    '$(DESTDIR)$(SHAREDIR)'
	install -m 755 $(BINS) $(SCRIPT_BINS) '$(DESTDIR)$(BINDIR)'
	$(if $(MAN1),install -m 644 $(MAN1) '$(DESTDIR)$(MANDIR)/man1')
	$(if $(MAN5),install -m 644 $(MAN5) '$(DESTDIR)$(MANDIR)/man5')
	$(if $(MAN7),install -m 644 $(MAN7) '$(DESTDIR)$(MANDIR)/man7')
	for f in $(SHARE_FILES:share/%=%); do \
		mode=644; [ -x "share/$$f" ] && mode=755; \
		install -D -m "$$mode" "share/$$f" '$(DESTDIR)$(SHAREDIR)'/"$$f" || exit 1; \
	done

uninstall:
	for f in $(PROGS) $(SCRIPTS); do rm -f '$(DESTDIR)$(BINDIR)'/"$$f"; done
	for f in $(MAN1:man/%=man1/%) $(MAN5:man/%=man5/%) \
	    $(MAN7:man/%=man7/%); do \
		rm -f '$(DESTDIR)$(MANDIR)'/"$$f"; \
	done
	for f in $(SHARE_FILES:share/%=%); do \
		rm -f '$(DESTDIR)$(SHAREDIR)'/"$$f"; \
	done
	if [ -d '$(DESTDIR)$(SHAREDIR)' ]; then \
		find '$(DESTDIR)$(SHAREDIR)' -depth -type d -empty -delete; \
	fi

# Start a leaking service, dump it twice and show what grows.
demo: all
	PM_BIN='$(CURDIR)/$(BIN_DIR)' bash share/demo/demo.sh

# A benchmark, not a test: a target of BENCH_MB megabytes of objects,
# pm-dump and every analysis program against zstd on the same bytes.
# Several sizes (BENCH_MB="256 512 1024 2048") add a table of growth;
# BENCH_PROGS="pm-types|pm-refs --top 10" picks the analyses run.
BENCH_MB ?= 1024
BENCH_PROGS ?=
bench: all units
	PM_BIN='$(CURDIR)/$(BIN_DIR)' PM_UNIT='$(CURDIR)/$(BUILD_DIR)/unit' \
	    BENCH_PROGS='$(BENCH_PROGS)' bash tests/bench/bench.sh $(BENCH_MB)

# Fuzz the snapshot reader and the object model (tests/fuzz/) with clang's
# libFuzzer under ASan and UBSan, for FUZZ_SECONDS on FUZZ_JOBS processes;
# FUZZ_READERS=1 runs every reader's computations on each input too.
# The first run makes the seeds from a dump of each installed python.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
FUZZ_READERS ?=
FUZZ_CC ?= clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz: $(BUILD_DIR)/fuzz/fuzz-snapshot $(BUILD_DIR)/fuzz/mkseed $(BIN_DIR)/pm-dump
	PM_BIN='$(CURDIR)/$(BIN_DIR)' PM_FUZZ_READERS='$(FUZZ_READERS)' \
	    bash tests/fuzz/run.sh \
	    '$(CURDIR)/$(BUILD_DIR)/fuzz/fuzz-snapshot' \
	    '$(CURDIR)/$(BUILD_DIR)/fuzz/mkseed' $(FUZZ_SECONDS) $(FUZZ_JOBS)

FUZZ_SRC = tests/fuzz/fuzz-snapshot.c tests/fuzz/fuzz-graph.c \
    tests/fuzz/fuzz-more.c
$(BUILD_DIR)/fuzz/fuzz-snapshot: $(FUZZ_SRC) tests/fuzz/fuzz.h $(LIB_SRC) \
    $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(PM_WARN) $(FUZZ_FLAGS) -D_GNU_SOURCE -Ilib -o $@ \
	    $(FUZZ_SRC) $(LIB_SRC) $(LDLIBS)

$(BUILD_DIR)/fuzz/mkseed: tests/fuzz/mkseed.c lib/heap.c $(BUILD_DIR)/libpm.a
	@mkdir -p $(@D)
	$(CC) $(PM_WARN) $(PM_WERROR) -D_GNU_SOURCE -Ilib $(CFLAGS) $(LDFLAGS) \
	    -o $@ tests/fuzz/mkseed.c $(BUILD_DIR)/libpm.a $(LDLIBS)

.PHONY: fuzz

clean:
	rm -rf build build-asan bin bin-asan

-include $(wildcard $(BUILD_DIR)/lib/*.d $(BUILD_DIR)/cmd/*.d \
	$(BUILD_DIR)/tests/unit/*.d)

.PHONY: all units check check-asan deps lint install uninstall demo bench clean
.DELETE_ON_ERROR:
# Objects made by the chained pattern rules are kept, not deleted.
.SECONDARY:
