// SPDX-License-Identifier: Apache-2.0
//
// ashmemctl ls: every ashmem area some process holds open.  An fd is an
// area if it is the ashmem character device (by number, as libcutils checks
// it, or by the name it was opened under) and its fdinfo has the driver's
// fields.  Processes that exit, or whose fds this user may not read, are
// passed over.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "ashmemctl.h"

namespace ashmemctl {
namespace {

constexpr const char* kLsUsage =
    "usage: ashmemctl ls [--json]\n"
    "\n"
    "Lists every ashmem area open in a process visible in /proc: pid, command,\n"
    "fd, name, size in bytes, unpinned and purged pages.  Names are shown with\n"
    "backslash and control characters escaped (\\\\, \\t, \\n, \\ooo); --json\n"
    "prints one JSON object per area, in an array, with the names exact.\n"
    "Another user's processes are visible to root only.\n";

// The numeric entries of a /proc directory, sorted.
std::vector<long> NumericEntries(const std::string& path) {
  std::vector<long> out;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr)
    return out;
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long value = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0')
      out.push_back(value);
  }
  closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

std::string Readlink(const std::string& path) {
  char buf[4096];
  const ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

bool IsAshmemFd(const std::string& fd_path, dev_t dev, const std::string& boot_id) {
  struct stat st = {};
  if (stat(fd_path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == dev)
    return true;
  const std::string link = Readlink(fd_path);
  return link == "/dev/ashmem" || (!boot_id.empty() && link == "/dev/ashmem" + boot_id);
}

void PrintTable(const std::vector<Area>& areas) {
  std::printf("%7s %-16s %4s %12s %9s %9s  %s\n", "PID", "COMMAND", "FD", "SIZE", "UNPINNED",
              "PURGED", "NAME");
  for (const Area& a : areas) {
    std::printf("%7ld %-16s %4d %12" PRIu64 " %9" PRIu64 " %9" PRIu64 "  %s\n", a.pid,
                DisplayEscape(a.command).c_str(), a.fd, a.info.size, a.info.unpinned_pages,
                a.info.purged_pages, DisplayEscape(a.info.name).c_str());
  }
}

void PrintJson(const std::vector<Area>& areas) {
  std::printf("[");
  for (std::size_t i = 0; i < areas.size(); ++i) {
    const Area& a = areas[i];
    std::printf("%s\n  {\"pid\": %ld, \"command\": %s, \"fd\": %d, \"name\": %s, \"size\": %" PRIu64
                ", \"unpinned_pages\": %" PRIu64 ", \"purged_pages\": %" PRIu64 "}",
                i == 0 ? "" : ",", a.pid, JsonQuote(a.command).c_str(), a.fd,
                JsonQuote(a.info.name).c_str(), a.info.size, a.info.unpinned_pages,
                a.info.purged_pages);
  }
  std::printf("%s]\n", areas.empty() ? "" : "\n");
}

}  // namespace

std::vector<Area> FindAreas(dev_t dev) {
  const std::string boot_id = BootId();
  std::vector<Area> areas;
  for (long pid : NumericEntries("/proc")) {
    const std::string proc = "/proc/" + std::to_string(pid);
    std::string command;
    for (long fd : NumericEntries(proc + "/fd")) {
      const std::string fd_name = std::to_string(fd);
      std::string fd_path = proc;
      fd_path.append("/fd/").append(fd_name);
      if (!IsAshmemFd(fd_path, dev, boot_id))
        continue;
      std::string fdinfo_path = proc;
      fdinfo_path.append("/fdinfo/").append(fd_name);
      int err = 0;
      std::optional<std::string> text = ReadFile(fdinfo_path, &err);
      if (!text)
        continue;
      std::optional<AshmemFdinfo> info = ParseAshmemFdinfo(*text);
      if (!info)
        continue;
      if (command.empty()) {
        command = ReadFile(proc + "/comm", &err).value_or("?");
        while (!command.empty() && command.back() == '\n')
          command.pop_back();
      }
      areas.push_back(Area{pid, command, static_cast<int>(fd), std::move(*info)});
    }
  }
  return areas;
}

int LsCommand(std::span<char*> args) {
  bool json = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kLsUsage, stdout);
      return 0;
    }
    if (arg != "--json")
      return Fail(std::string("ls: unexpected argument '") + args[i] + "' (see --help)");
    json = true;
  }
  std::optional<dev_t> dev = AshmemDevNumber();
  if (!dev)
    return 1;
  const std::vector<Area> areas = FindAreas(*dev);
  if (json)
    PrintJson(areas);
  else
    PrintTable(areas);
  return 0;
}

}  // namespace ashmemctl
