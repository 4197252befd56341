/* A customization limited to some sections (the request's `sections`):
 * the tailoring of the listed sections is kept, everything else is the
 * original resume again.
 *
 * An item is a section key ("work", "skills", "basics"; "basics.summary"
 * keeps all of basics) or an entry ("work[1]", "projects[0]"): then that
 * entry of the section keeps its tailoring and the others are put back.
 * The changes are filtered the same way and the score after is computed
 * again. Every subsection is still tailored (and streamed): the filter
 * applies to the result. */
#ifndef TL_SERVER_SECTIONS_H
#define TL_SERVER_SECTIONS_H

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/tailor.h"
#include "util/err.h"

/* list: the items, comma-separated. Changes res in place; on failure
 * (TL_ENOMEM, TL_EFORMAT) res may hold some of the changes. */
TL_MUST_CHECK tl_err tl__keep_sections(tl_result *res, const tl_resume *original, const tl_job *jd,
                                       const tl_terms *terms, const char *list);

/* Whether a resume id ("work[0].highlights[2]", "skills") is in list. */
bool tl__section_selected(const char *list, const char *id);

#endif
