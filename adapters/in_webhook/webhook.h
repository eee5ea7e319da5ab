/* webhook.h: what the webhook listener and its routes share inside this plugin. A route is an
 * input of its own (so the engine gives it its mappings, its unmatched policy, its record ids
 * and its mapping counters); the listener it names serves it and emits its records through
 * an emit pool per route. Both are opened, started, stopped and freed by the main thread
 * only, so the table that pairs them needs no lock. */
#ifndef GG_WEBHOOK_H
#define GG_WEBHOOK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/adapter.h"

enum webhook_auth { WEBHOOK_AUTH_NONE, WEBHOOK_AUTH_BEARER, WEBHOOK_AUTH_HMAC,
		    WEBHOOK_AUTH_CLIENT_CERT };

struct webhook_route_conf {
	char *webhook;
	char *path;
	char *auth;
	char *token_file;
	char *secret_file;
	int64_t replay_window_ms;
};

struct webhook_listener;

struct webhook_route {
	struct gg_input *input;
	const struct webhook_route_conf *conf;
	enum webhook_auth auth;
	/* A SIGHUP replaces these while libmicrohttpd's threads check requests with them. */
	pthread_mutex_t secret_lock;
	unsigned char *secret; /* the bearer token or the HMAC key, wiped when freed */
	size_t secret_len;
	int64_t replay_window_s;
	struct webhook_listener *bound; /* the listener serving it, while it runs */
};

/* WWW-Authenticate of a route's 401s. Standard Webhooks and GitHub define no scheme: the
 * challenge names what is missing. */
#define WEBHOOK_CHALLENGE_BEARER "Bearer realm=\"gridgate\""
#define WEBHOOK_CHALLENGE_HMAC "webhook-signature realm=\"gridgate\""

/* 1 when the Authorization header carries the route's bearer token. */
int webhook_route_bearer_ok(struct webhook_route *rt, const char *authorization);

/* The routes that name the listener `name` (at most max); returns how many there are. */
size_t webhook_routes_of(const char *name, struct webhook_route **out, size_t max);
/* The listener named `name`, or NULL. */
struct webhook_listener *webhook_listener_find(const char *name);
void webhook_listener_register(struct webhook_listener *l, const char *name);
void webhook_listener_unregister(struct webhook_listener *l);
/* Stops the listener (idempotent): every request it took is answered, its pools joined,
 * and its routes unbound. A route calls it before it goes, so the listener never serves a
 * route the engine has freed, whatever order the instances stop in. */
void webhook_listener_shutdown(struct webhook_listener *l);

#endif
