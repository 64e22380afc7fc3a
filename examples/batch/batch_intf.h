/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by batch.bpf.c and main.cc: the stats and tunables lists. */
#ifndef SCXPP_EXAMPLES_BATCH_INTF_H_
#define SCXPP_EXAMPLES_BATCH_INTF_H_

#include <scxpp/bpf/stats_common.h>
#include <scxpp/bpf/tunables_common.h>

/* id, name, description */
#define BATCH_STATS(X)                                                                       \
	X(DIRECT, "direct", "wakeups dispatched straight to an idle CPU")                     \
	X(QUEUED, "queued", "tasks queued on their CPU's batch queue")                        \
	X(LOCAL_RUNS, "local_runs", "dispatches from the CPU's own queue")                    \
	X(STEALS_LLC, "steals_llc", "tasks an idle CPU took from another CPU of its LLC")      \
	X(STEALS_REMOTE, "steals_remote", "tasks an idle CPU took from another LLC")          \
	X(INTERACTIVE, "interactive", "wakeups served first by the interactive escape hatch") \
	X(INTER_PREEMPTS, "inter_preempts", "interactive wakeups that cut a batch slice short") \
	X(INTER_DEMOTIONS, "inter_demotions", "interactive tasks that ran too long and lost it") \
	X(EXPIRED, "expired", "batch slices that ran to the end with work waiting")           \
	X(LEFT_HOT, "left_hot", "times a CPU about to idle left a cache-hot or new task where it was") \
	X(INTER_FULL, "inter_full", "interactive wakeups queued as batch work: the hatch was full") \
	X(BATCH_TURNS, "batch_turns", "batch tasks served before waiting interactive work: it had its turn")

SCXPP_STATS_ENUM(batch_stat, BATCH_STATS);

/* Live tunables (scxppctl set batch KEY VALUE): id, name, default, min, max, description. */
#define BATCH_TUNABLES(X)                                                                    \
	X(SLICE_US, slice_us, 20000, 1000, 1000000,                                           \
	  "slice of a nice-0 batch task (us); scaled by weight within [slice/8, slice*8]")    \
	X(INTERACTIVE, interactive, 1, 0, 1,                                                  \
	  "escape hatch: serve tasks that sleep often and run briefly first (0/1)")           \
	X(INTER_MAX_BURST_US, interactive_max_burst_us, 1000, 50, 1000000,                    \
	  "most CPU time per wakeup (decaying average) of an interactive task, and its slice " \
	  "(us); at most slice_us")                                                           \
	X(PREEMPT_AFTER_US, preempt_after_us, 2000, 0, 1000000,                               \
	  "an interactive wakeup may end a batch slice only after it ran this long (us); "      \
	  "at most slice_us")                                                                 \
	X(CACHE_HOT_US, cache_hot_us, 500, 0, 100000,                                         \
	  "a task that ran on another CPU less than this ago (us) is left there while it "    \
	  "waits that long at most; 0 moves it at once")

SCXPP_TUNABLES_ENUM(batch_tunable, BATCH_TUNABLES);

#endif /* SCXPP_EXAMPLES_BATCH_INTF_H_ */
