// SPDX-License-Identifier: Apache-2.0
// The deadline daemon's socket server (examples/deadline/server.h) against the clients
// another local user can write: one that closes before its answer, one that trickles its
// request, a hundred at once, one that is not in the socket's group, one that opens too many
// connections; and the socket file's mode, group and the paths it refuses to take over.
// The cross-user cases fork a child that drops to nobody (65534), so they need root.
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server.h"

namespace scxpp::deadline {
namespace {

using ::testing::HasSubstr;
constexpr uid_t kNobody = 65534;

std::string TempSocketPath() {
  static int n = 0;
  return absl::StrCat(::testing::TempDir(), "dlsrv-", getpid(), "-", n++, ".sock");
}

int Connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

// Reads until EOF (or an error); returns what arrived.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// A server whose handler echoes "ok <uid> <request size>" and counts its calls.
struct Echo {
  std::atomic<int> calls{0};
  std::unique_ptr<Server> server;
  explicit Echo(ServerOptions options, size_t answer_bytes = 0) {
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Listen(
        std::move(options), [this, answer_bytes](const Peer& peer, const std::string& req) {
          ++calls;
          return std::string(answer_bytes, '#') + absl::StrCat(answer_bytes ? "\n" : "", "ok ",
                                                              peer.uid, " ", req.size(), "\n");
        });
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) {
      server = std::move(*s);
      server->Start();
    }
  }
};

TEST(DeadlineServerTest, AnswersARequestWithThePeersUid) {
  Echo echo({.path = TempSocketPath()});
  ASSERT_NE(echo.server, nullptr);
  absl::StatusOr<std::string> r = Client(echo.server->path()).Call("list\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, absl::StrCat(getuid(), " 5"));
}

// The answer is sent after the client has gone: without MSG_NOSIGNAL that is SIGPIPE, whose
// default action ends this whole test process (as it ended the daemon).
TEST(DeadlineServerTest, ClientThatClosesBeforeItsAnswerCostsNothing) {
  ASSERT_EQ(signal(SIGPIPE, SIG_DFL), SIG_DFL);
  Echo echo({.path = TempSocketPath()}, /*answer_bytes=*/4 << 20);  // Over any socket buffer.
  ASSERT_NE(echo.server, nullptr);
  for (int i = 0; i < 5; ++i) {
    const int fd = Connect(echo.server->path());
    ASSERT_GE(fd, 0) << std::strerror(-fd);
    ASSERT_EQ(write(fd, "list\n", 5), 5);
    shutdown(fd, SHUT_WR);
    char first;
    ASSERT_EQ(read(fd, &first, 1), 1);  // The answer is on its way; leave in the middle.
    close(fd);
  }
  absl::StatusOr<std::string> r = Client(echo.server->path()).Call("list\n");
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(echo.calls.load(), 6);
}

// A byte every 50 ms never leaves the connection idle, but its total time is limited; a
// client served meanwhile is not held up behind it.
TEST(DeadlineServerTest, TricklingClientIsCutOffWithoutHoldingUpOthers) {
  Echo echo({.path = TempSocketPath(), .client_time_limit = absl::Milliseconds(500)});
  ASSERT_NE(echo.server, nullptr);
  const int slow = Connect(echo.server->path());
  ASSERT_GE(slow, 0);
  ASSERT_EQ(write(slow, "l", 1), 1);
  absl::StatusOr<std::string> other = Client(echo.server->path()).Call("list\n");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(echo.calls.load(), 1);  // Served while the trickler is mid-request.

  bool cut_off = false;
  for (int i = 0; i < 200 && !cut_off; ++i) {  // 10 s of trickle at most.
    usleep(50'000);
    cut_off = send(slow, "i", 1, MSG_NOSIGNAL) != 1;
  }
  close(slow);
  EXPECT_TRUE(cut_off) << "the server kept reading a trickle for 10 s";
  EXPECT_EQ(echo.calls.load(), 1);  // The trickle was never handled as a request.
}

TEST(DeadlineServerTest, StopReturnsWhileClientsHoldConnections) {
  Echo echo({.path = TempSocketPath(), .client_time_limit = absl::Hours(1)});
  ASSERT_NE(echo.server, nullptr);
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(Connect(echo.server->path()));
  ASSERT_EQ(write(idle[0], "li", 2), 2);
  echo.server->Stop();  // Would hang here (and ctest time it out) if a client could block it.
  echo.server.reset();  // Closes the listening socket too: the backlog's clients see EOF.
  for (int fd : idle) {
    EXPECT_EQ(ReadAll(fd), "");  // Closed without an answer.
    close(fd);
  }
  EXPECT_EQ(echo.calls.load(), 0);
}

TEST(DeadlineServerTest, HundredConcurrentClientsAreAllAnswered) {
  Echo echo({.path = TempSocketPath(), .client_time_limit = absl::Seconds(30)});
  ASSERT_NE(echo.server, nullptr);
  // All connect and send half a request first, then all finish: 100 open at once.
  std::vector<int> fds;
  for (int i = 0; i < 100; ++i) {
    const int fd = Connect(echo.server->path());
    ASSERT_GE(fd, 0) << i << ": " << std::strerror(-fd);
    ASSERT_EQ(write(fd, "li", 2), 2);
    fds.push_back(fd);
  }
  int answered = 0;
  for (int fd : fds) {
    ASSERT_EQ(write(fd, "st\n", 3), 3);
    shutdown(fd, SHUT_WR);
  }
  for (int fd : fds) {
    answered += ReadAll(fd) == absl::StrCat("ok ", getuid(), " 5\n");
    close(fd);
  }
  EXPECT_EQ(answered, 100);
  EXPECT_EQ(echo.calls.load(), 100);
}

TEST(DeadlineServerTest, OversizedRequestIsRefused) {
  Echo echo({.path = TempSocketPath(), .max_request_bytes = 1000});
  ASSERT_NE(echo.server, nullptr);
  absl::StatusOr<std::string> r = Client(echo.server->path()).Call(std::string(5000, 'x'));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("longer than 1000 bytes"));
  EXPECT_EQ(echo.calls.load(), 0);
}

TEST(DeadlineServerTest, SocketFileIs0660WithTheGivenGroup) {
  const std::string path = TempSocketPath();
  {
    Echo echo({.path = path, .group = getgid()});
    ASSERT_NE(echo.server, nullptr);
    struct stat st {};
    ASSERT_EQ(lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0660u);
    EXPECT_EQ(st.st_gid, getgid());
  }
  struct stat gone {};
  EXPECT_NE(lstat(path.c_str(), &gone), 0) << "the socket file outlived its server";
}

TEST(DeadlineServerTest, LiveSocketAndOtherFilesAreNotTakenOver) {
  Echo first({.path = TempSocketPath()});
  ASSERT_NE(first.server, nullptr);
  absl::StatusOr<std::unique_ptr<Server>> second =
      Server::Listen({.path = first.server->path()}, [](const Peer&, const std::string&) {
        return std::string("ok\n");
      });
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists) << second.status();
  EXPECT_TRUE(Client(first.server->path()).Call("list\n").ok());

  const std::string file = TempSocketPath();
  std::ofstream(file) << "precious";
  absl::StatusOr<std::unique_ptr<Server>> over_file =
      Server::Listen({.path = file}, [](const Peer&, const std::string&) { return ""; });
  EXPECT_EQ(over_file.status().code(), absl::StatusCode::kInvalidArgument) << over_file.status();
  std::ifstream in(file);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");
  unlink(file.c_str());

  // A dead daemon's leftover socket is replaced.
  const std::string stale = TempSocketPath();
  {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, stale.data(), stale.size());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    close(fd);  // Never listened: nobody answers there.
  }
  Echo fresh({.path = stale});
  ASSERT_NE(fresh.server, nullptr);
  EXPECT_TRUE(Client(stale).Call("list\n").ok());
}

// Runs `body` in a child as nobody:nogroup with no supplementary groups; returns its exit
// status (the body's return value), or 99 when dropping privileges failed.
template <typename Body>
int AsNobody(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(kNobody, kNobody, kNobody) != 0 ||
        setresuid(kNobody, kNobody, kNobody) != 0) {
      _exit(99);
    }
    _exit(body());
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(DeadlineServerTest, OnlyTheSocketsGroupConnects) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  // The directory must let nobody reach the socket; its mode is what decides.
  const std::string dir = absl::StrCat(::testing::TempDir(), "dlsrv-dir-", getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  Echo root_only({.path = dir + "/root.sock", .group = 0});
  Echo nogroup({.path = dir + "/nogroup.sock", .group = kNobody});
  ASSERT_NE(root_only.server, nullptr);
  ASSERT_NE(nogroup.server, nullptr);
  // 1: refused as it should be; 2: connected where it should not; 3: not served.
  EXPECT_EQ(AsNobody([&] {
              absl::StatusOr<std::string> r = Client(dir + "/root.sock").Call("list\n");
              return r.status().code() == absl::StatusCode::kPermissionDenied ? 1 : 2;
            }),
            1);
  EXPECT_EQ(AsNobody([&] {
              absl::StatusOr<std::string> r = Client(dir + "/nogroup.sock").Call("list\n");
              return r.ok() && *r == absl::StrCat(kNobody, " 5") ? 0 : 3;
            }),
            0);
  EXPECT_EQ(root_only.calls.load(), 0);
  EXPECT_EQ(nogroup.calls.load(), 1);
  root_only.server.reset();
  nogroup.server.reset();
  rmdir(dir.c_str());
}

TEST(DeadlineServerTest, OneUserCannotHoldEveryConnection) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  const std::string dir = absl::StrCat(::testing::TempDir(), "dlsrv-cap-", getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  Echo echo({.path = dir + "/s.sock",
             .group = kNobody,
             .client_time_limit = absl::Seconds(30),
             .max_clients_per_uid = 3});
  ASSERT_NE(echo.server, nullptr);
  // As nobody: three idle connections are kept, a fourth is refused at once.
  EXPECT_EQ(AsNobody([&] {
              std::vector<int> held;
              for (int i = 0; i < 3; ++i) held.push_back(Connect(dir + "/s.sock"));
              usleep(200'000);
              absl::StatusOr<std::string> r = Client(dir + "/s.sock").Call("list\n");
              if (r.status().code() != absl::StatusCode::kResourceExhausted) return 4;
              return r.status().message().find("already has 3 connections") ==
                             std::string::npos
                         ? 5
                         : 0;
            }),
            0);
  // Root is not counted against it.
  EXPECT_TRUE(Client(dir + "/s.sock").Call("list\n").ok());
  echo.server.reset();
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace scxpp::deadline
