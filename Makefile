# vigil - GNU make build.  See docs/build.md.
#   make            build build/vigild and build/vigil
#   make test       unit tests, then integration tests (root, loop devices)
#   make unit       unit tests only
#   make asan       unit tests built and run with ASan + UBSan
#   make fuzz       libFuzzer targets (clang)
#   make CC=clang   the same with clang

CC      ?= cc
BUILD   ?= build
CSTD     = -std=c17
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter $(if $(findstring clang,$(CC)),,-Wno-format-truncation)
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong
OPT     ?= -O2 -g
CFLAGS  += $(CSTD) $(WARN) $(OPT) $(HARDEN) -I$(BUILD)/gen -pthread
LDLIBS  += -lsqlite3 -lssl -lcrypto -ljansson -lcurl -pthread

COMMON  = src/common/log.c src/common/util.c src/common/config.c src/common/json.c
JOURNAL = src/journal/store.c src/journal/vault.c src/journal/index.c
ANALYSE = src/analyse/entropy.c src/analyse/format.c src/analyse/compare.c
DAEMON  = $(COMMON) $(JOURNAL) $(ANALYSE) src/actor/actor.c src/actor/smb.c src/capture/intent.c \
          src/capture/fanotify.c src/daemon/hold.c src/daemon/perm.c src/daemon/notify.c \
          src/daemon/control.c src/daemon/retention.c src/daemon/vigild.c src/daemon/range.c \
          src/daemon/analyser.c src/daemon/notes.c src/daemon/respond.c src/judge/judge.c src/contain/contain.c \
          src/contain/smbban.c src/report/emit.c src/report/http.c \
          src/warn/canary.c src/warn/alert.c src/warn/massread.c src/warn/tamper.c \
          src/warn/guard.c src/warn/snapshot.c src/intel/exec.c
CLI     = $(COMMON) src/journal/store.c src/journal/vault.c \
          src/actor/actor.c src/actor/smb.c src/recover/restore.c src/recover/rollback.c \
          src/report/report.c src/report/stix.c src/report/html.c \
          src/report/http.c src/intel/ioc.c \
          src/cli/vigil.c src/cli/incidents.c src/cli/report.c src/cli/ioc.c src/cli/share.c

obj = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(1))

all: $(BUILD)/vigild $(BUILD)/vigil

$(BUILD)/gen/vigil.conf.inc: etc/vigil.conf
	@mkdir -p $(dir $@)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@

$(BUILD)/obj/%.o: src/%.c $(BUILD)/gen/vigil.conf.inc $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/vigild: $(call obj,$(DAEMON))
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS) -lbtrfsutil

$(BUILD)/vigil: $(call obj,$(CLI))
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

# ---- tests ----
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
UNIT_DEPS = $(COMMON) $(JOURNAL) $(ANALYSE) src/actor/actor.c src/actor/smb.c src/capture/intent.c \
            src/judge/judge.c src/contain/contain.c src/contain/smbban.c \
            src/report/report.c src/report/stix.c src/report/html.c src/report/emit.c \
            src/report/http.c src/intel/ioc.c src/warn/canary.c

$(BUILD)/tests/%: tests/unit/%.c $(call obj,$(UNIT_DEPS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: all
	tests/integration/run.sh

test: all unit integration

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" unit all

FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build-fuzz/%: tests/fuzz/%.c $(COMMON) $(JOURNAL) $(ANALYSE) src/capture/intent.c src/actor/actor.c src/actor/smb.c \
             src/contain/smbban.c src/report/report.c src/report/stix.c src/report/html.c \
             src/intel/ioc.c \
             build/gen/vigil.conf.inc
	@mkdir -p build-fuzz
	clang $(CSTD) -g -O1 -Ibuild/gen -pthread -fsanitize=fuzzer,address,undefined $(filter %.c,$^) -o $@ -lsqlite3 -ljansson -lcrypto
fuzz: $(FUZZ_TARGETS)

clean:
	rm -rf build build-asan build-fuzz

install: all
	install -D -m 0755 $(BUILD)/vigild $(DESTDIR)/usr/sbin/vigild
	install -D -m 0755 $(BUILD)/vigil $(DESTDIR)/usr/bin/vigil
	install -D -m 0644 etc/vigil.conf $(DESTDIR)/etc/vigil/vigil.conf
	install -D -m 0644 systemd/vigild.service $(DESTDIR)/lib/systemd/system/vigild.service
	install -D -m 0644 man/vigild.8 $(DESTDIR)/usr/share/man/man8/vigild.8
	install -D -m 0644 man/vigil.1 $(DESTDIR)/usr/share/man/man1/vigil.1
	install -D -m 0644 man/vigil.conf.5 $(DESTDIR)/usr/share/man/man5/vigil.conf.5

.PHONY: all unit integration test asan fuzz clean install
.SECONDARY:

# ---- benchmarks (bench/run.sh builds this itself) ----
$(BUILD)/openlat: bench/openlat.c
	@mkdir -p $(BUILD)
	$(CC) $(CSTD) $(WARN) -O2 $< -o $@
$(BUILD)/floor: bench/floor.c
	@mkdir -p $(BUILD)
	$(CC) $(CSTD) $(WARN) -O2 $< -o $@
bench: all $(BUILD)/openlat $(BUILD)/floor
	bench/run.sh
# throughput of the analysers' statistical core (no root, no daemon)
$(BUILD)/analyse-bench: bench/analyse.c $(ANALYSE) src/analyse/analyse.h
	@mkdir -p $(BUILD)
	$(CC) $(CSTD) $(WARN) -O2 -pthread $(filter %.c,$^) -o $@
bench-analyse: $(BUILD)/analyse-bench
	$(BUILD)/analyse-bench
.PHONY: bench bench-analyse
