// SPDX-License-Identifier: Apache-2.0
// The runner's messages to systemd (lib/internal/service_notify.h): nothing without
// $NOTIFY_SOCKET; one datagram to a path or an abstract name; a bad value said plainly.
#include "lib/internal/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace scxpp::internal {
namespace {

// A datagram socket bound at `name` ('@' first: abstract); -1 on failure.
int Listen(const std::string& name) {
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, name.data(), name.size());
  if (name[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string Receive(int fd) {
  char buf[512];
  const ssize_t n = recv(fd, buf, sizeof(buf), 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

class ServiceNotifyTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("NOTIFY_SOCKET"); }
};

TEST_F(ServiceNotifyTest, NothingToDoOutsideAServiceManager) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(NotifyServiceManager("READY=1").ok());
}

TEST_F(ServiceNotifyTest, SendsOneDatagramToAPath) {
  const std::string path = absl::StrCat(::testing::TempDir(), "notify-", getpid(), ".sock");
  const int fd = Listen(path);
  ASSERT_GE(fd, 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ASSERT_TRUE(NotifyServiceManager("READY=1\nSTATUS=attached").ok());
  EXPECT_EQ(Receive(fd), "READY=1\nSTATUS=attached");
  close(fd);
  unlink(path.c_str());
}

TEST_F(ServiceNotifyTest, SendsToAnAbstractName) {
  const std::string name = absl::StrCat("@scxpp-notify-test-", getpid());
  const int fd = Listen(name);
  ASSERT_GE(fd, 0);
  setenv("NOTIFY_SOCKET", name.c_str(), 1);
  ASSERT_TRUE(NotifyServiceManager("STOPPING=1").ok());
  EXPECT_EQ(Receive(fd), "STOPPING=1");
  close(fd);
}

TEST_F(ServiceNotifyTest, BadValuesAreErrors) {
  setenv("NOTIFY_SOCKET", "relative/path", 1);
  EXPECT_EQ(NotifyServiceManager("READY=1").code(), absl::StatusCode::kInvalidArgument);
  setenv("NOTIFY_SOCKET", "/nonexistent/notify.sock", 1);
  EXPECT_EQ(NotifyServiceManager("READY=1").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace scxpp::internal
