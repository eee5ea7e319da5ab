/* test_http_auth.c: bearer tokens (and the files they are read from), Standard Webhooks
 * signatures (the specification's own example vector) with their replay window, and GitHub's
 * X-Hub-Signature-256 (GitHub's documented example). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http_auth.h"

static void test_bearer(void **state)
{
	const unsigned char tok[] = "s3cret";

	(void)state;
	assert_true(gg_http_bearer_ok("Bearer s3cret", tok, 6));
	assert_true(gg_http_bearer_ok("bearer  s3cret ", tok, 6));
	assert_false(gg_http_bearer_ok("Bearer s3cre", tok, 6));
	assert_false(gg_http_bearer_ok("Bearer s3cretX", tok, 6));
	assert_false(gg_http_bearer_ok("Basic s3cret", tok, 6));
	assert_false(gg_http_bearer_ok(NULL, tok, 6));
	/* Presented at all (else 401 and a challenge, not 403): */
	assert_true(gg_http_bearer_presented("Bearer x"));
	assert_true(gg_http_bearer_presented("bearer\t x"));
	assert_false(gg_http_bearer_presented("Bearer"));
	assert_false(gg_http_bearer_presented("Bearer   "));
	assert_false(gg_http_bearer_presented("Bearerx y"));
	assert_false(gg_http_bearer_presented("Basic dTpw"));
	assert_false(gg_http_bearer_presented(NULL));
}

/* reads text as a token file (raw) or a secret file: the result, the error in err. */
static int read_as_file(const char *text, int raw, struct gg_error *err)
{
	char path[] = "/tmp/gg-test-secret-XXXXXX";
	int fd = mkstemp(path), r;
	unsigned char *k;
	size_t n;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	r = gg_http_secret_read(path, raw, &k, &n, err);
	unlink(path);
	if (r == 0) {
		assert_int_equal(n, strcspn(text, "\r\n"));
		assert_memory_equal(k, text, n);
		gg_http_secret_free(k, n);
	}
	return r;
}

/* A token file holds one RFC 6750 b64token: one that no Authorization header could carry
 * (blanks, a second line) would refuse every request, silently. */
static void test_token_file(void **state)
{
	struct gg_error err;

	(void)state;
	assert_int_equal(read_as_file("s3cret\n", 1, &err), 0);
	assert_int_equal(read_as_file("a-b.c_d~e+f/g==\r\n", 1, &err), 0);
	assert_int_equal(read_as_file("s3cret", 1, &err), 0);
	assert_int_equal(read_as_file("\n", 1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(read_as_file("one\ntwo\n", 1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "more than one line"));
	assert_int_equal(read_as_file(" s3cret \n", 1, &err), -EINVAL);
	assert_int_equal(read_as_file("s3 cret\n", 1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "a blank"));
	assert_int_equal(read_as_file("s3cret=x\n", 1, &err), -EINVAL);
	assert_int_equal(read_as_file("s3cr\xc3\xa9t\n", 1, &err), -EINVAL);
	/* A signing secret is any text, on one line. */
	assert_int_equal(read_as_file("any text at all\n", 0, &err), 0);
	assert_int_equal(read_as_file("one\ntwo\n", 0, &err), -EINVAL);
	assert_int_equal(gg_http_secret_read("/nonexistent/token", 1, &(unsigned char *){ NULL },
					     &(size_t){ 0 }, &err), -ENOENT);
}

static void test_secret(void **state)
{
	unsigned char *k;
	size_t n;

	(void)state;
	assert_int_equal(gg_http_secret_parse("whsec_AAEC\n", 11, &k, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(k, "\0\1\2", 3);
	gg_http_secret_free(k, n);
	assert_int_equal(gg_http_secret_parse("whsec_AA==", 10, &k, &n), 0);
	assert_int_equal(n, 1);
	gg_http_secret_free(k, n);
	assert_int_equal(gg_http_secret_parse("github text\n", 12, &k, &n), 0);
	assert_int_equal(n, 11);
	gg_http_secret_free(k, n);
	assert_int_equal(gg_http_secret_parse("whsec_A*==", 10, &k, &n), -EINVAL);
	assert_int_equal(gg_http_secret_parse("\n", 1, &k, &n), -EINVAL);
}

/* standard-webhooks' reference test vector (libraries/javascript and the spec). */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS "1614265330"
#define SW_BODY "{\"test\": 2432232314}"
#define SW_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void test_standard(void **state)
{
	unsigned char *k;
	size_t n, len = strlen(SW_BODY);

	(void)state;
	assert_int_equal(gg_http_secret_parse(SW_SECRET, strlen(SW_SECRET), &k, &n), 0);
	assert_int_equal(gg_http_sig_standard(k, n, SW_ID, SW_TS, SW_SIG, SW_BODY, len,
					      1614265330, 300), GG_HTTP_SIG_OK);
	/* Rotation: several signatures, one good. */
	assert_int_equal(gg_http_sig_standard(k, n, SW_ID, SW_TS, "v1,bad v2,x " SW_SIG, SW_BODY,
					      len, 1614265330, 300), GG_HTTP_SIG_OK);
	assert_int_equal(gg_http_sig_standard(k, n, SW_ID, SW_TS, SW_SIG, SW_BODY, len,
					      1614265330 + 301, 300), GG_HTTP_SIG_STALE);
	assert_int_equal(gg_http_sig_standard(k, n, SW_ID, SW_TS, SW_SIG, SW_BODY, len,
					      1614265330 - 301, 300), GG_HTTP_SIG_STALE);
	assert_int_equal(gg_http_sig_standard(k, n, SW_ID, SW_TS, SW_SIG, "{\"test\": 1}", 11,
					      1614265330, 300), GG_HTTP_SIG_BAD);
	assert_int_equal(gg_http_sig_standard(k, n, "msg_other", SW_TS, SW_SIG, SW_BODY, len,
					      1614265330, 300), GG_HTTP_SIG_BAD);
	assert_int_equal(gg_http_sig_standard(k, n, SW_ID, "x1", SW_SIG, SW_BODY, len,
					      1614265330, 300), GG_HTTP_SIG_BAD);
	assert_int_equal(gg_http_sig_standard(k, n, SW_ID, SW_TS, NULL, SW_BODY, len, 1614265330,
					      300), GG_HTTP_SIG_MISSING);
	gg_http_secret_free(k, n);
}

/* docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody",
 * payload "Hello, World!". */
static void test_github(void **state)
{
	const char *key = "It's a Secret to Everybody";
	const char *sig =
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

	(void)state;
	assert_int_equal(gg_http_sig_github((const unsigned char *)key, strlen(key), sig,
					    "Hello, World!", 13), GG_HTTP_SIG_OK);
	assert_int_equal(gg_http_sig_github((const unsigned char *)key, strlen(key), sig,
					    "Hello, World?", 13), GG_HTTP_SIG_BAD);
	assert_int_equal(gg_http_sig_github((const unsigned char *)key, strlen(key), "sha256=00",
					    "Hello, World!", 13), GG_HTTP_SIG_BAD);
	assert_int_equal(gg_http_sig_github((const unsigned char *)key, strlen(key), NULL,
					    "Hello, World!", 13), GG_HTTP_SIG_MISSING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_standard),
		cmocka_unit_test(test_github),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
