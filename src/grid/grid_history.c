/* grid_history.c: copies of a topic's items and the choice --since and --max make. */
#include "grid/grid_history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/timestamp.h"

#define NS_IODEF2 "urn:ietf:params:xml:ns:iodef-2.0"

int gg_topic_items_add(struct gg_topic_items *l, const char *id, char *text, size_t len,
		       int64_t doc_us)
{
	char *copy = strdup(id);

	if (copy != NULL && l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct gg_topic_item *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			free(copy);
			copy = NULL;
		} else {
			l->v = v;
			l->cap = cap;
		}
	}
	if (copy == NULL) {
		free(text);
		return -ENOMEM;
	}
	l->v[l->n++] = (struct gg_topic_item){ copy, text, len, doc_us };
	return 0;
}

static void item_clear(struct gg_topic_item *it)
{
	free(it->id);
	free(it->text);
}

void gg_topic_items_free(struct gg_topic_items *l)
{
	for (size_t i = 0; i < l->n; i++)
		item_clear(&l->v[i]);
	free(l->v);
	*l = (struct gg_topic_items){ 0 };
}

int gg_topic_items_find(const struct gg_topic_items *l, const char *id, size_t *at)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].id, id) == 0) {
			*at = i;
			return 0;
		}
	}
	return -ENOENT;
}

int gg_topic_items_select(struct gg_topic_items *l, const char *since_id, int64_t since_us,
			  size_t max)
{
	size_t from = 0, kept = 0;

	if (since_id != NULL) {
		if (gg_topic_items_find(l, since_id, &from) != 0)
			return -ENOENT;
		from++;
	}
	for (size_t i = 0; i < l->n; i++) {
		int keep = i >= from && (max == 0 || kept < max) &&
			   (since_us == GG_TIME_NONE ||
			    (l->v[i].doc_us != GG_TIME_NONE && l->v[i].doc_us > since_us));

		if (keep)
			l->v[kept++] = l->v[i];
		else
			item_clear(&l->v[i]);
	}
	l->n = kept;
	return 0;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int gg_rfc3339_us(const char *s, int64_t *out)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = 1000000;
	struct tm tm;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d) || (*p != 'T' && *p != 't') || (p++, digits(&p, 2, &h)) ||
	    *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return -EINVAL;
		/* Digits past the microsecond are read and dropped. */
		for (; *p >= '0' && *p <= '9'; p++)
			if (scale > 1)
				frac += (*p - '0') * (scale /= 10);
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
	}
	if (*p != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1 || d > gg_days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	/* A leap second is read as :59, as xs:dateTime writes it. */
	tm = (struct tm){ .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			  .tm_min = mi, .tm_sec = sec > 59 ? 59 : sec };
	*out = ((int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60)) * 1000000 + frac;
	return 0;
}

static int is_iodef(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrEqual(n->ns->href, BAD_CAST NS_IODEF2) && xmlStrEqual(n->name, BAD_CAST name);
}

int64_t gg_iodef_doc_time(xmlNodePtr root)
{
	int64_t latest = GG_TIME_NONE;

	if (root == NULL || !is_iodef(root, "IODEF-Document"))
		return GG_TIME_NONE;
	for (xmlNodePtr inc = root->children; inc != NULL; inc = inc->next) {
		if (!is_iodef(inc, "Incident"))
			continue;
		for (xmlNodePtr c = inc->children; c != NULL; c = c->next) {
			xmlChar *text;
			int64_t t;

			if (!is_iodef(c, "GenerationTime") && !is_iodef(c, "ReportTime"))
				continue;
			text = xmlNodeGetContent(c);
			if (text != NULL && gg_rfc3339_us((const char *)text, &t) == 0 && t > latest)
				latest = t;
			xmlFree(text);
		}
	}
	return latest;
}
