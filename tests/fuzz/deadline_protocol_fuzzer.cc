// SPDX-License-Identifier: Apache-2.0
// The deadline daemon's socket (examples/deadline): any local process may write to it, so its
// parser and the admission test behind it must take any bytes. Also the client's reading of
// responses, and the --task/--cgroup/--run reservation syntax.
// Properties: a parsed admit request formats back to a request that parses to the same set;
// what the daemon would do with it (validate, then the admission test on 2 CPUs) neither
// crashes nor overflows (UBSan) and admits a set only with a CPU for each thread; an error
// line reads back as the status it came from; a parsed reservation is valid.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "admission.h"
#include "client.h"
#include "fuzz_check.h"

namespace {

using scxpp::deadline::Registration;
using scxpp::deadline::WireRequest;

void CheckRequest(std::string_view text) {
  absl::StatusOr<WireRequest> req = scxpp::deadline::ParseRequest(absl::string_view(text.data(), text.size()));
  if (!req.ok()) {
    SCXPP_FUZZ_CHECK(req.status().code() == absl::StatusCode::kInvalidArgument, "%s",
                     req.status().ToString().c_str());
    // The daemon writes the error back as one line; the client must read the same status.
    absl::StatusOr<std::string> back =
        scxpp::deadline::ParseResponse(scxpp::deadline::FormatErrorLine(req.status()));
    SCXPP_FUZZ_CHECK(back.status().code() == req.status().code(), "error code lost: %s",
                     back.status().ToString().c_str());
    return;
  }
  if (req->kind == WireRequest::Kind::kRelease) {
    SCXPP_FUZZ_CHECK(req->tid > 0, "release tid %d", req->tid);
    return;
  }
  if (req->kind != WireRequest::Kind::kAdmit) return;
  SCXPP_FUZZ_CHECK(!req->set.empty(), "empty admit set");
  absl::StatusOr<WireRequest> again =
      scxpp::deadline::ParseRequest(scxpp::deadline::FormatAdmitRequest(req->set));
  SCXPP_FUZZ_CHECK(again.ok() && again->kind == WireRequest::Kind::kAdmit &&
                       again->set == req->set,
                   "an admit request does not format back to itself");
  // What the daemon does next: validate every reservation, then try the set on 2 CPUs.
  if (req->set.size() > 8) return;  // Keep one input's admission test short.
  std::vector<scxpp::deadline::Request> set;
  for (const Registration& r : req->set) {
    if (!scxpp::deadline::Validate(r.params).ok()) return;
    set.push_back({r.tid, r.params, {}});
  }
  scxpp::deadline::Admission adm({0, 1}, 0.95, scxpp::deadline::Placement::kWorstFit, 0.1);
  absl::StatusOr<std::vector<int>> cpus = adm.AdmitSet(set);
  if (cpus.ok()) {
    SCXPP_FUZZ_CHECK(cpus->size() == set.size(), "%zu CPUs for %zu threads", cpus->size(),
                     set.size());
    for (int c : *cpus) SCXPP_FUZZ_CHECK(c == 0 || c == 1, "placed on CPU %d", c);
  }
}

void CheckResponse(std::string_view text) {
  absl::StatusOr<std::string> body = scxpp::deadline::ParseResponse(absl::string_view(text.data(), text.size()));
  if (body.ok()) SCXPP_FUZZ_CHECK(body->size() <= text.size(), "body longer than the response");
}

void CheckReservation(std::string_view text) {
  absl::StatusOr<scxpp::deadline::TaskParams> p = scxpp::deadline::ParseTaskParams(absl::string_view(text.data(), text.size()));
  if (p.ok()) {
    SCXPP_FUZZ_CHECK(scxpp::deadline::Validate(*p).ok(), "'%.*s' parsed to invalid %s",
                     static_cast<int>(text.size()), text.data(),
                     scxpp::deadline::FormatParams(*p).c_str());
  } else {
    SCXPP_FUZZ_CHECK(!p.status().message().empty(), "empty message");
  }
  absl::StatusOr<int64_t> d = scxpp::deadline::ParseDuration(absl::string_view(text.data(), text.size()));
  if (d.ok()) SCXPP_FUZZ_CHECK(*d >= 0, "negative duration %lld", static_cast<long long>(*d));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: CheckRequest(text); break;
    case 1: CheckResponse(text); break;
    case 2: CheckReservation(text); break;
  }
  return 0;
}
