/* export_rid.h: format = rid-report, the endpoint as a RID partner (RFC 6545 messages over RFC
 * 6546 HTTP/TLS): each record goes as a RID Report (src/rid/rid_report.h), the partner's
 * answer decides the delivery, and its certificate is checked at the handshake against the
 * identity it is known by (the forms a [rid_partner] is known by: certificate fingerprint,
 * public key, subject and issuer). */
#ifndef GG_EXPORT_RID_H
#define GG_EXPORT_RID_H

#include <stddef.h>

#include <curl/curl.h>

#include "base/error.h"
#include "iodef/iodef.h"
#include "out_export/export_retry.h"
#include "rid/rid_report.h"

struct export_conf;

/* The endpoint's expected certificate; empty fields are not checked. */
struct export_partner {
	char cert_sha256[65];
	char spki_sha256[65];
	char *subject;
	char *issuer;
	/* Why the last handshake was refused (written by the output's thread, which alone
	 * drives its transfers); "" when it was not. */
	char why[320];
};

/* The options' checks, for the plugin's check: the RID policy words, the partner identity,
 * and what RFC 6546 needs of the transport (POST, a client certificate). *key names the
 * option at fault. */
int export_rid_conf_check(const struct export_conf *c, const char **key, struct gg_error *err);

/* NULL when c names no partner identity; -EINVAL / -ENOMEM otherwise. */
int export_partner_new(const struct export_conf *c, struct export_partner **out,
		       struct gg_error *err);
void export_partner_free(struct export_partner *p);
/* CURLOPT_SSL_CTX_FUNCTION with the partner as CURLOPT_SSL_CTX_DATA: the peer's certificate
 * must also be the partner's, or the handshake fails (before anything is sent). */
CURLcode export_partner_ssl_ctx(CURL *curl, void *ssl_ctx, void *partner);

/* The sender's state for rid-report: its policy and the RID schema answers are checked with. */
struct export_rid;
int export_rid_new(const struct export_conf *c, const char *schema_dir, struct gg_schema *iodef2,
		   struct export_rid **out, struct gg_error *err);
void export_rid_free(struct export_rid *r);
/* The Report for a record's payload (free()); -EINVAL with why when it can never be one. */
int export_rid_body(const struct export_rid *r, const char *payload, size_t len, char **out,
		    size_t *out_len, char *why, size_t why_len);
/* What the partner's answer (HTTP status, 0 for none, and body) means for the delivery, with
 * why saying it for the log and the spool. */
enum export_verdict export_rid_answer(struct export_rid *r, long status, const char *body,
				      size_t len, char *why, size_t why_len);
/* The rule alone (pure): a is the answer read from the body, NULL when it is no RID message.
 * A RequestStatus Denied is a failure whatever the status: UnrecognizedFormat, CannotProcess
 * and Encryption refuse the message itself (dead letter), any other Justification refuses
 * the sender for now (partner unknown or disabled, authentication, resources: retried). Else
 * 2xx is delivered (RFC 6546: 200 with an Acknowledgement, or an empty 202) and other
 * statuses follow export_classify. */
enum export_verdict export_rid_verdict(long status, const struct gg_rid_answer *a, char *why,
				       size_t why_len);

#endif
