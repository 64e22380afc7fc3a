/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Fixed-width kernel types for headers shared by BPF programs and C++ code.
 * On the BPF side vmlinux.h provides them (through base.bpf.h); on the host <linux/types.h>.
 */
#ifndef SCXPP_BPF_TYPES_COMMON_H_
#define SCXPP_BPF_TYPES_COMMON_H_

#ifdef __bpf__
#include "base.bpf.h"
#else
#include <linux/types.h>
#endif

/* Helpers in *_common.h headers: always inlined in BPF, plain inline functions on the host
 * (where they are unit-tested). */
#ifdef __bpf__
/* Spelled out: libbpf's __always_inline may not be defined yet where these are included. */
#define SCXPP_COMMON_INLINE static inline __attribute__((always_inline))
#else
#define SCXPP_COMMON_INLINE static inline
#endif

#endif /* SCXPP_BPF_TYPES_COMMON_H_ */
