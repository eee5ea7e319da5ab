/* rid_tree.c: the few tree questions every file of src/rid/ asks: a named child, a trimmed
 * attribute or text, a growing string list. */
#include "rid/rid_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iodef/iodef_build.h"

xmlNodePtr gg_rid_child(xmlNodePtr parent, const char *href, const char *name, xmlNodePtr after)
{
	xmlNodePtr c = after != NULL ? after->next : parent->children;

	for (; c != NULL; c = c->next)
		if (gg_xml_is_element(c, href, name))
			return c;
	return NULL;
}

static int is_xml_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Takes s (from libxml2's allocator) and returns a trimmed malloc'd copy. */
static char *trimmed(xmlChar *s, int *oom)
{
	const char *p = (const char *)s;
	size_t n;
	char *res;

	if (s == NULL)
		return NULL;
	while (is_xml_space(*p))
		p++;
	n = strlen(p);
	while (n > 0 && is_xml_space(p[n - 1]))
		n--;
	res = strndup(p, n);
	xmlFree(s);
	if (res == NULL)
		*oom = 1;
	return res;
}

char *gg_rid_attr(xmlNodePtr el, const char *name, int *oom)
{
	return trimmed(xmlGetNoNsProp(el, BAD_CAST name), oom);
}

char *gg_rid_text(xmlNodePtr el, int *oom)
{
	xmlChar *s = xmlNodeGetContent(el);

	if (s == NULL)
		*oom = 1;
	return trimmed(s, oom);
}

int gg_rid_push(char ***a, size_t *n, char *s)
{
	char **grown = realloc(*a, (*n + 1) * sizeof(**a));

	if (grown == NULL) {
		free(s);
		return -ENOMEM;
	}
	grown[(*n)++] = s;
	*a = grown;
	return 0;
}
