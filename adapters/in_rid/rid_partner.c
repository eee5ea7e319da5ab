/* rid_partner.c: [rid_partner:NAME], a RID peer of a [rid:NAME] listener: the client
 * certificate it is known by, the message types it may send, its rate, whether it must sign,
 * and (through the options every input takes) where its records go. Also the table that
 * pairs partners with listeners, and the partner's reload on SIGHUP. */
#include "in_rid/in_rid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http/http_auth.h"
#include "http/http_pairs.h"
#include "in_rid/rid.h"

#define RO(field) offsetof(struct rid_partner_conf, field)
static const struct gg_option partner_options[] = {
	{ "rid", GG_OPT_STRING, NULL, RO(rid),
	  .help = "the [rid:NAME] listener this partner connects to", .flags = GG_OPT_REQUIRED },
	{ "cert_sha256", GG_OPT_STRING, NULL, RO(cert_sha256),
	  .help = "SHA-256 fingerprint of the partner's client certificate (hex, colons allowed: "
	  "openssl x509 -noout -fingerprint -sha256)" },
	{ "spki_sha256", GG_OPT_STRING, NULL, RO(spki_sha256),
	  .help = "SHA-256 of the certificate's public key (SubjectPublicKeyInfo, hex): stays "
	  "when the certificate is renewed with the same key" },
	{ "subject", GG_OPT_STRING, NULL, RO(subject),
	  .help = "the certificate's subject as openssl x509 -noout -subject -nameopt RFC2253 "
	  "prints it, with issuer" },
	{ "issuer", GG_OPT_STRING, NULL, RO(issuer),
	  .help = "the issuing CA's subject, same form: goes with subject" },
	{ "message_types", GG_OPT_STRING,
	  "TraceRequest InvestigationRequest Report Query Acknowledgement Result",
	  RO(message_types),
	  .help = "the RID MsgTypes this partner may send; others are refused (403, an "
	  "Acknowledgement Denied)" },
	{ "rate_limit", GG_OPT_INT, "0", RO(rate_limit),
	  .help = "messages per second from this partner, 0: unlimited; over it: 503 with "
	  "Retry-After", .min = 0, .max = 1000000 },
	{ "rate_burst", GG_OPT_INT, "0", RO(rate_burst),
	  .help = "messages a quiet partner may send at once; 0: one second's worth", .min = 0,
	  .max = 1000000 },
	{ "enabled", GG_OPT_BOOL, "yes", RO(enabled),
	  .help = "no: the partner is refused (403) from the next SIGHUP on, without a restart" },
	{ "require_signature", GG_OPT_BOOL, "no", RO(require_signature),
	  .help = "yes: a message without a valid XML Signature over the whole message is refused "
	  "(403); a signature is checked whenever signature_trust is set" },
	{ "signature_trust", GG_OPT_STRING, NULL, RO(signature_trust),
	  .help = "PEM file of the certificates (a CA, or the partner's own) its XML Signatures "
	  "must chain to; one that does not load refuses the configuration (check-config, start, "
	  "SIGHUP)", .flags = GG_OPT_FILE },
	GG_OPTIONS_END,
};
#undef RO

static const char *const type_words[] = { "TraceRequest", "InvestigationRequest", "Report",
					  "Query", "Acknowledgement", "Result" };

int rid_types_parse(const char *list, unsigned *out, struct gg_error *err)
{
	const char *p = list;

	*out = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ", \t");
		unsigned i;

		for (i = 0; i < GG_RID_MSG_TYPES; i++)
			if (n > 0 && strlen(type_words[i]) == n && strncmp(p, type_words[i], n) == 0)
				break;
		if (n > 0 && i == GG_RID_MSG_TYPES)
			return gg_error_set(err, -EINVAL, "'%.*s' is not a RID MsgType (TraceRequest, "
					    "InvestigationRequest, Report, Query, Acknowledgement, "
					    "Result)", (int)n, p);
		if (n > 0)
			*out |= 1u << i;
		p += n;
		p += strspn(p, ", \t");
	}
	if (*out == 0)
		return gg_error_set(err, -EINVAL, "names no MsgType");
	return 0;
}

/* The trust file loads, or the configuration is refused with its line: rid_rules_new reads
 * it again at open and at every SIGHUP, where a file that did not load stopped the partner
 * and restarted its whole listener group. check-config may run as another user than the
 * daemon: a file it cannot open says so, with the uid it tried as. */
static int trust_check(const char *path, struct gg_error *err)
{
	struct gg_rid_trust *trust = NULL;
	FILE *f = fopen(path, "re");
	int r;

	if (f == NULL)
		return gg_error_set(err, -errno, "cannot read: %s (as uid %u)", strerror(errno),
				    (unsigned)geteuid());
	fclose(f);
	if ((r = gg_rid_signature_init(err)) != 0 || (r = gg_rid_trust_load(path, &trust, err)) != 0)
		return r;
	gg_rid_trust_free(trust);
	return 0;
}

static int partner_check(const void *conf_ptr, const char **key, struct gg_error *err)
{
	const struct rid_partner_conf *c = conf_ptr;
	char fp[65];
	unsigned types;

	*key = "cert_sha256";
	if (c->cert_sha256 != NULL && gg_http_fingerprint_parse(c->cert_sha256, fp) != 0)
		return gg_error_set(err, -EINVAL, "must be 64 hex digits (colons allowed)");
	*key = "spki_sha256";
	if (c->spki_sha256 != NULL && gg_http_fingerprint_parse(c->spki_sha256, fp) != 0)
		return gg_error_set(err, -EINVAL, "must be 64 hex digits (colons allowed)");
	*key = c->subject != NULL ? "issuer" : "subject";
	if ((c->subject == NULL) != (c->issuer == NULL))
		return gg_error_set(err, -EINVAL, "subject and issuer go together: a subject alone "
				    "could be issued by any CA of tls_client_ca");
	*key = NULL;
	if (c->cert_sha256 == NULL && c->spki_sha256 == NULL && c->subject == NULL)
		return gg_error_set(err, -EINVAL, "needs cert_sha256, spki_sha256, or subject and "
				    "issuer: the client certificate the partner is known by");
	*key = "message_types";
	if (rid_types_parse(c->message_types, &types, err) != 0)
		return -EINVAL;
	*key = "signature_trust";
	if (c->require_signature && c->signature_trust == NULL)
		return gg_error_set(err, -EINVAL, "require_signature = yes needs signature_trust");
	if (c->signature_trust != NULL && trust_check(c->signature_trust, err) != 0)
		return -EINVAL;
	*key = NULL;
	return 0;
}

/* Two partners of one listener that one certificate would match: the first in the file would
 * take its messages, the other never hear from it. Fingerprints compare as parsed (case and
 * colons do not matter). A certificate both match through different kinds of name (one
 * partner's cert_sha256, the other's subject) cannot be seen without it: then the more
 * specific name wins (enum rid_match). */
static int partner_check_pair(const void *conf_ptr, const void *earlier_ptr,
			      const char *earlier_name, const char **key, struct gg_error *err)
{
	const struct rid_partner_conf *c = conf_ptr, *e = earlier_ptr;
	char a[65], b[65];

	if (strcmp(c->rid, e->rid) != 0)
		return 0;
	*key = "cert_sha256";
	if (c->cert_sha256 != NULL && e->cert_sha256 != NULL &&
	    gg_http_fingerprint_parse(c->cert_sha256, a) == 0 &&
	    gg_http_fingerprint_parse(e->cert_sha256, b) == 0 && strcmp(a, b) == 0)
		return gg_error_set(err, -EINVAL, "[rid_partner:%s] names the same certificate: "
				    "one of them would never be reached", earlier_name);
	*key = "spki_sha256";
	if (c->spki_sha256 != NULL && e->spki_sha256 != NULL &&
	    gg_http_fingerprint_parse(c->spki_sha256, a) == 0 &&
	    gg_http_fingerprint_parse(e->spki_sha256, b) == 0 && strcmp(a, b) == 0)
		return gg_error_set(err, -EINVAL, "[rid_partner:%s] names the same public key: "
				    "one of them would never be reached", earlier_name);
	*key = "subject";
	if (c->subject != NULL && e->subject != NULL && strcmp(c->subject, e->subject) == 0 &&
	    strcmp(c->issuer, e->issuer) == 0)
		return gg_error_set(err, -EINVAL, "[rid_partner:%s] names the same subject and "
				    "issuer: one of them would never be reached", earlier_name);
	*key = NULL;
	return 0;
}

void rid_rules_free(struct rid_rules *r)
{
	if (r == NULL)
		return;
	free(r->subject);
	free(r->issuer);
	gg_rid_trust_free(r->trust);
	gg_http_rate_free(r->rate);
	free(r);
}

/* Reads the trust file too: at open (before privileges go) and at a SIGHUP (as the user
 * gridgate runs as). */
int rid_rules_new(const struct rid_partner_conf *c, struct rid_rules **out, struct gg_error *err)
{
	struct rid_rules *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (r == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	r->enabled = c->enabled;
	r->require_signature = c->require_signature;
	if ((c->cert_sha256 != NULL && gg_http_fingerprint_parse(c->cert_sha256, r->cert_sha256) != 0) ||
	    (c->spki_sha256 != NULL && gg_http_fingerprint_parse(c->spki_sha256, r->spki_sha256) != 0)) {
		rc = gg_error_set(err, -EINVAL, "a fingerprint is not 64 hex digits");
		goto fail;
	}
	if ((rc = rid_types_parse(c->message_types, &r->types, err)) != 0)
		goto fail;
	if (c->subject != NULL &&
	    ((r->subject = strdup(c->subject)) == NULL || (r->issuer = strdup(c->issuer)) == NULL)) {
		rc = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (c->signature_trust != NULL &&
	    (rc = gg_rid_trust_load(c->signature_trust, &r->trust, err)) != 0)
		goto fail;
	if (c->rate_limit > 0) {
		uint64_t seed = 0;

		/* One key per table (the partner), so the seed only spreads nothing: any will do. */
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
			seed = (uint64_t)time(NULL);
		if (gg_http_rate_new((uint64_t)c->rate_limit, (uint64_t)c->rate_burst, 8, seed,
				     &r->rate) != 0) {
			rc = gg_error_set(err, -ENOMEM, "rate table: out of memory");
			goto fail;
		}
	}
	*out = r;
	return 0;
fail:
	rid_rules_free(r);
	return rc;
}

int rid_rules_match(const struct rid_rules *r, const struct gg_http_cert_identity *id,
		    enum rid_match by)
{
	switch (by) {
	case RID_BY_CERT:
		return r->cert_sha256[0] != '\0' && strcmp(r->cert_sha256, id->sha256) == 0;
	case RID_BY_SPKI:
		return r->spki_sha256[0] != '\0' && strcmp(r->spki_sha256, id->spki_sha256) == 0;
	default:
		return r->subject != NULL && strcmp(r->subject, id->subject) == 0 &&
		       strcmp(r->issuer, id->issuer) == 0;
	}
}

/* The partners, in open order, and the listeners; main thread only (rid.h). */
static struct gg_http_pairs pairs;

size_t rid_partners_of(const char *name, struct rid_partner **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < pairs.n_members; i++) {
		struct rid_partner *p = pairs.members[i];

		if (strcmp(p->conf->rid, name) != 0)
			continue;
		if (n < max)
			out[n] = p;
		n++;
	}
	return n;
}

struct rid_listener *rid_listener_find(const char *name)
{
	return gg_http_pairs_find_listener(&pairs, name);
}

void rid_listener_register(struct rid_listener *l, const char *name)
{
	gg_http_pairs_add_listener(&pairs, l, name);
}

void rid_listener_unregister(struct rid_listener *l)
{
	gg_http_pairs_remove_listener(&pairs, l);
}

static void partner_free(struct rid_partner *p)
{
	if (p == NULL)
		return;
	gg_http_pairs_remove_member(&pairs, p);
	rid_rules_free(p->rules);
	free(p);
}

static int partner_open(struct gg_input *in, struct gg_error *err)
{
	struct rid_partner *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL || gg_http_pairs_add_member(&pairs, p) != 0) {
		free(p);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	p->input = in;
	p->conf = in->conf;
	if ((r = rid_rules_new(p->conf, &p->rules, err)) != 0) {
		partner_free(p);
		return r;
	}
	in->state = p;
	return 0;
}

/* Nothing runs here: the listener serves the partner. Its start only makes sure there is
 * one, so a partner naming a listener that does not exist stops the start. */
static int partner_start(struct gg_input *in, struct gg_error *err)
{
	const struct rid_partner *p = in->state;

	if (rid_listener_find(p->conf->rid) == NULL)
		return gg_error_set(err, -EINVAL, "rid = %s: there is no [rid:%s] section",
				    p->conf->rid, p->conf->rid);
	return 0;
}

static void partner_stop(struct gg_input *in)
{
	struct rid_partner *p = in->state;

	if (p != NULL && p->bound != NULL)
		rid_listener_shutdown(p->bound);
}

static void partner_release(struct gg_input *in)
{
	partner_stop(in);
	partner_free(in->state);
	in->state = NULL;
}

/* SIGHUP: everything but the listener it names takes effect at once; the listener's worker
 * puts the new rules in force before it serves another request. The section passed
 * partner_check when the new configuration was loaded (its trust file loaded then). */
static int partner_reload(struct gg_input *in, const void *conf_ptr, struct gg_error *err)
{
	struct rid_partner *p = in->state;
	const struct rid_partner_conf *c = conf_ptr;
	struct rid_rules *rules;
	int r;

	if (strcmp(c->rid, p->conf->rid) != 0)
		return gg_error_set(err, -EINVAL, "rid = %s: moving a partner to another listener "
				    "takes a restart", c->rid);
	if ((r = rid_rules_new(c, &rules, err)) != 0)
		return r;
	if (p->bound != NULL) {
		rid_listener_post_rules(p->bound, p, rules);
	} else {
		rid_rules_free(p->rules);
		p->rules = rules;
	}
	return 0;
}

/* A partner only works with its listener: a partner added, removed or not reloadable restarts
 * them together. */
static const char *partner_group(const void *conf, const char *name)
{
	(void)name;
	return ((const struct rid_partner_conf *)conf)->rid;
}

const struct gg_adapter gg_in_rid_partner = {
	.name = "rid_partner",
	.desc = "a RID peer of a [rid:NAME] listener: the client certificate it is known by, the "
		"message types it may send, its rate and signature policy; SIGHUP applies changes "
		"(enabled = no refuses it) without a restart",
	.options = partner_options,
	.conf_size = sizeof(struct rid_partner_conf),
	.check = partner_check,
	.check_pair = partner_check_pair,
	.open = partner_open,
	.start = partner_start,
	.stop = partner_stop,
	.free = partner_release,
	.reload = partner_reload,
	.group = partner_group,
};
