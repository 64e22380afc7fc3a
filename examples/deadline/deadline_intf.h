/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by deadline.bpf.c and the C++ side: the registration map's record and the stats list.
 *
 * Userspace admits a task by inserting a struct dl_task under its thread id into the hash map
 * "dl_tasks" (after the admission test); the BPF side schedules it by those parameters, keeps
 * its per-task stats in the same record and marks it DL_EXITED when the thread exits, for
 * userspace to release its reservation and delete the record.
 */
#ifndef SCXPP_EXAMPLES_DEADLINE_INTF_H_
#define SCXPP_EXAMPLES_DEADLINE_INTF_H_

#include <scxpp/bpf/stats_common.h>
#include <scxpp/bpf/tunables_common.h>

#define DL_MAX_TASKS 4096 /* admitted tasks at once (the hash map's size) */
#define DL_TASKS_MAP "dl_tasks"

enum dl_state {
	DL_ADMITTED = 1, /* written by userspace: schedule by these parameters */
	DL_EXITED = 2,   /* written by BPF: the thread exited; userspace releases it */
};

struct dl_task {
	/* Written by userspace at admission. */
	__u64 runtime_ns;  /* budget per period */
	__u64 deadline_ns; /* relative deadline */
	__u64 period_ns;   /* time between releases */
	__u64 jitter_ns;   /* a release may come this much early (see admission.h) */
	__s32 cpu;         /* the CPU it is partitioned onto */
	__u32 state;       /* enum dl_state */
	/* Written by BPF. */
	__u64 jobs;        /* jobs released */
	__u64 completed;   /* jobs that ran to a sleep (completion) */
	__u64 misses;      /* completions after the absolute deadline */
	__u64 overruns;    /* jobs that used up their budget and still wanted to run */
	__u64 throttles;   /* times the task was held until its next period */
	__s64 lateness_max_ns; /* largest completion - deadline (negative: always early) */
	__s64 lateness_sum_ns; /* sum over completed jobs, for the mean */
	__u64 used_max_ns;     /* most budget a job completed within (runtime: it overran) */
	__u64 used_sum_ns;     /* budget used by completed jobs, for the mean */
};

/* id, name, description */
#define DEADLINE_STATS(X)                                                                  \
	X(JOBS, "jobs", "jobs released by admitted tasks")                                \
	X(COMPLETED, "completed", "jobs of admitted tasks that completed (slept)")        \
	X(MISSES, "misses", "jobs that completed after their absolute deadline")          \
	X(OVERRUNS, "overruns", "jobs that exhausted their budget")                       \
	X(THROTTLES, "throttles", "times an admitted task was held until its next period") \
	X(PREEMPTS, "preempts", "admitted wakeups that preempted a later-deadline or best-effort task") \
	X(TIMER_KICKS, "timer_kicks", "budget/replenishment timer expiries")              \
	X(BE_QUEUED, "be_queued", "best-effort tasks queued by weighted vtime")           \
	X(RESCUED, "rescued", "best-effort tasks run ahead of vtime order: queued longer than max_wait_ms") \
	X(RCU_FIRST, "rcu_first", "preempted RCU readers put first to finish their section")

SCXPP_STATS_ENUM(deadline_stat, DEADLINE_STATS);

/* Live tunables (scxppctl set deadline KEY VALUE): id, name, default, min, max, description.
 * Reservations are not tunables: they change through admission (table "tasks"). */
#define DEADLINE_TUNABLES(X)                                                                 \
	X(BE_SLICE_US, be_slice_us, 3000, 100, 100000, "slice of best-effort tasks (us)")      \
	X(MAX_WAIT_MS, max_wait_ms, 1000, 100, 10000,                                          \
	  "longest a best-effort task waits before it runs ahead of vtime order (ms)")

SCXPP_TUNABLES_ENUM(deadline_tunable, DEADLINE_TUNABLES);

#endif /* SCXPP_EXAMPLES_DEADLINE_INTF_H_ */
