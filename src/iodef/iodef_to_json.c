/* iodef_to_json.c: IODEF 2.0 XML -> IODEF-JSON (RFC 8727), walking the generated table
 * (iodef_json_table.c) from the root: element names become keys, attributes keys of the same
 * object, repeatable elements arrays, text a typed value; RFC 8727 section 3.2's deleted
 * classes (Flow, Record, ApplicationHeader, SignatureData, IndicatorData) give their children
 * to their parent, and Assessment's impacts go into its "Impact" array. */
#include "iodef/iodef_to_json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlsave.h>

#include "iodef/iodef.h"
#include "iodef/iodef_json_table.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
/* A guard for documents built in memory: the parser's own limit is far lower (64). */
#define MAX_DEPTH 512

static const char *const ns_href[GG_IJ_NS_COUNT] = {
	GG_IODEF2_NS,
	"urn:ietf:params:xml:ns:iodef-sci-1.0",
	"urn:ietf:params:xml:ns:iodef-enum-1.0",
	"http://www.w3.org/2000/09/xmldsig#",
};

struct conv {
	xmlDocPtr doc;
	struct gg_error *err;
	int depth;
};

static int ns_of(xmlNodePtr node)
{
	if (node->ns == NULL || node->ns->href == NULL)
		return -1;
	for (int i = 0; i < GG_IJ_NS_COUNT; i++)
		if (strcmp((const char *)node->ns->href, ns_href[i]) == 0)
			return i;
	return -1;
}

static int elem_cmp(const void *k, const void *m)
{
	const struct gg_ij_elem *a = k, *b = m;

	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	return strcmp(a->name, b->name);
}

static const struct gg_ij_elem *lookup(xmlNodePtr node)
{
	struct gg_ij_elem key = { 0 };
	int ns = ns_of(node);

	if (ns < 0)
		return NULL;
	key.ns = (unsigned char)ns;
	key.name = (const char *)node->name;
	return bsearch(&key, gg_ij_elems, gg_ij_n_elems, sizeof(gg_ij_elems[0]), elem_cmp);
}

static int is_xml_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* XML Schema's whiteSpace "collapse", in place. */
static void collapse(char *s)
{
	char *w = s;
	int space = 0;

	for (const char *r = s; *r != '\0'; r++) {
		if (is_xml_space(*r)) {
			space = w != s;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = '\0';
}

static void strip_space(char *s)
{
	char *w = s;

	for (const char *r = s; *r != '\0'; r++)
		if (!is_xml_space(*r))
			*w++ = *r;
	*w = '\0';
}

/* xs:integer's lexical form (after collapse). */
static int integer_form(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* xs:float's finite lexical form: digits with an optional point and exponent. strtod alone
 * would also take hex, "inf", "nan" and "infinity". */
static int real_form(const char *s)
{
	int digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* s (malloc'd, consumed) as a JSON value of type t; what names it in an error. */
static int typed(struct conv *c, char *s, unsigned char t, const char *what, json_t **out)
{
	char *end;
	int r = 0;

	*out = NULL;
	switch (t) {
	case GG_IJ_TOKEN:
		collapse(s);
		break;
	case GG_IJ_BASE64:
		strip_space(s);
		break;
	case GG_IJ_INTEGER: {
		long long v;

		collapse(s);
		errno = 0;
		v = integer_form(s) ? strtoll(s, &end, 10) : 0;
		if (!integer_form(s) || errno == ERANGE) {
			r = gg_error_set(c->err, -EINVAL, "%s: \"%.40s\" is no integer JSON carries "
					 "(64 bits)", what, s);
			break;
		}
		if ((*out = json_integer(v)) == NULL)
			r = -ENOMEM;
		break;
	}
	case GG_IJ_REAL: {
		double v;

		collapse(s);
		v = real_form(s) ? strtod(s, &end) : NAN;
		if (!isfinite(v)) {
			r = gg_error_set(c->err, -EINVAL, "%s: \"%.40s\" has no JSON number "
					 "(INF, NaN or out of range)", what, s);
			break;
		}
		if ((*out = json_real(v)) == NULL)
			r = -ENOMEM;
		break;
	}
	default:
		break;
	}
	if (r == 0 && *out == NULL && (*out = json_string(s)) == NULL)
		r = gg_error_set(c->err, -EINVAL, "%s: text that is not UTF-8", what);
	free(s);
	return r;
}

static char *xstrdup_or_empty(xmlChar *v)
{
	char *s = strdup(v != NULL ? (const char *)v : "");

	xmlFree(v);
	return s;
}

/* Attributes that describe the document rather than carry data: xsi:schemaLocation and the
 * like. Namespace declarations are not attributes in libxml2's tree. */
static int ignored_attr(xmlAttrPtr a)
{
	return a->ns != NULL && a->ns->href != NULL &&
	       strcmp((const char *)a->ns->href, XSI_NS) == 0;
}

static int add_attrs(struct conv *c, xmlNodePtr node, const struct gg_ij_elem *e, json_t *obj)
{
	for (xmlAttrPtr a = node->properties; a != NULL; a = a->next) {
		const struct gg_ij_attr *at = NULL;
		int in_xml = a->ns != NULL && a->ns->href != NULL &&
			     strcmp((const char *)a->ns->href, (const char *)XML_XML_NAMESPACE) == 0;
		json_t *v;
		char *s;
		int r;

		if (ignored_attr(a))
			continue;
		for (size_t i = 0; i < e->n_attrs; i++)
			if (strcmp(e->attrs[i].name, (const char *)a->name) == 0 &&
			    (e->attrs[i].xml_ns ? in_xml : a->ns == NULL)) {
				at = &e->attrs[i];
				break;
			}
		if (at == NULL)
			return gg_error_set_at(c->err, -EINVAL, (int)xmlGetLineNo(node), 0,
					       "attribute %s%s is not one %s has", in_xml ? "xml:" : "",
					       (const char *)a->name, e->name);
		if ((s = xstrdup_or_empty(xmlNodeListGetString(c->doc, a->children, 1))) == NULL)
			return -ENOMEM;
		/* RFC 8727's examples write the version "2.0"; the XSD fixes it at "2.00". */
		if (strcmp(e->name, "IODEF-Document") == 0 && strcmp(at->name, "version") == 0) {
			collapse(s);
			if (strcmp(s, "2.00") == 0)
				strcpy(s, "2.0");
		}
		if ((r = typed(c, s, at->type, at->name, &v)) != 0)
			return r;
		if (json_object_set_new(obj, at->key, v) != 0)
			return -ENOMEM;
	}
	return 0;
}

static int has_attrs(xmlNodePtr node)
{
	for (xmlAttrPtr a = node->properties; a != NULL; a = a->next)
		if (!ignored_attr(a))
			return 1;
	return 0;
}

/* The text of an element whose content is text only; NULL and err when it holds elements. */
static int text_of(struct conv *c, xmlNodePtr node, char **out)
{
	*out = NULL;
	for (xmlNodePtr ch = node->children; ch != NULL; ch = ch->next)
		if (ch->type == XML_ELEMENT_NODE)
			return gg_error_set_at(c->err, -EINVAL, (int)xmlGetLineNo(ch), 0,
					       "%s holds text only, not <%s>", (const char *)node->name,
					       (const char *)ch->name);
	if ((*out = xstrdup_or_empty(xmlNodeGetContent(node))) == NULL)
		return -ENOMEM;
	return 0;
}

/* Appends node to buf as standalone XML: a copy in a document of its own, so that every
 * namespace it uses is declared on it (libxml2 declares those of the ancestors it left). */
static int dump_node(xmlDocPtr doc, xmlNodePtr node, xmlBufferPtr buf)
{
	xmlDocPtr tmp;
	xmlNodePtr copy;
	int r = 0;

	if (node->type != XML_ELEMENT_NODE)
		return xmlNodeDump(buf, doc, node, 0, 0) < 0 ? -ENOMEM : 0;
	if ((tmp = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		return -ENOMEM;
	if ((copy = xmlDocCopyNode(node, tmp, 1)) == NULL) {
		xmlFreeDoc(tmp);
		return -ENOMEM;
	}
	xmlDocSetRootElement(tmp, copy);
	if (xmlNodeDump(buf, tmp, copy, 0, 0) < 0)
		r = -ENOMEM;
	xmlFreeDoc(tmp);
	return r;
}

/* node itself (whole) or its content (children), as XML text in *out (malloc'd). */
static int dump_xml(xmlDocPtr doc, xmlNodePtr node, int whole, char **out, size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	int r = 0;

	*out = NULL;
	if (buf == NULL)
		return -ENOMEM;
	if (whole)
		r = dump_node(doc, node, buf);
	else
		for (xmlNodePtr ch = node->children; ch != NULL && r == 0; ch = ch->next)
			r = dump_node(doc, ch, buf);
	if (r == 0) {
		*len = (size_t)xmlBufferLength(buf);
		if ((*out = malloc(*len + 1)) == NULL)
			r = -ENOMEM;
		else {
			memcpy(*out, xmlBufferContent(buf), *len);
			(*out)[*len] = '\0';
		}
	}
	xmlBufferFree(buf);
	return r;
}

static char *base64(const unsigned char *in, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *w = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);

		*w++ = tab[v >> 18 & 63];
		*w++ = tab[v >> 12 & 63];
		*w++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
		*w++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*w = '\0';
	return out;
}

static int has_element_child(xmlNodePtr node)
{
	for (xmlNodePtr ch = node->children; ch != NULL; ch = ch->next)
		if (ch->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

static int convert(struct conv *c, xmlNodePtr node, const struct gg_ij_elem *e, json_t **out);

/* Puts v under key in obj: appended when the key holds an array, else set once. */
static int put(struct conv *c, json_t *obj, const struct gg_ij_child *ch, json_t *v,
	       xmlNodePtr where, const char *parent)
{
	json_t *arr;

	if (!ch->array) {
		if (json_object_get(obj, ch->key) != NULL) {
			json_decref(v);
			return gg_error_set_at(c->err, -EINVAL, (int)xmlGetLineNo(where), 0,
					       "a second %s in %s: RFC 8727 holds one", ch->name,
					       parent);
		}
		return json_object_set_new(obj, ch->key, v) != 0 ? -ENOMEM : 0;
	}
	if ((arr = json_object_get(obj, ch->key)) == NULL) {
		if ((arr = json_array()) == NULL || json_object_set_new(obj, ch->key, arr) != 0) {
			json_decref(v);
			return -ENOMEM;
		}
	}
	return json_array_append_new(arr, v) != 0 ? -ENOMEM : 0;
}

/* node's children into obj, by owner's table of children (owner is node's own entry, or the
 * entry of the element that took a deleted class's children). */
static int add_children(struct conv *c, xmlNodePtr node, const struct gg_ij_elem *owner,
			json_t *obj)
{
	int r;

	if (++c->depth > MAX_DEPTH)
		return gg_error_set(c->err, -EINVAL, "nested deeper than %d elements", MAX_DEPTH);
	for (xmlNodePtr n = node->children; n != NULL; n = n->next) {
		const struct gg_ij_child *ch = NULL;
		const struct gg_ij_elem *ce;
		json_t *v;
		int ns;

		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
			continue;
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			const xmlChar *t = n->content;

			while (t != NULL && *t != '\0' && is_xml_space((char)*t))
				t++;
			if (t != NULL && *t != '\0')
				return gg_error_set_at(c->err, -EINVAL, (int)xmlGetLineNo(n), 0,
						       "text inside %s, which holds elements only",
						       owner->name);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			return gg_error_set_at(c->err, -EINVAL, (int)xmlGetLineNo(n), 0,
					       "unexpected node in %s", owner->name);
		ns = ns_of(n);
		for (size_t i = 0; ns >= 0 && i < owner->n_children; i++)
			if (owner->children[i].ns == ns &&
			    strcmp(owner->children[i].name, (const char *)n->name) == 0) {
				ch = &owner->children[i];
				break;
			}
		if (ch == NULL || (ce = lookup(n)) == NULL)
			return gg_error_set_at(c->err, -EINVAL, (int)xmlGetLineNo(n), 0,
					       "<%s> in %s: not an element IODEF 2.0 has there",
					       (const char *)n->name, owner->name);
		if (ce->kind == GG_IJ_FLATTEN) {
			/* Its attributes (Record's restriction) have no place in RFC 8727. */
			if ((r = add_children(c, n, owner, obj)) != 0)
				return r;
			continue;
		}
		if ((r = convert(c, n, ce, &v)) != 0)
			return r;
		if (strcmp(ch->key, "Impact") == 0 && strcmp(ch->name, "Impact") != 0) {
			json_t *w = json_object();

			if (w == NULL || json_object_set_new(w, ce->key, v) != 0) {
				json_decref(w);
				return -ENOMEM;
			}
			v = w;
		}
		if ((r = put(c, obj, ch, v, n, owner->name)) != 0)
			return r;
	}
	c->depth--;
	return 0;
}

static int prop(struct conv *c, xmlNodePtr node, const char *name, json_t **out)
{
	xmlChar *v = xmlGetNoNsProp(node, BAD_CAST name);
	char *s;

	if (v == NULL)
		return gg_error_set_at(c->err, -EINVAL, (int)xmlGetLineNo(node), 0,
				       "%s without its %s attribute", (const char *)node->name, name);
	if ((s = xstrdup_or_empty(v)) == NULL)
		return -ENOMEM;
	return typed(c, s, GG_IJ_TOKEN, name, out);
}

static int convert(struct conv *c, xmlNodePtr node, const struct gg_ij_elem *e, json_t **out)
{
	json_t *obj = NULL, *v;
	char *s = NULL;
	size_t len;
	int r = 0;

	*out = NULL;
	switch (e->kind) {
	case GG_IJ_SCALAR:
		if (has_attrs(node))
			return gg_error_set_at(c->err, -EINVAL, (int)xmlGetLineNo(node), 0,
					       "%s has no attributes", e->name);
		if ((r = text_of(c, node, &s)) != 0)
			return r;
		return typed(c, s, e->text, e->name, out);
	case GG_IJ_MLSTRING:
		if ((r = text_of(c, node, &s)) != 0)
			return r;
		if (!has_attrs(node))
			return typed(c, s, GG_IJ_STRING, e->name, out);
		break;
	case GG_IJ_ALGORITHM:
		return prop(c, node, "Algorithm", out);
	case GG_IJ_REFATTR:
		return prop(c, node, "uid-ref", out);
	case GG_IJ_B64XML:
	case GG_IJ_B64CONTENT: {
		char *b;

		if ((r = dump_xml(c->doc, node, e->kind == GG_IJ_B64XML, &s, &len)) != 0)
			return r;
		b = base64((const unsigned char *)s, len);
		free(s);
		*out = b != NULL ? json_string(b) : NULL;
		free(b);
		return *out != NULL ? 0 : -ENOMEM;
	}
	default:
		break;
	}
	if ((obj = json_object()) == NULL) {
		free(s);
		return -ENOMEM;
	}
	if ((r = add_attrs(c, node, e, obj)) != 0)
		goto fail;
	switch (e->kind) {
	case GG_IJ_OBJECT:
		r = add_children(c, node, e, obj);
		break;
	case GG_IJ_MLSTRING:
		r = typed(c, s, GG_IJ_STRING, e->name, &v);
		s = NULL;
		if (r == 0 && json_object_set_new(obj, "value", v) != 0)
			r = -ENOMEM;
		break;
	case GG_IJ_TEXTOBJ:
	case GG_IJ_TEXTOPT:
		if ((r = text_of(c, node, &s)) != 0)
			break;
		if (e->kind == GG_IJ_TEXTOPT) {
			collapse(s);
			if (*s == '\0')
				break;
		}
		r = typed(c, s, e->text, e->name, &v);
		s = NULL;
		if (r == 0 && json_object_set_new(obj, e->text_key, v) != 0)
			r = -ENOMEM;
		break;
	case GG_IJ_EXTENSION:
	case GG_IJ_ANYVALUE:
		/* Mixed content: text as it is, or the XML it holds (dtype "xml") as XML text. */
		if (has_element_child(node))
			r = dump_xml(c->doc, node, 0, &s, &len);
		else
			r = text_of(c, node, &s);
		if (r != 0)
			break;
		if (e->kind == GG_IJ_ANYVALUE && *s == '\0')
			break;
		r = typed(c, s, GG_IJ_STRING, e->name, &v);
		s = NULL;
		if (r == 0 && json_object_set_new(obj, "value", v) != 0)
			r = -ENOMEM;
		break;
	default:
		r = gg_error_set(c->err, -EINVAL, "%s: no JSON form", e->name);
		break;
	}
	if (r != 0)
		goto fail;
	free(s);
	*out = obj;
	return 0;
fail:
	free(s);
	json_decref(obj);
	return r;
}

int gg_iodef_to_json(xmlDocPtr doc, json_t **out, struct gg_error *err)
{
	struct conv c = { .doc = doc, .err = err };
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	const struct gg_ij_elem *e;

	*out = NULL;
	if (root == NULL || ns_of(root) != GG_IJ_NS_IODEF ||
	    strcmp((const char *)root->name, "IODEF-Document") != 0 || (e = lookup(root)) == NULL)
		return gg_error_set(err, -EINVAL, "not an IODEF 2.0 document (root element "
				    "IODEF-Document in %s)", GG_IODEF2_NS);
	return convert(&c, root, e, out);
}

int gg_iodef_to_json_text(const char *xml, size_t len, const struct gg_xml_limits *limits,
			  char **out, size_t *out_len, struct gg_error *err)
{
	static const struct gg_xml_limits defaults = { .max_bytes = GG_XML_DEFAULT_MAX_BYTES,
						      .max_depth = GG_XML_DEFAULT_MAX_DEPTH };
	xmlDocPtr doc = NULL;
	json_t *j = NULL;
	int r;

	*out = NULL;
	*out_len = 0;
	if ((r = gg_xml_parse(xml, len, limits != NULL ? limits : &defaults, &doc, err)) != 0)
		return r;
	r = gg_iodef_to_json(doc, &j, err);
	xmlFreeDoc(doc);
	if (r != 0)
		return r;
	*out = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(j);
	if (*out == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	*out_len = strlen(*out);
	return 0;
}
