/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fairshare: multi-tenant proportional share by cgroup — cpu.weight and cpu.max honoured.
 *
 * The model. Each tenant is a cgroup v2 subtree. At every level of the tree, the entities
 * competing for the parent's CPU are its child cgroups that have runnable work (weighted by
 * their cpu.weight) and the parent's own runnable tasks (weighted by their nice weight),
 * exactly as the kernel's own group scheduling defines it. A task's share of the machine is
 * therefore the product, along its path from the root, of weight / (sum of the weights of
 * the active competitors) — its "hierarchical weight".
 *
 * How it is enforced: one queue, flattened weights. Every runnable task waits in one
 * vtime-ordered queue, and a task's vtime advances by the CPU time it used divided by its
 * hierarchical weight. Ordering by vtime then gives each task CPU in proportion to its
 * hierarchical weight, so each cgroup gets its share, recursively, without a queue per
 * cgroup. The sums are kept current by the hooks, not by polling: ops.runnable /
 * ops.quiescent add and remove a task's weight in its cgroup; a cgroup whose sum becomes
 * non-zero adds its own cpu.weight to its parent's (and so on up), and removes it when it
 * drops to zero. So an idle tenant's share goes to the tenants that have work (the machine
 * stays work-conserving) and comes back when it has work again. cgroup_init / cgroup_exit /
 * cgroup_set_weight / cgroup_move keep the tree and the sums in step as cgroups come, go,
 * change weight and gain or lose tasks, while the scheduler runs.
 *
 * No banked credit. A task that slept comes back with its vtime clamped to at most --lag_us
 * (scaled by its weight) behind the queue's, so a tenant that was idle gets its share at once
 * when it returns, but not a burst that starves the others. The clamp is applied in
 * ops.runnable, so a task woken straight onto an idle CPU (which never passes ops.enqueue)
 * gets it too: otherwise it would keep its old vtime, and once preempted run before every
 * queued task until it had caught up.
 *
 * cpu.max. A cgroup with a quota is charged the CPU time of every task below it. Once the
 * quota of the period is spent it is throttled: its tasks are parked in the cgroup's own
 * queue instead of the shared one (a running task's slice is cut to what is left of the
 * quota, and ended at once if nothing is left), and a BPF timer releases them when the period
 * rolls over (it sleeps until the next period end, --bw_tick_us at least and 50 ms at most,
 * so a machine without quotas pays next to nothing for it). Overuse from timer and tick
 * granularity is carried into the next period as debt, so the long-run average is the
 * quota. Quota comes from cgroup_init and cgroup_set_bandwidth (Linux >= 6.17); on older
 * kernels userspace watches the cpu.max files (inotify), reads them when one changes and
 * hands them over through fairshare_bw_user, which the timer applies (cpu_max_watcher.cc).
 *
 * Starvation guard. Weighted vtime bounds no single wait: a task whose vtime ran ahead (a low
 * share, or a run charged while the root was crowded) waits until every task queued before
 * it has caught up, and new and waking tasks keep being placed before it (a fork storm).
 * A task still queued after --max_wait_ms is moved to a CPU and run next
 * (scxpp_rescue_starved(), every 100 ms); throttled cgroups' parked tasks are not (their
 * wait is the quota). Without it, the soak's stress-ng mix kept a low-weight kernel thread
 * waiting until the kernel's RCU stall detector ejected the scheduler. And a task preempted
 * inside an RCU read-side section (it holds up every grace period) goes first, whatever its
 * vtime or its cgroup's quota (kernel code, short): the guard alone let nice-19
 * khugepaged run 5 ms a second, too little to leave its section in 21 s
 * (scxpp_rcu_reader_first()).
 *
 * Costs, and what to change when you adapt it. Each charge walks the task's cgroup path
 * (depth <= FAIRSHARE_MAX_DEPTH hash lookups); one shared queue serialises dispatch, which is
 * right for tens of CPUs; beyond that, shard the queue per LLC and balance between shards.
 * Weights are sampled when CPU time is charged, so a share change applies from the next slice
 * on. At most FAIRSHARE_MAX_CAPPED cgroups may have a cpu.max quota at a time.
 *
 * Other users' cgroups. Where the cpu controller is delegated, ordinary users make cgroups,
 * and the table and the parking queues are shared by all. A cgroup that cannot be tracked
 * (the table is full, its owner has user_cgroups in it, its parent is not tracked) is left
 * out and its tasks count as its nearest tracked ancestor: a new cgroup must never be an
 * error, which would eject the scheduler. One non-root owner's caps take at most user_capped
 * parking queues.
 */
#include <scxpp/bpf/scxpp.bpf.h>
#include <scxpp/bpf/starvation.bpf.h>

#include "fairshare_intf.h"

char _license[] SEC("license") = "GPL";

/* Live knobs (fairshare_intf.h): start values from main.cc's flags, changed at run time with
 * `scxppctl set fairshare KEY VALUE`. */
SCXPP_TUNABLES(FAIRSHARE_TUNABLES);
#define slice_ns (scxpp_tunable(SLICE_US) * 1000)
#define lag_ns (scxpp_tunable(LAG_US) * 1000)
#define bw_tick_ns (scxpp_tunable(BW_TICK_US) * 1000)
const volatile bool bandwidth = true; /* fixed at load: --bandwidth */

SCXPP_DSQ_PLAN_DEFINE(); /* shared:0 = every runnable task; user:N = cgroup N's parking queue */
SCXPP_STATS_MAP(SCXPP_NR_STATS);

#define FAIR_DSQ SCXPP_DSQ_ID(SCXPP_DSQ_SHARED, 0)
#define PARK_DSQ(slot) SCXPP_DSQ_ID(SCXPP_DSQ_USER, (slot))
#define ONE (1ULL << 20) /* a hierarchical weight of 1: the whole machine */
#define NO_SLOT (-1)

/* The cgroup table: one entry per cgroup, keyed by cgroup id (its kernfs inode number). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FAIRSHARE_MAX_CGROUPS);
	__type(key, u64);
	__type(value, struct fairshare_cgroup);
} fairshare_cgroups SEC(".maps");

/*
 * cpu.max from userspace on kernels that do not report it (cpu_max_watcher.cc fills it
 * and bumps bw_user_gen; the timer applies it). Keyed by cgroup id.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FAIRSHARE_MAX_CGROUPS);
	__type(key, u64);
	__type(value, struct fairshare_bw);
} fairshare_bw_user SEC(".maps");
volatile u64 bw_user_gen;
static u64 bw_user_seen;

/*
 * Run-time overrides of a tenant's weight and cap (scxppctl table fairshare tenants ...):
 * overrides.cc checks and writes them and bumps override_gen; the timer applies them (within
 * BW_IDLE_TICK_NS). An entry of zeros gives the cgroup back its own cpu.weight and cpu.max.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FAIRSHARE_MAX_CGROUPS);
	__type(key, u64);
	__type(value, struct fairshare_override);
} fairshare_overrides SEC(".maps");
volatile u64 override_gen;
static u64 override_seen;

/*
 * Per delegated subtree (the cgroup id of its top: see cg_owner()): how many of its cgroups
 * are in the table and how many have a parking queue. The tunables user_cgroups and
 * user_capped bound both, so one user's mkdir loop cannot fill the table for everyone (nor,
 * full, eject the scheduler), nor take every parking queue. Root's cgroups are not counted.
 * A subtree that does not fit in this map is over its limits.
 */
struct owner_count {
	s64 cgroups;
	s64 capped;
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FAIRSHARE_MAX_OWNERS);
	__type(key, u64);
	__type(value, struct owner_count);
} fairshare_owners SEC(".maps");

/* Which cgroup owns each parking queue (0 = free), and how many are owned. */
static u64 slot_owner[FAIRSHARE_MAX_CAPPED];
static s32 nr_capped;
/* The bandwidth timer's longest sleep: how late a cap written from user space may apply. */
#define BW_IDLE_TICK_NS (50ULL * 1000 * 1000)

struct task_ctx {
	u64 vtime;
	u64 exec_mark;   /* sum_exec_runtime at the last charge */
	u64 cgid;        /* the task's cgroup */
	u64 counted_cgid; /* where its weight is counted while runnable, 0 when not */
	u32 counted_weight;
};
SCXPP_TASK_CTX_DEFINE(struct task_ctx);

struct bw_timer {
	struct bpf_timer timer;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct bw_timer);
} bw_timers SEC(".maps");

static u64 vtime_now;

static __always_inline struct fairshare_cgroup *cg_lookup(u64 id)
{
	return id ? bpf_map_lookup_elem(&fairshare_cgroups, &id) : NULL;
}

static __always_inline u64 cg_id(struct cgroup *cgrp)
{
	return cgrp->kn->id;
}

/* @owner's counts, created on first use; NULL when the map is full. */
static struct owner_count *owner_counts(u64 owner)
{
	struct owner_count zero = {}, *oc = bpf_map_lookup_elem(&fairshare_owners, &owner);

	if (oc)
		return oc;
	bpf_map_update_elem(&fairshare_owners, &owner, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&fairshare_owners, &owner);
}

/*
 * The ancestor at @level of the cgroup at address @cgrp (itself at its level), NULL if
 * unreadable: cgroup::ancestors[] holds them all. Read by address with probe reads, which
 * need no trusted pointer (a pointer given to a subprogram is not one) and, unlike
 * bpf_cgroup_from_id(), do not depend on the calling task's cgroup namespace. The cgroup
 * being initialised or moved to keeps its ancestors alive. Read its fields with
 * BPF_CORE_READ (probe reads) only.
 */
static __always_inline struct cgroup *ancestor_at(u64 cgrp, s32 level)
{
	struct cgroup *anc = NULL;
	u64 slot = cgrp + bpf_core_field_offset(struct cgroup, ancestors) + (u64)level * sizeof(anc);

	if (level < 0 || bpf_probe_read_kernel(&anc, sizeof(anc), (void *)slot))
		return NULL;
	return anc;
}

/* The id of the ancestor at @level of the cgroup at address @cgrp (0: none). */
static u64 ancestor_id(u64 cgrp, s32 level)
{
	struct cgroup *anc = ancestor_at(cgrp, level);

	return anc ? BPF_CORE_READ(anc, kn, id) : 0;
}

/*
 * The id of the nearest cgroup at or above @cgrp (at @level) that is in the table (0: none).
 * A task is charged there: a cgroup left out of the table counts as part of its tracked
 * ancestor. Below level 1 a cgroup is tracked only if its parent is, so the tracked ones on
 * a path form a prefix and a binary search over the levels finds the deepest, at any depth.
 */
static u64 tracked_id(u64 cgrp, s32 level)
{
	u64 id = ancestor_id(cgrp, level), best = 0;
	s32 lo = 1, hi = level - 1, mid;
	u32 i;

	if (cg_lookup(id))
		return id;
	bpf_for(i, 0, 32) {
		if (lo > hi)
			break;
		mid = lo + (s32)((u32)(hi - lo) >> 1); /* hi >= lo here */
		id = ancestor_id(cgrp, mid);
		if (cg_lookup(id)) {
			best = id;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (!best && cg_lookup(id = ancestor_id(cgrp, 0))) /* the root, if it is tracked */
		best = id;
	return best;
}

/* @cgrp's address as a plain number (the stack copy drops the pointer's type). */
static __always_inline u64 cg_addr(struct cgroup *cgrp)
{
	u64 addr = 0;

	bpf_probe_read_kernel(&addr, sizeof(addr), &cgrp);
	return addr;
}

/*
 * Whose limits @cgrp counts toward (0: root's): the subtree root delegated to a user — the
 * topmost directory above @cgrp that is not root's (systemd's user@.service), by its cgroup
 * id: that user made everything below. Not the owner of its parent, nor any uid: inside a
 * user namespace (rootless containers) the user may chown its directories, the top one
 * included, to its subordinate uids, and each uid would bring a fresh set of limits. A
 * delegated subtree's own top (chowned to the user, but its cpu.max still root's to write)
 * is root's, so a cap the administrator puts on it never competes with the user's own.
 * Levels below FAIRSHARE_MAX_DEPTH are not looked at: a subtree delegated that deep is
 * root's.
 */
static __always_inline u64 cg_owner(struct cgroup *cgrp)
{
	u64 addr = cg_addr(cgrp);
	struct cgroup *anc;
	s32 level = cgrp->level;
	u32 i;

	bpf_for(i, 1, FAIRSHARE_MAX_DEPTH) {
		if ((s32)i >= level || !(anc = ancestor_at(addr, i)))
			break;
		/* No iattr (never chowned, made by root): reads 0. */
		if (BPF_CORE_READ(anc, kn, iattr, ia_uid.val))
			return BPF_CORE_READ(anc, kn, id);
	}
	return 0;
}

/* Add @w to cgroup @id's sum; a cgroup that becomes active adds its weight to its parent's. */
static void activate(u64 id, u32 w)
{
	struct fairshare_cgroup *c;
	u32 i;

	bpf_for(i, 0, FAIRSHARE_MAX_DEPTH) {
		c = cg_lookup(id);
		if (!c)
			return;
		if (__sync_fetch_and_add(&c->active_weight, w) != 0 || !c->parent_id)
			return;
		w = c->weight;
		c->contrib = w;
		id = c->parent_id;
	}
}

/* Remove @w from cgroup @id's sum; one that goes idle removes its weight from its parent's. */
static void deactivate(u64 id, u32 w)
{
	struct fairshare_cgroup *c;
	u32 i;

	bpf_for(i, 0, FAIRSHARE_MAX_DEPTH) {
		c = cg_lookup(id);
		if (!c)
			return;
		if (__sync_sub_and_fetch(&c->active_weight, w) != 0 || !c->parent_id)
			return;
		w = c->contrib;
		id = c->parent_id;
	}
}

static void count_task(struct task_struct *p, struct task_ctx *tctx)
{
	tctx->counted_cgid = tctx->cgid;
	tctx->counted_weight = p->scx.weight;
	activate(tctx->cgid, tctx->counted_weight);
}

static void uncount_task(struct task_ctx *tctx)
{
	if (!tctx->counted_cgid)
		return;
	deactivate(tctx->counted_cgid, tctx->counted_weight);
	tctx->counted_cgid = 0;
}

/*
 * The nearest cgroup on @id's path to the root that is throttled, or NULL. Also, when
 * @charge_ns is not 0, charges it to every capped cgroup on the path (throttling the ones
 * whose quota it exhausts) and returns the smallest quota left in *@left_ns.
 */
static struct fairshare_cgroup *walk_caps(u64 id, u64 charge_ns, u64 *left_ns)
{
	struct fairshare_cgroup *c, *throttled = NULL;
	s64 used;
	u32 i;

	if (left_ns)
		*left_ns = (u64)-1;
	if (!bandwidth || !nr_capped) /* the common case: nothing to charge, nothing throttled */
		return NULL;
	bpf_for(i, 0, FAIRSHARE_MAX_DEPTH) {
		c = cg_lookup(id);
		if (!c)
			break;
		if (c->quota_ns) {
			used = charge_ns ? __sync_add_and_fetch(&c->used_ns, charge_ns) : c->used_ns;
			if (used >= (s64)c->quota_ns && !c->throttled) {
				c->throttled = 1;
				__sync_fetch_and_add(&c->nr_throttles, 1);
				scxpp_stat_inc(SCXPP_STAT_THROTTLES);
			}
			if (left_ns && used < (s64)c->quota_ns && c->quota_ns - used < *left_ns)
				*left_ns = c->quota_ns - used;
		}
		if (c->throttled && !throttled)
			throttled = c;
		id = c->parent_id;
	}
	return throttled;
}

/* @p's share of the machine in units of ONE: the product of weight / active sum up its path. */
static u64 task_share(struct task_struct *p, struct task_ctx *tctx)
{
	struct fairshare_cgroup *c, *parent;
	u64 share = ONE, id = tctx->counted_cgid ?: tctx->cgid;
	s64 sum;
	u32 i, w;

	c = cg_lookup(id);
	if (!c) /* not in the table (yet): compete as a nice-weighted task at the top */
		return ONE * p->scx.weight / 10000 ?: 1;
	sum = c->active_weight;
	share = share * p->scx.weight / (sum > (s64)p->scx.weight ? sum : p->scx.weight);
	bpf_for(i, 0, FAIRSHARE_MAX_DEPTH) {
		if (!c->parent_id)
			break;
		parent = cg_lookup(c->parent_id);
		if (!parent)
			break;
		w = c->contrib ?: c->weight;
		sum = parent->active_weight;
		share = share * w / (sum > (s64)w ? sum : w);
		c = parent;
	}
	return share ?: 1;
}

/* Charge the CPU time @p used since the last charge: its vtime, and any cpu.max above it. */
static void charge(struct task_struct *p, struct task_ctx *tctx)
{
	u64 exec = p->se.sum_exec_runtime, used = exec - tctx->exec_mark;
	u64 id = tctx->counted_cgid ?: tctx->cgid;

	tctx->exec_mark = exec;
	if (!used)
		return;
	struct fairshare_cgroup *c = cg_lookup(id);

	tctx->vtime += (used << 20) / task_share(p, tctx);
	if (c)
		__sync_fetch_and_add(&c->runtime_ns, used);
	walk_caps(id, used, NULL);
	scxpp_stat_add(SCXPP_STAT_CHARGED_US, used / 1000);
}

s32 SCXPP_OPS(fairshare_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	bool is_idle = false;
	s32 cpu;

	/* A throttled cgroup's task must wait for its period: no shortcut to an idle CPU. */
	if (tctx && walk_caps(tctx->cgid, 0, NULL))
		return prev_cpu;
	cpu = scxpp_select_idle_cpu(p, prev_cpu, wake_flags, &is_idle);
	if (is_idle) {
		scxpp_stat_inc(SCXPP_STAT_DIRECT);
		scxpp_dispatch_local(p, slice_ns, 0);
	}
	return cpu;
}

void SCXPP_OPS(fairshare_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	struct fairshare_cgroup *thr;

	if (!tctx) {
		if (!scxpp_keep_last(p, slice_ns, enq_flags))
			scxpp_dsq_insert(p, FAIR_DSQ, slice_ns, enq_flags);
		return;
	}
	/* Preempted inside an RCU read-side section: finish it first (starvation.bpf.h). */
	if (scxpp_rcu_reader_first(p, slice_ns, enq_flags)) {
		scxpp_stat_inc(SCXPP_STAT_RCU_FIRST);
		return;
	}
	/* tctx->vtime was clamped in fairshare_runnable() if the task just woke. */
	thr = walk_caps(tctx->cgid, 0, NULL);
	if (thr && thr->slot >= 0 && thr->slot < FAIRSHARE_MAX_CAPPED) {
		scxpp_stat_inc(SCXPP_STAT_PARKED);
		scxpp_dsq_insert_vtime(p, PARK_DSQ(thr->slot), slice_ns, tctx->vtime, enq_flags);
		return;
	}
	/*
	 * Its slice ran out and nothing else wants this CPU (SCX_OPS_ENQ_LAST): keep running it.
	 * Without the flag the kernel does that on its own, with a fresh 20 ms slice and
	 * without asking, so a throttled cgroup's task alone on its CPU ran on past its quota
	 * (a 0.5-CPU cap set at run time held as 1.0 CPU for half-second stretches, 0.87 over
	 * 4 s); with it, such a task is parked above like any other
	 * (scxpp_keep_last(), scxpp/bpf/dsq.bpf.h).
	 */
	if (scxpp_keep_last(p, slice_ns, enq_flags))
		return;
	scxpp_stat_inc(SCXPP_STAT_QUEUED);
	scxpp_dsq_insert_vtime(p, FAIR_DSQ, slice_ns, tctx->vtime, enq_flags);
}

void SCXPP_OPS(fairshare_dispatch, s32 cpu, struct task_struct *prev)
{
	scxpp_dsq_move_to_local(FAIR_DSQ);
}

void SCXPP_OPS(fairshare_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	u64 lag;

	if (!tctx)
		return;
	if (!tctx->counted_cgid)
		count_task(p, tctx);
	/*
	 * No banked credit: a task that slept comes back at most lag_ns of CPU time (at its
	 * share) behind. Only on wakeup: a task that never left the queue has banked nothing,
	 * and clamping it would hand its time to whoever last pushed vtime_now forward (tasks
	 * with small shares make big vtime steps), which measurably skews the shares. Here, not
	 * in fairshare_enqueue(): a wakeup onto an idle CPU does not pass ops.enqueue.
	 */
	if (enq_flags & SCXPP_ENQ_WAKEUP) {
		lag = (lag_ns << 20) / task_share(p, tctx);
		tctx->vtime = scxpp_vtime_clamp_lag(tctx->vtime, vtime_now, lag);
	}
}

void SCXPP_OPS(fairshare_running, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);
	u64 left;

	if (!tctx)
		return;
	if (scxpp_time_before(vtime_now, tctx->vtime))
		vtime_now = tctx->vtime;
	tctx->exec_mark = p->se.sum_exec_runtime;
	/* Under a quota: run at most what is left of it; nothing left, stop at once. */
	if (walk_caps(tctx->cgid, 0, &left))
		p->scx.slice = 0;
	else if (left < p->scx.slice)
		p->scx.slice = left > 50000 ? left : 50000;
}

void SCXPP_OPS(fairshare_tick, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	/* Charge as it runs: vtime stays current for the shares (charging only at the slice's
	 * end measurably skews nested shares), and a quota is noticed within a tick. */
	if (!tctx)
		return;
	charge(p, tctx);
	if (walk_caps(tctx->cgid, 0, NULL))
		p->scx.slice = 0;
}

void SCXPP_OPS(fairshare_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx)
		charge(p, tctx);
}

/*
 * sched_yield(): the task gives up the rest of its slice and is charged for all of it (as
 * EEVDF pushes a yielder's deadline by a slice). Without the charge a yielder, having used
 * almost nothing, went straight back to the head of the queue, ahead of the task it was
 * yielding to. That is how user-space spin locks wait (spin, then sched_yield() until the
 * holder lets go: the sanitizers' allocator, many runtimes): with the holder preempted, its
 * waiters kept yielding among themselves in front of it: 10,000 threads exiting through
 * ASan's allocator took 88 s instead of 8-10 s, and the watchdog ejected the scheduler. A
 * directed yield (yield_to(), @to set: KVM's pause-loop exits) is not honoured.
 */
bool SCXPP_OPS(fairshare_yield, struct task_struct *from, struct task_struct *to)
{
	struct task_ctx *tctx = scxpp_task_ctx(from);

	if (to)
		return false;
	from->scx.slice = 0; /* what the kernel does for a scheduler without ops.yield */
	scxpp_stat_inc(SCXPP_STAT_YIELDS);
	if (!tctx)
		return false;
	charge(from, tctx);
	tctx->vtime += (slice_ns << 20) / task_share(from, tctx);
	return false;
}

void SCXPP_OPS(fairshare_quiescent, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx)
		uncount_task(tctx);
}

void SCXPP_OPS(fairshare_set_weight, struct task_struct *p, u32 weight)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx && tctx->counted_cgid) {
		uncount_task(tctx);
		tctx->counted_cgid = tctx->cgid;
		tctx->counted_weight = weight;
		activate(tctx->cgid, weight);
	}
}

void SCXPP_OPS(fairshare_cgroup_move, struct task_struct *p, struct cgroup *from,
	       struct cgroup *to)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (!tctx)
		return;
	tctx->cgid = tracked_id(cg_addr(to), to->level);
	if (tctx->counted_cgid) { /* move its weight along */
		uncount_task(tctx);
		count_task(p, tctx);
	}
	scxpp_stat_inc(SCXPP_STAT_MOVES);
}

/* Give @c a parking queue if it has a quota and none yet. */
static void claim_slot(u64 id, struct fairshare_cgroup *c)
{
	struct owner_count *oc = NULL;
	u32 i;

	if (!c->quota_ns || c->slot != NO_SLOT)
		return;
	if (c->owner) {
		oc = owner_counts(c->owner);
		if (!oc || oc->capped >= scxpp_tunable(USER_CAPPED)) {
			scxpp_stat_inc(SCXPP_STAT_USER_NO_SLOT); /* its owner's share of queues is used */
			c->quota_ns = 0;
			return;
		}
	}
	bpf_for(i, 0, FAIRSHARE_MAX_CAPPED) {
		if (__sync_val_compare_and_swap(&slot_owner[i], 0, id) == 0) {
			c->slot = i;
			__sync_fetch_and_add(&nr_capped, 1);
			if (oc)
				__sync_fetch_and_add(&oc->capped, 1);
			return;
		}
	}
	scxpp_stat_inc(SCXPP_STAT_NO_SLOT); /* too many capped cgroups: this one is not capped */
	c->quota_ns = 0;
}

/*
 * Give cgroup @id's parking queue back. The timer and cgroup_exit may both try: only the one
 * that takes the slot from @c gives it back, and only if @id still owns it.
 */
static void release_slot(u64 id, struct fairshare_cgroup *c)
{
	struct owner_count *oc;
	s32 slot = c->slot;

	if (slot < 0 || slot >= FAIRSHARE_MAX_CAPPED ||
	    __sync_val_compare_and_swap(&c->slot, slot, NO_SLOT) != slot)
		return;
	if (__sync_val_compare_and_swap(&slot_owner[slot], id, 0) != id)
		return;
	__sync_fetch_and_sub(&nr_capped, 1);
	if (c->owner && (oc = bpf_map_lookup_elem(&fairshare_owners, &c->owner)))
		__sync_fetch_and_sub(&oc->capped, 1);
}

static void set_bandwidth(u64 id, struct fairshare_cgroup *c, u64 period_us, u64 quota_us)
{
	/* "max" arrives as an enormous quota: no cap. */
	if (!bandwidth || !period_us || !quota_us || quota_us >= (1ULL << 40) ||
	    period_us >= (1ULL << 40)) {
		c->quota_ns = 0;
		c->throttled = 0; /* the timer releases anything parked and frees the slot */
		return;
	}
	c->period_ns = period_us * 1000;
	c->quota_ns = quota_us * 1000;
	claim_slot(id, c);
}

/* The kernel's cpu.max for @c: in force unless an override is. */
static void set_cpu_max(u64 id, struct fairshare_cgroup *c, u64 period_us, u64 quota_us)
{
	c->cpu_max_period_us = period_us;
	c->cpu_max_quota_us = quota_us < (1ULL << 40) ? quota_us : 0;
	if (!c->ovr_quota_us)
		set_bandwidth(id, c, period_us, quota_us);
}

/* Make @weight @c's weight, in its parent's sum too while it is active. */
static void set_cg_weight(struct fairshare_cgroup *c, u32 weight)
{
	struct fairshare_cgroup *parent;
	u32 old = c->contrib;

	c->weight = weight;
	c->contrib = weight;
	if (c->active_weight > 0 && (parent = cg_lookup(c->parent_id)))
		__sync_fetch_and_add(&parent->active_weight, (s64)weight - (s64)old);
}

s32 SCXPP_OPS_SLEEPABLE(fairshare_cgroup_init, struct cgroup *cgrp,
			struct scx_cgroup_init_args *args)
{
	struct fairshare_cgroup c = {
		.weight = args->weight ?: SCXPP_WEIGHT_DFL,
		.level = cgrp->level,
		.slot = NO_SLOT,
	};
	u64 id = cg_id(cgrp);
	struct fairshare_cgroup *cp;
	struct owner_count *oc = NULL;

	if (cgrp->level > 0)
		c.parent_id = cgrp->self.parent->cgroup->kn->id;
	c.contrib = c.weight;
	c.cpu_weight = c.weight;
	c.owner = cg_owner(cgrp);
	/*
	 * A cgroup is left out of the table, and its tasks count as its nearest tracked
	 * ancestor's (tracked_id()), when the table is full, when its owner has user_cgroups in
	 * it, or when its parent is left out (the weight walks go up by parent_id). Refusing
	 * it instead would fail the mkdir, and an error would eject the scheduler: one user's
	 * loop of mkdirs in a delegated subtree did. The level-1 check skips the root, which
	 * need not be in the table.
	 */
	if (cgrp->level > 1 && !cg_lookup(c.parent_id))
		goto untracked;
	if (c.owner) {
		oc = owner_counts(c.owner);
		if (!oc || oc->cgroups >= scxpp_tunable(USER_CGROUPS))
			goto untracked;
	}
	if (bpf_map_update_elem(&fairshare_cgroups, &id, &c, BPF_ANY))
		goto untracked;
	if (oc)
		__sync_fetch_and_add(&oc->cgroups, 1);
	cp = cg_lookup(id);
	if (cp && bpf_core_field_exists(args->bw_quota_us))
		set_cpu_max(id, cp, args->bw_period_us, args->bw_quota_us);
	return 0;
untracked:
	scxpp_stat_inc(SCXPP_STAT_UNTRACKED);
	return 0;
}

void SCXPP_OPS_SLEEPABLE(fairshare_cgroup_exit, struct cgroup *cgrp)
{
	u64 id = cg_id(cgrp);
	struct fairshare_cgroup *c = cg_lookup(id);
	struct owner_count *oc;

	if (!c)
		return;
	release_slot(id, c);
	if (c->owner && (oc = bpf_map_lookup_elem(&fairshare_owners, &c->owner)))
		__sync_fetch_and_sub(&oc->cgroups, 1);
	bpf_map_delete_elem(&fairshare_cgroups, &id);
}

void SCXPP_OPS(fairshare_cgroup_set_weight, struct cgroup *cgrp, u32 weight)
{
	struct fairshare_cgroup *c = cg_lookup(cg_id(cgrp));

	if (!c)
		return;
	c->cpu_weight = weight;
	if (!c->ovr_weight) /* an override stays in force over cpu.weight */
		set_cg_weight(c, weight);
	scxpp_stat_inc(SCXPP_STAT_WEIGHT_CHANGES);
}

void SCXPP_OPS_SLEEPABLE(fairshare_cgroup_set_bandwidth, struct cgroup *cgrp, u64 period_us,
			 u64 quota_us, u64 burst_us)
{
	u64 id = cg_id(cgrp);
	struct fairshare_cgroup *c = cg_lookup(id);

	if (c)
		set_cpu_max(id, c, period_us, quota_us);
}

static long apply_user_bw(struct bpf_map *map, u64 *id, struct fairshare_bw *bw, void *ctx)
{
	struct fairshare_cgroup *c = cg_lookup(*id);

	if (c && (c->cpu_max_quota_us != (bw->quota_us < (1ULL << 40) ? bw->quota_us : 0) ||
		  c->cpu_max_period_us != bw->period_us))
		set_cpu_max(*id, c, bw->period_us, bw->quota_us);
	return 0;
}

static long apply_override(struct bpf_map *map, u64 *id, struct fairshare_override *o, void *ctx)
{
	struct fairshare_cgroup *c = cg_lookup(*id);
	u32 w;

	if (!c)
		return 0;
	c->ovr_weight = o->weight;
	w = o->weight ?: c->cpu_weight;
	if (w && w != c->weight) {
		set_cg_weight(c, w);
		scxpp_stat_inc(SCXPP_STAT_WEIGHT_CHANGES);
	}
	if (o->quota_us != c->ovr_quota_us || o->period_us != c->ovr_period_us) {
		c->ovr_quota_us = o->quota_us;
		c->ovr_period_us = o->period_us;
		if (o->quota_us)
			set_bandwidth(*id, c, o->period_us, o->quota_us);
		else
			set_bandwidth(*id, c, c->cpu_max_period_us, c->cpu_max_quota_us);
	}
	return 0;
}

/* At each period end: roll over the periods of capped cgroups and release what was parked. */
static int bw_timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	u64 now = scxpp_now(), next = now + BW_IDLE_TICK_NS, id;
	struct fairshare_cgroup *c;
	struct task_struct *p;
	s64 used;
	s32 cpu;
	u32 i;

	if (bw_user_gen != bw_user_seen) {
		bw_user_seen = bw_user_gen;
		bpf_for_each_map_elem(&fairshare_bw_user, apply_user_bw, NULL, 0);
	}
	if (override_gen != override_seen) {
		override_seen = override_gen;
		bpf_for_each_map_elem(&fairshare_overrides, apply_override, NULL, 0);
	}
	bpf_for(i, 0, FAIRSHARE_MAX_CAPPED) {
		id = slot_owner[i];
		c = cg_lookup(id);
		if (!c)
			continue;
		if (c->quota_ns && !scxpp_time_before(now, c->period_end)) {
			/* Overuse is debt paid from the next period; nothing carries over unused. */
			used = c->used_ns - (s64)c->quota_ns;
			c->used_ns = used > 0 ? used : 0;
			c->period_end = now + c->period_ns;
			if (c->throttled && c->used_ns < (s64)c->quota_ns) {
				c->throttled = 0;
				scxpp_stat_inc(SCXPP_STAT_UNTHROTTLES);
			}
		}
		if (c->quota_ns && scxpp_time_before(c->period_end, next))
			next = c->period_end;
		if (c->throttled || !scx_bpf_dsq_nr_queued(PARK_DSQ(i)))
			goto maybe_free;
		bpf_rcu_read_lock();
		scxpp_dsq_for_each(p, PARK_DSQ(i)) {
			if (scxpp_dsq_move_vtime(SCXPP_DSQ_ITER, p, FAIR_DSQ, 0)) {
				cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
				if (cpu >= 0)
					scx_bpf_kick_cpu(cpu, SCXPP_KICK_IDLE);
			}
		}
		bpf_rcu_read_unlock();
		/* A task the iterator could not move (being dequeued): try again next tick. */
		if (scx_bpf_dsq_nr_queued(PARK_DSQ(i)))
			next = now;
maybe_free:
		if (!c->quota_ns) {
			if (!scx_bpf_dsq_nr_queued(PARK_DSQ(i)))
				release_slot(id, c);
			else /* the cap was lifted with tasks still parked */
				next = now;
		}
	}
	/*
	 * Wake at the next period end rather than every tick: each wakeup is an interrupt, most
	 * often on an idle CPU. At least bw_tick_us apart; at most BW_IDLE_TICK_NS, to pick up
	 * caps written from user space and overrides.
	 */
	bpf_timer_start(timer, (s64)(next - now) > (s64)bw_tick_ns ? next - now : bw_tick_ns, 0);
	return 0;
}

static void guard_fair_queue(void)
{
	scxpp_stat_add(SCXPP_STAT_RESCUED,
		       scxpp_rescue_starved(FAIR_DSQ, scxpp_tunable(MAX_WAIT_MS), 8,
					    SCXPP_RESCUE_TO_CPU));
}
SCXPP_STARVATION_GUARD_DEFINE(guard_fair_queue);

void SCXPP_OPS(fairshare_enable, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx) {
		tctx->vtime = vtime_now;
		tctx->exec_mark = p->se.sum_exec_runtime;
	}
}

void SCXPP_OPS(fairshare_disable, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx)
		uncount_task(tctx);
}

s32 SCXPP_OPS_SLEEPABLE(fairshare_init_task, struct task_struct *p,
			struct scx_init_task_args *args)
{
	struct task_ctx *tctx = scxpp_task_ctx_create(p);

	if (!tctx)
		return -ENOMEM;
	tctx->cgid = args->cgroup ? tracked_id(cg_addr(args->cgroup), args->cgroup->level) : 0;
	return 0;
}

s32 SCXPP_OPS_SLEEPABLE(fairshare_init)
{
	struct bw_timer *t;
	u32 key = 0;
	s32 ret;

	ret = scxpp_dsq_plan_create(&scxpp_dsq_plan);
	if (ret)
		return ret;
	ret = scxpp_starvation_guard_start();
	if (ret)
		return ret;
	/* Also without --bandwidth: the timer applies run-time weight overrides. */
	t = bpf_map_lookup_elem(&bw_timers, &key);
	if (!t) {
		scxpp_error("no bandwidth timer slot");
		return -ENOMEM;
	}
	bpf_timer_init(&t->timer, &bw_timers, 1 /* CLOCK_MONOTONIC */);
	bpf_timer_set_callback(&t->timer, bw_timer_fn);
	return bpf_timer_start(&t->timer, bw_tick_ns, 0);
}

/*
 * What the kernel's debug dump cannot know: the queue clock, what the fair queue will run
 * next (the kernel lists tasks per CPU, oldest first, and a deep queue is cut off before
 * its head), and each task's vtime and share.
 */
void SCXPP_OPS(fairshare_dump, struct scx_dump_ctx *dctx)
{
	u64 now = bpf_jiffies64();
	struct task_struct *p;
	u32 n = 0;

	scxpp_dump("fairshare: vtime_now=%llu queued=%d\n", vtime_now,
		   scx_bpf_dsq_nr_queued(FAIR_DSQ));
	scxpp_dsq_for_each(p, FAIR_DSQ) {
		if (++n > 8)
			break;
		scxpp_dump("fairshare: next %u: %s[%d] vtime=%llu lead=%lld waited=%llu jiffies\n", n,
			   p->comm, p->pid, p->scx.dsq_vtime, (s64)(p->scx.dsq_vtime - vtime_now),
			   now - p->scx.runnable_at);
	}
}

void SCXPP_OPS(fairshare_dump_task, struct scx_dump_ctx *dctx, struct task_struct *p)
{
	struct task_ctx *tctx = scxpp_task_ctx(p);

	if (tctx)
		scxpp_dump("fairshare: vtime=%llu lead=%lld cgid=%llu share=%llu\n", tctx->vtime,
			   (s64)(tctx->vtime - vtime_now), tctx->cgid, task_share(p, tctx));
}

void SCXPP_OPS(fairshare_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(fairshare_ops,
		 .flags = SCX_OPS_ENQ_LAST, /* see fairshare_enqueue() */
		 .select_cpu = (void *)fairshare_select_cpu,
		 .enqueue = (void *)fairshare_enqueue,
		 .dispatch = (void *)fairshare_dispatch,
		 .runnable = (void *)fairshare_runnable,
		 .running = (void *)fairshare_running,
		 .tick = (void *)fairshare_tick,
		 .stopping = (void *)fairshare_stopping,
		 .quiescent = (void *)fairshare_quiescent,
		 .set_weight = (void *)fairshare_set_weight,
		 .cgroup_init = (void *)fairshare_cgroup_init,
		 .cgroup_exit = (void *)fairshare_cgroup_exit,
		 .cgroup_move = (void *)fairshare_cgroup_move,
		 .dump = (void *)fairshare_dump,
		 .dump_task = (void *)fairshare_dump_task,
		 .cgroup_set_weight = (void *)fairshare_cgroup_set_weight,
		 .cgroup_set_bandwidth = (void *)fairshare_cgroup_set_bandwidth,
		 .yield = (void *)fairshare_yield,
		 .enable = (void *)fairshare_enable,
		 .disable = (void *)fairshare_disable,
		 .init_task = (void *)fairshare_init_task,
		 .init = (void *)fairshare_init,
		 .exit = (void *)fairshare_exit,
		 .name = "fairshare");
