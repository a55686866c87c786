# SPDX-License-Identifier: GPL-2.0
#
# ashmem for Linux: the thin orchestrator.  `make help` lists the targets.

SHELL := /bin/bash
# the verdict ("N passed, N failed") must stay the last line of make test
MAKEFLAGS += --no-print-directory
ROOT := $(CURDIR)
BUILD := $(ROOT)/build

# The kernel the guest boots and the module is built for (never uname -r).
KVER ?= $(shell $(ROOT)/qemu/kver.sh 2>/dev/null)
export KVER

# How guests are started (qemu/qemu.sh): auto uses KVM only once a probe
# boot has shown that it works, and decides once per make invocation.
ACCEL ?= auto
export ACCEL
ifeq ($(origin ASHMEM_QEMU_SESSION),undefined)
ASHMEM_QEMU_SESSION := make-$(shell date +%s.%N)
endif
export ASHMEM_QEMU_SESSION

KSRC_TARBALL := /usr/src/linux-source-6.1.tar.xz
KSRC := $(BUILD)/ksrc

# Every Debian package the build, the tests and the linters need.
DEB_PACKAGES := linux-image-amd64 linux-headers-amd64 linux-source-6.1 \
	linux-image-rt-amd64 linux-headers-rt-amd64 \
	qemu-system-x86 busybox-static cpio xz-utils kmod \
	build-essential gcc-multilib g++-multilib cmake pkg-config \
	libgtest-dev libbenchmark-dev libxxhash-dev \
	flex bison bc libelf-dev libssl-dev dwarves perl python3 clang-format clang-tidy \
	gnuplot-nox

SELFTESTS_OUT := $(BUILD)/selftests/ashmem

.PHONY: all help deps accel module selftests test check check-guest run bench lint \
	lint-checkpatch lint-kernel-doc lint-w1 install udev-install dkms-install clean

all: module selftests libashmem-all

help:
	@echo "make deps     install every Debian package the build and tests need"
	@echo "make          build the module, the selftests and libashmem"
	@echo "make test     deps, build, then run every test (host and QEMU guest)"
	@echo "make run      boot the guest and run the two-process demo"
	@echo "              (BACKEND=memfd: the same demo on the host, no module)"
	@echo "make bench    benchmarks on the host (memfd) and, in the guest, the Binder"
	@echo "              handover beside the Unix socket: build/bench/results.csv,"
	@echo "              a table of each figure beside its goal, PNG plots (not in make test)"
	@echo "make lint     checkpatch --strict, kernel-doc, W=1 build; clang-format/tidy"
	@echo "make install  install libashmem (PREFIX=/usr/local DESTDIR=)"
	@echo "make udev-install  the udev rule for both device names (UDEVDIR=/usr/lib/udev)"
	@echo "make dkms-install  register the driver with DKMS (needs the dkms package)"
	@echo "make clean    remove everything built"
	@echo "settings: KVER=$(KVER)"
	@echo "          ACCEL=$(ACCEL)  auto: KVM if a probe boot works, else TCG;"
	@echo "                      kvm: KVM or fail at once; tcg: software emulation"
	@echo "          LANES=\"$(LANES)\"  the kernels make test boots"

# Quick when everything is there: one dpkg-query, no apt.
deps:
	@missing=$$(dpkg-query -W -f='$${Package} $${db:Status-Abbrev}\n' $(DEB_PACKAGES) 2>/dev/null \
		| awk '$$2 == "ii" { ok[$$1] = 1 } END { n = split("$(DEB_PACKAGES)", p, " "); \
			for (i = 1; i <= n; i++) if (!ok[p[i]]) print p[i] }'); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "deps: all $(words $(DEB_PACKAGES)) packages present"; \
	fi

module:
	$(MAKE) -C driver KVER=$(KVER)

selftests:
	$(MAKE) -C selftests/ashmem OUTPUT=$(SELFTESTS_OUT)

# libashmem's own targets (libashmem, libashmem-test-host, libashmem-guest, ...)
-include libashmem/libashmem.mk
ifneq ($(wildcard libashmem/libashmem.mk),)
libashmem-all: libashmem
install: libashmem-install
LIBASHMEM_HOST_TEST := libashmem-test-host
LIBASHMEM_GUEST := libashmem-guest
LIBASHMEM_LINT := libashmem-lint
else
libashmem-all:
endif

# `make test` installs what is missing first, so a fresh machine works.
test: deps
	$(MAKE) check

# Decide the accelerator first (printed, with its reason), so that ACCEL=kvm
# on a machine whose KVM cannot boot the guest fails before any build.
accel:
	@qemu/qemu.sh accel /boot/vmlinuz-$(KVER) >/dev/null

check: accel all $(LIBASHMEM_HOST_TEST)
	qemu/judge-test.sh
	qemu/qemu-test.sh
	$(MAKE) check-guest

# The guest suite runs on each of these kernels (qemu/lanes.sh -h).
LANES ?= debian debug rt 6.12

check-guest: module selftests $(LIBASHMEM_GUEST)
	qemu/lanes.sh $(LANES)

# BACKEND=memfd runs the same demo on the host, without the module.
run: deps
ifeq ($(BACKEND),memfd)
	$(MAKE) libashmem-run-memfd
else
	$(MAKE) accel module $(LIBASHMEM_GUEST)
	qemu/run-tests.sh -m run
endif

# Benchmarks: each program in BENCH_PROGRAMS prints "name,value,unit" rows
# (handover_bench, which needs Binder, prints them in the guest);
# bench/run.sh collects them (and any in $(BENCH_OUT)/rows.d/*.csv) into
# results.csv, prints them beside bench/goals.txt and plots them.
BENCH_OUT := $(BUILD)/bench
BENCH_PROGRAMS := $(BENCH_OUT)/obj/channel_bench

bench:
	@echo "  CMAKE   $(BENCH_OUT)/obj"
	@cmake -S bench -B $(BENCH_OUT)/obj -G "$(LIBASHMEM_GENERATOR)" --log-level=WARNING \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DASHMEM_WERROR=ON
	@cmake --build $(BENCH_OUT)/obj -j $(LIBASHMEM_JOBS)
	@# handover_bench needs /dev/binder: it runs in the guest, its rows in rows.d
	@$(MAKE) accel module
	@rm -rf $(BENCH_OUT)/guest $(BENCH_OUT)/rows.d && mkdir -p $(BENCH_OUT)/guest $(BENCH_OUT)/rows.d
	@strip -o $(BENCH_OUT)/guest/handover_bench $(BENCH_OUT)/obj/handover_bench
	@BENCH=$(BENCH_OUT)/guest BENCH_ROWS=$(BENCH_OUT)/rows.d/guest.csv BUILD=$(BENCH_OUT)/qemu \
		qemu/run-tests.sh -m bench
	@ASHMEM_BACKEND=memfd bench/run.sh $(BENCH_OUT) $(BENCH_PROGRAMS)

# The rule gives /dev/ashmem mode 0666 and runs its helper, which makes the
# second name /dev/ashmem<boot_id> (udev resolves RUN+= names in UDEVDIR).
UDEVDIR ?= /usr/lib/udev
udev-install:
	install -D -m 644 udev/99-ashmem.rules $(DESTDIR)$(UDEVDIR)/rules.d/99-ashmem.rules
	install -D -m 755 udev/ashmem-boot-id-node $(DESTDIR)$(UDEVDIR)/ashmem-boot-id-node

# The driver as a DKMS source tree: rebuilt for every kernel installed later.
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' driver/dkms.conf)
DKMS_SRC := $(DESTDIR)/usr/src/ashmem_linux-$(DKMS_VERSION)
dkms-install:
	install -d $(DKMS_SRC)/uapi/linux
	install -m 644 driver/Kbuild driver/dkms.conf driver/*.c driver/*.h $(DKMS_SRC)/
	install -m 644 uapi/linux/ashmem.h $(DKMS_SRC)/uapi/linux/
	dkms add -m ashmem_linux -v $(DKMS_VERSION)
	dkms install -m ashmem_linux -v $(DKMS_VERSION)

# --- lint -----------------------------------------------------------------
DRIVER_SOURCES := $(filter-out %.mod.c,$(wildcard driver/*.c driver/*.h)) \
	uapi/linux/ashmem.h
# ashmem_compat.h exists to hold the version tests that checkpatch warns of;
# the backing files' fops are a runtime copy of shmem's, so cannot be const.
CHECKPATCH_IGNORE := FILE_PATH_CHANGES,SPDX_LICENSE_TAG,CONST_STRUCT
CHECKPATCH := $(KSRC)/scripts/checkpatch.pl

$(CHECKPATCH): $(KSRC_TARBALL)
	mkdir -p $(KSRC)
	tar -xJf $< -C $(KSRC) --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	touch $@

lint: lint-checkpatch lint-kernel-doc lint-w1 $(LIBASHMEM_LINT)

lint-checkpatch: $(CHECKPATCH)
	$(CHECKPATCH) --strict --no-tree --terse --show-types --ignore $(CHECKPATCH_IGNORE) \
		-f $(filter-out driver/ashmem_compat.h,$(DRIVER_SOURCES))
	$(CHECKPATCH) --strict --no-tree --terse --show-types \
		--ignore $(CHECKPATCH_IGNORE),LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f driver/ashmem_compat.h

lint-kernel-doc:
	@out=$$(/usr/lib/linux-kbuild-6.1/scripts/kernel-doc -none -Werror $(DRIVER_SOURCES) 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; echo "kernel-doc: clean"

lint-w1:
	$(MAKE) -C driver clean >/dev/null
	@out=$$($(MAKE) -C driver KVER=$(KVER) W=1 2>&1); status=$$?; echo "$$out"; \
	if [ $$status -ne 0 ] || echo "$$out" | grep -q 'warning:'; then \
		echo "W=1 build is not clean"; exit 1; fi

clean:
	-$(MAKE) -C driver clean
	rm -rf $(BUILD)
