// SPDX-License-Identifier: Apache-2.0
#include "scxpp/topology.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scxpp/bpf/topology_common.h"

namespace scxpp {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<int> Vec(std::span<const int> s) { return {s.begin(), s.end()}; }

// A fake `/sys/devices/system` tree in the test's temporary directory.
class FakeTopologySysfs {
 public:
  FakeTopologySysfs()
      // The pid too: ctest -j runs each test as its own process, all counting from 0.
      : root_(fs::path(::testing::TempDir()) / ("topo-sysfs." + std::to_string(getpid()) + "." +
                                                std::to_string(counter_++))) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "devices/system/cpu");
  }
  ~FakeTopologySysfs() { fs::remove_all(root_); }

  // Writes `content` to `<root>/devices/system/<rel>`.
  void Write(const std::string& rel, const std::string& content) {
    fs::path p = root_ / "devices/system" / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  void Cpus(const std::string& possible, const std::string& online) {
    Write("cpu/possible", possible + "\n");
    Write("cpu/online", online + "\n");
  }
  // cpuN/topology with the given sibling list (core_cpus_list, or the older
  // thread_siblings_list when `old_kernel`).
  void Core(int cpu, int package, int core_id, const std::string& siblings,
            bool old_kernel = false) {
    const std::string topo = "cpu/cpu" + std::to_string(cpu) + "/topology/";
    Write(topo + "physical_package_id", std::to_string(package) + "\n");
    Write(topo + "core_id", std::to_string(core_id) + "\n");
    Write(topo + (old_kernel ? "thread_siblings_list" : "core_cpus_list"), siblings + "\n");
  }
  void Cache(int cpu, int index, int level, const std::string& type, const std::string& shared,
             int id) {
    const std::string dir =
        "cpu/cpu" + std::to_string(cpu) + "/cache/index" + std::to_string(index) + "/";
    Write(dir + "level", std::to_string(level) + "\n");
    Write(dir + "type", type + "\n");
    Write(dir + "shared_cpu_list", shared + "\n");
    Write(dir + "id", std::to_string(id) + "\n");
  }
  void Node(int node, const std::string& cpulist) {
    Write("node/node" + std::to_string(node) + "/cpulist", cpulist + "\n");
  }
  std::string root() const { return root_.string(); }
  fs::path path(const std::string& rel) const { return root_ / "devices/system" / rel; }

 private:
  static inline int counter_ = 0;
  fs::path root_;
};

// A laptop: 2 cores x 2 SMT, siblings numbered apart (0,2 and 1,3), one L3, one node, an
// older kernel without core_cpus_list.
void MakeLaptop(FakeTopologySysfs& sys, bool with_node_dir = true) {
  sys.Cpus("0-3", "0-3");
  for (int cpu = 0; cpu < 4; ++cpu) {
    const std::string siblings = cpu % 2 == 0 ? "0,2" : "1,3";
    sys.Core(cpu, /*package=*/0, /*core_id=*/cpu % 2, siblings, /*old_kernel=*/true);
    sys.Cache(cpu, 0, 1, "Data", siblings, cpu % 2);
    sys.Cache(cpu, 1, 1, "Instruction", siblings, cpu % 2);
    sys.Cache(cpu, 2, 2, "Unified", siblings, cpu % 2);
    sys.Cache(cpu, 3, 3, "Unified", "0-3", 0);
  }
  if (with_node_dir) sys.Node(0, "0-3");
}

// Two sockets, each one NUMA node with one L3: package p has cores 0-3 (core_id restarts at
// 0 in each package), CPU c's SMT sibling is c+8.
void MakeTwoSocket(FakeTopologySysfs& sys) {
  sys.Cpus("0-15", "0-15");
  for (int cpu = 0; cpu < 16; ++cpu) {
    const int first = cpu % 8;
    const int package = first / 4;
    const std::string siblings = std::to_string(first) + "," + std::to_string(first + 8);
    const std::string l3 = package == 0 ? "0-3,8-11" : "4-7,12-15";
    sys.Core(cpu, package, first % 4, siblings);
    sys.Cache(cpu, 0, 1, "Data", siblings, first);
    sys.Cache(cpu, 1, 1, "Instruction", siblings, first);
    sys.Cache(cpu, 2, 2, "Unified", siblings, first);
    sys.Cache(cpu, 3, 3, "Unified", l3, package);
  }
  sys.Node(0, "0-3,8-11");
  sys.Node(1, "4-7,12-15");
}

TEST(TopologyTest, LaptopWithSmt) {
  FakeTopologySysfs sys;
  MakeLaptop(sys);
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->nr_possible_cpus(), 4);
  EXPECT_EQ(t->nr_cpu_ids(), 4);
  EXPECT_THAT(t->online_cpus(), ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(t->nr_cpus(), 4);
  EXPECT_EQ(t->nr_cores(), 2);
  EXPECT_EQ(t->nr_llcs(), 1);
  EXPECT_EQ(t->nr_nodes(), 1);
  EXPECT_TRUE(t->smt_active());
  EXPECT_EQ(t->CoreOf(0), 0);
  EXPECT_EQ(t->CoreOf(1), 1);
  EXPECT_EQ(t->CoreOf(2), 0);
  EXPECT_EQ(t->CoreOf(3), 1);
  EXPECT_THAT(t->SmtSiblingsOf(0), ElementsAre(2));
  EXPECT_THAT(t->SmtSiblingsOf(3), ElementsAre(1));
  EXPECT_THAT(Vec(t->CoreCpus(1)), ElementsAre(1, 3));
  EXPECT_THAT(Vec(t->LlcCpus(0)), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(Vec(t->NodeCpus(0)), ElementsAre(0, 1, 2, 3));
  for (int cpu = 0; cpu < 4; ++cpu) {
    EXPECT_EQ(t->LlcOf(cpu), 0);
    EXPECT_EQ(t->NodeOf(cpu), 0);
  }
  EXPECT_EQ(t->KernelNodeId(0), 0);
  EXPECT_EQ(t->Summary(), "4 CPUs (2 cores x 2 SMT), 1 LLC, 1 NUMA node");
}

TEST(TopologyTest, TwoSocketsTwoNodesTwoLlcs) {
  FakeTopologySysfs sys;
  MakeTwoSocket(sys);
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->nr_cpus(), 16);
  EXPECT_EQ(t->nr_cores(), 8);
  EXPECT_EQ(t->nr_llcs(), 2);
  EXPECT_EQ(t->nr_nodes(), 2);
  EXPECT_TRUE(t->smt_active());
  // Cores are numbered by their lowest CPU, across packages (core_id repeats per package).
  EXPECT_EQ(t->CoreOf(4), 4);
  EXPECT_EQ(t->CoreOf(12), 4);
  EXPECT_EQ(t->CoreOf(11), 3);
  EXPECT_THAT(t->SmtSiblingsOf(13), ElementsAre(5));
  EXPECT_EQ(t->LlcOf(9), 0);
  EXPECT_EQ(t->LlcOf(13), 1);
  EXPECT_EQ(t->NodeOf(3), 0);
  EXPECT_EQ(t->NodeOf(15), 1);
  EXPECT_THAT(Vec(t->LlcCpus(1)), ElementsAre(4, 5, 6, 7, 12, 13, 14, 15));
  EXPECT_THAT(Vec(t->NodeCpus(0)), ElementsAre(0, 1, 2, 3, 8, 9, 10, 11));
  EXPECT_EQ(t->KernelNodeId(1), 1);
  EXPECT_EQ(t->Summary(), "16 CPUs (8 cores x 2 SMT), 2 LLCs, 2 NUMA nodes");
  // Out-of-range questions get -1 / nothing rather than a crash.
  EXPECT_EQ(t->LlcOf(16), -1);
  EXPECT_EQ(t->NodeOf(-1), -1);
  EXPECT_THAT(Vec(t->LlcCpus(2)), IsEmpty());
  EXPECT_EQ(t->KernelNodeId(2), -1);
}

TEST(TopologyTest, OfflineCpuIsLeftOut) {
  FakeTopologySysfs sys;
  sys.Cpus("0-7", "0-2,4-7");
  for (int cpu : {0, 1, 2, 4, 5, 6, 7}) {
    // The list of CPU 7 still names its offline sibling 3; it must not come back.
    const int core = cpu % 4;
    sys.Core(cpu, 0, core, std::to_string(core) + "," + std::to_string(core + 4));
    sys.Cache(cpu, 0, 3, "Unified", "0-7", 0);
  }
  sys.Node(0, "0-7");
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->nr_possible_cpus(), 8);
  EXPECT_EQ(t->nr_cpu_ids(), 8);
  EXPECT_THAT(t->online_cpus(), ElementsAre(0, 1, 2, 4, 5, 6, 7));
  EXPECT_EQ(t->nr_cpus(), 7);
  EXPECT_EQ(t->nr_cores(), 4);
  EXPECT_FALSE(t->IsOnline(3));
  EXPECT_TRUE(t->IsOnline(7));
  EXPECT_EQ(t->CoreOf(3), -1);
  EXPECT_EQ(t->LlcOf(3), -1);
  EXPECT_EQ(t->NodeOf(3), -1);
  EXPECT_THAT(t->SmtSiblingsOf(3), IsEmpty());
  EXPECT_THAT(t->SmtSiblingsOf(7), IsEmpty());
  EXPECT_THAT(t->SmtSiblingsOf(4), ElementsAre(0));
  EXPECT_THAT(Vec(t->CoreCpus(t->CoreOf(7))), ElementsAre(7));
  EXPECT_THAT(Vec(t->LlcCpus(0)), ElementsAre(0, 1, 2, 4, 5, 6, 7));
  EXPECT_THAT(Vec(t->NodeCpus(0)), ElementsAre(0, 1, 2, 4, 5, 6, 7));
  EXPECT_TRUE(t->smt_active());
  EXPECT_EQ(t->Summary(), "7 CPUs (4 cores, up to 2 SMT), 1 LLC, 1 NUMA node, 1 offline");
}

TEST(TopologyTest, VmWithoutCachesHasOneLlcPerPackage) {
  FakeTopologySysfs sys;
  // Two virtual sockets of two CPUs, no SMT, no sibling lists (core_id only), no cache dirs.
  sys.Cpus("0-3", "0-3");
  for (int cpu = 0; cpu < 4; ++cpu) {
    sys.Write("cpu/cpu" + std::to_string(cpu) + "/topology/physical_package_id",
              std::to_string(cpu / 2));
    sys.Write("cpu/cpu" + std::to_string(cpu) + "/topology/core_id", std::to_string(cpu % 2));
  }
  sys.Node(0, "0-3");
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->nr_cores(), 4);
  EXPECT_FALSE(t->smt_active());
  EXPECT_EQ(t->nr_llcs(), 2);
  EXPECT_THAT(Vec(t->LlcCpus(0)), ElementsAre(0, 1));
  EXPECT_THAT(Vec(t->LlcCpus(1)), ElementsAre(2, 3));
  EXPECT_EQ(t->LlcOf(3), 1);
  EXPECT_THAT(t->SmtSiblingsOf(0), IsEmpty());
  EXPECT_EQ(t->Summary(), "4 CPUs (4 cores, no SMT), 2 LLCs, 1 NUMA node");
}

TEST(TopologyTest, NoNodeDirectoryMeansOneNode) {
  FakeTopologySysfs sys;
  MakeLaptop(sys, /*with_node_dir=*/false);
  ASSERT_FALSE(fs::exists(sys.path("node")));
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->nr_nodes(), 1);
  EXPECT_EQ(t->KernelNodeId(0), 0);
  EXPECT_THAT(Vec(t->NodeCpus(0)), ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(t->NodeOf(3), 0);
}

TEST(TopologyTest, NodeIndicesAreDenseAndOrderedByLowestCpu) {
  FakeTopologySysfs sys;
  MakeLaptop(sys, /*with_node_dir=*/false);
  sys.Node(1, "2-3");
  sys.Node(2, "");  // memory-only node
  sys.Node(3, "0-1");
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->nr_nodes(), 2);
  EXPECT_EQ(t->KernelNodeId(0), 3);
  EXPECT_EQ(t->KernelNodeId(1), 1);
  EXPECT_EQ(t->NodeOf(0), 0);
  EXPECT_EQ(t->NodeOf(2), 1);
  EXPECT_THAT(Vec(t->NodeCpus(1)), ElementsAre(2, 3));
}

TEST(TopologyTest, MalformedOnlineListIsInvalidArgument) {
  FakeTopologySysfs sys;
  MakeLaptop(sys);
  sys.Write("cpu/online", "0-3,x\n");
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << t.status();
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(sys.path("cpu/online").string()));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("'0-3,x'"));
}

TEST(TopologyTest, MalformedFilesNameFileAndContent) {
  {
    FakeTopologySysfs sys;
    MakeLaptop(sys);
    sys.Write("cpu/cpu2/cache/index3/shared_cpu_list", "0-3;\n");
    absl::Status s = Topology::FromSysfs(sys.root()).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("cpu2/cache/index3/shared_cpu_list"));
    EXPECT_THAT(std::string(s.message()), HasSubstr("'0-3;'"));
  }
  {
    FakeTopologySysfs sys;
    MakeLaptop(sys);
    sys.Write("cpu/cpu1/cache/index2/level", "two\n");
    absl::Status s = Topology::FromSysfs(sys.root()).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("cpu1/cache/index2/level"));
    EXPECT_THAT(std::string(s.message()), HasSubstr("'two'"));
  }
}

TEST(TopologyTest, OnlineCpuMustBeInExactlyOneNode) {
  {
    FakeTopologySysfs sys;
    MakeLaptop(sys, /*with_node_dir=*/false);
    sys.Node(0, "0-2");
    absl::Status s = Topology::FromSysfs(sys.root()).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("CPU 3 is online but in no NUMA node"));
  }
  {
    FakeTopologySysfs sys;
    MakeLaptop(sys, /*with_node_dir=*/false);
    sys.Node(0, "0-3");
    sys.Node(1, "3");
    absl::Status s = Topology::FromSysfs(sys.root()).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("CPU 3 is in two NUMA nodes"));
  }
}

TEST(TopologyTest, OnlineCpuMustBePossible) {
  FakeTopologySysfs sys;
  MakeLaptop(sys);
  sys.Write("cpu/possible", "0-2\n");
  absl::Status s = Topology::FromSysfs(sys.root()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("CPU 3"));
}

TEST(TopologyTest, MissingOnlineFileIsNotFound) {
  FakeTopologySysfs sys;
  MakeLaptop(sys);
  fs::remove(sys.path("cpu/online"));
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_EQ(t.status().code(), absl::StatusCode::kNotFound) << t.status();
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(sys.path("cpu/online").string()));
}

TEST(TopologyTest, UnreadableFileIsPermissionDenied) {
  FakeTopologySysfs sys;
  MakeLaptop(sys);
  fs::permissions(sys.path("cpu/cpu1/topology/thread_siblings_list"), fs::perms::none);
  // Root reads any file, so the check runs in a child that drops to an unprivileged user
  // and reports the status code it saw as its exit code.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0) << std::strerror(errno);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(100);
    absl::Status s = Topology::FromSysfs(sys.root()).status();
    const bool names_file =
        std::string(s.message()).find("cpu1/topology/thread_siblings_list") != std::string::npos;
    _exit(names_file ? static_cast<int>(s.code()) : 101);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), static_cast<int>(absl::StatusCode::kPermissionDenied))
      << "100 = could not drop privileges, 101 = message does not name the file";
}

TEST(TopologyTest, FillBpfRoundTrip) {
  FakeTopologySysfs sys;
  sys.Cpus("0-15", "0-6,8-15");  // CPU 7 offline: its entries must read as unused
  for (int cpu = 0; cpu < 16; ++cpu) {
    if (cpu == 7) continue;
    const int first = cpu % 8;
    const int package = first / 4;
    const std::string siblings = std::to_string(first) + "," + std::to_string(first + 8);
    sys.Core(cpu, package, first % 4, siblings);
    sys.Cache(cpu, 0, 3, "Unified", package == 0 ? "0-3,8-11" : "4-7,12-15", package);
  }
  sys.Node(0, "0-3,8-11");
  sys.Node(1, "4-7,12-15");
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_TRUE(t.ok()) << t.status();

  auto out = std::make_unique<scxpp_topo>();
  std::memset(out.get(), 0xab, sizeof(*out));  // everything must be overwritten
  ASSERT_TRUE(t->FillBpf(out.get()).ok());
  EXPECT_EQ(out->nr_cpus, 16u);
  EXPECT_EQ(out->nr_llcs, 2u);
  EXPECT_EQ(out->nr_nodes, 2u);
  EXPECT_EQ(out->pad, 0u);
  for (int cpu : t->online_cpus()) {
    EXPECT_EQ(out->cpu_llc[cpu], static_cast<__u32>(t->LlcOf(cpu))) << cpu;
    EXPECT_EQ(out->cpu_node[cpu], static_cast<__u32>(t->NodeOf(cpu))) << cpu;
    EXPECT_EQ(out->cpu_core[cpu], static_cast<__u32>(t->CoreOf(cpu))) << cpu;
  }
  EXPECT_EQ(out->cpu_llc[13], 1u);
  EXPECT_EQ(out->cpu_node[13], 1u);
  EXPECT_EQ(out->cpu_core[13], 5u);
  EXPECT_EQ(out->cpu_sibling[0], 8);
  EXPECT_EQ(out->cpu_sibling[8], 0);
  EXPECT_EQ(out->cpu_sibling[15], -1);  // its sibling 7 is offline
  EXPECT_EQ(out->cpu_llc[7], 0u);
  EXPECT_EQ(out->cpu_node[7], 0u);
  EXPECT_EQ(out->cpu_core[7], 0u);
  EXPECT_EQ(out->cpu_sibling[7], -1);
  for (int cpu = 16; cpu < SCXPP_MAX_CPUS; ++cpu) {
    ASSERT_EQ(out->cpu_llc[cpu], 0u) << cpu;
    ASSERT_EQ(out->cpu_node[cpu], 0u) << cpu;
    ASSERT_EQ(out->cpu_core[cpu], 0u) << cpu;
    ASSERT_EQ(out->cpu_sibling[cpu], -1) << cpu;
  }
}

TEST(TopologyTest, FillBpfRefusesCpusBeyondCapacity) {
  FakeTopologySysfs sys;
  sys.Cpus("0-" + std::to_string(SCXPP_MAX_CPUS), "0-1");
  sys.Core(0, 0, 0, "0");
  sys.Core(1, 0, 1, "1");
  absl::StatusOr<Topology> t = Topology::FromSysfs(sys.root());
  ASSERT_TRUE(t.ok()) << t.status();
  auto out = std::make_unique<scxpp_topo>();
  absl::Status s = t->FillBpf(out.get());
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("CPU " + std::to_string(SCXPP_MAX_CPUS)));
  EXPECT_THAT(std::string(s.message()), HasSubstr("larger SCXPP_MAX_CPUS"));

  // One CPU fewer fits exactly.
  sys.Cpus("0-" + std::to_string(SCXPP_MAX_CPUS - 1), "0-1");
  t = Topology::FromSysfs(sys.root());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->FillBpf(out.get()).ok());
  EXPECT_EQ(out->nr_cpus, static_cast<__u32>(SCXPP_MAX_CPUS));
}

TEST(ParseCpuListTest, AcceptsKernelFormat) {
  EXPECT_THAT(*ParseCpuList(""), IsEmpty());
  EXPECT_THAT(*ParseCpuList(" \n"), IsEmpty());
  EXPECT_THAT(*ParseCpuList("0"), ElementsAre(0));
  EXPECT_THAT(*ParseCpuList("0-3,8,10-11\n"), ElementsAre(0, 1, 2, 3, 8, 10, 11));
  EXPECT_THAT(*ParseCpuList(" 5 , 1-2 "), ElementsAre(1, 2, 5));           // sorted
  EXPECT_THAT(*ParseCpuList("0-3,2-5,4"), ElementsAre(0, 1, 2, 3, 4, 5));  // distinct
  EXPECT_THAT(*ParseCpuList("7-7"), ElementsAre(7));
  EXPECT_THAT(*ParseCpuList("65535"), ElementsAre(65535));
}

TEST(ParseCpuListTest, AcceptsGroupSyntax) {
  EXPECT_THAT(*ParseCpuList("0-7:1/2"), ElementsAre(0, 2, 4, 6));
  EXPECT_THAT(*ParseCpuList("0-1023:2/256"),
              ElementsAreArray({0, 1, 256, 257, 512, 513, 768, 769}));
  EXPECT_THAT(*ParseCpuList("2-6:2/3"), ElementsAre(2, 3, 5, 6));
  EXPECT_THAT(*ParseCpuList("0-3:4/4"), ElementsAre(0, 1, 2, 3));
}

TEST(ParseCpuListTest, RejectsGarbageNamingTheInput) {
  for (const char* bad :
       {"abc",     "0-3,x",   "3-1",     "0,,1",  "0,",    ",0",          "-1",
        "1-",      "0-",      "0--3",    "+1",    "0x1",   "1 2",         "0-7:2",
        "0-7:0/2", "0-7:3/2", "0-7:1/0", "5:1/2", "65536", "99999999999", "0-3\n4"}) {
    absl::StatusOr<std::vector<int>> r = ParseCpuList(bad);
    ASSERT_FALSE(r.ok()) << "'" << bad << "' parsed as " << ::testing::PrintToString(*r);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("invalid CPU list")) << bad;
  }
  EXPECT_THAT(std::string(ParseCpuList("0-3,x").status().message()), HasSubstr("'0-3,x'"));
  EXPECT_THAT(std::string(ParseCpuList("0-3,x").status().message()), HasSubstr("'x'"));
}

}  // namespace
}  // namespace scxpp
