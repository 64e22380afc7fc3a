// SPDX-License-Identifier: Apache-2.0
// Readiness and state messages to the service manager (systemd's sd_notify protocol), so a
// unit of Type=notify is "started" only once the scheduler is attached.
#ifndef SCXPP_LIB_INTERNAL_SERVICE_NOTIFY_H_
#define SCXPP_LIB_INTERNAL_SERVICE_NOTIFY_H_

#include <string_view>

#include "absl/status/status.h"

namespace scxpp::internal {

// Sends `state` (e.g. "READY=1\nSTATUS=attached") as one datagram to $NOTIFY_SOCKET.
// Returns OK, and does nothing, when the variable is unset (not under a service manager);
// otherwise the errno of the failed step. Callers may ignore a failure: the manager's own
// start timeout covers a lost message.
absl::Status NotifyServiceManager(std::string_view state);

}  // namespace scxpp::internal

#endif  // SCXPP_LIB_INTERNAL_SERVICE_NOTIFY_H_
