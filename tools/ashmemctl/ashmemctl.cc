// SPDX-License-Identifier: Apache-2.0
//
// ashmemctl: make the device nodes, show and purge the driver's areas, run a
// program with a new area.  `ashmemctl help` lists the subcommands.
#include "ashmemctl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <ashmem/region.h>

namespace ashmemctl {
namespace {

constexpr const char* kUsage =
    "usage: ashmemctl COMMAND [ARGS]\n"
    "\n"
    "commands (each takes --help):\n"
    "  node [--dev DIR] [--check]   make or check DIR/ashmem and DIR/ashmem<boot_id>\n"
    "  stat [--cgroups [--json]]    the driver's counters (debugfs), or the areas\n"
    "                               open in each cgroup, added up\n"
    "  purge                        purge every unpinned range (ASHMEM_PURGE_ALL_CACHES)\n"
    "  ls [--json]                  every ashmem area open in a process\n"
    "  create NAME SIZE [--fd N] -- COMMAND...\n"
    "                               run COMMAND with a new area open on fd N\n";

constexpr const char* kStatUsage =
    "usage: ashmemctl stat\n"
    "       ashmemctl stat --cgroups [--json]   (see ashmemctl stat --cgroups --help)\n"
    "\n"
    "Prints the driver's counters from /sys/kernel/debug/ashmem/stats, one\n"
    "\"name value\" line each: areas, bytes, lru_pages, purged_pages,\n"
    "reclaim_pages, freed_pages, shrinker_scans.  Needs debugfs mounted and,\n"
    "usually, root.\n";

constexpr const char* kPurgeUsage =
    "usage: ashmemctl purge\n"
    "\n"
    "Asks the driver to purge every unpinned range of every area\n"
    "(ASHMEM_PURGE_ALL_CACHES) and prints \"unpinned_pages: N\", the number of\n"
    "unpinned pages there were before.  Needs CAP_SYS_ADMIN.\n";

constexpr const char* kCreateUsage =
    "usage: ashmemctl create NAME SIZE [--fd N] -- COMMAND [ARG]...\n"
    "\n"
    "Creates an ashmem area called NAME of SIZE bytes (a number, optionally\n"
    "followed by K, M or G for KiB, MiB, GiB) and executes COMMAND with the\n"
    "area open on fd N (default 3).\n";

bool IsHelp(std::string_view arg) {
  return arg == "--help" || arg == "-h";
}

// "SIZE" with an optional K/M/G suffix.
std::optional<std::size_t> ParseSize(std::string_view text) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data())
    return std::nullopt;
  std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
  unsigned shift = 0;
  if (suffix == "K" || suffix == "k")
    shift = 10;
  else if (suffix == "M")
    shift = 20;
  else if (suffix == "G")
    shift = 30;
  else if (!suffix.empty())
    return std::nullopt;
  if (shift != 0 && value > (SIZE_MAX >> shift))
    return std::nullopt;
  return value << shift;
}

std::optional<int> ParseFd(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    return std::nullopt;
  return value;
}

bool ModuleLoaded() {
  struct stat st = {};
  return stat("/sys/class/misc/ashmem", &st) == 0;
}

// True if debugfs is mounted on /sys/kernel/debug.
bool DebugfsMounted() {
  int err = 0;
  std::optional<std::string> mounts = ReadFile("/proc/self/mounts", &err);
  if (!mounts)
    return true;  // cannot tell: let the caller report the open's error
  return mounts->find(std::string(" ") + kDebugfsDir + " debugfs ") != std::string::npos;
}

int StatCommand(std::span<char*> args) {
  for (std::string_view arg : args.subspan(1)) {
    if (arg == "--cgroups")
      return StatCgroupsCommand(args);
  }
  if (args.size() > 1 && IsHelp(args[1])) {
    std::fputs(kStatUsage, stdout);
    return 0;
  }
  if (args.size() > 1)
    return Fail(std::string("stat: unexpected argument '") + args[1] + "' (see --help)");
  int err = 0;
  std::optional<std::string> text = ReadFile(kStatsFile, &err);
  if (!text) {
    if (err == ENOENT && !DebugfsMounted())
      return Fail(std::string("stat: debugfs is not mounted on ") + kDebugfsDir +
                  " (mount -t debugfs none " + kDebugfsDir + ")");
    if (err == ENOENT && !ModuleLoaded())
      return Fail("stat: the ashmem module is not loaded (no /sys/class/misc/ashmem)");
    if (err == EACCES || err == EPERM)
      return FailErrno(std::string("stat: ") + kStatsFile + " (debugfs needs root)", err);
    return FailErrno(std::string("stat: ") + kStatsFile, err);
  }
  // "name:\t\tvalue" -> "name value", aligned.
  std::string_view rest(*text);
  while (!rest.empty()) {
    std::size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == '\t' || value.front() == ' '))
      value.remove_prefix(1);
    std::printf("%-16.*s %.*s\n", static_cast<int>(colon), line.data(),
                static_cast<int>(value.size()), value.data());
  }
  return 0;
}

int PurgeCommand(std::span<char*> args) {
  if (args.size() > 1 && IsHelp(args[1])) {
    std::fputs(kPurgeUsage, stdout);
    return 0;
  }
  if (args.size() > 1)
    return Fail(std::string("purge: unexpected argument '") + args[1] + "' (see --help)");
  ashmem::Result<std::size_t> pages = ashmem::PurgeAllCaches();
  if (!pages.ok()) {
    const int err = pages.error().value();
    if (err == ENODEV && !ModuleLoaded())
      return Fail("purge: the ashmem module is not loaded (no /sys/class/misc/ashmem)");
    if (err == ENODEV)
      return Fail("purge: no ashmem device node (see 'ashmemctl node')");
    if (err == EPERM)
      return Fail("purge: ASHMEM_PURGE_ALL_CACHES needs CAP_SYS_ADMIN");
    return Fail("purge: " + pages.error().message());
  }
  std::printf("unpinned_pages: %zu\n", *pages);
  return 0;
}

int CreateCommand(std::span<char*> args) {
  std::vector<std::string_view> positional;
  int target_fd = 3;
  std::size_t i = 1;
  for (; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (IsHelp(arg)) {
      std::fputs(kCreateUsage, stdout);
      return 0;
    }
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--fd") {
      if (i + 1 == args.size())
        return Fail("create: --fd needs a number");
      std::optional<int> fd = ParseFd(args[++i]);
      if (!fd)
        return Fail(std::string("create: bad fd '") + args[i] + "'");
      target_fd = *fd;
    } else if (arg.starts_with("-") && arg.size() > 1) {
      return Fail(std::string("create: unknown option '") + args[i] + "' (see --help)");
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2)
    return Fail("create: need NAME and SIZE (see --help)");
  if (i >= args.size())
    return Fail("create: need '-- COMMAND' to run (see --help)");
  std::optional<std::size_t> size = ParseSize(positional[1]);
  if (!size)
    return Fail("create: bad size '" + std::string(positional[1]) + "'");

  ashmem::Result<ashmem::Region> region =
      ashmem::Region::Create(positional[0], *size, ashmem::Backend::kAshmem);
  if (!region.ok()) {
    if (region.error().value() == ENODEV)
      return Fail("create: no ashmem device (module not loaded, or no node: see 'ashmemctl node')");
    return Fail("create: " + region.error().message());
  }
  const int fd = region->fd();
  if (fd == target_fd) {
    // dup2() onto itself would keep close-on-exec
    if (fcntl(fd, F_SETFD, 0) < 0)
      return FailErrno("create: fcntl", errno);
  } else if (dup2(fd, target_fd) < 0) {
    return FailErrno("create: dup2 onto fd " + std::to_string(target_fd), errno);
  }
  // region's own fd is close-on-exec: COMMAND sees target_fd only
  execvp(args[i], &args[i]);
  const int err = errno;
  Fail(std::string("create: cannot run ") + args[i] + ": " + std::strerror(err));
  return err == ENOENT ? 127 : 126;
}

}  // namespace

int Fail(std::string_view message) {
  std::fprintf(stderr, "ashmemctl: %.*s\n", static_cast<int>(message.size()), message.data());
  return 1;
}

int FailErrno(std::string_view message, int err) {
  return Fail(std::string(message) + ": " + std::strerror(err));
}

std::optional<std::string> ReadFile(const std::string& path, int* err) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return std::nullopt;
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *err = errno;
      close(fd);
      return std::nullopt;
    }
    if (n == 0)
      break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return text;
}

std::string BootId() {
  int err = 0;
  std::optional<std::string> id = ReadFile(kBootIdFile, &err);
  if (!id)
    return {};
  while (!id->empty() && (id->back() == '\n' || id->back() == ' '))
    id->pop_back();
  return *id;
}

std::optional<dev_t> AshmemDevNumber() {
  int err = 0;
  std::optional<std::string> text = ReadFile(kMiscDevFile, &err);
  if (!text) {
    if (err == ENOENT)
      Fail(std::string("the ashmem module is not loaded (no ") + kMiscDevFile +
           "; modprobe ashmem_linux)");
    else
      FailErrno(kMiscDevFile, err);
    return std::nullopt;
  }
  unsigned int major_number = 0;
  unsigned int minor_number = 0;
  if (std::sscanf(text->c_str(), "%u:%u", &major_number, &minor_number) != 2) {
    Fail(std::string(kMiscDevFile) + ": cannot parse '" + *text + "'");
    return std::nullopt;
  }
  return makedev(major_number, minor_number);
}

}  // namespace ashmemctl

int main(int argc, char** argv) {
  std::span<char*> args(argv, static_cast<std::size_t>(argc));
  if (args.size() < 2) {
    std::fputs(ashmemctl::kUsage, stderr);
    return 2;
  }
  std::string_view command = args[1];
  std::span<char*> rest = args.subspan(1);
  if (command == "help" || ashmemctl::IsHelp(command)) {
    std::fputs(ashmemctl::kUsage, stdout);
    return 0;
  }
  if (command == "node")
    return ashmemctl::NodeCommand(rest);
  if (command == "stat")
    return ashmemctl::StatCommand(rest);
  if (command == "purge")
    return ashmemctl::PurgeCommand(rest);
  if (command == "ls")
    return ashmemctl::LsCommand(rest);
  if (command == "create")
    return ashmemctl::CreateCommand(rest);
  return ashmemctl::Fail("unknown command '" + std::string(command) +
                         "' (ashmemctl --help lists them)");
}
