/* rid.h: what the RID listener ([rid:NAME]) and its partners ([rid_partner:NAME]) share inside
 * this plugin. A partner is an input of its own (its records carry its name in their ids and
 * go where its section says); the listener it names serves it and emits its records on the
 * listener's one worker thread. Both are opened, started, stopped and freed by the main
 * thread only, so the table that pairs them needs no lock. */
#ifndef GG_RID_H
#define GG_RID_H

#include <stddef.h>
#include <stdint.h>

#include "engine/adapter.h"
#include "http/http_rate.h"
#include "http/http_server.h"
#include "rid/rid_envelope.h"
#include "rid/rid_signature.h"

struct rid_partner_conf {
	char *rid;
	char *cert_sha256;
	char *spki_sha256;
	char *subject;
	char *issuer;
	char *message_types;
	int64_t rate_limit;
	int64_t rate_burst;
	int enabled;
	int require_signature;
	char *signature_trust;
};

/* What a partner is recognised by and may do, built whole from its section; a SIGHUP builds
 * a new one and the worker swaps it in. Used by the worker thread only once handed over. */
struct rid_rules {
	int enabled;
	unsigned types;         /* bit 1 << enum gg_rid_msg_type per allowed MsgType */
	char cert_sha256[65];   /* lowercase hex, "" when the section names none */
	char spki_sha256[65];
	char *subject, *issuer; /* both or neither */
	int require_signature;
	struct gg_rid_trust *trust; /* signature_trust, NULL when none */
	struct gg_http_rate *rate;  /* NULL: no limit */
};

int rid_rules_new(const struct rid_partner_conf *c, struct rid_rules **out, struct gg_error *err);
void rid_rules_free(struct rid_rules *r);
/* How a partner names its certificate, the most specific first: a certificate two partners
 * name in different ways is the one's that names it more specifically. */
enum rid_match { RID_BY_CERT, RID_BY_SPKI, RID_BY_SUBJECT, RID_BY__N };
/* 1 when the verified certificate id is this partner's by that kind of name. */
int rid_rules_match(const struct rid_rules *r, const struct gg_http_cert_identity *id,
		    enum rid_match by);
/* "TraceRequest Report ..." -> bits; -EINVAL naming the word that is not a MsgType. */
int rid_types_parse(const char *list, unsigned *out, struct gg_error *err);

struct rid_listener;

struct rid_partner {
	struct gg_input *input;
	const struct rid_partner_conf *conf;
	struct rid_rules *rules;    /* in force; the worker's while the listener runs */
	struct rid_listener *bound; /* the listener serving it, while it runs */
};

/* The partners that name the listener `name` (at most max); returns how many there are. */
size_t rid_partners_of(const char *name, struct rid_partner **out, size_t max);
struct rid_listener *rid_listener_find(const char *name);
void rid_listener_register(struct rid_listener *l, const char *name);
void rid_listener_unregister(struct rid_listener *l);
/* Stops the listener (idempotent): every request it took is answered, its worker joined, its
 * partners unbound. A partner calls it before it goes, so the listener never serves a
 * partner the engine has freed, whatever order the instances stop in. */
void rid_listener_shutdown(struct rid_listener *l);
/* Hands p's new rules to the running listener's worker, which puts them in force before it
 * serves another request (SIGHUP: a disabled partner is refused from then on). */
void rid_listener_post_rules(struct rid_listener *l, struct rid_partner *p,
			     struct rid_rules *rules);

#endif
