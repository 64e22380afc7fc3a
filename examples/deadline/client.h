// SPDX-License-Identifier: Apache-2.0
/// @file
/// The C++ API applications use to register real-time threads with a running `deadline`
/// scheduler: the counterpart of sched_setattr(SCHED_DEADLINE), without privileges on the
/// thread itself (the scheduler daemon is the privileged party).
///
///   scxpp::deadline::Client client;  // the daemon's socket, /run/scxpp-deadline.sock
///   absl::StatusOr<std::vector<int>> cpus = client.Admit({{gettid(), params}});
///
/// The daemon runs the admission test on the whole set; either every thread is admitted (and
/// scheduled by its reservation from its next wakeup) or none is, with a message that says
/// by how much the set is over. Threads are released when they exit, or by Release().
///
/// The wire format is a line protocol on a Unix stream socket, one request per connection:
///   "admit\n" then "<tid> <runtime_ns> <deadline_ns> <period_ns>\n"... then "end\n"
///       -> "ok <cpu> <cpu>...\n"
///   "release <tid>\n" -> "ok\n"
///   "list\n" -> one line per admitted thread, then "ok\n"
/// and any failure as "error <absl status code number> <message>\n".
#ifndef SCXPP_EXAMPLES_DEADLINE_CLIENT_H_
#define SCXPP_EXAMPLES_DEADLINE_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "admission.h"

namespace scxpp::deadline {

/// The daemon's default socket.
inline constexpr char kDefaultSocket[] = "/run/scxpp-deadline.sock";

/// One thread to admit.
struct Registration {
  int tid = 0;
  TaskParams params;
  bool operator==(const Registration&) const = default;
};

/// A connection-per-request client of the deadline daemon. Cheap to copy.
class Client {
 public:
  explicit Client(std::string socket_path = kDefaultSocket) : path_(std::move(socket_path)) {}

  /// Admits `set` all or nothing.
  /// @return the CPU each thread is bound to, in order; kUnavailable when no daemon listens
  ///         on the socket; kPermissionDenied when this user may not use the socket (not
  ///         in its group) or a thread is another user's; kInvalidArgument for bad parameters
  ///         or an unknown thread; kResourceExhausted when the set does not fit (the message
  ///         says by how much) or exceeds this user's limit (the daemon's --user_cpus,
  ///         --user_tasks; root has none).
  absl::StatusOr<std::vector<int>> Admit(const std::vector<Registration>& set) const;
  /// Releases thread `tid`'s reservation; it is scheduled as best-effort from then on.
  /// @return OK; kNotFound when it was not admitted; kPermissionDenied when the thread's
  ///         reservation is another user's (root may release any); kUnavailable without a
  ///         daemon.
  absl::Status Release(int tid) const;
  /// One line per admitted thread with its reservation, CPU and stats.
  absl::StatusOr<std::string> List() const;

  /// Sends one request and returns the response body (without the final "ok" line's "ok"),
  /// or the error the daemon reported.
  absl::StatusOr<std::string> Call(const std::string& request) const;

 private:
  std::string path_;
};

// ---- The wire format, shared by Client and the daemon (and fuzzed: tests/fuzz). ----

/// One request as the daemon reads it off the socket.
struct WireRequest {
  enum class Kind { kList, kRelease, kAdmit };
  Kind kind = Kind::kList;
  int tid = 0;                    ///< kRelease: the thread to release (> 0).
  std::vector<Registration> set;  ///< kAdmit: the threads, in the order sent (tids > 0).
};

/// Server side: parses the whole text a client sent. Only the syntax is checked here; the
/// reservations are validated by the admission test.
/// @return the request, or kInvalidArgument saying what is malformed.
absl::StatusOr<WireRequest> ParseRequest(absl::string_view text);

/// Client side: the text of an admit request for `set`.
std::string FormatAdmitRequest(const std::vector<Registration>& set);
/// Client side: the text of a release request for `tid`.
std::string FormatReleaseRequest(int tid);

/// Client side: the body of a response (its lines before the last, then what follows "ok "
/// on the last line), or the status an "error <code> <message>" line carries (an unknown
/// code reads as kInternal).
/// @return the body; the daemon's error; kInternal for a response that is neither.
absl::StatusOr<std::string> ParseResponse(absl::string_view resp);

/// Server side: formats `status` as the protocol's error line (newlines in the message
/// become spaces).
std::string FormatErrorLine(const absl::Status& status);

}  // namespace scxpp::deadline

#endif  // SCXPP_EXAMPLES_DEADLINE_CLIENT_H_
