// SPDX-License-Identifier: Apache-2.0
// scxppctl: read and retune a running scxpp scheduler without reloading it.
// See docs/live-control.md; the library side is scxpp/control.h.
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fmt/core.h"
#include "scxpp/control.h"
#include "scxpp/flags.h"
#include "scxpp/stats.h"

ABSL_FLAG(std::string, root, scxpp::kDefaultControlRoot,
          "Where schedulers publish their control directories (the schedulers' --control_root).");
ABSL_FLAG(std::string, format, "table", "stats: table, text, json or prometheus.");
ABSL_FLAG(absl::Duration, interval, absl::ZeroDuration(),
          "stats: print again every this long (e.g. 1s) until interrupted; 0 prints once.");
ABSL_FLAG(int, count, 0, "stats with --interval: stop after this many prints (0: no limit).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5),
          "table add/remove/list on a table the scheduler serves itself: how long to wait for "
          "its answer.");

namespace {

constexpr char kUsage[] = R"(read and retune a running scxpp scheduler without reloading it.

Usage:
  scxppctl list                          running scxpp schedulers
  scxppctl describe NAME                 its tunables (with ranges), tables and counters
  scxppctl stats NAME [--format=table|text|json|prometheus] [--interval=1s [--count=N]]
  scxppctl get NAME [KEY]                one tunable's value, or every tunable's
  scxppctl set NAME KEY VALUE            change a tunable (checked against its range)
  scxppctl table NAME TABLE list         the entries of a per-entity table
  scxppctl table NAME TABLE add KEY [FIELD=VALUE ...]
  scxppctl table NAME TABLE remove KEY

NAME is the scheduler's name (as `list` shows). A table KEY is a pid, a command name or a
cgroup (a path under /sys/fs/cgroup or its id), as `describe` says. Root only.
Exit status: 0 done; 1 refused or failed (the message says why); 2 bad usage.)";

int Fail(const absl::Status& s) {
  fmt::print(stderr, "scxppctl: error: {}\n", std::string(s.message()));
  return 1;
}

int Usage(const std::string& why) {
  fmt::print(stderr, "scxppctl: {}\nRun `scxppctl --help` for usage.\n", why);
  return 2;
}

std::string Range(const scxpp::TunableDesc& d) {
  if (d.min == 0 && d.max == 1) return "0|1";
  return absl::StrCat(d.min, "..", d.max);
}

int List(const std::string& root) {
  absl::StatusOr<std::vector<scxpp::PublishedScheduler>> all = scxpp::ListSchedulers(root);
  if (!all.ok()) return Fail(all.status());
  if (all->empty()) {
    fmt::print("no scxpp scheduler is running (nothing published under {})\n", root);
    return 0;
  }
  fmt::print("{:<20} {:>8}  {}\n", "NAME", "PID", "STATE");
  for (const scxpp::PublishedScheduler& p : *all) {
    const char* state = p.attached ? "attached"
                        : p.alive  ? "running, not the attached scheduler"
                                   : "stale (its process is gone)";
    fmt::print("{:<20} {:>8}  {}\n", p.name, p.pid, state);
  }
  return 0;
}

int Describe(scxpp::ControlClient& c) {
  fmt::print("scheduler {} (pid {})\n", c.name(), c.pid());
  if (!c.tunables().empty()) {
    fmt::print("\ntunables (scxppctl set {} KEY VALUE):\n", c.name());
    for (const scxpp::TunableDesc& d : c.tunables()) {
      absl::StatusOr<uint64_t> v = c.Get(d.name);
      fmt::print("  {:<26} {:>10}  [{}, default {}]  {}\n", d.name,
                 v.ok() ? absl::StrCat(*v) : std::string("?"), Range(d), d.def, d.description);
    }
  }
  for (const auto& t : c.tables()) {
    fmt::print("\ntable {} (key: {}{}): {}\n", t.name, scxpp::KeyKindName(t.key).data(),
               t.handled ? "; served by the scheduler" : "", t.description);
    for (const scxpp::TunableDesc& f : t.fields) {
      fmt::print("  field {:<20} [{}, default {}]  {}\n", f.name, Range(f), f.def, f.description);
    }
  }
  if (!c.stats().empty()) {
    fmt::print("\ncounters (scxppctl stats {}):\n", c.name());
    for (const scxpp::StatDesc& d : c.stats()) fmt::print("  {:<26} {}\n", d.name, d.description);
  }
  return 0;
}

int Stats(scxpp::ControlClient& c) {
  absl::StatusOr<scxpp::StatsFormat> format = scxpp::ParseStatsFormat(absl::GetFlag(FLAGS_format));
  if (!format.ok()) return Usage(absl::StrCat("--format: ", format.status().message()));
  if (c.stats().empty()) return Fail(absl::NotFoundError(absl::StrCat(c.name(), " has no counters")));
  const absl::Duration every = absl::GetFlag(FLAGS_interval);
  const int count = absl::GetFlag(FLAGS_count);
  std::optional<scxpp::StatsSample> prev;
  for (int n = 1;; ++n) {
    absl::StatusOr<scxpp::StatsSample> now = c.ReadStats();
    if (!now.ok()) return Fail(now.status());
    std::optional<scxpp::StatsDelta> delta;
    if (prev) delta = scxpp::Delta(*prev, *now);
    switch (*format) {
      case scxpp::StatsFormat::kText:
        fmt::print("{}\n", scxpp::FormatStatsText(c.stats(), *now, prev ? &*prev : nullptr));
        break;
      case scxpp::StatsFormat::kTable:
        fmt::print("{}", scxpp::FormatStatsTable(c.stats(), *now, delta ? &*delta : nullptr));
        break;
      case scxpp::StatsFormat::kJson:
        fmt::print("{}\n", scxpp::FormatStatsJson(c.stats(), *now, delta ? &*delta : nullptr));
        break;
      case scxpp::StatsFormat::kPrometheus:
        fmt::print("{}", scxpp::FormatStatsPrometheus(c.stats(), *now, c.name()));
        break;
    }
    std::fflush(stdout);
    if (every <= absl::ZeroDuration() || (count > 0 && n >= count)) return 0;
    prev = *std::move(now);
    absl::SleepFor(every);
  }
}

int Get(scxpp::ControlClient& c, const std::vector<char*>& args) {
  if (args.size() > 4) return Usage("get takes NAME and at most one KEY");
  if (args.size() == 4) {
    absl::StatusOr<uint64_t> v = c.Get(args[3]);
    if (!v.ok()) return Fail(v.status());
    fmt::print("{}\n", *v);
    return 0;
  }
  if (c.tunables().empty()) return Fail(absl::NotFoundError(absl::StrCat(c.name(), " has no tunables")));
  for (const scxpp::TunableDesc& d : c.tunables()) {
    absl::StatusOr<uint64_t> v = c.Get(d.name);
    if (!v.ok()) return Fail(v.status());
    fmt::print("{}={}\n", d.name, *v);
  }
  return 0;
}

int Table(scxpp::ControlClient& c, const std::vector<char*>& args) {
  if (args.size() < 5) return Usage("table needs NAME TABLE and list, add KEY or remove KEY");
  const std::string table = args[3], op = args[4];
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  if (op == "list") {
    absl::StatusOr<scxpp::ControlClient::Listing> l = c.ListTable(table, timeout);
    if (!l.ok()) return Fail(l.status());
    if (!l->text.empty()) {
      fmt::print("{}{}", l->text, l->text.back() == '\n' ? "" : "\n");
      return 0;
    }
    const scxpp::ControlClient::TableInfo* info = nullptr;
    for (const auto& t : c.tables()) {
      if (t.name == table) info = &t;
    }
    for (const scxpp::TableEntry& e : l->entries) {
      std::string line = e.key.ToString();
      for (size_t i = 0; info != nullptr && i < e.fields.size() && i < info->fields.size(); ++i) {
        absl::StrAppend(&line, " ", info->fields[i].name, "=", e.fields[i]);
      }
      fmt::print("{}\n", line);
    }
    return 0;
  }
  if (op != "add" && op != "remove") return Usage(absl::StrCat("unknown table operation '", op, "'"));
  if (args.size() < 6) return Usage(absl::StrCat("table ", op, " needs a KEY"));
  absl::StatusOr<std::string> r;
  if (op == "add") {
    std::vector<std::string> fields(args.begin() + 6, args.end());
    r = c.AddEntry(table, args[5], fields, timeout);
  } else {
    if (args.size() > 6) return Usage("table remove takes one KEY");
    r = c.RemoveEntry(table, args[5], timeout);
  }
  if (!r.ok()) return Fail(r.status());
  if (!r->empty()) fmt::print("{}{}", *r, r->back() == '\n' ? "" : "\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args = scxpp::ParseCommandLine(argc, argv, kUsage);
  const std::string root = absl::GetFlag(FLAGS_root);
  if (args.size() < 2) return Usage("give a command: list, describe, stats, get, set or table");
  const std::string cmd = args[1];
  if (cmd == "list") {
    if (args.size() != 2) return Usage("list takes no arguments");
    return List(root);
  }
  if (cmd != "describe" && cmd != "stats" && cmd != "get" && cmd != "set" && cmd != "table") {
    return Usage(absl::StrCat("unknown command '", cmd, "'"));
  }
  if (args.size() < 3) return Usage(absl::StrCat(cmd, " needs the scheduler's NAME"));
  absl::StatusOr<scxpp::ControlClient> c = scxpp::ControlClient::Open(args[2], root);
  if (!c.ok()) return Fail(c.status());
  if (cmd == "describe") return args.size() == 3 ? Describe(*c) : Usage("describe takes only NAME");
  if (cmd == "stats") return args.size() == 3 ? Stats(*c) : Usage("stats takes only NAME");
  if (cmd == "get") return Get(*c, args);
  if (cmd == "set") {
    if (args.size() != 5) return Usage("set needs NAME KEY VALUE");
    absl::StatusOr<uint64_t> before = c->Get(args[3]);
    if (!before.ok()) return Fail(before.status());
    if (absl::Status s = c->Set(args[3], args[4]); !s.ok()) return Fail(s);
    fmt::print("{}: {} {} -> {}\n", c->name(), args[3], *before, *c->Get(args[3]));
    return 0;
  }
  return Table(*c, args);
}
