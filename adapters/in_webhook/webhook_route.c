/* webhook_route.c: [webhook_route:NAME], one path of a webhook listener: its authentication
 * (none, a bearer token, an HMAC signature, a client certificate) and, through the options
 * every input takes, its mappings. Also the table that pairs routes with listeners. */
#include "in_webhook/in_webhook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "http/http_auth.h"
#include "http/http_pairs.h"
#include "in_webhook/webhook.h"

static const char *const auth_words[] = { "none", "bearer", "hmac", "client_cert", NULL };

#define RO(field) offsetof(struct webhook_route_conf, field)
static const struct gg_option route_options[] = {
	{ "webhook", GG_OPT_STRING, NULL, RO(webhook),
	  .help = "the [webhook:NAME] listener that serves this route", .flags = GG_OPT_REQUIRED },
	{ "path", GG_OPT_STRING, NULL, RO(path),
	  .help = "the exact request path senders POST to, e.g. /alertmanager",
	  .flags = GG_OPT_REQUIRED },
	{ "auth", GG_OPT_STRING, NULL, RO(auth),
	  .help = "none; bearer (Authorization: Bearer, token_file); hmac (Standard Webhooks "
	  "webhook-id/-timestamp/-signature, or GitHub's X-Hub-Signature-256; secret_file); "
	  "client_cert (a certificate that chains to the listener's tls_client_ca)",
	  .words = auth_words, .flags = GG_OPT_REQUIRED },
	{ "token_file", GG_OPT_STRING, NULL, RO(token_file),
	  .help = "auth = bearer: file holding the token (one line)", .flags = GG_OPT_FILE },
	{ "secret_file", GG_OPT_STRING, NULL, RO(secret_file),
	  .help = "auth = hmac: file holding the secret: whsec_BASE64 (Standard Webhooks) or the "
	  "text itself (GitHub)", .flags = GG_OPT_FILE },
	{ "replay_window", GG_OPT_DURATION, "5m", RO(replay_window_ms),
	  .help = "auth = hmac with webhook-timestamp: signatures older or newer than this are "
	  "refused (403)", .min = 1000, .max = 86400000 },
	GG_OPTIONS_END,
};
#undef RO

static enum webhook_auth route_auth(const char *word)
{
	return strcmp(word, "bearer") == 0	? WEBHOOK_AUTH_BEARER
	       : strcmp(word, "hmac") == 0	? WEBHOOK_AUTH_HMAC
	       : strcmp(word, "client_cert") == 0 ? WEBHOOK_AUTH_CLIENT_CERT
						  : WEBHOOK_AUTH_NONE;
}

/* A token or secret file that is not there or holds no usable secret is refused with the
 * configuration (check-config, start, SIGHUP) instead of failing the start. One this process
 * may not read (root's, checked as another user or after the privileges went) is left to the
 * start, which reads it as root. */
static int secret_check(const char *file, int bearer, struct gg_error *err)
{
	unsigned char *secret;
	size_t len;
	int r = gg_http_secret_read(file, bearer, &secret, &len, err);

	if (r == -EACCES || r == -EPERM)
		return 0;
	gg_http_secret_free(secret, len);
	return r;
}

static int route_check(const void *conf_ptr, const char **key, struct gg_error *err)
{
	const struct webhook_route_conf *c = conf_ptr;
	enum webhook_auth auth = route_auth(c->auth);

	*key = "path";
	if (c->path[0] != '/' || strpbrk(c->path, "?# ") != NULL)
		return gg_error_set(err, -EINVAL, "must start with / and hold no ?, # or space");
	*key = "token_file";
	if ((auth == WEBHOOK_AUTH_BEARER) != (c->token_file != NULL))
		return gg_error_set(err, -EINVAL, "goes with auth = bearer, and only with it");
	*key = "secret_file";
	if ((auth == WEBHOOK_AUTH_HMAC) != (c->secret_file != NULL))
		return gg_error_set(err, -EINVAL, "goes with auth = hmac, and only with it");
	*key = "token_file";
	if (c->token_file != NULL && secret_check(c->token_file, 1, err) != 0)
		return -EINVAL;
	*key = "secret_file";
	if (c->secret_file != NULL && secret_check(c->secret_file, 0, err) != 0)
		return -EINVAL;
	*key = NULL;
	return 0;
}

int webhook_route_bearer_ok(struct webhook_route *rt, const char *authorization)
{
	int ok;

	pthread_mutex_lock(&rt->secret_lock);
	ok = gg_http_bearer_ok(authorization, rt->secret, rt->secret_len);
	pthread_mutex_unlock(&rt->secret_lock);
	return ok;
}

/* The routes, in open order, and the listeners; main thread only (webhook.h). */
static struct gg_http_pairs pairs;

size_t webhook_routes_of(const char *name, struct webhook_route **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < pairs.n_members; i++) {
		struct webhook_route *rt = pairs.members[i];

		if (strcmp(rt->conf->webhook, name) != 0)
			continue;
		if (n < max)
			out[n] = rt;
		n++;
	}
	return n;
}

struct webhook_listener *webhook_listener_find(const char *name)
{
	return gg_http_pairs_find_listener(&pairs, name);
}

void webhook_listener_register(struct webhook_listener *l, const char *name)
{
	gg_http_pairs_add_listener(&pairs, l, name);
}

void webhook_listener_unregister(struct webhook_listener *l)
{
	gg_http_pairs_remove_listener(&pairs, l);
}

static void route_free(struct webhook_route *rt)
{
	if (rt == NULL)
		return;
	gg_http_pairs_remove_member(&pairs, rt);
	gg_http_secret_free(rt->secret, rt->secret_len);
	pthread_mutex_destroy(&rt->secret_lock);
	free(rt);
}

/* The secret is read before privileges go (the file may be root's). */
static int route_open(struct gg_input *in, struct gg_error *err)
{
	struct webhook_route *rt = calloc(1, sizeof(*rt));
	const char *file;
	int r;

	if (rt == NULL || gg_http_pairs_add_member(&pairs, rt) != 0) {
		free(rt);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&rt->secret_lock, NULL);
	rt->input = in;
	rt->conf = in->conf;
	rt->auth = route_auth(rt->conf->auth);
	rt->replay_window_s = rt->conf->replay_window_ms / 1000;
	file = rt->auth == WEBHOOK_AUTH_BEARER ? rt->conf->token_file : rt->conf->secret_file;
	if (file != NULL &&
	    (r = gg_http_secret_read(file, rt->auth == WEBHOOK_AUTH_BEARER, &rt->secret,
				     &rt->secret_len, err)) != 0) {
		route_free(rt);
		return r;
	}
	in->state = rt;
	return 0;
}

/* Nothing runs here: the listener serves the route. Its start only makes sure there is one,
 * so a route naming a listener that does not exist stops the start. */
static int route_start(struct gg_input *in, struct gg_error *err)
{
	const struct webhook_route *rt = in->state;

	if (webhook_listener_find(rt->conf->webhook) == NULL)
		return gg_error_set(err, -EINVAL, "webhook = %s: there is no [webhook:%s] section",
				    rt->conf->webhook, rt->conf->webhook);
	return 0;
}

static void route_stop(struct gg_input *in)
{
	struct webhook_route *rt = in->state;

	if (rt != NULL && rt->bound != NULL)
		webhook_listener_shutdown(rt->bound);
}

static void route_release(struct gg_input *in)
{
	route_stop(in);
	route_free(in->state);
	in->state = NULL;
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* SIGHUP: a token or secret whose file changed (a rotation) and replay_window are put in
 * force at once, between two requests; any other change restarts the route with its
 * listener. A file this process cannot read now (root's, the privileges gone) leaves the
 * running secret in force, and says so. */
static int route_reload(struct gg_input *in, const void *conf_ptr, struct gg_error *err)
{
	struct webhook_route *rt = in->state;
	const struct webhook_route_conf *c = conf_ptr;
	const char *file = rt->auth == WEBHOOK_AUTH_BEARER ? c->token_file : c->secret_file;
	unsigned char *secret = NULL, *old;
	size_t len = 0, old_len;
	struct gg_error e;

	if (strcmp(c->webhook, rt->conf->webhook) != 0 || strcmp(c->path, rt->conf->path) != 0 ||
	    route_auth(c->auth) != rt->auth || !same_text(c->token_file, rt->conf->token_file) ||
	    !same_text(c->secret_file, rt->conf->secret_file))
		return gg_error_set(err, -EINVAL, "a route's listener, path, auth or file takes a "
				    "restart");
	if (file != NULL && gg_http_secret_read(file, rt->auth == WEBHOOK_AUTH_BEARER, &secret,
						&len, &e) != 0)
		gg_log_warnx("%s: SIGHUP: %s; the running %s stays in force", in->name, e.msg,
			     rt->auth == WEBHOOK_AUTH_BEARER ? "token" : "secret");
	pthread_mutex_lock(&rt->secret_lock);
	old = rt->secret;
	old_len = rt->secret_len;
	if (secret != NULL) {
		rt->secret = secret;
		rt->secret_len = len;
	}
	rt->replay_window_s = c->replay_window_ms / 1000;
	pthread_mutex_unlock(&rt->secret_lock);
	if (secret != NULL)
		gg_http_secret_free(old, old_len);
	return 0;
}

/* A route only works with its listener: SIGHUP restarts them together. */
static const char *route_group(const void *conf, const char *name)
{
	(void)name;
	return ((const struct webhook_route_conf *)conf)->webhook;
}

const struct gg_adapter gg_in_webhook_route = {
	.name = "webhook_route",
	.desc = "a path of a [webhook:NAME] listener: its authentication, and (with the options "
		"every input takes) the mappings its JSON objects go through",
	.options = route_options,
	.conf_size = sizeof(struct webhook_route_conf),
	.check = route_check,
	.open = route_open,
	.start = route_start,
	.stop = route_stop,
	.free = route_release,
	.reload = route_reload,
	.group = route_group,
};
