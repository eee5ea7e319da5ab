/* iodef_build.c: shared IODEF tree-building helpers (see iodef_build.h). */
#include "iodef_build.h"

xmlNodePtr gg_iodef_add(struct gg_iodef_builder *b, xmlNodePtr parent, const char *name,
			const char *text)
{
	xmlNodePtr n;

	if (b->oom || parent == NULL)
		return NULL;
	/* xmlNewTextChild escapes text (xmlNewChild would parse entity references in it). */
	n = xmlNewTextChild(parent, b->ns, BAD_CAST name, BAD_CAST text);
	if (n == NULL)
		b->oom = 1;
	return n;
}

void gg_iodef_attr(struct gg_iodef_builder *b, xmlNodePtr n, const char *name, const char *value)
{
	if (b->oom || n == NULL)
		return;
	if (xmlNewProp(n, BAD_CAST name, BAD_CAST value) == NULL)
		b->oom = 1;
}

int gg_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}
