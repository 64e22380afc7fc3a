/* SPDX-License-Identifier: GPL-2.0-only */
/* The smallest sched_ext scheduler: everything on the built-in global DSQ. Only opened. */
#include <scxpp/bpf/scxpp.bpf.h>

char _license[] SEC("license") = "GPL";

void SCXPP_OPS(test_package_enqueue, struct task_struct *p, u64 enq_flags)
{
	scxpp_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void SCXPP_OPS(test_package_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(test_package_ops,
		 .enqueue = (void *)test_package_enqueue,
		 .exit = (void *)test_package_exit,
		 .name = "test_package");
