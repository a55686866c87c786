#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# check-install.sh SRC BUILD: installs libashmem from BUILD into a staging
# directory (DESTDIR) and proves that the installed tree is usable the
# documented ways: find_package(ashmem) from a C++ and from a C-only CMake
# project, and pkg-config with a plain C compiler building the unmodified
# libcutils program and with a C++ compiler building the C++ consumer.
set -eu
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
stage=$build/install-check
prefix=/usr/local

rm -rf "$stage"
DESTDIR=$stage/root cmake --install "$build" --prefix "$prefix" >/dev/null
root=$stage/root$prefix
pcdir=$(dirname "$(find "$root" -name libashmem.pc)")
[ -f "$pcdir/libashmem-c.pc" ] || { echo "check-install: no libashmem-c.pc" >&2; exit 1; }
libdir=$(cd "$pcdir/.." && pwd)

echo "--- install check: find_package(ashmem)"
cmake -S "$src/tests/consumer" -B "$stage/consumer" -DCMAKE_PREFIX_PATH="$root" \
	--log-level=WARNING >/dev/null
cmake --build "$stage/consumer" >/dev/null
ASHMEM_BACKEND=memfd "$stage/consumer/consumer"
ASHMEM_BACKEND=memfd "$stage/consumer/consumer_static"

echo "--- install check: find_package(ashmem) from a C-only project"
cmake -S "$src/tests/consumer-c" -B "$stage/consumer-c" -DCMAKE_PREFIX_PATH="$root" \
	--log-level=WARNING >/dev/null
cmake --build "$stage/consumer-c" >/dev/null
ASHMEM_BACKEND=memfd "$stage/consumer-c/c_consumer"
ASHMEM_BACKEND=memfd "$stage/consumer-c/c_consumer_static"

echo "--- install check: pkg-config --cflags --libs libashmem-c with a C compiler"
flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs libashmem-c)
echo "    $flags"
cc -std=c11 -Wall -Wextra -Werror -o "$stage/libcutils_program" \
	"$src/tests/dropin/libcutils_program.c" "$src/tests/dropin/libcutils_checks.c" $flags
ASHMEM_BACKEND=memfd LD_LIBRARY_PATH=$libdir "$stage/libcutils_program"

echo "--- install check: pkg-config libashmem with a C++ compiler (its default standard)"
flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs libashmem)
echo "    $flags"
c++ -Wall -Wextra -Werror -o "$stage/consumer_pc" "$src/tests/consumer/consumer.cc" $flags
ASHMEM_BACKEND=memfd LD_LIBRARY_PATH=$libdir "$stage/consumer_pc"
echo "=== install check: passed"
