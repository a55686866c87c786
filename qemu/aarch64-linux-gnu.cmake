# SPDX-License-Identifier: GPL-2.0
# CMake toolchain for the arm64 lane's cross build of libashmem, its tests
# and tools (qemu/lanes.sh), inside the bookworm root of qemu/build-root.sh:
# Debian's cross compilers, and arm64 libraries (gtest, benchmark) that the
# root's dpkg installed under the multiarch paths.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
