/* xmlsafe.c: the one way gridgate turns untrusted bytes into a libxml2 tree, and a tree back
 * into bytes for a stanza: no DOCTYPE, no entities, no network, bounded size and depth. */
#include "iodef/xmlsafe.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/catalog.h>
#include <libxml/encoding.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include "base/log.h"

/* Options for every untrusted document. Deliberately absent: NOENT (entity substitution),
 * DTDLOAD/DTDATTR/DTDVALID (fetching and applying a DTD), XINCLUDE, HUGE (lifts libxml2's own
 * size limits) and NOBLANKS (would drop whitespace-only text that RecordItem may mean).
 * BIG_LINES keeps line numbers in errors right past line 65535. */
#define XMLSAFE_PARSE_OPTIONS \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES)

/* State of one parse, reached from the SAX callbacks through ctxt->_private: nothing here is
 * global, so any number of threads may parse at once. */
struct parse_state {
	int max_depth;
	int depth;
	int refused; /* we stopped the parser ourselves: the document must not be returned */
	int have_error;
	int line;
	int column;
	char msg[400];
	startElementNsSAX2Func start_element;
	endElementNsSAX2Func end_element;
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static int has_uri_scheme(const char *url)
{
	const char *p = url;

	/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	for (p++; *p != '\0'; p++) {
		if (*p == ':')
			return 1;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
			return 0;
	}
	return 0;
}

/* The process-wide loader behind every external resource libxml2 opens: schema imports while
 * compiling the XSD and, if anything ever slipped past the DOCTYPE refusal, entities. Local
 * files only, and never through the catalog, which could redirect to a URL. */
static xmlParserInputPtr local_only_loader(const char *url, const char *id,
					   xmlParserCtxtPtr ctxt)
{
	if (url == NULL || ctxt == NULL)
		return NULL;
	if (has_uri_scheme(url) && strncasecmp(url, "file:", 5) != 0) {
		gg_log_warnx("xml: refused to load '%s': only local files may be loaded", url);
		return NULL;
	}
	return xmlNewInputFromFile(ctxt, url);
}

static void xml_init_once(void)
{
	xmlInitParser();
	/* Globals are per thread in a threaded libxml2; the ThrDef setters fix the value every
	 * new thread starts with. Parse options override both anyway: this is the second lock. */
	xmlSubstituteEntitiesDefault(0);
	xmlThrDefSubstituteEntitiesDefaultValue(0);
	xmlLoadExtDtdDefaultValue = 0;
	xmlThrDefLoadExtDtdDefaultValue(0);
#ifdef LIBXML_CATALOG_ENABLED
	xmlCatalogSetDefaults(XML_CATA_ALLOW_NONE);
#endif
	xmlSetExternalEntityLoader(local_only_loader);
}

void gg_xml_init(void)
{
	pthread_once(&xml_once, xml_init_once);
}

static void state_fail(struct parse_state *st, int line, int column, const char *msg)
{
	size_t n;

	if (st->have_error)
		return;
	st->have_error = 1;
	st->line = line;
	st->column = column;
	snprintf(st->msg, sizeof(st->msg), "%s", msg != NULL ? msg : "malformed XML");
	/* libxml2 messages end with a newline; the error record is one line. */
	n = strlen(st->msg);
	while (n > 0 && (st->msg[n - 1] == '\n' || st->msg[n - 1] == ' '))
		st->msg[--n] = '\0';
}

/* Structured error hook for this parser context only (ctxt->sax->serror), so errors of
 * concurrent parses never meet. Keeps the first error: later ones are usually its echoes. */
static void on_parse_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;
	struct parse_state *st;

	if (ctxt == NULL || e == NULL || e->level < XML_ERR_ERROR)
		return;
	st = ctxt->_private;
	if (st != NULL)
		state_fail(st, e->line, e->int2, e->message);
}

/* Called at "<!DOCTYPE name ...", before the internal subset is read and before any
 * external subset could be fetched: every entity attack (XXE, billion laughs, parameter
 * entities) needs a DTD, and IODEF needs none, so the parse ends here. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
		       const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_state *st = ctxt->_private;

	st->refused = 1;
	state_fail(st, xmlSAX2GetLineNumber(ctxt), xmlSAX2GetColumnNumber(ctxt),
		   "DOCTYPE refused: documents with a DTD are not accepted (entity expansion and "
		   "external entities are never processed)");
	xmlStopParser(ctxt);
}

static xmlParserInputPtr on_resolve_entity(void *ctx, const xmlChar *public_id,
					   const xmlChar *system_id)
{
	return NULL;
}

/* Counting depth as elements open stops a deeply nested document at the first element over
 * the limit, before the rest of it is read or built. */
static void on_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
			     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
			     int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_state *st = ctxt->_private;
	char msg[160];

	if (++st->depth > st->max_depth) {
		snprintf(msg, sizeof(msg), "element '%.60s' nests deeper than the limit of %d",
			 (const char *)localname, st->max_depth);
		st->refused = 1;
		state_fail(st, xmlSAX2GetLineNumber(ctxt), xmlSAX2GetColumnNumber(ctxt), msg);
		xmlStopParser(ctxt);
		return;
	}
	st->start_element(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
			  nb_defaulted, attributes);
}

static void on_end_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
			   const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_state *st = ctxt->_private;

	st->depth--;
	st->end_element(ctx, localname, prefix, uri);
}

/* Encoding errors ("input conversion failed") bypass the parser context's structured handler
 * and reach libxml2's generic one, which writes raw text to stderr, in the daemon's log. The
 * structured handler still reports the failure; this only keeps the detail at debug level. */
static void xmlsafe_generic_error(void *data, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void xmlsafe_generic_error(void *data, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	text[strcspn(text, "\n")] = '\0';
	if (text[0] != '\0')
		gg_log_debug("xml: %s", text);
}

/* Whether buf is in UTF-16 (XML 1.0 appendix F: a byte order mark, or '<' as a 16-bit unit),
 * where NUL bytes belong to characters and only a NUL unit is a NUL. */
static int utf16_input(const unsigned char *b, size_t len)
{
	return len >= 2 && ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE) ||
			    (b[0] == 0 && b[1] == '<') || (b[0] == '<' && b[1] == 0));
}

/* Where the first NUL character is, or len: a NUL byte in 8-bit input, a NUL unit (aligned)
 * in UTF-16. */
static size_t nul_at(const unsigned char *b, size_t len)
{
	const unsigned char *p;

	if (!utf16_input(b, len))
		return (p = memchr(b, 0, len)) != NULL ? (size_t)(p - b) : len;
	for (size_t i = 0; i + 1 < len; i += 2)
		if (b[i] == 0 && b[i + 1] == 0)
			return i;
	return len;
}

/* Where the markup starting at b[i] ('<') ends: the index after its closing sequence, or len.
 * Counts the '=' outside quotes of a start tag in *equals (one per attribute). */
static size_t markup_end(const unsigned char *b, size_t len, size_t i, int *equals)
{
	static const struct {
		const char *open, *close;
	} skip[] = { { "<!--", "-->" }, { "<![CDATA[", "]]>" }, { "<?", "?>" } };
	unsigned char quote = 0;

	*equals = 0;
	for (size_t k = 0; k < sizeof(skip) / sizeof(skip[0]); k++) {
		size_t n = strlen(skip[k].open);

		if (len - i >= n && memcmp(b + i, skip[k].open, n) == 0) {
			const unsigned char *end = memmem(b + i + n, len - i - n, skip[k].close,
							  strlen(skip[k].close));

			return end != NULL ? (size_t)(end - b) + strlen(skip[k].close) : len;
		}
	}
	for (i++; i < len; i++) {
		if (quote != 0) {
			if (b[i] == quote)
				quote = 0;
		} else if (b[i] == '"' || b[i] == '\'') {
			quote = b[i];
		} else if (b[i] == '=') {
			(*equals)++;
		} else if (b[i] == '>') {
			return i + 1;
		}
	}
	return len;
}

/* The checks made on the bytes before libxml2 sees them: no NUL, and no element with more
 * attributes than max_attributes (counted as '=' outside quotes in a start tag: an
 * overestimate in UTF-16 at worst, where a character's byte may read as '='). */
static int prescan(const char *buf, size_t len, int max_attributes, struct gg_error *err)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t nul = nul_at(b, len), i = 0;
	int line = 1, equals;

	if (nul < len)
		return gg_error_set(err, -EINVAL, "xml: a NUL byte at offset %zu: XML has no NUL "
				    "character", nul);
	while (i < len) {
		const unsigned char *lt = memchr(b + i, '<', len - i);
		size_t end;

		if (lt == NULL)
			break;
		end = markup_end(b, len, (size_t)(lt - b), &equals);
		if (equals > max_attributes) {
			for (const unsigned char *p = b; p < lt; p++)
				line += *p == '\n';
			return gg_error_set_at(err, -EINVAL, line, 0, "xml: line %d: an element "
					       "has more than %d attributes (the limit)", line,
					       max_attributes);
		}
		i = end;
	}
	return 0;
}

/* Whether buf starts with a byte order mark (UTF-8, UTF-16 or UTF-32 in either order). */
static int has_bom(const unsigned char *b, size_t len)
{
	return (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) ||
	       (len >= 2 && ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE))) ||
	       (len >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF);
}

int gg_xml_encoding_known(const char *encoding)
{
	xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(encoding);

	if (h == NULL)
		return 0;
	xmlCharEncCloseFunc(h); /* an iconv one holds descriptors; libxml2's own are static */
	return 1;
}

/* Reads ctxt's input in the labelled encoding and tells the parser to ignore the document's
 * own declaration (XML_PARSE_IGNORE_ENC: libxml2 2.9 has converted an in-memory input whole
 * by then, but the flag is its documented way to say so); a byte order mark is left to
 * libxml2, which reads it before anything else. */
static int use_encoding(xmlParserCtxtPtr ctxt, const char *buf, size_t len, const char *encoding,
			int *options, struct gg_error *err)
{
	xmlCharEncodingHandlerPtr h;

	if (encoding == NULL || has_bom((const unsigned char *)buf, len))
		return 0;
	if ((h = xmlFindCharEncodingHandler(encoding)) == NULL)
		return gg_error_set(err, -EINVAL, "xml: unknown character encoding '%.60s'",
				    encoding);
	if (xmlSwitchToEncoding(ctxt, h) < 0)
		return gg_error_set(err, -EINVAL, "xml: cannot read %.60s", encoding);
	*options |= XML_PARSE_IGNORE_ENC;
	return 0;
}

int gg_xml_parse(const char *buf, size_t len, const struct gg_xml_limits *limits, xmlDocPtr *out,
		 struct gg_error *err)
{
	return gg_xml_parse_as(buf, len, limits, NULL, out, err);
}

int gg_xml_parse_as(const char *buf, size_t len, const struct gg_xml_limits *limits,
		    const char *encoding, xmlDocPtr *out, struct gg_error *err)
{
	struct gg_xml_limits lim = { GG_XML_DEFAULT_MAX_BYTES, GG_XML_DEFAULT_MAX_DEPTH,
				     GG_XML_DEFAULT_MAX_ATTRIBUTES };
	struct parse_state st;
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	int ok, r, options = XMLSAFE_PARSE_OPTIONS;

	*out = NULL;
	if (limits != NULL) {
		if (limits->max_bytes > 0)
			lim.max_bytes = limits->max_bytes;
		if (limits->max_depth > 0)
			lim.max_depth = limits->max_depth;
		if (limits->max_attributes > 0)
			lim.max_attributes = limits->max_attributes;
	}
	if (len > lim.max_bytes || len > INT_MAX)
		return gg_error_set(err, -EFBIG, "xml: document is %zu bytes, the limit is %zu",
				    len, lim.max_bytes);
	if (buf == NULL || len == 0)
		return gg_error_set(err, -EINVAL, "xml: empty document");
	if ((r = prescan(buf, len, lim.max_attributes, err)) != 0)
		return r;

	/* Per call: libxml2 keeps the generic handler per thread, and inputs parse in their own. */
	xmlSetGenericErrorFunc(NULL, xmlsafe_generic_error);
	ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
	if (ctxt == NULL)
		return gg_error_set(err, -ENOMEM, "xml: cannot allocate a parser context");
	if ((r = use_encoding(ctxt, buf, len, encoding, &options, err)) != 0) {
		xmlFreeParserCtxt(ctxt);
		return r;
	}
	xmlCtxtUseOptions(ctxt, options);

	memset(&st, 0, sizeof(st));
	st.max_depth = lim.max_depth;
	st.start_element = ctxt->sax->startElementNs;
	st.end_element = ctxt->sax->endElementNs;
	ctxt->_private = &st;
	/* ctxt->sax belongs to this context alone (xmlInitParserCtxt allocates it). */
	ctxt->sax->serror = on_parse_error;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->externalSubset = NULL;
	ctxt->sax->resolveEntity = on_resolve_entity;
	ctxt->sax->startElementNs = on_start_element;
	ctxt->sax->endElementNs = on_end_element;

	xmlParseDocument(ctxt);
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	/* have_error also catches namespace errors, which libxml2 reports without clearing
	 * wellFormed (an undeclared prefix, for one). */
	ok = ctxt->wellFormed && !st.refused && !st.have_error && doc != NULL;
	if (ok && (doc->intSubset != NULL || doc->extSubset != NULL)) {
		/* Unreachable while on_doctype stops the parser; kept so a change in libxml2's
		 * callback order can never let a DTD through silently. */
		st.refused = 1;
		state_fail(&st, 0, 0, "DOCTYPE refused");
		ok = 0;
	}
	if (ok && xmlDocGetRootElement(doc) == NULL) {
		state_fail(&st, 0, 0, "no root element");
		ok = 0;
	}
	if (!ok) {
		if (!st.have_error)
			state_fail(&st, ctxt->lastError.line, ctxt->lastError.int2,
				   ctxt->lastError.message);
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		if (st.column > 0)
			return gg_error_set_at(err, -EINVAL, st.line, st.column,
					       "xml: line %d, column %d: %s", st.line, st.column,
					       st.msg);
		return gg_error_set_at(err, -EINVAL, st.line, st.column, "xml: line %d: %s",
				       st.line, st.msg);
	}
	xmlFreeParserCtxt(ctxt);
	*out = doc;
	return 0;
}

/* Comments and processing instructions are restricted XML in XMPP (RFC 6120 section 11.1);
 * servers such as Prosody close the stream on them, so a stanza payload must not carry any. */
static int tree_has_restricted(xmlNodePtr node)
{
	for (; node != NULL; node = node->next) {
		if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE)
			return 1;
		if (node->type == XML_ELEMENT_NODE && tree_has_restricted(node->children))
			return 1;
	}
	return 0;
}

static void tree_drop_restricted(xmlNodePtr node)
{
	xmlNodePtr next;

	for (; node != NULL; node = next) {
		next = node->next;
		if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE) {
			xmlUnlinkNode(node);
			xmlFreeNode(node);
		} else if (node->type == XML_ELEMENT_NODE) {
			tree_drop_restricted(node->children);
		}
	}
}

int gg_xml_serialize(xmlDocPtr doc, char **out, size_t *out_len)
{
	xmlNodePtr root, copy = NULL;
	xmlBufferPtr buf;
	xmlSaveCtxtPtr save;
	const xmlChar *content;
	size_t len;
	char *res;
	int rc = 0;

	*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	root = xmlDocGetRootElement(doc);
	if (root == NULL)
		return -EINVAL;
	/* Only the root element is written: top-level comments and PIs never reach a stanza.
	 * The common case (documents we built) has nothing to drop and is not copied. */
	if (tree_has_restricted(root->children)) {
		copy = xmlDocCopyNode(root, doc, 1);
		if (copy == NULL)
			return -ENOMEM;
		tree_drop_restricted(copy->children);
		root = copy;
	}
	buf = xmlBufferCreate();
	if (buf == NULL) {
		xmlFreeNode(copy);
		return -ENOMEM;
	}
	save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL);
	if (save == NULL) {
		xmlBufferFree(buf);
		xmlFreeNode(copy);
		return -ENOMEM;
	}
	if (xmlSaveTree(save, root) < 0)
		rc = -EIO;
	if (xmlSaveClose(save) < 0 && rc == 0)
		rc = -EIO;
	xmlFreeNode(copy);
	if (rc != 0) {
		xmlBufferFree(buf);
		return rc;
	}
	content = xmlBufferContent(buf);
	len = (size_t)xmlBufferLength(buf);
	res = malloc(len + 1);
	if (res == NULL) {
		xmlBufferFree(buf);
		return -ENOMEM;
	}
	memcpy(res, content, len);
	res[len] = '\0';
	xmlBufferFree(buf);
	*out = res;
	if (out_len != NULL)
		*out_len = len;
	return 0;
}
