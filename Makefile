# stream-* tools: plain make, no configure step.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CFLAGS ?= -O2 -g
CC ?= cc

PKGS = json-c rdkafka libzstd zlib
SP_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wvla -Wshadow -Wstrict-prototypes \
	-Ilib -MMD -MP $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
SP_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ifdef DEVELOPER
SP_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SP_LDFLAGS += -fsanitize=address,undefined
endif

# Build directory: the sanitizer build lives apart from the normal one.
O ?= build
ifdef DEVELOPER
O = build-asan
endif

ifeq ($(V),1)
Q =
else
Q = @
endif

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:lib/%.c=$(O)/lib/%.o)
CMD_SRC = $(wildcard cmd/*.c)
CMDS = $(CMD_SRC:cmd/%.c=$(O)/bin/%)
UNIT_SRC = $(wildcard tests/unit/test-*.c)
UNITS = $(UNIT_SRC:tests/unit/%.c=$(O)/unit/%)
MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)
MAN7 = $(wildcard man/*.7)

all: $(CMDS)

$(O)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(SP_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(O)/libsp.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/cmd/%.o: cmd/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(SP_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(O)/bin/%: $(O)/cmd/%.o $(O)/libsp.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(O)/libsp.a $(SP_LDFLAGS) $(LDFLAGS) $(SP_LIBS)

$(O)/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SP_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(O)/unit/%: $(O)/unit/%.o $(O)/libsp.a
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(O)/libsp.a $(SP_LDFLAGS) $(LDFLAGS) $(SP_LIBS)

units: $(UNITS)

# Installs what building and testing need on Debian, when it is missing.
deps:
	@sh tests/deps.sh

check: deps
	$(MAKE) all units
	$(MAKE) DEVELOPER=1 all units
	sh tests/run.sh $(O)
	SP_BUILD=build-asan sh tests/run.sh build-asan
	$(MAKE) fuzz-smoke

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh

FUZZ_SRC = $(wildcard tests/fuzz/fuzz-*.c)
FUZZERS = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -Ilib $(shell pkg-config --cflags $(PKGS) 2>/dev/null)

build-fuzz/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build-fuzz/%: tests/fuzz/%.c $(LIB_SRC:lib/%.c=build-fuzz/lib/%.o)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $^ -o $@ $(SP_LIBS)

fuzz: $(FUZZERS)

# A short run of every fuzzer over its seed corpus (part of check).
fuzz-smoke: fuzz
	@for f in $(FUZZERS); do n=$$(basename $$f); \
	  mkdir -p build-fuzz/corpus-$$n; \
	  echo "  FUZZ    $$n"; \
	  $$f -max_total_time=$${FUZZ_SECONDS:-10} -timeout=5 -rss_limit_mb=1024 build-fuzz/corpus-$$n tests/fuzz/corpus/$$n >build-fuzz/$$n.log 2>&1 \
	    || { tail -40 build-fuzz/$$n.log; exit 1; }; done

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(CMDS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/

uninstall:
	rm -f $(CMDS:$(O)/bin/%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) $(MAN7:man/%=$(DESTDIR)$(MANDIR)/man7/%)

lint-man:
	@for m in $(MAN1) $(MAN5) $(MAN7); do mandoc -Tlint -W warning $$m || exit 1; done

# Every benchmark, or those named: make bench BENCH='window dedup' [ROWS=n]
BENCH ?= $(filter-out lib,$(basename $(notdir $(wildcard bench/*.sh))))
bench: deps
	@$(MAKE) --no-print-directory all
	@for b in $(BENCH); do echo "== bench/$$b.sh"; bash bench/$$b.sh $(ROWS) || exit 1; echo; done

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all units deps check demo fuzz fuzz-smoke install uninstall lint-man bench clean
.SECONDARY:

-include $(LIB_OBJ:.o=.d) $(CMD_SRC:cmd/%.c=$(O)/cmd/%.d) $(UNITS:=.d)
