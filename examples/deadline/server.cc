// SPDX-License-Identifier: Apache-2.0
#include "server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client.h"

namespace scxpp::deadline {
namespace {

absl::Status Errno(int err, const std::string& what) { return absl::ErrnoToStatus(err, what); }

struct Conn {
  int fd = -1;
  Peer peer;
  absl::Time deadline;
  std::string in;
  std::string out;  // The answer; set once the request is complete.
  size_t sent = 0;
  bool answering = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Listen(ServerOptions options, Handler handler) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (options.path.empty() || options.path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--socket: '", options.path, "' is empty or longer than ",
                     sizeof(addr.sun_path) - 1, " bytes"));
  }
  std::memcpy(addr.sun_path, options.path.data(), options.path.size());
  const char* path = options.path.c_str();

  // A leftover socket of a daemon that died is replaced; a live daemon's is not, and
  // anything that is not a socket is never removed.
  struct stat st;
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--socket: ", options.path, " exists and is not a socket; remove it or pick another"));
    }
    const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live =
        probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (probe >= 0) close(probe);
    if (live) {
      return absl::AlreadyExistsError(absl::StrCat(
          "--socket: another deadline daemon listens on ", options.path,
          "; stop it first, or give this one another --socket"));
    }
    unlink(path);
  }

  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Errno(errno, "--socket: socket()");
  // bind() creates the file with the umask's mode: 0660 from the start, so it is never
  // wider than asked, and nothing here follows a path someone could swap for a symlink
  // after bind (chmod would; lchown does not).
  const mode_t old_mask = umask(0117);
  const int bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int bind_err = errno;
  umask(old_mask);
  if (bound != 0) {
    close(fd);
    return Errno(bind_err, absl::StrCat("--socket: cannot create ", options.path));
  }
  struct stat made {};
  if (lchown(path, static_cast<uid_t>(-1), options.group) != 0 || lstat(path, &made) != 0 ||
      listen(fd, SOMAXCONN) != 0) {
    const int err = errno;
    close(fd);
    unlink(path);
    return Errno(err, absl::StrCat("--socket: cannot give ", options.path, " group ",
                                   options.group, ", or listen on it"));
  }
  const int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) {
    const int err = errno;
    close(fd);
    unlink(path);
    return Errno(err, "--socket: eventfd()");
  }
  auto server =
      std::unique_ptr<Server>(new Server(std::move(options), std::move(handler), fd, stop_fd));
  server->file_dev_ = made.st_dev;
  server->file_ino_ = made.st_ino;
  return server;
}

Server::Server(ServerOptions options, Handler handler, int listen_fd, int stop_fd)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      listen_fd_(listen_fd),
      stop_fd_(stop_fd) {}

Server::~Server() {
  Stop();
  close(listen_fd_);
  close(stop_fd_);
  // Only our own file: another daemon started since on the same path made its own.
  struct stat now;
  if (lstat(options_.path.c_str(), &now) == 0 && now.st_dev == file_dev_ &&
      now.st_ino == file_ino_) {
    unlink(options_.path.c_str());
  }
}

void Server::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Serve(); });
}

void Server::Stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof(one));
  thread_.join();
  uint64_t drain;
  (void)!read(stop_fd_, &drain, sizeof(drain));
}

void Server::Serve() {
  std::vector<Conn> conns;
  std::map<uid_t, int> per_uid;
  auto drop = [&](size_t i) {
    close(conns[i].fd);
    if (--per_uid[conns[i].peer.uid] == 0) per_uid.erase(conns[i].peer.uid);
    conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i));
  };
  auto answer = [&](Conn& c, std::string text) {
    c.out = std::move(text);
    c.answering = true;
  };
  while (true) {
    const absl::Time now = absl::Now();
    for (size_t i = conns.size(); i-- > 0;) {
      if (now >= conns[i].deadline) drop(i);  // Too slow: sending or reading, it is gone.
    }
    std::vector<pollfd> fds;
    fds.push_back({stop_fd_, POLLIN, 0});
    const bool room = static_cast<int>(conns.size()) < options_.max_clients;
    fds.push_back({room ? listen_fd_ : -1, POLLIN, 0});
    absl::Time next = absl::InfiniteFuture();
    for (const Conn& c : conns) {
      fds.push_back({c.fd, static_cast<short>(c.answering ? POLLOUT : POLLIN), 0});
      next = std::min(next, c.deadline);
    }
    int timeout_ms = -1;
    if (next != absl::InfiniteFuture()) {
      timeout_ms = static_cast<int>(
          std::max<int64_t>(1, absl::ToInt64Milliseconds(next - now) + 1));
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) break;

    // Clients first (their indices match fds[2..]), then new connections.
    for (size_t i = conns.size(); i-- > 0;) {
      const short rev = fds[i + 2].revents;
      if (rev == 0) continue;
      Conn& c = conns[i];
      if (!c.answering) {
        char buf[4096];
        const ssize_t n = read(c.fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n < 0) {
          drop(i);
          continue;
        }
        if (n > 0) {
          c.in.append(buf, static_cast<size_t>(n));
          if (c.in.size() > options_.max_request_bytes) {
            answer(c, FormatErrorLine(absl::InvalidArgumentError(absl::StrCat(
                          "request longer than ", options_.max_request_bytes, " bytes"))));
          }
          continue;
        }
        answer(c, handler_(c.peer, c.in));  // EOF: the request is complete.
      }
      // MSG_NOSIGNAL: a client that went away must not take the daemon with it (SIGPIPE).
      const ssize_t n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0 || (c.sent += static_cast<size_t>(n)) == c.out.size()) drop(i);
    }
    if (!room || !(fds[1].revents & POLLIN)) continue;
    while (static_cast<int>(conns.size()) < options_.max_clients) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) break;
      ucred cred{};
      socklen_t len = sizeof(cred);
      if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        close(fd);
        continue;
      }
      Conn c{.fd = fd,
             .peer = {.pid = cred.pid, .uid = cred.uid, .gid = cred.gid},
             .deadline = absl::Now() + options_.client_time_limit};
      if (cred.uid != 0 && per_uid[cred.uid] >= options_.max_clients_per_uid) {
        const std::string busy = FormatErrorLine(absl::ResourceExhaustedError(absl::StrCat(
            "uid ", cred.uid, " already has ", options_.max_clients_per_uid,
            " connections open to the deadline daemon; try again when they are done")));
        (void)!send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
        continue;
      }
      ++per_uid[cred.uid];
      conns.push_back(std::move(c));
    }
  }
  for (size_t i = conns.size(); i-- > 0;) drop(i);
}

}  // namespace scxpp::deadline
