/* SPDX-License-Identifier: GPL-2.0-only */
/* A scheduler the verifier must reject: it writes past the end of a map value. */
#include <scxpp/bpf/scxpp.bpf.h>

char _license[] SEC("license") = "GPL";

SCXPP_STATS_MAP(1);

void SCXPP_OPS(bad_enqueue, struct task_struct *p, u64 enq_flags)
{
	u32 key = 0;
	u64 *v = bpf_map_lookup_elem(&scxpp_stats, &key);

	if (v)
		v[1] += 1; /* the value is one u64: out of bounds, rejected at load */
	scxpp_dsq_insert(p, SCX_DSQ_GLOBAL, 0, enq_flags);
}

void SCXPP_OPS(bad_exit, struct scx_exit_info *ei)
{
	scxpp_record_exit(ei);
}

SCXPP_OPS_DEFINE(badverifier_ops, .enqueue = (void *)bad_enqueue, .exit = (void *)bad_exit,
		 .name = "badverifier");
