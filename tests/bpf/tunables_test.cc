// SPDX-License-Identifier: Apache-2.0
// Tunables on an opened (not loaded) BPF object: the batch example's list, as
// SCXPP_TUNABLES() lays it out, binds from C++ with the same list; the flags made from the
// list give range-checked start values; a list of the wrong length or an object without
// tunables is refused.
#include <bpf/libbpf.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "batch.skel.h"
#include "batch_intf.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/flags/reflection.h"
#include "scxpp/control.h"
#include "scxpp/tunable_flags.h"

// batch's tunables' flags, made from its list as its main.cc makes them.
SCXPP_TUNABLE_FLAGS(BATCH_TUNABLES)

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

TEST(TunablesTest, FlagsMadeFromTheListGiveTheStartValues) {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag("slice_us");
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->DefaultValue(), "20000");  // the list's default
  EXPECT_THAT(flag->Help(), HasSubstr("slice of a nice-0 batch task (us)"));
  EXPECT_THAT(flag->Help(), HasSubstr("[1000..1000000"));

  std::vector<scxpp::TunableDesc> descs = SCXPP_TUNABLE_DESCS(BATCH_TUNABLES);
  descs.push_back({"no_flag", "a tunable without a flag", 5, 0, 9});
  absl::SetFlag(&FLAGS_slice_us, scxpp::TunableFlag{"7000"});
  absl::SetFlag(&FLAGS_interactive, scxpp::TunableFlag{"false"});
  ASSERT_TRUE(scxpp::TunablesFromFlags(descs).ok());
  EXPECT_EQ(descs[0].def, 7000u);
  EXPECT_EQ(descs[1].def, 0u);     // a 0/1 tunable takes a word
  EXPECT_EQ(descs[3].def, 2000u);  // preempt_after_us: its flag was left alone
  EXPECT_EQ(descs.back().def, 5u);  // no flag: its default stays

  // The start values reach the object's tunables.
  std::unique_ptr<batch, SkelCloser> skel(batch__open());
  ASSERT_NE(skel, nullptr);
  descs.pop_back();
  absl::StatusOr<scxpp::Tunables> t = scxpp::Tunables::Bind(skel->obj, descs);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE(t->SetStartValues().ok());
  EXPECT_EQ(*t->Get("slice_us"), 7000u);
  EXPECT_EQ(*t->Get("interactive"), 0u);

  // Out of range and not a number: refused naming the flag, in ParseTunableValue()'s words
  // (what `scxppctl set` prints for the same value).
  absl::SetFlag(&FLAGS_slice_us, scxpp::TunableFlag{"10"});
  absl::Status bad = scxpp::TunablesFromFlags(descs);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(),
            "--slice_us: " + std::string(scxpp::ParseTunableValue(descs[0], "10").status().message()));
  EXPECT_THAT(bad.message(), HasSubstr("10 is out of range for slice_us (1000..1000000)"));
  absl::SetFlag(&FLAGS_slice_us, scxpp::TunableFlag{"abc"});
  EXPECT_THAT(scxpp::TunablesFromFlags(descs).message(),
              HasSubstr("--slice_us: 'abc' is not a value for slice_us"));
  absl::SetFlag(&FLAGS_slice_us, scxpp::TunableFlag{"20000"});
  absl::SetFlag(&FLAGS_interactive, scxpp::TunableFlag{"1"});
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
