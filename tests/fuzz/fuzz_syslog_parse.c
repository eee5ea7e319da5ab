/* fuzz_syslog_parse.c: libFuzzer target for the syslog message parser: any bytes parse or are
 * refused with an offset inside them, and every field of a parse points where it may. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "formats/syslog_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is not a sanitizer error, so it is made a crash libFuzzer records. */
static void finding(const char *what)
{
	fprintf(stderr, "fuzz_syslog_parse: %s\n", what);
	abort();
}

static bool within(const struct gg_syslog_str *s, const char *lo, size_t n)
{
	if (s->ptr == NULL)
		return true;
	return s->ptr >= lo && s->len <= n && (size_t)(s->ptr - lo) <= n - s->len;
}

static void check_time(const struct gg_syslog_time *t)
{
	if (!t->present)
		return;
	if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > 31 || t->hour > 23 ||
	    t->min > 59 || t->sec > 60 || t->frac_us < 0 || t->frac_us > 999999 ||
	    t->frac_digits > 6 || t->offset_minutes < -1439 || t->offset_minutes > 1439)
		finding("timestamp field out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Tight SD limits on some inputs, so the E2BIG paths are reached too. */
	struct gg_syslog_limits lim = { 4096, size % 3 == 0 ? 2 : 1000, size % 3 == 0 ? 3 : 1000 };
	static struct gg_syslog_msg m;
	struct gg_error err = { 0 };
	/* The input in a buffer of its own size: ASan sees a read one byte past it. */
	char *buf = malloc(size > 0 ? size : 1);
	size_t scratch_size = size % 5 == 0 ? size / 2 : size;
	char *scratch = malloc(scratch_size > 0 ? scratch_size : 1);
	int rc;

	if (buf == NULL || scratch == NULL)
		abort();
	memcpy(buf, data, size);
	rc = gg_syslog_parse(buf, size, &lim, scratch, scratch_size, &m, &err);
	if (rc != 0) {
		size_t last = size > lim.max_size ? lim.max_size : size;

		if (err.column < 1 || (size_t)err.column > last + 1)
			finding("error offset outside the input");
		if (strncmp(err.msg, "syslog: byte ", 13) != 0)
			finding("error message does not name the byte");
		goto out;
	}
	if (m.facility < 0 || m.facility > 23 || m.severity < 0 || m.severity > 7)
		finding("facility or severity out of range");
	if (!m.pri_valid && (m.facility != 1 || m.severity != 5))
		finding("no PRI but not user.notice");
	check_time(&m.ts);
	if (!within(&m.hostname, buf, size) || !within(&m.app_name, buf, size) ||
	    !within(&m.procid, buf, size) || !within(&m.msgid, buf, size) ||
	    !within(&m.msg, buf, size) || m.msg.ptr == NULL)
		finding("a field points outside the input");
	if (m.msg_utf8 != gg_syslog_utf8_valid(m.msg.ptr, m.msg.len))
		finding("msg_utf8 is wrong");
	if (m.n_sd > lim.max_sd_elements || m.n_params > lim.max_sd_params)
		finding("SD over its limits");
	for (size_t i = 0, next = 0; i < m.n_sd; i++) {
		if (m.sd[i].first_param != next || !within(&m.sd[i].id, buf, size) ||
		    m.sd[i].id.len == 0 || m.sd[i].id.len > 32)
			finding("SD element inconsistent");
		next += m.sd[i].n_params;
		if (i + 1 == m.n_sd && next != m.n_params)
			finding("SD params not all in elements");
	}
	for (size_t i = 0; i < m.n_params; i++) {
		const struct gg_syslog_sd_param *p = &m.params[i];

		if (!within(&p->name, buf, size) ||
		    (!within(&p->value, buf, size) && !within(&p->value, scratch, scratch_size)) ||
		    p->value.ptr == NULL)
			finding("an SD param points outside input and scratch");
		if (p->value_utf8 != gg_syslog_utf8_valid(p->value.ptr, p->value.len))
			finding("value_utf8 is wrong");
		/* Unescaping only shortens, and an escaped value lives in the scratch. */
		if (memchr(p->value.ptr, '"', p->value.len) != NULL &&
		    within(&p->value, buf, size) && p->value.ptr >= buf &&
		    p->value.ptr < buf + size)
			finding("a value with a quote was not unescaped");
	}
out:
	free(scratch);
	free(buf);
	return 0;
}
