# opspipe — one Makefile for seven programs.
#
#   make            build every program into bin/
#   make check      build and run the test suite (installs Debian packages as root)
#   make check SANITIZE=1   the same under ASan and UBSan
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the Debian packages needed to build and test
#   make demo       the summarize flow against a generated Prometheus history,
#                   then the remediate flow on the test fixtures (simulated)

VERSION  = 0.1.0
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?= -Werror
XCFLAGS  = -std=c11 -D_GNU_SOURCE -Wall -Wextra $(WERROR) -Wshadow \
           -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
           -DOPSPIPE_VERSION='"$(VERSION)"' -Isrc/lib -fopenmp -pthread
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

# Debian packages the build and the test suite need.
DEPS_BUILD = gcc make pkg-config libjq-dev libonig-dev libcurl4-openssl-dev \
             libyaml-dev libssl-dev libcmocka-dev libmicrohttpd-dev \
             libespeak-ng-dev
DEPS_TEST  = prometheus lighttpd jq curl python3 python3-numpy python3-scipy \
             python3-statsmodels python3-yaml mandoc shellcheck bsdextrautils \
             openssl 'kubernetes-client|kubectl' tzdata
DEPS_BENCH = wrk apache2-utils hyperfine
# kubectl is the oracle of k8spatch's local mode (test/t/k8spatch-local.sh):
# Debian's kubernetes-client (1.20) unless some kubectl is already here.
DEPS_TEST += $(if $(shell command -v kubectl 2>/dev/null),,kubernetes-client)

# Re-link when switching between plain and sanitized builds.
MODE_STAMP = build/.mode-$(MODE)
$(shell mkdir -p build; [ -f $(MODE_STAMP) ] || { rm -f build/.mode-*; touch $(MODE_STAMP); })

.PHONY: all check unit install clean deps demo fuzz fuzz-run
all: $(BINS) $(UNITS)

# Objects are written to a temporary name and renamed, so two makes racing
# in one tree never leave a half-written object behind. Every header is a
# prerequisite, programs' own too (src/promq/promq.h): a struct changed
# under objects that were not rebuilt makes a binary that runs, wrongly.
$(BUILD)/%.o: src/%.c $(wildcard src/*/*.h) | $(BUILD)/lib
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XCFLAGS) -c -o $@.$$$$.tmp $< && mv -f $@.$$$$.tmp $@

$(BUILD)/lib:
	@mkdir -p $@

$(LIB): $(LIB_OBJ)
	rm -f $@.tmp && ar rcs $@.tmp $^ && mv -f $@.tmp $@

# Keep program objects: make would otherwise delete them as intermediates.
.SECONDARY:
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
	@OPSPIPE_INSTALL=1 sh test/deps.sh $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_BENCH)

demo: deps-check all
	sh examples/demo.sh

# libFuzzer targets for the hand-written parsers (clang from Debian). As
# with unit tests, a target named fuzz_PROG_*.c also gets PROG's sources
# (all but main.c) and headers.
fuzz:
	@mkdir -p build/fuzz
	for f in $(FUZZ_SRC); do \
	  prog=$$(basename $$f .c | sed -n 's/^fuzz_\([a-z0-9]*\)_.*/\1/p'); extra=""; \
	  if [ -n "$$prog" ] && [ -d "src/$$prog" ]; then \
	    extra="-Isrc/$$prog"; \
	    for c in src/$$prog/*.c; do case $$c in */main.c) ;; *) extra="$$extra $$c" ;; esac; done; \
	  fi; \
	  clang -g -O1 -std=c11 -D_GNU_SOURCE -DOPSPIPE_VERSION='"$(VERSION)"' -Isrc/lib -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o build/fuzz/$$(basename $$f .c) $$f $$extra $(LIB_SRC) $(LDLIBS) || exit 1; \
	done

# make fuzz-run FUZZ_SECONDS=60: run every target for that long.
FUZZ_SECONDS ?= 60
fuzz-run: fuzz
	for f in build/fuzz/*; do \
	  LSAN_OPTIONS=suppressions=test/fuzz/lsan.supp:fast_unwind_on_malloc=0 \
	    $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/ || exit 1; \
	done

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/opspipe
	for b in $(BINS); do install -m 755 $$b $(DESTDIR)$(PREFIX)/bin/; done
	for s in $(SCRIPTS); do install -m 755 $$s $(DESTDIR)$(PREFIX)/bin/; done
	for m in $(MANPAGES); do install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/; done
	cp -R share/opspipe/. $(DESTDIR)$(PREFIX)/share/opspipe/

clean:
	rm -rf build $(BINS) bin/*.tmp
