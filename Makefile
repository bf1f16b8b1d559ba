# portleak — build, test and install targets. `make V=1` shows the commands.

ARCH       ?= x86
BUILD      := build
CLANG      ?= clang
BPFTOOL    ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
CC         ?= cc
CFLAGS     ?= -O2 -g
SANITIZE   ?=
WARN       := -Wall -Wextra -Werror
USER_CPPFLAGS := -I$(BUILD) -Ibpf -Iuser -D_GNU_SOURCE
USER_CFLAGS   := -std=gnu11 $(WARN) $(CFLAGS) $(SANITIZE)
# libbpf's BPF_PROG/BPF_KPROBE macros leave ctx unused.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf $(WARN) -Wno-unused-parameter
# A sanitizer runtime cannot be linked statically.
LDSTATIC   := $(if $(SANITIZE),,-static)
LIBS       := -lncursesw -ltinfo -lbpf -lelf -lz -ljansson

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
# maps.bpf.o defines the maps the others declare extern; libbpf 1.1's linker
# needs the definition first.
BPF_OBJS  := $(BUILD)/bpf/maps.bpf.o $(filter-out $(BUILD)/bpf/maps.bpf.o,\
             $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS)))
SKEL      := $(BUILD)/portleak.skel.h
# portleak close's own object (bpf/remedy/): the agent loads without it.
REMEDY_SKEL := $(BUILD)/remedy.skel.h
USER_SRCS := $(wildcard user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# Plain C without BPF, shared by the agent and the unit tests: the arrays
# every layer uses, the model, the views that render it, and the host
# readers the tests feed files to.
MODEL_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(wildcard user/lib/*.c user/model/*.c)) \
              $(addprefix $(BUILD)/user/views/,json.o metrics.o report_json.o report_text.o top.o) \
              $(addprefix $(BUILD)/user/host/,cgroups.o conntrack.o sysinfo.o)
WORKLOADS := $(patsubst tests/integration/workloads/%.c,$(BUILD)/tests/%,\
             $(wildcard tests/integration/workloads/*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/*.c))
# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
ASAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_ASAN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/asan-%,$(wildcard tests/unit/*.c))
BENCH_TOOLS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/*.c))
# libFuzzer harnesses (clang), each with the sources it exercises.
FUZZERS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/*.c))
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECS  ?= 15

.DELETE_ON_ERROR:
VERSION    := $(shell sed -n 's/.*PORTLEAK_VERSION "\(.*\)".*/\1/p' user/cmd/version.h)
# What 'portleak version' reports besides VERSION: the commit, and a build
# date that is the commit's (or SOURCE_DATE_EPOCH's), so that one commit
# always builds the same binary.
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
GIT_DIRTY  := $(if $(GIT_COMMIT),$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty))
SOURCE_DATE_EPOCH ?= $(or $(shell git log -1 --format=%ct 2>/dev/null),$(shell date +%s))
BUILD_DATE := $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)
BUILD_INFO := $(or $(GIT_COMMIT),unknown)$(GIT_DIRTY) $(BUILD_DATE)

.PHONY: FORCE all deps deb test-deps image test-package test-k8s test test-unit test-integration test-hostile test-asan test-valgrind test-fuzz test-vm soak bench clean

all: $(BUILD)/portleak $(WORKLOADS) $(BUILD)/tests/leaky-pie $(BUILD)/tests/leaky-stripped

deps:
	$(Q)scripts/install-deps.sh

# What the tests need beyond the build (tmux, prometheus, qemu, ...),
# installed without starting any service.
test-deps:
	$(Q)scripts/install-deps.sh --test

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/portleak.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(BUILD)/portleak.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name portleak_bpf > $@

$(BUILD)/remedy.bpf.o: $(BUILD)/bpf/remedy/close.bpf.o
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(REMEDY_SKEL): $(BUILD)/remedy.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name remedy_bpf > $@

# The loader's objects include the skeletons: build them first.
$(filter $(BUILD)/user/loader/%,$(USER_OBJS)): | $(SKEL) $(REMEDY_SKEL)

$(BUILD)/user/%.o: user/%.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CPPFLAGS) $(USER_CFLAGS) -MMD -MP -c $< -o $@

# Rewritten only when the commit or date changes: version.o is rebuilt then.
$(BUILD)/build-info: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '$(BUILD_INFO)' | cmp -s - $@ || echo '$(BUILD_INFO)' >$@

$(BUILD)/user/cmd/version.o: $(BUILD)/build-info
$(BUILD)/user/cmd/version.o: USER_CPPFLAGS += -DPORTLEAK_COMMIT='"$(word 1,$(BUILD_INFO))"' \
	-DPORTLEAK_BUILD_DATE='"$(BUILD_DATE)"'

$(BUILD)/portleak: $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDSTATIC) $^ -o $@ $(LIBS)

$(BUILD)/tests/%: tests/integration/workloads/%.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -D_GNU_SOURCE $(USER_CFLAGS) -pthread -static -MMD -MP $< -o $@

# The leak-origin workload: frame pointers, as a position-dependent
# binary, as a PIE, and stripped of its symbol table.
LEAKY_CFLAGS := -D_GNU_SOURCE -std=gnu11 $(WARN) -O1 -g -fno-omit-frame-pointer \
                -fno-optimize-sibling-calls
$(BUILD)/tests/leaky: tests/integration/workloads/leaky.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(LEAKY_CFLAGS) -static -no-pie -MMD -MP $< -o $@

# The hostile-host client calls connect() through code it makes: frame
# pointers, so that frame is on the captured stack.
$(BUILD)/tests/hostile: tests/integration/workloads/hostile.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(LEAKY_CFLAGS) -static -MMD -MP $< -o $@

$(BUILD)/tests/leaky-pie: tests/integration/workloads/leaky.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(LEAKY_CFLAGS) -static-pie -fPIE $< -o $@

$(BUILD)/tests/leaky-stripped: $(BUILD)/tests/leaky
	$(call msg,STRIP,$@)
	$(Q)strip -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(MODEL_OBJS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CPPFLAGS) $(USER_CFLAGS) -MMD -MP $^ -o $@

$(BUILD)/tests/asan-test_%: tests/unit/test_%.c $(MODEL_OBJS:$(BUILD)/user/%.o=user/%.c) | $(BUILD)/tests
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(USER_CPPFLAGS) $(USER_CFLAGS) $(ASAN) -MMD -MP $^ -o $@

FUZZ_HEADERS := $(wildcard user/*/*.h bpf/*.h)

$(BUILD)/fuzz/fuzz_options: tests/fuzz/fuzz_options.c user/cmd/options.c user/cmd/usage.c user/loader/hooks.c user/loader/kernel_btf.c $(FUZZ_HEADERS) | $(SKEL) $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(USER_CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@ -lbpf -lelf -lz

$(BUILD)/fuzz/fuzz_http: tests/fuzz/fuzz_http.c user/views/http.c $(FUZZ_HEADERS) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(USER_CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@

$(BUILD)/fuzz/fuzz_perfmap: tests/fuzz/fuzz_perfmap.c user/host/perfmap.c user/lib/array.c $(FUZZ_HEADERS) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(USER_CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@

$(BUILD)/fuzz/fuzz_runtimes: tests/fuzz/fuzz_runtimes.c user/host/runtimes.c user/host/sysinfo.c user/host/untrusted.c user/lib/array.c $(FUZZ_HEADERS) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(USER_CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@ -ljansson

$(BUILD)/fuzz/fuzz_conntrack: tests/fuzz/fuzz_conntrack.c user/host/conntrack.c user/host/sysinfo.c $(FUZZ_HEADERS) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(USER_CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@

$(BUILD)/fuzz/fuzz_sockdiag: tests/fuzz/fuzz_sockdiag.c user/host/sockdiag.c $(FUZZ_HEADERS) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(USER_CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@

$(BUILD)/fuzz/fuzz_ctnetlink: tests/fuzz/fuzz_ctnetlink.c user/host/ctnetlink.c $(FUZZ_HEADERS) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(USER_CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@

$(BUILD)/fuzz/fuzz_encoders: tests/fuzz/fuzz_encoders.c $(MODEL_OBJS:$(BUILD)/user/%.o=user/%.c) $(FUZZ_HEADERS) | $(SKEL) $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(USER_CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@

$(BUILD)/bench/%: tests/bench/%.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) -D_GNU_SOURCE $(USER_CFLAGS) -pthread -MMD -MP $< -o $@

$(BUILD)/bpf $(BUILD)/tests $(BUILD)/bench $(BUILD)/fuzz:
	$(Q)mkdir -p $@

test: test-deps
	$(Q)$(MAKE) --no-print-directory test-unit test-fuzz test-k8s test-package test-integration test-hostile test-asan test-valgrind

# The Debian package: build/portleak_VERSION_ARCH.deb (dpkg-deb).
DEB := $(BUILD)/portleak_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null).deb
deb: $(DEB)

$(DEB): $(BUILD)/portleak scripts/deb.sh $(wildcard scripts/debian/* scripts/completion/*) \
	doc/portleak.8 scripts/systemd/portleak.service scripts/prometheus/portleak.rules.yml \
	scripts/grafana/portleak-dashboard.json
	$(call msg,DEB,$@)
	$(Q)scripts/deb.sh $(VERSION) $(BUILD) >/dev/null

# --help, the man page and the completions against the options each command
# takes; the package through lintian, dpkg -i and dpkg --purge on this host.
test-package: $(DEB)
	$(Q)tests/package/run.sh $(DEB)

# An OCI image of the static binary (umoci, skopeo: no container engine).
image: $(BUILD)/portleak
	$(Q)scripts/image.sh $(VERSION)

# The Kubernetes manifests against the API schemas, and the image run.
test-k8s: image
	$(Q)tests/k8s/run.sh $(VERSION)

test-unit: $(UNIT_TESTS) $(UNIT_ASAN)
	$(Q)for t in $^; do $$t || exit 1; done

test-integration: all
	$(Q)tests/integration/run.sh

# serve beside processes that run as nobody and make their files hostile,
# a host with a million fds, kill -9 during start, no tracefs.
test-hostile: all
	$(Q)tests/hostile/run.sh

# The integration suite (default hooks) against an ASan/UBSan build of
# portleak: any sanitizer report aborts portleak, and its test fails.
test-asan: all
	$(Q)$(MAKE) -s --no-print-directory BUILD=$(BUILD)/asan SANITIZE="$(ASAN)" $(BUILD)/asan/portleak
	$(Q)PORTLEAK_BIN=$(BUILD)/asan/portleak PORTLEAK_TEST_ASAN=1 PORTLEAK_TEST_HOOKS=auto tests/integration/run.sh

# snapshot, snapshot --verify and doctor under valgrind (a dynamic build).
test-valgrind: all
	$(Q)$(MAKE) -s --no-print-directory BUILD=$(BUILD)/dyn LDSTATIC= $(BUILD)/dyn/portleak
	$(Q)tests/valgrind/run.sh $(BUILD)/dyn/portleak

# Each harness for FUZZ_SECS seconds from the seeds in tests/fuzz/corpus;
# what it learns stays in build/fuzz/corpus-*.
test-fuzz: $(FUZZERS)
	$(Q)for f in $^; do n=$${f##*/}; mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		$$f -max_total_time=$(FUZZ_SECS) -close_fd_mask=3 -print_final_stats=1 $(BUILD)/fuzz/corpus-$$n \
			tests/fuzz/corpus/$$n >$(BUILD)/fuzz/$$n.log 2>&1 || \
			{ tail -n 40 $(BUILD)/fuzz/$$n.log; echo "$$n: FAILED (see $(BUILD)/fuzz/$$n.log)"; exit 1; }; \
		echo "$$n: $$(awk '/stat::number_of_executed_units/ { print $$2 }' $(BUILD)/fuzz/$$n.log) runs in $(FUZZ_SECS) s, no failure"; \
	done

# The integration suite in Debian 5.10, 6.1 and 6.12 kernels under qemu.
test-vm: all test-deps $(BENCH_TOOLS)
	$(Q)scripts/vm-test.sh

# Ten minutes of churn, then portleak reconciled with /proc and ss
# (the integration suite runs the same for a few seconds).
soak: all
	$(Q)tests/soak/soak.sh -t $(or $(SOAK_SECS),600)

# Benchmarks: never part of `make test` (timings depend on the machine).
bench: all $(BENCH_TOOLS)
	$(Q)scripts/bench.sh

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)
