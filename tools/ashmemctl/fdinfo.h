// SPDX-License-Identifier: Apache-2.0
//
// Reading what the driver prints in /proc/<pid>/fdinfo/<fd>, and writing
// names back out for a terminal or for JSON.  Pure text handling: no system
// calls, so that it can be tested on any host.
#ifndef TOOLS_ASHMEMCTL_FDINFO_H_
#define TOOLS_ASHMEMCTL_FDINFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ashmemctl {

// The ashmem part of one fdinfo file.
struct AshmemFdinfo {
  std::string name;  // unescaped; empty if the area has no name
  std::uint64_t size = 0;
  std::uint64_t unpinned_pages = 0;
  std::uint64_t purged_pages = 0;
  std::uint64_t inode = 0;  // of the backing file; 0 until the area is mapped
};

// Parses the text of an fdinfo file.  nullopt unless it has all three of
// the driver's "size:", "unpinned_pages:" and "purged_pages:" lines (so a
// file of any other kind is not taken for an area).
std::optional<AshmemFdinfo> ParseAshmemFdinfo(std::string_view text);

// Undoes seq_escape(): every backslash followed by three octal digits is
// the byte they give; anything else is copied as it is.
std::string UnescapeOctal(std::string_view text);

// text as a JSON string literal, quotes included: '"', '\\' and control
// bytes are escaped; other bytes are copied (a name is bytes, usually UTF-8).
std::string JsonQuote(std::string_view text);

// text for one line of a table: backslash and control bytes as C escapes
// (\\, \t, \n, \ooo), everything else as it is.
std::string DisplayEscape(std::string_view text);

}  // namespace ashmemctl

#endif  // TOOLS_ASHMEMCTL_FDINFO_H_
