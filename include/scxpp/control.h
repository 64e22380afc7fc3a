// SPDX-License-Identifier: Apache-2.0
/// @file
/// Live control: change a running scheduler's policy parameters and read its state without
/// reloading it, from the scheduler's own process or from another one (`scxppctl`).
///
/// A scheduler declares what it offers once:
///   - **tunables**: u64 parameters with a default and a range, declared with an X-macro
///     list shared with BPF (see `scxpp/bpf/tunables_common.h`); the BPF side reads them
///     from global data on its hot path;
///   - **tables**: per-entity selections keyed by a pid, a command name or a cgroup (e.g.
///     "these pids are latency-critical", "this tenant's weight and cap"), each entry
///     carrying named u64 fields with ranges. A table is either a BPF hash map written
///     directly (`TableDesc::map`) or handled by a function in the scheduler's process
///     (`TableDesc::handler`), for changes that need a decision in userspace (an admission
///     test).
///
/// While it runs, the runner publishes a **control directory** in bpffs,
/// `/sys/fs/bpf/scxpp/<name>/` (ControlDir): the stats map (`stats`), the tunables map
/// (`tunables`), each direct table's map (`table_<table>`), a description of all of them
/// (`meta`, a frozen array map: names, ranges, descriptions, the owner's pid) and, when a
/// table has a handler, a request map (`requests`) the runner serves every 100 ms. The
/// directory is removed when the scheduler detaches, and a stale one (its owner died) is
/// removed by the next start. ControlClient finds a scheduler there by name.
///
/// Permissions: the directories are created mode 0700 and the pinned objects 0600, owned
/// by root; opening a pinned object needs search permission on the directory and, for the
/// BPF syscall itself, CAP_BPF (Debian and most distributions disable unprivileged BPF).
/// So only root reads or changes anything; every other user gets kPermissionDenied.
///
/// Minimum kernel: that of sched_ext (6.12); bpffs mounted at /sys/fs/bpf (systemd does).
#ifndef SCXPP_CONTROL_H_
#define SCXPP_CONTROL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "scxpp/scheduler.h"
#include "scxpp/stats.h"

struct bpf_object;

namespace scxpp {

/// One live parameter (or one field of a table entry): a u64 in [min, max].
struct TunableDesc {
  std::string name;         ///< Short identifier: `scxppctl set NAME <name> VALUE`.
  std::string description;  ///< One line; says the unit.
  uint64_t def = 0;         ///< The value it starts with unless the loader sets another.
  uint64_t min = 0;         ///< Smallest accepted value.
  uint64_t max = UINT64_MAX;  ///< Largest accepted value.
};

/// @cond
#define SCXPP__TUNABLE_DESC(id, name, def, min, max, desc) \
  ::scxpp::TunableDesc{#name, desc, (def), (min), (max)},
/// @endcond
/// The C++ view of a tunables list: `SCXPP_TUNABLE_DESCS(MYSCHED_TUNABLES)`.
#define SCXPP_TUNABLE_DESCS(LIST) (std::vector<::scxpp::TunableDesc>{LIST(SCXPP__TUNABLE_DESC)})

/// Parses a decimal value (a flag may also be given as true/false/on/off/yes/no) and checks
/// it against `desc`'s range. Pure.
/// @return the value; kInvalidArgument when it is not a number or not in [min, max] (the
///         message names the key, the range and the description).
absl::StatusOr<uint64_t> ParseTunableValue(const TunableDesc& desc, std::string_view text);

/// What a table's entries are keyed by.
enum class KeyKind : uint32_t {
  kPid = 1,     ///< A thread id (u32 key). Text: the number.
  kComm = 2,    ///< A command name, as in /proc/PID/comm (16-byte key, NUL-padded).
  kCgroup = 3,  ///< A cgroup v2 id (u64 key, the cgroup directory's inode number). Text: a
                ///< path under /sys/fs/cgroup (absolute or relative to it) or the id.
};

/// The key of one table entry.
struct TableKey {
  KeyKind kind = KeyKind::kPid;  ///< Which of the fields below is the key.
  uint64_t id = 0;   ///< The pid or cgroup id.
  std::string comm;  ///< The command name (kComm), at most 15 bytes.
  /// The key as the BPF map stores it (4, 16 or 8 bytes).
  std::string Bytes() const;
  /// For people: the pid, the command name, or `cgroup:<id>` plus the path when known.
  std::string ToString() const;
};

/// Parses `text` as a key of `kind`. For kCgroup: an id, bare or as ToString() prints it
/// (`cgroup:<id>`), or a cgroup v2 path (absolute, or relative to /sys/fs/cgroup), resolved
/// to its id (stat).
/// @return the key; kInvalidArgument for a malformed key (a comm longer than 15 bytes, a
///         pid that is not a positive number); kNotFound for a cgroup path that does not
///         exist or is not a cgroup v2 directory.
absl::StatusOr<TableKey> ParseTableKey(KeyKind kind, std::string_view text);
/// Builds a key from its map bytes (the inverse of TableKey::Bytes()).
/// @return the key; kInvalidArgument when the size does not match `kind`, or for a comm key
///         that is not 1 to 15 bytes followed by a NUL.
absl::StatusOr<TableKey> TableKeyFromBytes(KeyKind kind, std::string_view bytes);
/// "pid", "comm" or "cgroup".
std::string_view KeyKindName(KeyKind kind);

/// What a table handler is asked to do.
enum class TableOp : uint32_t {
  kAdd = 1,     ///< Add or replace the entry `key` with `fields`.
  kRemove = 2,  ///< Remove the entry `key`.
  kList = 3,    ///< Describe every entry, one per line (key and fields ignored).
};

/// Serves a handled table in the scheduler's process. Returns the text to show the caller
/// (may be empty), or an error the caller sees with its code and message. Runs on the
/// runner's thread, between polls.
using TableHandler = std::function<absl::StatusOr<std::string>(
    TableOp op, const TableKey& key, const std::vector<uint64_t>& fields)>;

/// One per-entity table.
struct TableDesc {
  std::string name;         ///< Identifier: `scxppctl table NAME <name> add KEY ...`.
  std::string description;  ///< One line.
  KeyKind key = KeyKind::kPid;  ///< What entries are keyed by.
  /// The values each entry holds (each with a default and range). Empty: membership only.
  std::vector<TunableDesc> fields;
  /// Direct table: the BPF hash map (by name in the object) holding the entries; its key
  /// size must match `key` and its value be u64[max(1, fields.size())] (a membership-only
  /// table stores 1). scxppctl writes it; the change is seen at once.
  std::string map;
  /// Handled table (when `map` is empty): requests go to this function in the scheduler's
  /// process, which validates them and updates its own maps.
  TableHandler handler;
};

/// Everything a scheduler offers for live control.
struct ControlSpec {
  /// From a stats list alone (so a plain list converts), or from all three.
  ControlSpec(std::vector<StatDesc> stats_list = {}, std::vector<TunableDesc> tunables_list = {},
              std::vector<TableDesc> tables_list = {})
      : stats(std::move(stats_list)),
        tunables(std::move(tunables_list)),
        tables(std::move(tables_list)) {}
  std::vector<StatDesc> stats;        ///< Its counters (the stats list).
  std::vector<TunableDesc> tunables;  ///< Its tunables list, in list order.
  std::vector<TableDesc> tables;      ///< Its per-entity tables.
};

/// The tunables of a scheduler in this process: the `.data.scxpp_tunables` map of its
/// object. Before load, writes set the start values; after load they change the running
/// scheduler at once (the map is memory-mapped). A non-owning view, valid while the object
/// lives; cheap to copy.
class Tunables {
 public:
  /// Binds to `obj`'s tunables (declared with SCXPP_TUNABLES()), checking that the BPF side
  /// has exactly descs.size() values. Nothing is asked of the kernel.
  /// @return the view; kNotFound if the object declares no tunables; kInvalidArgument if
  ///         the count differs (build both sides from the same list).
  static absl::StatusOr<Tunables> Bind(bpf_object* obj, std::vector<TunableDesc> descs);

  /// Sets tunable `name` to `value` after checking its range.
  /// @return OK; kNotFound for an unknown name (the message lists the known ones);
  ///         kInvalidArgument when the value is out of range (nothing is written).
  absl::Status Set(std::string_view name, uint64_t value);
  /// Sets every tunable to its start value, TunableDesc::def of the list this view was bound
  /// with (TunablesFromFlags() puts the command line's values there). scxpp::RunWithFlags()
  /// calls it after the scheduler's configure step, before load.
  /// @return OK; kInvalidArgument when a start value is out of its range (nothing after it
  ///         is set).
  absl::Status SetStartValues();
  /// The current value of `name`.
  /// @return the value; kNotFound for an unknown name.
  absl::StatusOr<uint64_t> Get(std::string_view name) const;
  /// The list this view was bound with.
  const std::vector<TunableDesc>& descs() const { return descs_; }

 private:
  Tunables(volatile uint64_t* values, std::vector<TunableDesc> descs)
      : values_(values), descs_(std::move(descs)) {}
  volatile uint64_t* values_;
  std::vector<TunableDesc> descs_;
};

/// Adds or replaces entry `key` of direct table `table` in the scheduler's own object: what
/// a scheduler's RunHooks::loaded uses to put its flags' selections in place. `fields` are
/// the entry's values in field order (empty: every field's default; a membership-only table
/// stores 1); each is checked against its range.
/// @return OK; kInvalidArgument for a handled table, a key of the wrong kind, a wrong number
///         of fields or a value out of range; kNotFound when the object has no such map;
///         kResourceExhausted when the table is full; kInternal for other kernel errors.
absl::Status PutTableEntry(SchedulerBase& sched, const TableDesc& table, const TableKey& key,
                           std::vector<uint64_t> fields = {});

/// Where control directories live unless told otherwise.
inline constexpr char kDefaultControlRoot[] = "/sys/fs/bpf/scxpp";

/// A running scheduler's published control directory (see the file comment). Move-only;
/// destruction removes the directory. Used by the runner; a scheduler that does not use the
/// runner can publish itself.
class ControlDir {
 public:
  /// Publishes `sched` (loaded; normally attached) under `<root>/<sched.name()>/`. Creates
  /// `root` if needed (mode 0700). A directory left by a process that died is removed
  /// first. Tables are checked against the object's maps.
  /// @return the directory; kAlreadyExists when a live process (not this one) owns a
  ///         directory of that name; kPermissionDenied without root; kFailedPrecondition
  ///         when `root` is not on a bpffs mount (mount one: `mount -t bpf bpf /sys/fs/bpf`);
  ///         kInvalidArgument for a spec that does not match the object (a missing map, a
  ///         key or value size that does not fit the table); kInternal for other errors.
  static absl::StatusOr<ControlDir> Publish(SchedulerBase& sched, const ControlSpec& spec,
                                            const std::string& root = kDefaultControlRoot);

  ControlDir(ControlDir&&) noexcept;             ///< Move-only.
  ControlDir& operator=(ControlDir&&) noexcept;  ///< Removes the directory held before.
  ControlDir(const ControlDir&) = delete;
  ControlDir& operator=(const ControlDir&) = delete;
  /// Removes the directory (Remove()).
  ~ControlDir();

  /// Serves pending requests for handled tables (the runner calls it every 100 ms), and
  /// drops answers no client collected within 10 s (their clients were killed), so the
  /// request map (64 in flight) never stays full.
  void Poll();
  /// Removes the directory and everything in it. Idempotent.
  void Remove();
  /// The directory, e.g. /sys/fs/bpf/scxpp/lowlat.
  const std::string& path() const;

 private:
  struct Impl;
  explicit ControlDir(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A published scheduler, as ListSchedulers() finds it.
struct PublishedScheduler {
  std::string name;   ///< Its directory's name: the ops name.
  std::string path;   ///< The directory.
  int64_t pid = 0;    ///< The process that published it.
  bool alive = false; ///< That process still runs (same pid and start time).
  /// The kernel's current sched_ext scheduler is this one (/sys/kernel/sched_ext/root/ops).
  bool attached = false;
};

/// Every scheduler published under `root`, by name. A root that does not exist yields an
/// empty list.
/// @return the list; kPermissionDenied when `root` cannot be read (not root).
absl::StatusOr<std::vector<PublishedScheduler>> ListSchedulers(
    const std::string& root = kDefaultControlRoot);

/// One entry of a table, as ControlClient::ListTable() returns it.
struct TableEntry {
  TableKey key;                  ///< Its key.
  std::vector<uint64_t> fields;  ///< One per field of the table (empty when none).
};

/// Another process's view of a published scheduler: what `scxppctl` uses. Owns the file
/// descriptors of the pinned objects it opened. Move-only.
class ControlClient {
 public:
  /// Opens scheduler `name`'s directory under `root` and reads its description.
  /// @return the client; kNotFound when no scheduler of that name is published (the message
  ///         lists those that are); kPermissionDenied when not root; kFailedPrecondition
  ///         when the directory is stale (its process died) or from an incompatible scxpp;
  ///         kInternal for other errors.
  static absl::StatusOr<ControlClient> Open(std::string_view name,
                                            const std::string& root = kDefaultControlRoot);

  ControlClient(ControlClient&&) noexcept;             ///< Move-only.
  ControlClient& operator=(ControlClient&&) noexcept;  ///< Move-only.
  ~ControlClient();                                     ///< Closes what it opened.

  const std::string& name() const;  ///< The scheduler's name.
  int64_t pid() const;  ///< The publishing process.
  const std::vector<StatDesc>& stats() const;          ///< Its counters.
  const std::vector<TunableDesc>& tunables() const;    ///< Its tunables, ranges included.
  /// The tables (handler and map fields are not set: `handled` says which kind it is).
  struct TableInfo {
    std::string name;                 ///< As in `scxppctl table NAME <name> ...`.
    std::string description;          ///< One line.
    KeyKind key = KeyKind::kPid;      ///< What entries are keyed by.
    std::vector<TunableDesc> fields;  ///< Each entry's values.
    bool handled = false;  ///< Served by the scheduler's process rather than a map.
  };
  const std::vector<TableInfo>& tables() const;  ///< Its tables.

  /// Reads every counter (totals and per-CPU).
  /// @return the sample; kInternal when the kernel refuses the read.
  absl::StatusOr<StatsSample> ReadStats();
  /// The current value of tunable `key`.
  /// @return the value; kNotFound for an unknown key (the message lists the known ones).
  absl::StatusOr<uint64_t> Get(std::string_view key) const;
  /// Parses `value`, checks it against the range and writes it: the running scheduler sees
  /// it on its next read (one 8-byte store to the mapped value, so concurrent sets of
  /// different keys do not undo each other).
  /// @return OK; kNotFound for an unknown key; kInvalidArgument for a malformed or
  ///         out-of-range value (nothing is written).
  absl::Status Set(std::string_view key, std::string_view value);

  /// A table's contents: the entries of a direct table, the handler's text for a handled one.
  struct Listing {
    std::vector<TableEntry> entries;  ///< Direct table: every entry, in map order.
    std::string text;                 ///< Handled table: what its handler said.
  };
  /// Every entry of table `table`.
  /// @return the listing; kNotFound for an unknown table; kDeadlineExceeded when a handled
  ///         table's scheduler did not answer.
  absl::StatusOr<Listing> ListTable(std::string_view table,
                                    absl::Duration timeout = absl::Seconds(5));
  /// Adds or replaces entry `key` of `table`; `fields` are `name=value` settings, the others
  /// take their defaults. A handled table waits (up to `timeout`) for the scheduler's answer.
  /// @return the handler's text (empty for a direct table); kNotFound for an unknown table
  ///         or field; kInvalidArgument for a malformed key or value out of range; whatever
  ///         the handler refused with; kDeadlineExceeded when the scheduler did not answer;
  ///         kResourceExhausted when a direct table is full.
  absl::StatusOr<std::string> AddEntry(std::string_view table, std::string_view key,
                                       const std::vector<std::string>& fields,
                                       absl::Duration timeout = absl::Seconds(5));
  /// Removes entry `key` of `table`.
  /// @return as AddEntry(); kNotFound also when the entry is not there.
  absl::StatusOr<std::string> RemoveEntry(std::string_view table, std::string_view key,
                                          absl::Duration timeout = absl::Seconds(5));

 private:
  struct Impl;
  explicit ControlClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace scxpp

#endif  // SCXPP_CONTROL_H_
