// SPDX-License-Identifier: Apache-2.0
// The deadline daemon's line protocol (examples/deadline/client.h): what the daemon accepts,
// what it refuses and why, and that the client's requests read back as sent.
#include <string>
#include <vector>

#include "client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace scxpp::deadline {
namespace {

using ::testing::HasSubstr;

TEST(DeadlineProtocolTest, AdmitRequestReadsBackAsSent) {
  std::vector<Registration> set = {{12, {2'000'000, 5'000'000, 10'000'000}},
                                   {13, {10'000, 10'000, 10'000'000'000}}};
  absl::StatusOr<WireRequest> req = ParseRequest(FormatAdmitRequest(set));
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->kind, WireRequest::Kind::kAdmit);
  EXPECT_EQ(req->set, set);
}

TEST(DeadlineProtocolTest, ReleaseAndList) {
  absl::StatusOr<WireRequest> rel = ParseRequest(FormatReleaseRequest(4242));
  ASSERT_TRUE(rel.ok()) << rel.status();
  EXPECT_EQ(rel->kind, WireRequest::Kind::kRelease);
  EXPECT_EQ(rel->tid, 4242);
  absl::StatusOr<WireRequest> list = ParseRequest("list\n");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->kind, WireRequest::Kind::kList);
}

TEST(DeadlineProtocolTest, MalformedRequestsSayWhatIsWrong) {
  struct Case {
    std::string text, why;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty request"},
           {"\n\n", "empty request"},
           {"frobnicate\n", "unknown request 'frobnicate'"},
           {"list all\n", "unknown request"},
           {"release\n", "unknown request"},
           {"release -3\n", "bad thread id"},
           {"release 0\n", "bad thread id"},
           {"release x\n", "bad thread id"},
           {"admit\n", "no threads, or no 'end' line"},
           {"admit\nend\n", "no threads, or no 'end' line"},
           {"admit\n12 1 2 3\n", "no threads, or no 'end' line"},
           {"admit\n12 1 2\nend\n", "bad line '12 1 2'"},
           {"admit\n0 1 2 3\nend\n", "bad line"},
           {"admit\n12 1 2 99999999999999999999\nend\n", "bad line"},
           {"admit\n12 1\x01 2 3\nend\n", "bad line '12 1\\001 2 3'"},
       }) {
    absl::StatusOr<WireRequest> req = ParseRequest(c.text);
    ASSERT_FALSE(req.ok()) << "accepted: '" << c.text << "'";
    EXPECT_EQ(req.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(req.status().message(), HasSubstr(c.why)) << c.text;
  }
}

TEST(DeadlineProtocolTest, ResponsesCarryBodyOrError) {
  absl::StatusOr<std::string> ok = ParseResponse("ok 0 1\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "0 1");
  absl::StatusOr<std::string> list = ParseResponse("task a\ntask b\nok\n");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(*list, "task a\ntask b\n");

  const absl::Status sent = absl::ResourceExhaustedError("over by 15.8%\non CPU 1");
  absl::StatusOr<std::string> err = ParseResponse(FormatErrorLine(sent));
  EXPECT_EQ(err.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(err.status().message(), "over by 15.8% on CPU 1");

  EXPECT_EQ(ParseResponse("error 99 what\n").status().code(), absl::StatusCode::kInternal);
  absl::StatusOr<std::string> junk = ParseResponse("hello\n");
  EXPECT_EQ(junk.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(junk.status().message(), HasSubstr("unexpected answer"));
}

}  // namespace
}  // namespace scxpp::deadline

namespace scxpp::deadline {
namespace {

// A daemon that drops a connection (too many from one user, too slow, stopping) sends
// nothing: that is "try again", not an internal error.
TEST(DeadlineProtocolTest, SilentDaemonIsUnavailableNotInternal) {
  absl::StatusOr<std::string> r = ParseResponse("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("without answering"));
  EXPECT_EQ(ParseResponse("garbage\n").status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace scxpp::deadline
