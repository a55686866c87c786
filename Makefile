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
	dkms dh-dkms debhelper dpkg-dev fakeroot lintian openssl groff-base man-db \
	build-essential gcc-multilib g++-multilib cmake pkg-config \
	libgtest-dev libbenchmark-dev libxxhash-dev \
	flex bison bc libelf-dev libssl-dev dwarves perl python3 clang-format clang-tidy \
	gnuplot-nox sparse debootstrap qemu-system-arm python3-yaml

SELFTESTS_OUT := $(BUILD)/selftests/ashmem

.PHONY: all help deps accel module selftests test check check-guest run shell bench lint \
	lint-checkpatch lint-kernel-doc lint-w1 lint-lanes lint-man readme-table dkms-lanes install \
	udev-install dkms-install deb uninstall clean

all: module selftests libashmem-all

help:
	@echo "make deps     install every Debian package the build and tests need"
	@echo "make          build the module, the selftests and libashmem"
	@echo "make test     deps, build, then run every test (host and QEMU guest)"
	@echo "make run      boot the guest and run the two-process demo"
	@echo "              (BACKEND=memfd: the same demo on the host, no module)"
	@echo "make shell    an interactive shell in the guest (KERNEL=debian|debug|rt|6.12)"
	@echo "make bench    benchmarks on the host (memfd) and in the guest (ashmem, Binder):"
	@echo "              build/bench/results.csv, a table of each figure beside its goal,"
	@echo "              PNG plots (not in make test)"
	@echo "make lint     checkpatch --strict, kernel-doc, W=1 build; W=1 + sparse for"
	@echo "              every lane's kernel; man pages; clang-format/tidy"
	@echo "make readme-table  README.md's table of tested kernels, from the last run"
	@echo "make dkms-lanes    dkms build against the 6.12 and the newest headers"
	@echo "make install  libashmem, ashmemctl, man pages, udev rule, modules-load.d"
	@echo "              entry, the module + depmod (PREFIX=/usr/local DESTDIR=); make uninstall"
	@echo "make udev-install  the udev rule for both device names (UDEVDIR=/usr/lib/udev)"
	@echo "make dkms-install  register the driver with DKMS and build it (DKMS_KVER=<kernel>)"
	@echo "make deb      Debian packages in build/deb (ashmem-dkms, libashmem0, -dev, ashmem-tools)"
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

check: accel all $(LIBASHMEM_HOST_TEST) $(LIBASHMEM_GUEST) lint-man
	qemu/judge-test.sh
	qemu/qemu-test.sh
	qemu/shell-test.sh
	packaging/dkms-test.sh
	$(MAKE) dkms-lanes
	packaging/install-test.sh
	packaging/kubernetes-test.sh
	packaging/deb.sh test $(BUILD)/deb
	Documentation/examples-test.sh
	$(MAKE) check-guest DEBIAN_MODULE=/lib/modules/$(KVER)/updates/dkms/ashmem_linux.ko

# The guest suite runs on each of these kernels (qemu/lanes.sh -h).
LANES ?= debian debug rt 6.12 newest arm64 arm64-16k

# Two lanes at a time: most test programs keep one of a guest's vCPUs busy,
# and seven lanes one after the other no longer fit a warm run in 35 minutes.
LANE_JOBS ?= 2

check-guest: module selftests $(LIBASHMEM_GUEST)
	DEBIAN_MODULE=$(DEBIAN_MODULE) LANE_JOBS=$(LANE_JOBS) qemu/lanes.sh $(LANES)

# README.md's table of the kernels and architectures the tests cover, from
# the last run of each lane (build/qemu/<lane>/output.txt).
readme-table:
	qemu/readme-table.sh

# BACKEND=memfd runs the same demo on the host, without the module.
run: deps
ifeq ($(BACKEND),memfd)
	$(MAKE) libashmem-run-memfd
else
	$(MAKE) accel module $(LIBASHMEM_GUEST)
	qemu/run-tests.sh -m run
endif

# An interactive shell in the guest: module loaded, both device names made,
# tests, examples and ashmemctl on PATH; `exit` powers it off.
# KERNEL=debian (default), debug, rt or 6.12: one of the lanes' kernels.
shell: deps
	$(MAKE) accel selftests $(LIBASHMEM_GUEST)
	qemu/lanes.sh --shell $(or $(KERNEL),debian)

# Benchmarks: each program in BENCH_PROGRAMS prints "name,value,unit" rows
# (the guest programs, handover_bench among them, are run by bench/guest.sh);
# bench/run.sh collects them (and any in $(BENCH_OUT)/rows.d/*.csv) into
# results.csv, prints them beside bench/goals.txt and plots them.
# bench/guest.sh first runs the driver's benchmarks and channel_bench in the
# guest (debian lane's kernel, one vCPU, then two) and leaves their rows in
# rows.d; a guest run that was not clean fails make bench after the table.
BENCH_OUT := $(BUILD)/bench
BENCH_PROGRAMS := $(BENCH_OUT)/obj/channel_bench

bench: deps module
	@echo "  CMAKE   $(BENCH_OUT)/obj"
	@cmake -S bench -B $(BENCH_OUT)/obj -G "$(LIBASHMEM_GENERATOR)" --log-level=WARNING \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DASHMEM_WERROR=ON
	@cmake --build $(BENCH_OUT)/obj -j $(LIBASHMEM_JOBS)
	@status=0; bench/guest.sh $(BENCH_OUT) || status=1; \
	ASHMEM_BACKEND=memfd bench/run.sh $(BENCH_OUT) $(BENCH_PROGRAMS) || status=1; \
	exit $$status

# libashmem, ashmemctl, man pages, udev rule, modules-load.d entry and the
# module, then depmod (packaging/install.sh -h); uninstall removes them all.
install uninstall: module libashmem
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) KVER=$(KVER) UDEVDIR=$(UDEVDIR) \
		packaging/install.sh $@

# The rule gives /dev/ashmem mode 0666 and runs its helper, which makes the
# second name /dev/ashmem<boot_id> (udev resolves RUN+= names in UDEVDIR).
UDEVDIR ?= /usr/lib/udev
udev-install:
	install -D -m 644 udev/99-ashmem.rules $(DESTDIR)$(UDEVDIR)/rules.d/99-ashmem.rules
	install -D -m 755 udev/ashmem-boot-id-node $(DESTDIR)$(UDEVDIR)/ashmem-boot-id-node

# The driver as a DKMS source tree: rebuilt for every kernel installed later.
# Idempotent: an earlier registration of the same version is removed first.
# DKMS_KVER=<version> builds for that kernel instead of the running one.
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' driver/dkms.conf)
DKMS_SRC := $(DESTDIR)/usr/src/ashmem-$(DKMS_VERSION)
DKMS_FILES := $(filter-out %.mod.c,$(wildcard driver/*.c)) $(wildcard driver/*.h)
dkms-install:
	@if dpkg-query -W -f='$${db:Status-Abbrev}' ashmem-dkms 2>/dev/null | grep -q '^i'; then \
		echo "dkms-install: the ashmem-dkms package owns /usr/src/ashmem-$(DKMS_VERSION):" \
			"remove it first (dpkg -r ashmem-dkms)" >&2; exit 1; fi
	@if dkms status -m ashmem -v $(DKMS_VERSION) | grep -q .; then \
		dkms remove -m ashmem -v $(DKMS_VERSION) --all >/dev/null; fi
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/uapi/linux
	install -m 644 driver/Kbuild driver/dkms.conf $(DKMS_FILES) $(DKMS_SRC)/
	install -m 644 uapi/linux/ashmem.h $(DKMS_SRC)/uapi/linux/
	dkms add -m ashmem -v $(DKMS_VERSION)
	dkms build -m ashmem -v $(DKMS_VERSION) $(if $(DKMS_KVER),-k $(DKMS_KVER))
	dkms install -m ashmem -v $(DKMS_VERSION) $(if $(DKMS_KVER),-k $(DKMS_KVER))

# Debian packages (dpkg-buildpackage, debhelper, dh-dkms) in build/deb:
# ashmem-dkms, libashmem0, libashmem-dev, ashmem-tools.
deb:
	packaging/deb.sh build $(BUILD)/deb

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

lint: lint-checkpatch lint-kernel-doc lint-w1 lint-lanes lint-man $(LIBASHMEM_LINT)

# W=1 and sparse (C=1) builds of the module for every lane's kernel.
lint-lanes:
	qemu/lanes.sh -l $(LANES)

# `dkms build` against the 6.12 and the newest kernel's headers, in DKMS
# trees of the lanes' own (the machine's DKMS state is not touched).
dkms-lanes:
	qemu/lanes.sh -d 6.12 newest

# the man pages render without a single groff warning (make check runs it too)
MAN_PAGES := man/ashmem.4 man/ashmemctl.1
lint-man:
	@for m in $(MAN_PAGES); do \
		out=$$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z $$m 2>&1; \
			LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l $$m 2>&1 >/dev/null); \
		if [ -n "$$out" ]; then echo "$$m:"; echo "$$out"; exit 1; fi; \
	done; echo "man pages: $(MAN_PAGES) render without warnings"

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
