/* SPDX-License-Identifier: GPL-2.0-only */
#include <scxpp/bpf/scxpp.bpf.h>
#include "dep_header.h"

char _license[] SEC("license") = "GPL";

void SCXPP_OPS(dep_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(dep_ops, .exit = (void *)dep_exit, .timeout_ms = DEP_TIMEOUT_MS, .name = "dep");
