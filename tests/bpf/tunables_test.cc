// SPDX-License-Identifier: Apache-2.0
// Tunables on an opened (not loaded) BPF object: the batch example's list, as
// SCXPP_TUNABLES() lays it out, binds from C++ with the same list; start values are
// range-checked; a list of the wrong length or an object without tunables is refused.
#include <bpf/libbpf.h>

#include <memory>

#include "absl/flags/flag.h"
#include "batch.skel.h"
#include "batch_intf.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scxpp/control.h"

// Flags named like two of batch's tunables (as its main.cc has them); preempt_after_us has
// none here.
ABSL_FLAG(uint64_t, slice_us, 20000, "test: tunable slice_us");
ABSL_FLAG(bool, interactive, true, "test: tunable interactive");

namespace {

using ::testing::HasSubstr;

struct SkelCloser {
  void operator()(batch* s) const { batch__destroy(s); }
};

TEST(TunablesTest, BindsToTheObjectsTunablesWithDefaultsFromTheList) {
  std::unique_ptr<batch, SkelCloser> skel(batch__open());
  ASSERT_NE(skel, nullptr);
  absl::StatusOr<scxpp::Tunables> t =
      scxpp::Tunables::Bind(skel->obj, SCXPP_TUNABLE_DESCS(BATCH_TUNABLES));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t->Get("slice_us"), 20000u);
  EXPECT_EQ(*t->Get("interactive"), 1u);
  ASSERT_TRUE(t->Set("slice_us", 40000).ok());
  // The write lands in the object's data, where the loader sends it to the kernel.
  EXPECT_EQ(skel->data_scxpp_tunables->scxpp_tunables[SCXPP_TUNABLE_SLICE_US], 40000u);
  absl::Status bad = t->Set("slice_us", 10);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("10 is out of range for slice_us (1000..1000000)"));
  EXPECT_EQ(*t->Get("slice_us"), 40000u);  // Unchanged by the refused write.
  absl::Status unknown = t->Set("no_such", 1);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("there are: slice_us, interactive"));
}

TEST(TunablesTest, SetFromFlagsTakesTheFlagsOfTheSameNames) {
  std::unique_ptr<batch, SkelCloser> skel(batch__open());
  ASSERT_NE(skel, nullptr);
  absl::StatusOr<scxpp::Tunables> t =
      scxpp::Tunables::Bind(skel->obj, SCXPP_TUNABLE_DESCS(BATCH_TUNABLES));
  ASSERT_TRUE(t.ok()) << t.status();
  absl::SetFlag(&FLAGS_slice_us, 7000);
  absl::SetFlag(&FLAGS_interactive, false);
  ASSERT_TRUE(t->SetFromFlags().ok());
  EXPECT_EQ(*t->Get("slice_us"), 7000u);
  EXPECT_EQ(*t->Get("interactive"), 0u);  // A bool flag is 0/1.
  EXPECT_EQ(*t->Get("preempt_after_us"), 2000u);  // No such flag here: the default stays.
  absl::SetFlag(&FLAGS_slice_us, 10);
  absl::Status bad = t->SetFromFlags();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("--slice_us: 10 is out of range for slice_us"));
  absl::SetFlag(&FLAGS_slice_us, 20000);
}

TEST(TunablesTest, RefusesAListOfTheWrongLength) {
  std::unique_ptr<batch, SkelCloser> skel(batch__open());
  ASSERT_NE(skel, nullptr);
  std::vector<scxpp::TunableDesc> shorter = SCXPP_TUNABLE_DESCS(BATCH_TUNABLES);
  shorter.pop_back();
  absl::StatusOr<scxpp::Tunables> t = scxpp::Tunables::Bind(skel->obj, shorter);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("build both from the same tunables list"));
}

}  // namespace
