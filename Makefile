# opspipe — one Makefile for seven programs.
#
#   make            build every program into bin/
#   make check      build and run the test suite (installs Debian packages as root)
#   make check SANITIZE=1   the same under ASan and UBSan
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the Debian packages to build, test, fuzz, run CI and benchmark
#   make demo       the summarize flow against a generated Prometheus history,
#                   then the remediate flow on the test fixtures (simulated)

# The version and the shared limits: share/opspipe/lib/constants.sh.
CONSTANTS = share/opspipe/lib/constants.sh
constant  = $(shell sed -n 's/^$(1)=//p' $(CONSTANTS))
VERSION  := $(call constant,opspipe_version)
SHARD_MAX := $(call constant,opspipe_shard_max)
CONST_DEFS = -DOPSPIPE_VERSION='"$(VERSION)"' -DOPSPIPE_SHARD_MAX=$(SHARD_MAX)
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?= -Werror
XCFLAGS  = -std=c11 -D_GNU_SOURCE -Wall -Wextra $(WERROR) -Wshadow \
           -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
           $(CONST_DEFS) -Isrc/lib -fopenmp -pthread
LDLIBS   = -ljq -lonig -lcurl -lyaml -lcrypto -lm -fopenmp -pthread
# Libraries only one program needs, linked into it (and its unit tests).
LDLIBS_phonecall = -lmicrohttpd -lespeak-ng

ifeq ($(SANITIZE),1)
MODE     = asan
XCFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDLIBS  += -fsanitize=address,undefined
else
MODE     = plain
endif

BUILD    = build/$(MODE)
PROGRAMS = $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard src/*/main.c)))))
PROGRAMS := $(filter-out lib,$(PROGRAMS))
BINS     = $(addprefix bin/,$(PROGRAMS))
LIB_SRC  = $(wildcard src/lib/*.c)
LIB_OBJ  = $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRC))
LIB      = $(BUILD)/libopspipe.a
UNIT_SRC = $(wildcard test/unit/*.c)
UNITS    = $(patsubst test/unit/%.c,$(BUILD)/test/%,$(UNIT_SRC))
FUZZ_SRC = $(wildcard test/fuzz/*.c)
SCRIPTS  = $(filter-out $(BINS),$(wildcard bin/opspipe-*))
MANPAGES = $(wildcard share/man/man1/*.1)

# Debian packages the build and the tests need, one a line (add yours on a
# line of its own, in its group). A fresh Debian 12 (debootstrap minbase)
# has coreutils, sed, mawk, grep, findutils, tar, gzip, diffutils and
# util-linux; everything else a recipe, a test or the demo runs is here.
DEPS_BUILD  = make
DEPS_BUILD += gcc
DEPS_BUILD += libc6-dev
DEPS_BUILD += pkg-config
DEPS_BUILD += libjq-dev
DEPS_BUILD += libonig-dev
DEPS_BUILD += libcurl4-openssl-dev
DEPS_BUILD += libyaml-dev
DEPS_BUILD += libssl-dev
DEPS_BUILD += libcmocka-dev
# phonecall: its callback listener and speech.
DEPS_BUILD += libmicrohttpd-dev
DEPS_BUILD += libespeak-ng-dev

# Servers the tests and the demo run for real.
DEPS_TEST  = prometheus
DEPS_TEST += lighttpd
# Fixtures and checkers: stdlib Python, and the references tests compare with.
DEPS_TEST += python3
DEPS_TEST += python3-numpy
DEPS_TEST += python3-scipy
DEPS_TEST += python3-statsmodels
DEPS_TEST += python3-yaml
# Commands the tests and flows run.
DEPS_TEST += jq
DEPS_TEST += curl
DEPS_TEST += mandoc
DEPS_TEST += shellcheck
DEPS_TEST += bsdextrautils
DEPS_TEST += openssl
DEPS_TEST += time
# kubectl for `kubectl kustomize` (test/t/k8s.sh): Debian's, unless
# Kubernetes' own kubectl package is installed (the two conflict).
DEPS_TEST += 'kubernetes-client|kubectl'
# phonecall's schedules: the system tz database.
DEPS_TEST += tzdata
# The monitoring stack's tests run these for real (test/monitoring/stack.sh).
DEPS_TEST += prometheus-node-exporter
DEPS_TEST += prometheus-alertmanager
DEPS_TEST += prometheus-pushgateway

DEPS_FUZZ  = clang
DEPS_FUZZ += libclang-rt-dev

# .ci/run's fresh Debian root (.ci/fresh-debian).
DEPS_CI  = debootstrap
DEPS_CI += git

DEPS_BENCH  = wrk
DEPS_BENCH += apache2-utils
DEPS_BENCH += hyperfine
# The autoscale benchmark plots the seasonal day.
DEPS_BENCH += gnuplot-nox

# Re-link when switching between plain and sanitized builds.
MODE_STAMP = build/.mode-$(MODE)
$(shell mkdir -p build; [ -f $(MODE_STAMP) ] || { rm -f build/.mode-*; touch $(MODE_STAMP); })

.PHONY: all check unit install clean deps deps-check demo fuzz fuzz-run
all: $(BINS) $(UNITS)

# `make check` and `make demo` on a fresh machine install the packages
# before anything compiles, even under -j: every object waits for the
# build directory, which waits for deps-check.
ifneq ($(filter check demo,$(MAKECMDGOALS)),)
$(BUILD)/lib: | deps-check
endif

# Objects are written to a temporary name and renamed, so two makes racing
# in one tree never leave a half-written object behind. Every header is a
# prerequisite, programs' own too (src/promq/promq.h): a struct changed
# under objects that were not rebuilt makes a binary that runs, wrongly.
# So is the constants file: a new version or limit rebuilds everything.
$(BUILD)/%.o: src/%.c $(wildcard src/*/*.h) $(CONSTANTS) | $(BUILD)/lib
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XCFLAGS) -c -o $@.$$$$.tmp $< && mv -f $@.$$$$.tmp $@

$(BUILD)/lib:
	@mkdir -p $@

$(LIB): $(LIB_OBJ)
	rm -f $@.tmp && ar rcs $@.tmp $^ && mv -f $@.tmp $@

# Keep program objects: make would otherwise delete them as intermediates.
# Only these: a bare .SECONDARY: makes every target intermediate, and make
# skips a missing intermediate without prerequisites (deps-check).
.SECONDARY: $(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/*/*.c))
.SECONDEXPANSION:
bin/%: $$(subst .c,.o,$$(subst src/,$(BUILD)/,$$(wildcard src/%/*.c))) $(LIB) $(MODE_STAMP)
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@.tmp $(filter %.o,$^) $(LIB) $(LDLIBS) $(LDLIBS_$*) && mv -f $@.tmp $@

# A unit test named test_PROG_*.c also links PROG's own objects (all but
# main.o) and sees its headers, so a program's parsers are tested where
# they live: test_k8spatch_local.c links src/k8spatch/*.c but main.c.
unit_prog = $(word 2,$(subst _, ,$(1)))
prog_objs = $(filter-out %/main.o,$(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/$(call unit_prog,$(1))/*.c)))
$(BUILD)/test/%: test/unit/%.c $$(call prog_objs,$$*) $(LIB) $(wildcard src/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XCFLAGS) -Isrc/$(call unit_prog,$*) -o $@.tmp $< $(call prog_objs,$*) $(LIB) $(LDLIBS) $(LDLIBS_$(call unit_prog,$*)) -lcmocka && mv -f $@.tmp $@

check: deps-check all
	OPSPIPE_BUILD=$(BUILD) sh test/run

deps-check:
	@sh test/deps.sh $(DEPS_BUILD) $(DEPS_TEST)

deps:
	@sh test/deps.sh $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_FUZZ) $(DEPS_CI) $(DEPS_BENCH)

demo: deps-check all
	sh examples/demo.sh

# libFuzzer targets for the hand-written parsers (clang from Debian). As
# with unit tests, a target named fuzz_PROG_*.c also gets PROG's sources
# (all but main.c) and headers.
fuzz:
	@sh test/deps.sh $(DEPS_BUILD) $(DEPS_FUZZ)
	@mkdir -p build/fuzz
	for f in $(FUZZ_SRC); do \
	  prog=$$(basename $$f .c | sed -n 's/^fuzz_\([a-z0-9]*\)_.*/\1/p'); extra=""; \
	  if [ -n "$$prog" ] && [ -d "src/$$prog" ]; then \
	    extra="-Isrc/$$prog"; \
	    for c in src/$$prog/*.c; do case $$c in */main.c) ;; *) extra="$$extra $$c" ;; esac; done; \
	  fi; \
	  clang -g -O1 -std=c11 -D_GNU_SOURCE $(CONST_DEFS) -Isrc/lib -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o build/fuzz/$$(basename $$f .c) $$f $$extra $(LIB_SRC) $(LDLIBS) || exit 1; \
	done

# make fuzz-run FUZZ_SECONDS=60: run every target for that long; a crash,
# a leak or an input slower than 10 s fails (the input is kept in
# build/fuzz/, the target's name first).
FUZZ_SECONDS ?= 60
fuzz-run: fuzz
	for f in $(FUZZ_SRC); do \
	  t=$$(basename $$f .c); \
	  LSAN_OPTIONS=suppressions=test/fuzz/lsan.supp:fast_unwind_on_malloc=0 \
	    build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	      -artifact_prefix=build/fuzz/$$t- -print_final_stats=1 || exit 1; \
	done

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/opspipe
	for b in $(BINS); do install -m 755 $$b $(DESTDIR)$(PREFIX)/bin/; done
	for s in $(SCRIPTS); do install -m 755 $$s $(DESTDIR)$(PREFIX)/bin/; done
	for m in $(MANPAGES); do install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/; done
	cp -R share/opspipe/. $(DESTDIR)$(PREFIX)/share/opspipe/

clean:
	rm -rf build $(BINS) bin/*.tmp
