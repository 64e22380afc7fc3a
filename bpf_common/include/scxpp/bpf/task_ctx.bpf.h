/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-task and per-cgroup context in BPF local storage.
 *
 *   struct task_ctx { u64 vtime; ... };
 *   SCXPP_TASK_CTX_DEFINE(struct task_ctx);
 *   ... in ops.init_task:  if (!scxpp_task_ctx_create(p)) return -ENOMEM;
 *   ... elsewhere:         struct task_ctx *tctx = scxpp_task_ctx(p); if (!tctx) ...
 *
 * Storage lives and dies with the task (or cgroup); nothing to free in exit_task.
 * Cgroup storage (SCXPP_CGROUP_CTX_DEFINE) needs Linux >= 6.2 (all sched_ext kernels).
 */
#ifndef SCXPP_BPF_TASK_CTX_BPF_H_
#define SCXPP_BPF_TASK_CTX_BPF_H_

#include "base.bpf.h"

#define SCXPP_TASK_CTX_DEFINE(ctx_type)                                                   \
	struct {                                                                      \
		__uint(type, BPF_MAP_TYPE_TASK_STORAGE);                              \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                 \
		__type(key, int);                                                     \
		__type(value, ctx_type);                                                  \
	} scxpp_task_ctx_stor SEC(".maps");                                           \
	static __always_inline ctx_type *scxpp_task_ctx(const struct task_struct *p)       \
	{                                                                             \
		return bpf_task_storage_get(&scxpp_task_ctx_stor, (struct task_struct *)p, \
					    0, 0);                                    \
	}                                                                             \
	static __always_inline ctx_type *scxpp_task_ctx_create(struct task_struct *p)      \
	{                                                                             \
		return bpf_task_storage_get(&scxpp_task_ctx_stor, p, 0,               \
					    BPF_LOCAL_STORAGE_GET_F_CREATE);          \
	}

#define SCXPP_CGROUP_CTX_DEFINE(ctx_type)                                                 \
	struct {                                                                      \
		__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);                              \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                 \
		__type(key, int);                                                     \
		__type(value, ctx_type);                                                  \
	} scxpp_cgroup_ctx_stor SEC(".maps");                                         \
	static __always_inline ctx_type *scxpp_cgroup_ctx(struct cgroup *cgrp)             \
	{                                                                             \
		return bpf_cgrp_storage_get(&scxpp_cgroup_ctx_stor, cgrp, 0, 0);      \
	}                                                                             \
	static __always_inline ctx_type *scxpp_cgroup_ctx_create(struct cgroup *cgrp)      \
	{                                                                             \
		return bpf_cgrp_storage_get(&scxpp_cgroup_ctx_stor, cgrp, 0,          \
					    BPF_LOCAL_STORAGE_GET_F_CREATE);          \
	}

#endif /* SCXPP_BPF_TASK_CTX_BPF_H_ */
