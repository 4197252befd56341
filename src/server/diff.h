/* Section-level and bullet-level difference of two JSON Resume documents,
 * as the API answers it (GET /api/v1/resumes/{id}/versions/{v}/diff).
 *
 * Sections are the top-level arrays ("work", "skills", ...) plus "basics".
 * Entries of a section are paired by identity (name, position, company,
 * institution, ...; then by position in the list for what is left), so an
 * entry moved up is "moved", not removed and added. Bullets (highlights,
 * keywords, courses) are paired by exact text first ("kept" or "moved"),
 * then by word overlap ("changed"); the rest are "added" or "removed".
 *
 * Pure function of its inputs; safe from any thread. */
#ifndef TL_DIFF_H
#define TL_DIFF_H

#include <jansson.h>

/* {"sections": [{"key", "status": "unchanged"|"changed"|"added"|"removed",
 *                "fields": [{"field", "before", "after"}],          (basics)
 *                "entries": [{"index", "before_index", "title", "status",
 *                             "fields": [...], "bullets": [{"status",
 *                             "before", "after", "from", "to"}]}]}],
 *  "summary": {"sections_changed", "entries_added", "entries_removed",
 *              "entries_moved", "fields_changed", "bullets_added",
 *              "bullets_removed", "bullets_changed", "bullets_moved"}}
 * A new reference, or NULL when out of memory. Unchanged entries and kept
 * bullets are left out of "entries" and "bullets" to keep the answer short. */
json_t *tl_resume_diff(json_t *before, json_t *after);

#endif
