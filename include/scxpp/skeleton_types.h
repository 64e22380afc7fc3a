// SPDX-License-Identifier: Apache-2.0
/// @file
/// The kernel-style integer types (u64, s32, ...) that bpftool-generated skeletons use for
/// the scheduler's global variables. Included by the `<name>.skel.h` wrapper that
/// scxpp_add_bpf_skeleton() generates, before bpftool's own output.
#ifndef SCXPP_SKELETON_TYPES_H_
#define SCXPP_SKELETON_TYPES_H_

#include <linux/types.h>

#include <cstdbool>
#include <cstdint>

/// @cond
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
/// @endcond

// Types of scxpp's building blocks that schedulers keep in their global data.
#include "scxpp/bpf/dsq_plan_common.h"
#include "scxpp/bpf/exit_info_common.h"
#include "scxpp/bpf/sched_math_common.h"
#include "scxpp/bpf/stats_common.h"
#include "scxpp/bpf/tunables_common.h"
#include "scxpp/bpf/topology_common.h"

#endif  // SCXPP_SKELETON_TYPES_H_
