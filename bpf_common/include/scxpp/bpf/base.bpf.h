/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The base every scxpp BPF header stands on: vmlinux.h (without its kfunc prototypes, which
 * kfuncs.bpf.h declares with the attributes sched_ext needs) and libbpf's helper, tracing
 * and CO-RE headers. Each scxpp/bpf/ header includes it, so any one of them compiles on its
 * own; a program that includes vmlinux.h itself must define BPF_NO_KFUNC_PROTOTYPES first.
 */
#ifndef SCXPP_BPF_BASE_BPF_H_
#define SCXPP_BPF_BASE_BPF_H_

/* vmlinux.h's generated kfunc prototypes clash with ours (address-space attributes). */
#ifndef BPF_NO_KFUNC_PROTOTYPES
#define BPF_NO_KFUNC_PROTOTYPES
#endif
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Fails when vmlinux.h lost the high bits of 64-bit enums (clang < 16, old pahole). */
_Static_assert(SCX_DSQ_FLAG_BUILTIN, "vmlinux.h lacks 64-bit enum values: regenerate it with "
				     "a newer bpftool/pahole and compile with clang >= 16");

#endif /* SCXPP_BPF_BASE_BPF_H_ */
