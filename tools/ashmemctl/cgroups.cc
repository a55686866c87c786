// SPDX-License-Identifier: Apache-2.0
//
// ashmemctl stat --cgroups: the areas open in each cgroup, added up.  The
// driver files an unpinned range under the memory cgroup of the task that
// unpinned it and purges it when that cgroup is reclaimed; what an
// administrator can see from outside is which cgroup's processes hold which
// areas (their fdinfo) and how much of each is unpinned and purged.  An area
// held by processes of several cgroups counts once in each; within one
// cgroup it counts once however many of its processes hold it.
#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ashmemctl.h"

namespace ashmemctl {
namespace {

constexpr const char* kUsage =
    "usage: ashmemctl stat --cgroups [--json]\n"
    "\n"
    "Adds up, for each cgroup (v2 path, from /proc/PID/cgroup) whose\n"
    "processes hold ashmem areas: the number of areas, their size in bytes,\n"
    "and their unpinned and purged pages.  The driver purges an unpinned range\n"
    "when the cgroup of the task that unpinned it is reclaimed (its\n"
    "memory.max, memory.high or memory.reclaim), or under global pressure.\n"
    "Another user's processes are visible to root only.\n";

struct Totals {
  std::set<std::string> areas;  // identities, see AreaKey()
  std::uint64_t bytes = 0;
  std::uint64_t unpinned_pages = 0;
  std::uint64_t purged_pages = 0;
};

// The cgroup v2 path of a process ("0::/path"), or "?" if unreadable.
std::string CgroupOf(long pid) {
  int err = 0;
  std::optional<std::string> text = ReadFile("/proc/" + std::to_string(pid) + "/cgroup", &err);
  if (!text)
    return "?";
  std::string_view rest(*text);
  while (!rest.empty()) {
    std::size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    if (line.starts_with("0::"))
      return std::string(line.substr(3));
  }
  return "?";
}

// What makes two fds the same area: the backing file's inode once mapped;
// before that an area has no memory, and each fd counts as its own.
std::string AreaKey(const Area& a) {
  if (a.info.inode != 0)
    return "inode:" + std::to_string(a.info.inode);
  return "fd:" + std::to_string(a.pid) + ":" + std::to_string(a.fd);
}

std::map<std::string, Totals> AddUp(const std::vector<Area>& areas) {
  std::map<std::string, Totals> by_cgroup;
  std::map<long, std::string> cgroup_of;
  for (const Area& a : areas) {
    auto [it, fresh] = cgroup_of.try_emplace(a.pid);
    if (fresh)
      it->second = CgroupOf(a.pid);
    Totals& t = by_cgroup[it->second];
    if (!t.areas.insert(AreaKey(a)).second)
      continue;
    t.bytes += a.info.size;
    t.unpinned_pages += a.info.unpinned_pages;
    t.purged_pages += a.info.purged_pages;
  }
  return by_cgroup;
}

void PrintTable(const std::map<std::string, Totals>& by_cgroup) {
  std::printf("%6s %14s %10s %10s  %s\n", "AREAS", "BYTES", "UNPINNED", "PURGED", "CGROUP");
  for (const auto& [cgroup, t] : by_cgroup) {
    std::printf("%6zu %14" PRIu64 " %10" PRIu64 " %10" PRIu64 "  %s\n", t.areas.size(), t.bytes,
                t.unpinned_pages, t.purged_pages, DisplayEscape(cgroup).c_str());
  }
}

void PrintJson(const std::map<std::string, Totals>& by_cgroup) {
  std::printf("[");
  bool first = true;
  for (const auto& [cgroup, t] : by_cgroup) {
    std::printf("%s\n  {\"cgroup\": %s, \"areas\": %zu, \"bytes\": %" PRIu64
                ", \"unpinned_pages\": %" PRIu64 ", \"purged_pages\": %" PRIu64 "}",
                first ? "" : ",", JsonQuote(cgroup).c_str(), t.areas.size(), t.bytes,
                t.unpinned_pages, t.purged_pages);
    first = false;
  }
  std::printf("%s]\n", by_cgroup.empty() ? "" : "\n");
}

}  // namespace

int StatCgroupsCommand(std::span<char*> args) {
  bool json = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--json")
      json = true;
    else if (arg != "--cgroups")
      return Fail(std::string("stat: unexpected argument '") + args[i] + "' (see --help)");
  }
  std::optional<dev_t> dev = AshmemDevNumber();
  if (!dev)
    return 1;
  const std::map<std::string, Totals> by_cgroup = AddUp(FindAreas(*dev));
  if (json)
    PrintJson(by_cgroup);
  else
    PrintTable(by_cgroup);
  return 0;
}

}  // namespace ashmemctl
