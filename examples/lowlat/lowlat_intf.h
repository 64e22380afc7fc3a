/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by lowlat.bpf.c and main.cc: selector limits and the stats list. */
#ifndef SCXPP_EXAMPLES_LOWLAT_INTF_H_
#define SCXPP_EXAMPLES_LOWLAT_INTF_H_

#include <scxpp/bpf/stats_common.h>

#define LOWLAT_MAX_PIDS 64    /* --pid selectors */
#define LOWLAT_MAX_COMMS 16   /* --comm selectors */
#define LOWLAT_MAX_CGROUPS 16 /* --cgroup selectors */

/* id, name, description */
#define LOWLAT_STATS(X)                                                                    \
	X(CRIT_WAKEUPS, "crit_wakeups", "wakeups of latency-critical tasks")                \
	X(DIRECT, "direct", "wakeups dispatched straight to an idle CPU")                 \
	X(PREEMPTS, "preempts", "critical wakeups that preempted a non-critical task")     \
	X(CRIT_QUEUED, "crit_queued", "critical wakeups queued: every CPU ran a critical task") \
	X(PROMOTIONS, "promotions", "tasks that became latency-critical")                  \
	X(DEMOTIONS, "demotions", "critical tasks whose averages no longer qualify")        \
	X(CPU_BOUND, "cpu_bound", "critical tasks demoted for running 4x the burst limit")   \
	X(QUEUED, "queued", "non-critical tasks queued by weighted vtime")

SCXPP_STATS_ENUM(lowlat_stat, LOWLAT_STATS);

#endif /* SCXPP_EXAMPLES_LOWLAT_INTF_H_ */
