/* rc-test-certs.h: certificates for TLS tests, made with GnuTLS (tls.md 5, 7.5).
 * A CA, node certificates with the Receptor node-ID otherName SAN, DNS/IP
 * SANs, client/server-only key purposes, expired and self-signed ones. */
#pragma once

#include <glib.h>

typedef struct _RcTestCert RcTestCert;

typedef struct {
	const char *cn;                /* subject CN (default "test cert") */
	const char *const *dns;        /* nullable, NULL-terminated dNSName SANs */
	const char *const *ips;        /* nullable, NULL-terminated iPAddress SANs (text) */
	const char *const *node_ids;   /* nullable, NULL-terminated Receptor node IDs */
	gboolean no_san;               /* omit the SAN extension entirely */
	gboolean server_only;          /* EKU serverAuth only */
	gboolean client_only;          /* EKU clientAuth only */
	gboolean no_eku;               /* no EKU extension */
	gint64 not_before_s;           /* relative to now; 0 = -60 */
	gint64 not_after_s;            /* relative to now; 0 = +1 day; negative = expired */
	gboolean rsa;                  /* RSA-2048 instead of ECDSA P-256 */
} RcTestCertOpts;

/* (transfer full) A self-signed CA (KU digitalSignature+keyCertSign, EKU
 * clientAuth+serverAuth, basic constraints CA). */
RcTestCert *rc_test_cert_new_ca(const char *cn);
/* (transfer full) A leaf signed by `issuer`, or self-signed when NULL. */
RcTestCert *rc_test_cert_new(RcTestCert *issuer, const RcTestCertOpts *opts);
void rc_test_cert_free(RcTestCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestCert, rc_test_cert_free)

/* Write <dir>/<base>.crt (the certificate, followed by `chain` when given)
 * and <dir>/<base>.key (PKCS#8 PEM).  Returns the paths (transfer full). */
void rc_test_cert_write(RcTestCert *cert, RcTestCert *chain, const char *dir, const char *base,
			char **cert_path, char **key_path);
/* (transfer full) PEM text of the certificate alone. */
char *rc_test_cert_pem(RcTestCert *cert);
/* (transfer full) Fingerprint of the DER, "AA:BB:..." (SHA-256 or SHA-512). */
char *rc_test_cert_fingerprint(RcTestCert *cert, gboolean sha512);
