/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Live tunables shared by BPF and C++: policy parameters an administrator may change while
 * the scheduler runs (`scxppctl set NAME KEY VALUE`), declared once as an X-macro list in
 * the scheduler's *_intf.h:
 *
 *   // id, name, default, min, max, description (say the unit)
 *   #define MYSCHED_TUNABLES(X)                                                  \
 *           X(SLICE_US, slice_us, 20000, 1000, 1000000, "slice of a task (us)")   \
 *           X(PREEMPT, preempt, 1, 0, 1, "wakeups may preempt (0/1)")
 *   SCXPP_TUNABLES_ENUM(mysched_tunable, MYSCHED_TUNABLES);
 *
 * The name is a C identifier (no quotes): it is also the command-line flag's name. Every
 * value is a u64 in [min, max] (a flag is 0..1). The BPF side defines the storage with
 * SCXPP_TUNABLES(MYSCHED_TUNABLES) and reads a value with scxpp_tunable(SLICE_US): one load
 * from global data, no helper call. The C++ side takes names, ranges and descriptions from
 * the same list: SCXPP_TUNABLE_DESCS (scxpp/control.h) for live control, which refuses
 * values out of range and publishes them for scxppctl, and SCXPP_TUNABLE_FLAGS
 * (scxpp/tunable_flags.h) for the flags that give the start values. Values that cannot
 * change at run time stay in .rodata.
 *
 * A value may change between two reads of the same program run; read it once into a local
 * where two uses must agree, and make the policy sane for every combination of values in
 * range (a cross-key rule such as "burst <= slice" is the BPF side's to enforce, e.g. with
 * min()).
 */
#ifndef SCXPP_BPF_TUNABLES_COMMON_H_
#define SCXPP_BPF_TUNABLES_COMMON_H_

#include "types_common.h"

/* The global's section, and so the name of the map libbpf makes of it. */
#define SCXPP_TUNABLES_SEC ".data.scxpp_tunables"

#define SCXPP__TUNABLE_ENUM_ENTRY(id, name, def, min, max, desc) SCXPP_TUNABLE_##id,
/* enum <tag> { SCXPP_TUNABLE_<ID>..., SCXPP_NR_TUNABLES }. One tunables list per scheduler. */
#define SCXPP_TUNABLES_ENUM(tag, LIST) enum tag { LIST(SCXPP__TUNABLE_ENUM_ENTRY) SCXPP_NR_TUNABLES }

#endif /* SCXPP_BPF_TUNABLES_COMMON_H_ */
