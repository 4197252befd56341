#include "util/err.h"

const char *tl_strerror(tl_err e)
{
    switch (e) {
    case TL_OK: return "ok";
    case TL_ENOMEM: return "out of memory";
    case TL_EINVAL: return "invalid argument";
    case TL_EFORMAT: return "invalid format";
    case TL_EUTF8: return "invalid UTF-8";
    case TL_ETOOBIG: return "input too large";
    case TL_EEMPTY: return "empty input";
    case TL_EIO: return "I/O error";
    case TL_ENOTFOUND: return "not found";
    case TL_ETIMEDOUT: return "timed out";
    case TL_EREJECTED: return "rejected";
    case TL_EINTERNAL: return "internal error";
    }
    return "unknown error";
}
