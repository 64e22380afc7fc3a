// SPDX-License-Identifier: Apache-2.0
// CpuMaxWatcher: hands the cgroups' cpu.max to fairshare on kernels that do not (< 6.17).
#include "cpu_max_watcher.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "fmt/format.h"

namespace fairshare_impl {
namespace {

// "max 100000" or "50000 100000"; nullopt when unreadable (e.g. the root has no cpu.max).
std::optional<fairshare_bw> ReadCpuMax(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) return std::nullopt;
  char quota[32] = {};
  unsigned long long period = 0;
  const int n = fscanf(f, "%31s %llu", quota, &period);
  fclose(f);
  if (n != 2) return std::nullopt;
  fairshare_bw bw{.period_us = period, .quota_us = ~0ULL};
  if (std::string(quota) != "max") bw.quota_us = strtoull(quota, nullptr, 10);
  return bw;
}

}  // namespace

CpuMaxWatcher::CpuMaxWatcher(std::string cgroup_root, uint32_t poll_ms)
    : cgroup_root_(std::move(cgroup_root)), poll_ms_(poll_ms) {}

CpuMaxWatcher::~CpuMaxWatcher() {
  if (fd_ >= 0) close(fd_);
}

void CpuMaxWatcher::Reset() {
  known_.clear();
  seen_.clear();
  dirty_ = true;
  scanning_ = false;
}

void CpuMaxWatcher::Poll(scxpp::SchedulerBase& s, fairshare& skel) {
  if (!started_) {
    started_ = true;
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) FallBack("inotify_init1", errno);
  }
  if (fd_ >= 0 && Drain(s, skel)) dirty_ = true;
  if (fd_ < 0 && absl::Now() >= next_poll_) dirty_ = true;
  if (!scanning_) {
    if (!dirty_) return;
    dirty_ = false;  // An event during the pass starts another one after it.
    scanning_ = true;
    seen_.clear();
    std::error_code ec;
    Watch(cgroup_root_, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
    it_ = std::filesystem::recursive_directory_iterator(
        cgroup_root_, std::filesystem::directory_options::skip_permission_denied, ec);
    if (ec) {
      scanning_ = false;
      return;
    }
  }
  Step(s, skel);
}

void CpuMaxWatcher::Step(scxpp::SchedulerBase& s, fairshare& skel) {
  bpf_map* map = bpf_object__find_map_by_name(s.object(), "fairshare_bw_user");
  bpf_map* cgroups = bpf_object__find_map_by_name(s.object(), "fairshare_cgroups");
  if (map == nullptr || cgroups == nullptr) {
    scanning_ = false;
    return;
  }
  const int fd = bpf_map__fd(map);
  const std::filesystem::recursive_directory_iterator end;
  bool changed = false;
  std::error_code ec;
  int dirs = 0;  // Directories, not entries: each cgroup lists some 50 control files.
  for (; !ec && it_ != end && dirs < kScanBatch; it_.increment(ec)) {
    if (!it_->is_directory(ec)) continue;
    ++dirs;
    const std::string dir = it_->path().string();
    // A cgroup left out of the table (and so its whole subtree) is not capped: no watch,
    // no read. This bounds both by the table, not by how many cgroups users make.
    struct stat st;
    fairshare_cgroup c;
    if (stat(dir.c_str(), &st) != 0) continue;
    const uint64_t id = st.st_ino;
    if (bpf_map_lookup_elem(bpf_map__fd(cgroups), &id, &c) != 0) {
      it_.disable_recursion_pending();
      continue;
    }
    Watch(dir, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
    std::optional<fairshare_bw> bw;
    if (Watch(dir + "/cpu.max", IN_MODIFY)) bw = ReadCpuMax(dir + "/cpu.max");
    if (!bw) continue;
    seen_[id] = *bw;
    auto old = known_.find(id);
    if (old != known_.end() && old->second.period_us == bw->period_us &&
        old->second.quota_us == bw->quota_us) {
      continue;
    }
    bpf_map_update_elem(fd, &id, &*bw, BPF_ANY);
    known_[id] = *bw;
    changed = true;
  }
  if (changed) ++skel.bss->bw_user_gen;
  if (ec) {  // The tree changed under the walk (a cgroup removed): walk it again.
    scanning_ = false;
    dirty_ = true;
    return;
  }
  if (it_ != end) return;
  scanning_ = false;
  next_poll_ = absl::Now() + absl::Milliseconds(poll_ms_);
  for (auto k = known_.begin(); k != known_.end();) {
    if (seen_.contains(k->first)) {
      ++k;
      continue;
    }
    bpf_map_delete_elem(fd, &k->first);
    k = known_.erase(k);
  }
}

bool CpuMaxWatcher::Watch(const std::string& path, uint32_t mask) {
  if (fd_ < 0) return true;
  const int wd = inotify_add_watch(fd_, path.c_str(), mask);
  if (wd >= 0) {
    if (mask & IN_MODIFY) cpu_max_files_[wd] = path;
    return true;
  }
  const int err = errno;
  if (err == ENOENT || err == ENOTDIR) return false;
  FallBack(absl::StrCat("inotify_add_watch(", path, ")"), err);
  return true;
}

bool CpuMaxWatcher::Drain(scxpp::SchedulerBase& s, fairshare& skel) {
  alignas(inotify_event) char buf[4096];
  bool rescan = false, changed = false;
  bpf_map* map = bpf_object__find_map_by_name(s.object(), "fairshare_bw_user");
  for (;;) {
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: the queue is empty.
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      auto file = cpu_max_files_.find(ev->wd);
      if (ev->mask & IN_IGNORED) {  // The watch is gone (its cgroup removed).
        if (file != cpu_max_files_.end()) cpu_max_files_.erase(file);
        continue;
      }
      if (file == cpu_max_files_.end() || !(ev->mask & IN_MODIFY) || map == nullptr) {
        rescan = true;
        continue;
      }
      struct stat st;
      const std::string dir = std::filesystem::path(file->second).parent_path().string();
      std::optional<fairshare_bw> bw = ReadCpuMax(file->second);
      if (!bw || stat(dir.c_str(), &st) != 0) continue;
      const uint64_t id = st.st_ino;
      bpf_map_update_elem(bpf_map__fd(map), &id, &*bw, BPF_ANY);
      known_[id] = *bw;
      if (scanning_) seen_[id] = *bw;  // Not forgotten by the end of a pass under way.
      changed = true;
    }
  }
  if (changed) ++skel.bss->bw_user_gen;
  return rescan;
}

void CpuMaxWatcher::FallBack(const std::string& what, int err) {
  fmt::print(stderr,
             "fairshare: cannot watch the cgroup files ({}: {}); reading cpu.max every {} ms "
             "instead\n",
             what, strerror(err), poll_ms_);
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  cpu_max_files_.clear();
  dirty_ = true;
}

}  // namespace fairshare_impl
