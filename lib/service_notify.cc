// SPDX-License-Identifier: Apache-2.0
#include "lib/internal/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace scxpp::internal {

// The protocol is one datagram of newline-separated assignments to the AF_UNIX socket named
// by $NOTIFY_SOCKET (a path, or '@' for the abstract namespace). systemd documents it as a
// stable interface meant to be spoken without libsystemd (sd_notify(3), "Notes"), so the
// SDK does not take on that library for these few lines.
absl::Status NotifyServiceManager(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (env == nullptr || env[0] == '\0') return absl::OkStatus();
  const std::string path = env;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if ((path[0] != '/' && path[0] != '@') || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("NOTIFY_SOCKET='", path, "' is not a socket path or abstract name"));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ErrnoToStatus(errno, "NOTIFY_SOCKET: socket()");
  const ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                           reinterpret_cast<const sockaddr*>(&addr), len);
  const int err = errno;
  close(fd);
  if (n < 0) return absl::ErrnoToStatus(err, absl::StrCat("NOTIFY_SOCKET: sending to ", path));
  return absl::OkStatus();
}

}  // namespace scxpp::internal
