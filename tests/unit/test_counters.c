/* test_counters.c: counters are table rows: formatting reads each row's value where it points,
 * and every table of the core and the plugins has help for each row and no name twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/counters.h"
#include "engine/adapter.h"
#include "engine/map_input.h"
#include "engine/pipeline.h"

struct two {
	atomic_uint_fast64_t a, b;
};

static const struct gg_counter two_rows[] = {
	{ "a", "the first", offsetof(struct two, a) },
	{ "b", "the second", offsetof(struct two, b) },
	GG_COUNTERS_END,
};

static void test_format(void **state)
{
	struct two v = { 3, 18446744073709551615ULL };
	char out[64], tiny[6];

	(void)state;
	gg_counters_format(two_rows, &v, out, sizeof(out));
	assert_string_equal(out, "a=3 b=18446744073709551615");
	/* cut, never overrun */
	gg_counters_format(two_rows, &v, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static void check_table(const struct gg_counter *rows)
{
	for (const struct gg_counter *r = rows; r->name != NULL; r++) {
		assert_non_null(r->help);
		assert_true(strlen(r->help) > 8);
		for (const struct gg_counter *o = rows; o != r; o++)
			assert_string_not_equal(o->name, r->name);
	}
}

static void test_every_table_documented(void **state)
{
	(void)state;
	check_table(gg_core_counters);
	check_table(gg_mapper_counter_rows);
	for (size_t i = 0; gg_adapters[i] != NULL; i++) {
		if (gg_adapters[i]->counters == NULL)
			continue;
		assert_non_null(gg_adapters[i]->counters_of);
		check_table(gg_adapters[i]->counters);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_every_table_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
