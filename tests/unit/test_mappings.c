/* test_mappings.c: the shipped mappings against their test vectors (expected IODEF compared
 * after C14N, every document valid), their unmatched lines, and the real corpus each must
 * cover; then the engine's own guarantees: load errors with file:line, transforms, limits
 * against pathological regexes and huge fields, and bad bytes that never become bad XML. */
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <time.h>
#include <unistd.h>

#include "engine/config.h"
#include "map/map.h"
#include "engine/map_input.h"
#include "map/map_internal.h"

/* 2026-01-15T12:00:00Z, the receive time tests/mappings/regen uses. */
#define VECTOR_NOW ((time_t)1768478400)

static const struct gg_iodef_defaults defaults = { "gridgate.invalid", NULL };

struct fixture {
	struct gg_schema *schema;
	struct gg_validator *v;
	struct gg_map_ctx *ctx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct gg_error err = { 0 };

	if (f == NULL || gg_test_validator_open(&f->schema, &f->v) != 0) {
		free(f);
		return -1;
	}
	if (gg_map_ctx_new(NULL, &f->ctx, &err) != 0) {
		gg_test_validator_close(f->schema, f->v);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f != NULL) {
		gg_map_ctx_free(f->ctx);
		gg_test_validator_close(f->schema, f->v);
		free(f);
	}
	return 0;
}

static struct gg_mapset *load(const char *name)
{
	struct gg_mapset *set = NULL;
	struct gg_error err = { 0 };
	const char *names[] = { name };

	if (gg_mapset_load(gg_test_dir("GG_TEST_MAPPING_DIR"), names, 1, NULL, &set, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
	return set;
}

static char *c14n(xmlDocPtr doc)
{
	xmlChar *out = NULL;

	if (xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &out) < 0)
		fail_msg("C14N failed");
	return (char *)out;
}

/* The results of one record (one, or one per element of an `each` mapping). */
#define MAX_RESULTS 64
struct results {
	size_t n, mapped, ignored, unmatched, failed;
	xmlDocPtr docs[MAX_RESULTS]; /* the mapped documents, in order */
	enum gg_map_verdict verdict; /* of the first result */
	const char *mapping, *rule;  /* of the first result */
	char why[sizeof(((struct gg_error *)0)->msg)]; /* of the last failed element */
};

static int collect(void *arg, struct gg_map_result *res)
{
	struct results *rs = arg;

	if (rs->n == 0) {
		rs->verdict = res->verdict;
		rs->mapping = res->mapping;
		rs->rule = res->rule;
	}
	if (rs->n++ >= MAX_RESULTS)
		fail_msg("more than %d results of one record", MAX_RESULTS);
	if (res->error != 0) {
		rs->failed++;
		snprintf(rs->why, sizeof(rs->why), "%s", res->why->msg);
	} else if (res->verdict == GG_MAP_MAPPED) {
		rs->docs[rs->mapped++] = res->doc;
		res->doc = NULL;
	} else if (res->verdict == GG_MAP_IGNORED) {
		rs->ignored++;
	} else {
		rs->unmatched++;
	}
	return 0;
}

static void results_free(struct results *rs)
{
	for (size_t i = 0; i < rs->mapped; i++)
		xmlFreeDoc(rs->docs[i]);
}

/* gg_map_line (input "test") for a record that gives one result: its verdict, document,
 * mapping and rule (mapping and rule may be NULL). */
static int map_line_one(struct gg_map_ctx *ctx, const struct gg_mapset *set, const char *origin,
			uint64_t lineno, const char *line, size_t len, time_t now,
			enum gg_map_verdict *verdict, xmlDocPtr *doc, const char **mapping,
			const char **rule, struct gg_error *err)
{
	struct results rs = { .verdict = GG_MAP_UNMATCHED };
	int r = gg_map_line(ctx, set, "test", origin, lineno, line, len, now, &defaults, collect,
			    &rs, NULL, err);

	if (rs.n > 1)
		fail_msg("%s: %zu results, one expected", origin, rs.n);
	*verdict = rs.verdict;
	*doc = rs.mapped > 0 ? rs.docs[0] : NULL;
	if (mapping != NULL)
		*mapping = rs.mapping;
	if (rule != NULL)
		*rule = rs.rule;
	return r;
}

/* Maps one line as tests/mappings/regen does; returns the verdict and *doc. */
static enum gg_map_verdict map_one(struct fixture *f, const struct gg_mapset *set,
				   const char *origin, const char *line, xmlDocPtr *doc)
{
	enum gg_map_verdict verdict;
	struct gg_error err = { 0 };
	const char *mapping, *rule;

	if (map_line_one(f->ctx, set, origin, 1, line, strlen(line), VECTOR_NOW, &verdict, doc,
			 &mapping, &rule, &err) != 0)
		fail_msg("%s: %s", origin, err.msg);
	return verdict;
}

static char *first_line(char *buf)
{
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/* Compares got with the document of text (one of the documents of an expected file). */
static void same_document(const char *xml_rel, size_t i, const char *text, size_t len,
			  xmlDocPtr got)
{
	xmlDocPtr want = xmlReadMemory(text, (int)len, xml_rel, NULL,
				       XML_PARSE_NOBLANKS | XML_PARSE_NONET);
	char *want_text, *got_text;

	if (want == NULL)
		fail_msg("%s: document %zu is not XML", xml_rel, i);
	want_text = c14n(want);
	got_text = c14n(got);
	if (strcmp(want_text, got_text) != 0) {
		print_error("%s: document %zu differs after C14N\n--- want\n%s\n--- got\n%s\n",
			    xml_rel, i, want_text, got_text);
		fail();
	}
	xmlFree(want_text);
	xmlFree(got_text);
	xmlFreeDoc(want);
}

/* NAME.log's documents against NAME.xml: what `gridgate map` prints, one document after the
 * other (several for a record an `each` mapping splits), each starting with its <?xml. */
static void check_vector(struct fixture *f, const struct gg_mapset *set, const char *vector_dir,
			 const char *mapping, const char *log)
{
	char rel[1024], xml_rel[1024];
	char *line, *want, *doc_at;
	struct results rs = { 0 };
	struct gg_error err = { 0 };
	size_t i = 0;

	snprintf(rel, sizeof(rel), "%s/%s", mapping, log);
	snprintf(xml_rel, sizeof(xml_rel), "%.*s.xml", (int)strlen(rel) - 4, rel);
	line = first_line(gg_test_read_in(vector_dir, rel, NULL));
	if (gg_map_line(f->ctx, set, "test", log, 1, line, strlen(line), VECTOR_NOW, &defaults,
			collect, &rs, NULL, &err) != 0)
		fail_msg("%s: %s", rel, err.msg);
	if (rs.mapped == 0)
		fail_msg("%s: not mapped", rel);
	want = gg_test_read_in(vector_dir, xml_rel, NULL);
	for (doc_at = strstr(want, "<?xml"); doc_at != NULL; i++) {
		char *next = strstr(doc_at + 1, "<?xml");
		size_t len = next != NULL ? (size_t)(next - doc_at) : strlen(doc_at);

		if (i >= rs.mapped)
			fail_msg("%s: %zu documents expected, %zu made", xml_rel, i + 1, rs.mapped);
		if (gg_validator_check(f->v, rs.docs[i], &err) != 0)
			fail_msg("%s: document %zu invalid: %s", rel, i, err.msg);
		same_document(xml_rel, i, doc_at, len, rs.docs[i]);
		doc_at = next;
	}
	if (i != rs.mapped)
		fail_msg("%s: %zu documents made, %zu expected (run tests/mappings/regen %s)", rel,
			 rs.mapped, i, mapping);
	results_free(&rs);
	free(want);
	free(line);
}

static int vectors_of(struct fixture *f, const char *vector_dir, const char *mapping)
{
	char dir[4096];
	struct gg_mapset *set = load(mapping);
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/%s", vector_dir, mapping);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len <= 4 || strcmp(e->d_name + len - 4, ".log") != 0)
			continue;
		check_vector(f, set, vector_dir, mapping, e->d_name);
		n++;
	}
	closedir(d);
	gg_mapset_unref(set);
	return n;
}

/* Every shipped mapping has vectors, and each vector maps to its expected document. */
static void test_vectors(void **state)
{
	const char *mapping_dir = gg_test_dir("GG_TEST_MAPPING_DIR");
	const char *vector_dir = gg_test_dir("GG_TEST_VECTOR_DIR");
	DIR *d = opendir(mapping_dir);
	struct dirent *e;
	int mappings = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char name[256];
		int n;

		if (len <= 4 || len >= sizeof(name) || strcmp(e->d_name + len - 4, ".map") != 0)
			continue;
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = '\0';
		n = vectors_of(*state, vector_dir, name);
		if (n == 0)
			fail_msg("mapping %s has no test vectors in tests/mappings/%s", name, name);
		print_message("%-16s %d vectors\n", name, n);
		mappings++;
	}
	closedir(d);
	assert_true(mappings > 0);
}

/* mappings = *: name order, with the catch-alls (generic-json, rfc5424: `fallback`) after the
 * others, so they cannot take a Suricata alert or an Alertmanager notification from its own
 * mapping. */
static void test_all_order(void **state)
{
	struct gg_mapset *set = load("*");
	size_t n = gg_mapset_count(set);

	(void)state;
	assert_true(n >= 10);
	assert_string_equal(gg_mapset_name(set, 0), "alertmanager");
	/* The two catch-alls last, in name order: generic JSON, then any RFC 5424 message. */
	assert_string_equal(gg_mapset_name(set, n - 2), "generic-json");
	assert_string_equal(gg_mapset_name(set, n - 1), "rfc5424");
	for (size_t i = 1; i + 2 < n; i++)
		assert_true(strcmp(gg_mapset_name(set, i - 1), gg_mapset_name(set, i)) < 0);
	gg_mapset_unref(set);
}

/* Lines each mapping must leave alone (unmatched or dropped on purpose). */
static void test_unmatched(void **state)
{
	const char *vector_dir = gg_test_dir("GG_TEST_VECTOR_DIR");
	DIR *d = opendir(vector_dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char rel[512], path[4096 + 512];
		struct gg_mapset *set;
		char *buf, *line, *save = NULL;

		if (e->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s/unmatched.txt", e->d_name);
		snprintf(path, sizeof(path), "%s/%s", vector_dir, rel);
		if (access(path, R_OK) != 0)
			continue;
		set = load(e->d_name);
		buf = gg_test_read_in(vector_dir, rel, NULL);
		for (line = strtok_r(buf, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			xmlDocPtr doc = NULL;

			if (map_one(*state, set, "unmatched.txt", line, &doc) == GG_MAP_MAPPED) {
				xmlFreeDoc(doc);
				fail_msg("%s: mapped, but must not be: %s", rel, line);
			}
		}
		free(buf);
		gg_mapset_unref(set);
	}
	closedir(d);
}

/* tests/mappings/corpus.list: every line of each real corpus file maps to a valid document
 * or is dropped by a rule; none is unmatched by accident. Prints the rates. */
static void test_corpus(void **state)
{
	struct fixture *f = *state;
	char *list = gg_test_read_in(gg_test_dir("GG_TEST_VECTOR_DIR"), "corpus.list", NULL);
	char *entry, *save = NULL;
	int files = 0;

	for (entry = strtok_r(list, "\n", &save); entry != NULL;
	     entry = strtok_r(NULL, "\n", &save)) {
		char mapping[128], file[256], rel[300];
		struct gg_mapset *set;
		char *buf, *line, *lsave = NULL;
		unsigned long lines = 0, mapped = 0, ignored = 0, lineno = 0, unmatched = 0;
		unsigned long want_unmatched = 0;

		/* MAPPING FILE [unmatched=N]: N lines no mapping takes, on purpose (programs
		 * nothing ships a mapping for; the daemon publishes them as generic incidents). */
		if (entry[0] == '#' ||
		    sscanf(entry, "%127s %255s unmatched=%lu", mapping, file, &want_unmatched) < 2)
			continue;
		set = load(mapping);
		snprintf(rel, sizeof(rel), "corpus/%s", file);
		buf = gg_test_read_data(rel, NULL);
		for (line = strtok_r(buf, "\n", &lsave); line != NULL;
		     line = strtok_r(NULL, "\n", &lsave)) {
			struct results rs = { 0 };
			struct gg_error err = { 0 };

			line[strcspn(line, "\r")] = '\0';
			lineno++;
			if (line[0] == '\0')
				continue;
			lines++;
			if (gg_map_line(f->ctx, set, "corpus", file, lineno, line, strlen(line),
					VECTOR_NOW, &defaults, collect, &rs, NULL, &err) != 0)
				fail_msg("%s:%lu: %s", file, lineno, err.msg);
			if (rs.failed > 0)
				fail_msg("%s:%lu: %s", file, lineno, rs.why);
			/* A line an `each` mapping splits counts each element. */
			unmatched += rs.unmatched;
			if (unmatched > want_unmatched)
				fail_msg("%s:%lu: unmatched by %s: %s", file, lineno, mapping, line);
			ignored += rs.ignored;
			for (size_t i = 0; i < rs.mapped; i++)
				if (gg_validator_check(f->v, rs.docs[i], &err) != 0)
					fail_msg("%s:%lu: %s/%s: invalid: %s", file, lineno,
						 rs.mapping, rs.rule, err.msg);
			mapped += rs.mapped;
			results_free(&rs);
		}
		if (unmatched != want_unmatched)
			fail_msg("%s: %lu unmatched, corpus.list says %lu", file, unmatched,
				 want_unmatched);
		print_message("%-16s %-28s %5lu lines: %5lu documents, %lu dropped on purpose, "
			      "%lu unmatched on purpose\n", mapping, file, lines, mapped, ignored,
			      unmatched);
		free(buf);
		gg_mapset_unref(set);
		files++;
	}
	free(list);
	assert_true(files > 0);
}

/* ------------------------------------------------------------------ engine */

/* Writes text to a temporary .map file and loads it; returns the error code, err filled. */
static int load_text(const char *text, struct gg_mapset **set, struct gg_error *err,
		     char *path, size_t path_size)
{
	const char *names[1];
	FILE *fp;
	int fd;

	snprintf(path, path_size, "/tmp/gg-test-mapXXXXXX.map");
	fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	names[0] = path;
	*set = NULL;
	return gg_mapset_load(NULL, names, 1, NULL, set, err);
}

static void test_load_errors(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *reason;
	} cases[] = {
		{ "set sevrity low\n", 1, "unknown slot 'sevrity'" },
		{ "# c\n\nset severity extreme\n", 3, "'extreme' is not a value of severity" },
		{ "rule a\nmatch msg ^(?<x>a\n", 2, "regex: missing closing parenthesis" },
		{ "set source.address $cef.src\n", 1, "needs 'payload cef'" },
		{ "set description $nothere\n", 1, "unknown field 'nothere'" },
		{ "rule a\nset severity low\nrule a\n", 3, "rule 'a' is already defined on line 1" },
		{ "set severity $severity | lookup t\n", 1, "no table 't'" },
		{ "table t\na b\n", 2, "table 't' has no 'end'" },
		{ "payload xml\n", 1, "payload must be" },
		{ "rule a\nmatch msg ^(?<msg>.*)$\n", 2, "group name 'msg' is a built-in field" },
		{ "set severity $severity | scale richter\n", 1, "unknown scale 'richter'" },
		{ "when app ~ sshd\n", 1, "unknown comparison '~'" },
		{ "set description \"open\n", 1, "unterminated quoted value" },
		{ "rule a\npayload json\n", 2, "'payload' is not allowed in a rule" },
		{ "bogus x\n", 1, "unknown keyword 'bogus'" },
		{ "set protocol tcpx\n", 1, "not a protocol name or number" },
		{ "timezone CET\n", 1, "timezone must be" },
		{ "timezone +14:30\n", 1, "timezone must be" },
		{ "mapping only\n", 0, "no 'set' and no 'rule'" },
		{ "table t\n\"open key\n", 2, "unterminated or empty quoted key" },
		{ "each /a\n", 1, "'each' needs 'payload json'" },
		{ "payload json\nset description x\neach /a\n", 3, "'each' comes before" },
		{ "payload json\neach /a\neach /b\n", 3, "one 'each'" },
		{ "payload json\neach a\n", 2, "takes JSON pointers" },
		{ "payload json\neach /a\nwhen /x = 1\nset description x\n", 3,
		  "selects the record, not an element: write '^/x'" },
		{ "payload json\nset description ${^/x}\n", 2, "needs 'each'" },
		{ "payload json\neach /a\npayload json\n", 3, "'payload' comes before every 'each'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gg_mapset *set;
		struct gg_error err = { 0 };
		char path[64], want[128];

		assert_int_equal(load_text(cases[i].text, &set, &err, path, sizeof(path)), -EINVAL);
		assert_null(set);
		if (cases[i].line > 0) {
			snprintf(want, sizeof(want), "%s:%d: ", path, cases[i].line);
			if (strstr(err.msg, want) == NULL)
				fail_msg("case %zu: '%s' does not name %s", i, err.msg, want);
		}
		if (strstr(err.msg, cases[i].reason) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, cases[i].reason);
		unlink(path);
	}
}

static void test_times(void **state)
{
	static const struct {
		const char *in;
		int tz;
		const char *want; /* NULL: refused */
	} cases[] = {
		{ "2021-03-06T20:26:49.276834+0000", 0, "2021-03-06T20:26:49.276834Z" },
		{ "2021-03-06T20:26:49.276834+0100", 0, "2021-03-06T20:26:49.276834+01:00" },
		{ "2021-03-06 20:26:49", 60, "2021-03-06T20:26:49+01:00" },
		{ "03/06/2021-20:26:49.276834", 0, "2021-03-06T20:26:49.276834Z" },
		{ "01/14-11:58:01.123456", 0, "2026-01-14T11:58:01.123456Z" },
		{ "Dec 10 06:55:46", 0, "2025-12-10T06:55:46Z" },  /* last year's December */
		{ "Jan 16 06:55:46", 0, "2026-01-16T06:55:46Z" },  /* within a day ahead */
		{ "Jan  5 2024 06:55:46 UTC", 0, "2024-01-05T06:55:46Z" },
		{ "1768478400", 0, "2026-01-15T12:00:00Z" },
		{ "1768478400123", 0, "2026-01-15T12:00:00.123Z" },
		{ "Feb 30 10:00:00", 0, NULL },
		{ "2021-13-01T00:00:00Z", 0, NULL },
		{ "yesterday", 0, NULL },
		{ "2021-03-06T20:26:49+1500", 0, NULL },
		/* xs:dateTime zones end at 14:00: 14:30 would make the document invalid. */
		{ "2021-03-06T20:26:49+14:30", 0, NULL },
		{ "2021-03-06T20:26:49-14:00", 0, "2021-03-06T20:26:49-14:00" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[48];
		int r = gg_time_to_xs(cases[i].in, cases[i].tz, VECTOR_NOW, out, sizeof(out));

		if (cases[i].want == NULL) {
			if (r == 0)
				fail_msg("'%s' read as %s", cases[i].in, out);
			continue;
		}
		if (r != 0 || strcmp(out, cases[i].want) != 0)
			fail_msg("'%s': got %s, want %s", cases[i].in, r == 0 ? out : "refused",
				 cases[i].want);
	}
}

static void test_values(void **state)
{
	struct gg_xform x = { .kind = GG_X_SCALE };
	const char *why;
	char *s;

	(void)state;
	assert_string_equal(gg_address_category("192.0.2.1"), "ipv4-addr");
	assert_string_equal(gg_address_category("2001:db8::1"), "ipv6-addr");
	assert_string_equal(gg_address_category("192.0.2.0/24"), "ipv4-net");
	assert_string_equal(gg_address_category("2001:db8::/32"), "ipv6-net");
	assert_null(gg_address_category("192.0.2.0/33"));
	assert_null(gg_address_category("host.example"));
	assert_null(gg_address_category("1.2.3.4.5"));
	assert_int_equal(gg_protocol_number("TCP"), 6);
	assert_int_equal(gg_protocol_number("ipv6-icmp"), 58);
	assert_int_equal(gg_protocol_number("17"), 17);
	assert_int_equal(gg_protocol_number("256"), -1);
	assert_int_equal(gg_protocol_number("tcpx"), -1);
	x.scale = gg_scale_index("cef");
	s = gg_xform_apply(&x, "7", &why);
	assert_string_equal(s, "high");
	free(s);
	s = gg_xform_apply(&x, "11", &why);
	assert_null(s);
	x.scale = gg_scale_index("syslog");
	s = gg_xform_apply(&x, "4", &why);
	assert_string_equal(s, "medium");
	free(s);
	x.scale = gg_scale_index("priority");
	s = gg_xform_apply(&x, "1", &why);
	assert_string_equal(s, "high");
	free(s);
	s = gg_xform_apply(&x, "3", &why);
	assert_string_equal(s, "low");
	free(s);
}

/* A mapping written inline, loaded from a temporary file (removed again by scratch_close). */
struct scratch {
	struct gg_mapset *set;
	char path[64];
};

static void scratch_open(struct scratch *sc, const char *text)
{
	struct gg_error err = { 0 };

	if (load_text(text, &sc->set, &err, sc->path, sizeof(sc->path)) != 0)
		fail_msg("%s", err.msg);
}

static void scratch_close(struct scratch *sc)
{
	gg_mapset_unref(sc->set);
	unlink(sc->path);
}

/* Maps len bytes of line and returns the document, which must be made and valid. */
static xmlDocPtr map_valid(struct fixture *f, const struct scratch *sc, const char *line,
			   size_t len)
{
	enum gg_map_verdict verdict;
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;

	if (map_line_one(f->ctx, sc->set, sc->path, 1, line, len, VECTOR_NOW, &verdict, &doc, NULL,
			 NULL, &err) != 0)
		fail_msg("%s", err.msg);
	if (verdict != GG_MAP_MAPPED)
		fail_msg("not mapped: %.*s", (int)len, line);
	if (gg_validator_check(f->v, doc, &err) != 0)
		fail_msg("invalid: %s", err.msg);
	return doc;
}

/* Lookup tables: quoted keys with blanks, the '*' row, and a table defined after a rule. */
static void test_tables(void **state)
{
	struct fixture *f = *state;
	struct scratch sc;
	xmlDocPtr doc;

	scratch_open(&sc, "rule r\nmatch msg ^class=(?<c>.*)$\n"
			  "table impacts\n\"Attempted Denial of Service\" availability-service\n"
			  "* unknown\nend\n"
			  "set impact $c | lookup impacts\n"
			  "set description \"${c}${sd.x.y?}\"\n");
	doc = map_valid(f, &sc, "class=Attempted Denial of Service", 33);
	gg_assert_xpath(doc, "string(//i:SystemImpact/@type)", "availability-service");
	/* ${sd.x.y?}: the line has no structured data; the optional reference is empty. */
	gg_assert_xpath(doc, "string(//i:Incident/i:Description)", "Attempted Denial of Service");
	xmlFreeDoc(doc);
	doc = map_valid(f, &sc, "class=Other", 11);
	gg_assert_xpath(doc, "string(//i:SystemImpact/@type)", "unknown");
	xmlFreeDoc(doc);
	/* A CR/LF left at the end of the message is framing: $ still matches before it. */
	doc = map_valid(f, &sc, "class=Attempted Denial of Service\r\n", 35);
	gg_assert_xpath(doc, "string(//i:SystemImpact/@type)", "availability-service");
	xmlFreeDoc(doc);
	scratch_close(&sc);
}

/* A rule that captured a group and then failed leaves nothing behind: the next rule, which
 * names that group without capturing it, sees it empty, not the failed rule's value. */
static void test_failed_rule_captures_cleared(void **state)
{
	struct fixture *f = *state;
	struct scratch sc;
	xmlDocPtr doc;

	scratch_open(&sc, "match msg ^(?<kind>\\w+)\n"
			  "rule with-user\nmatch msg user=(?<u>\\w+)\nmatch msg never-in-the-line\n"
			  "set description \"user ${u}\"\n"
			  "rule other\nset description \"$kind [${u?}]\"\n");
	doc = map_valid(f, &sc, "login user=alice", 16);
	gg_assert_xpath(doc, "string(//i:Incident/i:Description)", "login []");
	xmlFreeDoc(doc);
	scratch_close(&sc);
}

/* include NAME: the tables of NAME.inc next to the mapping; an include holds tables only. */
static void test_include(void **state)
{
	struct fixture *f = *state;
	struct scratch sc;
	struct gg_mapset *set;
	struct gg_error err = { 0 };
	char inc[64], text[256], path[64];
	xmlDocPtr doc;
	FILE *fp;

	snprintf(inc, sizeof(inc), "/tmp/gg-test-inc-%d.inc", (int)getpid());
	fp = fopen(inc, "w");
	assert_non_null(fp);
	fputs("# shared\ntable t\na policy\nend\n", fp);
	fclose(fp);
	snprintf(text, sizeof(text), "include gg-test-inc-%d\nrule r\nmatch msg ^(?<x>a)$\n"
		 "set impact $x | lookup t\n", (int)getpid());
	scratch_open(&sc, text);
	doc = map_valid(f, &sc, "a", 1);
	gg_assert_xpath(doc, "string(//i:SystemImpact/@type)", "policy");
	xmlFreeDoc(doc);
	scratch_close(&sc);

	/* Anything but tables in an include is refused, naming the include's line. */
	fp = fopen(inc, "w");
	assert_non_null(fp);
	fputs("table t\na policy\nend\nset severity low\n", fp);
	fclose(fp);
	assert_int_equal(load_text(text, &set, &err, path, sizeof(path)), -EINVAL);
	snprintf(text, sizeof(text), "%s:4: an include file holds tables only", inc);
	if (strstr(err.msg, text) == NULL || strstr(err.msg, "included from") == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, text);
	unlink(path);
	unlink(inc);
	/* A missing include names itself. */
	assert_int_equal(load_text("include gg-no-such-include\n", &set, &err, path, sizeof(path)),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "/tmp/gg-no-such-include.inc"));
	unlink(path);
}

/* Address slots take addresses only; host slots take names, and addresses as Address. */
static void test_address_slots(void **state)
{
	struct fixture *f = *state;
	struct scratch sc;
	xmlDocPtr doc;

	scratch_open(&sc, "rule r\nmatch msg ^(?<a>\\S+) (?<b>\\S+) (?<c>\\S+)$\n"
			  "set source.address $a\nset target.host $b\nset sensor.host $c\n");
	doc = map_valid(f, &sc, "10.0.0.300 2001:db8::5 fw1", 26);
	assert_int_equal(gg_test_xpath_count(doc, "//i:System[@category='source']"), 0);
	gg_assert_xpath(doc, "string(//i:System[@category='target']//i:Address/@category)",
			"ipv6-addr");
	gg_assert_xpath(doc, "string(//i:System[@category='sensor']//i:Name)", "fw1");
	xmlFreeDoc(doc);
	scratch_close(&sc);

	/* The input's zone: a yearless stamp without offset is read in it. */
	scratch_open(&sc, "rule r\nmatch msg ^at (?<t>.*)$\nset detect-time $t\n");
	gg_map_ctx_set_timezone(f->ctx, -300);
	doc = map_valid(f, &sc, "at 01/14-23:58:01.5", 19);
	gg_map_ctx_set_timezone(f->ctx, 0);
	gg_assert_xpath(doc, "string(//i:DetectTime)", "2026-01-14T23:58:01.5-05:00");
	xmlFreeDoc(doc);
	scratch_close(&sc);
}

/* A catastrophic pattern stops at the match limit with an error, quickly, and the next record
 * maps normally; a field over the length limit is refused before the regex runs. */
static void test_limits(void **state)
{
	struct fixture *f = *state;
	struct gg_mapset *set;
	struct gg_error err = { 0 };
	char path[64];
	enum gg_map_verdict verdict;
	xmlDocPtr doc = NULL;
	size_t n = 30000;
	char *line = malloc(n + 2);
	struct timespec t0, t1;
	int r;

	assert_non_null(line);
	assert_int_equal(load_text("rule evil\nmatch msg ^(a|a)+$\nset description evil\n", &set,
				   &err, path, sizeof(path)), 0);
	memset(line, 'a', n);
	line[n] = 'b';
	line[n + 1] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = map_line_one(f->ctx, set, "limits", 1, line, n + 1, VECTOR_NOW, &verdict, &doc,
			 NULL, NULL, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(r, -ERANGE);
	assert_non_null(strstr(err.msg, "limit"));
	assert_null(doc);
	/* The limit (1,000,000 steps), not the pattern, bounds the time: well under 5 s even
	 * under ASan on a slow machine. */
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	r = map_line_one(f->ctx, set, "limits", 2, "aaaa", 4, VECTOR_NOW, &verdict, &doc,
			 NULL, NULL, &err);
	assert_int_equal(r, 0);
	assert_int_equal(verdict, GG_MAP_MAPPED);
	xmlFreeDoc(doc);
	free(line);

	/* 10 MB line: over the 64 KiB a regex may read. */
	n = 10 * 1024 * 1024;
	line = malloc(n);
	assert_non_null(line);
	memset(line, 'a', n);
	r = map_line_one(f->ctx, set, "limits", 3, line, n, VECTOR_NOW, &verdict, &doc,
			 NULL, NULL, &err);
	assert_int_equal(r, -E2BIG);
	assert_null(doc);
	free(line);
	gg_mapset_unref(set);
	unlink(path);
}

/* Needs about 33,000 match steps with JIT (98,000 without) on "a" x 14 + "z": the first
 * branch backtracks exponentially, the second matches. Far below PCRE2's built-in default
 * (10,000,000), so only a configured limit can stop it. */
#define LIMIT_PATTERN "rule slow\nmatch msg ^(?:(a|a)+b|.*z)$\nset description slow\n"
#define LIMIT_LINE "aaaaaaaaaaaaaaz"

/* Maps LIMIT_LINE with set; returns gg_map_line's result, *verdict set when 0. */
static int map_limit_line(struct gg_map_ctx *ctx, const struct gg_mapset *set,
			  enum gg_map_verdict *verdict)
{
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	int r = map_line_one(ctx, set, "limits", 1, LIMIT_LINE, strlen(LIMIT_LINE),
			     VECTOR_NOW, verdict, &doc, NULL, NULL, &err);

	if (r == -ERANGE && strstr(err.msg, "limit") == NULL)
		fail_msg("-ERANGE without naming the limit: %s", err.msg);
	xmlFreeDoc(doc);
	return r;
}

/* regex_match_limit is the limit that applies: a pattern that needs more steps than a small
 * configured limit (but far fewer than PCRE2's default) fails with it and maps with a large
 * one, directly and through an input's config. */
static void test_match_limit_applied(void **state)
{
	struct fixture *f = *state;
	struct gg_map_limits small = { .regex_match_limit = 1000 };
	struct gg_map_limits large = { .regex_match_limit = 1000000 };
	struct gg_mapset *set = NULL;
	struct gg_error err = { 0 };
	enum gg_map_verdict verdict;
	struct scratch sc;
	const char *names[1];

	scratch_open(&sc, LIMIT_PATTERN); /* writes the .map file; its own set is unused */
	names[0] = sc.path;
	assert_int_equal(gg_mapset_load(NULL, names, 1, &small, &set, &err), 0);
	assert_int_equal(map_limit_line(f->ctx, set, &verdict), -ERANGE);
	gg_mapset_unref(set);
	assert_int_equal(gg_mapset_load(NULL, names, 1, &large, &set, &err), 0);
	assert_int_equal(map_limit_line(f->ctx, set, &verdict), 0);
	assert_int_equal(verdict, GG_MAP_MAPPED);
	/* the same context again under the small limit: the limit follows the set */
	gg_mapset_unref(set);
	assert_int_equal(gg_mapset_load(NULL, names, 1, &small, &set, &err), 0);
	assert_int_equal(map_limit_line(f->ctx, set, &verdict), -ERANGE);
	gg_mapset_unref(set);
	scratch_close(&sc);
}

/* An input's mapper as the daemon builds it: a config file with [gridgate] extra and a
 * filedrop input whose mappings is the file map_path, with input options extra_input. */
static struct gg_mapper *mapper_from_config(const char *extra, const char *map_path,
					    const char *extra_input, struct gg_config **cfg_out)
{
	char conf[64], text[2048];
	struct gg_config *cfg = NULL;
	struct gg_mapper *m = NULL;
	struct gg_error err = { 0 };
	FILE *fp;
	int fd;

	snprintf(conf, sizeof(conf), "/tmp/gg-test-confXXXXXX");
	fd = mkstemp(conf);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	snprintf(text, sizeof(text),
		 "[gridgate]\nstate_dir = /tmp/gg-test-state\n%s\n"
		 "[xmpp]\njid = gateway@example.org\npassword = secret\n"
		 "[filedrop:in]\ndirectory = /tmp/gg-test-drop\nmappings = %s\n%s\n",
		 extra, map_path, extra_input);
	fputs(text, fp);
	fclose(fp);
	if (gg_config_load(conf, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	unlink(conf);
	assert_int_equal(cfg->n_inputs, 1);
	if (gg_mapper_new(cfg, &cfg->inputs[0], &m, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(m);
	*cfg_out = cfg;
	return m;
}

static int map_limit_via_config(const char *limit_line, const char *map_path,
				 enum gg_map_verdict *verdict)
{
	struct gg_config *cfg;
	struct gg_mapper *m = mapper_from_config(limit_line, map_path, "", &cfg);
	struct gg_map_ctx *ctx = NULL;
	struct gg_error err = { 0 };
	struct gg_mapset *set;
	int r;

	assert_int_equal(gg_mapper_ctx_new(m, &ctx, &err), 0);
	set = gg_mapper_acquire(m);
	r = map_limit_line(ctx, set, verdict);
	gg_mapset_unref(set);
	gg_map_ctx_free(ctx);
	gg_mapper_free(m);
	gg_config_free(cfg);
	return r;
}

static void test_match_limit_from_config(void **state)
{
	enum gg_map_verdict verdict;
	struct scratch sc;

	(void)state;
	scratch_open(&sc, LIMIT_PATTERN);
	assert_int_equal(map_limit_via_config("regex_match_limit = 1000", sc.path, &verdict),
			 -ERANGE);
	assert_int_equal(map_limit_via_config("regex_match_limit = 1000000", sc.path, &verdict),
			 0);
	assert_int_equal(verdict, GG_MAP_MAPPED);
	scratch_close(&sc);
}

/* 2025-12-31T12:00:00Z and 2026-01-01T00:30:00Z: receive times around New Year in UTC. */
#define EVE_NOON ((time_t)1767182400)
#define NEW_YEAR_0030 ((time_t)1767227400)

/* A yearless stamp's year at zones far from UTC, where the offset's sign decides: the stamp's
 * UTC time is local time minus the offset, and the year is the latest that does not put it
 * more than a day after the receive time. */
static void test_times_zone_sign(void **state)
{
	static const struct {
		const char *in;
		int tz;
		time_t now;
		const char *want;
	} cases[] = {
		/* New Year's noon at +14:00 is 22:00Z on the eve: 10 h ahead, this coming year
		 * (read as +14 h the other way, 38 h ahead: last year's). */
		{ "Jan  1 12:00:00", 840, EVE_NOON, "2026-01-01T12:00:00+14:00" },
		/* 11:00 at +14:00 is 21:00Z on the eve: past; the other way 24.5 h ahead. */
		{ "Jan  1 11:00:00", 840, NEW_YEAR_0030, "2026-01-01T11:00:00+14:00" },
		/* 10:00 on New Year at -12:00 is 22:00Z on 1 January: 34 h ahead of the eve's noon,
		 * so last year's (the other way 10 h ahead: this year's). */
		{ "Jan  1 10:00:00", -720, EVE_NOON, "2025-01-01T10:00:00-12:00" },
		/* 13:00 on the eve at -12:00 is 01:00Z on New Year: 30 min ahead, 2025's. */
		{ "Dec 31 13:00:00", -720, NEW_YEAR_0030, "2025-12-31T13:00:00-12:00" },
		/* 12:30 on 1 January at -12:00 is 00:30Z on the 2nd, exactly a day ahead: still
		 * 2026 (the boundary itself). */
		{ "Jan  1 12:30:00", -720, NEW_YEAR_0030, "2026-01-01T12:30:00-12:00" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[GG_TIME_XS_MAX];
		int r = gg_time_to_xs(cases[i].in, cases[i].tz, cases[i].now, out, sizeof(out));

		if (r != 0 || strcmp(out, cases[i].want) != 0)
			fail_msg("'%s' at %d min, now %lld: got %s, want %s", cases[i].in,
				 cases[i].tz, (long long)cases[i].now, r == 0 ? out : "refused",
				 cases[i].want);
	}
}

/* Maps "at STAMP" at now with ctx and set; returns DetectTime. */
static char *detect_time(struct gg_map_ctx *ctx, const struct gg_mapset *set, const char *line,
			 time_t now)
{
	enum gg_map_verdict verdict;
	struct gg_error err = { 0 };
	xmlDocPtr doc = NULL;
	char *t;

	if (map_line_one(ctx, set, "tz", 1, line, strlen(line), now, &verdict, &doc, NULL, NULL,
			 &err) != 0)
		fail_msg("%s", err.msg);
	if (verdict != GG_MAP_MAPPED)
		fail_msg("not mapped: %s", line);
	t = gg_test_xpath(doc, "string(//i:DetectTime)");
	xmlFreeDoc(doc);
	return t;
}

/* The same through a mapping's `timezone` and an input's `timezone` option. */
static void test_zone_sign_in_mappings(void **state)
{
	struct gg_config *cfg;
	struct gg_mapper *m;
	struct gg_map_ctx *ctx = NULL;
	struct gg_error err = { 0 };
	struct gg_mapset *set;
	struct scratch sc;
	char *t;

	(void)state;
	scratch_open(&sc, "timezone +14:00\nrule r\nmatch msg ^at (?<t>.*)$\n"
			  "set detect-time $t\n");
	/* a context of its own: the fixture's carries test_address_slots' zone override */
	assert_int_equal(gg_map_ctx_new(NULL, &ctx, &err), 0);
	t = detect_time(ctx, sc.set, "at Jan  1 12:00:00", EVE_NOON);
	assert_string_equal(t, "2026-01-01T12:00:00+14:00");
	free(t);
	gg_map_ctx_free(ctx);
	ctx = NULL;
	/* the input's zone overrides the mapping's */
	m = mapper_from_config("", sc.path, "timezone = -12:00", &cfg);
	assert_int_equal(gg_mapper_ctx_new(m, &ctx, &err), 0);
	set = gg_mapper_acquire(m);
	t = detect_time(ctx, set, "at Jan  1 10:00:00", EVE_NOON);
	assert_string_equal(t, "2025-01-01T10:00:00-12:00");
	free(t);
	gg_mapset_unref(set);
	gg_map_ctx_free(ctx);
	gg_mapper_free(m);
	gg_config_free(cfg);
	scratch_close(&sc);
}

/* NUL bytes and invalid UTF-8 never reach the document as text: captured values that are
 * not XML text are left out, the raw record goes in base64, and the result is valid. */
static void test_bad_bytes(void **state)
{
	struct fixture *f = *state;
	struct scratch sc;
	xmlDocPtr doc;
	static const char line[] = "user=\x01root from 192.0.2.7 \xff\xfe\0tail";

	scratch_open(&sc, "rule any\nmatch msg ^user=(?<user>\\S+) from (?<src>\\S+)\n"
			  "set description \"login by ${user}\"\n"
			  "set source.address $src\nset target.user $user\n");
	doc = map_valid(f, &sc, line, sizeof(line) - 1);
	gg_assert_xpath(doc, "string(//i:RecordItem/@dtype)", "bytes");
	gg_assert_xpath(doc, "string(//i:System[@category='source']//i:Address)", "192.0.2.7");
	assert_int_equal(gg_test_xpath_count(doc, "//i:Incident/i:Description"), 0);
	assert_int_equal(gg_test_xpath_count(doc, "//i:AdditionalData"), 0);
	xmlFreeDoc(doc);

	/* A NUL inside a captured value: the value is left out, not cut at the NUL. */
	doc = map_valid(f, &sc, "user=ro\0ot from 192.0.2.8", 25);
	assert_int_equal(gg_test_xpath_count(doc, "//i:Incident/i:Description"), 0);
	assert_int_equal(gg_test_xpath_count(doc, "//i:AdditionalData"), 0);
	gg_assert_xpath(doc, "string(//i:System[@category='source']//i:Address)", "192.0.2.8");
	xmlFreeDoc(doc);
	scratch_close(&sc);
}

/* `each`: one result per element of the arrays (with "*" walking nested arrays), in order,
 * with ids "ID-N"; element pointers and ^/ record pointers; dropped elements ignored, others
 * unmatched; an empty array ignores the record; a missing one leaves it to the next mapping;
 * over max_elements the record is refused whole, before any result. */
static void test_each(void **state)
{
	struct fixture *f = *state;
	struct gg_map_limits small = { .max_elements = 3 };
	struct gg_mapset *set = NULL;
	struct gg_error err = { 0 };
	struct results rs = { 0 };
	struct scratch sc;
	const char *names[1];
	char *t;
	static const char rec[] =
		"{\"group\":\"g1\",\"alerts\":[{\"ip\":\"192.0.2.1\",\"k\":\"a\"},"
		"{\"k\":\"skip\"},{\"k\":\"other\"}],"
		"\"objects\":[{\"attrs\":[{\"ip\":\"192.0.2.9\",\"k\":\"a\"}]},{\"attrs\":[]}]}";

	scratch_open(&sc, "payload json\neach /alerts /objects/*/attrs\nwhen ^/group exists\n"
			  "set description \"${^/group}: ${/k}\"\n"
			  "set source.address ${/ip}\n"
			  "rule skip\nwhen /k = skip\ndrop\n"
			  "rule a\nwhen /k = a\n");
	assert_int_equal(gg_map_line(f->ctx, sc.set, "test", "each", 1, rec, strlen(rec),
				     VECTOR_NOW, &defaults, collect, &rs, NULL, &err), 0);
	assert_int_equal(rs.n, 4);
	assert_int_equal(rs.mapped, 2);
	assert_int_equal(rs.ignored, 1);
	assert_int_equal(rs.unmatched, 1);
	for (size_t i = 0; i < rs.mapped; i++) {
		if (gg_validator_check(f->v, rs.docs[i], &err) != 0)
			fail_msg("document %zu invalid: %s", i, err.msg);
		gg_assert_xpath(rs.docs[i], "string(//i:Incident/i:Description)", "g1: a");
	}
	gg_assert_xpath(rs.docs[0], "string(//i:System//i:Address)", "192.0.2.1");
	gg_assert_xpath(rs.docs[1], "string(//i:System//i:Address)", "192.0.2.9");
	/* The element, not the record, is the RecordItem; ids are the record's plus the index. */
	gg_assert_xpath(rs.docs[0], "string(//i:RecordItem)", "{\"ip\":\"192.0.2.1\",\"k\":\"a\"}");
	t = gg_test_xpath(rs.docs[0], "string(//i:IncidentID)");
	assert_int_equal(strlen(t), 32 + 2);
	assert_string_equal(t + 32, "-0");
	free(t);
	t = gg_test_xpath(rs.docs[1], "string(//i:IncidentID)");
	assert_string_equal(t + 32, "-3");
	free(t);
	results_free(&rs);

	/* An empty array: the record is ignored as a whole, on purpose. */
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(gg_map_line(f->ctx, sc.set, "test", "each", 2, "{\"group\":1,\"alerts\":[]}",
				     23, VECTOR_NOW, &defaults, collect, &rs, NULL, &err), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.ignored, 1);
	/* No array at all (or not an array): the mapping is not for it. */
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(gg_map_line(f->ctx, sc.set, "test", "each", 3, "{\"group\":1,\"alerts\":7}",
				     23, VECTOR_NOW, &defaults, collect, &rs, NULL, &err), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.unmatched, 1);

	/* Over the bound: refused whole, nothing handed over. */
	names[0] = sc.path;
	assert_int_equal(gg_mapset_load(NULL, names, 1, &small, &set, &err), 0);
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(gg_map_line(f->ctx, set, "test", "each", 1, rec, strlen(rec), VECTOR_NOW,
				     &defaults, collect, &rs, NULL, &err), -E2BIG);
	assert_int_equal(rs.n, 0);
	if (strstr(err.msg, "4 elements, more than the 3") == NULL)
		fail_msg("refusal does not say why: %s", err.msg);
	gg_mapset_unref(set);
	scratch_close(&sc);
}

/* The Indicator's observables: a domain, a URL (Address site-uri), a file with its digests
 * as base64 under XML Signature's algorithm URIs; a hash of the wrong length is left out. */
static void test_indicator_observables(void **state)
{
	struct fixture *f = *state;
	struct scratch sc;
	xmlDocPtr doc;

	scratch_open(&sc, "rule r\nmatch msg ^(?<kind>\\w+) (?<v>\\S+)(?: (?<h>\\S+))?$\n"
			  "set indicator.id ioc-$kind\n"
			  "set indicator.domain ${v}\nwhen kind = domain\n"
			  "rule url\nmatch msg ^url (?<u>\\S+)$\nset indicator.id u\n"
			  "set indicator.url $u\nset reference.url $u\n"
			  "rule file\nmatch msg ^file (?<fn>\\S+) (?<sha>\\S+)$\nset indicator.id f\n"
			  "set indicator.filename $fn\nset indicator.sha256 $sha\n"
			  "set indicator.md5 $sha\n");
	doc = map_valid(f, &sc, "domain evil.example", 19);
	gg_assert_xpath(doc, "string(//i:Observable/i:DomainData/i:Name)", "evil.example");
	xmlFreeDoc(doc);
	doc = map_valid(f, &sc, "url http://evil.example/x?a=1", 29);
	gg_assert_xpath(doc, "string(//i:Observable/i:Address[@category='site-uri'])",
			"http://evil.example/x?a=1");
	gg_assert_xpath(doc, "string(//i:Reference/i:URL)", "http://evil.example/x?a=1");
	xmlFreeDoc(doc);
	/* A port that is no number: no xs:anyURI, so no Reference URL (the Address keeps it). */
	doc = map_valid(f, &sc, "url http://evil.example:o90/", 28);
	assert_int_equal(gg_test_xpath_count(doc, "//i:Reference"), 0);
	gg_assert_xpath(doc, "string(//i:Observable/i:Address)", "http://evil.example:o90/");
	xmlFreeDoc(doc);
	doc = map_valid(f, &sc, "file a.exe "
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 75);
	gg_assert_xpath(doc, "string(//i:File/i:FileName)", "a.exe");
	gg_assert_xpath(doc, "string(//i:HashData/@scope)", "file-contents");
	gg_assert_xpath(doc, "string(//i:Hash/*[local-name()='DigestValue'])",
			"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	gg_assert_xpath(doc, "string(//i:Hash/*[local-name()='DigestMethod']/@Algorithm)",
			"http://www.w3.org/2001/04/xmlenc#sha256");
	/* 64 hex digits are no MD5: left out. */
	assert_int_equal(gg_test_xpath_count(doc, "//i:Hash"), 1);
	xmlFreeDoc(doc);
	scratch_close(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_all_order),
		cmocka_unit_test(test_unmatched),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_failed_rule_captures_cleared),
		cmocka_unit_test(test_address_slots),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_match_limit_applied),
		cmocka_unit_test(test_match_limit_from_config),
		cmocka_unit_test(test_times_zone_sign),
		cmocka_unit_test(test_zone_sign_in_mappings),
		cmocka_unit_test(test_each),
		cmocka_unit_test(test_indicator_observables),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
