/* The scheduler's priority queue of ready tasks, shared by all jobs.
 *
 * Effective priority. A task pushed at time e with base priority b and an
 * optional job deadline d has, at time t (all times in ns on the scheduler's
 * clock; P = aging_interval_ns, W = urgency_window_ns, B = urgency_boost,
 * K = urgency_rate):
 *
 *     eff(t) = b + (t - e) / P + U(t)                       (points)
 *
 *     U(t) = 0                               t <  d - W, or no deadline
 *     U(t) = B + K * (t - (d - W)) / P       d - W <= t < d
 *     expired                                t >= d
 *
 * Aging: every P of waiting adds one point, so a task of base b_lo waiting
 * behind a stream of fresh tasks of base b_hi > b_lo overtakes all of them
 * that were pushed later than e + (b_hi - b_lo) * P: nothing starves. Its
 * wait is bounded by (b_hi - b_lo) * P plus the time needed to drain the
 * tasks that were already ahead of it at that point.
 * Urgency: when the job's deadline comes within W, the task jumps by B
 * points and from then on ages (1 + K) times faster. Once the deadline has
 * passed the task is not ranked at all: pop() hands it out at once, before
 * any ready task, as TL_SCHED_EXPIRED, so that the caller runs it on the
 * embedded engine instead of waiting for a provider.
 * Ties go to the task pushed first.
 *
 * Cost. push, pop, peek and remove are O(log n); n = 100,000 is routine.
 * Ranking by eff(t) would need re-keying as t moves; instead each task is
 * ranked by a key that does not depend on t:
 *   - a task outside its urgency window sits in the "normal" heap keyed by
 *     b*P - e (eff * P minus t, which is the same for every normal task);
 *   - a task inside its window sits in the "urgent" heap keyed by
 *     b*P - e + B*P - K*(d - W) (eff * P minus (1+K)*t, the same for every
 *     urgent task);
 *   - a min-heap on d - W says which normal tasks enter their window next;
 *     each pop first moves those whose time has come to the urgent heap
 *     (each task moves once: amortised O(log n)), and a min-heap on d over
 *     urgent tasks finds the expired ones.
 * The best task is then the better of the two heap tops, compared by their
 * actual eff(t). Keys are 64-bit integers in units of ns, relative to an
 * epoch that is reset whenever the queue becomes empty (so the integers
 * stay small for any realistic uptime; with the documented option limits
 * they cannot overflow while the queue stays non-empty for 100 days).
 *
 * Items are intrusive: the caller embeds a tl_sched_node in its task and
 * gets the task back from the node (container_of). Pushing allocates only
 * when the heaps grow (amortised, doubling).
 *
 * Threads: every call takes the scheduler's one mutex, so any thread may
 * call. A node belongs to the scheduler from push until it is returned by
 * pop or removed: the caller must not free, move or push it meanwhile. */
#ifndef TL_ENGINE_SCHED_H
#define TL_ENGINE_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "engine/clock.h"
#include "util/err.h"

#define TL_SCHED_PRIORITY_MAX 1000000 /* base priorities are clamped to +-this */

typedef struct tl_sched tl_sched;

/* Embed one in each task. Every field is private to the scheduler: fill it
 * through tl_sched_push(). Zeroed (or freshly returned by pop) = not queued. */
typedef struct tl_sched_node {
    int64_t key_;  /* rank in the normal or urgent heap */
    uint64_t seq_; /* push order, breaks ties */
    uint64_t enqueued_ns_;
    uint64_t deadline_ns_; /* 0: none */
    uint32_t idx_[2];      /* positions in the rank heap and the time heap */
    int32_t priority_;
    uint8_t where_; /* not queued, normal, urgent */
} tl_sched_node;

typedef struct tl_sched_opts {
    const tl_clock *clock;      /* default NULL: tl_clock_real() */
    uint64_t aging_interval_ns; /* P: one point per this much waiting; default 100 ms; 1..100 s */
    uint64_t urgency_window_ns; /* W: default 5 s; 0 disables urgency (deadlines still expire);
                                   at most 1 day */
    int32_t urgency_boost;      /* B: points on entering the window; default 100; |B| <= 1e6 */
    uint32_t urgency_rate;      /* K: extra aging inside the window; default 9 (ages 10x);
                                   at most 100 */
    size_t initial_capacity;    /* heap slots reserved at create; default 1024 */
} tl_sched_opts;

/* Fills *o with the defaults above. Start from this and change what you need. */
void tl_sched_opts_default(tl_sched_opts *o);

/* Creates a scheduler. opts NULL means the defaults. On error (TL_EINVAL for
 * an option out of range, TL_ENOMEM) *out is untouched. */
TL_MUST_CHECK tl_err tl_sched_create(tl_sched **out, const tl_sched_opts *opts);
/* Frees the scheduler. Queued nodes are simply forgotten (they belong to the
 * caller). NULL does nothing. */
void tl_sched_destroy(tl_sched *s);

/* Queues node with base priority (higher runs first, clamped to
 * +-TL_SCHED_PRIORITY_MAX) and the job's absolute deadline on the
 * scheduler's clock (0 = none); the enqueue time is now. A deadline already
 * past makes the task expired at once. TL_EINVAL if node is already
 * queued; TL_ENOMEM if the heaps cannot grow; on error nothing changes. */
TL_MUST_CHECK tl_err tl_sched_push(tl_sched *s, tl_sched_node *node, int32_t priority,
                                   uint64_t deadline_ns);

typedef enum tl_sched_status {
    TL_SCHED_EMPTY,  /* nothing queued; *out is NULL */
    TL_SCHED_READY,  /* *out is the task with the highest effective priority */
    TL_SCHED_EXPIRED /* *out is a task whose job's deadline has passed (earliest first) */
} tl_sched_status;

/* Removes and returns the next task: an expired one if any, else the best. */
tl_sched_status tl_sched_pop(tl_sched *s, tl_sched_node **out);
/* Same answer as pop, but the task stays queued. */
tl_sched_status tl_sched_peek(tl_sched *s, tl_sched_node **out);
/* Removes and returns an expired task only (TL_SCHED_EMPTY when none is
 * expired): lets the caller drain expired work while providers are busy. */
tl_sched_status tl_sched_pop_expired(tl_sched *s, tl_sched_node **out);

/* Takes a queued node out (job cancelled). TL_ENOTFOUND if it is not queued. */
TL_MUST_CHECK tl_err tl_sched_remove(tl_sched *s, tl_sched_node *node);

/* Number of queued tasks. */
size_t tl_sched_len(tl_sched *s);
/* The earliest deadline among queued tasks (when the caller's timer should
 * next look for expired work), or 0 when no queued task has one. */
uint64_t tl_sched_next_deadline(tl_sched *s);

/* eff(t) of a queued node at time now, in points, by the formula above
 * (for metrics and tests). An expired node gives +infinity. */
double tl_sched_effective(tl_sched *s, const tl_sched_node *node, uint64_t now);

#endif
