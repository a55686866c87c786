// SPDX-License-Identifier: Apache-2.0
//
// What of the Binder transport needs no Binder device: the Parcel encoding
// and the errors of a missing device.  The transport itself is tested over
// a real device in the guest (guest/binder_guest_test.cc).
#include <ashmem/binder.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace ashmem {
namespace {

TEST(ParcelTest, ValuesReadBackInTheOrderWritten) {
  Parcel p;
  p.WriteUint32(0xdeadbeef);
  p.WriteInt32(-5);
  p.WriteUint64(0x0123456789abcdefULL);
  p.WriteString("abc");
  p.WriteString("");
  EXPECT_EQ(0u, p.data().size() % 4) << "binder data is 32-bit aligned";
  EXPECT_EQ(0xdeadbeefu, p.ReadUint32().value());
  EXPECT_EQ(-5, p.ReadInt32().value());
  EXPECT_EQ(0x0123456789abcdefULL, p.ReadUint64().value());
  EXPECT_EQ("abc", p.ReadString().value());
  EXPECT_EQ("", p.ReadString().value());
  EXPECT_EQ(0u, p.remaining());
}

TEST(ParcelTest, ReadingPastTheEndIsAProtocolErrorAndConsumesNothing) {
  Parcel p;
  p.WriteUint32(1);
  EXPECT_EQ(make_error_code(Error::kProtocol), p.ReadUint64().error());
  EXPECT_EQ(4u, p.remaining());
  EXPECT_EQ(1u, p.ReadUint32().value());
}

TEST(ParcelTest, StringLongerThanAllowedIsRefused) {
  Parcel p;
  p.WriteString("0123456789");
  EXPECT_EQ(make_error_code(Error::kProtocol), p.ReadString(9).error());
  EXPECT_EQ("0123456789", p.ReadString(10).value());
}

TEST(ParcelTest, LengthBeyondTheDataIsRefused) {
  Parcel p;
  p.WriteUint32(1000);  // a length, with no bytes behind it
  EXPECT_EQ(make_error_code(Error::kProtocol), p.ReadBytes().error());
}

TEST(ParcelTest, FdIsAnObjectAtARecordedOffset) {
  Parcel p;
  p.WriteUint32(7);
  p.WriteFd(3);
  ASSERT_EQ(1u, p.fd_count());
  EXPECT_EQ(4u, p.object_offsets()[0]);
  EXPECT_EQ(4u + 24u, p.data().size()) << "a binder_fd_object is 24 bytes";
  EXPECT_EQ(7u, p.ReadUint32().value());
  // Data cannot be read out of an fd object.
  EXPECT_EQ(make_error_code(Error::kProtocol), p.ReadUint32().error());
  // A parcel that was written owns no fds to hand out.
  EXPECT_EQ(make_error_code(Error::kProtocol), p.ReadFd().error());
}

TEST(BinderOpenTest, MissingDeviceIsEnoent) {
  Result<Binder> b = Binder::Open("/nonexistent/binder");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(std::errc::no_such_file_or_directory, b.error());
}

TEST(BinderOpenTest, DeviceThatIsNotBinderIsEnotty) {
  Result<Binder> b = Binder::Open("/dev/null");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(std::errc::inappropriate_io_control_operation, b.error());
}

TEST(BinderOpenTest, EmptyMapIsEinval) {
  EXPECT_EQ(std::errc::invalid_argument, Binder::Open(kBinderDevice, 0).error());
}

TEST(BinderfsDeviceTest, NoMountIsEnodev) {
  EXPECT_EQ(std::errc::no_such_device, AddBinderfsDevice("/nonexistent", "x").error());
}

TEST(BinderfsDeviceTest, BadNamesAreEinval) {
  EXPECT_EQ(std::errc::invalid_argument, AddBinderfsDevice("/dev/binderfs", "").error());
  EXPECT_EQ(std::errc::invalid_argument, AddBinderfsDevice("/dev/binderfs", "a/b").error());
  EXPECT_EQ(std::errc::invalid_argument,
            AddBinderfsDevice("/dev/binderfs", std::string(256, 'x')).error());
}

}  // namespace
}  // namespace ashmem
