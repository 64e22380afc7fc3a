/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-CPU stats counters (BPF side). See stats_common.h for declaring the list.
 *
 *   SCXPP_STATS_MAP(SCXPP_NR_STATS);     // once, in the .bpf.c
 *   scxpp_stat_inc(SCXPP_STAT_ENQUEUED);  // anywhere, cheap: a per-CPU add
 */
#ifndef SCXPP_BPF_STATS_BPF_H_
#define SCXPP_BPF_STATS_BPF_H_

#include "base.bpf.h"
#include "stats_common.h"

#define SCXPP_STATS_MAP(nr)                                  \
	struct {                                             \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);     \
		__uint(max_entries, (nr));                   \
		__type(key, u32);                            \
		__type(value, u64);                          \
	} scxpp_stats SEC(".maps")

#define scxpp_stat_add(idx, n)                                          \
	do {                                                            \
		u32 ___key = (idx);                                     \
		u64 *___v = bpf_map_lookup_elem(&scxpp_stats, &___key); \
		if (___v)                                               \
			*___v += (n);                                   \
	} while (0)
#define scxpp_stat_inc(idx) scxpp_stat_add(idx, 1)

#endif /* SCXPP_BPF_STATS_BPF_H_ */
