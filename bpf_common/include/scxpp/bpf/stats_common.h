/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-CPU stats counters shared by BPF and C++.
 *
 * A scheduler declares its counters once, as an X-macro list in its *_intf.h:
 *
 *   #define MYSCHED_STATS(X)                                           \
 *           X(ENQUEUED, "enqueued", "tasks enqueued")                  \
 *           X(DISPATCHED, "dispatched", "tasks moved to a local DSQ")
 *   SCXPP_STATS_ENUM(mysched_stat, MYSCHED_STATS);
 *
 * which yields `enum mysched_stat { SCXPP_STAT_ENQUEUED, SCXPP_STAT_DISPATCHED,
 * SCXPP_NR_STATS }`: the indices take the list's ids with an SCXPP_STAT_ prefix, and
 * SCXPP_NR_STATS counts them (one stats list per program). The BPF side defines the map with
 * SCXPP_STATS_MAP(SCXPP_NR_STATS) (stats.bpf.h); the C++ side binds scxpp::StatsReader to the
 * map by name with the names and descriptions from the same list (SCXPP_STATS_DESCS in
 * <scxpp/stats.h>).
 */
#ifndef SCXPP_BPF_STATS_COMMON_H_
#define SCXPP_BPF_STATS_COMMON_H_

#include "types_common.h"

#define SCXPP_STATS_MAP_NAME "scxpp_stats"

#define SCXPP__STAT_ENUM_ENTRY(id, name, desc) SCXPP_STAT_##id,
/* enum <tag> { SCXPP_STAT_<ID>..., SCXPP_NR_STATS }. One stats list per scheduler. */
#define SCXPP_STATS_ENUM(tag, LIST) enum tag { LIST(SCXPP__STAT_ENUM_ENTRY) SCXPP_NR_STATS }

#endif /* SCXPP_BPF_STATS_COMMON_H_ */
