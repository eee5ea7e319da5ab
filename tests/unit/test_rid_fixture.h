/* test_rid_fixture.h: the group fixture of the RID unit tests: the IODEF 2.0 schema with a
 * validator, the RID schema, and the checker gg_rid_parse reads messages with. */
#ifndef GG_TEST_RID_FIXTURE_H
#define GG_TEST_RID_FIXTURE_H

#include "test_util.h"

#include "rid/rid_envelope.h"

struct fixture {
	struct gg_schema *iodef2;
	struct gg_validator *v;
	struct gg_rid_schema *rid;
	struct gg_rid_checker *c;
};

static inline int gg_test_rid_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct gg_error err = { 0 };

	if (f == NULL)
		return -1;
	*state = f;
	if (gg_test_validator_open(&f->iodef2, &f->v) != 0)
		return -1;
	if (gg_rid_schema_load(gg_test_schema_dir(), &f->rid, &err) != 0 ||
	    gg_rid_checker_new(f->rid, f->iodef2, &f->c, &err) != 0) {
		print_error("setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static inline int gg_test_rid_teardown(void **state)
{
	struct fixture *f = *state;

	if (f == NULL)
		return 0;
	gg_rid_checker_free(f->c);
	gg_rid_schema_free(f->rid);
	gg_test_validator_close(f->iodef2, f->v);
	free(f);
	return 0;
}

#endif
