#include "provider/provider.h"

const char *tl_call_error_name(tl_call_error e)
{
    switch (e) {
    case TL_CALL_OK: return "ok";
    case TL_CALL_TIMEOUT: return "timeout";
    case TL_CALL_RATE_LIMITED: return "rate_limited";
    case TL_CALL_SERVER: return "server";
    case TL_CALL_CLIENT: return "client";
    case TL_CALL_MALFORMED: return "malformed";
    case TL_CALL_REFUSED: return "refused";
    case TL_CALL_CANCELLED: return "cancelled";
    }
    return "unknown";
}
