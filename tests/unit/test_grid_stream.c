/* test_grid_stream.c: items read from raw stream bytes keep the namespaces of prefixed
 * attributes, whatever the read boundaries; stream restarts, keep-alives and foreign stanzas
 * are passed over; a broken stream stops until the next header. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grid/grid_stream.h"
#include "iodef/xmlsafe.h"

#define HEADER "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " \
	       "xmlns:stream='http://etherx.jabber.org/streams' xmlns:x='urn:example:x' " \
	       "version='1.0'>"
#define PAYLOAD "<Doc xmlns='urn:example:doc' xmlns:xsi='http://www.w3.org/2001/XMLSchema-" \
		"instance' xml:lang='en' xsi:schemaLocation='urn:example:doc doc.xsd'>" \
		"<Ext xmlns:e='urn:example:ext' e:level='3' plain='p'>t &amp; u</Ext>" \
		"<Up x:attr='declared on the stream'/></Doc>"
#define EVENT(node, id) "<message from='pubsub.localhost' to='s@localhost'>" \
	"<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='" node "'>" \
	"<item id='" id "'>" PAYLOAD "</item></items></event>" \
	"<delay xmlns='urn:xmpp:delay' stamp='2026-01-02T03:04:05Z'/></message>"
#define RESULT(iq, node, id) "<iq type='result' id='" iq "' from='pubsub.localhost'>" \
	"<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='" node "'>" \
	"<item id='" id "'>" PAYLOAD "</item></items></pubsub></iq>"

struct seen {
	int n;
	char node[8][32], id[8][32], iq[8][32], stamp[8][32];
	char *text[8];
};

static void on_item(void *arg, const struct gg_grid_item *item)
{
	struct seen *s = arg;
	size_t len;

	assert_true(s->n < 8);
	snprintf(s->node[s->n], 32, "%s", item->node);
	snprintf(s->id[s->n], 32, "%s", item->id);
	snprintf(s->iq[s->n], 32, "%s", item->iq_id ? item->iq_id : "-");
	snprintf(s->stamp[s->n], 32, "%s", item->stamp ? item->stamp : "-");
	assert_int_equal(gg_grid_item_text(item, &s->text[s->n], &len), 0);
	s->n++;
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->text[i]);
}

/* The payload as a standalone document must carry every namespace of the original. */
static void assert_faithful(const char *text)
{
	struct gg_xml_limits limits = { .max_bytes = 1 << 20, .max_depth = 64 };
	struct gg_error err;
	xmlDocPtr doc;
	xmlNodePtr root, ext, up;

	assert_int_equal(gg_xml_parse(text, strlen(text), &limits, &doc, &err), 0);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->ns->href, "urn:example:doc");
	{
		xmlChar *v = xmlGetNsProp(root, BAD_CAST "lang", XML_XML_NAMESPACE);

		assert_string_equal((const char *)v, "en");
		xmlFree(v);
		v = xmlGetNsProp(root, BAD_CAST "schemaLocation",
					  BAD_CAST "http://www.w3.org/2001/XMLSchema-instance");
		assert_string_equal((const char *)v, "urn:example:doc doc.xsd");
		xmlFree(v);
	}
	ext = root->children;
	{
		xmlChar *v = xmlGetNsProp(ext, BAD_CAST "level", BAD_CAST "urn:example:ext");
		xmlChar *t = xmlNodeGetContent(ext);

		assert_string_equal((const char *)v, "3");
		assert_string_equal((const char *)t, "t & u");
		xmlFree(v);
		xmlFree(t);
		assert_null(xmlHasNsProp(ext, BAD_CAST "level", NULL));
	}
	up = ext->next;
	{
		/* declared on the stream header, outside the payload: declared on the copy */
		xmlChar *v = xmlGetNsProp(up, BAD_CAST "attr", BAD_CAST "urn:example:x");

		assert_string_equal((const char *)v, "declared on the stream");
		xmlFree(v);
	}
	xmlFreeDoc(doc);
}

static void feed_in_pieces(struct gg_grid_stream *st, const char *text, size_t piece)
{
	for (size_t off = 0, n = strlen(text); off < n; off += piece)
		assert_int_equal(gg_grid_stream_feed(st, text + off,
						     n - off < piece ? n - off : piece), 0);
}

static void test_event_and_result_any_boundary(void **state)
{
	static const char body[] = "<presence/> " EVENT("topic-a", "i1") "\n "
				   "<iq type='result' id='other'/>" RESULT("gg-s-9", "topic-b", "i2")
				   "<message><body>chat</body></message>";
	(void)state;
	for (size_t piece = 1; piece <= sizeof(body); piece = piece * 3 + 1) {
		struct seen s = { 0 };
		struct gg_grid_stream *st;

		assert_int_equal(gg_grid_stream_new(on_item, &s, 1 << 20, &st), 0);
		assert_int_equal(gg_grid_stream_feed(st, HEADER, strlen(HEADER)), 0);
		feed_in_pieces(st, body, piece);
		assert_int_equal(s.n, 2);
		assert_string_equal(s.node[0], "topic-a");
		assert_string_equal(s.id[0], "i1");
		assert_string_equal(s.iq[0], "-");
		assert_string_equal(s.stamp[0], "2026-01-02T03:04:05Z");
		assert_string_equal(s.node[1], "topic-b");
		assert_string_equal(s.iq[1], "gg-s-9");
		assert_faithful(s.text[0]);
		assert_faithful(s.text[1]);
		seen_free(&s);
		gg_grid_stream_free(st);
	}
}

static void test_restart_and_recovery(void **state)
{
	struct seen s = { 0 };
	struct gg_grid_stream *st;
	static const char broken[] = "<message><event></message>";

	(void)state;
	assert_int_equal(gg_grid_stream_new(on_item, &s, 1 << 20, &st), 0);
	/* bytes before any header are not read */
	assert_int_equal(gg_grid_stream_feed(st, "<a/>", 4), -EPROTO);
	assert_int_equal(gg_grid_stream_feed(st, HEADER, strlen(HEADER)), 0);
	assert_int_equal(gg_grid_stream_feed(st, broken, strlen(broken)), -EPROTO);
	assert_int_equal(gg_grid_stream_feed(st, EVENT("t", "lost"), strlen(EVENT("t", "x"))),
			 -EPROTO);
	/* a stream restart (after STARTTLS or SASL) reads again */
	assert_int_equal(gg_grid_stream_feed(st, HEADER, strlen(HEADER)), 0);
	assert_int_equal(gg_grid_stream_feed(st, EVENT("t", "i3"), strlen(EVENT("t", "i3"))), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.id[0], "i3");
	seen_free(&s);
	gg_grid_stream_free(st);
}

static void test_stanza_bound(void **state)
{
	struct seen s = { 0 };
	struct gg_grid_stream *st;

	(void)state;
	assert_int_equal(gg_grid_stream_new(on_item, &s, 64, &st), 0);
	assert_int_equal(gg_grid_stream_feed(st, HEADER, 40), 0);
	assert_int_equal(gg_grid_stream_feed(st, HEADER + 40, strlen(HEADER) - 40), -EPROTO);
	assert_int_equal(s.n, 0);
	gg_grid_stream_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_and_result_any_boundary),
		cmocka_unit_test(test_restart_and_recovery),
		cmocka_unit_test(test_stanza_bound),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
