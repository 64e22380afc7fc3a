// SPDX-License-Identifier: Apache-2.0
/// @file
/// scxpp::Scheduler<Skel>: the owner of a bpftool skeleton and its struct_ops link.
///
/// Lifecycle, in the only order the type allows:
///   1. Create(): check the kernel (sched_ext present, nothing else attached, privileges),
///      open the skeleton, kernel-specific setup (ops.hotplug_seq), run the user's
///      `configure` step — the only place read-only data (`skel.rodata`) can be written —
///      then load (verifier).
///   2. Attach(): attach the struct_ops map; from now on the kernel schedules with it.
///   3. Detach() or destruction: the link is destroyed before the skeleton, always.
///
/// A failed load or attach is a normal outcome reported as a status, never an abort.
#ifndef SCXPP_SCHEDULER_H_
#define SCXPP_SCHEDULER_H_

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "scxpp/exit_info.h"

struct bpf_link;
struct bpf_map;
struct bpf_object;
struct bpf_object_open_opts;
struct bpf_object_skeleton;
/// @cond
extern "C" void bpf_object__destroy_skeleton(struct bpf_object_skeleton* s);
/// @endcond

namespace scxpp {

/// Options for Scheduler<Skel>::Create().
struct SchedulerOptions {
  /// Print libbpf's debug output (including the full verifier log) to stderr, and after a
  /// successful load how many instructions the verifier walked for each program
  /// (`verified_insns`, reported from Linux 5.16; see docs/troubleshooting.md).
  bool verbose = false;
  /// Skip the pre-flight checks (sched_ext present, nothing attached, privileges); the
  /// kernel still refuses what it refuses. For tests of the error paths.
  bool skip_preflight = false;
};

namespace internal {

/// The type-independent part of Scheduler<Skel>. Not used directly.
class SchedulerCore {
 public:
  SchedulerCore(SchedulerCore&&) noexcept = default;
  /// Detaches the scheduler held here, then destroys its skeleton, then takes `other`'s.
  SchedulerCore& operator=(SchedulerCore&& other) noexcept;
  SchedulerCore(const SchedulerCore&) = delete;
  SchedulerCore& operator=(const SchedulerCore&) = delete;
  virtual ~SchedulerCore() = default;

  /// The ops name (`.name` in SCXPP_OPS_DEFINE), as shown in /sys/kernel/sched_ext/root/ops.
  const std::string& name() const { return name_; }
  /// The libbpf object; valid while this scheduler lives.
  bpf_object* object() const { return obj_; }
  /// Is the struct_ops link attached?
  bool attached() const { return link_ != nullptr; }

  /// Attaches the scheduler. Minimum kernel 6.12.
  /// @return OK; kFailedPrecondition if already attached by this object;
  ///         kAlreadyExists if another sched_ext scheduler is attached (EBUSY);
  ///         kPermissionDenied without CAP_SYS_ADMIN; kInternal for other kernel errors
  ///         (the message carries errno and libbpf's last words).
  absl::Status Attach();
  /// Detaches (destroys the link); the kernel records exit kind kUnregistered. Idempotent.
  void Detach();
  /// The exit record; kind kNone while the scheduler runs. See ReadExitInfo().
  absl::StatusOr<ExitInfo> Exit(bool with_dump = true) const;
  /// Has the scheduler exited (on its own, by the kernel, or by Detach())?
  bool Exited() const;
  /// Asks the runner (Run(), RunWithFlags()) to detach and end as on SIGTERM, with exit
  /// status kExitOk, e.g. from a hook when the work the scheduler was started for is done.
  /// `why` is printed ("scxpp: <why>, detaching"). Takes effect within the runner's next
  /// poll (100 ms); without a runner it only records the request.
  void RequestStop(std::string why);
  /// Has RequestStop() been called? Its reason.
  bool stop_requested() const { return stop_requested_; }
  const std::string& stop_reason() const { return stop_reason_; }  ///< RequestStop()'s `why`

 protected:
  using DestroyFn = void (*)(void*);
  struct SkelDeleter {
    DestroyFn destroy = nullptr;
    void operator()(void* skel) const {
      if (skel != nullptr && destroy != nullptr) destroy(skel);
    }
  };
  struct LinkDeleter {
    LinkDeleter() noexcept : destroy(nullptr) {}
    /// Only tests, which have no kernel to link to, pass their own.
    explicit LinkDeleter(void (*d)(bpf_link*)) noexcept : destroy(d) {}
    void (*destroy)(bpf_link*);  ///< nullptr: bpf_link__destroy()
    void operator()(bpf_link* link) const;
  };

  SchedulerCore(void* skel, DestroyFn destroy, bpf_object* obj);
  /// Pre-flight checks, struct_ops discovery, hotplug sequence. Before configure.
  absl::Status Setup(const SchedulerOptions& options);
  /// bpf_object__load_skeleton() with error classification.
  absl::Status Load(bpf_object_skeleton* skeleton);

  // Member order is teardown order in reverse: link_ goes before skel_.
  std::unique_ptr<void, SkelDeleter> skel_;
  bpf_object* obj_ = nullptr;
  bpf_object_skeleton* skeleton_ = nullptr;
  bpf_map* ops_map_ = nullptr;
  std::string name_;
  std::unique_ptr<bpf_link, LinkDeleter> link_;
  bool stop_requested_ = false;
  std::string stop_reason_;
};

}  // namespace internal

/// Writes a read-only (rodata) variable of a skeleton before load: `const volatile` in the
/// BPF program, so the C++ view is const too, yet libbpf's rodata image stays writable until
/// the object is loaded (configure callbacks run then). E.g.
/// `scxpp::SetRodata(skel.rodata->scxpp_dsq_plan, scxpp::MakeDsqPlan(...))`.
template <typename T>
void SetRodata(const volatile T& field, const T& value) {
  *const_cast<T*>(&field) = value;
}

/// What every Scheduler<Skel> has whatever its skeleton: name(), object() (the bpf_object,
/// to find maps by name), Attach(), Detach(), Exit(), Exited(). RunHooks receive it.
using SchedulerBase = internal::SchedulerCore;

/// Owns one loaded sched_ext scheduler built from bpftool skeleton type `Skel` (the struct
/// `bpftool gen skeleton ... name <n>` generates). Move-only.
template <typename Skel>
class Scheduler : public internal::SchedulerCore {
 public:
  /// `<name>__open_opts` from the generated skeleton (the overload without it uses
  /// `Skel::open`).
  using OpenFn = Skel* (*)(const bpf_object_open_opts*);
  /// Writes read-only data (`skel.rodata->...`) and map sizes before load.
  /// A non-OK status aborts Create() with that status.
  using ConfigureFn = std::function<absl::Status(Skel&)>;

  /// Opens, sets up, configures and loads the scheduler (not yet attached).
  /// Minimum kernel: 6.12 with CONFIG_SCHED_CLASS_EXT.
  /// @return the loaded scheduler, or:
  ///   kUnimplemented — the kernel has no sched_ext;
  ///   kAlreadyExists — another sched_ext scheduler is attached;
  ///   kPermissionDenied — not root / no CAP_SYS_ADMIN;
  ///   kInvalidArgument — the verifier rejected a program (message ends with the log tail);
  ///   whatever `configure` returned; kInternal for other libbpf errors.
  static absl::StatusOr<Scheduler> Create(OpenFn open, ConfigureFn configure = {},
                                          SchedulerOptions options = {});
  /// Create() with the skeleton's own `Skel::open()` (bpftool's C++ skeleton).
  static absl::StatusOr<Scheduler> Create(ConfigureFn configure = {},
                                          SchedulerOptions options = {}) {
    return Create(&Skel::open, std::move(configure), std::move(options));
  }

  /// The skeleton: maps, bss/data, and (read-only after load) rodata.
  Skel& skel() const { return *static_cast<Skel*>(skel_.get()); }

  /// Move-only: one owner per loaded scheduler.
  Scheduler(Scheduler&&) noexcept = default;
  /// Move assignment; the scheduler previously held here is detached and destroyed.
  Scheduler& operator=(Scheduler&&) noexcept = default;

 private:
  using internal::SchedulerCore::SchedulerCore;
  static void Destroy(void* p) { Skel::destroy(static_cast<Skel*>(p)); }
};

/// The typed skeleton of a scheduler that Run<Skel>() or RunWithFlags<Skel>() started, for
/// hooks (RunHooks), which receive it as SchedulerBase.
/// REQUIRES: `sched` is a Scheduler<Skel> (as every SchedulerBase the runner of Skel passes).
template <typename Skel>
Skel& SkelOf(SchedulerBase& sched) {
  return static_cast<Scheduler<Skel>&>(sched).skel();
}

namespace internal {
/// Opens a skeleton with scxpp's libbpf logging installed; errno-classified status.
absl::StatusOr<void*> OpenSkeleton(void* (*open)(const bpf_object_open_opts*),
                                   const SchedulerOptions& options);
}  // namespace internal

template <typename Skel>
absl::StatusOr<Scheduler<Skel>> Scheduler<Skel>::Create(OpenFn open, ConfigureFn configure,
                                                        SchedulerOptions options) {
  absl::StatusOr<void*> raw = internal::OpenSkeleton(
      reinterpret_cast<void* (*)(const bpf_object_open_opts*)>(open), options);
  if (!raw.ok()) return raw.status();
  Skel* skel = static_cast<Skel*>(*raw);
  Scheduler sched(skel, &Scheduler::Destroy, skel->obj);
  if (absl::Status s = sched.Setup(options); !s.ok()) return s;
  if (configure) {
    if (absl::Status s = configure(*skel); !s.ok()) return s;
  }
  if (absl::Status s = sched.Load(skel->skeleton); !s.ok()) return s;
  return sched;
}

}  // namespace scxpp

#endif  // SCXPP_SCHEDULER_H_
