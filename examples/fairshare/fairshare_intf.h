/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by fairshare.bpf.c and main.cc: the cgroup table's layout, limits, stats. */
#ifndef SCXPP_EXAMPLES_FAIRSHARE_INTF_H_
#define SCXPP_EXAMPLES_FAIRSHARE_INTF_H_

#include <scxpp/bpf/stats_common.h>

#define FAIRSHARE_MAX_CGROUPS 16384 /* entries of the cgroup table */
#define FAIRSHARE_MAX_CAPPED 64     /* cgroups with a cpu.max quota at once */
#define FAIRSHARE_MAX_DEPTH 16      /* cgroup levels walked; deeper ones count as their ancestor */

/* One cgroup, keyed by its id (the inode number of its cgroup2 directory). */
struct fairshare_cgroup {
	__u64 parent_id;     /* 0 for the root */
	__s64 active_weight; /* active children's cpu.weight + runnable own tasks' weight */
	__u32 weight;        /* cpu.weight */
	__u32 contrib;       /* the weight it adds to its parent's sum while active */
	__u32 level;
	__s32 slot;          /* its parking queue while it has a quota, else -1 */
	__u64 period_ns;     /* cpu.max period */
	__u64 quota_ns;      /* cpu.max quota; 0 = no limit */
	__s64 used_ns;       /* CPU time used in this period (overuse carries over as debt) */
	__u64 period_end;
	__u64 nr_throttles;
	__u64 runtime_ns;    /* CPU time of its own tasks (not its descendants') */
	__u32 throttled;
	__u32 pad;
};

/* cpu.max as userspace read it, for kernels without ops.cgroup_set_bandwidth (< 6.17). */
struct fairshare_bw {
	__u64 period_us;
	__u64 quota_us; /* ~0 = "max" */
};

/* id, name, description */
#define FAIRSHARE_STATS(X)                                                                  \
	X(DIRECT, "direct", "wakeups dispatched straight to an idle CPU")                    \
	X(QUEUED, "queued", "tasks queued by hierarchical-weight vtime")                     \
	X(CHARGED_US, "charged_us", "CPU time charged to tasks (us)")                       \
	X(THROTTLES, "throttles", "cgroups that spent their cpu.max quota for a period")     \
	X(UNTHROTTLES, "unthrottles", "throttled cgroups released at their next period")    \
	X(PARKED, "parked", "wakeups parked because their cgroup was throttled")            \
	X(MOVES, "moves", "tasks moved between cgroups")                                    \
	X(WEIGHT_CHANGES, "weight_changes", "cpu.weight changes seen")                      \
	X(NO_SLOT, "no_slot", "cpu.max quotas ignored: more than FAIRSHARE_MAX_CAPPED cgroups")

SCXPP_STATS_ENUM(fairshare_stat, FAIRSHARE_STATS);

#endif /* SCXPP_EXAMPLES_FAIRSHARE_INTF_H_ */
