/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * testsched: a small weighted-vtime scheduler with injectable faults, for the VM tests of
 * the library (exit info, watchdog, restart, attach/detach cycles) and of the BPF building
 * blocks (task context, vtime with lag clamp, DSQ plan, idle selection, stats).
 *
 * Policy: one shared vtime-ordered DSQ from the DSQ plan; a task's vtime advances by its
 * weighted run time and is clamped to at most one slice of lag behind the queue; wakeups
 * that find an idle CPU go straight to it.
 */
#include <scxpp/bpf/scxpp.bpf.h>
#include <scxpp/bpf/starvation.bpf.h>

#include "testsched_intf.h"

char _license[] SEC("license") = "GPL";

const volatile u32 fault;
const volatile u64 fault_after = 200;
const volatile char stall_comm[16];
const volatile u64 slice_ns = 5ULL * 1000 * 1000;
/* > 0: the starvation guard runs what waited in the dead DSQ this long (ms). */
const volatile u64 guard_ms;
/* main.cc plans: shared:0 (the run queue), cpu:* (unused, exercises creation), user:0. */
SCXPP_DSQ_PLAN_DEFINE();

#define SHARED_DSQ SCXPP_DSQ_ID(SCXPP_DSQ_SHARED, 0)
#define DEAD_DSQ SCXPP_DSQ_ID(SCXPP_DSQ_USER, 0) /* nobody serves it */

struct task_ctx {
	u64 vtime;
};
SCXPP_TASK_CTX_DEFINE(struct task_ctx);
SCXPP_STATS_MAP(SCXPP_NR_STATS);

static u64 queue_vtime; /* vtime of the task that started running last */
static u64 nr_dispatched;

static bool is_stall_victim(const struct task_struct *p)
{
	char comm[16];
	int i;

	if (fault != TESTSCHED_FAULT_STALL)
		return false;
	bpf_probe_read_kernel_str(comm, sizeof(comm), p->comm);
	for (i = 0; i < 16; i++) {
		if (comm[i] != stall_comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

s32 SCXPP_OPS(testsched_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu;

	if (is_stall_victim(p))
		return prev_cpu;
	cpu = scxpp_select_idle_cpu(p, prev_cpu, wake_flags, &is_idle);
	if (is_idle) {
		scxpp_stat_inc(SCXPP_STAT_DIRECT);
		scxpp_dispatch_local(p, slice_ns, 0);
	}
	return cpu;
}

void SCXPP_OPS(testsched_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	u64 vtime;

	if (is_stall_victim(p)) {
		scxpp_stat_inc(SCXPP_STAT_STRANDED);
		scxpp_dsq_insert(p, DEAD_DSQ, slice_ns, enq_flags);
		return;
	}
	if (!tctx) {
		scxpp_error("task %d has no context", p->pid);
		return;
	}
	vtime = scxpp_vtime_clamp_lag(tctx->vtime, queue_vtime, slice_ns);
	scxpp_stat_inc(SCXPP_STAT_ENQUEUED);
	if (fault == TESTSCHED_FAULT_BAD_DSQ && nr_dispatched >= fault_after) {
		scxpp_dsq_insert(p, TESTSCHED_BAD_DSQ, slice_ns, enq_flags);
		return;
	}
	scxpp_dsq_insert_vtime(p, SHARED_DSQ, slice_ns, vtime, enq_flags);
	if (fault == TESTSCHED_FAULT_DOUBLE_INSERT && nr_dispatched >= fault_after)
		scxpp_dsq_insert_vtime(p, SHARED_DSQ, slice_ns, vtime, enq_flags);
}

void SCXPP_OPS(testsched_dispatch, s32 cpu, struct task_struct *prev)
{
	if (!scxpp_dsq_move_to_local(SHARED_DSQ))
		return;
	scxpp_stat_inc(SCXPP_STAT_DISPATCHED);
	nr_dispatched++;
	if (fault == TESTSCHED_FAULT_ERROR && nr_dispatched == fault_after)
		scxpp_error("injected error after %llu dispatches", nr_dispatched);
	if (fault == TESTSCHED_FAULT_RESTART && nr_dispatched == fault_after)
		scxpp_exit(SCX_ECODE_ACT_RESTART, "injected restart request");
}

void SCXPP_OPS(testsched_running, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx && scxpp_time_before(queue_vtime, tctx->vtime))
		queue_vtime = tctx->vtime;
}

void SCXPP_OPS(testsched_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx)
		tctx->vtime += scxpp_vtime_delta(slice_ns - p->scx.slice, p->scx.weight);
}

void SCXPP_OPS(testsched_enable, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx)
		tctx->vtime = queue_vtime;
}

s32 SCXPP_OPS_SLEEPABLE(testsched_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	return scxpp_task_ctx_create(p) ? 0 : -ENOMEM;
}

static void guard_dead_dsq(void)
{
	scxpp_stat_add(SCXPP_STAT_RESCUED, scxpp_rescue_starved(DEAD_DSQ, guard_ms, 8, SCXPP_RESCUE_TO_CPU));
}
SCXPP_STARVATION_GUARD_DEFINE(guard_dead_dsq);

s32 SCXPP_OPS_SLEEPABLE(testsched_init)
{
	if (fault == TESTSCHED_FAULT_INIT) {
		scxpp_error("injected init failure");
		return -ENOMEM;
	}
	if (!scxpp_dsq_plan.nr[SCXPP_DSQ_SHARED] || !scxpp_dsq_plan.nr[SCXPP_DSQ_USER]) {
		scxpp_error("the DSQ plan needs shared:0 and user:0");
		return -EINVAL;
	}
	if (guard_ms) {
		s32 ret = scxpp_starvation_guard_start();

		if (ret)
			return ret;
	}
	return scxpp_dsq_plan_create(&scxpp_dsq_plan);
}

void SCXPP_OPS(testsched_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(testsched_ops,
		 .select_cpu = (void *)testsched_select_cpu,
		 .enqueue = (void *)testsched_enqueue,
		 .dispatch = (void *)testsched_dispatch,
		 .running = (void *)testsched_running,
		 .stopping = (void *)testsched_stopping,
		 .enable = (void *)testsched_enable,
		 .init_task = (void *)testsched_init_task,
		 .init = (void *)testsched_init,
		 .exit = (void *)testsched_exit,
		 .timeout_ms = 3000,
		 .name = "testsched");
