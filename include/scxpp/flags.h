// SPDX-License-Identifier: Apache-2.0
/// @file
/// Command-line parsing for scxpp programs: Abseil's, with a `--help` that shows them.
#ifndef SCXPP_FLAGS_H_
#define SCXPP_FLAGS_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace scxpp {

/// Parses the command line with absl::ParseCommandLine() after setting the usage message
/// and the help configuration: `--help` lists every flag the program and scxpp define
/// (Abseil by default lists only those of a source file named after the program, so a
/// scheduler's `--help` said "No flags matched"), not Abseil's own (`--helpfull` does).
/// `usage` is what the program does, without its name (Abseil prints "<name>: <usage>").
/// Exits the process, as absl::ParseCommandLine() does, on `--help` or a bad flag.
/// Needs no kernel.
/// @return the positional arguments, argv[0] first.
std::vector<char*> ParseCommandLine(int argc, char** argv, absl::string_view usage);

}  // namespace scxpp

#endif  // SCXPP_FLAGS_H_
