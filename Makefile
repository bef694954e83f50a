# mr: MapReduce for the Unix shell.  See README.md.

CC ?= cc
CFLAGS ?= -O2
WARNFLAGS = -std=c11 -Wall -Wextra -pedantic
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -Ilib -Itools
LDLIBS += -lpthread
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
BUILD ?= build
SANFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Werror

TOOLS = mrmap mrmerge mrpartition mrreduce mrrun mrsort mrsplit
LIB_OBJS = checksum.o combine.o decimal.o hash.o merge.o ops.o order.o \
	reader.o sortbuf.o split.o sync.o textfmt.o worker.o writer.o
MAN1 = man/mrmap.1 man/mrmerge.1 man/mrpartition.1 man/mrreduce.1 \
	man/mrrun.1 man/mrsort.1 man/mrsplit.1
MAN5 = man/mr-format.5
MAN7 = man/mr.7

BIN = $(BUILD)/bin
LIBMR = $(BUILD)/libmr.a
CLI_OBJ = $(BUILD)/cli.o
PROGS = $(TOOLS:%=$(BIN)/%) $(BUILD)/mrtest $(BUILD)/spawntest

all: $(PROGS)

$(BUILD)/%.o: lib/%.c lib/mr.h lib/decimal.h lib/frame.h lib/worker.h
	@mkdir -p $(BUILD)
	$(CC) $(CPPFLAGS) $(WARNFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: tools/%.c lib/mr.h tools/cli.h tools/proc.h tools/plan.h \
	tools/hosts.h tools/remote.h tools/child.h tools/task.h tools/wire.h \
	tools/work.h
	@mkdir -p $(BUILD)
	$(CC) $(CPPFLAGS) $(WARNFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBMR): $(LIB_OBJS:%=$(BUILD)/%)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/%: $(BUILD)/%.o $(CLI_OBJ) $(LIBMR)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The tools that run a user's command.
$(BIN)/mrmap $(BIN)/mrreduce: $(BUILD)/proc.o $(BUILD)/child.o

# The job runner: its plan, its tasks and its work directory.
$(BIN)/mrrun: $(BUILD)/hosts.o $(BUILD)/listing.o $(BUILD)/plan.o \
	$(BUILD)/proc.o $(BUILD)/remote.o $(BUILD)/child.o $(BUILD)/task.o \
	$(BUILD)/wire.o $(BUILD)/work.o

$(BUILD)/mrtest: tests/unit/mrtest.c lib/frame.h $(LIBMR)
	$(CC) $(CPPFLAGS) $(WARNFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ \
		tests/unit/mrtest.c $(LIBMR) $(LDLIBS)

# Children that look for descriptors leaked by pipes made in other threads.
$(BUILD)/spawntest: tests/unit/spawntest.c $(BUILD)/child.o
	$(CC) $(CPPFLAGS) $(WARNFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ \
		tests/unit/spawntest.c $(BUILD)/child.o $(LDLIBS)

# The whole bats suite against the tools in $(BIN).
check: all
	scripts/setup
	MR_BUILD=$(CURDIR)/$(BUILD) bats tests

# A word count over built-in input, as a pipeline of the tools.
demo: all
	MR_BIN=$(CURDIR)/$(BIN) scripts/demo

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
# Leak checks are off: the tools exit through die() with memory in use;
# the fuzz target checks the library for leaks.
check-san:
	ASAN_OPTIONS=detect_leaks=0 $(MAKE) BUILD=build/san \
		CFLAGS="$(SANFLAGS)" check

# The record reader's fuzz target (libFuzzer, clang).
fuzz: $(BUILD)/fuzz/fuzz_reader
$(BUILD)/fuzz/fuzz_reader: tests/fuzz/fuzz_reader.c lib/*.c lib/*.h
	@mkdir -p $(BUILD)/fuzz
	clang $(CPPFLAGS) $(WARNFLAGS) -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ tests/fuzz/fuzz_reader.c $(LIB_OBJS:%.o=lib/%.c) $(LDLIBS)

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	cp $(TOOLS:%=$(BIN)/%) $(DESTDIR)$(PREFIX)/bin/
	cp $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	cp $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	cp $(MAN7) $(DESTDIR)$(MANDIR)/man7/

clean:
	rm -rf build

.PHONY: all check check-san demo fuzz install clean
.SECONDARY:
