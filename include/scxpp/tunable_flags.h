// SPDX-License-Identifier: Apache-2.0
/// @file
/// Command-line flags made from a scheduler's tunables list: each live tunable is declared
/// once, in the `*_intf.h` list, and that one line gives its BPF storage, its `scxppctl set`
/// key, range and description, and its flag.
///
///     // main.cc, at namespace scope:
///     SCXPP_TUNABLE_FLAGS(MYSCHED_TUNABLES)
///
/// defines `--slice_us`, `--preempt`, ... with the list's defaults, and `--help` shows each
/// with its description and range. scxpp::RunWithFlags() checks their values before anything
/// is loaded and writes them into the scheduler as its start values: a value out of range is
/// refused by ParseTunableValue(), the code `scxppctl set` uses, in the same words. A 0/1
/// tunable also takes true/false, on/off, yes/no, so `--preempt=false` reads naturally.
#ifndef SCXPP_TUNABLE_FLAGS_H_
#define SCXPP_TUNABLE_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "scxpp/control.h"

namespace scxpp {

/// A tunable's command-line value as given (SCXPP_TUNABLE_FLAGS() defines flags of this
/// type). The text is kept as it is and checked against the tunable's range by
/// TunablesFromFlags(), which knows the range; Abseil only refuses an empty value.
struct TunableFlag {
  std::string text;  ///< What follows `--name=`.
};

/// Abseil's parser for TunableFlag: takes any non-empty text.
/// @return false (with `error` set) for an empty value.
bool AbslParseFlag(absl::string_view text, TunableFlag* flag, std::string* error);
/// Abseil's printer for TunableFlag (`--help`'s "default:" column): the text.
std::string AbslUnparseFlag(const TunableFlag& flag);

/// Sets each of `descs`' start value (TunableDesc::def) from the command-line flag of the
/// same name, if the program defines one (SCXPP_TUNABLE_FLAGS()); a tunable without a flag
/// keeps its default. Reads flags only: call it after scxpp::ParseCommandLine() and before
/// loading anything. scxpp::RunWithFlags() calls it. Needs no kernel.
/// @return OK; kInvalidArgument naming the flag when a value is not a whole number (or a
///         0/1 word) or is out of range: ParseTunableValue()'s message, the one `scxppctl
///         set` gives for the same value.
absl::Status TunablesFromFlags(std::vector<TunableDesc>& descs);

}  // namespace scxpp

/// @cond
#define SCXPP__TUNABLE_STR(x) #x
#define SCXPP__TUNABLE_XSTR(x) SCXPP__TUNABLE_STR(x)
#define SCXPP__TUNABLE_FLAG(id, name, def, min, max, desc)                                 \
  ABSL_FLAG(::scxpp::TunableFlag, name, ::scxpp::TunableFlag{::std::to_string(def)},      \
            desc " [" SCXPP__TUNABLE_XSTR(min) ".." SCXPP__TUNABLE_XSTR(max) "; live: "    \
                 "scxppctl set]");
/// @endcond

/// Defines one command-line flag per tunable of `LIST` (a `*_TUNABLES(X)` list), named as the
/// tunable and starting at its default. Use once, at namespace scope, in the file that holds
/// main(); no semicolon after it.
#define SCXPP_TUNABLE_FLAGS(LIST) LIST(SCXPP__TUNABLE_FLAG)

#endif  // SCXPP_TUNABLE_FLAGS_H_
