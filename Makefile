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
LIBS       := -lncursesw -ltinfo -lbpf -lelf -lz

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
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# Pure model code, shared by the agent and the unit tests.
MODEL_OBJS := $(addprefix $(BUILD)/user/,model.o verdict.o history.o advice.o json.o metrics.o report_json.o report_text.o names.o)
WORKLOADS := $(patsubst tests/integration/workloads/%.c,$(BUILD)/tests/%,\
             $(wildcard tests/integration/workloads/*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/*.c))
# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
ASAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_ASAN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/asan-%,$(wildcard tests/unit/*.c))
BENCH_TOOLS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/*.c))

.DELETE_ON_ERROR:
.PHONY: all deps test test-unit test-integration test-vm bench clean

all: $(BUILD)/portleak $(WORKLOADS)

deps:
	$(Q)scripts/install-deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/portleak.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(BUILD)/portleak.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name portleak_bpf > $@

# Every user object may include the skeleton: build it first.
$(USER_OBJS): | $(SKEL)

$(BUILD)/user/%.o: user/%.c | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CPPFLAGS) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/portleak: $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDSTATIC) $^ -o $@ $(LIBS)

$(BUILD)/tests/%: tests/integration/workloads/%.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -D_GNU_SOURCE $(USER_CFLAGS) -static -MMD -MP $< -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(MODEL_OBJS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CPPFLAGS) $(USER_CFLAGS) -MMD -MP $^ -o $@

$(BUILD)/tests/asan-test_%: tests/unit/test_%.c $(MODEL_OBJS:$(BUILD)/user/%.o=user/%.c) | $(BUILD)/tests
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(USER_CPPFLAGS) $(USER_CFLAGS) $(ASAN) -MMD -MP $^ -o $@

$(BUILD)/bench/%: tests/bench/%.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) -D_GNU_SOURCE $(USER_CFLAGS) -pthread -MMD -MP $< -o $@

$(BUILD)/bpf $(BUILD)/user $(BUILD)/tests $(BUILD)/bench:
	$(Q)mkdir -p $@

test: test-unit test-integration

test-unit: $(UNIT_TESTS) $(UNIT_ASAN)
	$(Q)for t in $^; do $$t || exit 1; done

test-integration: all
	$(Q)tests/integration/run.sh

# The integration suite in Debian 5.10, 6.1 and 6.12 kernels under qemu.
test-vm: all
	$(Q)scripts/vm-test.sh

# Benchmarks: never part of `make test` (timings depend on the machine).
bench: all $(BENCH_TOOLS)
	$(Q)scripts/bench.sh

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*/*.d)
