/* config_doc.h: the option tables printed for people: `gridgate help SECTION` and
 * gridgate.conf(5), so help and man page never drift from what the loader accepts. */
#ifndef GG_CONFIG_DOC_H
#define GG_CONFIG_DOC_H

#include <stdio.h>

#include "engine/config.h"

/* Every row of a table: key, type, accepted values, default, then its help. */
void gg_options_print(FILE *fp, const struct gg_option *table);
/* gridgate.conf(5) in roff: every section and input kind, every key, from the tables. */
void gg_config_man5(FILE *fp, const char *package_string);
/* Prints text filled to width: the cursor is at column col, lines after the first start at
 * indent (so does the first when col < indent). Ends the line. */
void gg_print_wrapped(FILE *fp, const char *text, int col, int indent, int width);
/* Text escaped for roff (backslashes, hyphens, a leading dot or quote). */
void gg_roff_text(FILE *fp, const char *text);

#endif
