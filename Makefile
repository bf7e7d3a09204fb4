# SPDX-License-Identifier: GPL-2.0
#
# pvlens: out-of-tree guest-side virtio drivers that measure virtualization
# overhead.  `make help` lists the targets.

PVLENS_VERSION := 0.1.0

# Newest kernel that has both headers and a bootable image (the guest boots it).
KVER ?= $(shell for d in $$(ls -1d /lib/modules/*/build 2>/dev/null | sort -V -r); do \
	v=$$(basename $$(dirname $$d)); [ -e /boot/vmlinuz-$$v ] && { echo $$v; break; }; done)
KDIR ?= /lib/modules/$(KVER)/build
TOP := $(CURDIR)
CACHE := $(TOP)/.cache
LINUX_SRC_TAR ?= /usr/src/linux-source-6.1.tar.xz
LINUX_SRC := $(CACHE)/src/linux-source-6.1
KSFT_DIR := $(LINUX_SRC)/tools/testing/selftests
CHECKPATCH := $(LINUX_SRC)/scripts/checkpatch.pl

HOSTCC ?= gcc
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -I$(TOP)/include

export KVER KDIR TOP CACHE KSFT_DIR HOSTCC USER_CFLAGS

# Files checkpatch and the selftests need, extracted once from Debian's
# linux-source-6.1 into the build cache (never vendored).
LINUX_SRC_FILES := scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch \
	'tools/testing/selftests/kselftest*.h'

.PHONY: all modules tools selftests unit check demo bench profile lint sparse \
	install clean deps linux-src help

all: modules tools selftests

help:
	@echo 'make            build modules, the pvlens command and the selftests'
	@echo 'make check      unit tests + every QEMU test (TESTS=config[,config] for a subset)'
	@echo 'make demo       boot a guest, load the suite, run a workload, show the counters'
	@echo 'make bench      pvlens drivers against the in-tree ones, interleaved'
	@echo 'make profile    exact guest instructions per read and kernel function, in-tree vs pvlens_blk'
	@echo '                (PROFILE_ARGS=--area=net: per TCP packet, --area=udp: per 64-byte UDP'
	@echo '                datagram, --area=udp-tx: per 64-byte datagram sent to the host,'
	@echo '                in-tree virtio_net vs pvlens_net)'
	@echo 'make unit       host unit tests only'
	@echo 'make lint       checkpatch --strict on every source file'
	@echo 'make sparse     build with sparse (C=2)'
	@echo 'make check-debug  the guest suite on a KASAN/lockdep/kmemleak kernel (qemu-test/debug-kernel/README.md)'
	@echo 'make check-debug-ci  the subset of it that .ci/run runs (DEBUG_CI_TESTS)'
	@echo 'make install    modules_install to updates/pvlens and the pvlens command'
	@echo 'make deps       install missing Debian packages (root)'
	@echo 'KVER=/KDIR= pick the kernel; default $(KVER)'

modules:
	@test -d "$(KDIR)" || { echo "pvlens: no kernel build tree at '$(KDIR)' (make deps, or KDIR=)" >&2; exit 1; }
	@mkdir -p $(CACHE)
	flock $(CACHE)/kbuild.lock $(MAKE) -C $(KDIR) M=$(TOP) modules

# Kbuild in one tree is not safe to run twice at once: serialise.
sparse:
	@mkdir -p $(CACHE)
	flock $(CACHE)/kbuild.lock $(MAKE) -C $(KDIR) M=$(TOP) C=2 W=1 modules

$(LINUX_SRC)/.stamp: $(LINUX_SRC_TAR)
	@mkdir -p $(CACHE)/src
	tar -C $(CACHE)/src -xJf $(LINUX_SRC_TAR) --wildcards \
		$(addprefix linux-source-6.1/,$(LINUX_SRC_FILES))
	@touch $@

linux-src: $(LINUX_SRC)/.stamp

tools:
	$(MAKE) -C tools/pvlens

selftests: linux-src
	$(MAKE) -C selftests

unit: linux-src
	$(MAKE) -C unit run

# libFuzzer dictates the CamelCase entry points of fuzz/*.c: only there is
# CAMELCASE not checked.
lint: linux-src
	@files=$$(git ls-files '*.c' '*.h' | grep -v -e '^unit/fixtures/' -e '^fuzz/'); \
	fuzz=$$(git ls-files 'fuzz/*.c' 'fuzz/*.h'); \
	perl $(CHECKPATCH) --strict --no-tree --quiet --show-types \
		--ignore FILE_PATH_CHANGES -f $$files && \
	{ [ -z "$$fuzz" ] || perl $(CHECKPATCH) --strict --no-tree --quiet --show-types \
		--ignore FILE_PATH_CHANGES,CAMELCASE -f $$fuzz; } && \
	echo "lint: checkpatch --strict clean ($$(echo $$files $$fuzz | wc -w) files)"

deps:
	qemu-test/deps.sh

# The harness builds (W=1), runs the host checks, then the guests.
check: deps
	qemu-test/run --tests "$(TESTS)"

demo: deps
	$(MAKE) all
	qemu-test/demo

bench: deps
	$(MAKE) all
	qemu-test/bench $(BENCH_ARGS)

# Exact guest instructions per read (PROFILE_ARGS=--area=net, udp or udp-tx: per packet),
# per kernel function, in-tree vs ours (TCG plugin
# qemu-test/plugins/insncount.c; README, "Profiling").
profile: deps
	$(MAKE) all
	qemu-test/profile $(PROFILE_ARGS)

install: modules tools
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_DIR=updates/pvlens modules_install
	$(MAKE) -C tools/pvlens install

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean
	-$(MAKE) -C tools/pvlens clean
	-$(MAKE) -C selftests clean
	-$(MAKE) -C unit clean
	rm -rf qemu-test/out

# The debug lane (issue 7): a guest kernel with KASAN, UBSAN, lockdep,
# kmemleak and fault injection, built once from Debian's linux-source-6.1
# into a cache outside the tree (qemu-test/debug-kernel/README.md), our
# modules built against it, then the guest suite (every configuration
# make check runs, plus the manual faults-* sweeps) with panic_on_warn and a
# kmemleak scan.  TESTS= picks configurations as for make check.
DEBUG_CACHE ?= /var/cache/pvlens/debug-kernel
DEBUG_TIMEOUT_SCALE ?= 4
DEBUG_JOBS ?= 2
# Under KASAN+TCG the ACPI interpreter needs >30 s for QEMU's _PRT and hits
# AE_AML_LOOP_TIMEOUT for every PCI device; virtio uses MSI-X anyway.
# no5lvl: -cpu max offers LA57, and 6.1's identify_cpu() clears the boot
# CPU's feature bits with interrupts on; a timer interrupt in that window
# sees 4-level paging, and KASAN reports its 5-level direct-map irq_desc as
# a wild access (CI saw it twice in ~40 boots, at 0.005 s and 0.8 s).
DEBUG_CMDLINE ?= acpi=noirq no5lvl

.PHONY: check-debug
check-debug:
	$(MAKE) tools selftests
	PVLENS_DEBUG_CACHE=$(DEBUG_CACHE) qemu-test/debug-kernel/build
	set -a && . $(DEBUG_CACHE)/current/env && set +a && \
	qemu-test/run --debug-checks --timeout-scale $(DEBUG_TIMEOUT_SCALE) \
		--cmdline "$(DEBUG_CMDLINE)" -j $(DEBUG_JOBS) \
		--include-manual 'faults-*' $(if $(TESTS),--tests "$(TESTS)")

# What .ci/run runs on the debug kernel after make check: one configuration
# per module and driver shape (net-mq and the faults-net-pvlens transfers
# cover the socket link of net-socket), the blk request path with the
# kernel's atomic allocations failing, and the sweeps of our own call sites
# (bind, module init, request path, refill), so that CI stays within its
# budget (README, "The debug lane in CI").  The sweeps over every kernel
# allocation (faults-core, faults-blk, faults-net-bind) take an hour each:
# not here.
DEBUG_CI_TESTS ?= core,clock,blk-1q,blk-2q,net-mq,net-sim,faults-blk-io,faults-blk-pvlens,faults-net-pvlens
.PHONY: check-debug-ci
check-debug-ci:
	$(MAKE) check-debug TESTS="$(DEBUG_CI_TESTS)"

# Fuzzing and userspace static analysis (issue 7, fuzz/README.md).
# make fuzz runs each libFuzzer harness for FUZZ_SECS seconds and fails on
# the first crash or sanitizer report; make static runs cppcheck and
# clang-tidy on the userspace C and fails on any unsuppressed finding.
FUZZ_SECS ?= 60

.PHONY: fuzz static
fuzz:
	$(MAKE) -C fuzz run FUZZ_SECS=$(FUZZ_SECS)

static: linux-src
	fuzz/static.sh
