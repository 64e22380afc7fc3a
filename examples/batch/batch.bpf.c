/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * batch: throughput for machines that exist to finish long CPU-bound jobs (training steps,
 * data preprocessing, builds, simulations), with a small escape hatch that keeps a login
 * shell usable.
 *
 * Where the time goes under a general-purpose scheduler. EEVDF gives every runnable task a
 * short slice (a few ms, shorter as the run queue grows) and preempts on wakeup when the
 * woken task's virtual deadline is earlier. For a CPU-bound job both are pure cost: every
 * switch throws away warm caches and TLB entries, and load balancing moves threads between
 * CPUs to even out queue lengths that CPU-bound work would have evened out by itself.
 *
 * The policy.
 * - Long slices (--slice_us, default 20 ms), scaled by weight so nice still means something
 *   (a nice -5 task gets ~3x the slice of a nice 0 one, a nice 19 task 1/8th, bounded to
 *   [slice/8, slice*8]). No preemption between batch tasks: a task runs to the end of its
 *   slice. The slice does not shrink as the queue grows: oversubscription makes each task
 *   wait longer for its turn, not switch more often.
 * - One queue per CPU, FIFO. A task that becomes runnable goes back to the queue of the CPU
 *   it last ran on, where its cache is, and moves only to even out the queues or to keep a
 *   CPU busy. At each slice end a CPU takes a task from the longest queue of its LLC if that
 *   CPU has had at least two more tasks than it has for as long as a round of that queue
 *   takes (so queues converge to within one task and then nothing moves: balanced load
 *   costs no migrations, and a kworker queued for a moment does not move a batch task there and
 *   back); else it serves its own queue; else keeps running its current task if that still wants
 *   the CPU; else steals from the longest queue of its LLC; and crosses to another LLC only when
 *   its LLC has nothing waiting either (work-conserving). A task that stopped on another CPU less
 *   than --cache_hot_us (0.5 ms) ago is not taken: its cache is there and its own CPU usually gets
 *   to it first (the kernel's balancer has the same rule); nor is a new task woken less than
 *   --preempt_after_us ago, which its own CPU serves by then; a CPU that went idle leaving one
 *   behind looks again when that time is up. A waking task that finds its previous CPU idle
 *   runs there; else it queues there, and the idle CPU the kernel's SMT/LLC-aware search finds
 *   is woken to take it unless that CPU has work of its own by then (so a pool released by a
 *   barrier stays where it was). A new task starts on the next CPU in turn, busy or not, so a
 *   thread pool started at once is spread evenly before it runs (placing it where a CPU happens
 *   to be idle at each fork piles the pool onto one CPU and moves half of it later).
 * - The escape hatch: a task that sleeps often and runs briefly each time (a decaying
 *   average of its CPU time per wakeup at most --interactive_max_burst_us, measured from the
 *   kernel's own sum_exec_runtime, so no per-switch bookkeeping; it keeps the status until the
 *   average exceeds twice the limit, so one slow burst does not flap it) is served first on wakeup
 *   from a shared interactive queue with a slice of that burst limit, and may cut a batch
 *   slice short, but only one that has already run --preempt_after_us (default 2 ms), so a
 *   flood of wakeups cannot turn batch slices back into short ones: its own CPU's slice at
 *   once if it is that old, else the longest-running one if that is, else the first to
 *   reach that age (ops.tick); among waiting wakeups a CPU serves one that last ran there
 *   first, so a pool woken at once by a barrier stays where it was, and one whose own CPU
 *   runs interactive work (over within 4x the burst limit) only if it would otherwise idle.
 *   So an interactive wakeup waits about --preempt_after_us plus a tick at most. An
 *   interactive task that runs 4x its limit without sleeping loses the status on the spot
 *   (and is an ordinary batch task from then on), unless it has a record of short bursts
 *   (16 wakeups or more, averaging at most the limit, no such run in the last 16) and did it
 *   within one slice: then one such run is forgiven; one whose slice ends before that
 *   continues on its CPU at once. One burst counts for at most 3x the limit in the average.
 *   Both because under a hypervisor a stall of the host is charged as run time to whatever
 *   ran, and a probe demoted by one waited behind two batch slices (40 ms) for several
 *   wakeups. A new task starts interactive, so a command typed into a shell starts
 *   at once; a new CPU-bound thread loses the status after its first 4x burst. The hatch
 *   holds INTER_CAPACITY waiting wakeups per CPU: beyond that it is a wakeup-heavy batch
 *   load that qualifies (hackbench's message passers), and further wakeups queue as batch
 *   work. That is what lets the limit be 1 ms: at 500 us, a probe's 100 us bursts measured
 *   more under TCG and it lost the status (p99 47 ms beside hogs); without the cap, a 1 ms
 *   limit let hackbench's tasks in and it took 18 s instead of 7. A cap of 2 per CPU was
 *   too small: kernel threads waking together filled it, and the probe waited as a batch
 *   task behind 16 hogs (165 ms).
 *   A shell keystroke, sshd, a monitoring agent qualify; a training step never does.
 *
 * Costs, and what to change when you adapt it. Stealing scans the CPUs of the LLC
 * (O(CPUs per LLC)) and, when the LLC is dry, all CPUs: fine for tens of CPUs; on hundreds,
 * keep a per-LLC bitmap of non-empty queues. FIFO per CPU is fair between equal batch tasks
 * of one CPU but not across CPUs; jobs that need fairness between tenants want the
 * fairshare example's policy instead. NUMA is treated like LLC (steal from afar last).
 */
#include <scxpp/bpf/scxpp.bpf.h>

#include "batch_intf.h"

char _license[] SEC("license") = "GPL";

/* Live knobs (batch_intf.h): start values from main.cc's flags, changed at run time with
 * `scxppctl set batch KEY VALUE`; every read sees the current value. */
SCXPP_TUNABLES(BATCH_TUNABLES);
const volatile struct scxpp_topo scxpp_topo;

static __always_inline u64 slice_ns(void)
{
	return scxpp_tunable(SLICE_US) * 1000;
}

static __always_inline bool hatch_on(void)
{
	return scxpp_tunable(INTERACTIVE) != 0;
}

/* The burst limit, and an interactive task's slice: never longer than a batch slice. */
static __always_inline u64 inter_max_burst_ns(void)
{
	u64 burst = scxpp_tunable(INTER_MAX_BURST_US), slice = scxpp_tunable(SLICE_US);

	return (burst < slice ? burst : slice) * 1000;
}

/* A batch slice's minimum run before an interactive wakeup may cut it: at most the slice. */
static __always_inline u64 preempt_after_ns(void)
{
	u64 after = scxpp_tunable(PREEMPT_AFTER_US), slice = scxpp_tunable(SLICE_US);

	return (after < slice ? after : slice) * 1000;
}

SCXPP_DSQ_PLAN_DEFINE(); /* cpu:N = each CPU's batch queue, user:0 = interactive wakeups */
SCXPP_STATS_MAP(SCXPP_NR_STATS);

#define INTER_DSQ SCXPP_DSQ_ID(SCXPP_DSQ_USER, 0)
#define CPU_DSQ(cpu) SCXPP_DSQ_ID(SCXPP_DSQ_CPU, (cpu))
#define INTER_DEMOTE_FACTOR 4
#define INTER_BURST_CLIP 3
#define INTER_OVERRUN_MEMORY 16
#define SETTLE_WAKES 8
#define INTER_CAPACITY 8

struct task_ctx {
	u64 exec_at_wake; /* sum_exec_runtime at the last wakeup */
	u64 avg_burst;    /* decaying average CPU time per wakeup */
	u32 nr_wakes;
	u32 nr_expired;   /* slices it used up since its last wakeup */
	u32 overrun_wake; /* nr_wakes + 1 at its last run of 4x the burst limit (0: never) */
	u64 last_ran;     /* when it last stopped running */
	u64 queued_at;    /* when it last went into the interactive queue */
	s32 kick_cpu; /* an idle CPU claimed for it by batch_select_cpu, +1 (0: none) */
	bool interactive;
};
SCXPP_TASK_CTX_DEFINE(struct task_ctx);

/* Still settling where it was dealt (wait_left): fewer than SETTLE_WAKES wakeups so far. */
static __always_inline bool settling(const struct task_ctx *tctx)
{
	return tctx->nr_wakes < SETTLE_WAKES;
}

/* Per CPU: since when its current task runs as a batch task (0 = idle or interactive). */
static u64 cpu_batch_since[SCXPP_MAX_CPUS];

static __always_inline u64 *batch_since(s32 cpu)
{
	u32 i = cpu;

	if (i >= SCXPP_MAX_CPUS)
		return NULL;
	/*
	 * Masked after the check, and the check kept apart from it: clang may otherwise
	 * compute the address from a copy of @i the verifier has no bound for (seen in
	 * batch_tick: "unbounded memory access").
	 */
	barrier_var(i);
	return &cpu_batch_since[i & (SCXPP_MAX_CPUS - 1)];
}

static __always_inline u64 batch_slice(const struct task_struct *p)
{
	u64 slice = slice_ns(); /* once: the tunable may change between two reads */
	u64 s = slice * p->scx.weight / SCXPP_WEIGHT_DFL;

	if (s < slice / 8)
		return slice / 8;
	if (s > slice * 8)
		return slice * 8;
	return s;
}

/* Cut short the batch slice running on @cpu if it has had its minimum run. */
static __always_inline bool cut_old_slice(s32 cpu)
{
	u64 *since = batch_since(cpu);

	if (!since || !*since || scxpp_now() - *since < preempt_after_ns())
		return false;
	*since = 0;
	scxpp_stat_inc(SCXPP_STAT_INTER_PREEMPTS);
	scxpp_kick_preempt(cpu);
	return true;
}

static u32 fork_cursor;

/* The next CPU @p may use, in turn (-1 if none): where a new task starts. */
static __always_inline s32 next_fork_cpu(struct task_struct *p)
{
	u32 n = scxpp_topo.nr_cpus, start, i, cpu;

	if (!n)
		return -1;
	start = __sync_fetch_and_add(&fork_cursor, 1);
	bpf_for(i, 0, n) {
		cpu = (start + i) % n;
		if (cpu < SCXPP_MAX_CPUS && bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			return cpu;
	}
	return -1;
}

s32 SCXPP_OPS(batch_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	bool is_idle = false;
	s32 cpu;

	/*
	 * A new task starts on the next CPU in turn, idle or not: the threads of a pool
	 * started together are dealt out evenly before any has run, instead of piling onto
	 * whichever CPU happened to be idle at each fork and being moved later (each move a
	 * migration and a cold cache). It is presumed interactive, so if that CPU is busy its
	 * batch slice is cut once it has had its minimum run (batch_enqueue, batch_tick).
	 */
	if (wake_flags & SCXPP_WAKE_FORK) {
		cpu = next_fork_cpu(p);
		if (cpu >= 0) {
			if (scx_bpf_test_and_clear_cpu_idle(cpu)) {
				scxpp_stat_inc(SCXPP_STAT_DIRECT);
				scxpp_dispatch_local(p, inter_max_burst_ns(), 0);
			}
			return cpu;
		}
	}
	cpu = scxpp_select_idle_cpu(p, prev_cpu, wake_flags, &is_idle);

	/*
	 * Its own CPU is busy and another one idle. Queue it at home and wake the idle CPU,
	 * which takes it only if nothing of its own is waiting by the time it looks (its
	 * dispatch serves its own first, and steals when about to idle again). Sent straight
	 * there, a pool released by a barrier moved at every step: the releasing thread still
	 * runs on one CPU, so that CPU's first wakeup went to the other, which then had one
	 * task too many, moved back later by balancing. The kick waits for batch_enqueue:
	 * sent now, the idle CPU could look before @p is queued and go back to sleep.
	 */
	if (is_idle && cpu != prev_cpu && tctx && bpf_cpumask_test_cpu(prev_cpu, p->cpus_ptr)) {
		tctx->kick_cpu = cpu + 1;
		return prev_cpu;
	}
	if (is_idle) {
		scxpp_stat_inc(SCXPP_STAT_DIRECT);
		scxpp_dispatch_local(p, tctx && tctx->interactive ? inter_max_burst_ns() : batch_slice(p),
				     0);
		return cpu;
	}
	/* Nothing idle: queue where the cache is, not where the idle search gave up. */
	return prev_cpu;
}

/* The CPU whose queue @p belongs on: where it last ran, if it may still run there. */
static __always_inline s32 home_cpu(struct task_struct *p)
{
	s32 cpu = scx_bpf_task_cpu(p);

	if (cpu >= 0 && bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
		return cpu;
	return scx_bpf_pick_any_cpu(p->cpus_ptr, 0);
}

/* The CPU @p may use whose batch task has run longest (-1 if none runs batch work). */
static s32 oldest_batch_cpu(struct task_struct *p)
{
	u64 oldest = 0, t;
	s32 best = -1;
	u32 i;

	bpf_for(i, 0, scxpp_topo.nr_cpus) {
		if (i >= SCXPP_MAX_CPUS)
			break;
		t = cpu_batch_since[i];
		if (t && (!oldest || t < oldest) && bpf_cpumask_test_cpu(i, p->cpus_ptr)) {
			oldest = t;
			best = i;
		}
	}
	return best;
}

void SCXPP_OPS(batch_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	s32 cpu = home_cpu(p), idle = -1;
	u64 *home_since;

	/* The idle CPU batch_select_cpu claimed for @p (its idle bit is clear: wake it). */
	if (tctx && tctx->kick_cpu) {
		idle = tctx->kick_cpu - 1;
		tctx->kick_cpu = 0;
	}
	/*
	 * The hatch is for a few tasks (a shell, sshd, an agent). With INTER_CAPACITY wakeups per
	 * CPU already waiting in it, it is a wakeup-heavy batch load that qualifies (hackbench's
	 * 160 message passers): further wakeups queue as batch work, with its long slices.
	 */
	if (tctx && tctx->interactive && (enq_flags & SCXPP_ENQ_WAKEUP) &&
	    scx_bpf_dsq_nr_queued(INTER_DSQ) >= INTER_CAPACITY * scxpp_topo.nr_cpus)
		scxpp_stat_inc(SCXPP_STAT_INTER_FULL);
	else if (tctx && tctx->interactive) {
		/*
		 * A slice that ran out before the burst did (a slow CPU, an interrupt storm, a
		 * new task not yet known to be CPU-bound): continue at once on this CPU, where
		 * the cache is. Through the shared queue it would hop between CPUs slice by
		 * slice. Running 4x the burst limit without sleeping demotes it
		 * (batch_stopping), which bounds what this can take.
		 */
		if (!(enq_flags & SCXPP_ENQ_WAKEUP)) {
			scxpp_dsq_insert(p, SCX_DSQ_LOCAL, inter_max_burst_ns(), enq_flags);
			if (idle >= 0) /* not expected: claimed for a wakeup; do not strand it */
				scxpp_kick_idle(idle);
			/* A new task dealt to a busy CPU (batch_select_cpu): no long wait. */
			cut_old_slice(scx_bpf_task_cpu(p));
			return;
		}
		/* A wakeup: served first, by whichever CPU gets to it first. */
		tctx->queued_at = scxpp_now();
		scxpp_dsq_insert(p, INTER_DSQ, inter_max_burst_ns(), enq_flags);
		scxpp_stat_inc(SCXPP_STAT_INTERACTIVE);
		if (idle >= 0) {
			scxpp_kick_idle(idle);
			return;
		}
		/*
		 * Cut short the batch slice of its own CPU if that has had its minimum run, else
		 * the one that has run longest if it has; else batch_tick() cuts the first one
		 * that reaches it while this one waits. If its own CPU runs interactive work, that
		 * ends soon and serves it (serve_interactive): nothing to cut. A new task waits
		 * for its own CPU (wait_left): another one cut would not take it.
		 */
		home_since = batch_since(cpu);
		if (!cut_old_slice(cpu) && home_since && *home_since && !settling(tctx))
			cut_old_slice(oldest_batch_cpu(p));
		return;
	}
	if (cpu < 0)
		cpu = 0; /* no allowed CPU online: the kernel falls back; any valid queue will do */
	scxpp_stat_inc(SCXPP_STAT_QUEUED);
	scxpp_dsq_insert(p, CPU_DSQ(cpu), batch_slice(p), enq_flags);
	/* Work-conserving: if some CPU @p may use sits idle, wake it so it steals @p. */
	if (idle < 0)
		idle = scxpp_pick_idle_cpu(p, false);
	if (idle >= 0)
		scxpp_kick_idle(idle);
}

/* The CPU (other than @cpu) with the most tasks waiting in its queue, inside @cpu's LLC or
 * outside it; *@nr_out = how many wait there. -1 when every such queue is empty. */
static s32 longest_queue(s32 cpu, bool same_llc, s32 *nr_out)
{
	u32 my_llc = scxpp_topo.cpu_llc[cpu & (SCXPP_MAX_CPUS - 1)];
	s32 best = -1, best_n = 0, n;
	u32 i;

	bpf_for(i, 0, scxpp_topo.nr_cpus) {
		if (i == cpu || i >= SCXPP_MAX_CPUS ||
		    (scxpp_topo.cpu_llc[i] == my_llc) != same_llc)
			continue;
		n = scx_bpf_dsq_nr_queued(CPU_DSQ(i));
		if (n > best_n) {
			best_n = n;
			best = i;
		}
	}
	*nr_out = best_n;
	return best;
}

/*
 * How long @cpu should leave @p (waiting in @dsq) where it is before taking it; 0: take it.
 *
 * Cache-hot: @p stopped on another CPU less than cache_hot_us ago, so its cache is still
 * there (the kernel's load balancer has the same rule, with the same 0.5 ms default:
 * sysctl_sched_migration_cost). Seen under TCG with 16 hogs starting on 2 CPUs: threads
 * blocking for a moment on the mmap lock as they set up were taken by whichever CPU ran
 * dry, and moved back later.
 *
 * Settling: @p is new (fewer than SETTLE_WAKES wakeups) and has waited in the interactive
 * queue less than --preempt_after_us, by which time its own CPU serves it (batch_tick cuts
 * the slice there). A new task was dealt to its CPU so that a pool starts spread evenly; while
 * it starts, it blocks often for a moment (its stack and arena are mapped under the mmap lock
 * the creating thread holds, then the start barrier) and, whenever its CPU was running the
 * creating thread, the other CPU took it: traced, 2-4 of 16 threads moved before the start and
 * as many moved back after it. Waiting costs a CPU at most that long idle, once.
 *
 * A CPU about to idle leaves such a task where it is and looks again after this long
 * (hot_timer); its own CPU usually gets to it first.
 */
static __always_inline u64 wait_left(struct task_struct *p, s32 cpu, u64 dsq)
{
	struct task_ctx *tctx;
	u64 now, hot, age;

	if (scx_bpf_task_cpu(p) == cpu)
		return 0;
	tctx = scxpp_task_ctx(p);
	if (!tctx)
		return 0;
	now = scxpp_now();
	hot = scxpp_tunable(CACHE_HOT_US) * 1000;
	age = now - tctx->last_ran;
	if (tctx->last_ran && age < hot)
		return hot - age;
	age = now - tctx->queued_at;
	if (dsq == INTER_DSQ && settling(tctx) && age < preempt_after_ns())
		return preempt_after_ns() - age;
	return 0;
}

struct hot_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct hot_timer);
} hot_timer SEC(".maps");

/* The hot tasks left behind have cooled: wake the idle CPUs to look again. */
static int hot_timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	u32 i;

	bpf_for(i, 0, scxpp_topo.nr_cpus) {
		if (i >= SCXPP_MAX_CPUS)
			break;
		scxpp_kick_idle(i);
	}
	return 0;
}

/* A CPU about to idle left work behind (wait_left): look again in @delay ns. */
static void arm_hot_timer(u64 delay)
{
	u32 key = 0;
	struct hot_timer *t = bpf_map_lookup_elem(&hot_timer, &key);

	scxpp_stat_inc(SCXPP_STAT_LEFT_HOT);
	if (t)
		bpf_timer_start(&t->timer, delay, 0);
}

/*
 * The shortest wait_left of the tasks a CPU's dispatch left where they were (0: none). In a
 * global, not a stack variable passed down by pointer: the verifier tracks a stack slot's
 * value, so a running minimum there kept the states of the scan loops from merging, and
 * batch_dispatch took 673,624 of its 1M instructions (a minute to load under TCG) instead of
 * 27,867. A map value is not tracked. tests/vm/verifier_budget_vm_test.cc guards this.
 */
static u64 cpu_recheck[SCXPP_MAX_CPUS];

static __always_inline void note_left(s32 cpu, u64 wait)
{
	u64 *r = &cpu_recheck[cpu & (SCXPP_MAX_CPUS - 1)];

	if (!*r || wait < *r)
		*r = wait;
}

/*
 * Move the first task of @dsq that may run on @cpu and need not be left where it is
 * (wait_left) to @cpu; with @busy_home, only one whose own CPU runs a batch slice
 * (serve_interactive). Notes the shortest wait of those left (note_left).
 */
#define STEAL_SCAN 16
static bool steal_cold(s32 cpu, u64 dsq, bool busy_home)
{
	struct task_struct *p;
	u32 seen = 0;
	u64 *since, wait;

	scxpp_dsq_for_each(p, dsq) {
		if (++seen > STEAL_SCAN)
			break;
		/* Moving a task here that may not run here is an error that ejects the scheduler. */
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		if (busy_home) {
			since = batch_since(scx_bpf_task_cpu(p));
			if (!since || !*since)
				continue;
		}
		wait = wait_left(p, cpu, dsq);
		if (wait) {
			note_left(cpu, wait);
			continue;
		}
		if (scxpp_dsq_move(SCXPP_DSQ_ITER, p, SCX_DSQ_LOCAL, 0))
			return true;
	}
	return false;
}

/* Move a task from @victim's queue to @cpu, else from any other queue of the same kind. */
static bool steal_from(s32 cpu, s32 victim, bool same_llc)
{
	u32 my_llc = scxpp_topo.cpu_llc[cpu & (SCXPP_MAX_CPUS - 1)];
	u32 i;

	if (victim >= 0 && steal_cold(cpu, CPU_DSQ(victim), false))
		return true;
	/* That queue held only tasks that are hot or may not run here: try the others. */
	bpf_for(i, 0, scxpp_topo.nr_cpus) {
		if (i == cpu || i == victim || i >= SCXPP_MAX_CPUS ||
		    (scxpp_topo.cpu_llc[i] == my_llc) != same_llc)
			continue;
		if (scx_bpf_dsq_nr_queued(CPU_DSQ(i)) && steal_cold(cpu, CPU_DSQ(i), false))
			return true;
	}
	return false;
}

/*
 * Serve an interactive wakeup: one that last ran on @cpu first (its cache is here, and it
 * does not count as a migration), among the first INTER_SCAN waiting; else the oldest whose
 * own CPU is busy with a batch slice (which may run on for --preempt_after_us); when @cpu
 * would otherwise idle, batch_dispatch takes any. A lone waiter behind a batch slice is taken by
 * whichever CPU gets to it first, so this costs no latency. It matters when many wake at
 * once (a thread pool released by a barrier, or starting: a new task starts interactive):
 * dealt out in queue order, about half of them moved; and while their own CPU works through
 * them (each at most 4x the burst limit) the other CPU, instead of taking one at each of its
 * own slice ends, runs its own batch work. Under TCG, 16 hogs starting on 2 CPUs: 4-8 moves
 * at each start came from that.
 */
#define INTER_SCAN 16
static bool serve_interactive(s32 cpu)
{
	struct task_struct *p;
	u32 seen = 0;

	if (!scx_bpf_dsq_nr_queued(INTER_DSQ))
		return false;
	scxpp_dsq_for_each(p, INTER_DSQ) {
		if (++seen > INTER_SCAN)
			break;
		if (scx_bpf_task_cpu(p) == cpu && bpf_cpumask_test_cpu(cpu, p->cpus_ptr) &&
		    scxpp_dsq_move(SCXPP_DSQ_ITER, p, SCX_DSQ_LOCAL, 0))
			return true;
	}
	/*
	 * None of its own: one whose own CPU runs a batch slice. One whose CPU runs interactive
	 * work, soon over, is left for it: that CPU gets there first.
	 */
	return steal_cold(cpu, INTER_DSQ, true);
}

/* Does an interactive wakeup wait that @cpu would serve now (serve_interactive)? */
static bool inter_waiter_for(s32 cpu)
{
	struct task_struct *p;
	u32 seen = 0;
	s32 home;
	u64 *since;

	scxpp_dsq_for_each(p, INTER_DSQ) {
		if (++seen > INTER_SCAN)
			break;
		home = scx_bpf_task_cpu(p);
		since = batch_since(home);
		if (home == cpu || (since && *since))
			return true;
	}
	return false;
}

/* Per CPU: since when its dispatches have seen a queue of its LLC longer than its own by two
 * or more (0 = not now). */
static u64 cpu_imbalanced_since[SCXPP_MAX_CPUS];

/*
 * Whether @cpu, with @mine tasks, should take one from a queue of @theirs waiting (which has
 * one more running): only once every dispatch of @cpu has seen the difference for as long as
 * it takes that queue to give each of its tasks a slice, shorter in proportion as the
 * difference is larger. A task that comes and goes - a kworker, the scheduler's own
 * process, a shell command not short enough for the escape hatch - sits in a queue for up
 * to a round and counts as load meanwhile; balancing on it moves a batch task, then another
 * one back once it has gone: two migrations, two cold caches, and the load the same as
 * before. Measured under TCG with 8 hogs per CPU: such visitors made most of the moves during
 * a run. A CPU about to idle does not wait for this (batch_dispatch steals at once).
 */
static __always_inline bool imbalance_lasted(s32 cpu, s32 mine, s32 theirs)
{
	u64 *since = &cpu_imbalanced_since[cpu & (SCXPP_MAX_CPUS - 1)];
	u64 now;

	if (theirs < mine + 1) {
		*since = 0;
		return false;
	}
	now = scxpp_now();
	if (!*since) {
		*since = now;
		return false;
	}
	if (now - *since < slice_ns() * (theirs + 1) / (theirs - mine))
		return false;
	*since = 0;
	return true;
}

/*
 * Per CPU: since when it has run only interactive work (0 = it ran a batch task or idled
 * since). Interactive first must not mean batch never: a wakeup-heavy load whose tasks each
 * run briefly (stress-ng's pipe stressors: a reader and a writer waking each other) keeps the
 * interactive queue from ever emptying without filling it to INTER_CAPACITY. Served first
 * at every dispatch, it took 40 of 40 CPU-seconds for 20 s while the CPU-bound tasks queued
 * behind it ran 0.06 s (seen under TCG in the reliability soak, 1 run in 4).
 */
static u64 cpu_inter_since[SCXPP_MAX_CPUS];

/*
 * Whether @cpu owes its batch queue a turn: it has run interactive work for
 * --preempt_after_us on end and batch work waits there. The bound mirrors the one on a batch
 * slice (an interactive wakeup may cut it after that long), so while both kinds wait a CPU
 * alternates between them in turns of about that length, and neither waits longer than one
 * turn plus a tick; with no batch work waiting the hatch keeps the CPU.
 */
static __always_inline bool batch_turn(s32 cpu)
{
	u64 since = cpu_inter_since[cpu & (SCXPP_MAX_CPUS - 1)];

	return since && scxpp_now() - since >= preempt_after_ns() &&
	       scx_bpf_dsq_nr_queued(CPU_DSQ(cpu));
}

void SCXPP_OPS(batch_dispatch, s32 cpu, struct task_struct *prev)
{
	bool prev_wants = prev && (prev->scx.flags & SCX_TASK_QUEUED);
	u64 *recheck = &cpu_recheck[cpu & (SCXPP_MAX_CPUS - 1)];
	s32 mine, victim, theirs;

	*recheck = 0;
	if (batch_turn(cpu) && scxpp_dsq_move_to_local(CPU_DSQ(cpu))) {
		scxpp_stat_inc(SCXPP_STAT_BATCH_TURNS);
		return;
	}
	if (serve_interactive(cpu))
		return;
	/*
	 * Balance inside the LLC: when another CPU has at least two more tasks than this one
	 * (counting the ones running), take one of them. Queues converge to within one task
	 * of each other and then nothing moves, so balanced load costs no migrations.
	 */
	mine = scx_bpf_dsq_nr_queued(CPU_DSQ(cpu)) + (prev_wants ? 1 : 0);
	victim = longest_queue(cpu, true, &theirs);
	/* theirs is 0 when no queue of the LLC holds anything: that resets the clock too. */
	if (imbalance_lasted(cpu, mine, theirs) && steal_from(cpu, victim, true)) {
		scxpp_stat_inc(SCXPP_STAT_STEALS_LLC);
		return;
	}
	if (scxpp_dsq_move_to_local(CPU_DSQ(cpu))) {
		scxpp_stat_inc(SCXPP_STAT_LOCAL_RUNS);
		return;
	}
	/* Nothing waits here: keep the current task if it still wants the CPU (warm cache). */
	if (prev_wants) {
		prev->scx.slice = batch_slice(prev);
		return;
	}
	/*
	 * About to idle: any waiting task of the LLC, then of anywhere (work-conserving), that
	 * is not cache-hot elsewhere; the hot ones get cache_hot_us to be taken where they are.
	 * An interactive waiter first.
	 */
	if (scx_bpf_dsq_nr_queued(INTER_DSQ) && steal_cold(cpu, INTER_DSQ, false))
		return;
	if (victim >= 0 && steal_from(cpu, victim, true)) {
		scxpp_stat_inc(SCXPP_STAT_STEALS_LLC);
		return;
	}
	victim = longest_queue(cpu, false, &theirs);
	if (victim >= 0 && steal_from(cpu, victim, false)) {
		scxpp_stat_inc(SCXPP_STAT_STEALS_REMOTE);
		return;
	}
	/* About to idle: the interactive run, if any, has ended. */
	cpu_inter_since[cpu & (SCXPP_MAX_CPUS - 1)] = 0;
	if (*recheck)
		arm_hot_timer(*recheck);
}

void SCXPP_OPS(batch_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx;
	u64 exec, burst;

	if (!hatch_on() || !(enq_flags & SCXPP_ENQ_WAKEUP))
		return;
	tctx = scxpp_task_ctx(p);
	if (!tctx)
		return;
	exec = p->se.sum_exec_runtime;
	burst = exec - tctx->exec_at_wake;
	tctx->exec_at_wake = exec;
	tctx->nr_expired = 0;
	/*
	 * One burst counts for at most 3x the limit. Under a hypervisor a stall of the host is
	 * charged to whatever ran: one 10 ms "burst" would take a 100 us task's average to 5 ms
	 * and out of the hatch for four wakeups, each waiting behind batch slices. Clipped, it
	 * takes two such bursts in a row; a task that really runs long still averages out.
	 */
	if (burst > INTER_BURST_CLIP * inter_max_burst_ns())
		burst = INTER_BURST_CLIP * inter_max_burst_ns();
	/* The first sample is the start-up (exec, loading): not what the task is like. */
	tctx->avg_burst = tctx->nr_wakes ? scxpp_ewma(tctx->avg_burst, burst, 2) : 0;
	tctx->nr_wakes++;
	/* Hysteresis: in at the limit, out at twice it, so one slow burst does not flap it. */
	if (tctx->interactive)
		tctx->interactive = tctx->avg_burst <= 2 * inter_max_burst_ns();
	else
		tctx->interactive = tctx->avg_burst <= inter_max_burst_ns();
}

void SCXPP_OPS(batch_running, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);
	u64 *since = batch_since(cpu);
	u64 *inter_since = &cpu_inter_since[cpu & (SCXPP_MAX_CPUS - 1)];

	if (tctx && tctx->interactive) {
		if (since)
			*since = 0;
		if (!*inter_since) /* the clock only where an interactive run starts */
			*inter_since = scxpp_now();
		return;
	}
	if (since)
		*since = scxpp_now();
	*inter_since = 0;
}

void SCXPP_OPS(batch_tick, struct task_struct *p)
{
	u64 *since = batch_since(scx_bpf_task_cpu(p));

	/*
	 * An interactive task waits (woken, in the shared queue; or new, or continuing, on
	 * this CPU's local queue) and this batch slice has had its minimum: end it.
	 */
	if (hatch_on() && since && *since && scxpp_now() - *since >= preempt_after_ns() &&
	    (scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL) ||
	     (scx_bpf_dsq_nr_queued(INTER_DSQ) && inter_waiter_for(scx_bpf_task_cpu(p))))) {
		*since = 0;
		p->scx.slice = 0;
		scxpp_stat_inc(SCXPP_STAT_INTER_PREEMPTS);
	}
}

/*
 * The task ran 4x the burst limit since its wakeup: is that out of character (its first
 * slice of this wakeup; a record of INTER_OVERRUN_MEMORY wakeups or more whose bursts
 * average at most the limit; no such run in its last INTER_OVERRUN_MEMORY wakeups)?
 * Records it either way. A new task gets no such pass: hackbench's senders, new and given
 * one, ran as interactive tasks for longer and took 11-16 s instead of 5-7.
 */
static __always_inline bool first_overrun(struct task_ctx *tctx)
{
	u32 ago = tctx->nr_wakes + 1 - tctx->overrun_wake; /* wakeups since the last one */
	bool first = tctx->nr_expired < 2 && tctx->nr_wakes >= INTER_OVERRUN_MEMORY &&
		     tctx->avg_burst <= inter_max_burst_ns() &&
		     (!tctx->overrun_wake || !ago || ago > INTER_OVERRUN_MEMORY);

	if (!tctx->overrun_wake || ago)
		tctx->overrun_wake = tctx->nr_wakes + 1;
	return first;
}

void SCXPP_OPS(batch_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	u64 *since = batch_since(scx_bpf_task_cpu(p));

	if (since)
		*since = 0;
	if (tctx)
		tctx->last_ran = scxpp_now();
	if (runnable && !p->scx.slice) {
		scxpp_stat_inc(SCXPP_STAT_EXPIRED);
		if (tctx)
			tctx->nr_expired++;
	}
	/*
	 * Interactive, yet running 4x the burst limit without sleeping: not any more, unless
	 * that is out of character (first_overrun). Under a hypervisor a stall of the host is
	 * charged as run time to whatever ran, and a 100 us task demoted by one waited behind
	 * batch slices (40 ms) for several wakeups; a task with a record of short bursts is
	 * forgiven one such run. A CPU-bound task uses up its next slice too and is demoted
	 * then; a new one has no record and is demoted at once.
	 */
	if (tctx && tctx->interactive &&
	    p->se.sum_exec_runtime - tctx->exec_at_wake > INTER_DEMOTE_FACTOR * inter_max_burst_ns() &&
	    !first_overrun(tctx)) {
		tctx->interactive = false;
		tctx->avg_burst = INTER_DEMOTE_FACTOR * inter_max_burst_ns();
		scxpp_stat_inc(SCXPP_STAT_INTER_DEMOTIONS);
	}
}

void SCXPP_OPS(batch_enable, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	/* A new task is presumed interactive (a shell command starts at once) until it runs
	 * 4x the burst limit without sleeping; a new CPU-bound thread pays that once. */
	if (tctx) {
		tctx->exec_at_wake = p->se.sum_exec_runtime;
		tctx->interactive = hatch_on();
	}
}

s32 SCXPP_OPS_SLEEPABLE(batch_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	return scxpp_task_ctx_create(p) ? 0 : -ENOMEM;
}

s32 SCXPP_OPS_SLEEPABLE(batch_init)
{
	u32 key = 0;
	struct hot_timer *t = bpf_map_lookup_elem(&hot_timer, &key);
	s32 ret = scxpp_dsq_plan_create(&scxpp_dsq_plan);

	if (ret)
		return ret;
	if (!t)
		return -ENOMEM;
	ret = bpf_timer_init(&t->timer, &hot_timer, 1 /* CLOCK_MONOTONIC */);
	if (!ret)
		ret = bpf_timer_set_callback(&t->timer, hot_timer_fn);
	if (ret)
		scxpp_error("setting up the cache-hot timer failed: %d", ret);
	return ret;
}

void SCXPP_OPS(batch_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(batch_ops,
		 .select_cpu = (void *)batch_select_cpu,
		 .enqueue = (void *)batch_enqueue,
		 .dispatch = (void *)batch_dispatch,
		 .runnable = (void *)batch_runnable,
		 .running = (void *)batch_running,
		 .tick = (void *)batch_tick,
		 .stopping = (void *)batch_stopping,
		 .enable = (void *)batch_enable,
		 .init_task = (void *)batch_init_task,
		 .init = (void *)batch_init,
		 .exit = (void *)batch_exit,
		 .name = "batch");
