/* Absolute deadlines for pthread_cond_timedwait, which waits until a time
 * on CLOCK_REALTIME. */
#ifndef TL_UTIL_DEADLINE_H
#define TL_UTIL_DEADLINE_H

#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME's now plus ms milliseconds (ms >= 0). */
struct timespec tl_deadline_after_ms(int64_t ms);

#endif
