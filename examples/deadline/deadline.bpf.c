/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * deadline: earliest-deadline-first for admitted real-time tasks, with budgets; weighted
 * fair sharing of what is left for everything else. For machines that run periodic control
 * loops next to best-effort work (robots, edge boxes), without RT privileges for the
 * applications and without the kernel's SCHED_DEADLINE.
 *
 * The contract. A real-time task is registered with a reservation (runtime C, relative
 * deadline D, period T; C <= D <= T): in every period it may run for C, and each job must
 * finish within D of its release. Userspace (main.cc, admission.cc) admits a task only if the
 * whole admitted set stays schedulable — partitioned EDF: each admitted task is bound to one
 * CPU, and each CPU's set passes the exact processor-demand test for EDF within the share of
 * the CPU admission allows (--capacity). An admitted task then gets its reservation whatever
 * the best-effort load does, and it cannot take more than its reservation from anyone.
 *
 * Jobs (the sporadic task model). A job's absolute deadline is release + D, its budget C,
 * and it completes when the task sleeps. Releases are never closer than T - J: a wakeup at
 * least T - J after the previous release releases a job at once; a wakeup that comes sooner,
 * after the previous job completed and at most T/2 early, releases a job at the earliest
 * allowed time (previous release + T - J) — it runs at once, with that later deadline; any
 * other wakeup (a task that sleeps more than once per job, or wakes far too early) continues
 * the current job with what is left of its budget. J, the release-jitter tolerance
 * (--jitter, a fraction of T), exists because the scheduler sees wakeups, not the
 * application's true releases: after a wakeup that came late (timer latency, a vCPU stall),
 * the next on-time wakeup comes less than T later, and without J the task's releases would
 * stay late for ever; with J they catch up by J per period. Running a job before its release
 * only moves work forward (the demand argument holds for jobs counted by their wakeup), each
 * job gets at most C before its deadline, and admission analyses every task with period
 * T - J: whatever a task does, its demand stays within what the test assumed, and it gets at
 * most C per T - J at real-time priority. Lateness = completion - deadline; a miss when
 * positive.
 *
 * Dispatch. Each CPU has an EDF queue (a DSQ ordered by absolute deadline) holding the
 * admitted tasks bound to it, and serves it before anything else. Best-effort tasks share one
 * queue ordered by weighted virtual time (nice is honoured, with a lag clamp so sleepers do not
 * bank credit) with slices of --be_slice_us. They never wait in a CPU's local queue: every
 * local-queue refill goes through ops.dispatch, so nothing is ever queued in front of an
 * admitted task's EDF queue. An admitted task's wakeup PREEMPTS what runs on its CPU when
 * that is a best-effort task or an admitted task with a later deadline (SCX_KICK_PREEMPT:
 * the running task's slice ends at once and it is re-queued where it came from); so a
 * best-effort task delays an admitted one only by the time the kick takes, never by a slice.
 * The starvation guard keeps that: a best-effort task queued for longer than --max_wait_ms,
 * or preempted inside an RCU read-side section, goes to a FIFO rescue queue that each CPU
 * serves after its EDF queue and before the best-effort queue (starvation.bpf.h), not to
 * a local queue.
 *
 * Budgets. An admitted task runs with its remaining budget as its slice, and a per-CPU BPF
 * timer fires when the budget runs out (the scheduler tick, 4 ms at HZ=250, is too coarse for
 * millisecond budgets). CPU time is what the kernel accounts to the task (se.sum_exec_runtime),
 * the clock SCHED_DEADLINE budgets use. A task that has used its budget and still wants to
 * run has overrun (counted once per job) and is throttled (counted) until its next period
 * (release + T), when it gets a new job with a fresh budget and deadline. Throttled means it
 * has lost its reservation, not necessarily that it cannot run: by default it runs as a
 * best-effort task meanwhile (it competes with best-effort work by weighted vtime, with one
 * slice of lag credit, and is preempted by any admitted wakeup); with --throttle=hold it
 * waits in its CPU's throttle queue instead, as under SCHED_DEADLINE. Either way an
 * overrunning task cannot make another admitted task miss: to the EDF queues it is never
 * more than the reservation that was admitted. The best-effort default lets a job that
 * overran by a little (measurement noise, a cache miss storm) finish within the period
 * instead of a whole period later.
 *
 * Release. When an admitted thread exits (ops.exit_task) its record is marked exited;
 * userspace then frees its reservation for later admissions and reports its stats. A task
 * whose registration is removed, or whose affinity no longer includes its CPU, is scheduled
 * as best-effort from its next enqueue on.
 *
 * Costs and what to change when you adapt it. Partitioning keeps every decision on one CPU
 * (no global queue lock, no migrations of real-time tasks) at the price of bin-packing:
 * a set that global EDF could run may be refused. Every best-effort wakeup goes through
 * ops.dispatch (one extra hop) so that nothing is ever queued ahead of an admitted task. An
 * admitted wakeup costs a kick (an IPI when remote). The timer fires once per admitted job
 * at most, plus once per throttle.
 */
#include <scxpp/bpf/scxpp.bpf.h>
#include <scxpp/bpf/starvation.bpf.h>

#include "deadline_intf.h"

char _license[] SEC("license") = "GPL";

/* Knobs, set by main.cc before load. */
/* Live knob (deadline_intf.h): --be_slice_us at start, `scxppctl set deadline be_slice_us N`. */
SCXPP_TUNABLES(DEADLINE_TUNABLES);
#define be_slice_ns (scxpp_tunable(BE_SLICE_US) * 1000)
const volatile u32 nr_cpu_ids = 1;
/* Throttled tasks: false = run as best-effort until the next period, true = do not run. */
const volatile bool throttle_hold = false;

/* shared:0 best-effort, cpu:N EDF queue, user:N throttle queue, user:nr_cpu_ids rescue */
SCXPP_DSQ_PLAN_DEFINE();
SCXPP_STATS_MAP(SCXPP_NR_STATS);

#define BE_DSQ SCXPP_DSQ_ID(SCXPP_DSQ_SHARED, 0)
#define EDF_DSQ(cpu) SCXPP_DSQ_ID(SCXPP_DSQ_CPU, (cpu))
#define THR_DSQ(cpu) SCXPP_DSQ_ID(SCXPP_DSQ_USER, (cpu))
/* Best-effort tasks the starvation guard rescued, and preempted RCU readers: FIFO, served
 * after the CPU's EDF queue and before the best-effort queue. */
#define RESCUE_DSQ SCXPP_DSQ_ID(SCXPP_DSQ_USER, nr_cpu_ids)
/* A budget smaller than this is used up: the timer and a kick cost about as much. */
#define MIN_BUDGET_NS (5ULL * 1000)
/* The timer treats expiries this close as due (saves a re-arm for a few microseconds). */
#define TIMER_SLACK_NS (20ULL * 1000)

#define CLOCK_MONOTONIC 1

/* Registrations: thread id -> reservation, CPU and per-task stats (see deadline_intf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DL_MAX_TASKS);
	__type(key, u32);
	__type(value, struct dl_task);
} dl_tasks SEC(".maps");

struct task_ctx {
	u64 vtime;           /* best-effort: weighted virtual time */
	u64 release;         /* admitted: current job's release */
	u64 deadline;        /* admitted: current job's absolute deadline */
	u64 budget;          /* admitted: what is left of the current job's budget */
	u64 run_start;       /* when it last started running */
	u64 exec_start;      /* its CPU time (se.sum_exec_runtime) then */
	u64 throttled_until; /* admitted: held until then (0: not throttled) */
	bool admitted;       /* scheduled as admitted (has a job) */
	bool job_done;       /* the current job's completion is recorded */
	bool overran;        /* the current job's overrun is counted */
	bool replenish;      /* throttled for an overrun: a new job starts at throttled_until */
	bool demoted;        /* throttled, and meanwhile scheduled as best-effort */
};
SCXPP_TASK_CTX_DEFINE(struct task_ctx);

/* One timer per CPU: budget expiry of the running admitted task, and the next release. */
struct dl_cpu_timer {
	struct bpf_timer timer;
	u64 at; /* when it is armed to fire (0: not armed) */
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SCXPP_MAX_CPUS);
	__type(key, u32);
	__type(value, struct dl_cpu_timer);
} cpu_timers SEC(".maps");

/* Per CPU, written from running/stopping/dispatch. */
static u64 cpu_dl[SCXPP_MAX_CPUS];         /* deadline of the admitted task running, 0 if none */
static u64 cpu_budget_end[SCXPP_MAX_CPUS]; /* when its budget runs out, 0 if none */
static u64 cpu_thr_next[SCXPP_MAX_CPUS];   /* earliest release in the throttle queue, 0 if none */
static bool cpu_be[SCXPP_MAX_CPUS];        /* runs a best-effort task */
static u64 vtime_now;

static __always_inline u32 cpu_idx(s32 cpu)
{
	return (u32)cpu & (SCXPP_MAX_CPUS - 1);
}

static struct dl_task *reg_of(const struct task_struct *p)
{
	u32 tid = p->pid;
	struct dl_task *reg = bpf_map_lookup_elem(&dl_tasks, &tid);

	return reg && reg->state == DL_ADMITTED ? reg : NULL;
}

/* Arm @cpu's timer for @when unless it is already armed for something earlier. */
static void arm_timer(s32 cpu, u64 when, u64 now)
{
	u32 key = cpu_idx(cpu);
	struct dl_cpu_timer *t = bpf_map_lookup_elem(&cpu_timers, &key);

	if (!t)
		return;
	if (t->at && scxpp_time_before(now, t->at) && !scxpp_time_before(when, t->at))
		return;
	t->at = when;
	bpf_timer_start(&t->timer, scxpp_time_before(now + 1000, when) ? when - now : 1000, 0);
}

static int cpu_timer_fn(void *map, int *key, struct dl_cpu_timer *t)
{
	u32 cpu = cpu_idx(*key);
	u64 now = scxpp_now(), budget_end = cpu_budget_end[cpu], thr = cpu_thr_next[cpu];
	u64 soon = now + TIMER_SLACK_NS, next = 0;

	t->at = 0;
	if ((budget_end && !scxpp_time_before(soon, budget_end)) ||
	    (thr && !scxpp_time_before(soon, thr))) {
		scxpp_stat_inc(SCXPP_STAT_TIMER_KICKS);
		scx_bpf_kick_cpu(cpu, SCXPP_KICK_PREEMPT);
		return 0;
	}
	/* Armed for something that went away or moved later: follow what is still pending. */
	if (budget_end)
		next = budget_end;
	if (thr && (!next || scxpp_time_before(thr, next)))
		next = thr;
	if (next) {
		t->at = next;
		bpf_timer_start(&t->timer, next - now, 0);
	}
	return 0;
}

static void new_job(struct task_ctx *tctx, struct dl_task *reg, u64 release)
{
	tctx->release = release;
	tctx->deadline = release + reg->deadline_ns;
	tctx->budget = reg->runtime_ns;
	tctx->throttled_until = 0;
	tctx->job_done = false;
	tctx->overran = false;
	tctx->demoted = false;
	reg->jobs++;
	scxpp_stat_inc(SCXPP_STAT_JOBS);
}

/* Hold the task until @until; @replenish: then start a new job (after an overrun). */
static void throttle(struct task_ctx *tctx, struct dl_task *reg, u64 until, bool replenish)
{
	tctx->throttled_until = until;
	tctx->replenish = replenish;
	reg->throttles++;
	scxpp_stat_inc(SCXPP_STAT_THROTTLES);
}

/*
 * The task's throttle time has come (at @now, possibly later than planned: it may have
 * waited in the best-effort queue or for the timer). A job whose work could only start late
 * would be a self-suspending job, which the demand test does not cover: the new job is
 * released when it can run.
 */
static void end_throttle(struct task_ctx *tctx, struct dl_task *reg, u64 now)
{
	if (tctx->replenish)
		new_job(tctx, reg, scxpp_time_max(tctx->throttled_until, now));
	tctx->throttled_until = 0;
	tctx->replenish = false;
	tctx->demoted = false;
}

/* The wakeup rule of the essay, for an admitted task waking at @now. */
static void admitted_wakeup(struct task_ctx *tctx, struct dl_task *reg, u64 now)
{
	u64 earliest = tctx->release + reg->period_ns - reg->jitter_ns;

	if (!tctx->admitted || !scxpp_time_before(now, earliest)) {
		tctx->admitted = true;
		new_job(tctx, reg, now);
	} else if (tctx->job_done && earliest - now <= reg->period_ns / 2) {
		new_job(tctx, reg, earliest); /* early: runs now, due as if released on time */
	}
	/* Otherwise the current job goes on with what is left of its budget. */
}

/*
 * SCX_OPS_ENQ_LAST (set below): the kernel calls ops.enqueue for a CPU's last runnable task
 * whose slice ended, instead of running it on with a fresh 20 ms slice without asking —
 * which would let a task held in its throttle queue (--throttle=hold) run past its budget
 * whenever it is alone on its CPU. A task that is not held goes to its queue as usual, and
 * scxpp_kick_if_last() (scxpp/bpf/dsq.bpf.h) kicks this CPU, on its way to idle, so that it
 * dispatches the task at once.
 */

static void enqueue_be(struct task_struct *p, struct task_ctx *tctx, u64 enq_flags)
{
	u64 vtime = tctx ? scxpp_vtime_clamp_lag(tctx->vtime, vtime_now, be_slice_ns) : vtime_now;
	s32 cpu;

	/*
	 * Preempted inside an RCU read-side section: first among best-effort tasks, so it
	 * leaves the section soon (starvation.bpf.h), but not ahead of an EDF queue.
	 */
	if (scxpp_task_in_rcu_read_section(p)) {
		scxpp_stat_inc(SCXPP_STAT_RCU_FIRST);
		scxpp_dsq_insert(p, RESCUE_DSQ, be_slice_ns, enq_flags);
	} else {
		scxpp_stat_inc(SCXPP_STAT_BE_QUEUED);
		scxpp_dsq_insert_vtime(p, BE_DSQ, be_slice_ns, vtime, enq_flags);
	}
	/*
	 * Best-effort tasks are never put on a local queue, so when ops.select_cpu did not pick
	 * (and wake) a CPU for this one, wake an idle CPU to pull it.
	 */
	if (!(enq_flags & SCXPP_ENQ_CPU_SELECTED)) {
		cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
		if (cpu >= 0)
			scxpp_kick_idle(cpu);
	}
	scxpp_kick_if_last(enq_flags);
}

s32 SCXPP_OPS(deadline_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct dl_task *reg = reg_of(p);
	bool is_idle = false;

	if (reg && bpf_cpumask_test_cpu(reg->cpu, p->cpus_ptr))
		return reg->cpu;
	/* No direct dispatch: see enqueue_be(). The returned idle CPU wakes for the task. */
	return scxpp_select_idle_cpu(p, prev_cpu, wake_flags, &is_idle);
}

void SCXPP_OPS(deadline_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx;
	struct dl_task *reg;

	if (!(enq_flags & SCXPP_ENQ_WAKEUP))
		return;
	reg = reg_of(p);
	tctx = scxpp_task_ctx(p);
	if (reg && tctx)
		admitted_wakeup(tctx, reg, scxpp_now());
}

void SCXPP_OPS(deadline_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	struct dl_task *reg = reg_of(p);
	u64 now = scxpp_now(), running, next_period;
	s32 cpu;
	u32 ci;

	if (!tctx) {
		enqueue_be(p, NULL, enq_flags);
		return;
	}
	if (!reg || !bpf_cpumask_test_cpu(reg->cpu, p->cpus_ptr)) {
		if (tctx->admitted) { /* released, or its affinity excludes its CPU */
			tctx->admitted = false;
			tctx->vtime = vtime_now;
		}
		enqueue_be(p, tctx, enq_flags);
		return;
	}
	if (!tctx->admitted) { /* admitted while runnable: its first job starts now */
		tctx->admitted = true;
		new_job(tctx, reg, now);
	}
	cpu = reg->cpu;
	ci = cpu_idx(cpu);
	if (!tctx->throttled_until && tctx->budget < MIN_BUDGET_NS) {
		if (!tctx->overran) {
			tctx->overran = true;
			reg->overruns++;
			scxpp_stat_inc(SCXPP_STAT_OVERRUNS);
		}
		next_period = tctx->release + reg->period_ns - reg->jitter_ns;
		if (scxpp_time_before(now, next_period)) {
			throttle(tctx, reg, next_period, true);
			tctx->demoted = !throttle_hold;
		} else {
			new_job(tctx, reg, now); /* its period is over already */
		}
	}
	if (tctx->throttled_until) {
		if (tctx->demoted && scxpp_time_before(now, tctx->throttled_until)) {
			/*
			 * Best-effort until its next period, with a slice that ends by then so it
			 * gets back to its EDF queue in time.
			 */
			u64 left = tctx->throttled_until - now;

			scxpp_stat_inc(SCXPP_STAT_BE_QUEUED);
			scxpp_dsq_insert_vtime(p, BE_DSQ, left < be_slice_ns ? left : be_slice_ns,
					       scxpp_vtime_clamp_lag(tctx->vtime, vtime_now, be_slice_ns),
					       enq_flags);
			scxpp_kick_if_last(enq_flags);
			return;
		}
		if (scxpp_time_before(now, tctx->throttled_until)) {
			scxpp_dsq_insert_vtime(p, THR_DSQ(cpu), be_slice_ns, tctx->throttled_until,
					       enq_flags);
			if (!cpu_thr_next[ci] || scxpp_time_before(tctx->throttled_until, cpu_thr_next[ci]))
				cpu_thr_next[ci] = tctx->throttled_until;
			arm_timer(cpu, tctx->throttled_until, now);
			return;
		}
		end_throttle(tctx, reg, now);
	}
	scxpp_dsq_insert_vtime(p, EDF_DSQ(cpu), tctx->budget, tctx->deadline, enq_flags);
	/*
	 * Preempt a best-effort task, or an admitted one with a later deadline, on the task's
	 * CPU. A task re-queued by its own CPU in the middle of a switch needs no kick.
	 */
	if (!(enq_flags & SCXPP_ENQ_WAKEUP) && cpu == bpf_get_smp_processor_id()) {
		scxpp_kick_if_last(enq_flags);
		return;
	}
	running = cpu_dl[ci];
	if (!running || scxpp_time_before(tctx->deadline, running)) {
		if (running || cpu_be[ci])
			scxpp_stat_inc(SCXPP_STAT_PREEMPTS);
		scxpp_kick_preempt(cpu);
	}
}

void SCXPP_OPS(deadline_dispatch, s32 cpu, struct task_struct *prev)
{
	u64 now = scxpp_now(), next = 0;
	struct task_struct *p;
	u32 ci = cpu_idx(cpu);

	/* Throttled tasks whose next period has come get a new job and join the EDF queue. */
	scxpp_dsq_for_each(p, THR_DSQ(cpu)) {
		struct task_ctx *tctx = scxpp_task_ctx(p);
		struct dl_task *reg;

		if (!tctx)
			continue;
		if (tctx->throttled_until && scxpp_time_before(now, tctx->throttled_until)) {
			next = tctx->throttled_until;
			break;
		}
		reg = reg_of(p);
		if (reg) {
			end_throttle(tctx, reg, now);
			scxpp_dsq_move_set_slice(SCXPP_DSQ_ITER, tctx->budget);
			scxpp_dsq_move_set_vtime(SCXPP_DSQ_ITER, tctx->deadline);
			scxpp_dsq_move_vtime(SCXPP_DSQ_ITER, p, EDF_DSQ(cpu), 0);
		} else { /* released while throttled */
			tctx->admitted = false;
			tctx->throttled_until = 0;
			scxpp_dsq_move_set_slice(SCXPP_DSQ_ITER, be_slice_ns);
			scxpp_dsq_move_set_vtime(SCXPP_DSQ_ITER, vtime_now);
			scxpp_dsq_move_vtime(SCXPP_DSQ_ITER, p, BE_DSQ, 0);
		}
	}
	cpu_thr_next[ci] = next;
	if (next)
		arm_timer(cpu, next, now);
	if (scxpp_dsq_move_to_local(EDF_DSQ(cpu)))
		return;
	if (scxpp_dsq_move_to_local(RESCUE_DSQ))
		return;
	scxpp_dsq_move_to_local(BE_DSQ);
}

void SCXPP_OPS(deadline_running, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	u32 ci = cpu_idx(scx_bpf_task_cpu(p));
	u64 now = scxpp_now();

	if (!tctx)
		return;
	tctx->run_start = now;
	tctx->exec_start = p->se.sum_exec_runtime;
	if (tctx->admitted && !tctx->demoted) {
		cpu_dl[ci] = tctx->deadline;
		cpu_be[ci] = false;
		cpu_budget_end[ci] = now + tctx->budget;
		arm_timer(ci, now + tctx->budget, now);
	} else {
		cpu_dl[ci] = 0;
		cpu_be[ci] = true;
		cpu_budget_end[ci] = 0;
		if (scxpp_time_before(vtime_now, tctx->vtime))
			vtime_now = tctx->vtime;
	}
}

void SCXPP_OPS(deadline_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	u32 ci = cpu_idx(scx_bpf_task_cpu(p));
	u64 now = scxpp_now(), used;
	struct dl_task *reg;
	s64 lateness;

	cpu_dl[ci] = 0;
	cpu_be[ci] = false;
	cpu_budget_end[ci] = 0;
	if (!tctx)
		return;
	/*
	 * CPU time as the kernel accounts it (excluding interrupt time with
	 * CONFIG_IRQ_TIME_ACCOUNTING), the same clock the task's own CPU-time clock and
	 * SCHED_DEADLINE's budgets use; wall time would charge tasks for interrupts.
	 */
	used = p->se.sum_exec_runtime - tctx->exec_start;
	if (!tctx->admitted) {
		tctx->vtime += scxpp_vtime_delta(used, p->scx.weight);
		return;
	}
	if (tctx->demoted)
		tctx->vtime += scxpp_vtime_delta(used, p->scx.weight);
	else
		tctx->budget -= used < tctx->budget ? used : tctx->budget;
	if (runnable || tctx->job_done)
		return;
	/* It sleeps: the job is complete. */
	tctx->job_done = true;
	reg = reg_of(p);
	if (!reg)
		return;
	lateness = (s64)(now - tctx->deadline);
	reg->completed++;
	reg->lateness_sum_ns += lateness;
	used = reg->runtime_ns - (tctx->budget < reg->runtime_ns ? tctx->budget : reg->runtime_ns);
	if (tctx->overran)
		used = reg->runtime_ns;
	reg->used_sum_ns += used;
	if (used > reg->used_max_ns)
		reg->used_max_ns = used;
	if (reg->completed == 1 || lateness > reg->lateness_max_ns)
		reg->lateness_max_ns = lateness;
	scxpp_stat_inc(SCXPP_STAT_COMPLETED);
	if (lateness > 0) {
		reg->misses++;
		scxpp_stat_inc(SCXPP_STAT_MISSES);
	}
}

void SCXPP_OPS(deadline_enable, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx)
		tctx->vtime = vtime_now;
}

s32 SCXPP_OPS_SLEEPABLE(deadline_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	u32 tid = p->pid;
	struct dl_task *reg;

	/*
	 * A new thread is never an admitted one. A record under its pid is of a thread that
	 * exited unseen (while the scheduler was restarting): mark it so, or the newcomer would
	 * inherit the reservation until userspace noticed.
	 */
	if (args->fork && (reg = bpf_map_lookup_elem(&dl_tasks, &tid)) && reg->state == DL_ADMITTED)
		reg->state = DL_EXITED;
	return scxpp_task_ctx_create(p) ? 0 : -ENOMEM;
}

void SCXPP_OPS(deadline_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	u32 tid = p->pid;
	struct dl_task *reg = bpf_map_lookup_elem(&dl_tasks, &tid);

	/*
	 * Only a thread that is exiting: ops.exit_task also runs for every task when the
	 * scheduler is unloaded (a restart on CPU hotplug), and those keep their reservations.
	 */
	if (reg && reg->state == DL_ADMITTED && scxpp_task_exiting(p))
		reg->state = DL_EXITED; /* userspace releases the reservation */
}

/* No best-effort task waits longer than --max_wait_ms (starvation.bpf.h). */
static void guard_be_queue(void)
{
	scxpp_stat_add(SCXPP_STAT_RESCUED,
		       scxpp_rescue_starved(BE_DSQ, scxpp_tunable(MAX_WAIT_MS), 8, RESCUE_DSQ));
}
SCXPP_STARVATION_GUARD_DEFINE(guard_be_queue);

s32 SCXPP_OPS_SLEEPABLE(deadline_init)
{
	struct dl_cpu_timer *t;
	u32 i;
	s32 ret;

	ret = scxpp_dsq_plan_create(&scxpp_dsq_plan);
	if (ret)
		return ret;
	bpf_for(i, 0, nr_cpu_ids) {
		u32 key = i;

		t = bpf_map_lookup_elem(&cpu_timers, &key);
		if (!t)
			return -EINVAL;
		ret = bpf_timer_init(&t->timer, &cpu_timers, CLOCK_MONOTONIC);
		if (ret)
			return ret;
		ret = bpf_timer_set_callback(&t->timer, cpu_timer_fn);
		if (ret)
			return ret;
	}
	return scxpp_starvation_guard_start();
}

void SCXPP_OPS(deadline_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(deadline_ops,
		 .flags = SCX_OPS_ENQ_LAST, /* see the comment above enqueue_be() */
		 .select_cpu = (void *)deadline_select_cpu,
		 .enqueue = (void *)deadline_enqueue,
		 .dispatch = (void *)deadline_dispatch,
		 .runnable = (void *)deadline_runnable,
		 .running = (void *)deadline_running,
		 .stopping = (void *)deadline_stopping,
		 .enable = (void *)deadline_enable,
		 .init_task = (void *)deadline_init_task,
		 .exit_task = (void *)deadline_exit_task,
		 .init = (void *)deadline_init,
		 .exit = (void *)deadline_exit,
		 .name = "deadline");
