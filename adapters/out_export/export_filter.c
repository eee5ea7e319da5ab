/* export_filter.c: reads what the filters need from an IODEF 2.0 document (libxml2, through
 * the hardened parser) and decides. A document is sent when one of its Incidents passes every
 * filter, and never when one of them is restricted: the payload goes whole or not at all. */
#include "out_export/export_filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "iodef/iodef.h"
#include "iodef/xmlsafe.h"

#define FILTER_MAX_WORDS 32

struct export_filter {
	int min_severity; /* 0: none asked, 1 low, 2 medium, 3 high */
	char *words;      /* the storage of purposes[] and categories[] */
	const char *purposes[FILTER_MAX_WORDS];
	size_t n_purposes;
	const char *categories[FILTER_MAX_WORDS];
	size_t n_categories;
	const char *topics[FILTER_MAX_WORDS];
	size_t n_topics;
	int allow_restricted;
};

/* RFC 7970 3.2: the values of Incident@purpose. */
static const char *const purpose_words[] = { "traceback", "mitigation", "reporting", "watch",
					     "other", "ext-value", NULL };

static int severity_rank(const char *s)
{
	if (s == NULL)
		return 0;
	if (strcmp(s, "low") == 0)
		return 1;
	if (strcmp(s, "medium") == 0)
		return 2;
	if (strcmp(s, "high") == 0)
		return 3;
	return 0; /* BusinessImpact's none, unknown, ext-value: no level */
}

/* Splits list (blanks or commas) into words, each kept in buf (a copy the caller owns). */
static int split_words(char *buf, const char **words, size_t *n, const char *key,
		       struct gg_error *err)
{
	for (char *save = NULL, *w = strtok_r(buf, " \t,", &save); w != NULL;
	     w = strtok_r(NULL, " \t,", &save)) {
		if (*n == FILTER_MAX_WORDS)
			return gg_error_set(err, -EINVAL, "%s: more than %d words", key,
					    FILTER_MAX_WORDS);
		words[(*n)++] = w;
	}
	return 0;
}

int export_filter_new(const char *severity, const char *purposes, const char *categories,
		      const char *topics, int allow_restricted, struct export_filter **out,
		      struct gg_error *err)
{
	struct export_filter *f = calloc(1, sizeof(*f));
	size_t plen = purposes != NULL ? strlen(purposes) : 0;
	size_t clen = categories != NULL ? strlen(categories) : 0;
	size_t tlen = topics != NULL ? strlen(topics) : 0;
	int r;

	*out = NULL;
	if (f == NULL || (f->words = malloc(plen + clen + tlen + 3)) == NULL) {
		free(f);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	f->allow_restricted = allow_restricted;
	if (severity != NULL && (f->min_severity = severity_rank(severity)) == 0) {
		r = gg_error_set(err, -EINVAL, "severity: '%s' is not low, medium or high",
				 severity);
		goto fail;
	}
	memcpy(f->words, purposes != NULL ? purposes : "", plen + 1);
	memcpy(f->words + plen + 1, categories != NULL ? categories : "", clen + 1);
	memcpy(f->words + plen + clen + 2, topics != NULL ? topics : "", tlen + 1);
	if ((r = split_words(f->words, f->purposes, &f->n_purposes, "purpose", err)) != 0 ||
	    (r = split_words(f->words + plen + 1, f->categories, &f->n_categories, "category",
			     err)) != 0 ||
	    (r = split_words(f->words + plen + clen + 2, f->topics, &f->n_topics, "topics",
			     err)) != 0)
		goto fail;
	for (size_t i = 0; i < f->n_purposes; i++) {
		size_t k = 0;

		while (purpose_words[k] != NULL && strcmp(purpose_words[k], f->purposes[i]) != 0)
			k++;
		if (purpose_words[k] == NULL) {
			r = gg_error_set(err, -EINVAL, "purpose: '%s' is not an RFC 7970 purpose "
					 "(traceback, mitigation, reporting, watch, other, "
					 "ext-value)", f->purposes[i]);
			goto fail;
		}
	}
	*out = f;
	return 0;
fail:
	export_filter_free(f);
	return r;
}

void export_filter_free(struct export_filter *f)
{
	if (f == NULL)
		return;
	free(f->words);
	free(f);
}

int export_filter_is_open(const struct export_filter *f)
{
	return f->allow_restricted && f->min_severity == 0 && f->n_purposes == 0 &&
	       f->n_categories == 0 && f->n_topics == 0;
}

int export_filter_topic(const struct export_filter *f, const char *meta, char *why,
			size_t why_len)
{
	json_t *o;
	const char *topic;
	int pass = 0;

	if (f->n_topics == 0)
		return 1;
	o = meta != NULL ? json_loads(meta, 0, NULL) : NULL;
	topic = json_string_value(json_object_get(o, "topic"));
	for (size_t i = 0; topic != NULL && i < f->n_topics && !pass; i++)
		pass = strcmp(f->topics[i], topic) == 0;
	if (!pass && why != NULL && topic != NULL)
		snprintf(why, why_len, "topic %s is not one of the endpoint's", topic);
	else if (!pass && why != NULL)
		snprintf(why, why_len, "not a grid event: it has no topic");
	json_decref(o);
	return pass;
}

static int is_iodef(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrcmp(n->ns->href, BAD_CAST GG_IODEF2_NS) == 0 &&
	       xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static int word_in(const char *const *words, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcasecmp(words[i], s) == 0)
			return 1;
	return 0;
}

/* What an Incident's Assessments say: the highest impact severity, and whether one of its
 * categories (IncidentCategory text, SystemImpact@type) is among the filter's. */
static void assessment_facts(const struct export_filter *f, xmlNodePtr incident, int *severity,
			     int *category)
{
	for (xmlNodePtr a = incident->children; a != NULL; a = a->next) {
		if (!is_iodef(a, "Assessment"))
			continue;
		for (xmlNodePtr c = a->children; c != NULL; c = c->next) {
			xmlChar *v = NULL;

			if (is_iodef(c, "IncidentCategory")) {
				v = xmlNodeGetContent(c);
				if (v != NULL) {
					/* Text as written: trim the blanks around it. */
					char *s = (char *)v, *e = s + strlen(s);

					while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
						s++;
					while (e > s && (e[-1] == ' ' || e[-1] == '\n' ||
							 e[-1] == '\t' || e[-1] == '\r'))
						*--e = '\0';
					*category |= word_in(f->categories, f->n_categories, s);
				}
			} else if (is_iodef(c, "SystemImpact") || is_iodef(c, "BusinessImpact") ||
				   is_iodef(c, "TimeImpact") || is_iodef(c, "MonetaryImpact")) {
				int rank;

				v = xmlGetNoNsProp(c, BAD_CAST "severity");
				rank = severity_rank((const char *)v);
				if (rank > *severity)
					*severity = rank;
				if (is_iodef(c, "SystemImpact")) {
					xmlFree(v);
					v = xmlGetNoNsProp(c, BAD_CAST "type");
					/* The schema's default type. */
					*category |= word_in(f->categories, f->n_categories,
							     v != NULL ? (const char *)v
								       : "unknown");
				}
			}
			xmlFree(v);
		}
	}
}

/* RFC 7970 3.3.1: need-to-know and private limit who may see an Incident, and red (TLP:RED)
 * is for the named recipients alone. An Incident without the attribute is private: it is the
 * schema's default. */
static int restricted(const char *restriction)
{
	return restriction == NULL || strcmp(restriction, "need-to-know") == 0 ||
	       strcmp(restriction, "private") == 0 || strcmp(restriction, "red") == 0;
}

static enum export_pass incident_pass(const struct export_filter *f, xmlNodePtr incident,
				      char *why, size_t why_len)
{
	xmlChar *purpose = xmlGetNoNsProp(incident, BAD_CAST "purpose");
	int severity = 0, category = 0, ok = 1;

	assessment_facts(f, incident, &severity, &category);
	if (f->n_purposes > 0 && !word_in(f->purposes, f->n_purposes, (const char *)purpose)) {
		snprintf(why, why_len, "purpose %s not asked for",
			 purpose != NULL ? (const char *)purpose : "(none)");
		ok = 0;
	} else if (severity < f->min_severity) {
		snprintf(why, why_len, "severity below the endpoint's");
		ok = 0;
	} else if (f->n_categories > 0 && !category) {
		snprintf(why, why_len, "no category asked for");
		ok = 0;
	}
	xmlFree(purpose);
	return ok ? EXPORT_PASS : EXPORT_FILTERED;
}

enum export_pass export_filter_check(const struct export_filter *f, const char *doc, size_t len,
				     char *why, size_t why_len)
{
	struct gg_xml_limits limits = { .max_bytes = len + 1, .max_depth = GG_XML_DEFAULT_MAX_DEPTH };
	enum export_pass verdict = EXPORT_FILTERED;
	char scratch[128];
	struct gg_error err;
	xmlDocPtr d = NULL;
	xmlNodePtr root;
	int incidents = 0;

	if (why == NULL) {
		why = scratch;
		why_len = sizeof(scratch);
	}
	why[0] = '\0';
	if (export_filter_is_open(f))
		return EXPORT_PASS;
	if (gg_xml_parse(doc, len, &limits, &d, &err) != 0) {
		snprintf(why, why_len, "not XML: %s", err.msg);
		return EXPORT_UNREADABLE;
	}
	root = xmlDocGetRootElement(d);
	if (root == NULL || !is_iodef(root, "IODEF-Document")) {
		snprintf(why, why_len, "not an IODEF 2.0 document");
		xmlFreeDoc(d);
		return EXPORT_UNREADABLE;
	}
	for (xmlNodePtr n = root->children; n != NULL; n = n->next) {
		xmlChar *r;

		if (!is_iodef(n, "Incident"))
			continue;
		incidents++;
		r = xmlGetNoNsProp(n, BAD_CAST "restriction");
		if (!f->allow_restricted && restricted((const char *)r)) {
			snprintf(why, why_len, "an Incident is restriction=%s",
				 r != NULL ? (const char *)r : "private (the default)");
			xmlFree(r);
			verdict = EXPORT_RESTRICTED;
			break;
		}
		xmlFree(r);
		if (verdict != EXPORT_PASS && incident_pass(f, n, why, why_len) == EXPORT_PASS)
			verdict = EXPORT_PASS;
	}
	xmlFreeDoc(d);
	if (incidents == 0) {
		snprintf(why, why_len, "no Incident");
		return EXPORT_UNREADABLE;
	}
	if (verdict == EXPORT_PASS)
		why[0] = '\0';
	return verdict;
}
