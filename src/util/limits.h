/* Every input limit of tailor, in one place. */
#ifndef TL_LIMITS_H
#define TL_LIMITS_H

#define TL_MAX_RESUME_BYTES   (2u * 1024u * 1024u)  /* a resume file or body */
#define TL_MAX_JOB_BYTES      (512u * 1024u)        /* a job description */
#define TL_MAX_TERMS_BYTES    (8u * 1024u * 1024u)  /* a terminology file */
#define TL_MAX_JSON_DEPTH     32                    /* nesting of any JSON input */
#define TL_MAX_SECTIONS       64
#define TL_MAX_ENTRIES        256                   /* per section */
#define TL_MAX_BULLETS        256                   /* per entry */
#define TL_MAX_FIELD_BYTES    (64u * 1024u)         /* one string field */
#define TL_MAX_OUTPUT_BYTES   (16u * 1024u * 1024u) /* a rendered document */

#endif
