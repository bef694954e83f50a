# mr: MapReduce for the Unix shell.  See README.md.

CC ?= cc
CFLAGS ?= -O2
WARNFLAGS = -std=c11 -Wall -Wextra -pedantic
# The library sees its own headers only; the tools (and their tests) see
# lib/mr.h and the headers of tools/.
LIB_CPPFLAGS := $(CPPFLAGS) -D_POSIX_C_SOURCE=200809L -Ilib
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -Ilib -Itools
LDLIBS += -lpthread
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
BUILD ?= build
SANFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Werror

TOOLS = mrjoin mrmap mrmerge mrpartition mrreduce mrrun mrsort mrsplit
LIB_OBJS = ahead.o checksum.o combine.o decimal.o fields.o hash.o merge.o \
	ops.o order.o pool.o reader.o sortbuf.o split.o sync.o table.o writer.o
MRRUN_OBJS = attempt.o cluster.o commit.o counters.o hosts.o listing.o \
	main.o options.o plan.o progress.o remote.o schedule.o setup.o \
	shuffle.o task.o wire.o work.o
MRRUN_HDRS = tools/mrrun/hosts.h tools/mrrun/listing.h tools/mrrun/mrrun.h \
	tools/mrrun/plan.h tools/mrrun/remote.h tools/mrrun/task.h \
	tools/mrrun/wire.h tools/mrrun/work.h
MAN1 = man/mrjoin.1 man/mrmap.1 man/mrmerge.1 man/mrpartition.1 \
	man/mrreduce.1 man/mrrun.1 man/mrsort.1 man/mrsplit.1
MAN5 = man/mr-format.5
MAN7 = man/mr.7

BIN = $(BUILD)/bin
LIBMR = $(BUILD)/libmr.a
CLI_OBJ = $(BUILD)/cli.o
PROGS = $(TOOLS:%=$(BIN)/%) $(BUILD)/mrtest $(BUILD)/spawntest \
	$(BUILD)/wiretool

all: $(PROGS)

$(BUILD)/%.o: lib/%.c lib/mr.h lib/decimal.h lib/frame.h lib/pool.h
	@mkdir -p $(BUILD)
	$(CC) $(LIB_CPPFLAGS) $(WARNFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: tools/%.c lib/mr.h tools/child.h tools/cli.h tools/proc.h
	@mkdir -p $(BUILD)
	$(CC) $(CPPFLAGS) $(WARNFLAGS) $(CFLAGS) -c -o $@ $<

# mrrun's engine, in a folder of its own: its headers are its own.
$(BUILD)/mrrun/%.o: tools/mrrun/%.c lib/mr.h tools/child.h tools/cli.h \
	tools/proc.h $(MRRUN_HDRS)
	@mkdir -p $(BUILD)/mrrun
	$(CC) $(CPPFLAGS) -Itools -Itools/mrrun $(WARNFLAGS) $(CFLAGS) \
		-c -o $@ $<

$(LIBMR): $(LIB_OBJS:%=$(BUILD)/%)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/%: $(BUILD)/%.o $(CLI_OBJ) $(LIBMR)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The tools that run a user's command, or write counters as they do.
$(BIN)/mrjoin $(BIN)/mrmap $(BIN)/mrpartition $(BIN)/mrreduce: \
	$(BUILD)/proc.o $(BUILD)/child.o

# The job runner: its plan, its tasks, its hosts and its work directory.
$(BIN)/mrrun: $(MRRUN_OBJS:%=$(BUILD)/mrrun/%) $(BUILD)/proc.o \
	$(BUILD)/child.o $(CLI_OBJ) $(LIBMR)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/mrtest: tests/unit/mrtest.c lib/frame.h $(LIBMR)
	$(CC) $(LIB_CPPFLAGS) $(WARNFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ \
		tests/unit/mrtest.c $(LIBMR) $(LDLIBS)

# Children that look for descriptors leaked by pipes made in other threads.
$(BUILD)/spawntest: tests/unit/spawntest.c $(BUILD)/child.o
	$(CC) $(CPPFLAGS) $(WARNFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ \
		tests/unit/spawntest.c $(BUILD)/child.o $(LDLIBS)

# The tests' client of mrrun's wire protocol (tools/mrrun/wire.c).
$(BUILD)/wiretool: tests/unit/wiretool.c tools/mrrun/wire.h \
	$(BUILD)/mrrun/wire.o $(BUILD)/proc.o $(BUILD)/child.o $(CLI_OBJ) \
	$(LIBMR)
	$(CC) $(CPPFLAGS) -Itools/mrrun $(WARNFLAGS) $(CFLAGS) $(LDFLAGS) \
		-o $@ tests/unit/wiretool.c $(BUILD)/mrrun/wire.o \
		$(BUILD)/proc.o $(BUILD)/child.o $(CLI_OBJ) $(LIBMR) $(LDLIBS)

# The whole bats suite against the tools in $(BIN).  On a terminal bats
# draws its own summary; elsewhere (a log, CI) its TAP output ends with a
# line "N passed, N failed[, N skipped]", and the status is bats's.  A test
# that hangs fails after TEST_TIMEOUT seconds instead of holding the run.
TEST_TIMEOUT = 600
TAP_SUMMARY = { print; fflush() } \
	/^ok / { if (/ \# skip/) s++; else p++ } /^not ok / { f++ } \
	END { printf "%d passed, %d failed", p, f; \
		if (s) printf ", %d skipped", s; print "" }
check: all
	scripts/setup
	@if [ -t 1 ]; then \
		MR_BUILD=$(CURDIR)/$(BUILD) \
			BATS_TEST_TIMEOUT=$(TEST_TIMEOUT) bats tests; \
	else \
		exec 3>&1; \
		st=$$({ { MR_BUILD=$(CURDIR)/$(BUILD) \
			BATS_TEST_TIMEOUT=$(TEST_TIMEOUT) bats --tap tests; \
			echo $$? >&4; } | awk '$(TAP_SUMMARY)' >&3; } 4>&1); \
		exit $$st; \
	fi

# A word count of mr's own docs as one mrrun job, after a quiet build
# (make -s: only warnings and errors).
demo:
	@echo "Building the tools in $(BIN) (make all)..."
	@$(MAKE) -s all
	@MR_BIN=$(CURDIR)/$(BIN) scripts/demo

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
	clang $(LIB_CPPFLAGS) $(WARNFLAGS) -g -O1 \
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
