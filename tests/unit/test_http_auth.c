/* test_http_auth.c: bearer tokens, Standard Webhooks signatures (the specification's own
 * example vector) with their replay window, and GitHub's X-Hub-Signature-256 (GitHub's
 * documented example). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
		cmocka_unit_test(test_standard),
		cmocka_unit_test(test_github),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
