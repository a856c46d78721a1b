# pmtools - memory and hang inspector for CPython processes
.POSIX:

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/pmtools

CC ?= cc
CFLAGS ?= -O2 -g
PM_WARN = -std=c11 -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes
ifneq ($(CI),)
PM_WERROR = -Werror
endif
PM_CFLAGS = $(PM_WARN) $(PM_WERROR) -D_GNU_SOURCE -Ilib -MMD -MP
LDLIBS = -lzstd -lcsv -lpthread

PROGS = pm-dump pm-types
BINS = $(PROGS:%=bin/%)
LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:%.c=build/%.o)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_BINS = $(UNIT_SRC:tests/unit/%.c=build/unit/%)

all: $(BINS)

build/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/libpm.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

bin/%: build/cmd/%.o build/libpm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< build/libpm.a $(LDLIBS)

build/unit/%: build/tests/unit/%.o build/libpm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< build/libpm.a $(LDLIBS)

units: $(UNIT_BINS)

-include $(wildcard build/lib/*.d build/cmd/*.d build/tests/unit/*.d)

.PHONY: all units
