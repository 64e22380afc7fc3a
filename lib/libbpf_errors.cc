// SPDX-License-Identifier: Apache-2.0
#include "lib/internal/libbpf_errors.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace scxpp::internal {

std::string ErrnoText(int err) {
  err = err < 0 ? -err : err;
  const char* name = strerrorname_np(err);
  return absl::StrCat(name != nullptr ? name : "E?", " (", strerror(err), ")");
}

namespace {

constexpr size_t kMaxLogLines = 2000;

struct LogState {
  std::mutex mu;
  std::deque<std::string> lines;
  std::string partial;
  bool verbose = false;
};

LogState& State() {
  static auto* state = new LogState;
  return *state;
}

int PrintFn(enum libbpf_print_level level, const char* fmt, va_list args) {
  // libbpf prints a whole verifier log in one call: size the buffer to the message.
  std::string buf(256, '\0');
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(buf.data(), buf.size(), fmt, copy);
  va_end(copy);
  if (n < 0) return 0;
  if (static_cast<size_t>(n) >= buf.size()) {
    buf.resize(n + 1);
    va_copy(copy, args);
    vsnprintf(buf.data(), buf.size(), fmt, copy);
    va_end(copy);
  }
  buf.resize(n);
  LogState& st = State();
  std::lock_guard<std::mutex> lock(st.mu);
  if (st.verbose) fputs(buf.c_str(), stderr);
  st.partial += buf;
  size_t pos;
  while ((pos = st.partial.find('\n')) != std::string::npos) {
    st.lines.push_back(st.partial.substr(0, pos));
    st.partial.erase(0, pos + 1);
    if (st.lines.size() > kMaxLogLines) st.lines.pop_front();
  }
  (void)level;
  return 0;
}

std::string Errno(int err) {
  err = err < 0 ? -err : err;
  return absl::StrCat(strerrorname_np(err) ? strerrorname_np(err) : "E?", " (", strerror(err),
                      ")");
}

const char* StepName(Step step) {
  switch (step) {
    case Step::kOpen: return "open";
    case Step::kLoad: return "load";
    case Step::kAttach: return "attach";
  }
  return "?";
}

}  // namespace

void InstallLibbpfLogger(bool verbose) {
  {
    std::lock_guard<std::mutex> lock(State().mu);
    State().verbose = verbose;
  }
  libbpf_set_print(PrintFn);
}

bool LibbpfVerbose() {
  std::lock_guard<std::mutex> lock(State().mu);
  return State().verbose;
}

void ClearLibbpfLog() {
  std::lock_guard<std::mutex> lock(State().mu);
  State().lines.clear();
  State().partial.clear();
}

std::string LibbpfLogTail(int max_lines) {
  std::lock_guard<std::mutex> lock(State().mu);
  const auto& lines = State().lines;
  size_t n = std::min<size_t>(lines.size(), max_lines);
  std::vector<std::string> tail(lines.end() - n, lines.end());
  return absl::StrJoin(tail, "\n");
}

std::string VerifierLogSummary(const std::vector<std::string>& log) {
  auto is_insn = [](const std::string& l) {
    // "123: (79) r1 = *(u64 *)(r0 +8)" — an instruction the verifier walked.
    size_t i = 0;
    while (i < l.size() && absl::ascii_isdigit(static_cast<unsigned char>(l[i]))) ++i;
    return i > 0 && l.compare(i, 3, ": (") == 0;
  };
  int begin = -1, end = static_cast<int>(log.size());
  for (int i = static_cast<int>(log.size()) - 1; i >= 0; --i) {
    if (log[i].find("-- END PROG LOAD LOG --") != std::string::npos) end = i;
    if (log[i].find("-- BEGIN PROG LOAD LOG --") != std::string::npos) {
      begin = i;
      break;
    }
  }
  int last_insn = -1;
  for (int i = std::max(begin, 0); i < end; ++i) {
    if (is_insn(log[i])) last_insn = i;
  }
  std::vector<std::string> out;
  if (last_insn < 0) {
    const size_t n = std::min<size_t>(log.size(), 25);
    out.assign(log.end() - n, log.end());
    return absl::StrJoin(out, "\n");
  }
  for (int i = std::max(begin + 1, last_insn - 8); i <= last_insn; ++i) out.push_back(log[i]);
  // The verifier's complaint follows the failing instruction, up to a blank line.
  for (int i = last_insn + 1; i < end && !log[i].empty() && !is_insn(log[i]); ++i) {
    out.push_back(log[i]);
  }
  for (int i = end - 1; i > last_insn; --i) {
    if (log[i].rfind("processed ", 0) == 0) {
      out.push_back(log[i]);
      break;
    }
  }
  return absl::StrJoin(out, "\n");
}

absl::Status LibbpfError(int err, Step step, std::string_view name) {
  const std::string where = absl::StrCat(StepName(step), " ", std::string(name), ": ");
  const int e = err < 0 ? -err : err;
  if (e == EPERM) {
    return absl::PermissionDeniedError(absl::StrCat(
        where, Errno(e), ": loading a sched_ext scheduler needs root (CAP_SYS_ADMIN and "
        "CAP_BPF). Run it as root, e.g. with sudo."));
  }
  if (step == Step::kAttach && e == EBUSY) {
    return absl::AlreadyExistsError(absl::StrCat(
        where, Errno(e), ": another sched_ext scheduler is already attached; stop it first "
        "(cat /sys/kernel/sched_ext/root/ops names it)."));
  }
  if (step == Step::kLoad && (e == EACCES || e == EINVAL || e == E2BIG)) {
    std::vector<std::string> lines;
    {
      std::lock_guard<std::mutex> lock(State().mu);
      lines.assign(State().lines.begin(), State().lines.end());
    }
    std::string tail = VerifierLogSummary(lines);
    return absl::InvalidArgumentError(absl::StrCat(
        where, "the BPF verifier rejected the program: ", Errno(e),
        tail.empty() ? "" : "\n--- verifier log (where it stopped) ---\n", tail,
        "\n(run with --verbose for the full log)"));
  }
  if (e == ENOENT || e == ESRCH || e == ENOTSUP) {
    std::string tail = LibbpfLogTail(10);
    return absl::UnimplementedError(absl::StrCat(
        where, Errno(e), ": the running kernel lacks something this scheduler needs "
        "(sched_ext, a kfunc or an ops field).",
        tail.empty() ? "" : "\n--- libbpf log (tail) ---\n", tail));
  }
  std::string tail = LibbpfLogTail(10);
  return absl::InternalError(absl::StrCat(where, Errno(e),
                                          tail.empty() ? "" : "\n--- libbpf log (tail) ---\n",
                                          tail));
}

}  // namespace scxpp::internal
