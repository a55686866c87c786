# SPDX-License-Identifier: Apache-2.0
#
# awk -f doc-examples.awk Documentation/libashmem.rst > doc_examples.inc
#
# Prints the code of every ".. code-block:: cpp" whose first line is an
# "// example: NAME" comment, unindented, so that binder_guest_test compiles
# (and runs) the documentation's examples as they are written.
/^\.\. code-block:: cpp$/ { block = 1; first = 1; keep = 0; next }
block && /^$/ { if (keep) print ""; next }
block && /^   / {
	line = substr($0, 4)
	if (first) {
		first = 0
		keep = line ~ /^\/\/ example: /
		if (keep) print "#line " NR " \"" FILENAME "\""
	}
	if (keep) print line
	next
}
block { block = 0; keep = 0 }
