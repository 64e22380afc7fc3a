/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The DSQ-id plan shared by BPF and C++.
 *
 * sched_ext user DSQs are 64-bit ids with bit 63 clear, created by the BPF side. scxpp
 * gives them a typed layout so both sides agree on what an id means:
 *
 *     id = (kind << 32) | index        kind in enum scxpp_dsq_kind, index < 2^32
 *
 * e.g. the DSQ of LLC 3 is SCXPP_DSQ_ID(SCXPP_DSQ_LLC, 3). A scheduler declares which
 * kinds it uses and how many of each in a struct scxpp_dsq_plan (rodata, filled by C++
 * from the topology); scxpp_dsq_plan_create() (dsq.bpf.h) creates them all in ops.init.
 */
#ifndef SCXPP_BPF_DSQ_PLAN_COMMON_H_
#define SCXPP_BPF_DSQ_PLAN_COMMON_H_

#include "types_common.h"

/** What a user DSQ serves. */
enum scxpp_dsq_kind {
	SCXPP_DSQ_SHARED = 1, /**< one queue for the whole machine */
	SCXPP_DSQ_CPU = 2,    /**< one per CPU, index = CPU id */
	SCXPP_DSQ_LLC = 3,    /**< one per last-level cache, index = dense LLC index */
	SCXPP_DSQ_NODE = 4,   /**< one per NUMA node */
	SCXPP_DSQ_TENANT = 5, /**< one per tenant (e.g. cgroup), index chosen by the scheduler */
	SCXPP_DSQ_USER = 6,   /**< free for the scheduler's own use */
	SCXPP_DSQ_NR_KINDS,
};

/** The DSQ id of @index within @kind. */
#define SCXPP_DSQ_ID(kind, index) ((((__u64)(kind)) << 32) | (__u32)(index))
/** The kind of a plan DSQ id. */
#define SCXPP_DSQ_KIND_OF(id) ((__u32)((id) >> 32) & 0x7fffffff)
/** The index of a plan DSQ id. */
#define SCXPP_DSQ_INDEX_OF(id) ((__u32)(id))

/** Most DSQs whose depth scxpp_dsq_depths_read() reports (the first ones in plan order). */
#define SCXPP_MAX_PLAN_DSQS 4096
/** Name of the global rodata variable SCXPP_DSQ_PLAN_DEFINE() declares. */
#define SCXPP_DSQ_PLAN_VAR "scxpp_dsq_plan"
/** Name of the SYSCALL program that samples every plan DSQ's depth. */
#define SCXPP_DSQ_DEPTHS_PROG "scxpp_dsq_depths_read"
/** Name of the array map it fills (s32 per DSQ, in plan order: kind, then index). */
#define SCXPP_DSQ_DEPTHS_MAP "scxpp_dsq_depths"

/** How many DSQs of each kind to create; 0 = none of that kind. */
struct scxpp_dsq_plan {
	__u32 nr[SCXPP_DSQ_NR_KINDS]; /**< indexed by enum scxpp_dsq_kind */
};

#endif /* SCXPP_BPF_DSQ_PLAN_COMMON_H_ */
