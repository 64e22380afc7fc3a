// SPDX-License-Identifier: Apache-2.0
/// @file
/// The deadline daemon's Unix socket server: the one interface of a root process that other
/// local users reach, so it is written to be safe against them.
///
/// - Who may connect is decided by the socket file's mode, 0660 with a chosen group: members
///   of that group (and root) connect, everyone else gets EACCES from connect().
/// - Every client is identified by the kernel (SO_PEERCRED), never by what it says; the
///   handler gets its uid and decides what it may do.
/// - No client can stall the daemon or another client: one thread serves every client with
///   non-blocking I/O, each client has a total time limit from its connect to its answer (not
///   an idle limit a trickle of bytes could renew), a request size limit, and a per-uid cap on
///   open connections; a client that closes early costs nothing (MSG_NOSIGNAL: no SIGPIPE).
/// - Stop() returns promptly whatever the clients do.
#ifndef SCXPP_EXAMPLES_DEADLINE_SERVER_H_
#define SCXPP_EXAMPLES_DEADLINE_SERVER_H_

#include <sys/types.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace scxpp::deadline {

/// Who is on the other end of a connection, as the kernel saw it at connect().
struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct ServerOptions {
  std::string path;  ///< Where the socket file is created.
  /// The socket file's group; it is created 0660, so this group's members may connect.
  /// Default: the daemon's own group (for root, gid 0: only root connects).
  gid_t group = getgid();
  /// Longest a client may take from connecting to having read its whole answer.
  absl::Duration client_time_limit = absl::Seconds(2);
  /// A longer request is refused. 64 KiB holds an admit request for ~2,500 threads.
  size_t max_request_bytes = 64 << 10;
  int max_clients = 256;               ///< Connections served at once; more wait in the backlog.
  /// Connections one non-root uid may have open; more are refused at once.
  int max_clients_per_uid = 16;
};

/// Serves one request per connection: reads until the client shuts its writing side, calls
/// the handler with the peer and the request, writes the answer, closes.
class Server {
 public:
  /// The handler runs on the server's thread, one request at a time.
  using Handler = std::function<std::string(const Peer& peer, const std::string& request)>;

  /// Creates the socket file and listens, but serves nobody until Start(): what can fail
  /// here is known before the scheduler is attached.
  /// @return the server; kAlreadyExists when another process listens on the path;
  ///         kInvalidArgument for a path too long or not a socket; errno's status when the
  ///         socket cannot be created, bound, given its owner and mode, or listened on.
  static absl::StatusOr<std::unique_ptr<Server>> Listen(ServerOptions options, Handler handler);

  ~Server();  ///< Stop(), then removes the socket file.
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Starts serving on a thread (no-op when already serving).
  void Start();
  /// Stops serving and closes every client; returns within one poll wake-up.
  void Stop();

  const std::string& path() const { return options_.path; }

 private:
  Server(ServerOptions options, Handler handler, int listen_fd, int stop_fd);
  void Serve();

  ServerOptions options_;
  Handler handler_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  dev_t file_dev_ = 0;  // The socket file this server made, to remove only that one.
  ino_t file_ino_ = 0;
  std::thread thread_;
};

}  // namespace scxpp::deadline

#endif  // SCXPP_EXAMPLES_DEADLINE_SERVER_H_
