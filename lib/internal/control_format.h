// SPDX-License-Identifier: Apache-2.0
// What the live-control files share: the layouts of the records in a control directory's
// maps, and the helpers that open, read and write them.
#ifndef SCXPP_LIB_INTERNAL_CONTROL_FORMAT_H_
#define SCXPP_LIB_INTERNAL_CONTROL_FORMAT_H_

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scxpp/control.h"

namespace scxpp::internal {

// Debian's absl::string_view is its own type, not std::string_view.
inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// A failed syscall as a status whose code follows errno (EACCES/EPERM -> kPermissionDenied,
// ENOENT -> kNotFound, ...), with a hint for the permission case.
absl::Status SysError(int err, std::string_view what);

// ---- The description map ("meta"): a frozen array of fixed-size records. ----

inline constexpr uint32_t kMetaMagic = 0x73637870;  // "scxp"
inline constexpr uint32_t kMetaVersion = 1;
enum MetaKind : uint32_t { kMetaHeader = 1, kMetaStat, kMetaTunable, kMetaTable, kMetaField };
inline constexpr uint32_t kTableHandled = 1;

struct MetaEntry {
  uint32_t kind;
  uint32_t index;     // Header: version. Field: its table's index.
  uint32_t key_kind;  // Header: magic. Table: KeyKind.
  uint32_t flags;     // Table: kTableHandled.
  uint64_t def, min, max;
  uint64_t extra;  // Header: the owner's start time (clock ticks since boot).
  char name[64];   // Header: the scheduler's name.
  char desc[320];
};
static_assert(sizeof(MetaEntry) == 432);

// ---- The request map ("requests") of handled tables. ----

// Requests in flight at once, across all clients.
inline constexpr uint32_t kMaxRequests = 64;
// An answer no client collected for this long is dropped by the scheduler: its client was
// killed (a live one deletes its answer, or its request when it gives up waiting).
inline constexpr int kUncollectedAnswerTtlSeconds = 10;
inline constexpr size_t kMaxFields = 16;
struct RequestRec {
  uint32_t state;  // 0: waiting for the scheduler; 1: answered.
  int32_t code;    // absl::StatusCode of the answer.
  uint32_t op;     // TableOp.
  uint32_t table;  // Index in the spec's tables.
  uint64_t key_id;
  char key_comm[16];
  uint32_t nfields;
  uint32_t pad;
  uint64_t fields[kMaxFields];
  char text[3968];  // The answer: the handler's text or the error message.
};

// Copies `src` into the fixed-size field `dst` of `cap` bytes: at most cap - 1 bytes of it,
// NUL-padded.
inline void CopyName(char* dst, size_t cap, std::string_view src) {
  const size_t n = std::min(cap - 1, src.size());
  std::memcpy(dst, src.data(), n);
  std::memset(dst + n, 0, cap - n);
}

// The string in the fixed-size field `s` of `cap` bytes: up to its first NUL.
inline std::string FromFixed(const char* s, size_t cap) {
  return std::string(s, strnlen(s, cap));
}

// Whether `s` (1 to `max` letters, digits, '_' or '-') can name a file in a control directory.
bool ValidIdent(std::string_view s, size_t max);

// The start time of process `pid` (field 22 of /proc/PID/stat), or 0 when it is gone.
uint64_t ProcessStartTime(int64_t pid);

// Whether process `pid` still runs and is the one that started at `start` (a meta header's
// `extra`), not a later process given the same pid.
bool OwnerAlive(int64_t pid, uint64_t start);

// Reads every record of a meta map.
absl::StatusOr<std::vector<MetaEntry>> ReadMeta(int fd, const std::string& path);

// Opens the BPF object pinned at `path`; the caller owns the descriptor.
absl::StatusOr<int> OpenPinned(const std::string& path);

// Owns a file descriptor (-1: none) and closes it.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd >= 0) close(fd);
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// The size of a `k` key in a table's map (TableKey::Bytes()).
inline size_t KeySize(KeyKind k) {
  switch (k) {
    case KeyKind::kPid: return 4;
    case KeyKind::kComm: return 16;
    case KeyKind::kCgroup: return 8;
  }
  return 0;
}

}  // namespace scxpp::internal

#endif  // SCXPP_LIB_INTERNAL_CONTROL_FORMAT_H_
