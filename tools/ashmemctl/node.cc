// SPDX-License-Identifier: Apache-2.0
//
// ashmemctl node: the two names of the one ashmem device.  Android's
// libcutils (14 and later) stat()s /dev/ashmem<boot_id>, requires a
// character device and compares every fd's st_rdev with it; Chromium and
// older code open /dev/ashmem.  Both must be character device nodes with
// the misc device's number, mode 0666.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ashmemctl.h"

namespace ashmemctl {
namespace {

constexpr const char* kNodeUsage =
    "usage: ashmemctl node [--dev DIR] [--check]\n"
    "\n"
    "Makes DIR/ashmem and DIR/ashmem<boot_id> (DIR defaults to /dev; boot_id is\n"
    "/proc/sys/kernel/random/boot_id without its newline) character devices\n"
    "with the number of the misc device ashmem (/sys/class/misc/ashmem/dev),\n"
    "mode 0666, replacing a node of the wrong type or number and fixing a\n"
    "wrong mode.  With --check, changes nothing: prints what is wrong with\n"
    "each name and exits 1 if anything is.\n";

constexpr mode_t kNodeMode = 0666;

std::string DevString(dev_t dev) {
  return std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
}

std::string ModeString(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned int>(mode & 07777));
  return buf;
}

const char* TypeName(mode_t mode) {
  if (S_ISREG(mode))
    return "a regular file";
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISLNK(mode))
    return "a symbolic link";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a character device";
}

// What is wrong with one name, if anything.
struct Diagnosis {
  bool missing = false;
  bool replace = false;  // wrong type or number: make the node anew
  bool chmod = false;    // only the mode is wrong
  std::vector<std::string> problems;
};

Diagnosis Diagnose(const std::string& path, dev_t want) {
  Diagnosis d;
  struct stat st = {};
  if (lstat(path.c_str(), &st) < 0) {
    if (errno == ENOENT) {
      d.missing = true;
      d.problems.emplace_back("missing");
    } else {
      d.replace = true;
      d.problems.emplace_back(std::string("cannot stat: ") + std::strerror(errno));
    }
    return d;
  }
  if (!S_ISCHR(st.st_mode)) {
    d.replace = true;
    d.problems.push_back(std::string("is ") + TypeName(st.st_mode) +
                         ", not a character device node");
    return d;
  }
  if (st.st_rdev != want) {
    d.replace = true;
    const char* which = major(st.st_rdev) != major(want)   ? "wrong major"
                        : minor(st.st_rdev) != minor(want) ? "wrong minor"
                                                           : "wrong number";
    d.problems.push_back("is device " + DevString(st.st_rdev) + " (" + which + "), ashmem is " +
                         DevString(want));
  }
  if ((st.st_mode & 07777) != kNodeMode) {
    d.chmod = true;
    d.problems.push_back("has mode " + ModeString(st.st_mode) + ", needs " + ModeString(kNodeMode));
  }
  return d;
}

// Makes path a node of dev, mode 0666, replacing what is there in one
// rename so that the name never goes missing.
int MakeNode(const std::string& path, dev_t dev) {
  const std::string tmp = path + ".ashmemctl-" + std::to_string(getpid());
  unlink(tmp.c_str());
  if (mknod(tmp.c_str(), S_IFCHR | kNodeMode, dev) < 0)
    return FailErrno("node: mknod " + tmp, errno);
  // mknod() applied the umask
  if (chmod(tmp.c_str(), kNodeMode) < 0 || rename(tmp.c_str(), path.c_str()) < 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return FailErrno("node: " + path, err);
  }
  return 0;
}

std::string Joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& p : problems)
    out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

int NodeCommand(std::span<char*> args) {
  std::string dir = "/dev";
  bool check = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kNodeUsage, stdout);
      return 0;
    }
    if (arg == "--check") {
      check = true;
    } else if (arg == "--dev") {
      if (i + 1 == args.size())
        return Fail("node: --dev needs a directory");
      dir = args[++i];
    } else if (arg.starts_with("--dev=")) {
      dir = arg.substr(6);
    } else {
      return Fail(std::string("node: unexpected argument '") + args[i] + "' (see --help)");
    }
  }
  std::optional<dev_t> dev = AshmemDevNumber();
  if (!dev)
    return 1;
  const std::string boot_id = BootId();
  if (boot_id.empty())
    return Fail(std::string("node: cannot read the boot id from ") + kBootIdFile);
  struct stat dir_st = {};
  if (stat(dir.c_str(), &dir_st) < 0)
    return FailErrno("node: " + dir, errno);
  if (!S_ISDIR(dir_st.st_mode))
    return Fail("node: " + dir + " is not a directory");

  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  const std::string base = dir + (dir == "/" ? "" : "/") + kDeviceName;
  int status = 0;
  for (const std::string& path : {base, base + boot_id}) {
    Diagnosis d = Diagnose(path, *dev);
    if (d.problems.empty()) {
      std::printf("%s: ok (%s, mode %s)\n", path.c_str(), DevString(*dev).c_str(),
                  ModeString(kNodeMode).c_str());
      continue;
    }
    if (check) {
      Fail("node: " + path + ": " + Joined(d.problems));
      status = 1;
      continue;
    }
    if (d.missing || d.replace) {
      if (MakeNode(path, *dev) != 0) {
        status = 1;
        continue;
      }
    } else if (chmod(path.c_str(), kNodeMode) < 0) {
      FailErrno("node: chmod " + path, errno);
      status = 1;
      continue;
    }
    std::printf("%s: %s (%s, mode %s)\n", path.c_str(),
                d.missing ? "created" : ("fixed: " + Joined(d.problems)).c_str(),
                DevString(*dev).c_str(), ModeString(kNodeMode).c_str());
  }
  return status;
}

}  // namespace ashmemctl
