// SPDX-License-Identifier: Apache-2.0
#include "scxpp/runner.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "fmt/core.h"
#include "lib/internal/service_notify.h"
#include "scxpp/dsq_plan.h"

namespace scxpp {

namespace internal {
namespace {

// SIGINT/SIGTERM are read from a signalfd, so the loop wakes at once and nothing runs in
// signal context.
class SignalWatch {
 public:
  SignalWatch() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_ = signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
    err_ = fd_ < 0 ? errno : 0;
  }
  // Without the signalfd, SIGINT and SIGTERM would stay blocked and unread: nothing could
  // stop the scheduler but SIGKILL.
  absl::Status status() const {
    return err_ == 0 ? absl::OkStatus()
                     : absl::ErrnoToStatus(err_, "cannot watch for SIGINT/SIGTERM (signalfd)");
  }
  ~SignalWatch() {
    if (fd_ >= 0) close(fd_);
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  // Waits up to `timeout`; returns the signal number, or 0.
  int Wait(absl::Duration timeout) {
    pollfd p{fd_, POLLIN, 0};
    int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
    if (poll(&p, 1, ms < 0 ? 0 : ms) > 0) {
      signalfd_siginfo si{};
      if (read(fd_, &si, sizeof(si)) == sizeof(si)) return static_cast<int>(si.ssi_signo);
    }
    return 0;
  }

 private:
  sigset_t set_{}, old_{};
  int fd_ = -1;
  int err_ = 0;
};

// Prints one stats sample in the chosen format and rewrites the Prometheus file if asked.
// Warns once about a file that cannot be written, not every interval.
// " | dsq shared:0=3 llc:1=2" for schedulers with a DSQ plan (only non-empty queues).
std::string DsqSuffix(const bpf_object* obj) {
  absl::StatusOr<std::vector<DsqDepth>> depths = ReadDsqDepths(obj);
  if (!depths.ok()) return "";
  // After the kernel has disabled the scheduler (the final line of an ejected one) every
  // DSQ is gone and reads as an error (-19 here): one phrase instead of one per queue.
  if (!depths->empty() && std::all_of(depths->begin(), depths->end(),
                                      [](const DsqDepth& d) { return d.depth < 0; })) {
    return " | dsq gone (scheduler disabled)";
  }
  std::string s = FormatDsqDepths(*depths, /*nonzero_only=*/true);
  return absl::StrCat(" | dsq ", s.empty() ? "empty" : s);
}

void ReportStats(const RunOptions& o, const std::string& sched_name, const bpf_object* obj,
                 const StatsSample& now, const StatsSample* prev, bool final, bool* file_warned) {
  std::optional<StatsDelta> delta;
  if (prev != nullptr) delta = Delta(*prev, now);
  const StatsDelta* d = delta ? &*delta : nullptr;
  std::string prometheus;
  if (o.stats_format == StatsFormat::kPrometheus || !o.stats_prometheus_file.empty()) {
    prometheus = FormatStatsPrometheus(o.stats, now, sched_name);
  }
  switch (o.stats_format) {
    case StatsFormat::kText:
      fmt::print("{}{}{}\n", final ? "final: " : "",
                 FormatStatsText(o.stats, now, final ? nullptr : prev), DsqSuffix(obj));
      break;
    case StatsFormat::kTable:
      fmt::print("{}{}{}\n", final ? "final:\n" : "", FormatStatsTable(o.stats, now, d),
                 DsqSuffix(obj));
      break;
    case StatsFormat::kJson:
      fmt::print("{}\n", FormatStatsJson(o.stats, now, d));
      break;
    case StatsFormat::kPrometheus:  // A comment line keeps the output parseable.
      fmt::print("{}{}\n", final ? "# final\n" : "", prometheus);
      break;
  }
  std::fflush(stdout);
  if (!o.stats_prometheus_file.empty()) {
    absl::Status w = WritePrometheusFile(o.stats_prometheus_file, prometheus);
    if (!w.ok() && !*file_warned) {
      fmt::print(stderr, "warning: {}\n", std::string(w.message()));
    }
    *file_warned = !w.ok();
  }
}

// What live control changed, carried from one instance to the next across a restart.
struct LiveState {
  std::vector<std::pair<std::string, uint64_t>> tunables;
  // Per direct table: its map's entries as (key bytes, value bytes).
  std::vector<std::vector<std::pair<std::string, std::string>>> tables;
};

void SaveLiveState(const RunOptions& o, SchedulerCore& s, LiveState* st) {
  st->tunables.clear();
  st->tables.clear();
  if (!o.tunables.empty()) {
    if (absl::StatusOr<Tunables> t = Tunables::Bind(s.object(), o.tunables); t.ok()) {
      for (const TunableDesc& d : o.tunables) {
        if (absl::StatusOr<uint64_t> v = t->Get(d.name); v.ok()) st->tunables.emplace_back(d.name, *v);
      }
    }
  }
  for (const TableDesc& td : o.tables) {
    auto& entries = st->tables.emplace_back();
    const bpf_map* m = td.map.empty() ? nullptr : bpf_object__find_map_by_name(s.object(), td.map.c_str());
    if (m == nullptr) continue;
    const int fd = bpf_map__fd(m);
    std::string key(bpf_map__key_size(m), '\0'), next = key, val(bpf_map__value_size(m), '\0');
    bool first = true;
    while (bpf_map_get_next_key(fd, first ? nullptr : key.data(), next.data()) == 0) {
      first = false;
      key = next;
      if (bpf_map_lookup_elem(fd, key.data(), val.data()) == 0) entries.emplace_back(key, val);
    }
  }
}

void RestoreLiveState(const RunOptions& o, SchedulerCore& s, const LiveState& st) {
  if (!st.tunables.empty()) {
    if (absl::StatusOr<Tunables> t = Tunables::Bind(s.object(), o.tunables); t.ok()) {
      for (const auto& [name, v] : st.tunables) (void)t->Set(name, v);
    }
  }
  for (size_t i = 0; i < st.tables.size() && i < o.tables.size(); ++i) {
    const TableDesc& td = o.tables[i];
    const bpf_map* m = td.map.empty() ? nullptr : bpf_object__find_map_by_name(s.object(), td.map.c_str());
    if (m == nullptr) continue;
    // The table as it was, removals included: drop what the loaded hook put back first.
    const int fd = bpf_map__fd(m);
    std::string key(bpf_map__key_size(m), '\0');
    while (bpf_map_get_next_key(fd, nullptr, key.data()) == 0) {
      if (bpf_map_delete_elem(fd, key.data()) != 0) break;
    }
    for (const auto& [k, v] : st.tables[i]) {
      bpf_map_update_elem(bpf_map__fd(m), k.data(), v.data(), BPF_ANY);
    }
  }
}

}  // namespace
}  // namespace internal

absl::Status internal::SetTunableStartValues(bpf_object* obj,
                                             const std::vector<TunableDesc>& tunables) {
  if (tunables.empty()) return absl::OkStatus();
  absl::StatusOr<Tunables> t = Tunables::Bind(obj, tunables);
  if (!t.ok()) return t.status();
  return t->SetStartValues();
}

int ReportStartError(const absl::Status& status) {
  fmt::print(stderr, "error: {}\n", std::string(status.message()));
  return kExitStartFailed;
}

namespace internal {

int Run(const StartFn& start, const RunOptions& options) {
  SignalWatch signals;
  if (absl::Status s = signals.status(); !s.ok()) return ReportStartError(s);
  // Restarts in a row. The kernel asks for one on every CPU hotplug event, so over a long
  // life a scheduler may be asked any number of times; only a restart loop — instances that
  // end again within kHealthyRun of attaching — uses up the budget.
  constexpr absl::Duration kHealthyRun = absl::Seconds(1);
  LiveState live;
  bool restarting = false;
  // A step that fails while restarting is a scheduler that ran and is now gone: exit 1, so
  // that a supervisor tries again, not 2 ("never started"), which it takes as final.
  auto start_failed = [&restarting](const absl::Status& status) -> int {
    if (!restarting) return ReportStartError(status);
    fmt::print(stderr, "error: restarting failed: {}\n", std::string(status.message()));
    return kExitSchedError;
  };
  for (int restarts = 0;; restarting = true) {
    absl::StatusOr<std::unique_ptr<SchedulerCore>> sched = start(options.verbose);
    if (!sched.ok()) return start_failed(sched.status());
    SchedulerCore& s = **sched;
    if (options.hooks.loaded) {
      if (absl::Status h = options.hooks.loaded(s); !h.ok()) return start_failed(h);
    }
    RestoreLiveState(options, s, live);
    std::optional<StatsReader> stats;
    if (!options.stats.empty()) {
      absl::StatusOr<StatsReader> r = StatsReader::Bind(s.object(), options.stats);
      if (!r.ok()) return start_failed(r.status());
      stats.emplace(*std::move(r));
    }
    if (absl::Status a = s.Attach(); !a.ok()) return start_failed(a);
    // Published before "attached" is said: whoever waits for that finds the scheduler.
    std::optional<ControlDir> control;
    if (!options.control_root.empty() &&
        (!options.stats.empty() || !options.tunables.empty() || !options.tables.empty())) {
      ControlSpec spec{options.stats, options.tunables, options.tables};
      absl::StatusOr<ControlDir> c = ControlDir::Publish(s, spec, options.control_root);
      if (c.ok()) {
        control.emplace(*std::move(c));
      } else {
        fmt::print(stderr, "warning: live control unavailable: {}\n", std::string(c.status().message()));
      }
    }
    fmt::print("scxpp: scheduler '{}' attached\n", s.name());
    std::fflush(stdout);
    // A unit of Type=notify (packaging/systemd) is started from here on.
    (void)NotifyServiceManager(absl::StrCat("READY=1\nSTATUS=scheduler '", s.name(), "' attached"));
    const absl::Time attached_at = absl::Now();
    if (options.hooks.attached) {
      if (absl::Status h = options.hooks.attached(s); !h.ok()) {
        fmt::print(stderr, "error: {}\n", std::string(h.message()));
        s.Detach();
        return kExitSchedError;
      }
    }

    StatsSample now, prev;  // Swapped after each read, so reads reuse their buffers.
    bool have_prev = false, file_warned = false;
    const absl::Duration poll_every = absl::Milliseconds(100);
    absl::Time next_stats = absl::Now() + options.stats_interval;
    int signo = 0;
    while (!s.Exited() && !s.stop_requested()) {
      signo = signals.Wait(poll_every);
      if (signo != 0) break;
      if (control) control->Poll();
      if (options.hooks.poll) options.hooks.poll(s);
      if (stats && options.stats_interval > absl::ZeroDuration() && absl::Now() >= next_stats) {
        next_stats += options.stats_interval;
        if (stats->ReadInto(&now).ok()) {
          ReportStats(options, s.name(), s.object(), now, have_prev ? &prev : nullptr, false, &file_warned);
          std::swap(now, prev);
          have_prev = true;
        }
      }
    }
    const bool on_request = signo != 0 || s.stop_requested();
    if (signo != 0) {
      fmt::print("scxpp: {} received, detaching\n", strsignal(signo));
    } else if (s.stop_requested()) {
      fmt::print("scxpp: {}, detaching\n", s.stop_reason());
    }
    (void)NotifyServiceManager(on_request ? "STOPPING=1\nSTATUS=detaching on request"
                                          : "STATUS=the scheduler exited; reporting");
    // Final stats while the maps are still there, then detach.
    if (stats) {
      if (stats->ReadInto(&now).ok()) {
        ReportStats(options, s.name(), s.object(), now, have_prev ? &prev : nullptr, true, &file_warned);
      }
    }
    if (options.hooks.final_report) options.hooks.final_report(s);
    SaveLiveState(options, s, &live);
    control.reset();  // Gone before the scheduler is: nobody finds a detached scheduler.
    s.Detach();
    absl::StatusOr<ExitInfo> exit = s.Exit(true);
    if (!exit.ok()) {
      fmt::print(stderr, "error: {}\n", std::string(exit.status().message()));
      return kExitSchedError;
    }
    // The kernel's debug dump (each CPU's runnable tasks, how long they waited, the DSQ
    // they sat in) is what explains an error exit: print it, framed, whenever there is one.
    if (exit->is_error() && !exit->dump.empty()) {
      fmt::print(stderr, "scxpp: debug dump of '{}':\n{}\nscxpp: end of debug dump\n", s.name(),
                 exit->dump);
    }
    fmt::print("scxpp: scheduler '{}' exited: {}\n", s.name(), exit->Summary());
    std::fflush(stdout);
    if (exit->should_restart() && !on_request) {
      if (absl::Now() - attached_at >= kHealthyRun) restarts = 0;
      if (restarts < options.max_restarts) {
        ++restarts;
        fmt::print("scxpp: restarting '{}' as the kernel asked\n", s.name());
        (void)NotifyServiceManager("STATUS=restarting as the kernel asked");
        // Now, not after the next attach: opening and loading again can take seconds, and
        // a log (or a supervisor) should see why the scheduler is gone in the meantime.
        std::fflush(stdout);
        continue;
      }
      // Giving up leaves the machine on the default scheduler: say so, and fail, so that a
      // supervisor (systemd's Restart=on-failure) tries again later.
      fmt::print(stderr, "error: '{}' asked to restart {} times in a row; giving up\n",
                 s.name(), restarts + 1);
      return kExitSchedError;
    }
    return exit->is_error() ? kExitSchedError : kExitOk;
  }
}

}  // namespace internal
}  // namespace scxpp
