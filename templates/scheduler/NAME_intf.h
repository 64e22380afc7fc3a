/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by @name@.bpf.c and main.cc: the stats and tunables lists and the DSQ ids. */
#ifndef @NAME@_INTF_H_
#define @NAME@_INTF_H_

#include <scxpp/bpf/stats_common.h>
#include <scxpp/bpf/tunables_common.h>

/*
 * The counters the BPF side bumps with scxpp_stat_inc(SCXPP_STAT_<id>) and main.cc prints
 * with --stats_interval. Columns: id, name, description.
 */
#define @NAME@_STATS(X)                                                            \
	X(DIRECT, "direct", "wakeups dispatched straight to an idle CPU")          \
	X(QUEUED, "queued", "tasks queued on the shared queue")                   \
	X(DISPATCHED, "dispatched", "tasks moved from the shared queue to a CPU")

SCXPP_STATS_ENUM(@name@_stat, @NAME@_STATS);

/*
 * The live tunables: each line gives the BPF value (scxpp_tunable(SLICE_US)), the flag
 * (--slice_us, with this default and range), and the `scxppctl set` key. Columns: id, name,
 * default, min, max, description (say the unit).
 */
#define @NAME@_TUNABLES(X) \
	X(SLICE_US, slice_us, 20000, 100, 100000, "time slice of every task (us)")

SCXPP_TUNABLES_ENUM(@name@_tunable, @NAME@_TUNABLES);

/* The one shared queue (a user DSQ) every CPU takes work from. */
#define @NAME@_SHARED_DSQ 0

#endif /* @NAME@_INTF_H_ */
