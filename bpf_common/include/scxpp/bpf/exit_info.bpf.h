/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Recording the kernel's exit info for userspace. Call scxpp_record_exit(ei) from ops.exit;
 * SCXPP_OPS_DEFINE() sizes ops.exit_dump_len to match the dump map.
 */
#ifndef SCXPP_BPF_EXIT_INFO_BPF_H_
#define SCXPP_BPF_EXIT_INFO_BPF_H_

#include "base.bpf.h"
#include "exit_info_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scxpp_exit_info);
} SCXPP_EXIT_INFO_MAP SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scxpp_exit_dump);
} SCXPP_EXIT_DUMP_MAP SEC(".maps");

/// @cond
/* Fields of scx_exit_info older kernels lack, for CO-RE field probing. */
struct scx_exit_info___scxpp_v2 {
	s32 exit_cpu;
	u64 flags;
};
/// @endcond

static __always_inline void scxpp_record_exit(struct scx_exit_info *ei)
{
	u32 zero = 0;
	struct scxpp_exit_info *out = bpf_map_lookup_elem(&SCXPP_EXIT_INFO_MAP, &zero);
	struct scxpp_exit_dump *dump = bpf_map_lookup_elem(&SCXPP_EXIT_DUMP_MAP, &zero);
	struct scx_exit_info___scxpp_v2 *ei2 = (void *)ei;

	if (!out)
		return;
	if (dump && ei->dump)
		bpf_probe_read_kernel_str(dump->text, sizeof(dump->text), ei->dump);
	bpf_probe_read_kernel_str(out->reason, sizeof(out->reason), ei->reason);
	bpf_probe_read_kernel_str(out->msg, sizeof(out->msg), ei->msg);
	out->exit_code = ei->exit_code;
	out->exit_cpu = bpf_core_field_exists(ei2->exit_cpu) ? BPF_CORE_READ(ei2, exit_cpu) : -1;
	out->flags = bpf_core_field_exists(ei2->flags) ? BPF_CORE_READ(ei2, flags) : 0;
	/* Publish last: userspace treats kind != 0 as "the record is complete". */
	__sync_val_compare_and_swap(&out->kind, 0, ei->kind);
}

#endif /* SCXPP_BPF_EXIT_INFO_BPF_H_ */
