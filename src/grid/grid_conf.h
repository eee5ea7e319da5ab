/* grid_conf.h: what a session to the XMPP-Grid controller needs to know (filled from the
 * [xmpp] section by the engine's option table; defined here so the grid layer depends on no
 * configuration reader). */
#ifndef GG_GRID_CONF_H
#define GG_GRID_CONF_H

#include <stdint.h>

struct gg_xmpp_conf {
	char *host;
	int64_t port;
	char *domain;
	char *jid;
	char *password;
	char *password_file;
	char *client_cert;
	char *client_key;
	char *ca_file;
	char *pubsub_service;
	char *topic;
	char *members;
	int64_t max_items;
	int64_t window;
	int64_t reconnect_min_ms;
	int64_t reconnect_max_ms;
	int64_t iq_timeout_ms;
};

#endif
