/* Logging to standard error, one line per event:
 *   2026-12-03T18:00:00.123Z level=info msg="..." key=value ...
 * The level comes from TAILOR_LOG (debug, info, warn, error; default info). */
#ifndef TL_LOG_H
#define TL_LOG_H

typedef enum { TL_LOG_DEBUG, TL_LOG_INFO, TL_LOG_WARN, TL_LOG_ERROR } tl_log_level;

void tl_log_set_level(tl_log_level lvl);
/* Reads TAILOR_LOG; unknown values keep the current level. */
void tl_log_from_env(void);
void tl_log(tl_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define tl_debug(...) tl_log(TL_LOG_DEBUG, __VA_ARGS__)
#define tl_info(...) tl_log(TL_LOG_INFO, __VA_ARGS__)
#define tl_warn(...) tl_log(TL_LOG_WARN, __VA_ARGS__)
#define tl_error(...) tl_log(TL_LOG_ERROR, __VA_ARGS__)

#endif
