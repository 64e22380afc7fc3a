/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * scxpp's BPF umbrella header: the one line a scheduler's .bpf.c includes.
 *
 * Layers, lowest first: base.bpf.h (vmlinux.h + libbpf's headers); *_common.h (shared with
 * C++); the kfunc declarations and compatibility layer; the building blocks (exit info,
 * stats); the ops-definition macros. Each header also compiles on its own
 * (bpf.headers_standalone).
 */
#ifndef SCXPP_BPF_SCXPP_BPF_H_
#define SCXPP_BPF_SCXPP_BPF_H_

#include "base.bpf.h"

#include "sched_math_common.h"
#include "topology_common.h"
#include "kfuncs.bpf.h"
#include "exit_info.bpf.h"
#include "stats.bpf.h"
#include "tunables.bpf.h"
#include "task_ctx.bpf.h"
#include "dsq.bpf.h"
#include "idle.bpf.h"

/* A struct_ops callback: `s32 SCXPP_OPS(my_select_cpu, struct task_struct *p, ...)`. */
#define SCXPP_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
/* A sleepable callback (init, init_task, cgroup_init, exit, cpu_online/offline, ...). */
#define SCXPP_OPS_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/*
 * Define the scheduler's ops table: SCXPP_OPS_DEFINE(my_ops, .enqueue = (void *)my_enqueue,
 * ..., .name = "my_sched"). Sets exit_dump_len to the size scxpp_record_exit() copies.
 */
#define SCXPP_OPS_DEFINE(__name, ...)                                  \
	SEC(".struct_ops.link") struct sched_ext_ops __name = {        \
		.exit_dump_len = SCXPP_EXIT_DUMP_LEN,                  \
		__VA_ARGS__,                                           \
	}

#endif /* SCXPP_BPF_SCXPP_BPF_H_ */
