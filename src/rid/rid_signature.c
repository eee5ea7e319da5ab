/* rid_signature.c: verifies the XML Signatures of a RID message with xmlsec1 (OpenSSL
 * backend), accepting only whole-message signatures by a certificate the partner is trusted by. */
#include "rid/rid_signature.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "base/log.h"

struct gg_rid_trust {
	xmlSecKeysMngrPtr mngr;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;
static char init_msg[200];

/* xmlsec reports errors through one process-wide callback, innermost first, each caller
 * adding an "xmlsec function failed" line. Each thread keeps the first error that says more
 * than that: it becomes the reason given to the caller. */
static _Thread_local char last_error[240];
/* The innermost error of any kind, for when none says more (a disabled algorithm is only
 * "xmlSecTransformNodeRead failed"). */
static _Thread_local char first_error[160];

/* xmlsec's text for an error code: its table is indexed by position, not by code. */
static const char *reason_text(int reason)
{
	for (xmlSecSize pos = 0; xmlSecErrorsGetMsg(pos) != NULL; pos++)
		if (xmlSecErrorsGetCode(pos) == reason)
			return xmlSecErrorsGetMsg(pos);
	return "error";
}

static void on_xmlsec_error(const char *file, int line, const char *func,
			   const char *object, const char *subject, int reason, const char *msg)
{
	int detail = msg != NULL && strcmp(msg, " ") != 0 && strcmp(msg, "details=NULL") != 0 &&
		     *msg != '\0';

	if (first_error[0] == '\0')
		snprintf(first_error, sizeof(first_error), "%s failed",
			 subject != NULL ? subject : func);
	if (last_error[0] != '\0' || reason == XMLSEC_ERRORS_R_XMLSEC_FAILED)
		return;
	snprintf(last_error, sizeof(last_error), "%s%s%s", reason_text(reason),
		 detail ? ": " : "", detail ? msg : "");
}

static void init_xmlsec(void)
{
	/* No xmlSecInit-era libxml2 settings (entity substitution, DTD loading) here: the
	 * hardened parser's options stay the only ones, and xmlsec never parses documents. */
	if (xmlSecInit() < 0) {
		init_rc = -EIO;
		snprintf(init_msg, sizeof(init_msg), "xmlsec: initialisation failed");
		return;
	}
	if (xmlSecCheckVersion() != 1) {
		init_rc = -EIO;
		snprintf(init_msg, sizeof(init_msg), "xmlsec: library version mismatch");
		return;
	}
	if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		init_rc = -EIO;
		snprintf(init_msg, sizeof(init_msg), "xmlsec: OpenSSL backend failed to start");
		return;
	}
	xmlSecErrorsSetCallback(on_xmlsec_error);
}

int gg_rid_signature_init(struct gg_error *err)
{
	pthread_once(&init_once, init_xmlsec);
	if (init_rc != 0)
		return gg_error_set(err, init_rc, "%s", init_msg);
	return 0;
}

int gg_rid_trust_load(const char *pem_file, struct gg_rid_trust **out, struct gg_error *err)
{
	struct gg_rid_trust *t;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return gg_error_set(err, -ENOMEM, "signature trust: out of memory");
	t->mngr = xmlSecKeysMngrCreate();
	if (t->mngr == NULL || xmlSecCryptoAppDefaultKeysMngrInit(t->mngr) < 0) {
		gg_rid_trust_free(t);
		return gg_error_set(err, -ENOMEM, "signature trust: cannot create a keys manager");
	}
	last_error[0] = '\0';
	/* Every certificate (and CRL) of the file, where xmlSecCryptoAppKeysMngrCertLoad would
	 * take the first certificate only. */
	if (xmlSecOpenSSLAppKeysMngrAddCertsFile(t->mngr, pem_file) < 0) {
		gg_error_set(err, -EINVAL, "signature trust: cannot load certificates from %s%s%s",
			     pem_file, last_error[0] != '\0' ? ": " : "", last_error);
		gg_rid_trust_free(t);
		return -EINVAL;
	}
	*out = t;
	return 0;
}

void gg_rid_trust_free(struct gg_rid_trust *trust)
{
	if (trust == NULL)
		return;
	if (trust->mngr != NULL)
		xmlSecKeysMngrDestroy(trust->mngr);
	free(trust);
}

/* What a signature may use. Anything else (XPath, XSLT, Base64, SHA-1, HMAC, ...) stops the
 * verification: RFC 6545's own example signs a RecordItem through an XPath filter, which
 * would leave the rest of the message unsigned. */
static int restrict_transforms(xmlSecDSigCtxPtr ctx)
{
	const xmlSecTransformId c14n[] = {
		xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId,
		xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
		xmlSecTransformInclC14N11Id, xmlSecTransformInclC14N11WithCommentsId,
	};
	const xmlSecTransformId digest[] = {
		xmlSecTransformSha256Id, xmlSecTransformSha384Id, xmlSecTransformSha512Id,
	};
	const xmlSecTransformId sign[] = {
		xmlSecTransformRsaSha256Id,   xmlSecTransformRsaSha384Id,
		xmlSecTransformRsaSha512Id,   xmlSecTransformEcdsaSha256Id,
		xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id,
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(c14n) / sizeof(c14n[0]); i++) {
		bad |= xmlSecDSigCtxEnableReferenceTransform(ctx, c14n[i]) < 0;
		bad |= xmlSecDSigCtxEnableSignatureTransform(ctx, c14n[i]) < 0;
	}
	bad |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) < 0;
	for (size_t i = 0; i < sizeof(digest) / sizeof(digest[0]); i++)
		bad |= xmlSecDSigCtxEnableReferenceTransform(ctx, digest[i]) < 0;
	for (size_t i = 0; i < sizeof(sign) / sizeof(sign[0]); i++)
		bad |= xmlSecDSigCtxEnableSignatureTransform(ctx, sign[i]) < 0;
	/* The signer's key comes from its certificate, verified against the trust, and from
	 * nothing else: a bare KeyValue would let anyone sign, RetrievalMethod would fetch. */
	bad |= xmlSecPtrListAdd(&ctx->keyInfoReadCtx.enabledKeyData,
				(xmlSecPtr)xmlSecKeyDataX509Id) < 0;
	ctx->keyInfoReadCtx.flags |= XMLSEC_KEYINFO_FLAGS_X509DATA_STOP_ON_INVALID_CERT;
	/* URI="" only: the whole message; never a fragment, a file or a URL. */
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	return bad ? -ENOMEM : 0;
}

/* Why a signature that was processed did not verify: a reference's digest or the value. */
static void explain_invalid(xmlSecDSigCtxPtr ctx, int index, struct gg_error *why)
{
	xmlSecSize n = xmlSecPtrListGetSize(&ctx->signedInfoReferences);

	for (xmlSecSize i = 0; i < n; i++) {
		xmlSecDSigReferenceCtxPtr ref = xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);

		if (ref != NULL && ref->status != xmlSecDSigStatusSucceeded) {
			gg_error_set(why, -EBADMSG,
				     "signature %d: the digest of the signed message does not "
				     "match: the message was changed after it was signed",
				     index);
			return;
		}
	}
	gg_error_set(why, -EBADMSG,
		     "signature %d: SignatureValue does not verify with the signer's key", index);
}

static enum gg_rid_sig verify_one(struct gg_rid_trust *trust, xmlNodePtr sig, int index,
				  struct gg_error *why)
{
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(trust->mngr);
	enum gg_rid_sig res = GG_RID_SIG_INVALID;

	if (ctx == NULL || restrict_transforms(ctx) != 0) {
		gg_error_set(why, -ENOMEM, "signature %d: out of memory", index);
		goto out;
	}
	last_error[0] = '\0';
	first_error[0] = '\0';
	if (xmlSecDSigCtxVerify(ctx, sig) < 0) {
		/* No key means KeyInfo named no signer whose certificate the trust accepts. */
		gg_error_set(why, -EBADMSG, "signature %d: cannot be verified: %s%s", index,
			     ctx->signKey == NULL ? "no trusted certificate in KeyInfo/X509Data "
						    "(a bare KeyValue is not taken): " : "",
			     last_error[0] != '\0' ? last_error : first_error);
		goto out;
	}
	if (ctx->status == xmlSecDSigStatusSucceeded)
		res = GG_RID_SIG_VALID;
	else
		explain_invalid(ctx, index, why);
out:
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	return res;
}

/* Every ds:Signature under node, in document order; a signature inside a signature is not
 * looked for (xmldsig has none). */
static enum gg_rid_sig verify_all(struct gg_rid_trust *trust, xmlNodePtr node, int *count,
				  struct gg_error *why)
{
	for (; node != NULL; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (xmlSecCheckNodeName(node, xmlSecNodeSignature, xmlSecDSigNs)) {
			if (verify_one(trust, node, ++*count, why) != GG_RID_SIG_VALID)
				return GG_RID_SIG_INVALID;
			continue;
		}
		if (verify_all(trust, node->children, count, why) == GG_RID_SIG_INVALID)
			return GG_RID_SIG_INVALID;
	}
	return *count > 0 ? GG_RID_SIG_VALID : GG_RID_SIG_ABSENT;
}

enum gg_rid_sig gg_rid_signature_verify(struct gg_rid_trust *trust, xmlDocPtr doc,
					struct gg_error *why)
{
	int count = 0;

	if (trust == NULL || doc == NULL) {
		gg_error_set(why, -EINVAL, "signature: no trust or no message");
		return GG_RID_SIG_INVALID;
	}
	return verify_all(trust, xmlDocGetRootElement(doc), &count, why);
}
