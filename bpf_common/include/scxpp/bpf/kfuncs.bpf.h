/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sched_ext kfunc declarations and the kernel-compatibility layer.
 *
 * One BPF object must load on every sched_ext kernel scxpp supports. kfuncs that were
 * renamed or added after 6.12 are declared __weak, and the scxpp_* wrappers below pick
 * whatever the running kernel has with bpf_ksym_exists(); the verifier removes the dead
 * branch at load time. Call the wrappers, not the raw kfuncs, unless you need a kfunc
 * that exists everywhere.
 *
 * Minimum kernels: 6.12 for everything here (pre-6.13 names via the fallbacks).
 */
#ifndef SCXPP_BPF_KFUNCS_BPF_H_
#define SCXPP_BPF_KFUNCS_BPF_H_

#include "base.bpf.h"

/* errno values BPF callbacks return (vmlinux.h has no errno macros). */
#ifndef ENOMEM
#define EPERM 1
#define ENOENT 2
#define E2BIG 7
#define ENOMEM 12
#define EBUSY 16
#define EINVAL 22
#define ENOSPC 28
#endif

/* Present in every sched_ext kernel (6.12+). */
s32 scx_bpf_create_dsq(u64 dsq_id, s32 node) __ksym;
void scx_bpf_destroy_dsq(u64 dsq_id) __ksym;
s32 scx_bpf_dsq_nr_queued(u64 dsq_id) __ksym;
s32 scx_bpf_select_cpu_dfl(struct task_struct *p, s32 prev_cpu, u64 wake_flags,
			   bool *is_idle) __ksym;
void scx_bpf_kick_cpu(s32 cpu, u64 flags) __ksym;
bool scx_bpf_test_and_clear_cpu_idle(s32 cpu) __ksym;
s32 scx_bpf_pick_idle_cpu(const struct cpumask *cpus_allowed, u64 flags) __ksym;
s32 scx_bpf_pick_any_cpu(const struct cpumask *cpus_allowed, u64 flags) __ksym;
s32 scx_bpf_task_cpu(const struct task_struct *p) __ksym;
bool scx_bpf_task_running(const struct task_struct *p) __ksym;
u32 scx_bpf_nr_cpu_ids(void) __ksym;
bool bpf_cpumask_test_cpu(u32 cpu, const struct cpumask *cpumask) __ksym;
void scx_bpf_exit_bstr(s64 exit_code, char *fmt, unsigned long long *data, u32 data__sz) __ksym;
void scx_bpf_error_bstr(char *fmt, unsigned long long *data, u32 data_len) __ksym;
void scx_bpf_dump_bstr(char *fmt, unsigned long long *data, u32 data_len) __ksym;

/* 6.13 renamed dispatch -> dsq_insert, consume -> dsq_move_to_local. */
void scx_bpf_dsq_insert(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym __weak;
void scx_bpf_dsq_insert_vtime(struct task_struct *p, u64 dsq_id, u64 slice, u64 vtime,
			      u64 enq_flags) __ksym __weak;
bool scx_bpf_dsq_move_to_local(u64 dsq_id) __ksym __weak;
void scx_bpf_dispatch(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym __weak;
void scx_bpf_dispatch_vtime(struct task_struct *p, u64 dsq_id, u64 slice, u64 vtime,
			    u64 enq_flags) __ksym __weak;
bool scx_bpf_consume(u64 dsq_id) __ksym __weak;

/* RCU read-side critical section (some contexts, e.g. timer callbacks, need one to iterate). */
void bpf_rcu_read_lock(void) __ksym;
void bpf_rcu_read_unlock(void) __ksym;

/* Iterating a DSQ (6.12+) and moving what it finds (6.13 names; 6.12's in brackets). */
int bpf_iter_scx_dsq_new(struct bpf_iter_scx_dsq *it, u64 dsq_id, u64 flags) __ksym __weak;
struct task_struct *bpf_iter_scx_dsq_next(struct bpf_iter_scx_dsq *it) __ksym __weak;
void bpf_iter_scx_dsq_destroy(struct bpf_iter_scx_dsq *it) __ksym __weak;
bool scx_bpf_dsq_move(struct bpf_iter_scx_dsq *it__iter, struct task_struct *p, u64 dsq_id,
		      u64 enq_flags) __ksym __weak;
bool scx_bpf_dsq_move_vtime(struct bpf_iter_scx_dsq *it__iter, struct task_struct *p,
			    u64 dsq_id, u64 enq_flags) __ksym __weak;
bool scx_bpf_dispatch_from_dsq(struct bpf_iter_scx_dsq *it__iter, struct task_struct *p,
			       u64 dsq_id, u64 enq_flags) __ksym __weak;
bool scx_bpf_dispatch_vtime_from_dsq(struct bpf_iter_scx_dsq *it__iter, struct task_struct *p,
				     u64 dsq_id, u64 enq_flags) __ksym __weak;
void scx_bpf_dsq_move_set_slice(struct bpf_iter_scx_dsq *it__iter, u64 slice) __ksym __weak;
void scx_bpf_dsq_move_set_vtime(struct bpf_iter_scx_dsq *it__iter, u64 vtime) __ksym __weak;
void scx_bpf_dispatch_from_dsq_set_slice(struct bpf_iter_scx_dsq *it__iter, u64 slice) __ksym __weak;
void scx_bpf_dispatch_from_dsq_set_vtime(struct bpf_iter_scx_dsq *it__iter, u64 vtime) __ksym __weak;

/*
 * Flags whose values changed between kernels (SCX_ENQ_* mirror the core scheduler's
 * ENQUEUE_* bits: SCX_ENQ_HEAD is 0x10 on 6.16 and 0x10000 on 7.3). Read through CO-RE, so
 * libbpf writes the running kernel's value into the program at load time; an enumerator the
 * kernel lacks reads as 0. Use these, not the compile-time SCX_ENQ_* from vmlinux.h.
 */
#define SCXPP_KENUM(type, name) \
	(bpf_core_enum_value_exists(enum type, name) ? bpf_core_enum_value(enum type, name) : 0)
#define SCXPP_ENQ_WAKEUP SCXPP_KENUM(scx_enq_flags, SCX_ENQ_WAKEUP)
#define SCXPP_ENQ_HEAD SCXPP_KENUM(scx_enq_flags, SCX_ENQ_HEAD)
#define SCXPP_ENQ_CPU_SELECTED SCXPP_KENUM(scx_enq_flags, SCX_ENQ_CPU_SELECTED)
#define SCXPP_ENQ_PREEMPT SCXPP_KENUM(scx_enq_flags, SCX_ENQ_PREEMPT)
#define SCXPP_ENQ_REENQ SCXPP_KENUM(scx_enq_flags, SCX_ENQ_REENQ)
#define SCXPP_ENQ_LAST SCXPP_KENUM(scx_enq_flags, SCX_ENQ_LAST)
#define SCXPP_ENQ_IMMED SCXPP_KENUM(scx_enq_flags, SCX_ENQ_IMMED) /* 7.x; 0 before */
#define SCXPP_WAKE_FORK SCXPP_KENUM(scx_wake_flags, SCX_WAKE_FORK) /* select_cpu wake_flags */
#define SCXPP_WAKE_SYNC SCXPP_KENUM(scx_wake_flags, SCX_WAKE_SYNC)
#define SCXPP_DEQ_SLEEP SCXPP_KENUM(scx_deq_flags, SCX_DEQ_SLEEP)
#define SCXPP_DEQ_SCHED_CHANGE SCXPP_KENUM(scx_deq_flags, SCX_DEQ_SCHED_CHANGE) /* 0 on 6.16 */
/* Stable since 6.12; here for symmetry. */
#define SCXPP_KICK_IDLE SCX_KICK_IDLE
#define SCXPP_KICK_PREEMPT SCX_KICK_PREEMPT

/* task_struct::flags bit of a kernel thread (PF_KTHREAD: a #define, so not in BTF; the same
 * value since 2.6.27). */
#define SCXPP_PF_KTHREAD 0x00200000
/* task_struct::flags bit of a task in do_exit() (PF_EXITING; the same value since 2.6). */
#define SCXPP_PF_EXITING 0x00000004

/*
 * Is @p exiting? ops.exit_task runs both for a task that dies and, when the scheduler is
 * unloaded (a restart included), for every live one: per-task state kept by pid or tid
 * should be dropped only in the first case.
 */
static __always_inline bool scxpp_task_exiting(const struct task_struct *p)
{
	return p->flags & SCXPP_PF_EXITING;
}

/* Is @p a kernel thread (a kworker, ksoftirqd, rcu_preempt, ...)? */
static __always_inline bool scxpp_is_kthread(const struct task_struct *p)
{
	return p->flags & SCXPP_PF_KTHREAD;
}

/* Insert @p into @dsq_id (FIFO). From select_cpu/enqueue/dispatch. */
static __always_inline void scxpp_dsq_insert(struct task_struct *p, u64 dsq_id, u64 slice,
					     u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_insert))
		scx_bpf_dsq_insert(p, dsq_id, slice, enq_flags);
	else
		scx_bpf_dispatch(p, dsq_id, slice, enq_flags);
}

/* Insert @p into user DSQ @dsq_id ordered by @vtime. */
static __always_inline void scxpp_dsq_insert_vtime(struct task_struct *p, u64 dsq_id, u64 slice,
						   u64 vtime, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_insert_vtime))
		scx_bpf_dsq_insert_vtime(p, dsq_id, slice, vtime, enq_flags);
	else
		scx_bpf_dispatch_vtime(p, dsq_id, slice, vtime, enq_flags);
}

/* Move the first task of user DSQ @dsq_id to this CPU's local DSQ. From dispatch only. */
static __always_inline bool scxpp_dsq_move_to_local(u64 dsq_id)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_to_local))
		return scx_bpf_dsq_move_to_local(dsq_id);
	return scx_bpf_consume(dsq_id);
}

/*
 * scxpp_dsq_for_each(p, dsq_id) { ... }: visit the tasks queued on @dsq_id (in dispatch
 * order) when the loop starts. Inside, SCXPP_DSQ_ITER names the iterator for
 * scxpp_dsq_move() / scxpp_dsq_move_vtime(), which move the visited task to another DSQ
 * (FIFO / vtime order). Moving is allowed from ops.dispatch and from contexts that hold no
 * run-queue lock (BPF timers, SYSCALL programs, sleepable ops), not from enqueue. Outside
 * struct_ops callbacks (e.g. in a BPF timer callback) wrap the loop in
 * bpf_rcu_read_lock() / bpf_rcu_read_unlock(): older kernels (6.16) insist on it.
 * scxpp_dsq_for_each_flags(p, dsq_id, flags) is the same with iterator flags:
 * SCX_DSQ_ITER_REV visits from the tail (6.12+).
 */
#define scxpp_dsq_for_each_flags(p, dsq_id, flags) bpf_for_each(scx_dsq, p, dsq_id, flags)
#define scxpp_dsq_for_each(p, dsq_id) scxpp_dsq_for_each_flags(p, dsq_id, 0)
#define SCXPP_DSQ_ITER (&___it)

static __always_inline bool scxpp_dsq_move(struct bpf_iter_scx_dsq *it, struct task_struct *p,
					   u64 dsq_id, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move))
		return scx_bpf_dsq_move(it, p, dsq_id, enq_flags);
	return scx_bpf_dispatch_from_dsq(it, p, dsq_id, enq_flags);
}

/* The slice / vtime the next scxpp_dsq_move*() through @it gives the task it moves. */
static __always_inline void scxpp_dsq_move_set_slice(struct bpf_iter_scx_dsq *it, u64 slice)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_set_slice))
		scx_bpf_dsq_move_set_slice(it, slice);
	else
		scx_bpf_dispatch_from_dsq_set_slice(it, slice);
}

static __always_inline void scxpp_dsq_move_set_vtime(struct bpf_iter_scx_dsq *it, u64 vtime)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_set_vtime))
		scx_bpf_dsq_move_set_vtime(it, vtime);
	else
		scx_bpf_dispatch_from_dsq_set_vtime(it, vtime);
}

static __always_inline bool scxpp_dsq_move_vtime(struct bpf_iter_scx_dsq *it,
						 struct task_struct *p, u64 dsq_id, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_vtime))
		return scx_bpf_dsq_move_vtime(it, p, dsq_id, enq_flags);
	return scx_bpf_dispatch_vtime_from_dsq(it, p, dsq_id, enq_flags);
}

/*
 * Monotonic ns, the same clock in every context and on every CPU. Not scx_bpf_now(): in a
 * BPF timer callback on an idle CPU it returns that CPU's rq clock as of when it went idle
 * (50-97 ms behind on 7.3), so a timer comparing it with a deadline keeps finding the
 * deadline in the future (docs/reliability.md); and its base differs from
 * bpf_ktime_get_ns()'s, so the two cannot be mixed either.
 */
static __always_inline u64 scxpp_now(void)
{
	return bpf_ktime_get_ns();
}

/*
 * scxpp_error(fmt, args...): abort the scheduler with an error; the message reaches
 * userspace through the exit info. scxpp_exit(code, fmt, args...): unregister cleanly with a
 * user exit code. Both format like bpf_printk (at most 12 arguments).
 */
#define SCXPP__BSTR_PREAMBLE(fmt, args...)                                  \
	static char ___fmt[] = fmt;                                         \
	unsigned long long ___param[___bpf_narg(args)];                      \
	_Pragma("GCC diagnostic push")                                       \
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")              \
	___bpf_fill(___param, args);                                         \
	_Pragma("GCC diagnostic pop")
#define scxpp_error(fmt, args...)                                                  \
	({                                                                         \
		SCXPP__BSTR_PREAMBLE(fmt, ##args)                                  \
		scx_bpf_error_bstr(___fmt, ___param, sizeof(___param));            \
	})
#define scxpp_exit(code, fmt, args...)                                             \
	({                                                                         \
		SCXPP__BSTR_PREAMBLE(fmt, ##args)                                  \
		scx_bpf_exit_bstr((code), ___fmt, ___param, sizeof(___param));     \
	})
/*
 * scxpp_dump(fmt, args...): add a line to the kernel's debug dump, from ops.dump,
 * ops.dump_cpu and ops.dump_task only. The dump is taken on an error exit (and on SysRq-D)
 * and reaches userspace with the exit info, where the runner prints it: put there what
 * explains a stall (queue clocks, a task's own vtime and deadline). Lines end at '\n'.
 */
#define scxpp_dump(fmt, args...)                                                   \
	({                                                                         \
		SCXPP__BSTR_PREAMBLE(fmt, ##args)                                  \
		scx_bpf_dump_bstr(___fmt, ___param, sizeof(___param));             \
	})

#endif /* SCXPP_BPF_KFUNCS_BPF_H_ */
