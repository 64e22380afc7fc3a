// SPDX-License-Identifier: Apache-2.0
// CpuMaxWatcher: hands the cgroups' cpu.max to fairshare on kernels that do not (< 6.17).
#ifndef SCXPP_EXAMPLES_FAIRSHARE_CPU_MAX_WATCHER_H_
#define SCXPP_EXAMPLES_FAIRSHARE_CPU_MAX_WATCHER_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "fairshare.skel.h"
#include "fairshare_intf.h"
#include "scxpp/scheduler.h"

namespace fairshare_impl {

// Kernels before 6.17 do not tell sched_ext about cpu.max: user space reads it from the
// cgroup files and hands changes to the BPF side through fairshare_bw_user.
//
// When to read them: an inotify watch on every cgroup directory (a child created, removed or
// moved) and on every cpu.max file (written) says when something changed, and only then is
// the tree read again, 256 directories per turn of the runner's 100 ms loop (cgroups in the
// table only); with a few hundred cgroups a change applies within about 100 ms, and nothing
// is read while nothing changes. Reading the whole tree every 100 ms
// instead cost the tenants about 5% of a 2-CPU machine under TCG (6.16, three tenants:
// utilisation 0.940 / 0.948 against 0.993 / 0.991 with --bandwidth=false and EEVDF's 0.998).
// A watch is added before the file is read, so a write that races with the scan is either
// read or reported. Where inotify is unavailable (no instance, or out of watches:
// fs.inotify.max_user_watches) it falls back to reading every --cpu_max_poll_ms.
class CpuMaxWatcher {
 public:
  // `cgroup_root`: where cgroup2 is mounted (--cgroup_root); `poll_ms`: how often to read
  // the cpu.max files where inotify is unavailable (--cpu_max_poll_ms).
  CpuMaxWatcher(std::string cgroup_root, uint32_t poll_ms);
  CpuMaxWatcher(const CpuMaxWatcher&) = delete;
  CpuMaxWatcher& operator=(const CpuMaxWatcher&) = delete;
  ~CpuMaxWatcher();

  // A new skeleton (first load or a restart) starts with an empty map: hand it everything.
  void Reset();

  void Poll(scxpp::SchedulerBase& s, fairshare& skel);  // RunHooks::poll

 private:
  // Other users make cgroups, as many as they like where the controller is delegated: a
  // pass over the tree is done kScanBatch directories per poll, so that no number of them
  // holds up the runner's loop (and with it SIGINT) for long. A value read is applied at
  // once; what disappeared is forgotten when a pass completes.
  static constexpr int kScanBatch = 256;

  void Step(scxpp::SchedulerBase& s, fairshare& skel);

  // Watches @path (a no-op when inotify is not in use). False only when the watch shows
  // that @path does not exist (the root has no cpu.max; a cgroup removed meanwhile).
  bool Watch(const std::string& path, uint32_t mask);

  // Reads every pending event. A cpu.max file written is read and applied at once (a pass
  // over a large tree takes seconds); anything else (a cgroup made, removed or moved, a
  // lost event) returns true: read the tree again.
  bool Drain(scxpp::SchedulerBase& s, fairshare& skel);

  void FallBack(const std::string& what, int err);

  const std::string cgroup_root_;
  const uint32_t poll_ms_;
  bool started_ = false;
  bool dirty_ = true;      // Something may have changed: a pass is due.
  bool scanning_ = false;  // A pass is under way (it_, seen_).
  int fd_ = -1;
  absl::Time next_poll_ = absl::InfinitePast();  // Without inotify: the next periodic pass.
  std::filesystem::recursive_directory_iterator it_;
  std::map<uint64_t, fairshare_bw> seen_;
  std::map<int, std::string> cpu_max_files_;  // Watch descriptor -> the cpu.max it watches.
  std::map<uint64_t, fairshare_bw> known_;
};

}  // namespace fairshare_impl

#endif  // SCXPP_EXAMPLES_FAIRSHARE_CPU_MAX_WATCHER_H_
