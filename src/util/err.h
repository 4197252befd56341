/* tailor's one error enum. Every fallible function returns tl_err; TL_OK is 0. */
#ifndef TL_ERR_H
#define TL_ERR_H

typedef enum tl_err {
    TL_OK = 0,
    TL_ENOMEM,     /* an allocation failed */
    TL_EINVAL,     /* an argument or an input is invalid */
    TL_EFORMAT,    /* input is not in the expected format (bad JSON, wrong shape) */
    TL_EUTF8,      /* input is not valid UTF-8 */
    TL_ETOOBIG,    /* input exceeds a size or depth limit */
    TL_EEMPTY,     /* input is empty or has nothing recognisable */
    TL_EIO,        /* a file could not be read or written */
    TL_ENOTFOUND,  /* a named thing does not exist */
    TL_ETIMEDOUT,  /* an operation ran out of time */
    TL_EREJECTED,  /* an answer was rejected (e.g. by the fact guard) */
    TL_EINTERNAL   /* a bug: an invariant did not hold */
} tl_err;

#if defined(__GNUC__)
#define TL_MUST_CHECK __attribute__((warn_unused_result))
#else
#define TL_MUST_CHECK
#endif

/* A short, static, human-readable description of an error. Never NULL. */
const char *tl_strerror(tl_err e);

#endif
