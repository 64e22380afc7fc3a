// SPDX-License-Identifier: Apache-2.0
// The deadline daemon's admitted set: admission bookkeeping, who owns each reservation, the
// BPF map it is published in, and the socket requests (server.h) that change it.
#ifndef SCXPP_EXAMPLES_DEADLINE_REGISTRY_H_
#define SCXPP_EXAMPLES_DEADLINE_REGISTRY_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "admission.h"
#include "client.h"
#include "server.h"

struct bpf_object;

namespace scxpp::deadline {

// What a non-root socket caller may reserve, summed over its uid's admitted threads.
struct UserLimits {
  double cpus = 1.0;
  size_t tasks = 64;
};

// The admitted set, the BPF map it is published in, and the answers to the socket's requests.
// Every public method takes the lock: the server thread and the runner's hooks share it.
class Registry {
 public:
  Registry(Admission admission, UserLimits limits);

  // Admits `set` (all or nothing) and publishes it when the map is bound. Ids < 0 are
  // placeholders: admitted (capacity held) but never published. `user`: a non-root caller,
  // who may register only its own threads, within its UserLimits.
  absl::StatusOr<std::vector<int>> Admit(const std::vector<Registration>& set,
                                         std::optional<uid_t> user = std::nullopt);

  // `user`: a non-root caller, who may release only its own threads' reservations.
  absl::Status Release(int tid, std::optional<uid_t> user = std::nullopt);

  std::string List();

  // Binds to the loaded scheduler's map and publishes every admitted thread.
  absl::Status Bind(bpf_object* obj);

  void Unbind();

  // Releases the reservations of threads that exited.
  void Reap();

  // Replaces placeholder `from` with thread `tid` (same reservation, same CPU or better).
  absl::StatusOr<int> Rekey(int64_t from, int tid);

  bool Contains(int tid);

  void PrintAll(const char* why);

  // One request from the socket (server.h), by `peer`.
  std::string Handle(const Peer& peer, const std::string& text);

 private:
  absl::Status PublishLocked(int64_t tid);
  absl::Status CheckUserLimitsLocked(uid_t user, const std::vector<Registration>& set);
  void ForgetLocked(int64_t tid);
  std::string TaskLineLocked(int64_t tid);
  void PrintTaskLocked(int64_t tid, const char* why);
  void ReapLocked();

  std::mutex mu_;
  Admission adm_;
  UserLimits limits_;
  std::map<int64_t, TaskParams> params_;
  std::map<int64_t, uid_t> owner_;  // Who asked for it (0: root); counts toward its limits.
  int map_fd_ = -1;
};

}  // namespace scxpp::deadline

#endif  // SCXPP_EXAMPLES_DEADLINE_REGISTRY_H_
