// SPDX-License-Identifier: Apache-2.0
//
// ashmemctl: what the subcommands share.  Each subcommand is a function that
// takes its own arguments (argv[0] is the subcommand's name) and returns the
// process' exit status; errors are one line on stderr, "ashmemctl: ...".
#ifndef TOOLS_ASHMEMCTL_ASHMEMCTL_H_
#define TOOLS_ASHMEMCTL_ASHMEMCTL_H_

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fdinfo.h"

namespace ashmemctl {

// Where the driver shows itself.
inline constexpr const char* kMiscDevFile = "/sys/class/misc/ashmem/dev";
inline constexpr const char* kStatsFile = "/sys/kernel/debug/ashmem/stats";
inline constexpr const char* kDebugfsDir = "/sys/kernel/debug";
inline constexpr const char* kBootIdFile = "/proc/sys/kernel/random/boot_id";
inline constexpr const char* kDeviceName = "ashmem";

// Prints "ashmemctl: <message>" on stderr and returns 1, for
// "return Fail(...)".
int Fail(std::string_view message);
// The same with ": <strerror(err)>" appended.
int FailErrno(std::string_view message, int err);

// The whole content of a (small) file, or nullopt with *err set to the errno.
std::optional<std::string> ReadFile(const std::string& path, int* err);

// The boot id without its newline, as libcutils appends it to "/dev/ashmem";
// empty if it cannot be read.
std::string BootId();

// The ashmem misc device's number, from /sys/class/misc/ashmem/dev
// ("10:123"); nullopt, after printing why, if the module is not loaded or
// the file cannot be parsed.
std::optional<dev_t> AshmemDevNumber();

// One area open in one process, as its fdinfo shows it.
struct Area {
  long pid = 0;
  std::string command;
  int fd = 0;
  AshmemFdinfo info;
};

// Every area open in a process visible in /proc, by pid and fd, for the
// device number @dev.  Processes that exit meanwhile, or whose fds this
// user may not read, are passed over.
std::vector<Area> FindAreas(dev_t dev);

// Subcommands.  args[0] is the subcommand's name.
int NodeCommand(std::span<char*> args);
int LsCommand(std::span<char*> args);
// `stat --cgroups`.
int StatCgroupsCommand(std::span<char*> args);

}  // namespace ashmemctl

#endif  // TOOLS_ASHMEMCTL_ASHMEMCTL_H_
