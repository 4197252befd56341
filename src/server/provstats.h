/* A provider that counts what another one answers: calls by outcome
 * (tl_call_error), tokens and a latency histogram, for /metrics. It
 * forwards every call unchanged and keeps the inner provider's name, so
 * the engine and the API see the same provider. */
#ifndef TL_SERVER_PROVSTATS_H
#define TL_SERVER_PROVSTATS_H

#include <stddef.h>

#include "provider/provider.h"
#include "util/buf.h"
#include "util/err.h"

/* Wraps inner (borrowed: it must outlive the wrapper). Destroy the wrapper
 * with tl_provider_destroy, after every engine that uses it. */
TL_MUST_CHECK tl_err tl__provstats_wrap(tl_provider *inner, tl_provider **out);

/* Closes the wrapper (every later call is refused: TL_EINVAL), cancels
 * the calls in flight and waits until each one's callback has returned,
 * so that an engine using it can be destroyed safely. Idempotent; any
 * thread but the provider's I/O thread. */
void tl__provstats_quiesce(tl_provider *p);

/* Appends tailor_provider_answers_total{provider,outcome},
 * tailor_provider_tokens_total{provider,direction} and the
 * tailor_provider_latency_seconds histogram of wrappers ps[0..n). */
TL_MUST_CHECK tl_err tl__provstats_render(tl_provider *const *ps, size_t n, tl_buf *b);

#endif
