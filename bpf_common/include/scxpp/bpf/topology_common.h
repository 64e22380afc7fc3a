/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/**
 * @file
 * The CPU topology a scheduler's BPF side reads from read-only data (shared by BPF and C++).
 *
 * A BPF program declares
 *
 *     const volatile struct scxpp_topo scxpp_topo;
 *
 * and userspace fills it before load with scxpp::Topology::FillBpf(&skel->rodata->scxpp_topo).
 * Arrays are indexed by CPU id. LLC, node and core numbers are dense indices
 * (0..nr_llcs-1, 0..nr_nodes-1, 0..nr_cores-1, numbered in the order of each group's lowest
 * online CPU), so they can index per-LLC or per-node arrays and name DSQs directly. Entries of
 * CPUs that are not online hold 0 (and -1 in cpu_sibling): check a CPU is online before trusting
 * them. The topology is a snapshot; the kernel restarts the scheduler on CPU hotplug
 * (SCX_ECODE_RSN_HOTPLUG), and userspace fills it again then.
 *
 * SCXPP_MAX_CPUS sizes the arrays. To change it, define it for the whole program (BPF and C++,
 * e.g. with -DSCXPP_MAX_CPUS=4096 on both compile lines) so both sides agree on the layout.
 */
#ifndef SCXPP_BPF_TOPOLOGY_COMMON_H_
#define SCXPP_BPF_TOPOLOGY_COMMON_H_

#include "types_common.h"

#ifndef SCXPP_MAX_CPUS
/** Capacity of the per-CPU arrays of struct scxpp_topo: CPU ids must be below it. */
#define SCXPP_MAX_CPUS 1024
#endif

/** The CPU topology, as filled by scxpp::Topology::FillBpf(). */
struct scxpp_topo {
	__u32 nr_cpus;  /**< highest possible CPU id + 1 (the kernel's nr_cpu_ids) */
	__u32 nr_llcs;  /**< number of last-level caches with an online CPU */
	__u32 nr_nodes; /**< number of NUMA nodes with an online CPU */
	__u32 pad;      /**< zero */
	__u32 cpu_llc[SCXPP_MAX_CPUS];  /**< dense LLC index of each CPU */
	__u32 cpu_node[SCXPP_MAX_CPUS]; /**< dense NUMA node index of each CPU */
	__u32 cpu_core[SCXPP_MAX_CPUS]; /**< dense physical core index of each CPU */
	__s32 cpu_sibling[SCXPP_MAX_CPUS]; /**< lowest other online SMT sibling, or -1 */
};

#endif /* SCXPP_BPF_TOPOLOGY_COMMON_H_ */
