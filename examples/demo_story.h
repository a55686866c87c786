// SPDX-License-Identifier: Apache-2.0
//
// What the two demo programs share: the region's name and how they speak.
#ifndef ASHMEM_EXAMPLES_DEMO_STORY_H_
#define ASHMEM_EXAMPLES_DEMO_STORY_H_

#include <cstdarg>
#include <cstdio>
#include <string>
#include <system_error>

namespace demo {

inline constexpr const char* kRegionName = "demo-greeting";

// Prints one line of the story, prefixed with who is speaking.  Both
// programs write to the same terminal, a line at a time.
inline void Say(const char* who, const char* format, ...) __attribute__((format(printf, 2, 3)));
inline void Say(const char* who, const char* format, ...) {
  std::printf("%-8s| ", who);
  va_list args;
  va_start(args, format);
  std::vprintf(format, args);
  va_end(args);
  std::printf("\n");
  std::fflush(stdout);
}

// Reports a failed step and returns the exit status for it.
inline int Fail(const char* who, const char* step, std::error_code error) {
  std::fflush(stdout);
  if (error) {
    std::fprintf(stderr, "%-8s| FAILED: %s: %s\n", who, step, error.message().c_str());
  } else {
    std::fprintf(stderr, "%-8s| FAILED: %s\n", who, step);
  }
  return 1;
}

inline std::string ProtString(int prot) {
  std::string s = "---";
  if (prot & 1)
    s[0] = 'r';  // PROT_READ
  if (prot & 2)
    s[1] = 'w';  // PROT_WRITE
  if (prot & 4)
    s[2] = 'x';  // PROT_EXEC
  return s;
}

}  // namespace demo

#endif  // ASHMEM_EXAMPLES_DEMO_STORY_H_
