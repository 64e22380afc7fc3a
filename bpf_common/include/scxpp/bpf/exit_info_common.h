/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The exit record a scheduler's ops.exit() leaves for userspace (shared by BPF and C++).
 *
 * The BPF side (exit_info.bpf.h) copies the kernel's struct scx_exit_info into the
 * one-element array map SCXPP_EXIT_INFO_MAP and the debug dump into SCXPP_EXIT_DUMP_MAP.
 * The C++ side (scxpp/exit_info.h) finds both maps by name, so it needs no knowledge of the
 * scheduler's skeleton layout. `kind` is published last: non-zero means the record is whole.
 */
#ifndef SCXPP_BPF_EXIT_INFO_COMMON_H_
#define SCXPP_BPF_EXIT_INFO_COMMON_H_

#include "types_common.h"

#define SCXPP_EXIT_INFO_MAP scxpp_exit
#define SCXPP_EXIT_DUMP_MAP scxpp_dump
#define SCXPP_EXIT_INFO_MAP_NAME "scxpp_exit"
#define SCXPP_EXIT_DUMP_MAP_NAME "scxpp_dump"

#define SCXPP_EXIT_REASON_LEN 128
#define SCXPP_EXIT_MSG_LEN 1024
/* Debug dump buffer; also what SCXPP_OPS_DEFINE() sets as ops.exit_dump_len. */
#define SCXPP_EXIT_DUMP_LEN 32768

/** The exit record (value of map SCXPP_EXIT_INFO_MAP). */
struct scxpp_exit_info {
	__s32 kind;      /**< enum scx_exit_kind; 0 until the scheduler exited */
	__s32 exit_cpu;  /**< CPU that triggered the exit; -1 if unknown (older kernels) */
	__s64 exit_code; /**< [63..48] system action, [47..32] system reason, [31..0] user */
	__u64 flags;     /**< SCX_EFLAG_*; 0 where the kernel lacks the field */
	char reason[SCXPP_EXIT_REASON_LEN]; /**< the kernel's reason string */
	char msg[SCXPP_EXIT_MSG_LEN];       /**< details: error text, stalled task, ... */
};

/** The debug dump (value of map SCXPP_EXIT_DUMP_MAP). */
struct scxpp_exit_dump {
	char text[SCXPP_EXIT_DUMP_LEN]; /**< NUL-terminated dump text */
};

#endif /* SCXPP_BPF_EXIT_INFO_COMMON_H_ */
