/* export_rid.c: format = rid-report. A record becomes a RID Report (src/rid/), POSTed as
 * text/xml with the client certificate; the answer is read as RID; and the partner's server
 * certificate is held to the identity configured for it, as a [rid_partner] holds a client's. */
#include "out_export/export_rid.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http/http_auth.h"
#include "out_export/export.h"
#include "rid/rid_envelope.h"

#define EXPORT_RID_MAX_WORDS 8

/* One option's list of words ("PeerToPeer IntraConsortium", commas allowed), split in place
 * of a copy. */
struct word_list {
	char *buf;
	const char *w[EXPORT_RID_MAX_WORDS];
	size_t n;
};

static int words_split(const char *s, struct word_list *l)
{
	char *save = NULL, *t;

	l->n = 0;
	if ((l->buf = strdup(s != NULL ? s : "")) == NULL)
		return -ENOMEM;
	for (t = strtok_r(l->buf, ", \t", &save); t != NULL; t = strtok_r(NULL, ", \t", &save)) {
		if (l->n == EXPORT_RID_MAX_WORDS)
			return -E2BIG;
		l->w[l->n++] = t;
	}
	return 0;
}

struct export_rid {
	struct word_list regions, traffic;
	char node[256];
	struct gg_rid_report_policy policy;
	struct gg_rid_schema *schema;
	struct gg_rid_checker *checker;
};

/* The policy of c (node: rid_node, else this host's name). */
static int policy_of(const struct export_conf *c, struct export_rid *r, const char **key,
		     struct gg_error *err)
{
	int rc;

	*key = "rid_policy_region";
	if ((rc = words_split(c->rid_policy_region, &r->regions)) != 0)
		return gg_error_set(err, rc, rc == -E2BIG ? "at most 8 regions" : "out of memory");
	*key = "rid_traffic_type";
	if ((rc = words_split(c->rid_traffic_type, &r->traffic)) != 0)
		return gg_error_set(err, rc, rc == -E2BIG ? "at most 8 types" : "out of memory");
	if (c->rid_node != NULL)
		snprintf(r->node, sizeof(r->node), "%s", c->rid_node);
	else if (gethostname(r->node, sizeof(r->node) - 1) != 0)
		snprintf(r->node, sizeof(r->node), "gridgate");
	r->policy = (struct gg_rid_report_policy){
		.destination = c->rid_destination,
		.regions = r->regions.w,
		.n_regions = r->regions.n,
		.traffic_types = r->traffic.w,
		.n_traffic_types = r->traffic.n,
		.node = r->node,
	};
	*key = NULL;
	return 0;
}

void export_rid_free(struct export_rid *r)
{
	if (r == NULL)
		return;
	free(r->regions.buf);
	free(r->traffic.buf);
	gg_rid_checker_free(r->checker);
	gg_rid_schema_free(r->schema);
	free(r);
}

static int has_partner(const struct export_conf *c)
{
	return c->partner_cert_sha256 != NULL || c->partner_spki_sha256 != NULL ||
	       c->partner_subject != NULL;
}

int export_rid_conf_check(const struct export_conf *c, const char **key, struct gg_error *err)
{
	struct export_rid *r;
	char fp[65];
	int rc;

	*key = "partner_cert_sha256";
	if (c->partner_cert_sha256 != NULL && gg_http_fingerprint_parse(c->partner_cert_sha256, fp))
		return gg_error_set(err, -EINVAL, "must be 64 hex digits (colons allowed)");
	*key = "partner_spki_sha256";
	if (c->partner_spki_sha256 != NULL && gg_http_fingerprint_parse(c->partner_spki_sha256, fp))
		return gg_error_set(err, -EINVAL, "must be 64 hex digits (colons allowed)");
	*key = c->partner_subject != NULL ? "partner_issuer" : "partner_subject";
	if ((c->partner_subject == NULL) != (c->partner_issuer == NULL))
		return gg_error_set(err, -EINVAL, "partner_subject and partner_issuer go together: "
				    "a subject alone could be issued by any CA of ca_file");
	*key = NULL;
	if (strcmp(c->format, "rid-report") != 0)
		return 0;
	*key = "method";
	if (strcmp(c->method, "POST") != 0)
		return gg_error_set(err, -EINVAL, "RID messages are POSTed (RFC 6546)");
	*key = "client_cert";
	if (c->client_cert == NULL)
		return gg_error_set(err, -EINVAL, "format = rid-report needs client_cert and "
				    "client_key: RID partners authenticate each other by TLS "
				    "client certificates (RFC 6546)");
	*key = NULL;
	if (!has_partner(c))
		return gg_error_set(err, -EINVAL, "format = rid-report needs the partner's "
				    "identity: partner_cert_sha256, partner_spki_sha256, or "
				    "partner_subject and partner_issuer");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	rc = policy_of(c, r, key, err);
	if (rc == 0 && (rc = gg_rid_report_policy_check(&r->policy, err)) != 0) {
		/* Name the option the refused word came from. */
		*key = strstr(err->msg, "PolicyRegion") != NULL ? "rid_policy_region"
		       : strstr(err->msg, "TrafficType") != NULL ? "rid_traffic_type"
		       : strstr(err->msg, "MsgDestination") != NULL ? "rid_destination"
								      : "rid_node";
	}
	export_rid_free(r);
	return rc;
}

int export_rid_new(const struct export_conf *c, const char *schema_dir, struct gg_schema *iodef2,
		   struct export_rid **out, struct gg_error *err)
{
	struct export_rid *r = calloc(1, sizeof(*r));
	const char *key;
	int rc;

	*out = NULL;
	if (r == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	if ((rc = policy_of(c, r, &key, err)) != 0 ||
	    (rc = gg_rid_report_policy_check(&r->policy, err)) != 0 ||
	    (rc = gg_rid_schema_load(schema_dir, &r->schema, err)) != 0 ||
	    (rc = gg_rid_checker_new(r->schema, iodef2, &r->checker, err)) != 0) {
		export_rid_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int export_rid_body(const struct export_rid *r, const char *payload, size_t len, char **out,
		    size_t *out_len, char *why, size_t why_len)
{
	struct gg_error err = { 0 };
	int rc = gg_rid_report_text(&r->policy, payload, len, NULL, out, out_len, &err);

	if (rc != 0)
		snprintf(why, why_len, "%s", err.msg);
	return rc == -ENOMEM ? -ENOMEM : rc != 0 ? -EINVAL : 0;
}

/* Justifications that refuse the message itself: sending it again changes nothing. */
static int refuses_message(const char *justification)
{
	return strcmp(justification, "UnrecognizedFormat") == 0 ||
	       strcmp(justification, "CannotProcess") == 0 ||
	       strcmp(justification, "Encryption") == 0;
}

enum export_verdict export_rid_verdict(long status, const struct gg_rid_answer *a, char *why,
				       size_t why_len)
{
	if (a != NULL && strcmp(a->status, "Denied") == 0) {
		const char *j = a->justification[0] != '\0' ? a->justification : "no Justification";

		if (refuses_message(a->justification)) {
			snprintf(why, why_len, "RID: the partner denied the Report (%s, HTTP %ld): "
				 "refused for good", j, status);
			return EXPORT_DEAD;
		}
		snprintf(why, why_len, "RID: the partner denied the Report (%s, HTTP %ld)", j,
			 status);
		return EXPORT_RETRY;
	}
	if (status >= 200 && status <= 299) {
		snprintf(why, why_len, "HTTP %ld%s%s", status, a != NULL ? ", RID " : "",
			 a != NULL ? (a->status[0] != '\0' ? a->status : a->msg_type) : "");
		return EXPORT_DONE;
	}
	switch (export_classify(status)) {
	case EXPORT_DONE:
		return EXPORT_DONE;
	case EXPORT_RETRY:
		snprintf(why, why_len, "HTTP %ld", status);
		return EXPORT_RETRY;
	case EXPORT_DEAD:
		break;
	}
	snprintf(why, why_len, "HTTP %ld: refused for good", status);
	return EXPORT_DEAD;
}

enum export_verdict export_rid_answer(struct export_rid *r, long status, const char *body,
				      size_t len, char *why, size_t why_len)
{
	struct gg_rid_answer a;
	struct gg_error err = { 0 };
	int read = len > 0 && gg_rid_answer_read(r->checker, body, len, &a, &err) == 0;

	return export_rid_verdict(status, read ? &a : NULL, why, why_len);
}

/* The partner check at the handshake. */

void export_partner_free(struct export_partner *p)
{
	if (p == NULL)
		return;
	free(p->subject);
	free(p->issuer);
	free(p);
}

int export_partner_new(const struct export_conf *c, struct export_partner **out,
		       struct gg_error *err)
{
	struct export_partner *p;

	*out = NULL;
	if (!has_partner(c))
		return 0;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	if ((c->partner_cert_sha256 != NULL &&
	     gg_http_fingerprint_parse(c->partner_cert_sha256, p->cert_sha256) != 0) ||
	    (c->partner_spki_sha256 != NULL &&
	     gg_http_fingerprint_parse(c->partner_spki_sha256, p->spki_sha256) != 0)) {
		export_partner_free(p);
		return gg_error_set(err, -EINVAL, "a partner fingerprint is not 64 hex digits");
	}
	if (c->partner_subject != NULL && ((p->subject = strdup(c->partner_subject)) == NULL ||
					   (p->issuer = strdup(c->partner_issuer)) == NULL)) {
		export_partner_free(p);
		return gg_error_set(err, -ENOMEM, "out of memory");
	}
	*out = p;
	return 0;
}

static void hex(const unsigned char *md, unsigned n, char out[65])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < n && i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[n < 32 ? 2 * n : 64] = '\0';
}

/* An X509 name as `openssl x509 -nameopt RFC2253` prints it (and GnuTLS's get_dn3, which the
 * RID input compares with). */
static void name_of(const X509_NAME *name, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(b, out, (int)size - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

/* 1 when leaf is the partner's certificate by every form configured. */
static int partner_match(struct export_partner *p, X509 *leaf)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int n = 0;
	char fp[65], subject[256], issuer[256];
	int len;

	if (p->cert_sha256[0] != '\0') {
		if (X509_digest(leaf, EVP_sha256(), md, &n) != 1)
			return 0;
		hex(md, n, fp);
		if (strcmp(fp, p->cert_sha256) != 0) {
			snprintf(p->why, sizeof(p->why), "the endpoint's certificate (sha256 %s) is "
				 "not the partner's (partner_cert_sha256)", fp);
			return 0;
		}
	}
	if (p->spki_sha256[0] != '\0') {
		/* The whole SubjectPublicKeyInfo, as the RID input's spki_sha256. */
		len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);
		if (len <= 0 || EVP_Digest(der, (size_t)len, md, &n, EVP_sha256(), NULL) != 1) {
			OPENSSL_free(der);
			return 0;
		}
		OPENSSL_free(der);
		hex(md, n, fp);
		if (strcmp(fp, p->spki_sha256) != 0) {
			snprintf(p->why, sizeof(p->why), "the endpoint's public key (spki sha256 %s) "
				 "is not the partner's (partner_spki_sha256)", fp);
			return 0;
		}
	}
	if (p->subject != NULL) {
		name_of(X509_get_subject_name(leaf), subject, sizeof(subject));
		name_of(X509_get_issuer_name(leaf), issuer, sizeof(issuer));
		if (strcmp(subject, p->subject) != 0 || strcmp(issuer, p->issuer) != 0) {
			snprintf(p->why, sizeof(p->why), "the endpoint's certificate '%.100s' issued "
				 "by '%.100s' is not the partner's", subject, issuer);
			return 0;
		}
	}
	return 1;
}

static int partner_index = -1;
static pthread_once_t partner_once = PTHREAD_ONCE_INIT;

static void partner_index_init(void)
{
	partner_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* OpenSSL's verdict on the chain stands; the leaf must also be the partner's. */
static int partner_verify(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct export_partner *p = ssl != NULL ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
								      partner_index)
					       : NULL;

	if (!ok || p == NULL || X509_STORE_CTX_get_error_depth(store) != 0)
		return ok;
	if (!partner_match(p, X509_STORE_CTX_get_current_cert(store))) {
		X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	p->why[0] = '\0';
	return 1;
}

CURLcode export_partner_ssl_ctx(CURL *curl, void *ssl_ctx, void *partner)
{
	SSL_CTX *ctx = ssl_ctx;

	(void)curl;
	pthread_once(&partner_once, partner_index_init);
	if (partner_index < 0 || SSL_CTX_set_ex_data(ctx, partner_index, partner) != 1)
		return CURLE_OUT_OF_MEMORY;
	/* libcurl set the mode (peer verification on) before calling; only the callback is ours. */
	SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), partner_verify);
	return CURLE_OK;
}
