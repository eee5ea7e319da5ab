/* fuzz_grid_stream.c: libFuzzer target for the subscriber's stream reader
 * (src/grid/grid_stream.c), which parses the bytes an XMPP controller sends. Byte 0 picks
 * where the rest is cut in two reads (a read boundary anywhere is what TCP gives). The
 * promises checked beyond the sanitizers': every item handed out has a node, an id and a
 * payload, and its text is a document of its own that libxml2 parses back. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "grid/grid_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what)
{
	fprintf(stderr, "fuzz_grid_stream: %s\n", what);
	abort();
}

static void on_item(void *arg, const struct gg_grid_item *item)
{
	size_t *items = arg;
	char *text = NULL;
	size_t len = 0;
	xmlDocPtr back;

	(*items)++;
	if (item->node == NULL || item->id == NULL || item->payload == NULL)
		finding("an item without its node, id or payload");
	if (gg_grid_item_text(item, &text, &len) != 0)
		return; /* out of memory: refused, not a finding */
	back = xmlReadMemory(text, (int)len, NULL, NULL, XML_PARSE_NONET);
	if (back == NULL)
		finding("an item's text does not parse back");
	xmlFreeDoc(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gg_grid_stream *st = NULL;
	size_t items = 0, cut;
	int r;

	if (size < 1)
		return 0;
	cut = size > 1 ? (size_t)data[0] % size : 0;
	if (cut == 0)
		cut = 1;
	if (gg_grid_stream_new(on_item, &items, 16384, &st) != 0)
		return 0;
	r = gg_grid_stream_feed(st, (const char *)data + 1, cut - 1);
	if (r != 0 && r != -EPROTO)
		finding("feed returned neither 0 nor -EPROTO");
	r = gg_grid_stream_feed(st, (const char *)data + cut, size - cut);
	if (r != 0 && r != -EPROTO)
		finding("feed returned neither 0 nor -EPROTO");
	gg_grid_stream_free(st);
	return 0;
}
