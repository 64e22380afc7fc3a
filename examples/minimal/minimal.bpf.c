/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minimal: a sched_ext scheduler.
 *
 * Policy. (Write here what the scheduler does and why; this essay is the first thing a
 * reader of the code sees.) As generated, it is a global FIFO: a waking task that finds an
 * idle CPU (the kernel's built-in idle tracking, through scx_bpf_select_cpu_dfl(), which
 * prefers the previous CPU and then an idle core) goes straight to that CPU's local queue;
 * every other runnable task is appended to one shared queue, and a CPU that runs out of
 * work takes the oldest task from it. Each task runs for one slice (--slice_us, default
 * 20 ms) before it goes to the back of the queue.
 *
 * Why a FIFO is the place to start: it has no notion of weight or latency, so it is unfair
 * to nice values and poor for interactive tasks, but it is work-conserving, cheap and
 * cache-friendly under CPU-bound load. scxpp's reference schedulers are measured against
 * it (as examples/minimal, which is this template) as well as against EEVDF.
 *
 * Where to start changing it: minimal_enqueue decides which queue a task goes to and in
 * what order; minimal_dispatch decides which queue a CPU serves. docs/writing-your-first-
 * scheduler.md in the scxpp sources walks from here to a weighted fair policy.
 */
#include <scxpp/bpf/scxpp.bpf.h>

#include "minimal_intf.h"

/* The kernel loads sched_ext programs only under a GPL-compatible licence. */
char _license[] SEC("license") = "GPL";

/* The live tunables (minimal_intf.h): start values from main.cc's flags, changed while it
 * runs with `scxppctl set minimal KEY VALUE`; every read sees the current value. */
SCXPP_TUNABLES(MINIMAL_TUNABLES);

static __always_inline u64 slice_ns(void)
{
	return scxpp_tunable(SLICE_US) * 1000;
}

SCXPP_STATS_MAP(SCXPP_NR_STATS);

s32 SCXPP_OPS(minimal_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	if (is_idle) {
		scxpp_stat_inc(SCXPP_STAT_DIRECT);
		scxpp_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns(), 0);
	}
	return cpu;
}

void SCXPP_OPS(minimal_enqueue, struct task_struct *p, u64 enq_flags)
{
	scxpp_stat_inc(SCXPP_STAT_QUEUED);
	scxpp_dsq_insert(p, MINIMAL_SHARED_DSQ, slice_ns(), enq_flags);
}

void SCXPP_OPS(minimal_dispatch, s32 cpu, struct task_struct *prev)
{
	if (scxpp_dsq_move_to_local(MINIMAL_SHARED_DSQ))
		scxpp_stat_inc(SCXPP_STAT_DISPATCHED);
}

s32 SCXPP_OPS_SLEEPABLE(minimal_init)
{
	return scx_bpf_create_dsq(MINIMAL_SHARED_DSQ, -1);
}

void SCXPP_OPS(minimal_exit, struct scx_exit_info *ei)
{
	/* Lets main.cc report how and why the scheduler ended. */
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(minimal_ops,
		 .select_cpu = (void *)minimal_select_cpu,
		 .enqueue = (void *)minimal_enqueue,
		 .dispatch = (void *)minimal_dispatch,
		 .init = (void *)minimal_init,
		 .exit = (void *)minimal_exit,
		 .name = "minimal");
