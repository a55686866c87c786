// SPDX-License-Identifier: Apache-2.0
//
// ashmemctl's fdinfo parsing and name escaping: pure text, so on the host.
// The guest's android_lookup_test checks the same against the driver.
#include "fdinfo.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ashmemctl {
namespace {

using std::string_view_literals::operator""sv;

TEST(FdinfoTest, ParsesTheDriversFields) {
  constexpr std::string_view kText =
      "pos:\t0\nflags:\t02100002\nmnt_id:\t15\nino:\t5\ninode:\t31\n"
      "name:\tGraphic\\040Buffer\\011#2\nsize:\t8192\nunpinned_pages:\t1\npurged_pages:\t0\n";
  std::optional<AshmemFdinfo> info = ParseAshmemFdinfo(kText);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ("Graphic Buffer\t#2", info->name);
  EXPECT_EQ(8192U, info->size);
  EXPECT_EQ(1U, info->unpinned_pages);
  EXPECT_EQ(0U, info->purged_pages);
  EXPECT_EQ(31U, info->inode);  // the backing file's, not the device's "ino:"
}

TEST(FdinfoTest, UnnamedAreaHasEmptyName) {
  std::optional<AshmemFdinfo> info =
      ParseAshmemFdinfo("size:\t0\nunpinned_pages:\t0\npurged_pages:\t0\n");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ("", info->name);
  EXPECT_EQ(0U, info->inode);  // never mapped: no backing file
}

TEST(FdinfoTest, RejectsOtherFilesAndBadNumbers) {
  // a regular file's fdinfo, a memfd's, one field missing, a number that is not one
  for (std::string_view text : {"pos:\t0\nflags:\t02\nmnt_id:\t1\nino:\t9\n"sv,
                                "pos:\t0\nsize:\t4096\n"sv, "size:\t4096\nunpinned_pages:\t0\n"sv,
                                "size:\tlots\nunpinned_pages:\t0\npurged_pages:\t0\n"sv}) {
    EXPECT_FALSE(ParseAshmemFdinfo(text).has_value()) << text;
  }
}

TEST(FdinfoTest, NameCannotForgeTheFieldsAfterIt) {
  // the driver escapes the newline, so the name's "size:" is part of it
  std::optional<AshmemFdinfo> info = ParseAshmemFdinfo(
      "name:\tx\\012size:\\0111\nsize:\t4096\nunpinned_pages:\t2\n"
      "purged_pages:\t1\n");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ("x\nsize:\t1", info->name);
  EXPECT_EQ(4096U, info->size);
}

TEST(FdinfoTest, UnescapeOctal) {
  EXPECT_EQ("a b\t\n\\", UnescapeOctal("a\\040b\\011\\012\\134"));
  EXPECT_EQ(std::string("\0\377", 2), UnescapeOctal("\\000\\377"));
  // not three octal digits: copied as it is
  EXPECT_EQ("\\08x\\4\\", UnescapeOctal("\\08x\\4\\"));
  EXPECT_EQ("plain", UnescapeOctal("plain"));
}

TEST(FdinfoTest, JsonQuote) {
  EXPECT_EQ(R"("a \"b\" \\ \t\n\u0001\u007f é")", JsonQuote("a \"b\" \\ \t\n\x01\x7f é"));
  EXPECT_EQ(R"("")", JsonQuote(""));
}

TEST(FdinfoTest, DisplayEscape) {
  EXPECT_EQ(R"(a b\t\n\\\001)", DisplayEscape("a b\t\n\\\x01"));
}

}  // namespace
}  // namespace ashmemctl
