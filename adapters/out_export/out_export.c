/* out_export.c: [export:NAME], the HTTPS exporter: its options, checks, counters and
 * lifecycle. Its thread (export_loop.c) drains the output's own deliveries, so a slow or dead
 * endpoint holds back nothing but itself. */
#include "out_export/out_export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "http/http_auth.h"
#include "out_export/export.h"

static const char *const method_words[] = { "POST", "PUT", NULL };
static const char *const format_words[] = { "iodef", "json", "iodef-json", "rid-report",
					    NULL };
static const char *const destination_words[] = { "RIDSystem", "SourceOfIncident", NULL };
static const char *const severity_words[] = { "low", "medium", "high", NULL };

#define XO(field) offsetof(struct export_conf, field)
static const struct gg_option export_options[] = {
	{ "url", GG_OPT_STRING, NULL, XO(url),
	  .help = "the endpoint (https://; http:// only on loopback with allow_http)",
	  .flags = GG_OPT_REQUIRED },
	{ "method", GG_OPT_STRING, "POST", XO(method), .help = "request method",
	  .words = method_words },
	{ "ca_file", GG_OPT_STRING, NULL, XO(ca_file),
	  .help = "CA certificates the endpoint's certificate must chain to (default: the "
	  "system's)", .flags = GG_OPT_FILE },
	{ "client_cert", GG_OPT_STRING, NULL, XO(client_cert),
	  .help = "PEM client certificate for endpoints that ask for one (mutual TLS)",
	  .flags = GG_OPT_FILE },
	{ "client_key", GG_OPT_STRING, NULL, XO(client_key), .help = "PEM private key of client_cert",
	  .flags = GG_OPT_FILE },
	{ "pin_sha256", GG_OPT_STRING, NULL, XO(pin_sha256),
	  .help = "base64 SHA-256 of the endpoint's public key (SPKI); several separated by ';': "
	  "any other key is refused, whatever the CA says" },
	{ "token_file", GG_OPT_STRING, NULL, XO(token_file),
	  .help = "file whose first line is a bearer token (Authorization: Bearer)",
	  .flags = GG_OPT_FILE },
	{ "secret_file", GG_OPT_STRING, NULL, XO(secret_file),
	  .help = "Standard Webhooks secret (whsec_BASE64, or plain text): each request is signed "
	  "(webhook-id, webhook-timestamp, webhook-signature) as [webhook_route] checks",
	  .flags = GG_OPT_FILE },
	{ "timeout", GG_OPT_DURATION, "10s", XO(timeout_ms),
	  .help = "a request unanswered this long is retried", .min = 100, .max = 600000 },
	{ "concurrency", GG_OPT_INT, "8", XO(concurrency),
	  .help = "requests in flight at once (HTTP/2 streams on one connection, or HTTP/1.1 "
	  "connections)", .min = 1, .max = 256 },
	{ "format", GG_OPT_STRING, "iodef", XO(format),
	  .help = "iodef: the document as published (application/xml); json: an envelope "
	  "{id, source, received, topic, item, published, payload} (application/json; topic, "
	  "item and published when the record is a grid event, published when the controller "
	  "said); iodef-json: the document in RFC 8727's JSON binding (application/json); "
	  "rid-report: a RID Report (RFC 6545) to a RID partner over RFC 6546 (text/xml, mutual "
	  "TLS, POST; needs client_cert and a partner_* identity)", .words = format_words },
	{ "severity", GG_OPT_STRING, NULL, XO(severity),
	  .help = "send only Incidents whose Assessment has an impact of this severity or more",
	  .words = severity_words },
	{ "purpose", GG_OPT_STRING, NULL, XO(purpose),
	  .help = "send only Incidents with one of these purposes (traceback, mitigation, "
	  "reporting, watch, other, ext-value)" },
	{ "category", GG_OPT_STRING, NULL, XO(category),
	  .help = "send only Incidents with one of these categories (Assessment's "
	  "IncidentCategory, or SystemImpact@type)" },
	{ "topics", GG_OPT_STRING, NULL, XO(topics),
	  .help = "send only grid events read from one of these topics by a [subscribe] input; "
	  "a record with no topic (from another input) is not sent" },
	{ "allow_restricted", GG_OPT_BOOL, "no", XO(allow_restricted),
	  .help = "the endpoint may receive Incidents whose restriction is need-to-know, private "
	  "(the RFC 7970 default) or red" },
	{ "allow_http", GG_OPT_BOOL, "no", XO(allow_http),
	  .help = "accept an http:// url on a loopback address (tests, a local relay)" },
	{ "max_attempts", GG_OPT_INT, "50", XO(max_attempts),
	  .help = "a record still refused after this many attempts becomes a dead letter (0: no "
	  "limit)", .min = 0, .max = 1000000 },
	{ "max_age", GG_OPT_DURATION, "1d", XO(max_age_ms),
	  .help = "a record not delivered this long after it was spooled becomes a dead letter "
	  "(0: no limit)", .min = 0, .max = 31536000000 },
	{ "retry_min", GG_OPT_DURATION, "1s", XO(retry_min_ms),
	  .help = "first retry delay (doubles per attempt, with jitter)", .min = 1000,
	  .max = 3600000 },
	{ "retry_max", GG_OPT_DURATION, "5m", XO(retry_max_ms),
	  .help = "longest retry delay, Retry-After included", .min = 1000, .max = 86400000 },
	{ "partner_cert_sha256", GG_OPT_STRING, NULL, XO(partner_cert_sha256),
	  .help = "the endpoint's certificate must have this SHA-256 fingerprint (hex, colons "
	  "allowed: openssl x509 -noout -fingerprint -sha256), as [rid_partner] cert_sha256" },
	{ "partner_spki_sha256", GG_OPT_STRING, NULL, XO(partner_spki_sha256),
	  .help = "the endpoint's public key must have this SHA-256 (SubjectPublicKeyInfo, hex), "
	  "as [rid_partner] spki_sha256" },
	{ "partner_subject", GG_OPT_STRING, NULL, XO(partner_subject),
	  .help = "the endpoint's certificate subject (openssl x509 -noout -subject -nameopt "
	  "RFC2253), with partner_issuer" },
	{ "partner_issuer", GG_OPT_STRING, NULL, XO(partner_issuer),
	  .help = "the issuing CA's subject, same form: goes with partner_subject" },
	{ "rid_node", GG_OPT_STRING, NULL, XO(rid_node),
	  .help = "rid-report: RIDPolicy's Node, the name of this RID system (default: the host "
	  "name)" },
	{ "rid_destination", GG_OPT_STRING, "RIDSystem", XO(rid_destination),
	  .help = "rid-report: RIDPolicy@MsgDestination", .words = destination_words },
	{ "rid_policy_region", GG_OPT_STRING, "PeerToPeer", XO(rid_policy_region),
	  .help = "rid-report: PolicyRegion(s): ClientToSP, SPToClient, IntraConsortium, "
	  "PeerToPeer, BetweenConsortiums" },
	{ "rid_traffic_type", GG_OPT_STRING, "Other", XO(rid_traffic_type),
	  .help = "rid-report: TrafficType(s): Attack, Network, Content, "
	  "DataWithHandlingRequirements, AudienceRestriction, Other" },
	GG_OPTIONS_END,
};
#undef XO

#define XC(field) offsetof(struct export_counters, field)
static const struct gg_counter export_counter_rows[] = {
	{ "sent", "requests made", XC(sent) },
	{ "delivered", "records the endpoint accepted (2xx; rid-report: not Denied)",
	  XC(delivered) },
	{ "retried", "requests answered 408, 425, 429, 5xx or not at all (rid-report: or Denied "
	  "for a reason other than the message): tried again later", XC(retried) },
	{ "dead", "records set aside as dead letters (refused, or given up)", XC(dead) },
	{ "filtered", "records the endpoint's filters or the restriction kept from it",
	  XC(filtered) },
	{ "in_flight", "requests waiting for an answer now", XC(in_flight) },
	GG_COUNTERS_END,
};
#undef XC

/* 1 for a loopback host: "localhost", 127.0.0.0/8, ::1 (curl writes it "[::1]"). */
static int host_is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "[::1]") == 0;
}

static int check_url(const struct export_conf *c, struct gg_error *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int r = 0;

	if (u == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, c->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		r = gg_error_set(err, -EINVAL, "not a URL with a scheme and a host");
	else if (strcmp(scheme, "http") == 0 && !(c->allow_http && host_is_loopback(host)))
		r = gg_error_set(err, -EINVAL, "http:// sends records in clear: https:// is "
				 "required (allow_http = yes accepts http on a loopback host only)");
	else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
		r = gg_error_set(err, -EINVAL, "scheme %s: https:// is required", scheme);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

static int export_check(const void *conf, const char **key, struct gg_error *err)
{
	const struct export_conf *c = conf;
	struct export_filter *f = NULL;
	int r;

	*key = "url";
	if ((r = check_url(c, err)) != 0)
		return r;
	*key = "secret_file";
	if (c->token_file != NULL && c->secret_file != NULL)
		return gg_error_set(err, -EINVAL, "token_file or secret_file, not both");
	*key = c->client_cert != NULL ? "client_cert" : "client_key";
	if ((c->client_cert == NULL) != (c->client_key == NULL))
		return gg_error_set(err, -EINVAL, "client_cert and client_key go together");
	if ((r = export_rid_conf_check(c, key, err)) != 0)
		return r;
	*key = "retry_max";
	if (c->retry_max_ms < c->retry_min_ms)
		return gg_error_set(err, -EINVAL, "shorter than retry_min");
	*key = c->purpose != NULL ? "purpose" : c->category != NULL ? "category" : "topics";
	if ((r = export_filter_new(c->severity, c->purpose, c->category, c->topics,
				   c->allow_restricted, &f, err)) != 0)
		return r;
	export_filter_free(f);
	*key = NULL;
	return 0;
}

/* "sha256//A;sha256//B" from "A;B" (a value already spelled sha256// is kept). */
static char *pin_string(const char *pins)
{
	size_t n = 1;
	char *out, *w;

	for (const char *p = pins; *p != '\0'; p++)
		n += *p == ';' ? 9 : 1;
	if ((out = malloc(n + 8)) == NULL)
		return NULL;
	w = out;
	for (const char *p = pins; *p != '\0';) {
		size_t len = strcspn(p, ";");

		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		if (len > 0) {
			if (w != out)
				*w++ = ';';
			if (strncmp(p, "sha256//", 8) != 0) {
				memcpy(w, "sha256//", 8);
				w += 8;
			}
			memcpy(w, p, len);
			w += len;
		}
		p += len + (p[len] == ';');
	}
	*w = '\0';
	return out;
}

static void exporter_free(struct exporter *x)
{
	if (x == NULL)
		return;
	export_loop_free(x);
	gg_spool_close(x->spool);
	gg_pipeline_wake_fd_free(x->pipeline, x->wake_fd);
	export_filter_free(x->filter);
	export_rid_free(x->rid);
	export_partner_free(x->partner);
	gg_http_secret_free(x->secret, x->secret_len);
	if (x->bearer != NULL) {
		OPENSSL_cleanse(x->bearer, strlen(x->bearer));
		free(x->bearer);
	}
	free(x->pin);
	free(x);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Its secrets, spool handle, wake descriptor and request handles: before privileges go. */
static int export_open(struct gg_input *out, struct gg_error *err)
{
	const struct export_conf *c = out->conf;
	struct exporter *x = calloc(1, sizeof(*x));
	unsigned char *token = NULL;
	size_t token_len = 0;
	int r;

	if (x == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	x->name = out->name;
	x->pipeline = out->pipeline;
	x->conf = c;
	x->wake_fd = -1;
	x->format = strcmp(c->format, "json") == 0	    ? EXPORT_ENVELOPE
		    : strcmp(c->format, "iodef-json") == 0 ? EXPORT_IODEF_JSON
		    : strcmp(c->format, "rid-report") == 0 ? EXPORT_RID_REPORT
							   : EXPORT_IODEF;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		r = gg_error_set(err, -EIO, "libcurl: %s", curl_easy_strerror(curl_init_rc));
		goto fail;
	}
	if ((r = export_filter_new(c->severity, c->purpose, c->category, c->topics,
				   c->allow_restricted, &x->filter, err)) != 0)
		goto fail;
	if (c->secret_file != NULL &&
	    (r = gg_http_secret_read(c->secret_file, 0, &x->secret, &x->secret_len, err)) != 0)
		goto fail;
	if (c->token_file != NULL) {
		if ((r = gg_http_secret_read(c->token_file, 1, &token, &token_len, err)) != 0)
			goto fail;
		if (memchr(token, '\n', token_len) != NULL || memchr(token, '\r', token_len) != NULL ||
		    memchr(token, '\0', token_len) != NULL) {
			r = gg_error_set(err, -EINVAL, "%s: a token is one line", c->token_file);
			goto fail;
		}
		if (asprintf(&x->bearer, "Authorization: Bearer %.*s", (int)token_len,
			     (const char *)token) < 0) {
			x->bearer = NULL;
			r = gg_error_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	if ((r = export_partner_new(c, &x->partner, err)) != 0)
		goto fail;
	if (x->format == EXPORT_RID_REPORT &&
	    (r = export_rid_new(c, out->pipeline->cfg->global.schema_dir, out->pipeline->schema,
				&x->rid, err)) != 0)
		goto fail;
	if (c->pin_sha256 != NULL && (x->pin = pin_string(c->pin_sha256)) == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = gg_pipeline_wake_fd_new(out->pipeline, &x->wake_fd, err)) != 0 ||
	    (r = gg_pipeline_open_spool_for(out->pipeline, out->name, NULL, 0, &x->spool,
					    err)) != 0 ||
	    (r = export_loop_init(x, err)) != 0)
		goto fail;
	gg_http_secret_free(token, token_len);
	out->state = x;
	return 0;
fail:
	gg_http_secret_free(token, token_len);
	exporter_free(x);
	return r;
}

static int export_start(struct gg_input *out, struct gg_error *err)
{
	struct exporter *x = out->state;
	int r = pthread_create(&x->thread, NULL, export_loop_main, x);

	if (r != 0)
		return gg_error_set(err, -r, "pthread_create: %s", strerror(r));
	return 0;
}

static void export_stop(struct gg_input *out)
{
	struct exporter *x = out->state;
	uint64_t one = 1;

	atomic_store(&x->stop, 1);
	if (write(x->wake_fd, &one, sizeof(one)) < 0)
		gg_log_warn("%s: wake to stop", x->name);
	pthread_join(x->thread, NULL);
}

static void export_release(struct gg_input *out)
{
	exporter_free(out->state);
	out->state = NULL;
}

static const void *export_counters_of(const struct gg_input *out)
{
	const struct exporter *x = out->state;

	return &x->counters;
}

const struct gg_adapter gg_out_export = {
	.name = "export",
	.kind = GG_PLUGIN_OUTPUT,
	.desc = "HTTPS exporter: spool records -> POST/PUT to an endpoint (IODEF, IODEF-JSON, a "
		"JSON envelope, or a RID Report to a RID partner), signed or with a bearer token, "
		"retried, dead letters per endpoint",
	.options = export_options,
	.conf_size = sizeof(struct export_conf),
	.check = export_check,
	.open = export_open,
	.start = export_start,
	.stop = export_stop,
	.free = export_release,
	.counters = export_counter_rows,
	.counters_of = export_counters_of,
};
