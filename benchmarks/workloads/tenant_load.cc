// SPDX-License-Identifier: Apache-2.0
// scxpp_tenant_load: does the scheduler honour cgroup v2 CPU weights and quotas between
// tenants? It builds a tree of cgroups under a parent cgroup from a spec
// ("a:100:1,b:200:4,c:400:8" = name:cpu.weight:threads[:cpu.max in CPUs]), puts one
// process of CPU-bound threads in each leaf, lets them compete for --duration_s, and
// compares the CPU time each leaf received (cpu.stat usage_usec, a delta over the run)
// with the ideal weighted-fair split (IdealCpuAllocation() in latency_stats.h documents
// the formula: weights multiply down the tree, a tenant is limited to one CPU per thread
// and to its cpu.max, and what a limited tenant cannot use goes to its siblings by
// weight).
//
// cgroup v2 allows processes only in leaves ("no internal processes"), so a spec entry
// with children must have 0 threads, and every inner cgroup gets "+cpu" in its
// cgroup.subtree_control so that its children have cpu.weight/cpu.max.
//
// Output: one JSON line on stdout (see kUsage); diagnostics on stderr. Exit status 2 for
// a bad spec or a machine that cannot run the test (no cgroup2, no cpu controller), 1 for
// a failure during the run. Children and cgroups are removed on every path out, including
// SIGINT/SIGTERM; a stale tree left by a killed run is removed on the next start.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "benchmarks/workloads/latency_stats.h"
#include "fmt/format.h"

ABSL_FLAG(std::string, tenants, "a:100:1,b:200:4,c:400:8",
          "Comma-separated name:cpu.weight:threads[:cpu_max_cpus]. Names may nest "
          "(t1/x); give an inner cgroup its weight with a 0-thread entry (t1:300:0), else "
          "it gets the kernel default 100. cpu_max_cpus is a quota in CPUs (0.5 writes "
          "\"50000 100000\" to cpu.max).");
ABSL_FLAG(std::string, parent, "/sys/fs/cgroup/scxpp-bench",
          "cgroup to create the tenants under (created and removed by this program; its "
          "own parent must be a cgroup2 directory offering the cpu controller).");
ABSL_FLAG(int, duration_s, 5, "How long the tenants compete, in seconds.");

namespace scxpp::workloads {
namespace {

constexpr char kUsage[] =
    "cgroup CPU-weight fairness between tenants. Prints one JSON line:\n"
    "  {\"workload\":\"tenant_load\",\"tenants\":[{\"name\":..,\"weight\":..,\"threads\":..,"
    "\"usage_us\":..,\"cpus\":..,\"share\":..,\"ideal\":..,\"rel_err\":..},...],\"max_rel_err\":..,"
    "\"jain\":..,\"cpu_util\":..,\"cap_use\":..,\"duration_s\":..}\n"
    "share = the tenant's CPU time / all leaves' CPU time; ideal = the weighted-fair share;\n"
    "cpus = CPUs it used on average; cpu_util = all leaves' CPU time / the machine's;\n"
    "cap_use = the most any capped tenant used of its cpu.max (cpus / cap; null: none);\n"
    "inner cgroups are listed too, with threads 0 and their subtree's totals;\n"
    "jain = Jain's index over share/ideal of the leaves (1.0 is perfect).";

constexpr int64_t kCpuMaxPeriodUs = 100000;
constexpr unsigned long kCgroup2SuperMagic = 0x63677270;

struct Tenant {
  std::string path;  // relative to --parent, e.g. "t1/x"
  int weight = 100;
  int threads = 0;
  double cap_cpus = 0;  // 0: no cpu.max
  bool listed = true;   // false: an inner cgroup implied by a nested name
  int parent = -1;      // index into the tenant vector
  bool leaf = true;
};

// Exit-status-carrying error, so main() can tell a bad spec/machine (2) from a failed run (1).
struct Error {
  int status = 0;  // 0: no error
  std::string message;
};

Error Fail(int status, std::string message) { return {status, std::move(message)}; }

bool ValidComponent(absl::string_view c) {
  if (c.empty() || c == "." || c == "..") return false;
  for (char ch : c) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' &&
        ch != '.') {
      return false;
    }
  }
  return true;
}

absl::string_view ParentPath(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? absl::string_view() : path.substr(0, slash);
}

// Parses the spec into tenants ordered parents first (by depth, then spec order), with
// implied inner cgroups added and parent/leaf links filled in.
Error ParseSpec(absl::string_view spec, std::vector<Tenant>* out) {
  std::vector<Tenant> listed;
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const std::string entry_s(entry);  // fmt 9 cannot format absl::string_view
    std::vector<absl::string_view> f = absl::StrSplit(entry, ':');
    if (f.size() != 3 && f.size() != 4) {
      return Fail(2,
                  fmt::format("tenant '{}': expected name:weight:threads[:cpu_max_cpus]", entry_s));
    }
    Tenant t;
    t.path = std::string(f[0]);
    for (absl::string_view c : absl::StrSplit(f[0], '/')) {
      if (!ValidComponent(c)) {
        return Fail(2, fmt::format("tenant '{}': bad name '{}' (use [A-Za-z0-9_.-], '/' to nest)",
                                   entry_s, std::string(f[0])));
      }
    }
    if (!absl::SimpleAtoi(f[1], &t.weight) || t.weight < 1 || t.weight > 10000) {
      return Fail(2, fmt::format("tenant '{}': weight must be an integer in 1..10000", entry_s));
    }
    if (!absl::SimpleAtoi(f[2], &t.threads) || t.threads < 0 || t.threads > 1024) {
      return Fail(2, fmt::format("tenant '{}': threads must be an integer in 0..1024", entry_s));
    }
    if (f.size() == 4) {
      if (!absl::SimpleAtod(f[3], &t.cap_cpus) || !(t.cap_cpus > 0) || t.cap_cpus > 1024 ||
          std::llround(t.cap_cpus * kCpuMaxPeriodUs) < 1000) {
        return Fail(
            2, fmt::format("tenant '{}': cpu_max_cpus must be a number in 0.01..1024", entry_s));
      }
    }
    for (const Tenant& other : listed) {
      if (other.path == t.path) return Fail(2, fmt::format("tenant '{}' is listed twice", t.path));
    }
    listed.push_back(std::move(t));
  }
  if (listed.empty()) return Fail(2, "--tenants is empty");

  // Add implied ancestors, then order by depth (stable, so spec order within a level).
  std::vector<Tenant> all = listed;
  for (const Tenant& t : listed) {
    for (absl::string_view p = ParentPath(t.path); !p.empty(); p = ParentPath(p)) {
      const bool known =
          std::any_of(all.begin(), all.end(), [&](const Tenant& o) { return o.path == p; });
      if (!known) all.push_back({.path = std::string(p), .listed = false});
    }
  }
  auto depth = [](const Tenant& t) { return std::count(t.path.begin(), t.path.end(), '/'); };
  std::stable_sort(all.begin(), all.end(),
                   [&](const Tenant& a, const Tenant& b) { return depth(a) < depth(b); });
  for (size_t i = 0; i < all.size(); ++i) {
    const absl::string_view p = ParentPath(all[i].path);
    for (size_t j = 0; j < i && !p.empty(); ++j) {
      if (all[j].path == p) {
        all[i].parent = static_cast<int>(j);
        all[j].leaf = false;
      }
    }
  }
  bool any_threads = false;
  for (const Tenant& t : all) {
    if (!t.leaf && t.threads > 0) {
      return Fail(2, fmt::format("tenant '{}' has children, so it cannot hold threads (cgroup v2 "
                                 "puts processes only in leaves): give it 0 threads",
                                 t.path));
    }
    if (t.leaf && t.threads == 0) {
      return Fail(2, fmt::format("leaf tenant '{}' has 0 threads", t.path));
    }
    any_threads |= t.threads > 0;
  }
  if (!any_threads) return Fail(2, "no tenant has threads");
  *out = std::move(all);
  return {};
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

// Writes `value` with one write(2), as cgroup files expect. Returns 0 or an errno.
int WriteFile(const std::string& path, absl::string_view value) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const ssize_t n = write(fd, value.data(), value.size());
  const int err = n < 0 ? errno : (static_cast<size_t>(n) == value.size() ? 0 : EIO);
  close(fd);
  return err;
}

// usage_usec from a cgroup's cpu.stat; -1 if unreadable.
int64_t ReadUsageUs(const std::string& cgroup) {
  std::string text;
  if (!ReadFile(cgroup + "/cpu.stat", &text)) return -1;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "usage_usec ")) continue;
    int64_t v;
    return absl::SimpleAtoi(line, &v) ? v : -1;
  }
  return -1;
}

bool HasWord(absl::string_view text, absl::string_view word) {
  for (absl::string_view w : absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    if (w == word) return true;
  }
  return false;
}

// Removes a cgroup directory, retrying briefly: the kernel may report EBUSY for a moment
// after the last task of the cgroup was reaped.
bool RemoveCgroup(const std::string& path) {
  for (int i = 0; i < 100; ++i) {
    if (rmdir(path.c_str()) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY) break;
    usleep(10000);
  }
  fmt::print(stderr, "scxpp_tenant_load: rmdir {}: {}\n", path, std::strerror(errno));
  return false;
}

// Removes a tree of empty cgroups depth-first (a stale one from a killed run). Tasks
// still inside one are killed first: they can only be ours.
void RemoveTree(const std::string& path) {
  std::string text;
  if (ReadFile(path + "/cgroup.procs", &text)) {
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      pid_t pid;
      if (absl::SimpleAtoi(line, &pid) && pid > 0) kill(pid, SIGKILL);
    }
  }
  if (DIR* dir = opendir(path.c_str())) {
    std::vector<std::string> subdirs;
    while (const dirent* e = readdir(dir)) {
      const absl::string_view name = e->d_name;
      if (e->d_type == DT_DIR && name != "." && name != "..") {
        subdirs.push_back(path + "/" + std::string(name));
      }
    }
    closedir(dir);
    for (const std::string& d : subdirs) RemoveTree(d);
  }
  RemoveCgroup(path);
}

volatile sig_atomic_t g_stop_signal = 0;
void OnSignal(int sig) { g_stop_signal = sig; }

// Owns what a run creates, so every exit path kills the children and removes the
// cgroups, children before parents.
class Cleanup {
 public:
  ~Cleanup() { Run(); }
  void AddDir(std::string dir) { dirs_.push_back(std::move(dir)); }
  void AddChild(pid_t pid) { children_.push_back(pid); }
  void Run() {
    for (pid_t pid : children_) kill(pid, SIGKILL);
    for (pid_t pid : children_) {
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    children_.clear();
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) RemoveCgroup(*it);
    dirs_.clear();
  }

 private:
  std::vector<pid_t> children_;
  std::vector<std::string> dirs_;
};

// Child process body: join `cgroup`, start `threads` spinning threads, report readiness
// (or the error) on `ready_fd`, and spin until the parent kills it.
[[noreturn]] void ChildMain(const std::string& cgroup, int threads, int ready_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the parent
  const int err = WriteFile(cgroup + "/cgroup.procs", std::to_string(getpid()));
  if (err != 0) {
    const std::string msg = fmt::format("join {}: {}", cgroup, std::strerror(err));
    (void)!write(ready_fd, msg.data(), msg.size());
    _exit(1);
  }
  for (int i = 0; i < threads; ++i) {
    std::thread([] {
      uint64_t x = 1;
      for (;;) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        asm volatile("" : "+r"(x));
      }
    }).detach();
  }
  (void)!write(ready_fd, "k", 1);
  close(ready_fd);
  for (;;) pause();
}

int OnlineCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
}

Error Run(std::vector<Tenant>& tenants, const std::string& parent, int duration_s) {
  // The machine: cgroup2 above --parent, offering the cpu controller.
  const std::string above = std::string(ParentPath(parent).empty() ? "/" : ParentPath(parent));
  struct statfs sfs;
  if (statfs(above.c_str(), &sfs) != 0 ||
      static_cast<unsigned long>(sfs.f_type) != kCgroup2SuperMagic) {
    return Fail(2, fmt::format("{} is not a cgroup2 directory (is cgroup2 mounted?)", above));
  }
  std::string controllers, subtree;
  ReadFile(above + "/cgroup.controllers", &controllers);
  if (!HasWord(controllers, "cpu")) {
    return Fail(2,
                fmt::format("the cpu controller is unavailable in {} (cgroup.controllers: "
                            "'{}'); is it bound to cgroup v1 or not delegated?",
                            above, std::string(absl::StripTrailingAsciiWhitespace(controllers))));
  }
  ReadFile(above + "/cgroup.subtree_control", &subtree);
  if (!HasWord(subtree, "cpu")) {
    if (int err = WriteFile(above + "/cgroup.subtree_control", "+cpu"); err != 0) {
      return Fail(2, fmt::format("enable +cpu in {}/cgroup.subtree_control: {}", above,
                                 std::strerror(err)));
    }
  }

  struct stat st;
  if (stat(parent.c_str(), &st) == 0) {
    fmt::print(stderr, "scxpp_tenant_load: removing stale {}\n", parent);
    RemoveTree(parent);
  }
  Cleanup cleanup;
  if (mkdir(parent.c_str(), 0755) != 0) {
    return Fail(1, fmt::format("mkdir {}: {}", parent, std::strerror(errno)));
  }
  cleanup.AddDir(parent);
  if (int err = WriteFile(parent + "/cgroup.subtree_control", "+cpu"); err != 0) {
    return Fail(
        2, fmt::format("enable +cpu in {}/cgroup.subtree_control: {}", parent, std::strerror(err)));
  }
  for (const Tenant& t : tenants) {  // parents come first
    const std::string dir = parent + "/" + t.path;
    if (mkdir(dir.c_str(), 0755) != 0) {
      return Fail(1, fmt::format("mkdir {}: {}", dir, std::strerror(errno)));
    }
    cleanup.AddDir(dir);
    if (int err = WriteFile(dir + "/cpu.weight", std::to_string(t.weight)); err != 0) {
      return Fail(1, fmt::format("write {}/cpu.weight: {}", dir, std::strerror(err)));
    }
    if (t.cap_cpus > 0) {
      const std::string quota =
          fmt::format("{} {}", std::llround(t.cap_cpus * kCpuMaxPeriodUs), kCpuMaxPeriodUs);
      if (int err = WriteFile(dir + "/cpu.max", quota); err != 0) {
        return Fail(1, fmt::format("write '{}' to {}/cpu.max: {}", quota, dir, std::strerror(err)));
      }
    }
    if (!t.leaf) {
      if (int err = WriteFile(dir + "/cgroup.subtree_control", "+cpu"); err != 0) {
        return Fail(1, fmt::format("enable +cpu in {}/cgroup.subtree_control: {}", dir,
                                   std::strerror(err)));
      }
    }
  }

  // One process per leaf; wait until each has joined its cgroup and started its threads.
  for (const Tenant& t : tenants) {
    if (!t.leaf) continue;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return Fail(1, fmt::format("pipe: {}", std::strerror(errno)));
    const pid_t pid = fork();
    if (pid < 0) {
      close(fds[0]);
      close(fds[1]);
      return Fail(1, fmt::format("fork: {}", std::strerror(errno)));
    }
    if (pid == 0) {
      close(fds[0]);
      ChildMain(parent + "/" + t.path, t.threads, fds[1]);
    }
    cleanup.AddChild(pid);
    close(fds[1]);
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) < 0 && errno == EINTR) {
    }
    close(fds[0]);
    if (n != 1 || buf[0] != 'k') {
      return Fail(1, fmt::format("tenant {}: {}", t.path,
                                 n > 0 ? std::string(buf, n) : "child died before it was ready"));
    }
  }

  std::vector<int64_t> before(tenants.size());
  for (size_t i = 0; i < tenants.size(); ++i) {
    before[i] = ReadUsageUs(parent + "/" + tenants[i].path);
    if (before[i] < 0) {
      return Fail(
          1, fmt::format("cannot read usage_usec from {}/{}/cpu.stat", parent, tenants[i].path));
    }
  }
  timespec start_ts;
  clock_gettime(CLOCK_MONOTONIC, &start_ts);
  timespec end_ts = start_ts;
  end_ts.tv_sec += duration_s;
  while (!g_stop_signal &&
         clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end_ts, nullptr) == EINTR) {
  }
  if (g_stop_signal) return Fail(1, fmt::format("stopped by signal {}", int{g_stop_signal}));
  std::vector<int64_t> usage(tenants.size());
  for (size_t i = 0; i < tenants.size(); ++i) {
    usage[i] = ReadUsageUs(parent + "/" + tenants[i].path) - before[i];
  }
  timespec now_ts;
  clock_gettime(CLOCK_MONOTONIC, &now_ts);
  const double elapsed_s = static_cast<double>((now_ts.tv_sec - start_ts.tv_sec) * kNsPerSec +
                                               (now_ts.tv_nsec - start_ts.tv_nsec)) /
                           kNsPerSec;
  cleanup.Run();

  // Shares and ideals, both as fractions of what all the leaves together got.
  const int cpus = OnlineCpus();
  std::vector<ShareNode> nodes;
  for (const Tenant& t : tenants) {
    double limit = t.cap_cpus > 0 ? t.cap_cpus : std::numeric_limits<double>::infinity();
    if (t.leaf) limit = std::min<double>(limit, t.threads);
    nodes.push_back(
        {.parent = t.parent, .weight = static_cast<double>(t.weight), .limit_cpus = limit});
  }
  const std::vector<double> alloc = IdealCpuAllocation(nodes, cpus);
  double leaf_usage = 0, leaf_alloc = 0;
  for (size_t i = 0; i < tenants.size(); ++i) {
    if (!tenants[i].leaf) continue;
    leaf_usage += static_cast<double>(usage[i]);
    leaf_alloc += alloc[i];
  }
  std::vector<double> share(tenants.size()), ideal(tenants.size());
  std::vector<double> leaf_share, leaf_ideal;
  for (size_t i = 0; i < tenants.size(); ++i) {
    share[i] = leaf_usage > 0 ? static_cast<double>(usage[i]) / leaf_usage : 0;
    ideal[i] = leaf_alloc > 0 ? alloc[i] / leaf_alloc : 0;
    if (tenants[i].leaf) {
      leaf_share.push_back(share[i]);
      leaf_ideal.push_back(ideal[i]);
    }
  }
  const ShareComparison cmp = CompareShares(leaf_share, leaf_ideal);
  const ShareComparison all_cmp = CompareShares(share, ideal);  // rel_err for inner nodes too

  // How much of its cpu.max each capped tenant used, in CPUs over the cap (1.0 = all of it).
  double cap_use = -1;
  std::string rows = "[";
  for (size_t i = 0; i < tenants.size(); ++i) {
    const Tenant& t = tenants[i];
    JsonObject row;
    row.Add("name", t.path).Add("weight", t.weight).Add("threads", t.threads);
    if (t.cap_cpus > 0) {
      row.Add("cap_cpus", t.cap_cpus);
    } else {
      row.AddNull("cap_cpus");
    }
    const double used_cpus = static_cast<double>(usage[i]) / 1e6 / elapsed_s;
    if (t.cap_cpus > 0) cap_use = std::max(cap_use, used_cpus / t.cap_cpus);
    row.Add("usage_us", usage[i])
        .Add("cpus", used_cpus)
        .Add("share", share[i])
        .Add("ideal", ideal[i])
        .Add("rel_err", all_cmp.rel_err[i]);
    if (i > 0) rows += ',';
    rows += ToJson(row);
  }
  rows += ']';

  JsonObject out;
  out.Add("workload", "tenant_load").Add("cpus", cpus);
  // JsonObject has no array-of-objects overload; splice the rendered rows in by hand.
  std::string line = ToJson(out);
  line.pop_back();
  JsonObject tail;
  tail.Add("max_rel_err", cmp.max_rel_err)
      .Add("jain", cmp.jain)
      .Add("cpu_util", leaf_usage / 1e6 / (elapsed_s * cpus));
  if (cap_use >= 0) {
    tail.Add("cap_use", cap_use);
  } else {
    tail.AddNull("cap_use");
  }
  tail.Add("duration_s", duration_s);
  line += ",\"tenants\":" + rows + "," + ToJson(tail).substr(1);
  fmt::print("{}\n", line);
  std::fflush(stdout);
  return {};
}

}  // namespace
}  // namespace scxpp::workloads

int main(int argc, char** argv) {
  using scxpp::workloads::Error;
  absl::SetProgramUsageMessage(scxpp::workloads::kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  const int duration_s = absl::GetFlag(FLAGS_duration_s);
  std::string parent = absl::GetFlag(FLAGS_parent);
  while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
  Error error;
  std::vector<scxpp::workloads::Tenant> tenants;
  if (positional.size() > 1) {
    error = {2, fmt::format("unexpected argument '{}'", positional[1])};
  } else if (duration_s <= 0 || duration_s > 86400) {
    error = {2, fmt::format("--duration_s must be in 1..86400, got {}", duration_s)};
  } else if (parent.empty() || parent[0] != '/' || parent == "/" ||
             absl::StrContains(parent, "/../") || absl::EndsWith(parent, "/..")) {
    error = {2, fmt::format("--parent must be an absolute path below a cgroup2 mount, got '{}'",
                            parent)};
  } else {
    error = scxpp::workloads::ParseSpec(absl::GetFlag(FLAGS_tenants), &tenants);
  }
  if (error.status == 0) {
    struct sigaction sa {};
    sa.sa_handler = scxpp::workloads::OnSignal;  // no SA_RESTART: the sleep must see EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    error = scxpp::workloads::Run(tenants, parent, duration_s);
  }
  if (error.status != 0) {
    fmt::print(stderr, "scxpp_tenant_load: {}\n", error.message);
    return error.status;
  }
  return 0;
}
