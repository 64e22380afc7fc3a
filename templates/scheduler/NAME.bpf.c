/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * @name@: a sched_ext scheduler.
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
 * Where to start changing it: @name@_enqueue decides which queue a task goes to and in
 * what order; @name@_dispatch decides which queue a CPU serves. docs/writing-your-first-
 * scheduler.md in the scxpp sources walks from here to a weighted fair policy.
 */
#include <scxpp/bpf/scxpp.bpf.h>

#include "@name@_intf.h"

/* The kernel loads sched_ext programs only under a GPL-compatible licence. */
char _license[] SEC("license") = "GPL";

/* The live tunables (@name@_intf.h): start values from main.cc's flags, changed while it
 * runs with `scxppctl set @name@ KEY VALUE`; every read sees the current value. */
SCXPP_TUNABLES(@NAME@_TUNABLES);

static __always_inline u64 slice_ns(void)
{
	return scxpp_tunable(SLICE_US) * 1000;
}

SCXPP_STATS_MAP(SCXPP_NR_STATS);

s32 SCXPP_OPS(@name@_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	if (is_idle) {
		scxpp_stat_inc(SCXPP_STAT_DIRECT);
		scxpp_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns(), 0);
	}
	return cpu;
}

void SCXPP_OPS(@name@_enqueue, struct task_struct *p, u64 enq_flags)
{
	scxpp_stat_inc(SCXPP_STAT_QUEUED);
	scxpp_dsq_insert(p, @NAME@_SHARED_DSQ, slice_ns(), enq_flags);
}

void SCXPP_OPS(@name@_dispatch, s32 cpu, struct task_struct *prev)
{
	if (scxpp_dsq_move_to_local(@NAME@_SHARED_DSQ))
		scxpp_stat_inc(SCXPP_STAT_DISPATCHED);
}

s32 SCXPP_OPS_SLEEPABLE(@name@_init)
{
	return scx_bpf_create_dsq(@NAME@_SHARED_DSQ, -1);
}

void SCXPP_OPS(@name@_exit, struct scx_exit_info *ei)
{
	/* Lets main.cc report how and why the scheduler ended. */
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(@name@_ops,
		 .select_cpu = (void *)@name@_select_cpu,
		 .enqueue = (void *)@name@_enqueue,
		 .dispatch = (void *)@name@_dispatch,
		 .init = (void *)@name@_init,
		 .exit = (void *)@name@_exit,
		 .name = "@name@");
