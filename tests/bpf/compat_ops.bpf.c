/* SPDX-License-Identifier: GPL-2.0-only */
/* An ops table that uses callbacks and fields newer than 6.16, for the compatibility tests. */
#include <scxpp/bpf/scxpp.bpf.h>

char _license[] SEC("license") = "GPL";

void SCXPP_OPS(compat_set_bw, struct cgroup *cgrp, u64 period_us, u64 quota_us, u64 burst_us)
{
}

void SCXPP_OPS(compat_set_idle, struct cgroup *cgrp, bool idle)
{
}

void SCXPP_OPS(compat_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(compat_ops,
		 .cgroup_set_bandwidth = (void *)compat_set_bw,
		 .cgroup_set_idle = (void *)compat_set_idle,
		 .exit = (void *)compat_exit,
		 .rescue_quantum_us = 2000,
		 .timeout_ms = 5000,
		 .name = "compat");
