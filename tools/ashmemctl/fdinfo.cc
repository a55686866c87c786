// SPDX-License-Identifier: Apache-2.0
#include "fdinfo.h"

#include <charconv>
#include <cstdio>

namespace ashmemctl {
namespace {

bool IsOctal(char c) {
  return c >= '0' && c <= '7';
}

// The value of a "key:\t<number>" line, or nullopt if it is not a number.
std::optional<std::uint64_t> ParseNumber(std::string_view value) {
  while (!value.empty() && (value.front() == '\t' || value.front() == ' '))
    value.remove_prefix(1);
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc() || end != value.data() + value.size())
    return std::nullopt;
  return number;
}

}  // namespace

std::optional<AshmemFdinfo> ParseAshmemFdinfo(std::string_view text) {
  AshmemFdinfo info;
  bool have_size = false;
  bool have_unpinned = false;
  bool have_purged = false;
  bool have_inode = false;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    if (key == "name") {
      if (!value.empty() && value.front() == '\t')
        value.remove_prefix(1);
      info.name = UnescapeOctal(value);
      continue;
    }
    std::uint64_t* field = nullptr;
    bool* seen = nullptr;
    if (key == "size") {
      field = &info.size;
      seen = &have_size;
    } else if (key == "unpinned_pages") {
      field = &info.unpinned_pages;
      seen = &have_unpinned;
    } else if (key == "purged_pages") {
      field = &info.purged_pages;
      seen = &have_purged;
    } else if (key == "inode") {
      field = &info.inode;
      seen = &have_inode;
    } else {
      continue;
    }
    std::optional<std::uint64_t> number = ParseNumber(value);
    if (!number)
      return std::nullopt;
    *field = *number;
    *seen = true;
  }
  if (!have_size || !have_unpinned || !have_purged)
    return std::nullopt;
  return info;
}

std::string UnescapeOctal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && IsOctal(text[i + 1]) && IsOctal(text[i + 2]) &&
        IsOctal(text[i + 3])) {
      out.push_back(static_cast<char>(((text[i + 1] - '0') << 6) | ((text[i + 2] - '0') << 3) |
                                      (text[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", byte);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string DisplayEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\%03o", byte);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace ashmemctl
