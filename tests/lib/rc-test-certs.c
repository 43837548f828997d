/* rc-test-certs.c: GnuTLS certificate factory for tests. */
#include "rc-test-certs.h"

#include <string.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define RC_TEST_OID_RECEPTOR_NAME "1.3.6.1.4.1.2312.19.1"

struct _RcTestCert {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
};

#define CHECK(expr)                                                                  \
	G_STMT_START                                                                 \
	{                                                                            \
		int rc_check_r_ = (expr);                                            \
		if (rc_check_r_ < 0)                                                 \
			g_error("%s: %s", #expr, gnutls_strerror(rc_check_r_));     \
	}                                                                            \
	G_STMT_END

void
rc_test_cert_free(RcTestCert *cert)
{
	if (cert == NULL)
		return;
	gnutls_x509_crt_deinit(cert->crt);
	gnutls_x509_privkey_deinit(cert->key);
	g_free(cert);
}

static RcTestCert *
rc_test_cert_alloc(gboolean rsa)
{
	RcTestCert *cert = g_new0(RcTestCert, 1);
	CHECK(gnutls_x509_crt_init(&cert->crt));
	CHECK(gnutls_x509_privkey_init(&cert->key));
	if (rsa)
		CHECK(gnutls_x509_privkey_generate(cert->key, GNUTLS_PK_RSA, 2048, 0));
	else
		CHECK(gnutls_x509_privkey_generate(cert->key, GNUTLS_PK_ECDSA,
						   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
						   0));
	CHECK(gnutls_x509_crt_set_key(cert->crt, cert->key));
	CHECK(gnutls_x509_crt_set_version(cert->crt, 3));
	return cert;
}

static void
rc_test_cert_set_serial(RcTestCert *cert)
{
	guint8 serial[9];
	CHECK(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x01;
	CHECK(gnutls_x509_crt_set_serial(cert->crt, serial, sizeof(serial)));
}

static void
rc_test_cert_set_skid(RcTestCert *cert)
{
	guint8 id[64];
	size_t size = sizeof(id);
	CHECK(gnutls_x509_crt_get_key_id(cert->crt, 0, id, &size));
	CHECK(gnutls_x509_crt_set_subject_key_id(cert->crt, id, size));
}

RcTestCert *
rc_test_cert_new_ca(const char *cn)
{
	RcTestCert *cert = rc_test_cert_alloc(FALSE);
	time_t now = time(NULL);
	CHECK(gnutls_x509_crt_set_dn_by_oid(cert->crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
					    (unsigned)strlen(cn)));
	rc_test_cert_set_serial(cert);
	CHECK(gnutls_x509_crt_set_activation_time(cert->crt, now - 3600));
	CHECK(gnutls_x509_crt_set_expiration_time(cert->crt, now + 10 * 24 * 3600));
	CHECK(gnutls_x509_crt_set_key_usage(cert->crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
							       GNUTLS_KEY_KEY_CERT_SIGN));
	CHECK(gnutls_x509_crt_set_key_purpose_oid(cert->crt, GNUTLS_KP_TLS_WWW_CLIENT, 0));
	CHECK(gnutls_x509_crt_set_key_purpose_oid(cert->crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
	CHECK(gnutls_x509_crt_set_basic_constraints(cert->crt, 1, -1));
	rc_test_cert_set_skid(cert);
	CHECK(gnutls_x509_crt_sign2(cert->crt, cert->crt, cert->key, GNUTLS_DIG_SHA256, 0));
	return cert;
}

RcTestCert *
rc_test_cert_new(RcTestCert *issuer, const RcTestCertOpts *opts)
{
	RcTestCert *cert = rc_test_cert_alloc(opts->rsa);
	const char *cn = opts->cn != NULL ? opts->cn : "test cert";
	time_t now = time(NULL);
	gint64 nb = opts->not_before_s != 0 ? opts->not_before_s : -60;
	gint64 na = opts->not_after_s != 0 ? opts->not_after_s : 24 * 3600;

	CHECK(gnutls_x509_crt_set_dn_by_oid(cert->crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
					    (unsigned)strlen(cn)));
	rc_test_cert_set_serial(cert);
	CHECK(gnutls_x509_crt_set_activation_time(cert->crt, now + nb));
	CHECK(gnutls_x509_crt_set_expiration_time(cert->crt, now + na));
	/* Receptor's leaf profile (tls.md 7.5): digitalSignature only. */
	CHECK(gnutls_x509_crt_set_key_usage(cert->crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
	if (!opts->no_eku) {
		if (!opts->server_only)
			CHECK(gnutls_x509_crt_set_key_purpose_oid(cert->crt,
								  GNUTLS_KP_TLS_WWW_CLIENT, 0));
		if (!opts->client_only)
			CHECK(gnutls_x509_crt_set_key_purpose_oid(cert->crt,
								  GNUTLS_KP_TLS_WWW_SERVER, 0));
	}
	if (!opts->no_san) {
		gboolean any = FALSE;
		for (gsize i = 0; opts->dns != NULL && opts->dns[i] != NULL; i++) {
			CHECK(gnutls_x509_crt_set_subject_alt_name(
				cert->crt, GNUTLS_SAN_DNSNAME, opts->dns[i],
				(unsigned)strlen(opts->dns[i]), GNUTLS_FSAN_APPEND));
			any = TRUE;
		}
		for (gsize i = 0; opts->ips != NULL && opts->ips[i] != NULL; i++) {
			g_autoptr(GInetAddress) a = g_inet_address_new_from_string(opts->ips[i]);
			g_assert_nonnull(a);
			CHECK(gnutls_x509_crt_set_subject_alt_name(
				cert->crt, GNUTLS_SAN_IPADDRESS, g_inet_address_to_bytes(a),
				(unsigned)g_inet_address_get_native_size(a), GNUTLS_FSAN_APPEND));
			any = TRUE;
		}
		for (gsize i = 0; opts->node_ids != NULL && opts->node_ids[i] != NULL; i++) {
			CHECK(gnutls_x509_crt_set_subject_alt_othername(
				cert->crt, RC_TEST_OID_RECEPTOR_NAME, opts->node_ids[i],
				(unsigned)strlen(opts->node_ids[i]),
				GNUTLS_FSAN_APPEND | GNUTLS_FSAN_ENCODE_UTF8_STRING));
			any = TRUE;
		}
		if (!any)
			CHECK(gnutls_x509_crt_set_extension_by_oid(cert->crt, "2.5.29.17", "\x30\x00",
								   2, 0));
	}
	if (issuer != NULL) {
		guint8 id[64];
		size_t size = sizeof(id);
		CHECK(gnutls_x509_crt_get_subject_key_id(issuer->crt, id, &size, NULL));
		CHECK(gnutls_x509_crt_set_authority_key_id(cert->crt, id, size));
		CHECK(gnutls_x509_crt_sign2(cert->crt, issuer->crt, issuer->key, GNUTLS_DIG_SHA256,
					    0));
	} else {
		CHECK(gnutls_x509_crt_sign2(cert->crt, cert->crt, cert->key, GNUTLS_DIG_SHA256, 0));
	}
	return cert;
}

char *
rc_test_cert_pem(RcTestCert *cert)
{
	gnutls_datum_t out = { NULL, 0 };
	char *pem;
	CHECK(gnutls_x509_crt_export2(cert->crt, GNUTLS_X509_FMT_PEM, &out));
	pem = g_strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	return pem;
}

void
rc_test_cert_write(RcTestCert *cert, RcTestCert *chain, const char *dir, const char *base,
		   char **cert_path, char **key_path)
{
	g_autofree char *crt_file = g_strdup_printf("%s/%s.crt", dir, base);
	g_autofree char *key_file = g_strdup_printf("%s/%s.key", dir, base);
	g_autofree char *pem = rc_test_cert_pem(cert);
	g_autoptr(GError) error = NULL;
	gnutls_datum_t key = { NULL, 0 };
	if (chain != NULL) {
		g_autofree char *extra = rc_test_cert_pem(chain);
		g_autofree char *both = g_strconcat(pem, extra, NULL);
		g_free(pem);
		pem = g_steal_pointer(&both);
	}
	g_file_set_contents(crt_file, pem, -1, &error);
	g_assert_no_error(error);
	CHECK(gnutls_x509_privkey_export2_pkcs8(cert->key, GNUTLS_X509_FMT_PEM, NULL,
						GNUTLS_PKCS_PLAIN, &key));
	g_file_set_contents(key_file, (const char *)key.data, key.size, &error);
	gnutls_free(key.data);
	g_assert_no_error(error);
	if (cert_path != NULL)
		*cert_path = g_steal_pointer(&crt_file);
	if (key_path != NULL)
		*key_path = g_steal_pointer(&key_file);
}

char *
rc_test_cert_fingerprint(RcTestCert *cert, gboolean sha512)
{
	guint8 digest[64];
	size_t size = sizeof(digest);
	GString *s = g_string_new(NULL);
	CHECK(gnutls_x509_crt_get_fingerprint(cert->crt, sha512 ? GNUTLS_DIG_SHA512 : GNUTLS_DIG_SHA256,
					      digest, &size));
	for (size_t i = 0; i < size; i++)
		g_string_append_printf(s, "%s%02X", i > 0 ? ":" : "", digest[i]);
	return g_string_free(s, FALSE);
}
