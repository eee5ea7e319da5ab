/* test_grid_history.c: what `gridgate topics items --since ID|TIME --max N` keeps of a topic's
 * items, RFC 3339 times with zones and fractions, and an IODEF document's time. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grid/grid_history.h"
#include "iodef/xmlsafe.h"

static void fill(struct gg_topic_items *l, int n)
{
	for (int i = 0; i < n; i++) {
		char id[16]; /* "i" and any int: the -O1 ASan build checks the whole range */

		snprintf(id, sizeof(id), "i%d", i);
		/* Item i's document is from second i; item 2 has no time. */
		assert_int_equal(gg_topic_items_add(l, id, strdup("<x/>"), 4,
						    i == 2 ? GG_TIME_NONE : i * 1000000LL), 0);
	}
}

static void assert_ids(const struct gg_topic_items *l, const char *want)
{
	char got[128] = "";

	for (size_t i = 0; i < l->n; i++) {
		strcat(got, i ? " " : "");
		strcat(got, l->v[i].id);
	}
	assert_string_equal(got, want);
}

static void test_select(void **state)
{
	struct gg_topic_items l = { 0 };

	(void)state;
	fill(&l, 6);
	assert_int_equal(gg_topic_items_select(&l, "i3", GG_TIME_NONE, 0), 0);
	assert_ids(&l, "i4 i5");
	gg_topic_items_free(&l);

	fill(&l, 6);
	assert_int_equal(gg_topic_items_select(&l, "i0", GG_TIME_NONE, 2), 0);
	assert_ids(&l, "i1 i2"); /* paging forward: the next call starts after i2 */
	gg_topic_items_free(&l);

	fill(&l, 6);
	assert_int_equal(gg_topic_items_select(&l, "i5", GG_TIME_NONE, 0), 0);
	assert_ids(&l, "");
	gg_topic_items_free(&l);

	fill(&l, 6);
	assert_int_equal(gg_topic_items_select(&l, "gone", GG_TIME_NONE, 0), -ENOENT);
	gg_topic_items_free(&l);

	/* By time: strictly later, items without a time left out. */
	fill(&l, 6);
	assert_int_equal(gg_topic_items_select(&l, NULL, 1000000, 0), 0);
	assert_ids(&l, "i3 i4 i5");
	gg_topic_items_free(&l);

	fill(&l, 6);
	assert_int_equal(gg_topic_items_select(&l, NULL, 0, 2), 0);
	assert_ids(&l, "i1 i3");
	gg_topic_items_free(&l);
}

static void test_rfc3339(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(gg_rfc3339_us("1970-01-01T00:00:01Z", &t), 0);
	assert_true(t == 1000000);
	assert_int_equal(gg_rfc3339_us("1970-01-01T01:00:01.5+01:00", &t), 0);
	assert_true(t == 1500000);
	assert_int_equal(gg_rfc3339_us("1969-12-31T19:00:00.0000019-05:00", &t), 0);
	assert_true(t == 1);
	assert_int_equal(gg_rfc3339_us("2016-12-31T23:59:60Z", &t), 0); /* leap second: :59 */
	assert_true(t == 1483228799000000LL);
	assert_int_equal(gg_rfc3339_us("2015-07-18T09:00:00", &t), 0); /* no zone: UTC */
	assert_true(t == 1437210000000000LL);
	assert_int_equal(gg_rfc3339_us("2026-02-29T00:00:00Z", &t), -EINVAL);
	assert_int_equal(gg_rfc3339_us("2026-01-01T00:00:00.Z", &t), -EINVAL);
	assert_int_equal(gg_rfc3339_us("2026-01-01 00:00:00Z", &t), -EINVAL);
	assert_int_equal(gg_rfc3339_us("2026-01-01T00:00:00+0100", &t), -EINVAL);
	assert_int_equal(gg_rfc3339_us("3fbd53ad31310af25731b5e446274d25", &t), -EINVAL);
}

static void test_doc_time(void **state)
{
	static const char doc[] =
		"<IODEF-Document xmlns='urn:ietf:params:xml:ns:iodef-2.0' version='2.00'>"
		"<Incident><GenerationTime>2015-07-18T09:00:00-05:00</GenerationTime>"
		"<ReportTime>2015-07-18T15:00:00Z</ReportTime></Incident>"
		"<Incident><GenerationTime>2015-07-18T16:00:00+02:00</GenerationTime></Incident>"
		"</IODEF-Document>";
	struct gg_xml_limits limits = { .max_bytes = 1 << 20, .max_depth = 64 };
	struct gg_error err;
	xmlDocPtr d;
	int64_t want;

	(void)state;
	assert_int_equal(gg_xml_parse(doc, strlen(doc), &limits, &d, &err), 0);
	assert_int_equal(gg_rfc3339_us("2015-07-18T15:00:00Z", &want), 0);
	assert_true(gg_iodef_doc_time(xmlDocGetRootElement(d)) == want);
	xmlFreeDoc(d);
	assert_int_equal(gg_xml_parse("<a/>", 4, &limits, &d, &err), 0);
	assert_true(gg_iodef_doc_time(xmlDocGetRootElement(d)) == GG_TIME_NONE);
	xmlFreeDoc(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_doc_time),
	};

	gg_xml_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
