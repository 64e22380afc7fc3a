/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by batch.bpf.c and main.cc: the stats list. */
#ifndef SCXPP_EXAMPLES_BATCH_INTF_H_
#define SCXPP_EXAMPLES_BATCH_INTF_H_

#include <scxpp/bpf/stats_common.h>

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
	X(EXPIRED, "expired", "batch slices that ran to the end with work waiting")

SCXPP_STATS_ENUM(batch_stat, BATCH_STATS);

#endif /* SCXPP_EXAMPLES_BATCH_INTF_H_ */
