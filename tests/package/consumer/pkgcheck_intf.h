/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by pkgcheck.bpf.c and main.cc: the stats list. */
#ifndef SCXPP_TESTS_PACKAGE_PKGCHECK_INTF_H_
#define SCXPP_TESTS_PACKAGE_PKGCHECK_INTF_H_

#include <scxpp/bpf/stats_common.h>

#define PKGCHECK_STATS(X)                                            \
	X(IDLE, "idle", "wakeups dispatched straight to an idle CPU") \
	X(GLOBAL, "global", "tasks queued on the built-in global DSQ")

SCXPP_STATS_ENUM(pkgcheck_stat, PKGCHECK_STATS);

#endif /* SCXPP_TESTS_PACKAGE_PKGCHECK_INTF_H_ */
