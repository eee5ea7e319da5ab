/* rid_signature.h: XML Signatures (xmldsig) on RID messages, checked with xmlsec1 against the
 * certificates a partner is trusted by; the caller decides what a missing one means. */
#ifndef GG_RID_SIGNATURE_H
#define GG_RID_SIGNATURE_H

#include <libxml/tree.h>

#include "base/error.h"

/* Initialises xmlsec1 and its OpenSSL backend for the process, once (later calls return the
 * first call's result). Owner: main() after gg_xml_init(), before any thread checks a
 * signature; tests call it in their setup. Never shut down: libxml2 and OpenSSL are shared
 * with the rest of gridgate for the process's life. */
int gg_rid_signature_init(struct gg_error *err);

/* The certificates a partner's signatures must chain to: a PEM file of one or more CA
 * certificates or of the partner's own certificate (CRLs in it are used too). A trust is used
 * by one thread at a time (xmlsec's keys manager has no lock). */
struct gg_rid_trust;
int gg_rid_trust_load(const char *pem_file, struct gg_rid_trust **out, struct gg_error *err);
void gg_rid_trust_free(struct gg_rid_trust *trust);

enum gg_rid_sig {
	GG_RID_SIG_ABSENT,  /* no ds:Signature anywhere in the message */
	GG_RID_SIG_VALID,   /* every ds:Signature verifies and covers the whole message */
	GG_RID_SIG_INVALID, /* at least one does not; why says which and why */
};

/* Checks every ds:Signature of doc (the message as received, gg_rid_message.doc) against
 * trust. Only signatures over the whole message are taken: Reference URI="" with the
 * enveloped-signature transform and canonicalization, SHA-2 digests, RSA or ECDSA with SHA-2,
 * the signer's certificate in KeyInfo/X509Data verified (chain, dates) against trust; no
 * reference outside the message is ever fetched. why gets the reason of INVALID. */
enum gg_rid_sig gg_rid_signature_verify(struct gg_rid_trust *trust, xmlDocPtr doc,
					struct gg_error *why);

#endif
