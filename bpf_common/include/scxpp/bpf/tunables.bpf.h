/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Live tunables (BPF side). See tunables_common.h for declaring the list.
 *
 *   SCXPP_TUNABLES(MYSCHED_TUNABLES);          // once, in the .bpf.c
 *   u64 slice = scxpp_tunable(SLICE_US) * 1000; // anywhere: one load from global data
 *
 * The values live in their own data section (SCXPP_TUNABLES_SEC), which libbpf turns into a
 * one-entry, memory-mappable array map: the loader writes the start values (its flags)
 * before load, and later writes — by the loader or by scxppctl through the pinned map — are
 * seen by the next read. They start at the list's defaults.
 */
#ifndef SCXPP_BPF_TUNABLES_BPF_H_
#define SCXPP_BPF_TUNABLES_BPF_H_

#include "base.bpf.h"
#include "tunables_common.h"

#define SCXPP__TUNABLE_INIT(id, name, def, min, max, desc) [SCXPP_TUNABLE_##id] = (def),

#define SCXPP_TUNABLES(LIST)                                                       \
	volatile u64 scxpp_tunables[SCXPP_NR_TUNABLES] SEC(SCXPP_TUNABLES_SEC) = { \
		LIST(SCXPP__TUNABLE_INIT)                                          \
	}

/* The current value of tunable <id> (the list's id, without the SCXPP_TUNABLE_ prefix). */
#define scxpp_tunable(id) (scxpp_tunables[SCXPP_TUNABLE_##id])

#endif /* SCXPP_BPF_TUNABLES_BPF_H_ */
