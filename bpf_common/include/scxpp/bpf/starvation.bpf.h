/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Starvation guard: a bound on how long a task may wait in a user DSQ, whatever the policy.
 *
 * A queue order (weighted vtime, deadlines, priorities) bounds no single task's wait by
 * itself. A task whose vtime ran ahead (a low weight, or a run charged while its share was
 * small) waits until everything queued in front of it has caught up, and a steady stream
 * of tasks placed in front (new tasks and wakers start at the queue's clock: a fork storm)
 * can keep that from happening for seconds. The kernel's own backstops are blunt: its RCU
 * stall detector ejects the scheduler once a task preempted inside an RCU read-side section
 * has waited 21 s (CONFIG_RCU_CPU_STALL_TIMEOUT's default), and the sched_ext watchdog once
 * any task has waited timeout_ms (30 s by default). Seen in scxpp's 10-minute soak: a
 * stress-ng fork/yield/pipe mix kept a nice-5 kernel thread waiting in a vtime queue until
 * the RCU stall detector ejected fairshare, lowlat and deadline.
 *
 * scxpp_rescue_starved() is the bound below those: called periodically from a BPF timer, it
 * moves each task that has waited in a user DSQ for longer than max_wait_ms to the local DSQ
 * of a CPU it may run on and preempts that CPU, so it runs within about
 * max_wait_ms plus the call period. The wait is the kernel's own measure, p->scx.runnable_at
 * (the jiffy when the task last became runnable or was last taken off a CPU; what the
 * watchdog checks and the debug dump prints), so a scheduler keeps no bookkeeping for it.
 * What it costs: one walk of the DSQ per call (do not call it more often than needed: every
 * max_wait_ms / 4 is plenty), and for each rescued task one preemption; the policy's order
 * only yields for tasks that would otherwise have waited longer than the bound.
 *
 * Usage, for a scheduler without a timer of its own:
 *
 *   static void guard(void)
 *   {
 *           scxpp_stat_add(MY_STAT_RESCUED,
 *                          scxpp_rescue_starved(MY_DSQ, scxpp_tunable(MAX_WAIT_MS), 8,
 *                                               SCXPP_RESCUE_TO_CPU));
 *   }
 *   SCXPP_STARVATION_GUARD_DEFINE(guard);
 *   ... in ops.init:  ret = scxpp_starvation_guard_start();
 *
 * A scheduler that has a periodic timer already may call scxpp_rescue_starved() from it.
 *
 * Minimum kernel: 6.12 (DSQ iteration, moves from a BPF timer).
 */
#ifndef SCXPP_BPF_STARVATION_BPF_H_
#define SCXPP_BPF_STARVATION_BPF_H_

#include "base.bpf.h"
#include "sched_math_common.h"
#include "kfuncs.bpf.h"
#include "stats.bpf.h"
#include "tunables.bpf.h"

/* scxpp_rescue_starved()'s @to_dsq: a CPU's local DSQ, preempting what runs there. */
#define SCXPP_RESCUE_TO_CPU SCX_DSQ_LOCAL

/*
 * How many queued tasks one scxpp_rescue_starved() call looks at, per walk. Each step of a
 * DSQ walk takes the DSQ's lock. Unbounded, two walks of 10,000 queued tasks (a mass
 * wakeup) every 100 ms from the timer's softirq slowed an ASan build of fairshare under TCG
 * so far that 10,000 woken threads took 1 min 54 s to join and the kernel's own watchdog
 * worker, queued behind them, missed its 30 s check-in (7.3; on 6.16 the RCU grace-period
 * kthread starved for 21 s); bounded, that case alone joined in 9 s. Past this many a call
 * sees only one end of the queue, so calls alternate: from the head, then from the tail
 * (where a vtime queue keeps the tasks whose vtime ran furthest ahead: a nice-19 kernel
 * thread went unseen for 43 s with head-only walks). Define it before including this
 * header to change it. The step count is a global, not a local: a counted local makes the
 * verifier tell every iteration apart (fairshare then hit the 1M-instruction limit). Calls
 * from one guard timer never overlap, so one counter serves.
 */
#ifndef SCXPP_RESCUE_MAX_SCAN
#define SCXPP_RESCUE_MAX_SCAN 1024
#endif

/* How often the guard timer of SCXPP_STARVATION_GUARD_DEFINE() calls its function. */
#define SCXPP_STARVATION_GUARD_PERIOD_NS (100ULL * 1000 * 1000)

/*
 * The kernel's HZ, measured: BPF has no constant for it. jiffies and the monotonic clock are
 * sampled at the first call; from one second on, HZ is their ratio (to within 1 jiffy per
 * second) and is kept. 0 until then.
 */
static u64 scxpp__starve_t0, scxpp__starve_j0, scxpp__starve_hz;
/* Steps taken by the current walk, and calls so far (see SCXPP_RESCUE_MAX_SCAN). */
static u32 scxpp__starve_seen, scxpp__starve_calls;

static __always_inline u64 scxpp__starve_hz_now(void)
{
	u64 t = bpf_ktime_get_ns(), j = bpf_jiffies64();

	if (scxpp__starve_hz)
		return scxpp__starve_hz;
	if (!scxpp__starve_t0) {
		scxpp__starve_t0 = t;
		scxpp__starve_j0 = j;
		return 0;
	}
	if (t - scxpp__starve_t0 < 1000ULL * 1000 * 1000)
		return 0;
	scxpp__starve_hz = ((j - scxpp__starve_j0) * 1000ULL * 1000 * 1000 +
			    (t - scxpp__starve_t0) / 2) / (t - scxpp__starve_t0);
	return scxpp__starve_hz;
}

/**
 * Move up to @max_moves tasks that have waited in user DSQ @dsq_id for more than
 * @max_wait_ms, the longest-waiting first, to @to_dsq. Returns how many were moved: 0 while
 * nothing waited that long, and during the guard's first second (while it measures HZ).
 *
 * @to_dsq is SCXPP_RESCUE_TO_CPU (the local DSQ of a CPU the task may run on, its own when
 * allowed, and that CPU is preempted: the task runs next), or a user DSQ the scheduler's
 * ops.dispatch serves before @dsq_id (FIFO; an idle CPU is kicked to pull it): for a
 * scheduler that must keep something else first, as deadline keeps its EDF queues.
 *
 * Longest-waiting first matters under overload, when many tasks are over the bound: the
 * ones rescued are those the queue order has put off longest (within 100 ms of the oldest
 * wait), not those it would have run next anyway. Two walks of the DSQ, each of at most
 * SCXPP_RESCUE_MAX_SCAN tasks (1024), both from the head or both from the tail (calls
 * alternate): one finds the oldest wait, one moves.
 *
 * Call from a BPF timer callback or another context that holds no run-queue lock and is
 * outside any RCU read-side section (the function takes one). Minimum kernel: 6.12.
 */
static __always_inline u32 scxpp_rescue_starved(u64 dsq_id, u64 max_wait_ms, u32 max_moves,
						u64 to_dsq)
{
	u64 hz = scxpp__starve_hz_now(), limit, oldest, cutoff, dir;
	struct task_struct *p;
	bool any = false;
	u32 moved = 0;
	s32 cpu;

	if (!hz || !max_moves || !scx_bpf_dsq_nr_queued(dsq_id))
		return 0;
	/* Runnable since before this jiffy: waited more than max_wait_ms. */
	limit = bpf_jiffies64() - (max_wait_ms * hz + 999) / 1000;
	oldest = limit;
	dir = (scxpp__starve_calls++ & 1) ? SCX_DSQ_ITER_REV : 0;
	scxpp__starve_seen = 0;
	bpf_rcu_read_lock();
	scxpp_dsq_for_each_flags(p, dsq_id, dir) {
		if (++scxpp__starve_seen > SCXPP_RESCUE_MAX_SCAN)
			break;
		if (scxpp_time_before(p->scx.runnable_at, oldest)) {
			oldest = p->scx.runnable_at;
			any = true;
		}
	}
	if (!any)
		goto out;
	/* The oldest tranche: within 100 ms of the longest wait, and over the bound. */
	cutoff = oldest + hz / 10 + 1;
	if (scxpp_time_before(limit, cutoff))
		cutoff = limit;
	scxpp__starve_seen = 0;
	scxpp_dsq_for_each_flags(p, dsq_id, dir) {
		if (++scxpp__starve_seen > SCXPP_RESCUE_MAX_SCAN)
			break;
		if (!scxpp_time_before(p->scx.runnable_at, cutoff))
			continue;
		if (to_dsq != SCXPP_RESCUE_TO_CPU) {
			if (scxpp_dsq_move(SCXPP_DSQ_ITER, p, to_dsq, 0)) {
				cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
				if (cpu >= 0)
					scx_bpf_kick_cpu(cpu, SCXPP_KICK_IDLE);
				if (++moved >= max_moves)
					break;
			}
			continue;
		}
		/* Its own CPU where it may run there (a migration-disabled task must). */
		cpu = scx_bpf_task_cpu(p);
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			cpu = scx_bpf_pick_any_cpu(p->cpus_ptr, 0);
		if (cpu < 0)
			continue;
		/* At the tail: a stream of head insertions would starve what waits there. */
		if (scxpp_dsq_move(SCXPP_DSQ_ITER, p, SCX_DSQ_LOCAL_ON | cpu, 0)) {
			scx_bpf_kick_cpu(cpu, SCXPP_KICK_PREEMPT);
			if (++moved >= max_moves)
				break;
		}
	}
out:
	bpf_rcu_read_unlock();
	return moved;
}

/**
 * True if @p was taken off a CPU inside an RCU read-side critical section (kernels with
 * preemptible RCU, which Debian's PREEMPT_DYNAMIC kernels have; always false elsewhere).
 * Until it runs again and leaves the section, no RCU grace period can end: memory frees
 * back up behind it, and after 21 s the RCU stall detector ejects the BPF scheduler. A
 * low-weight kernel thread (khugepaged runs at nice 19: weight 1) preempted there by a busy
 * machine is the typical case. Kernels with RCU priority boosting (CONFIG_RCU_BOOST, off in
 * Debian's) boost such a task after 500 ms; a scheduler can do better at enqueue time, see
 * scxpp_rcu_reader_first(). Minimum kernel: 6.12.
 */
/**
 * A CO-RE flavour of task_struct with only the field scxpp_task_in_rcu_read_section()
 * reads: it exists only with CONFIG_PREEMPT_RCU, so a vmlinux.h from a kernel without it
 * (Debian's arm64 cloud kernel) does not declare it, and the relocation resolves against the
 * running kernel either way.
 */
struct task_struct___scxpp_rcu {
	void *rcu_blocked_node; /**< the rcu_node a preempted reader is queued on, or NULL */
} __attribute__((preserve_access_index));

static __always_inline bool scxpp_task_in_rcu_read_section(const struct task_struct *p)
{
	const struct task_struct___scxpp_rcu *t = (const void *)p;

	/*
	 * Not rcu_read_lock_nesting: a BPF program runs inside an RCU read-side section of its
	 * own, which counts in current's nesting, and ops.enqueue often runs as the task it
	 * enqueues (a preempted or yielding current). rcu_blocked_node is set only when the
	 * task was switched out inside a section (rcu_note_context_switch(), which __schedule()
	 * calls before the previous task is put back), and cleared when it leaves the section.
	 */
	if (bpf_core_field_exists(t->rcu_blocked_node))
		return BPF_CORE_READ(t, rcu_blocked_node) != NULL;
	return false;
}

/**
 * For ops.enqueue: if @p was preempted inside an RCU read-side critical section, insert it
 * at the head of its CPU's local DSQ with @slice and return true (the caller returns);
 * otherwise do nothing and return false. The task finishes its section (kernel code, short
 * by design) before anything else runs there, as on a kernel without preemptible RCU.
 * Minimum kernel: 6.12.
 */
static __always_inline bool scxpp_rcu_reader_first(struct task_struct *p, u64 slice,
						   u64 enq_flags)
{
	if (!scxpp_task_in_rcu_read_section(p))
		return false;
	scxpp_dsq_insert(p, SCX_DSQ_LOCAL, slice, enq_flags | SCXPP_ENQ_HEAD);
	return true;
}

/// @cond
struct scxpp__starvation_timer {
	struct bpf_timer timer;
};
/// @endcond

/*
 * SCXPP_STARVATION_GUARD_DEFINE(fn): a BPF timer that calls `static void fn(void)` every
 * SCXPP_STARVATION_GUARD_PERIOD_NS (100 ms); fn calls scxpp_rescue_starved() for each DSQ
 * to guard. Start it from ops.init with scxpp_starvation_guard_start(), which returns 0 or
 * a negative errno (and then has reported it with scxpp_error(): return it from ops.init).
 */
#define SCXPP_STARVATION_GUARD_DEFINE(fn)                                                   \
	struct {                                                                            \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                           \
		__uint(max_entries, 1);                                                     \
		__type(key, u32);                                                           \
		__type(value, struct scxpp__starvation_timer);                              \
	} scxpp_starvation_timer SEC(".maps");                                              \
	static int scxpp__starvation_timer_fn(void *map, int *key, struct bpf_timer *timer) \
	{                                                                                   \
		fn();                                                                       \
		bpf_timer_start(timer, SCXPP_STARVATION_GUARD_PERIOD_NS, 0);                \
		return 0;                                                                   \
	}                                                                                   \
	static __always_inline s32 scxpp_starvation_guard_start(void)                      \
	{                                                                                   \
		u32 ___key = 0;                                                             \
		struct scxpp__starvation_timer *___t =                                      \
			bpf_map_lookup_elem(&scxpp_starvation_timer, &___key);              \
		s32 ___ret;                                                                 \
                                                                                            \
		if (!___t)                                                                  \
			return -ENOMEM;                                                     \
		___ret = bpf_timer_init(&___t->timer, &scxpp_starvation_timer,              \
					1 /* CLOCK_MONOTONIC */);                           \
		if (!___ret)                                                                \
			___ret = bpf_timer_set_callback(&___t->timer,                       \
							scxpp__starvation_timer_fn);        \
		if (!___ret)                                                                \
			___ret = bpf_timer_start(&___t->timer,                              \
						 SCXPP_STARVATION_GUARD_PERIOD_NS, 0);      \
		if (___ret)                                                                 \
			scxpp_error("starting the starvation guard failed: %d", ___ret);    \
		return ___ret;                                                              \
	}

#endif /* SCXPP_BPF_STARVATION_BPF_H_ */
