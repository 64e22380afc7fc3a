// SPDX-License-Identifier: Apache-2.0
#include "client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace scxpp::deadline {

std::string FormatErrorLine(const absl::Status& status) {
  std::string msg(status.message());
  for (char& c : msg) {
    if (c == '\n') c = ' ';
  }
  return absl::StrCat("error ", static_cast<int>(status.code()), " ", msg, "\n");
}

absl::StatusOr<std::string> Client::Call(const std::string& request) const {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path_));
  }
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ErrnoToStatus(errno, "socket");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    if (err == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat(
          "not allowed to use the deadline scheduler's socket ", path_,
          ": only root and members of its group may (the daemon's --socket_group)"));
    }
    return absl::UnavailableError(absl::StrCat("cannot reach the deadline scheduler at ", path_,
                                               ": ", std::strerror(err),
                                               " (is `deadline` running?)"));
  }
  size_t off = 0;
  while (off < request.size()) {
    // MSG_NOSIGNAL: a daemon that refused us and closed (too many connections, a request
    // too long) must not kill the application with SIGPIPE; its answer says why.
    ssize_t n = send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) break;
    if (n <= 0) {
      const int err = errno;
      close(fd);
      return absl::ErrnoToStatus(err, "writing to the deadline scheduler");
    }
    off += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  return ParseResponse(resp);
}

absl::StatusOr<std::string> ParseResponse(absl::string_view resp) {
  if (resp.empty()) {
    // The daemon answers every request it reads; silence means it dropped the connection.
    return absl::UnavailableError(
        "the deadline scheduler closed the connection without answering: it allows each "
        "user 16 connections and 2 s per request, or it is stopping; try again");
  }
  // The last line is "ok..." or "error <code> <message>".
  absl::string_view body = absl::StripSuffix(resp, "\n");
  const size_t nl = body.rfind('\n');
  absl::string_view last = nl == absl::string_view::npos ? body : body.substr(nl + 1);
  absl::string_view before = nl == absl::string_view::npos ? "" : body.substr(0, nl + 1);
  if (absl::ConsumePrefix(&last, "error ")) {
    std::pair<absl::string_view, absl::string_view> cm =
        absl::StrSplit(last, absl::MaxSplits(' ', 1));
    int code = 0;
    if (!absl::SimpleAtoi(cm.first, &code) || code <= 0 || code > 16) code = 13;  // kInternal
    return absl::Status(static_cast<absl::StatusCode>(code), cm.second);
  }
  if (last != "ok" && !absl::ConsumePrefix(&last, "ok ")) {
    return absl::InternalError(
        absl::StrCat("unexpected answer from the deadline scheduler: '", absl::CEscape(resp),
                     "'"));
  }
  if (last == "ok") last = "";
  return absl::StrCat(before, last);
}

absl::StatusOr<WireRequest> ParseRequest(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.empty()) return absl::InvalidArgumentError("empty request");
  std::vector<absl::string_view> w = absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
  WireRequest req;
  if (w.size() == 1 && w[0] == "list") {
    req.kind = WireRequest::Kind::kList;
    return req;
  }
  if (w.size() == 2 && w[0] == "release") {
    req.kind = WireRequest::Kind::kRelease;
    if (!absl::SimpleAtoi(w[1], &req.tid) || req.tid <= 0) {
      return absl::InvalidArgumentError("release: bad thread id");
    }
    return req;
  }
  if (w.size() == 1 && w[0] == "admit") {
    req.kind = WireRequest::Kind::kAdmit;
    bool ended = false;
    for (size_t i = 1; i < lines.size(); ++i) {
      if (lines[i] == "end") {
        ended = true;
        break;
      }
      std::vector<absl::string_view> f = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
      Registration r;
      if (f.size() != 4 || !absl::SimpleAtoi(f[0], &r.tid) ||
          !absl::SimpleAtoi(f[1], &r.params.runtime_ns) ||
          !absl::SimpleAtoi(f[2], &r.params.deadline_ns) ||
          !absl::SimpleAtoi(f[3], &r.params.period_ns) || r.tid <= 0) {
        return absl::InvalidArgumentError(absl::StrCat("admit: bad line '",
                                                       absl::CEscape(lines[i]),
                                                       "': need tid runtime_ns deadline_ns "
                                                       "period_ns"));
      }
      req.set.push_back(r);
    }
    if (!ended || req.set.empty()) {
      return absl::InvalidArgumentError("admit: no threads, or no 'end' line");
    }
    return req;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown request '", absl::CEscape(lines[0]), "'"));
}

std::string FormatAdmitRequest(const std::vector<Registration>& set) {
  std::string req = "admit\n";
  for (const Registration& r : set) {
    absl::StrAppend(&req, r.tid, " ", r.params.runtime_ns, " ", r.params.deadline_ns, " ",
                    r.params.period_ns, "\n");
  }
  req += "end\n";
  return req;
}

std::string FormatReleaseRequest(int tid) { return absl::StrCat("release ", tid, "\n"); }

absl::StatusOr<std::vector<int>> Client::Admit(const std::vector<Registration>& set) const {
  const std::string req = FormatAdmitRequest(set);
  absl::StatusOr<std::string> resp = Call(req);
  if (!resp.ok()) return resp.status();
  std::vector<int> cpus;
  for (absl::string_view w : absl::StrSplit(*resp, ' ', absl::SkipEmpty())) {
    int c = 0;
    if (!absl::SimpleAtoi(w, &c)) return absl::InternalError(absl::StrCat("bad CPU '", w, "'"));
    cpus.push_back(c);
  }
  if (cpus.size() != set.size()) {
    return absl::InternalError(
        absl::StrCat("the daemon placed ", cpus.size(), " of ", set.size(), " threads"));
  }
  return cpus;
}

absl::Status Client::Release(int tid) const {
  return Call(FormatReleaseRequest(tid)).status();
}

absl::StatusOr<std::string> Client::List() const { return Call("list\n"); }

}  // namespace scxpp::deadline
