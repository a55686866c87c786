#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every C and C++ example in the documentation compiles: the blocks marked
# ".. code-block:: c" or "c++" in Documentation/*.rst and the fenced
# ```c and ```c++ blocks of README.md.  A block with a main() is a whole
# program: it is built against build/libashmem (static) and run on the
# memfd backend, and must exit 0.  Any other block must at least compile.
# A block that starts with "// example: NAME" is one of libashmem.rst's
# Binder flows: binder_guest_test includes it as it is written and runs it
# over real Binder in the guest; here it compiles after the library's
# headers (PRELUDE), since it has no includes of its own.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIBBUILD=${LIBBUILD:-$ROOT/build/libashmem}
OUT=${OUT:-$ROOT/build/doc-examples}
passed=0
failed=0

# extract FILE: write each example of FILE as $OUT/<name>-<n>.<c|cc>
extract() {
	local file=$1 base
	base=$(basename "$file" | tr . -)
	awk -v out="$OUT/$base" '
		function start(lang) { n++; name = sprintf("%s-%d.%s", out, n, lang); inblock = 1; rst = 0 }
		# reStructuredText: the directive, a blank line, an indented body
		/^\.\. code-block:: *(c\+\+|cpp) *$/ { start("cc"); rst = 1; next }
		/^\.\. code-block:: *c *$/ { start("c"); rst = 1; next }
		rst && /^[ \t]*$/ { if (body) print "" > name; next }
		rst && /^[ \t]+/ { sub(/^    /, ""); print > name; body = 1; next }
		rst { rst = 0; inblock = 0; body = 0; close(name) }
		# Markdown: a fence with the language
		/^```(c\+\+|cpp) *$/ { start("cc"); fence = 1; next }
		/^```c *$/ { start("c"); fence = 1; next }
		fence && /^```/ { fence = 0; inblock = 0; close(name); next }
		fence { print > name }
	' "$file"
}

# What binder_guest_test.cc includes before the Binder flows.
PRELUDE='#include <sys/mman.h>
#include <unistd.h>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <ashmem/binder.h>
#include <ashmem/channel.h>
#include <ashmem/fd_passing.h>
#include <ashmem/memory_file.h>
#include <ashmem/memory_heap.h>
#include <ashmem/region.h>'

# check SOURCE: compile (and, for a whole program, link and run) one example
check() {
	local src=$1 exe=${1%.*} cc flags log=$1.log
	if head -n 1 "$src" | grep -q '^[[:space:]]*// example: '; then
		{ echo "$PRELUDE"; cat "$src"; } >"$src.tmp" && mv "$src.tmp" "$src"
	fi
	if [ "${src##*.}" = cc ]; then
		cc=(c++ -std=c++20)
	else
		cc=(cc -std=c11)
	fi
	flags=(-Wall -Wextra -Werror -I"$ROOT/libashmem/include" -I"$ROOT/uapi")
	if grep -q '\bmain *(' "$src"; then
		if "${cc[@]}" "${flags[@]}" -o "$exe" "$src" "$LIBBUILD/libashmem.a" -lstdc++ >"$log" 2>&1 &&
			ASHMEM_BACKEND=memfd "$exe" >>"$log" 2>&1; then
			echo "examples: ok: ${src#"$ROOT"/} builds and runs"
			passed=$((passed + 1))
			return
		fi
	elif "${cc[@]}" "${flags[@]}" -fsyntax-only "$src" >"$log" 2>&1; then
		echo "examples: ok: ${src#"$ROOT"/} compiles"
		passed=$((passed + 1))
		return
	fi
	echo "examples: FAIL: ${src#"$ROOT"/}:"
	sed 's/^/    /' "$log"
	failed=$((failed + 1))
}

main() {
	local f
	[ -f "$LIBBUILD/libashmem.a" ] || { echo "examples: no $LIBBUILD/libashmem.a (run 'make')" >&2; exit 1; }
	rm -rf "$OUT"
	mkdir -p "$OUT"
	for f in "$ROOT"/Documentation/*.rst "$ROOT/README.md"; do
		extract "$f"
	done
	for f in "$OUT"/*.c "$OUT"/*.cc; do
		if [ -f "$f" ]; then
			check "$f"
		fi
	done
	echo "examples: $passed passed, $failed failed"
	[ $failed -eq 0 ] && [ $passed -gt 0 ]
}

main "$@"
