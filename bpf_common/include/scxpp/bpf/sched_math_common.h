/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Scheduling arithmetic shared by BPF and C++ (and unit-tested on the host): weighted
 * virtual time with a lag clamp, virtual and absolute deadlines, contention-scaled slices,
 * and a decaying average.
 *
 * Weights are sched_ext's: 1..10000, 100 for nice 0 (each nice step is ~1.25x).
 * Times are in nanoseconds; vtimes are ns of CPU time scaled by 100 / weight.
 */
#ifndef SCXPP_BPF_SCHED_MATH_COMMON_H_
#define SCXPP_BPF_SCHED_MATH_COMMON_H_

#include "types_common.h"

#define SCXPP_WEIGHT_DFL 100
#define SCXPP_WEIGHT_MIN 1
#define SCXPP_WEIGHT_MAX 10000

/** Wrap-safe "a is earlier than b" for 64-bit times and vtimes. */
SCXPP_COMMON_INLINE int scxpp_time_before(__u64 a, __u64 b)
{
	return (__s64)(a - b) < 0;
}

/** The later of two wrap-safe times. */
SCXPP_COMMON_INLINE __u64 scxpp_time_max(__u64 a, __u64 b)
{
	return scxpp_time_before(a, b) ? b : a;
}

/** Clamp a weight into sched_ext's range [1, 10000]. */
SCXPP_COMMON_INLINE __u32 scxpp_weight_clamp(__u32 weight)
{
	if (weight < SCXPP_WEIGHT_MIN)
		return SCXPP_WEIGHT_MIN;
	if (weight > SCXPP_WEIGHT_MAX)
		return SCXPP_WEIGHT_MAX;
	return weight;
}

/**
 * Virtual time a task of @weight accrues for running @ns: heavier tasks age slower, so
 * vtime order gives each task CPU in proportion to its weight. No overflow for
 * @ns < 2^57 (4.5 years of CPU time).
 */
SCXPP_COMMON_INLINE __u64 scxpp_vtime_delta(__u64 ns, __u32 weight)
{
	return ns * SCXPP_WEIGHT_DFL / scxpp_weight_clamp(weight);
}

/**
 * Lag clamp: a task that slept cannot come back with a vtime more than @max_lag behind the
 * queue's current vtime @now_vtime, so sleeping does not bank unbounded credit that would
 * let it monopolise the CPU on wakeup. Returns the vtime to queue the task with.
 */
SCXPP_COMMON_INLINE __u64 scxpp_vtime_clamp_lag(__u64 task_vtime, __u64 now_vtime, __u64 max_lag)
{
	__u64 floor = now_vtime - max_lag;

	if (now_vtime < max_lag) /* early after start: no floor yet */
		return task_vtime;
	return scxpp_time_before(task_vtime, floor) ? floor : task_vtime;
}

/**
 * Virtual deadline (EEVDF-style): the vtime by which a task of @weight has received its
 * @slice. Ordering by it favours tasks that ask for short slices.
 */
SCXPP_COMMON_INLINE __u64 scxpp_vdeadline(__u64 vtime, __u64 slice, __u32 weight)
{
	return vtime + scxpp_vtime_delta(slice, weight);
}

/**
 * Absolute deadline of the job of a periodic task released at @release with relative
 * deadline @rel_deadline (EDF order).
 */
SCXPP_COMMON_INLINE __u64 scxpp_abs_deadline(__u64 release, __u64 rel_deadline)
{
	return release + rel_deadline;
}

/**
 * Slice under contention: @base split among the @nr_waiting tasks queued behind the one
 * that runs, never below @min_slice. Keeps the wait of a newly woken task bounded by about
 * @base whatever the load.
 */
SCXPP_COMMON_INLINE __u64 scxpp_slice_scaled(__u64 base, __u32 nr_waiting, __u64 min_slice)
{
	__u64 s = base / ((__u64)nr_waiting + 1);

	return s < min_slice ? min_slice : s;
}

/**
 * Exponentially weighted moving average with weight 1/2^@shift for the new sample:
 * avg' = avg + (sample - avg) / 2^shift. Used for decaying windows (e.g. a task's typical
 * run time per wakeup). Exact for equal inputs; no overflow for values < 2^63.
 */
SCXPP_COMMON_INLINE __u64 scxpp_ewma(__u64 avg, __u64 sample, __u32 shift)
{
	if (sample >= avg)
		return avg + ((sample - avg) >> shift);
	return avg - ((avg - sample) >> shift);
}

#endif /* SCXPP_BPF_SCHED_MATH_COMMON_H_ */
