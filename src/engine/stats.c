/* Read-only views of an engine's parts for monitoring (processor.h). */
#include <string.h>

#include "engine/engine_int.h"

void tl_engine_cache_stats(tl_engine *e, tl_cache_stats *out)
{
    memset(out, 0, sizeof *out);
    if (e && e->cache)
        tl_cache_stats_get(e->cache, out);
}
