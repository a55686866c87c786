// SPDX-License-Identifier: Apache-2.0
//
// The libcutils C API over the backends: every function validates its fd
// (ENOTTY for one that is not a region), returns -1 with errno on failure
// and never aborts.
#include <cutils/ashmem.h>

#include <limits.h>
#include <linux/ashmem.h>

#include <cerrno>

#include <ashmem/region.h>

#include "backend.h"

namespace {

using ashmem::Backend;
using ashmem::Result;

// Sets errno from error and returns -1.
int Fail(std::error_code error) {
  errno = ashmem::internal::ToErrno(error);
  return -1;
}

int PinCall(int fd, ashmem::internal::PinOp op, size_t offset, size_t len) {
  Result<Backend> backend = ashmem::internal::Identify(fd);
  if (!backend.ok())
    return Fail(backend.error());
  Result<int> ret = ashmem::internal::Pin(fd, *backend, op, offset, len);
  if (!ret.ok())
    return Fail(ret.error());
  return *ret;
}

}  // namespace

extern "C" {

int ashmem_valid(int fd) {
  ashmem::internal::ErrnoRestorer keep_errno;
  return ashmem::internal::Identify(fd).ok() ? 1 : 0;
}

int ashmem_create_region(const char* name, size_t size) {
  Result<ashmem::Region> region = ashmem::Region::Create(name != nullptr ? name : "", size);
  if (!region.ok())
    return Fail(region.error());
  return std::move(region).value().Release().release();
}

int ashmem_set_prot_region(int fd, int prot) {
  Result<Backend> backend = ashmem::internal::Identify(fd);
  if (!backend.ok())
    return Fail(backend.error());
  Result<void> ret = ashmem::internal::SetProt(fd, *backend, prot);
  if (!ret.ok())
    return Fail(ret.error());
  return 0;
}

int ashmem_pin_region(int fd, size_t offset, size_t len) {
  return PinCall(fd, ashmem::internal::PinOp::kPin, offset, len);
}

int ashmem_unpin_region(int fd, size_t offset, size_t len) {
  return PinCall(fd, ashmem::internal::PinOp::kUnpin, offset, len);
}

int ashmem_get_size_region(int fd) {
  Result<Backend> backend = ashmem::internal::Identify(fd);
  if (!backend.ok())
    return Fail(backend.error());
  Result<size_t> size = ashmem::internal::GetSize(fd, *backend);
  if (!size.ok())
    return Fail(size.error());
  if (*size > INT_MAX)
    return Fail(ashmem::ErrnoError(EOVERFLOW));
  return static_cast<int>(*size);
}

}  // extern "C"
