// SPDX-License-Identifier: Apache-2.0
// The one place libbpf errors become absl::Status.
#ifndef SCXPP_LIB_INTERNAL_LIBBPF_ERRORS_H_
#define SCXPP_LIB_INTERNAL_LIBBPF_ERRORS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace scxpp::internal {

// Routes libbpf's output through scxpp: everything is kept in a bounded in-memory log (for
// error messages), and echoed to stderr when `verbose`. Idempotent; last call wins.
void InstallLibbpfLogger(bool verbose);

// Whether the last InstallLibbpfLogger() asked for verbose output.
bool LibbpfVerbose();

// Drops what the log holds (called before each step whose failure we report).
void ClearLibbpfLog();

// The last `max_lines` lines libbpf printed, joined with newlines.
std::string LibbpfLogTail(int max_lines);

// The part of a verifier log a user needs: the last instructions the verifier walked, the
// error line that follows them, and the closing statistics. Falls back to the last lines of
// `log` when it does not look like a verifier log. Pure; unit-tested.
std::string VerifierLogSummary(const std::vector<std::string>& log);

// "ENOENT (No such file or directory)" for errno `err` (either sign).
std::string ErrnoText(int err);

enum class Step { kOpen, kLoad, kAttach };

// Converts a negative errno from libbpf at `step` of scheduler `name` into a status that
// names the step and the object and tells the user what to do.
absl::Status LibbpfError(int err, Step step, std::string_view name);

}  // namespace scxpp::internal

#endif  // SCXPP_LIB_INTERNAL_LIBBPF_ERRORS_H_
