# SPDX-License-Identifier: Apache-2.0
#
# libashmem.mk: the library's part of the build, included by the top-level
# Makefile (paths are relative to the repository root).  Every variable is
# prefixed LIBASHMEM_ except PREFIX and DESTDIR, which mean what they mean
# for "make install".
#
#   libashmem            configure and build the library, tests and examples
#   libashmem-test-host  run every GoogleTest program on the host (memfd;
#                        tests that need /dev/ashmem skip), again under
#                        ASan+UBSan, then check an installed tree
#   libashmem-guest      static test and demo programs for the QEMU guest (with
#                        tests/guest/, the Binder tests the host cannot run), in
#                        build/guest/libashmem and build/guest/examples, and
#                        build/guest/ashmemctl (the guest's /bin/ashmemctl)
#   libashmem-install    install to $(DESTDIR)$(PREFIX)
#   libashmem-run-memfd  the two-process demo on the host, memfd backend
#   libashmem-lint       clang-format and clang-tidy over libashmem/ and examples/
#                        (clang-format over bench/ too)
#   libashmem-clean      remove what the targets above built

LIBASHMEM_SRC        := libashmem
LIBASHMEM_BUILD      := build/libashmem
LIBASHMEM_ASAN_BUILD := build/libashmem-asan
LIBASHMEM_GUEST_DIR  := build/guest/libashmem
LIBASHMEM_GUEST_EX   := build/guest/examples
LIBASHMEM_CMAKE      ?= cmake
LIBASHMEM_JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
LIBASHMEM_GENERATOR  := $(if $(shell command -v ninja 2>/dev/null),Ninja,Unix Makefiles)
LIBASHMEM_STRIP      ?= strip
PREFIX               ?= /usr/local
DESTDIR              ?=

# The host build links its test and demo programs statically, so the very
# same binaries also serve the guest (which has no shared libraries).
LIBASHMEM_CONFIGURE = $(LIBASHMEM_CMAKE) -S $(LIBASHMEM_SRC) -G "$(LIBASHMEM_GENERATOR)" \
	--log-level=WARNING -DASHMEM_WERROR=ON

LIBASHMEM_FORMAT_FILES = $(wildcard $(LIBASHMEM_SRC)/src/*.cc $(LIBASHMEM_SRC)/src/*.h \
	$(LIBASHMEM_SRC)/include/*/*.h $(LIBASHMEM_SRC)/tests/*.cc $(LIBASHMEM_SRC)/tests/*.h \
	$(LIBASHMEM_SRC)/tests/guest/*.cc \
	$(LIBASHMEM_SRC)/tests/dropin/*.[ch] $(LIBASHMEM_SRC)/tests/consumer/*.cc \
	$(LIBASHMEM_SRC)/tests/consumer-c/*.c \
	examples/*.cc examples/*.h bench/*.cc tools/ashmemctl/*.cc tools/ashmemctl/*.h)

.PHONY: libashmem libashmem-test-host libashmem-guest libashmem-install \
	libashmem-run-memfd libashmem-lint libashmem-clean

libashmem:
	@echo "  CMAKE   $(LIBASHMEM_BUILD)"
	@$(LIBASHMEM_CONFIGURE) -B $(LIBASHMEM_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DASHMEM_STATIC_EXECUTABLES=ON -DCMAKE_INSTALL_PREFIX=$(PREFIX) \
		-DCMAKE_EXPORT_COMPILE_COMMANDS=ON
	@$(LIBASHMEM_CMAKE) --build $(LIBASHMEM_BUILD) -j $(LIBASHMEM_JOBS)

libashmem-test-host: libashmem
	@echo "  CMAKE   $(LIBASHMEM_ASAN_BUILD) (ASan+UBSan)"
	@$(LIBASHMEM_CONFIGURE) -B $(LIBASHMEM_ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DASHMEM_SANITIZE=ON -DASHMEM_BUILD_EXAMPLES=OFF
	@$(LIBASHMEM_CMAKE) --build $(LIBASHMEM_ASAN_BUILD) -j $(LIBASHMEM_JOBS)
	@status=0; \
	sh $(LIBASHMEM_SRC)/tests/run-gtests.sh "host" $(LIBASHMEM_BUILD)/tests || status=1; \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	sh $(LIBASHMEM_SRC)/tests/run-gtests.sh "host asan+ubsan" $(LIBASHMEM_ASAN_BUILD)/tests \
		|| status=1; \
	sh $(LIBASHMEM_SRC)/tests/consumer/check-install.sh $(LIBASHMEM_SRC) $(LIBASHMEM_BUILD) \
		|| status=1; \
	exit $$status

libashmem-guest: libashmem
	@echo "  GUEST   $(LIBASHMEM_GUEST_DIR) $(LIBASHMEM_GUEST_EX)"
	@rm -rf $(LIBASHMEM_GUEST_DIR) $(LIBASHMEM_GUEST_EX)
	@mkdir -p $(LIBASHMEM_GUEST_DIR) $(LIBASHMEM_GUEST_EX)
	@for t in $(LIBASHMEM_BUILD)/tests/*_test $(LIBASHMEM_BUILD)/tests/guest/*_test; do \
		$(LIBASHMEM_STRIP) -o $(LIBASHMEM_GUEST_DIR)/$${t##*/} $$t || exit 1; \
	done
	@for p in ashmem-demo-service ashmem-demo-client ashmem-binder-memory-file \
		ashmem-binder-memory-service ashmem-binder-buffer-service ashmem-binder-channel; do \
		$(LIBASHMEM_STRIP) -o $(LIBASHMEM_GUEST_EX)/$$p $(LIBASHMEM_BUILD)/examples/$$p || exit 1; \
	done
	@install -m 755 examples/run-demo.sh $(LIBASHMEM_GUEST_EX)/run-demo.sh
	@$(LIBASHMEM_STRIP) -o build/guest/ashmemctl $(LIBASHMEM_BUILD)/tools/ashmemctl/ashmemctl
	@# The guest has no dynamic loader: refuse to ship anything that needs one.
	@for f in $(LIBASHMEM_GUEST_DIR)/* $(LIBASHMEM_GUEST_EX)/ashmem-demo-* \
		$(LIBASHMEM_GUEST_EX)/ashmem-binder-* build/guest/ashmemctl; do \
		if readelf -l $$f | grep -q 'Requesting program interpreter'; then \
			echo "libashmem-guest: $$f is not static" >&2; exit 1; \
		fi; \
	done

libashmem-install: libashmem
	@DESTDIR="$(DESTDIR)" $(LIBASHMEM_CMAKE) --install $(LIBASHMEM_BUILD) --prefix "$(PREFIX)"

libashmem-run-memfd: libashmem
	@ASHMEM_BACKEND=memfd sh $(LIBASHMEM_BUILD)/examples/run-demo.sh

libashmem-lint: libashmem
	clang-format --dry-run --Werror $(LIBASHMEM_FORMAT_FILES)
	clang-tidy -p $(LIBASHMEM_BUILD) --quiet --warnings-as-errors='*' \
		$(wildcard $(LIBASHMEM_SRC)/src/*.cc) examples/demo_service.cc examples/demo_client.cc \
		$(wildcard examples/binder_*.cc) \
		$(filter-out %_test.cc,$(wildcard tools/ashmemctl/*.cc))

libashmem-clean:
	rm -rf $(LIBASHMEM_BUILD) $(LIBASHMEM_ASAN_BUILD) $(LIBASHMEM_GUEST_DIR) $(LIBASHMEM_GUEST_EX) \
		build/guest/ashmemctl
