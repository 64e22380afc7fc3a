// SPDX-License-Identifier: Apache-2.0
// deadlinectl: register threads with a running `deadline` scheduler from the shell.
//   deadlinectl admit TID:runtime:period[:deadline]...   (one set: all or nothing)
//   deadlinectl release TID
//   deadlinectl list
// Exit status: 0 done, 1 refused by the scheduler (or no scheduler), 2 bad arguments.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "admission.h"
#include "client.h"
#include "scxpp/flags.h"

ABSL_FLAG(std::string, socket, scxpp::deadline::kDefaultSocket, "The deadline daemon's socket.");

namespace {

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "error: %s\nusage: deadlinectl admit TID:runtime:period[:deadline]... | release "
               "TID | list\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args = scxpp::ParseCommandLine(
      argc, argv,
      "register threads with the deadline scheduler: admit TID:2ms:10ms[:5ms]... | release "
      "TID | list");
  if (args.size() < 2) return Usage("no command");
  const std::string cmd = args[1];
  scxpp::deadline::Client client(absl::GetFlag(FLAGS_socket));
  if (cmd == "list" && args.size() == 2) {
    absl::StatusOr<std::string> out = client.List();
    if (!out.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(out.status().message()).c_str());
      return 1;
    }
    std::printf("%s", out->c_str());
    return 0;
  }
  if (cmd == "release" && args.size() == 3) {
    int tid = 0;
    if (!absl::SimpleAtoi(args[2], &tid) || tid <= 0) {
      return Usage(absl::StrCat("'", args[2], "' is not a thread id"));
    }
    absl::Status s = client.Release(tid);
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    return 0;
  }
  if (cmd == "admit" && args.size() >= 3) {
    std::vector<scxpp::deadline::Registration> set;
    for (size_t i = 2; i < args.size(); ++i) {
      const std::string spec = args[i];
      const size_t colon = spec.find(':');
      scxpp::deadline::Registration r;
      if (colon == std::string::npos || !absl::SimpleAtoi(spec.substr(0, colon), &r.tid) ||
          r.tid <= 0) {
        return Usage(absl::StrCat("'", spec, "': expected TID:runtime:period[:deadline]"));
      }
      absl::StatusOr<scxpp::deadline::TaskParams> p =
          scxpp::deadline::ParseTaskParams(spec.substr(colon + 1));
      if (!p.ok()) return Usage(std::string(p.status().message()));
      r.params = *p;
      set.push_back(r);
    }
    absl::StatusOr<std::vector<int>> cpus = client.Admit(set);
    if (!cpus.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(cpus.status().message()).c_str());
      return 1;
    }
    for (size_t i = 0; i < set.size(); ++i) {
      std::printf("admitted thread %d on CPU %d\n", set[i].tid, (*cpus)[i]);
    }
    return 0;
  }
  return Usage(absl::StrCat("unknown command '", cmd, "'"));
}
