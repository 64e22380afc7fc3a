/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * DSQ helpers: create a DSQ plan (dsq_plan_common.h) in ops.init, direct dispatch, and
 * preemption kicks.
 */
#ifndef SCXPP_BPF_DSQ_BPF_H_
#define SCXPP_BPF_DSQ_BPF_H_

#include "base.bpf.h"
#include "dsq_plan_common.h"
#include "kfuncs.bpf.h"

/*
 * Create every DSQ of @plan (from ops.init, which may sleep). Returns 0 or the first error
 * (after reporting it with scxpp_error(), which names the DSQ).
 */
static __always_inline s32 scxpp_dsq_plan_create(const volatile struct scxpp_dsq_plan *plan)
{
	u32 kind, i;
	s32 ret;

	for (kind = SCXPP_DSQ_SHARED; kind < SCXPP_DSQ_NR_KINDS; kind++) {
		u32 nr = plan->nr[kind];

		bpf_for(i, 0, nr) {
			ret = scx_bpf_create_dsq(SCXPP_DSQ_ID(kind, i), -1);
			if (ret) {
				scxpp_error("creating DSQ kind %u index %u failed: %d", kind, i, ret);
				return ret;
			}
		}
	}
	return 0;
}

/*
 * SCXPP_DSQ_PLAN_DEFINE(): declare the scheduler's DSQ plan as read-only data named
 * scxpp_dsq_plan (filled by C++ before load, e.g. from scxpp::MakeDsqPlan()), plus a
 * SYSCALL program userspace runs to read every plan DSQ's depth (scxpp::ReadDsqDepths(),
 * shown with the runner's stats). Create the DSQs in ops.init with
 * scxpp_dsq_plan_create(&scxpp_dsq_plan).
 */
#define SCXPP_DSQ_PLAN_DEFINE()                                                        \
	const volatile struct scxpp_dsq_plan scxpp_dsq_plan;                           \
	struct {                                                                       \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                      \
		__uint(max_entries, SCXPP_MAX_PLAN_DSQS);                              \
		__type(key, u32);                                                      \
		__type(value, s32);                                                    \
	} scxpp_dsq_depths SEC(".maps");                                               \
	SEC("syscall") int scxpp_dsq_depths_read(void *ctx)                            \
	{                                                                              \
		u32 kind, i, slot = 0;                                                 \
                                                                                       \
		for (kind = SCXPP_DSQ_SHARED; kind < SCXPP_DSQ_NR_KINDS; kind++) {     \
			bpf_for(i, 0, scxpp_dsq_plan.nr[kind]) {                       \
				s32 *v = bpf_map_lookup_elem(&scxpp_dsq_depths, &slot); \
                                                                                       \
				if (!v)                                                \
					return slot;                                   \
				*v = scx_bpf_dsq_nr_queued(SCXPP_DSQ_ID(kind, i));     \
				slot++;                                                \
			}                                                              \
		}                                                                      \
		return slot;                                                           \
	}

/* Put @p on the local DSQ of the CPU select_cpu() returns (call from select_cpu). */
static __always_inline void scxpp_dispatch_local(struct task_struct *p, u64 slice, u64 enq_flags)
{
	scxpp_dsq_insert(p, SCX_DSQ_LOCAL, slice, enq_flags);
}

/*
 * Put @p on @cpu's local DSQ (from enqueue or dispatch). From ops.enqueue of a wakeup, a
 * @cpu other than the one the task is being enqueued on makes the kernel count
 * SCX_EV_SELECT_CPU_FALLBACK (6.15+), as if ops.select_cpu() had picked a CPU the task may
 * not use: choose that CPU in ops.select_cpu() instead (lowlat does).
 */
static __always_inline void scxpp_dispatch_local_on(struct task_struct *p, s32 cpu, u64 slice,
						    u64 enq_flags)
{
	scxpp_dsq_insert(p, SCX_DSQ_LOCAL_ON | (u64)cpu, slice, enq_flags);
}

/* Make @cpu drop what it runs now and go through dispatch (its current task's slice ends). */
static __always_inline void scxpp_kick_preempt(s32 cpu)
{
	scx_bpf_kick_cpu(cpu, SCXPP_KICK_PREEMPT);
}

/* Wake @cpu if it is idle, so it looks for work. */
static __always_inline void scxpp_kick_idle(s32 cpu)
{
	scx_bpf_kick_cpu(cpu, SCXPP_KICK_IDLE);
}

/*
 * SCX_OPS_ENQ_LAST. A policy that holds runnable tasks back (a cap, a budget, a throttle) sets
 * .flags = SCX_OPS_ENQ_LAST: otherwise, when a CPU's current task uses up its slice and
 * ops.dispatch() finds nothing else for that CPU, the kernel runs it on with a fresh
 * SCX_SLICE_DFL without calling ops.enqueue(), and the policy never gets to hold it. With the
 * flag, ops.enqueue() is called with SCXPP_ENQ_LAST instead; hold the task there if it is held
 * back, and otherwise use one of these two.
 */

/*
 * The last runnable task of its CPU (@enq_flags has SCXPP_ENQ_LAST) keeps that CPU for @slice:
 * on its local DSQ, with a kick so the CPU, on its way to idle, picks it up. Returns false,
 * doing nothing, for any other enqueue. Needs 6.12.
 */
static __always_inline bool scxpp_keep_last(struct task_struct *p, u64 slice, u64 enq_flags)
{
	if (!(enq_flags & SCXPP_ENQ_LAST))
		return false;
	scxpp_dsq_insert(p, SCX_DSQ_LOCAL, slice, enq_flags);
	scxpp_kick_idle(scx_bpf_task_cpu(p));
	return true;
}

/*
 * For a last runnable task (SCXPP_ENQ_LAST) the policy just put on one of its own DSQs rather
 * than the local one: kick this CPU, on its way to idle, so that it goes through
 * ops.dispatch() and finds the task at once. Does nothing for any other enqueue. Needs 6.12.
 */
static __always_inline void scxpp_kick_if_last(u64 enq_flags)
{
	if (enq_flags & SCXPP_ENQ_LAST)
		scxpp_kick_idle(bpf_get_smp_processor_id());
}

#endif /* SCXPP_BPF_DSQ_BPF_H_ */
