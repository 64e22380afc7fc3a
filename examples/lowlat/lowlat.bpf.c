/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lowlat: run latency-critical tasks the moment they wake; share the rest fairly.
 *
 * Who is latency-critical. A task is critical when a selector names it — its thread id
 * (--pid), its command name (--comm), its cgroup (--cgroup), or a negative nice value; the
 * first three are tables an administrator changes while lowlat runs (scxppctl) —
 * or when it behaves like one (--auto): it wakes often (a decaying average of the time
 * between wakeups at most crit_max_interval) and runs briefly each time (a decaying
 * average of the CPU time it uses per wakeup at most crit_max_burst). An audio callback
 * waking every 1-2 ms for 100 us, a market-data handler, a control loop all qualify; a
 * CPU-bound job never does. Behaviour alone makes at most --max_auto_critical tasks
 * critical at a time (a few threads, not a crowd), of which one non-root user's (real
 * uid) at most --max_auto_per_uid, and never a kernel thread. Status is re-evaluated at
 * every wakeup from the averages, in which one burst counts for at most twice
 * crit_max_burst (a single stall does not demote), and a critical task that runs four
 * times crit_max_burst (and a tick) without sleeping loses it on the spot (counted as a
 * demotion), so nothing keeps priority by pretending, while a periodic task that overruns
 * once (catching up on a missed period) is not thrown out for it.
 *
 * What critical means. On wakeup a critical task goes to an idle CPU if there is one: the
 * previous CPU if it is idle (warm cache), else the kernel's SMT- and LLC-aware search. When
 * no CPU is idle it does not queue: it is inserted at the head of a CPU that runs a
 * non-critical task (its previous CPU first) with SCX_ENQ_PREEMPT, which ends that task's
 * slice at once. Only if every allowed CPU already runs a critical task does it wait, in a
 * queue served before everything else. A critical wakeup runs with a slice of
 * crit_max_burst, so critical tasks queued behind one that overruns wait at most that long.
 * A critical task preempted before its burst slice ran out (two critical wakeups raced for
 * one CPU) is put back the same way with the rest of it. A critical task whose slice
 * expires gets no preemption: it is re-queued in the fair queue, at its front, so a
 * critical task that turns CPU-bound cannot crowd out the rest even before its demotion,
 * while a periodic one catching up on a late period runs when the next slice ends.
 *
 * Everything else shares the CPUs by weighted virtual time (nice is honoured), with a lag
 * clamp so a task that slept cannot come back with unbounded credit, and with slices that
 * shrink as the queue grows (slice / (waiting + 1), never below min_slice). Non-critical
 * tasks never starve: critical tasks take the CPU only in bursts of at most crit_max_burst
 * per wakeup, and everything that is not a burst goes through the same fair queue.
 *
 * Costs, and what to change when you adapt it. Picking a victim CPU scans the CPUs when the
 * previous one runs a critical task (O(nr_cpus), only on saturated machines). Preempting
 * costs the victim its cache warmth; machines with many critical tasks per CPU may prefer
 * to queue (set preempt to 0) and rely on short slices.
 */
#include <scxpp/bpf/scxpp.bpf.h>
#include <scxpp/bpf/starvation.bpf.h>

#include "lowlat_intf.h"

char _license[] SEC("license") = "GPL";

/* Live knobs (lowlat_intf.h): start values from main.cc's flags, changed at run time with
 * `scxppctl set lowlat KEY VALUE`. Read through the functions below. */
SCXPP_TUNABLES(LOWLAT_TUNABLES);
const volatile u32 nr_cpu_ids = 1;

static __always_inline u64 slice_ns(void)
{
	return scxpp_tunable(SLICE_US) * 1000;
}

static __always_inline u64 min_slice_ns(void)
{
	u64 min = scxpp_tunable(MIN_SLICE_US), slice = scxpp_tunable(SLICE_US);

	return (min < slice ? min : slice) * 1000;
}

static __always_inline u64 crit_max_burst_ns(void)
{
	return scxpp_tunable(CRIT_MAX_BURST_US) * 1000;
}

/*
 * Explicit selectors: tasks, command names (of one uid's threads, or anyone's) and cgroups
 * that are critical whatever they do.
 * Filled by main.cc from --pid/--comm/--cgroup, and changed while lowlat runs with
 * `scxppctl table lowlat critical_pids add 1234` (the maps are pinned; see main.cc). A
 * change applies from the task's next wakeup. Values: 1 for pids and cgroups (membership
 * only); for a command name, the real uid its threads must have (or LOWLAT_ANY_UID).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOWLAT_MAX_PIDS);
	__type(key, u32);
	__type(value, u64);
} crit_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOWLAT_MAX_COMMS);
	__type(key, char[16]);
	__type(value, u64);
} crit_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOWLAT_MAX_CGROUPS);
	__type(key, u64); /* cgroup id: the cgroup v2 directory's inode number */
	__type(value, u64);
} crit_cgroups SEC(".maps");

SCXPP_DSQ_PLAN_DEFINE(); /* shared:0 = the fair queue, user:0 = queued critical wakeups */
SCXPP_STATS_MAP(SCXPP_NR_STATS);

#define FAIR_DSQ SCXPP_DSQ_ID(SCXPP_DSQ_SHARED, 0)
#define CRIT_DEMOTE_FACTOR 4
/*
 * A slice ends at a scheduler tick, so a task may overrun its slice by a tick: 10 ms with
 * HZ=100, the coarsest common setting. Demotion allows for one, or a 1 ms burst limit
 * would demote a task for the tick it could not help overrunning (4 ms at HZ=250).
 */
#define MAX_TICK_NS (10ULL * 1000 * 1000)
#define CRIT_DSQ SCXPP_DSQ_ID(SCXPP_DSQ_USER, 0)

struct task_ctx {
	u64 vtime;
	u64 last_wake;    /* time of the last wakeup */
	u64 avg_interval; /* decaying average time between wakeups */
	u64 run_start;    /* when it last started running */
	u64 burst;        /* CPU time since the last wakeup */
	u64 avg_burst;    /* decaying average CPU time per wakeup */
	u64 run_slice;    /* the slice it last started running with */
	u64 cut_short;    /* critical, preempted before that slice ran out: the rest of it */
	u32 nr_wakes;
	bool critical;
	bool auto_crit; /* critical by behaviour only: counted in nr_auto_critical */
	u32 auto_uid;   /* with auto_crit: the real uid it is counted for in auto_per_uid */
};
SCXPP_TASK_CTX_DEFINE(struct task_ctx);

static u64 vtime_now;
static s64 nr_auto_critical; /* tasks currently critical by behaviour alone */

/*
 * The auto slots each real uid's threads hold (a non-root uid at most max_auto_per_uid;
 * root's are bounded by max_auto_critical alone): without it, one user running a few
 * threads that wake often and run briefly took every slot, and another user's audio thread
 * got none. An entry exists only while its uid holds a slot, so uids
 * that come and go never fill the map; a uid that does not fit gets no slot. Not
 * preallocated: an element deleted while another CPU still holds a pointer to it is freed
 * only after an RCU grace period, never reused for another uid under that pointer (the
 * count that CPU adds is then lost: its uid may hold one slot more, never another's less).
 */
#define LOWLAT_MAX_AUTO_UIDS 4096
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LOWLAT_MAX_AUTO_UIDS);
	__type(key, u32);
	__type(value, s64);
} auto_per_uid SEC(".maps");
/* Per CPU: does it run (or is it about to run) a critical task? Victim selection skips it. */
static u8 cpu_crit[SCXPP_MAX_CPUS];

static __always_inline void set_cpu_crit(s32 cpu, u8 crit)
{
	u32 i = cpu;

	if (i < SCXPP_MAX_CPUS)
		cpu_crit[i] = crit;
}

static __always_inline bool cpu_runs_crit(s32 cpu)
{
	u32 i = cpu;

	return i < SCXPP_MAX_CPUS && cpu_crit[i];
}

struct cgroup *scx_bpf_task_cgroup(struct task_struct *p) __ksym __weak;
void bpf_cgroup_release(struct cgroup *cgrp) __ksym __weak;

static bool selected_explicitly(struct task_struct *p)
{
	char comm[16];
	u32 pid = p->pid;
	u64 *want_uid;

	if (scxpp_tunable(NICE_CRITICAL) && p->scx.weight > SCXPP_WEIGHT_DFL)
		return true;
	if (bpf_map_lookup_elem(&crit_pids, &pid))
		return true;
	/*
	 * The kernel keeps comm NUL-padded to 16 bytes: the key as userspace writes it. Anyone
	 * can name a thread anything, so a name selects only the threads of the uid it was given
	 * for (LOWLAT_ANY_UID: anyone's, when the administrator says so).
	 */
	if (bpf_probe_read_kernel(comm, sizeof(comm), p->comm) == 0 &&
	    (want_uid = bpf_map_lookup_elem(&crit_comms, comm)) &&
	    (*want_uid == LOWLAT_ANY_UID || *want_uid == BPF_CORE_READ(p, real_cred, uid.val)))
		return true;
	if (bpf_ksym_exists(scx_bpf_task_cgroup)) {
		struct cgroup *cgrp = scx_bpf_task_cgroup(p);
		u64 id = cgrp->kn->id;

		bpf_cgroup_release(cgrp);
		if (bpf_map_lookup_elem(&crit_cgroups, &id))
			return true;
	}
	return false;
}

/* How many auto slots @uid's threads hold. */
static s64 auto_slots_held(u32 uid)
{
	s64 *n = bpf_map_lookup_elem(&auto_per_uid, &uid);

	return n ? *n : 0;
}

static void set_critical(struct task_struct *p, struct task_ctx *tctx, bool crit, bool by_auto)
{
	s64 zero = 0, *n;

	/* Still critical by behaviour alone: it keeps the slot it holds. */
	if (tctx->auto_crit && crit && by_auto)
		return;
	if (tctx->auto_crit) {
		__sync_fetch_and_sub(&nr_auto_critical, 1);
		if ((n = bpf_map_lookup_elem(&auto_per_uid, &tctx->auto_uid)) &&
		    __sync_sub_and_fetch(n, 1) <= 0)
			bpf_map_delete_elem(&auto_per_uid, &tctx->auto_uid);
	}
	tctx->critical = crit;
	tctx->auto_crit = false;
	if (!crit || !by_auto)
		return;
	tctx->auto_uid = BPF_CORE_READ(p, real_cred, uid.val);
	bpf_map_update_elem(&auto_per_uid, &tctx->auto_uid, &zero, BPF_NOEXIST);
	if ((n = bpf_map_lookup_elem(&auto_per_uid, &tctx->auto_uid))) {
		__sync_fetch_and_add(n, 1);
		tctx->auto_crit = true;
		__sync_fetch_and_add(&nr_auto_critical, 1);
	} else {
		tctx->critical = false; /* the map is full: no slot */
	}
}

static void classify(struct task_struct *p, struct task_ctx *tctx)
{
	bool explicit = selected_explicitly(p);
	/*
	 * Kernel threads (rcu_preempt, kworkers) wake often and run briefly too, and one
	 * holding an auto slot kept a probe thread out of it. They are not what --auto is for;
	 * a selector can still name one.
	 */
	bool behaves = scxpp_tunable(AUTO) && !scxpp_is_kthread(p) && tctx->nr_wakes >= 4 &&
		       tctx->avg_burst <= crit_max_burst_ns() &&
		       tctx->avg_interval <= scxpp_tunable(CRIT_MAX_INTERVAL_US) * 1000;
	bool crit;

	/*
	 * "A few threads": --auto marks at most max_auto_critical tasks at once. A
	 * wakeup-heavy crowd (a message-passing benchmark, a build) also wakes often and runs
	 * briefly, but giving all of it priority would only make it preempt itself.
	 */
	if (behaves && !tctx->auto_crit) {
		u32 uid = BPF_CORE_READ(p, real_cred, uid.val);

		/* Root's threads are the administrator's: only the total bounds them. */
		if (nr_auto_critical >= scxpp_tunable(MAX_AUTO_CRITICAL) ||
		    (uid && auto_slots_held(uid) >= (s64)scxpp_tunable(MAX_AUTO_PER_UID)))
			behaves = false;
	}
	crit = explicit || behaves;
	if (crit && !tctx->critical)
		scxpp_stat_inc(SCXPP_STAT_PROMOTIONS);
	else if (!crit && tctx->critical)
		scxpp_stat_inc(SCXPP_STAT_DEMOTIONS);
	set_critical(p, tctx, crit, !explicit);
}

/* A CPU @p may run on whose current task is not critical: its own CPU first. */
static s32 pick_victim(struct task_struct *p)
{
	s32 prev = scx_bpf_task_cpu(p);
	u32 i;

	if (prev >= 0 && !cpu_runs_crit(prev) && bpf_cpumask_test_cpu(prev, p->cpus_ptr))
		return prev;
	bpf_for(i, 0, nr_cpu_ids) {
		if (!cpu_runs_crit(i) && bpf_cpumask_test_cpu(i, p->cpus_ptr))
			return i;
	}
	return -1;
}

s32 SCXPP_OPS(lowlat_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	bool is_idle = false;
	s32 cpu = scxpp_select_idle_cpu(p, prev_cpu, wake_flags, &is_idle);

	if (is_idle) {
		scxpp_stat_inc(SCXPP_STAT_DIRECT);
		if (tctx && tctx->critical) {
			scxpp_stat_inc(SCXPP_STAT_CRIT_WAKEUPS);
			set_cpu_crit(cpu, 1);
		}
		scxpp_dispatch_local(p, tctx && tctx->critical ? crit_max_burst_ns() : slice_ns(), 0);
		return cpu;
	}
	/*
	 * No idle CPU for a critical task: wake it on the CPU lowlat_enqueue() will preempt,
	 * so the preemption is a local insert. Sent there from another CPU's enqueue, the
	 * kernel hands the wakeup's flags on to that CPU and counts SCX_EV_SELECT_CPU_FALLBACK,
	 * as if this callback had returned a CPU the task may not use.
	 */
	if (tctx && tctx->critical && scxpp_tunable(PREEMPT)) {
		s32 victim = pick_victim(p);

		if (victim >= 0)
			return victim;
	}
	return cpu;
}

void SCXPP_OPS(lowlat_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	u64 vtime, slice;
	s32 victim;

	if (!tctx) {
		scxpp_dsq_insert(p, FAIR_DSQ, slice_ns(), enq_flags);
		return;
	}
	/* Preempted inside an RCU read-side section: finish it first (starvation.bpf.h). */
	if (scxpp_rcu_reader_first(p, slice_ns(), enq_flags)) {
		scxpp_stat_inc(SCXPP_STAT_RCU_FIRST);
		return;
	}
	/*
	 * A critical task preempted mid-burst (two critical wakeups raced for one CPU) is put
	 * back as if it had just woken, with the rest of its slice. Through the fair queue, at
	 * its own vtime, which its bursts keep near the hogs', it waited 12-29 ms behind them.
	 * (Preempted by a higher sched class, a task keeps its slice and never comes here.)
	 */
	slice = tctx->cut_short;
	tctx->cut_short = 0;
	if (slice && tctx->critical)
		scxpp_stat_inc(SCXPP_STAT_CRIT_CUT_SHORT);
	else if (tctx->critical && (enq_flags & SCXPP_ENQ_WAKEUP))
		slice = crit_max_burst_ns();
	else
		slice = 0;
	if (slice) {
		if (enq_flags & SCXPP_ENQ_WAKEUP)
			scxpp_stat_inc(SCXPP_STAT_CRIT_WAKEUPS);
		victim = scxpp_tunable(PREEMPT) ? pick_victim(p) : -1;
		if (victim >= 0) {
			set_cpu_crit(victim, 1); /* reserved: the next critical wakeup goes elsewhere */
			scxpp_stat_inc(SCXPP_STAT_PREEMPTS);
			if (victim == scx_bpf_task_cpu(p)) {
				scxpp_dsq_insert(p, SCX_DSQ_LOCAL_ON | victim, slice,
						 enq_flags | SCXPP_ENQ_PREEMPT);
				return;
			}
			/*
			 * Another CPU (it became critical after lowlat_select_cpu(), or the CPU
			 * chosen there took critical work since): not straight into that CPU's
			 * local DSQ, for which the kernel would count a select_cpu fallback (see
			 * there), but at the head of the critical queue with the CPU told to
			 * preempt, which serves that queue first.
			 */
			scxpp_dsq_insert(p, CRIT_DSQ, slice, enq_flags | SCXPP_ENQ_HEAD);
			scx_bpf_kick_cpu(victim, SCXPP_KICK_PREEMPT);
			return;
		}
		scxpp_stat_inc(SCXPP_STAT_CRIT_QUEUED);
		/*
		 * Every allowed CPU runs critical work, which ends within crit_max_burst. Queue
		 * behind it on the task's own CPU: the local DSQ is served without another trip
		 * through ops.dispatch (measurably cheaper per switch under emulation); the
		 * shared critical queue is the fallback when that CPU is not allowed.
		 */
		victim = scx_bpf_task_cpu(p);
		if (victim >= 0 && bpf_cpumask_test_cpu(victim, p->cpus_ptr) &&
		    !scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL_ON | victim))
			scxpp_dsq_insert(p, SCX_DSQ_LOCAL_ON | victim, slice, enq_flags);
		else /* one waiter per CPU at most: the rest wait where any CPU can take them */
			scxpp_dsq_insert(p, CRIT_DSQ, slice, enq_flags);
		return;
	}
	/*
	 * The lag clamp must stick: store the clamped value, not only queue with it. Queued at
	 * the floor but charged from its own lower vtime, a lagging task runs without its vtime
	 * ever reaching vtime_now, so vtime_now (which only running tasks move) stalls and every
	 * lagging task is queued at the same stale floor again and again — ahead of any task
	 * whose vtime is above that floor. Such a task waited as long as the others needed to
	 * close their whole lag: seen as a spinner pinned to CPU 0, just reniced from 19 to 0,
	 * that got no CPU for over 10 s beside three lagging spinners (AffinityAndNiceChurn on
	 * 6.16). Stored, the floor moves up as they run and the waiter gets its turn in order.
	 */
	slice = slice_ns();
	tctx->vtime = scxpp_vtime_clamp_lag(tctx->vtime, vtime_now, slice);
	/*
	 * A critical task whose burst slice ran out (a periodic task catching up on a late
	 * period, or a stall charged as run time) queues in the fair queue like any other, but
	 * at its front: the floor the lag clamp allows. At its own vtime, which its bursts keep
	 * near the hogs', it waited 10-35 ms behind four hogs whose slices end only at a tick.
	 * What this forgives is bounded: a critical task that keeps running loses its status
	 * at 4x the burst limit, and then queues by its vtime.
	 */
	if (tctx->critical)
		tctx->vtime = vtime_now > slice ? vtime_now - slice : 0;
	vtime = tctx->vtime;
	slice = scxpp_slice_scaled(slice, scx_bpf_dsq_nr_queued(FAIR_DSQ), min_slice_ns());
	scxpp_stat_inc(SCXPP_STAT_QUEUED);
	scxpp_dsq_insert_vtime(p, FAIR_DSQ, slice, vtime, enq_flags);
}

void SCXPP_OPS(lowlat_dispatch, s32 cpu, struct task_struct *prev)
{
	if (!scxpp_dsq_move_to_local(CRIT_DSQ))
		scxpp_dsq_move_to_local(FAIR_DSQ);
}

void SCXPP_OPS(lowlat_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	u64 now, interval, burst;

	if (!tctx || !(enq_flags & SCXPP_ENQ_WAKEUP))
		return;
	now = scxpp_now();
	if (tctx->nr_wakes) {
		interval = now - tctx->last_wake;
		/*
		 * One burst counts for at most twice the limit. Under a hypervisor a stall of
		 * the host is charged as run time: one 10 ms "burst" takes a 100 us periodic task's
		 * average to 2.6 ms, and it is not critical for the next four wakeups. Clipped,
		 * it takes three such bursts in a row to demote; a task that really runs long
		 * still averages above the limit, and 4x the limit in one go demotes it at once
		 * (lowlat_stopping).
		 */
		burst = 2 * crit_max_burst_ns();
		if (tctx->burst < burst)
			burst = tctx->burst;
		tctx->avg_interval = tctx->nr_wakes > 1 ? scxpp_ewma(tctx->avg_interval, interval, 2)
							: interval;
		tctx->avg_burst = tctx->nr_wakes > 1 ? scxpp_ewma(tctx->avg_burst, burst, 2) : burst;
	}
	tctx->last_wake = now;
	tctx->burst = 0;
	tctx->nr_wakes++;
	classify(p, tctx);
}

void SCXPP_OPS(lowlat_running, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);

	if (!tctx)
		return;
	tctx->run_start = scxpp_now();
	tctx->run_slice = p->scx.slice;
	set_cpu_crit(cpu, tctx->critical);
	if (scxpp_time_before(vtime_now, tctx->vtime))
		vtime_now = tctx->vtime;
}

void SCXPP_OPS(lowlat_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);
	u64 ran;

	/*
	 * Only a critical task clears its CPU's mark. A non-critical one stopping may be the
	 * victim of a critical wakeup sent there, and the mark is that wakeup's reservation:
	 * cleared now, a second critical wakeup could pick the same CPU and preempt the first.
	 */
	if (!tctx || tctx->critical)
		set_cpu_crit(cpu, 0);
	if (!tctx)
		return;
	ran = scxpp_now() - tctx->run_start;
	/*
	 * Against the slice it started with: a task put back with the rest of a slice and then
	 * running all of it has used its burst, and goes to the fair queue.
	 */
	tctx->cut_short = 0;
	if (tctx->critical && runnable && ran + tctx->run_slice / 8 < tctx->run_slice)
		tctx->cut_short = tctx->run_slice - ran;
	tctx->burst += ran;
	tctx->vtime += scxpp_vtime_delta(ran, p->scx.weight);
	/*
	 * Running several times the burst limit without sleeping is CPU-bound behaviour: demote
	 * at once. Smaller overruns (a periodic task catching up on a missed period) only move
	 * the average, which decides at the next wakeup: hysteresis, not flapping. A tick more
	 * is allowed (MAX_TICK_NS): with 1 ms bursts at HZ=250, one expired slice ran 4 ms, and
	 * periodic probes were demoted for it and then waited 30-40 ms behind four hogs.
	 */
	if (tctx->critical &&
	    tctx->burst > CRIT_DEMOTE_FACTOR * crit_max_burst_ns() + MAX_TICK_NS) {
		set_critical(p, tctx, false, false);
		scxpp_stat_inc(SCXPP_STAT_CPU_BOUND);
	}
}

void SCXPP_OPS(lowlat_disable, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx)
		set_critical(p, tctx, false, false);
}

void SCXPP_OPS(lowlat_enable, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx)
		tctx->vtime = vtime_now;
}

s32 SCXPP_OPS_SLEEPABLE(lowlat_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	u32 pid = p->pid;

	/*
	 * A new thread is never the one a pid selector named: an entry under its pid is of a
	 * thread that exited while the scheduler was not loaded (a restart), so nobody removed it.
	 */
	if (args->fork && !bpf_map_delete_elem(&crit_pids, &pid))
		scxpp_stat_inc(SCXPP_STAT_PIDS_EXITED);
	return scxpp_task_ctx_create(p) ? 0 : -ENOMEM;
}

/*
 * A pid selector names one thread: when it exits, the entry goes with it, or the next thread
 * given that pid (any user's) would inherit critical treatment. ops.exit_task also runs for
 * every live task when the scheduler is unloaded; those are not exiting and keep their
 * entries (the runner carries the table over a restart).
 */
void SCXPP_OPS(lowlat_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	u32 pid = p->pid;

	if (scxpp_task_exiting(p) && !bpf_map_delete_elem(&crit_pids, &pid))
		scxpp_stat_inc(SCXPP_STAT_PIDS_EXITED);
}

/* No task waits in the fair queue longer than --max_wait_ms (starvation.bpf.h). */
static void guard_fair_queue(void)
{
	scxpp_stat_add(SCXPP_STAT_RESCUED,
		       scxpp_rescue_starved(FAIR_DSQ, scxpp_tunable(MAX_WAIT_MS), 8,
					    SCXPP_RESCUE_TO_CPU));
}
SCXPP_STARVATION_GUARD_DEFINE(guard_fair_queue);

s32 SCXPP_OPS_SLEEPABLE(lowlat_init)
{
	s32 ret = scxpp_dsq_plan_create(&scxpp_dsq_plan);

	if (ret)
		return ret;
	return scxpp_starvation_guard_start();
}

void SCXPP_OPS(lowlat_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(lowlat_ops,
		 .select_cpu = (void *)lowlat_select_cpu,
		 .enqueue = (void *)lowlat_enqueue,
		 .dispatch = (void *)lowlat_dispatch,
		 .runnable = (void *)lowlat_runnable,
		 .running = (void *)lowlat_running,
		 .stopping = (void *)lowlat_stopping,
		 .enable = (void *)lowlat_enable,
		 .disable = (void *)lowlat_disable,
		 .init_task = (void *)lowlat_init_task,
		 .exit_task = (void *)lowlat_exit_task,
		 .init = (void *)lowlat_init,
		 .exit = (void *)lowlat_exit,
		 .name = "lowlat");
