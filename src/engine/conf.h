/* The engine's per-provider settings (tl_provider_conf) from a provider's
 * tailor.conf section (provider/config.h): limits, prices, models, and the
 * resilience keys (breaker, retries, hedging). Keys the file leaves out
 * keep tl_provider_conf_default's values. */
#ifndef TL_ENGINE_CONF_H
#define TL_ENGINE_CONF_H

#include "engine/processor.h"
#include "provider/config.h"

/* c from s; c's strings and models point into s (the config must outlive
 * the engine). */
void tl_provider_conf_from_settings(const tl_provider_settings *s, tl_provider_conf *c);

/* What each resilience key is when the file does not give it, in the
 * file's units (ms, percent, 0/1): for tl_config_dump_defaults. */
void tl_provider_conf_res_defaults(long out[TL_RES_COUNT]);

#endif
