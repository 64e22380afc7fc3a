/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The test scheduler's shared definitions: its faults and its stats. */
#ifndef SCXPP_TESTS_VM_TESTSCHED_INTF_H_
#define SCXPP_TESTS_VM_TESTSCHED_INTF_H_

#include <scxpp/bpf/stats_common.h>

enum testsched_fault {
	TESTSCHED_FAULT_NONE = 0,
	TESTSCHED_FAULT_ERROR = 1,   /* scxpp_error() after fault_after dispatches */
	TESTSCHED_FAULT_STALL = 2,   /* strand tasks named stall_comm on a DSQ nobody serves */
	TESTSCHED_FAULT_RESTART = 3, /* exit asking userspace to restart, after fault_after */
	TESTSCHED_FAULT_INIT = 4,    /* ops.init fails */
	/* Building blocks misused, after fault_after dispatches (the kernel selftests'
	 * ddsp_bogus_dsq and select_cpu_dispatch_dbl_dsp cases): */
	TESTSCHED_FAULT_BAD_DSQ = 5,       /* insert into a DSQ id that was never created */
	TESTSCHED_FAULT_DOUBLE_INSERT = 6, /* insert the same task twice in one enqueue */
};

/* The DSQ id TESTSCHED_FAULT_BAD_DSQ inserts into: no DSQ plan creates it. */
#define TESTSCHED_BAD_DSQ 0xbad0ULL

#define TESTSCHED_STATS(X)                                              \
	X(ENQUEUED, "enqueued", "tasks queued by vtime")                 \
	X(DIRECT, "direct", "wakeups dispatched to an idle CPU")         \
	X(DISPATCHED, "dispatched", "tasks moved to a local DSQ")        \
	X(STRANDED, "stranded", "tasks put where nothing serves them")   \
	X(RESCUED, "rescued", "stranded tasks the starvation guard ran")

SCXPP_STATS_ENUM(testsched_stat, TESTSCHED_STATS);

#endif /* SCXPP_TESTS_VM_TESTSCHED_INTF_H_ */
