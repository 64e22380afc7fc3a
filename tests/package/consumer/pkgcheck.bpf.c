/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pkgcheck: the package consumer tests' own scheduler. Policy: every task that does not
 * find an idle CPU goes to the kernel's built-in global DSQ (SCX_DSQ_GLOBAL), which CPUs
 * serve in FIFO order by themselves, so no dispatch callback is needed. Its point is not
 * the policy but that a project outside the tree compiles it with the installed helper,
 * headers and vmlinux.h, and that the result loads.
 */
#include <scxpp/bpf/scxpp.bpf.h>

#include "pkgcheck_intf.h"

char _license[] SEC("license") = "GPL";

const volatile u64 slice_ns = 3ULL * 1000 * 1000;

SCXPP_STATS_MAP(SCXPP_NR_STATS);

s32 SCXPP_OPS(pkgcheck_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	if (is_idle) {
		scxpp_stat_inc(SCXPP_STAT_IDLE);
		scxpp_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
	}
	return cpu;
}

void SCXPP_OPS(pkgcheck_enqueue, struct task_struct *p, u64 enq_flags)
{
	scxpp_stat_inc(SCXPP_STAT_GLOBAL);
	scxpp_dsq_insert(p, SCX_DSQ_GLOBAL, slice_ns, enq_flags);
}

void SCXPP_OPS(pkgcheck_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(pkgcheck_ops,
		 .select_cpu = (void *)pkgcheck_select_cpu,
		 .enqueue = (void *)pkgcheck_enqueue,
		 .exit = (void *)pkgcheck_exit,
		 .name = "pkgcheck");
