/*
 * recprep/json.h - how recprep writes JSON (both adapters use it).
 *
 * jansson prints reals with 17 significant digits by default, so a quantile
 * of 0.8 comes out as 0.80000000000000004. Fifteen digits print every value
 * a user can sensibly pass (and our statistics) the way a person wrote it.
 */
#ifndef RECPREP_JSON_H
#define RECPREP_JSON_H

#include <jansson.h>

/* Flags for json_dumps/json_dumpf: compact, reals to 15 significant digits. */
#define RP_JSON_COMPACT (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* The same, indented for people (the CLI). */
#define RP_JSON_PRETTY (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

#endif
