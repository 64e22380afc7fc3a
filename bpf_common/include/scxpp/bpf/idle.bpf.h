/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Idle-CPU selection on top of the kernel's built-in idle tracking (which stays on unless a
 * scheduler implements ops.update_idle without SCX_OPS_KEEP_BUILTIN_IDLE).
 *
 * scxpp_select_idle_cpu() tries, in order: the previous CPU if it is idle (warm cache);
 * then the kernel's topology-aware search (scx_bpf_select_cpu_dfl: a fully idle SMT core
 * first, then an idle CPU in the same LLC, then the same NUMA node, then anywhere). It
 * claims the CPU it returns (clears its idle bit), so two wakeups do not pick the same one.
 */
#ifndef SCXPP_BPF_IDLE_BPF_H_
#define SCXPP_BPF_IDLE_BPF_H_

#include "base.bpf.h"
#include "kfuncs.bpf.h"

/*
 * From ops.select_cpu: returns the CPU to wake @p on and sets *@is_idle when that CPU was
 * idle (then dispatch @p to SCX_DSQ_LOCAL directly: nothing runs there).
 */
static __always_inline s32 scxpp_select_idle_cpu(struct task_struct *p, s32 prev_cpu,
						 u64 wake_flags, bool *is_idle)
{
	if (p->nr_cpus_allowed > 1 && bpf_cpumask_test_cpu(prev_cpu, p->cpus_ptr) &&
	    scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
		*is_idle = true;
		return prev_cpu;
	}
	return scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, is_idle);
}

/* Any idle CPU @p may run on (claimed), or a negative errno when none is idle. */
static __always_inline s32 scxpp_pick_idle_cpu(const struct task_struct *p, bool whole_core)
{
	return scx_bpf_pick_idle_cpu(p->cpus_ptr, whole_core ? SCX_PICK_IDLE_CORE : 0);
}

#endif /* SCXPP_BPF_IDLE_BPF_H_ */
