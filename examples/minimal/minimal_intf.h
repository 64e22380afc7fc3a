/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by minimal.bpf.c and main.cc: the stats list and the shared DSQ. */
#ifndef SCXPP_EXAMPLES_MINIMAL_INTF_H_
#define SCXPP_EXAMPLES_MINIMAL_INTF_H_

#include <scxpp/bpf/stats_common.h>

/* id, name, description */
#define MINIMAL_STATS(X)                                                             \
	X(DIRECT, "direct", "wakeups dispatched straight to an idle CPU's local DSQ")    \
	X(QUEUED, "queued", "tasks queued on the shared FIFO")                          \
	X(DISPATCHED, "dispatched", "tasks moved from the shared FIFO to a CPU")

SCXPP_STATS_ENUM(minimal_stat, MINIMAL_STATS);

/* The one shared FIFO every CPU takes work from. */
#define MINIMAL_SHARED_DSQ 0

#endif /* SCXPP_EXAMPLES_MINIMAL_INTF_H_ */
