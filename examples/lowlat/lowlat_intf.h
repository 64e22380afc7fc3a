/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by lowlat.bpf.c and main.cc: selector limits, the stats and tunables lists. */
#ifndef SCXPP_EXAMPLES_LOWLAT_INTF_H_
#define SCXPP_EXAMPLES_LOWLAT_INTF_H_

#include <scxpp/bpf/stats_common.h>
#include <scxpp/bpf/tunables_common.h>

/* Capacity of the selector tables (--pid/--comm/--cgroup, and scxppctl table ... add). */
#define LOWLAT_MAX_PIDS 1024
#define LOWLAT_MAX_COMMS 256
#define LOWLAT_MAX_CGROUPS 256

/* id, name, description */
#define LOWLAT_STATS(X)                                                                    \
	X(CRIT_WAKEUPS, "crit_wakeups", "wakeups of latency-critical tasks")                \
	X(DIRECT, "direct", "wakeups dispatched straight to an idle CPU")                 \
	X(PREEMPTS, "preempts", "critical wakeups that preempted a non-critical task")     \
	X(CRIT_QUEUED, "crit_queued", "critical wakeups queued: every CPU ran a critical task") \
	X(CRIT_CUT_SHORT, "crit_cut_short", "critical tasks preempted mid-burst, put back first") \
	X(PROMOTIONS, "promotions", "tasks that became latency-critical")                  \
	X(DEMOTIONS, "demotions", "critical tasks whose averages no longer qualify")        \
	X(CPU_BOUND, "cpu_bound", "critical tasks demoted for running 4x the burst limit (+ a tick)") \
	X(QUEUED, "queued", "non-critical tasks queued by weighted vtime")                 \
	X(RESCUED, "rescued", "tasks run ahead of vtime order: queued longer than max_wait_ms") \
	X(RCU_FIRST, "rcu_first", "preempted RCU readers put first to finish their section") \
	X(PIDS_EXITED, "pids_exited", "pid selectors removed because their thread exited")

SCXPP_STATS_ENUM(lowlat_stat, LOWLAT_STATS);

/* critical_comms' value: the real uid a thread of that name must have, or this for any. */
#define LOWLAT_ANY_UID (1ULL << 32)

/* Live tunables (scxppctl set lowlat KEY VALUE): id, name, default, min, max, description. */
#define LOWLAT_TUNABLES(X)                                                                   \
	X(SLICE_US, slice_us, 5000, 100, 100000,                                              \
	  "slice of non-critical tasks when nothing waits (us)")                              \
	X(MIN_SLICE_US, min_slice_us, 500, 50, 100000,                                        \
	  "shortest slice under contention (us); at most slice_us")                           \
	X(CRIT_MAX_BURST_US, crit_max_burst_us, 1000, 10, 1000000,                            \
	  "auto: most CPU time per wakeup (average) of a critical task, and its slice; "      \
	  "running 4x this (and a tick) without sleeping demotes any critical task (us)")     \
	X(CRIT_MAX_INTERVAL_US, crit_max_interval_us, 50000, 100, 10000000,                   \
	  "auto: longest average time between wakeups of a critical task (us)")              \
	X(AUTO, auto, 1, 0, 1, "detect critical tasks: they wake often and run briefly (0/1)")   \
	X(MAX_AUTO_CRITICAL, max_auto_critical, 4, 0, 1024,                                   \
	  "most tasks auto-detection marks critical at once (selected ones do not count)")    \
	X(MAX_AUTO_PER_UID, max_auto_per_uid, 2, 0, 1024,                                     \
	  "most of those one non-root user's threads (by real uid) hold at once")             \
	X(NICE_CRITICAL, nice_critical, 1, 0, 1,                                              \
	  "tasks with a negative nice value are critical (0/1)")                              \
	X(PREEMPT, preempt, 1, 0, 1,                                                          \
	  "a critical wakeup may preempt a non-critical task when no CPU is idle (0/1)")    \
	X(MAX_WAIT_MS, max_wait_ms, 1000, 100, 10000,                                         \
	  "longest a task waits in the fair queue before it runs ahead of vtime order (ms)")

SCXPP_TUNABLES_ENUM(lowlat_tunable, LOWLAT_TUNABLES);

#endif /* SCXPP_EXAMPLES_LOWLAT_INTF_H_ */
