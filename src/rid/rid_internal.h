/* rid_internal.h: what the files of src/rid/ share: the checker's insides, the RID schema
 * check and tree helpers. Outside src/rid/ only the tests and fuzz_rid include it, to check
 * the replies they build against the RID schema. */
#ifndef GG_RID_INTERNAL_H
#define GG_RID_INTERNAL_H

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "base/error.h"
#include "iodef/iodef.h"
#include "rid/rid_envelope.h"

/* The first schema error of one validation; later ones are mostly its consequences. */
struct gg_rid_first_error {
	int have;
	int line;
	char element[64];
	char msg[400];
};

struct gg_rid_checker {
	xmlSchemaValidCtxtPtr rid;     /* on the shared RID schema */
	struct gg_validator *iodef2;   /* on the shared IODEF 2.0 schema */
	struct gg_rid_first_error first;
};

/* 0 when doc is a valid RID message; -EINVAL with "RID envelope: line N: element 'X': ..."
 * otherwise. */
int gg_rid_schema_check(struct gg_rid_checker *c, xmlDocPtr doc, struct gg_error *err);

/* The first element child of parent named name in namespace href, after `after` when that is
 * not NULL; NULL when there is none. */
xmlNodePtr gg_rid_child(xmlNodePtr parent, const char *href, const char *name, xmlNodePtr after);

/* An attribute's or an element's text with XML whitespace trimmed, malloc'd; NULL when the
 * attribute is absent (or on allocation failure: the caller tells them apart by *oom). */
char *gg_rid_attr(xmlNodePtr el, const char *name, int *oom);
char *gg_rid_text(xmlNodePtr el, int *oom);

/* Appends to a[*n] (grown by one) the string s, which it takes; -ENOMEM (s freed) on failure. */
int gg_rid_push(char ***a, size_t *n, char *s);

#endif
