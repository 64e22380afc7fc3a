// SPDX-License-Identifier: Apache-2.0
// What the library's other userspace paths cost: decoding an exit record (once per exit,
// with the debug dump), parsing CPU lists and reading a whole topology from sysfs (once per
// start or restart; here from a generated tree of 2 sockets x N cores x 2 SMT), and filling
// the BPF topology rodata.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "scxpp/bpf/exit_info_common.h"
#include "scxpp/bpf/topology_common.h"
#include "scxpp/exit_info.h"
#include "scxpp/topology.h"

namespace scxpp {
namespace {

namespace fs = std::filesystem;

scxpp_exit_info Record() {
  scxpp_exit_info raw{};
  raw.kind = 1026;  // error (stall)
  raw.exit_cpu = 3;
  raw.exit_code = int64_t{1} << 48 | int64_t{1} << 32 | 7;
  raw.flags = 1;
  std::strncpy(raw.reason, "runnable task stall", sizeof(raw.reason) - 1);
  std::strncpy(raw.msg, "worker[1234] failed to run for 30.5s", sizeof(raw.msg) - 1);
  return raw;
}

// items = records decoded; the dump size is the argument.
void BM_DecodeExitInfo(benchmark::State& state) {
  const scxpp_exit_info raw = Record();
  const std::string dump(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    ExitInfo info = DecodeExitInfo(raw, dump);
    benchmark::DoNotOptimize(info);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeExitInfo)->Arg(0)->Arg(4096)->Arg(SCXPP_EXIT_DUMP_LEN);

void BM_ExitSummary(benchmark::State& state) {
  const ExitInfo info = DecodeExitInfo(Record());
  for (auto _ : state) benchmark::DoNotOptimize(info.Summary());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ExitSummary);

// A CPU list with `n` ranges ("0-2,4-6,8-10,...") covering ~3n CPUs.
void BM_ParseCpuList(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < state.range(0); ++i) absl::StrAppend(&text, i ? "," : "", 4 * i, "-", 4 * i + 2);
  for (auto _ : state) benchmark::DoNotOptimize(ParseCpuList(text));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ParseCpuList)->Arg(1)->Arg(64)->Arg(256);

// A sysfs tree of 2 sockets (one NUMA node and one L3 each) x `cores` cores x 2 SMT.
class FakeSysfs {
 public:
  explicit FakeSysfs(int cores_per_socket)
      : root_(fs::temp_directory_path() / absl::StrCat("scxpp-topo-bench.", getpid())) {
    fs::remove_all(root_);
    const int n = 2 * cores_per_socket * 2;  // CPUs
    const int half = n / 2;                  // SMT sibling of c is c + half
    Write("cpu/possible", absl::StrCat("0-", n - 1));
    Write("cpu/online", absl::StrCat("0-", n - 1));
    for (int cpu = 0; cpu < n; ++cpu) {
      const int first = cpu % half;
      const int package = first / cores_per_socket;
      const std::string dir = absl::StrCat("cpu/cpu", cpu, "/");
      const std::string siblings = absl::StrCat(first, ",", first + half);
      const int lo = package * cores_per_socket;
      const std::string l3 = absl::StrCat(lo, "-", lo + cores_per_socket - 1, ",", lo + half,
                                          "-", lo + half + cores_per_socket - 1);
      Write(dir + "topology/physical_package_id", absl::StrCat(package));
      Write(dir + "topology/core_id", absl::StrCat(first % cores_per_socket));
      Write(dir + "topology/core_cpus_list", siblings);
      Write(dir + "cache/index0/level", "1");
      Write(dir + "cache/index0/type", "Data");
      Write(dir + "cache/index0/shared_cpu_list", siblings);
      Write(dir + "cache/index0/id", absl::StrCat(first));
      Write(dir + "cache/index3/level", "3");
      Write(dir + "cache/index3/type", "Unified");
      Write(dir + "cache/index3/shared_cpu_list", l3);
      Write(dir + "cache/index3/id", absl::StrCat(package));
    }
    for (int node = 0; node < 2; ++node) {
      const int lo = node * cores_per_socket;
      Write(absl::StrCat("node/node", node, "/cpulist"),
            absl::StrCat(lo, "-", lo + cores_per_socket - 1, ",", lo + half, "-",
                         lo + half + cores_per_socket - 1));
    }
  }
  ~FakeSysfs() { fs::remove_all(root_); }
  std::string root() const { return root_.string(); }

 private:
  void Write(const std::string& rel, const std::string& content) {
    const fs::path p = root_ / "devices/system" / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content << "\n";
  }
  fs::path root_;
};

// items = CPUs read; the argument is cores per socket (CPUs = 4x).
void BM_TopologyFromSysfs(benchmark::State& state) {
  FakeSysfs sys(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
    if (!t.ok()) {
      state.SkipWithError(std::string(t.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 4);
}
BENCHMARK(BM_TopologyFromSysfs)->Arg(2)->Arg(16)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_TopologyFillBpf(benchmark::State& state) {
  FakeSysfs sys(static_cast<int>(state.range(0)));
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  if (!t.ok()) {
    state.SkipWithError(std::string(t.status().message()).c_str());
    return;
  }
  static scxpp_topo out;  // 16 KiB: not on the stack
  for (auto _ : state) {
    benchmark::DoNotOptimize(t->FillBpf(&out));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 4);
}
BENCHMARK(BM_TopologyFillBpf)->Arg(2)->Arg(64);

}  // namespace
}  // namespace scxpp

BENCHMARK_MAIN();
