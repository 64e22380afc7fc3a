/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by fairshare.bpf.c and its user space: the cgroup table's layout, limits, stats. */
#ifndef SCXPP_EXAMPLES_FAIRSHARE_INTF_H_
#define SCXPP_EXAMPLES_FAIRSHARE_INTF_H_

#include <scxpp/bpf/stats_common.h>
#include <scxpp/bpf/tunables_common.h>

#define FAIRSHARE_MAX_CGROUPS 16384 /* entries of the cgroup table */
#define FAIRSHARE_MAX_CAPPED 64     /* cgroups with a cpu.max quota at once */
#define FAIRSHARE_MAX_DEPTH 16      /* cgroup levels walked; deeper ones count as their ancestor */
#define FAIRSHARE_MAX_OWNERS 4096   /* delegated subtrees whose cgroups are counted */

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
	__u32 cpu_weight;    /* the kernel's cpu.weight (weight differs while overridden) */
	__u64 cpu_max_period_us; /* the kernel's cpu.max (quota_ns differs while overridden) */
	__u64 cpu_max_quota_us;  /* 0 = max */
	__u32 ovr_weight;    /* run-time override (scxppctl table fairshare tenants), 0 = none */
	__u32 pad;
	__u64 owner;         /* whose limits it counts to: its delegated subtree's id (0: root's) */
	__u64 ovr_period_us;
	__u64 ovr_quota_us;  /* 0 = no cap override */
};

/* A tenant's run-time override, written by overrides.cc (table "tenants"), applied by the timer. */
struct fairshare_override {
	__u32 weight;    /* 0: the cgroup's cpu.weight */
	__u32 pad;
	__u64 quota_us;  /* 0: the cgroup's cpu.max */
	__u64 period_us;
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
	X(NO_SLOT, "no_slot", "cpu.max quotas ignored: more than FAIRSHARE_MAX_CAPPED cgroups") \
	X(USER_NO_SLOT, "user_no_slot",                                                      \
	  "cpu.max quotas ignored: their delegated subtree has user_capped capped cgroups")   \
	X(UNTRACKED, "untracked",                                                            \
	  "cgroups not in the table (full, over user_cgroups, or under one not in it): their " \
	  "tasks count as the nearest ancestor's")                                           \
	X(RESCUED, "rescued", "tasks run ahead of vtime order: queued longer than max_wait_ms") \
	X(RCU_FIRST, "rcu_first", "preempted RCU readers put first to finish their section") \
	X(YIELDS, "yields", "sched_yield() calls, each charged as a full slice")

SCXPP_STATS_ENUM(fairshare_stat, FAIRSHARE_STATS);

/* Live tunables (scxppctl set fairshare KEY VALUE): id, name, default, min, max, description. */
#define FAIRSHARE_TUNABLES(X)                                                               \
	X(SLICE_US, slice_us, 5000, 100, 100000, "slice of every task (us)")                 \
	X(LAG_US, lag_us, 5000, 0, 1000000,                                                  \
	  "most CPU time (us, at the task's share) a task that slept may come back ahead by") \
	X(BW_TICK_US, bw_tick_us, 1000, 100, 100000,                                         \
	  "shortest sleep of the timer that ends throttled cgroups' periods (us)")             \
	X(MAX_WAIT_MS, max_wait_ms, 1000, 100, 10000,                                        \
	  "longest a task waits in the fair queue before it runs ahead of vtime order (ms)")  \
	X(USER_CGROUPS, user_cgroups, 1024, 0, FAIRSHARE_MAX_CGROUPS,                        \
	  "most cgroups one delegated subtree (a user's) may have in the table")               \
	X(USER_CAPPED, user_capped, 8, 0, FAIRSHARE_MAX_CAPPED,                              \
	  "most cgroups one delegated subtree may have cpu.max enforced for at once")

SCXPP_TUNABLES_ENUM(fairshare_tunable, FAIRSHARE_TUNABLES);

#endif /* SCXPP_EXAMPLES_FAIRSHARE_INTF_H_ */
