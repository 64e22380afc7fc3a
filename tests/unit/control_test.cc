// SPDX-License-Identifier: Apache-2.0
// The pure parts of live control: parsing tunable values against their ranges, table keys
// and their map bytes.
#include <sys/stat.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scxpp/control.h"

namespace scxpp {
namespace {

using ::testing::HasSubstr;

const TunableDesc kSlice{"slice_us", "slice (us)", 20000, 1000, 1000000};
const TunableDesc kFlag{"preempt", "preempt (0/1)", 1, 0, 1};

TEST(ParseTunableValueTest, AcceptsValuesInRange) {
  EXPECT_EQ(*ParseTunableValue(kSlice, "1000"), 1000u);
  EXPECT_EQ(*ParseTunableValue(kSlice, "1000000"), 1000000u);
  EXPECT_EQ(*ParseTunableValue(kSlice, " 5000 "), 5000u);
}

TEST(ParseTunableValueTest, RefusesOutOfRangeWithTheRangeAndDescription) {
  for (const char* v : {"999", "1000001", "0"}) {
    absl::StatusOr<uint64_t> r = ParseTunableValue(kSlice, v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("is out of range for slice_us (1000..1000000): slice (us)"));
  }
}

TEST(ParseTunableValueTest, RefusesWhatIsNotAWholeNumber) {
  for (const char* v : {"", "-1", "+5", "abc", "1e6", "5000us", "1.5", "99999999999999999999999"}) {
    absl::StatusOr<uint64_t> r = ParseTunableValue(kSlice, v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << v;
  }
  EXPECT_THAT(ParseTunableValue(kSlice, "abc").status().message(), HasSubstr("give a whole number"));
}

TEST(ParseTunableValueTest, FlagsTakeWords) {
  EXPECT_EQ(*ParseTunableValue(kFlag, "true"), 1u);
  EXPECT_EQ(*ParseTunableValue(kFlag, "ON"), 1u);
  EXPECT_EQ(*ParseTunableValue(kFlag, "no"), 0u);
  EXPECT_EQ(*ParseTunableValue(kFlag, "0"), 0u);
  EXPECT_FALSE(ParseTunableValue(kFlag, "2").ok());
  EXPECT_FALSE(ParseTunableValue(kSlice, "true").ok());  // Words only for 0..1 tunables.
}

TEST(TableKeyTest, PidRoundTripsThroughItsMapBytes) {
  absl::StatusOr<TableKey> k = ParseTableKey(KeyKind::kPid, "4242");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->Bytes().size(), 4u);
  absl::StatusOr<TableKey> back = TableKeyFromBytes(KeyKind::kPid, k->Bytes());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, 4242u);
  EXPECT_EQ(back->ToString(), "4242");
}

TEST(TableKeyTest, RefusesBadPids) {
  for (const char* v : {"0", "-4", "12ab", "", "+3", "4294967296"}) {
    absl::StatusOr<TableKey> k = ParseTableKey(KeyKind::kPid, v);
    ASSERT_FALSE(k.ok()) << v;
    EXPECT_THAT(k.status().message(), HasSubstr("is not a pid")) << v;
  }
}

TEST(TableKeyTest, CommIsNulPaddedToSixteenBytes) {
  absl::StatusOr<TableKey> k = ParseTableKey(KeyKind::kComm, "jackd");
  ASSERT_TRUE(k.ok());
  const std::string b = k->Bytes();
  ASSERT_EQ(b.size(), 16u);
  EXPECT_EQ(b, std::string("jackd") + std::string(11, '\0'));
  EXPECT_EQ(TableKeyFromBytes(KeyKind::kComm, b)->comm, "jackd");
  EXPECT_TRUE(ParseTableKey(KeyKind::kComm, "fifteen-chars-x").ok());
  EXPECT_FALSE(ParseTableKey(KeyKind::kComm, "sixteen-chars-xx").ok());
  EXPECT_FALSE(ParseTableKey(KeyKind::kComm, "").ok());
  // A NUL inside never matches task->comm (found by tests/fuzz/control_input_fuzzer).
  EXPECT_FALSE(ParseTableKey(KeyKind::kComm, std::string("ab\0cd", 5)).ok());
}

TEST(TableKeyTest, CgroupByIdOrPath) {
  absl::StatusOr<TableKey> byid = ParseTableKey(KeyKind::kCgroup, "12345");
  ASSERT_TRUE(byid.ok());
  EXPECT_EQ(byid->id, 12345u);
  EXPECT_EQ(byid->Bytes().size(), 8u);
  EXPECT_EQ(TableKeyFromBytes(KeyKind::kCgroup, byid->Bytes())->id, 12345u);
  // What `table list` prints reads back (found by tests/fuzz/control_input_fuzzer).
  EXPECT_EQ(byid->ToString(), "cgroup:12345");
  absl::StatusOr<TableKey> printed = ParseTableKey(KeyKind::kCgroup, byid->ToString());
  ASSERT_TRUE(printed.ok()) << printed.status();
  EXPECT_EQ(printed->id, 12345u);
  absl::StatusOr<TableKey> missing = ParseTableKey(KeyKind::kCgroup, "/sys/fs/cgroup/no-such-cgroup");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("is not a cgroup"));
  absl::StatusOr<TableKey> notcg = ParseTableKey(KeyKind::kCgroup, "/tmp");
  ASSERT_FALSE(notcg.ok());
  // On a cgroup2 host the root resolves to its inode number.
  struct stat st {};
  absl::StatusOr<TableKey> root = ParseTableKey(KeyKind::kCgroup, "/sys/fs/cgroup");
  if (root.ok()) {
    ASSERT_EQ(stat("/sys/fs/cgroup", &st), 0);
    EXPECT_EQ(root->id, st.st_ino);
  }
}

TEST(TableKeyTest, FromBytesChecksTheSize) {
  EXPECT_FALSE(TableKeyFromBytes(KeyKind::kPid, std::string(8, '\0')).ok());
  EXPECT_FALSE(TableKeyFromBytes(KeyKind::kComm, "short").ok());
  // 16 bytes with no NUL, or none before it, is no task->comm (found by fuzzing).
  EXPECT_FALSE(TableKeyFromBytes(KeyKind::kComm, std::string(16, 'x')).ok());
  EXPECT_FALSE(TableKeyFromBytes(KeyKind::kComm, std::string(16, '\0')).ok());
  EXPECT_FALSE(TableKeyFromBytes(KeyKind::kCgroup, std::string(4, '\0')).ok());
}

TEST(ControlClientTest, NoSuchSchedulerIsNamedPlainly) {
  absl::StatusOr<ControlClient> c = ControlClient::Open("nosuch", "/tmp/scxpp-no-such-root");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("no scxpp scheduler 'nosuch' is running"));
  absl::StatusOr<std::vector<PublishedScheduler>> all = ListSchedulers("/tmp/scxpp-no-such-root");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace scxpp
