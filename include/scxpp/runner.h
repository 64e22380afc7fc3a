// SPDX-License-Identifier: Apache-2.0
/// @file
/// The runner every scheduler's main() uses: attach, print stats periodically, detach
/// cleanly on SIGINT/SIGTERM, report how the scheduler ended, restart when the kernel asks.
#ifndef SCXPP_RUNNER_H_
#define SCXPP_RUNNER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "scxpp/control.h"
#include "scxpp/scheduler.h"
#include "scxpp/stats.h"
#include "scxpp/tunable_flags.h"

namespace scxpp {

/// Process exit statuses of Run().
enum RunExitStatus : int {
  kExitOk = 0,          ///< Detached on request (signal) or the scheduler exited cleanly.
  kExitSchedError = 1,  ///< The scheduler was ejected: BPF error, watchdog stall, ...
  kExitStartFailed = 2, ///< It never ran: no sched_ext, busy, no privileges, verifier.
};

/// A scheduler's own work while Run() runs it, e.g. feeding a map from userspace or printing
/// a table of its own at the end. Each hook is optional; all run on Run()'s thread.
struct RunHooks {
  /// After each load, before attaching (also after a restart): fill maps the scheduler needs
  /// from the start, e.g. a direct table's entries from flags (PutTableEntry()). An error
  /// ends the run with kExitStartFailed before anything is attached.
  std::function<absl::Status(SchedulerBase&)> loaded;
  /// Right after each attach (also after a restart). An error detaches and ends the run
  /// with kExitSchedError.
  std::function<absl::Status(SchedulerBase&)> attached;
  /// About every 100 ms while attached.
  std::function<void(SchedulerBase&)> poll;
  /// After the final stats, while the maps are still readable, before detaching.
  std::function<void(SchedulerBase&)> final_report;
};

/// How Run() behaves; RunOptionsFromFlags() fills it from the shared flags.
struct RunOptions {
  absl::Duration stats_interval = absl::Seconds(1);  ///< 0 disables periodic stats.
  StatsFormat stats_format = StatsFormat::kText;     ///< How stats are printed.
  /// When not empty, rewritten atomically each interval with the stats in Prometheus text
  /// format (see WritePrometheusFile(); for node-exporter's textfile collector, `*.prom`).
  std::string stats_prometheus_file;
  bool verbose = false;                              ///< libbpf debug output.
  /// Restarts in a row on SCX_ECODE_ACT_RESTART (the kernel asks on CPU hotplug). An
  /// instance that stayed attached for a second starts the count afresh, so only a restart
  /// loop uses it up; then Run() gives up with kExitSchedError.
  int max_restarts = 8;
  std::vector<StatDesc> stats;                       ///< The scheduler's counter list.
  /// The scheduler's live tunables (its SCXPP_TUNABLE_DESCS list); see scxpp/control.h.
  /// Values changed while it runs survive a restart the kernel asks for.
  std::vector<TunableDesc> tunables;
  /// Its per-entity tables; direct tables' entries also survive a restart.
  std::vector<TableDesc> tables;
  /// Where to publish the control directory (ControlDir) while attached; empty: nowhere.
  /// Publishing is best effort: a failure is a warning, the scheduler runs on.
  std::string control_root = kDefaultControlRoot;
  RunHooks hooks;                                    ///< The scheduler's own work, if any.
};

/// The flags every example shares: --stats_interval,
/// --stats_format=text|table|json|prometheus, --stats_prometheus_file, --verbose,
/// --control_root. They are defined in an object of their own that only this function (and
/// RunWithFlags(), which calls it) pulls into a static link: a program that fills RunOptions
/// itself may define flags of the same names.
/// @return the options; kInvalidArgument for a bad --stats_format (the message names the
///         flag and the choices), for main() to print before returning kExitStartFailed.
absl::StatusOr<RunOptions> RunOptionsFromFlags();

/// For main() when something fails before the runner starts (a bad flag, no topology):
/// prints "error: <message>" to stderr, the way the runner reports its own start failures.
/// @return kExitStartFailed, for main() to return.
int ReportStartError(const absl::Status& status);

namespace internal {
using StartFn = std::function<absl::StatusOr<std::unique_ptr<SchedulerCore>>(bool verbose)>;
int Run(const StartFn& start, const RunOptions& options);
// Binds `obj`'s tunables to `tunables` and sets each to its def; nothing to do when the list
// is empty.
absl::Status SetTunableStartValues(bpf_object* obj, const std::vector<TunableDesc>& tunables);
using ::scxpp::ReportStartError;
}  // namespace internal

/// Creates the scheduler (see Scheduler<Skel>::Create), attaches it and runs until it
/// exits or SIGINT/SIGTERM arrives; prints the exit summary. On a restart request from the
/// kernel, creates it again with the same `configure`.
/// @return a RunExitStatus, for main() to return.
template <typename Skel>
int Run(typename Scheduler<Skel>::OpenFn open, typename Scheduler<Skel>::ConfigureFn configure,
        const RunOptions& options) {
  return internal::Run(
      [&](bool verbose) -> absl::StatusOr<std::unique_ptr<internal::SchedulerCore>> {
        SchedulerOptions so;
        so.verbose = verbose;
        absl::StatusOr<Scheduler<Skel>> s = Scheduler<Skel>::Create(open, configure, so);
        if (!s.ok()) return s.status();
        return std::make_unique<Scheduler<Skel>>(*std::move(s));
      },
      options);
}

/// Run() with the shared flags (RunOptionsFromFlags()) and what the scheduler offers: its
/// counters, and for live control its tunables and tables (ControlSpec; a plain stats list
/// converts), published for `scxppctl` while it runs. What a scheduler's main() calls
/// after scxpp::ParseCommandLine(). The tunables start at the values of their flags
/// (SCXPP_TUNABLE_FLAGS(), TunablesFromFlags()), written after `configure` on every load. A
/// bad shared flag or tunable value is reported on stderr and returns kExitStartFailed
/// before anything is loaded. `hooks` is the scheduler's own work while it runs (see
/// RunHooks).
template <typename Skel>
int RunWithFlags(typename Scheduler<Skel>::OpenFn open,
                 typename Scheduler<Skel>::ConfigureFn configure, ControlSpec spec,
                 RunHooks hooks = {}) {
  absl::StatusOr<RunOptions> options = RunOptionsFromFlags();
  if (!options.ok()) return ReportStartError(options.status());
  if (absl::Status s = TunablesFromFlags(spec.tunables); !s.ok()) return ReportStartError(s);
  options->stats = std::move(spec.stats);
  options->tunables = spec.tunables;
  options->tables = std::move(spec.tables);
  options->hooks = std::move(hooks);
  std::vector<TunableDesc> tunables = std::move(spec.tunables);
  return Run<Skel>(
      open,
      [configure = std::move(configure), tunables = std::move(tunables)](Skel& skel) {
        if (configure) {
          if (absl::Status s = configure(skel); !s.ok()) return s;
        }
        return internal::SetTunableStartValues(skel.obj, tunables);
      },
      *options);
}

/// RunWithFlags() with the skeleton's own `Skel::open()` (bpftool's C++ skeleton).
template <typename Skel>
int RunWithFlags(typename Scheduler<Skel>::ConfigureFn configure, ControlSpec spec,
                 RunHooks hooks = {}) {
  return RunWithFlags<Skel>(&Skel::open, std::move(configure), std::move(spec),
                            std::move(hooks));
}

}  // namespace scxpp

#endif  // SCXPP_RUNNER_H_
