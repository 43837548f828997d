/* test-tls.c: tls-server/tls-client preparation (tls.md 1.3), Receptor's
 * verification decisions (tls.md 4-6) and the TLS GIOStream, with two
 * in-process ends joined by a socketpair. */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "rc-test-certs.h"
#include "rc-test.h"
#include "rc-tls.h"

#define DEADLINE_S 20.0

/* Certificates shared by all tests (made once: key generation is slow). */
typedef struct {
	char *dir;
	char *ca;           /* CA file */
	char *other_ca;     /* a CA that signed nothing we present */
	char *node1_crt, *node1_key; /* DNS localhost, IP 127.0.0.1, node IDs node1 */
	char *node2_crt, *node2_key; /* node ID node2, DNS localhost */
	char *rsa_crt, *rsa_key;     /* RSA, node1 */
	char *chain_crt, *chain_key; /* node1 cert followed by the CA */
	char *untrusted_crt, *untrusted_key; /* node1, signed by other CA */
	char *expired_crt, *expired_key;     /* node1, expired */
	char *nosan_crt, *nosan_key;         /* CN localhost, no SAN */
	char *onlyname_crt, *onlyname_key;   /* only a node-ID SAN */
	char *serveronly_crt, *serveronly_key; /* EKU serverAuth only */
	char *node1_sha256, *node1_sha512, *node2_sha256;
	RcTestCert *node1, *node2, *nosan, *onlyname, *multi;
} Certs;

static Certs certs;
static GString *captured_log;

static GLogWriterOutput
capture_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "MESSAGE") == 0) {
			g_string_append_len(captured_log, fields[i].value,
					    fields[i].length < 0 ? (gssize)strlen(fields[i].value)
								 : fields[i].length);
			g_string_append_c(captured_log, '\n');
		}
	}
	return G_LOG_WRITER_HANDLED;
}

static void
make_certs(void)
{
	g_autoptr(RcTestCert) ca = rc_test_cert_new_ca("test CA");
	g_autoptr(RcTestCert) other = rc_test_cert_new_ca("other CA");
	const char *localhost[] = { "localhost", NULL };
	const char *loopback[] = { "127.0.0.1", NULL };
	const char *n1[] = { "node1", NULL };
	const char *n2[] = { "node2", NULL };
	const char *many[] = { "a", "b", "c", NULL };
	RcTestCertOpts o;
	g_autoptr(RcTestCert) rsa = NULL;
	g_autoptr(RcTestCert) untrusted = NULL;
	g_autoptr(RcTestCert) expired = NULL;
	g_autoptr(RcTestCert) serveronly = NULL;

	certs.dir = rc_test_make_tmpdir("test-tls");
	rc_test_cert_write(ca, NULL, certs.dir, "ca", &certs.ca, NULL);
	rc_test_cert_write(other, NULL, certs.dir, "other-ca", &certs.other_ca, NULL);

	o = (RcTestCertOpts){ .cn = "node1", .dns = localhost, .ips = loopback, .node_ids = n1 };
	certs.node1 = rc_test_cert_new(ca, &o);
	rc_test_cert_write(certs.node1, NULL, certs.dir, "node1", &certs.node1_crt,
			   &certs.node1_key);
	rc_test_cert_write(certs.node1, ca, certs.dir, "chain", &certs.chain_crt, &certs.chain_key);
	certs.node1_sha256 = rc_test_cert_fingerprint(certs.node1, FALSE);
	certs.node1_sha512 = rc_test_cert_fingerprint(certs.node1, TRUE);
	o.rsa = TRUE;
	rsa = rc_test_cert_new(ca, &o);
	rc_test_cert_write(rsa, NULL, certs.dir, "rsa", &certs.rsa_crt, &certs.rsa_key);
	o.rsa = FALSE;
	untrusted = rc_test_cert_new(other, &o);
	rc_test_cert_write(untrusted, NULL, certs.dir, "untrusted", &certs.untrusted_crt,
			   &certs.untrusted_key);
	o.not_after_s = -3600;
	o.not_before_s = -7200;
	expired = rc_test_cert_new(ca, &o);
	rc_test_cert_write(expired, NULL, certs.dir, "expired", &certs.expired_crt,
			   &certs.expired_key);

	o = (RcTestCertOpts){ .cn = "node2", .dns = localhost, .node_ids = n2 };
	certs.node2 = rc_test_cert_new(ca, &o);
	rc_test_cert_write(certs.node2, NULL, certs.dir, "node2", &certs.node2_crt,
			   &certs.node2_key);
	certs.node2_sha256 = rc_test_cert_fingerprint(certs.node2, FALSE);

	o = (RcTestCertOpts){ .cn = "localhost", .no_san = TRUE };
	certs.nosan = rc_test_cert_new(ca, &o);
	rc_test_cert_write(certs.nosan, NULL, certs.dir, "nosan", &certs.nosan_crt,
			   &certs.nosan_key);
	o = (RcTestCertOpts){ .cn = "localhost", .node_ids = n1 };
	certs.onlyname = rc_test_cert_new(ca, &o);
	rc_test_cert_write(certs.onlyname, NULL, certs.dir, "onlyname", &certs.onlyname_crt,
			   &certs.onlyname_key);
	o = (RcTestCertOpts){ .node_ids = many };
	certs.multi = rc_test_cert_new(NULL, &o);
	o = (RcTestCertOpts){ .dns = localhost, .node_ids = n1, .server_only = TRUE };
	serveronly = rc_test_cert_new(ca, &o);
	rc_test_cert_write(serveronly, NULL, certs.dir, "serveronly", &certs.serveronly_crt,
			   &certs.serveronly_key);
}

static gnutls_x509_crt_t
crt_of(RcTestCert *cert)
{
	g_autofree char *pem = rc_test_cert_pem(cert);
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
	gnutls_x509_crt_t crt = NULL;
	g_assert_cmpint(gnutls_x509_crt_init(&crt), ==, 0);
	g_assert_cmpint(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), ==, 0);
	return crt;
}

/* ------------------------------------------------------------------ params */

static void
p_str(GVariantDict *d, const char *k, const char *v)
{
	g_variant_dict_insert_value(d, k, g_variant_new_string(v));
}

static void
p_bool(GVariantDict *d, const char *k, gboolean v)
{
	g_variant_dict_insert_value(d, k, g_variant_new_boolean(v));
}

static void
p_strv(GVariantDict *d, const char *k, const char *v1, const char *v2)
{
	const char *v[] = { v1, v2, NULL };
	g_variant_dict_insert_value(d, k, g_variant_new_strv(v, -1));
}

static GVariantDict *
server_params(const char *name, const char *cert, const char *key)
{
	GVariantDict *d = g_variant_dict_new(NULL);
	p_str(d, "name", name);
	p_str(d, "cert", cert);
	p_str(d, "key", key);
	p_bool(d, "requireclientcert", FALSE);
	p_bool(d, "skipreceptornamescheck", FALSE);
	p_bool(d, "mintls13", FALSE);
	return d;
}

static GVariantDict *
client_params(const char *name, const char *cert, const char *key)
{
	GVariantDict *d = g_variant_dict_new(NULL);
	p_str(d, "name", name);
	p_str(d, "cert", cert);
	p_str(d, "key", key);
	p_bool(d, "insecureskipverify", FALSE);
	p_bool(d, "mintls13", FALSE);
	return d;
}

/* Add and return the error message (NULL on success). */
static char *
add(RcTlsStore *store, gboolean server, GVariantDict *d, const char *node_id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) v = g_variant_ref_sink(g_variant_dict_end(d));
	g_variant_dict_unref(d);
	if (rc_tls_store_add(store, server, v, node_id, &error))
		return NULL;
	return g_strdup(error->message);
}

#define ASSERT_ADD_OK(store, server, d, node)                       \
	G_STMT_START                                                \
	{                                                           \
		g_autofree char *m_ = add(store, server, d, node); \
		g_assert_null(m_);                                  \
	}                                                           \
	G_STMT_END

/* ------------------------------------------------------------------ pure helpers */

static void
test_fingerprints_decode(void)
{
	g_autoptr(GError) error = NULL;
	const char *ok[] = { "E6:9B:98:A7:A5:DB:17:D6:E4:2C:DE:76:45:42:A8:79:A3:0A:C5:6D:10:42:7A:"
			     "6A:C4:54:57:83:F1:0F:E2:95",
			     "e69b98a7a5db17d6e42cde764542a879a30ac56d10427a6ac4545783f10fe295",
			     NULL };
	g_autoptr(GPtrArray) pins = rc_tls_decode_fingerprints(ok, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(pins->len, ==, 2);
	g_assert_true(g_bytes_equal(g_ptr_array_index(pins, 0), g_ptr_array_index(pins, 1)));
	g_assert_cmpuint(g_bytes_get_size(g_ptr_array_index(pins, 0)), ==, 32);
}

static void
test_fingerprints_errors(void)
{
	static const struct {
		const char *in;
		const char *msg;
	} cases[] = {
		{ "E6 9B", "error decoding fingerprint" },
		{ "abc", "error decoding fingerprint" },
		{ "zz", "error decoding fingerprint" },
		{ "sha256 Fingerprint=AA", "error decoding fingerprint" },
		{ "", "fingerprints must be 32 or 64 bytes for sha256 or sha512" },
		{ "0102030405060708090a0b0c0d0e0f1011121314",
		  "fingerprints must be 32 or 64 bytes for sha256 or sha512" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		const char *in[] = { cases[i].in, NULL };
		g_autoptr(GPtrArray) pins = rc_tls_decode_fingerprints(in, &error);
		g_assert_null(pins);
		g_assert_cmpstr(error->message, ==, cases[i].msg);
	}
}

static void
test_pem_parse_skips_garbage(void)
{
	const char *text = "junk before\n-----BEGIN FOO-----\nAAEC\n-----END FOO-----\n"
			   " -----BEGIN NOTATLINESTART-----\nAAEC\n-----END NOTATLINESTART-----\n"
			   "-----BEGIN BAD-----\n!!!!\n-----END BAD-----\n"
			   "-----BEGIN BAR-----\nProc-Type: 4,ENCRYPTED\n\nAQID\n-----END BAR-----\n"
			   "-----BEGIN UNTERMINATED-----\nAAEC\n";
	g_autoptr(GPtrArray) blocks = rc_pem_parse((const guint8 *)text, strlen(text));
	RcPemBlock *b;
	g_assert_cmpuint(blocks->len, ==, 2);
	b = g_ptr_array_index(blocks, 0);
	g_assert_cmpstr(b->label, ==, "FOO");
	g_assert_cmpmem(g_bytes_get_data(b->der, NULL), g_bytes_get_size(b->der), "\x00\x01\x02", 3);
	b = g_ptr_array_index(blocks, 1);
	g_assert_cmpstr(b->label, ==, "BAR");
	g_assert_cmpmem(g_bytes_get_data(b->der, NULL), g_bytes_get_size(b->der), "\x01\x02\x03", 3);
}

static void
test_names_from_certificate(void)
{
	g_autoptr(GError) error = NULL;
	gnutls_x509_crt_t crt = crt_of(certs.node1);
	g_autoptr(GPtrArray) names = rc_tls_receptor_names(crt, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(names->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(names, 0), ==, "node1");
	gnutls_x509_crt_deinit(crt);

	crt = crt_of(certs.nosan);
	g_clear_pointer(&names, g_ptr_array_unref);
	names = rc_tls_receptor_names(crt, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(names->len, ==, 0);
	gnutls_x509_crt_deinit(crt);

	crt = crt_of(certs.multi);
	g_clear_pointer(&names, g_ptr_array_unref);
	names = rc_tls_receptor_names(crt, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(names->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(names, 2), ==, "c");
	gnutls_x509_crt_deinit(crt);
}

/* The otherName encoding matches tls.md 5.2's worked example byte for byte. */
static void
test_names_encoding_matches_spec(void)
{
	gnutls_x509_crt_t crt = crt_of(certs.onlyname);
	gnutls_datum_t ext = { NULL, 0 };
	g_autofree char *hex = NULL;
	g_assert_cmpint(gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.17", 0, &ext, NULL), ==, 0);
	hex = g_malloc0(ext.size * 2 + 1);
	for (unsigned i = 0; i < ext.size; i++)
		g_snprintf(hex + i * 2, 3, "%02x", ext.data[i]);
	g_assert_cmpstr(hex, ==, "3016a01406092b0601040192081301a0070c056e6f646531");
	gnutls_free(ext.data);
	gnutls_x509_crt_deinit(crt);
}

static void
test_names_error_texts(void)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autofree char *none = rc_tls_receptor_name_error(names, "node2");
	g_autofree char *one = NULL;
	g_autofree char *two = NULL;
	g_assert_cmpstr(none, ==,
			"x509: certificate is not valid for any Receptor node IDs, but wanted to "
			"match node2");
	g_ptr_array_add(names, (gpointer) "node1");
	one = rc_tls_receptor_name_error(names, "node2");
	g_assert_cmpstr(one, ==, "x509: certificate is valid for Receptor node ID node1, not node2");
	g_ptr_array_add(names, (gpointer) "node3");
	two = rc_tls_receptor_name_error(names, "node2");
	g_assert_cmpstr(two, ==,
			"x509: certificate is valid for Receptor node IDs node1, node3, not node2");
}

static char *
hostname_error(RcTestCert *cert, const char *host)
{
	g_autoptr(GError) error = NULL;
	gnutls_x509_crt_t crt = crt_of(cert);
	gboolean ok = rc_tls_check_hostname(crt, host, &error);
	gnutls_x509_crt_deinit(crt);
	return ok ? NULL : g_strdup(error->message);
}

static void
test_hostname_rules(void)
{
	g_autofree char *e1 = hostname_error(certs.node1, "localhost");
	g_autofree char *e2 = hostname_error(certs.node1, "LOCALHOST.");
	g_autofree char *e3 = hostname_error(certs.node1, "127.0.0.1");
	g_autofree char *e4 = hostname_error(certs.node1, "otherhost");
	g_autofree char *e5 = hostname_error(certs.node1, "10.0.0.1");
	g_autofree char *e6 = hostname_error(certs.node2, "127.0.0.1");
	g_autofree char *e7 = hostname_error(certs.nosan, "localhost");
	g_autofree char *e8 = hostname_error(certs.onlyname, "localhost");
	g_autofree char *e9 = hostname_error(certs.node1, "node1");
	g_assert_null(e1);
	g_assert_null(e2);
	g_assert_null(e3);
	g_assert_cmpstr(e4, ==, "x509: certificate is valid for localhost, not otherhost");
	g_assert_cmpstr(e5, ==, "x509: certificate is valid for 127.0.0.1, not 10.0.0.1");
	g_assert_cmpstr(e6, ==,
			"x509: cannot validate certificate for 127.0.0.1 because it doesn't "
			"contain any IP SANs");
	/* GnuTLS would fall back to the CN here; Go never does (Pitfall 7). */
	g_assert_cmpstr(e7, ==,
			"x509: certificate relies on legacy Common Name field, use SANs instead");
	g_assert_cmpstr(e8, ==,
			"x509: certificate is not valid for any names, but wanted to match "
			"localhost");
	/* DNS-type checks never consult the node-ID otherName. */
	g_assert_cmpstr(e9, ==, "x509: certificate is valid for localhost, not node1");
}

/* ------------------------------------------------------------------ config errors */

static void
test_config_missing_cert_file(void)
{
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autofree char *m = add(store, TRUE, server_params("s", "/nonexistent.crt", certs.node1_key),
				 "node1");
	g_assert_cmpstr(m, ==,
			"error preparing tls server config: open /nonexistent.crt: no such file or "
			"directory");
}

static void
test_config_key_mismatch(void)
{
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autofree char *m = add(store, TRUE, server_params("s", certs.node1_crt, certs.node2_key),
				 "node1");
	g_autofree char *m2 = add(store, TRUE, server_params("s", certs.rsa_crt, certs.node1_key),
				  "node1");
	g_assert_cmpstr(m, ==, "error preparing tls server config: tls: private key does not match public key");
	g_assert_cmpstr(m2, ==,
			"error preparing tls server config: tls: private key type does not match "
			"public key type");
}

static void
test_config_pem_inputs(void)
{
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autofree char *empty = g_build_filename(certs.dir, "empty.pem", NULL);
	g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL;
	g_assert_true(g_file_set_contents(empty, "nothing here\n", -1, NULL));
	m1 = add(store, TRUE, server_params("s", empty, certs.node1_key), "node1");
	g_assert_cmpstr(m1, ==,
			"error preparing tls server config: tls: failed to find any PEM data in "
			"certificate input");
	m2 = add(store, TRUE, server_params("s", certs.node1_key, certs.node1_crt), "node1");
	g_assert_cmpstr(m2, ==,
			"error preparing tls server config: tls: failed to find certificate PEM "
			"data in certificate input, but did find a private key; PEM inputs may have "
			"been switched");
	m3 = add(store, TRUE, server_params("s", certs.node1_crt, certs.node1_crt), "node1");
	g_assert_cmpstr(m3, ==,
			"error preparing tls server config: tls: found a certificate rather than a "
			"key in the PEM for the private key");
	m4 = add(store, TRUE, server_params("s", certs.node1_crt, empty), "node1");
	g_assert_cmpstr(m4, ==,
			"error preparing tls server config: tls: failed to find any PEM data in key "
			"input");
}

static void
test_config_node_id_check(void)
{
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autofree char *m = add(store, TRUE, server_params("myserver", certs.node1_crt,
							     certs.node1_key),
				 "foo");
	g_autofree char *expected = g_strdup_printf(
		"error preparing tls server config: nodeID=foo not found in certificate name(s); "
		"names found=[node1]; cfg section=myserver; server cert=%s",
		certs.node1_crt);
	g_autofree char *m2 = add(store, FALSE, client_params("c", certs.nosan_crt, certs.nosan_key),
				  "foo");
	g_autofree char *expected2 = g_strdup_printf(
		"error preparing tls client config: nodeID=foo not found in certificate name(s); "
		"names found=[]; cfg section=c; server cert=%s",
		certs.nosan_crt);
	GVariantDict *d;
	g_assert_cmpstr(m, ==, expected);
	g_assert_cmpstr(m2, ==, expected2);
	d = server_params("myserver", certs.node1_crt, certs.node1_key);
	p_bool(d, "skipreceptornamescheck", TRUE);
	ASSERT_ADD_OK(store, TRUE, d, "foo");
	/* The chain file (leaf first) passes the check too. */
	ASSERT_ADD_OK(store, TRUE, server_params("chain", certs.chain_crt, certs.chain_key), "node1");
}

static void
test_config_client_cert_and_key(void)
{
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autofree char *m = add(store, FALSE, client_params("c", "", certs.node1_key), "node1");
	g_assert_cmpstr(m, ==,
			"error preparing tls client config: cert and key must both be supplied or "
			"neither");
	ASSERT_ADD_OK(store, FALSE, client_params("c", "", ""), "node1");
}

static void
test_config_cas_and_pins(void)
{
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL;
	GVariantDict *d = server_params("s", certs.node1_crt, certs.node1_key);
	p_str(d, "clientcas", "/nonexistent-ca.pem");
	m1 = add(store, TRUE, d, "node1");
	g_assert_cmpstr(m1, ==,
			"error preparing tls server config: error reading client CAs file: open "
			"/nonexistent-ca.pem: no such file or directory");
	d = client_params("c", "", "");
	p_str(d, "rootcas", "/nonexistent-ca.pem");
	m2 = add(store, FALSE, d, "node1");
	g_assert_cmpstr(m2, ==,
			"error preparing tls client config: error reading root CAs file: open "
			"/nonexistent-ca.pem: no such file or directory");
	d = server_params("s", certs.node1_crt, certs.node1_key);
	p_strv(d, "pinnedclientcert", certs.node1_sha256, "E6:9B");
	m3 = add(store, TRUE, d, "node1");
	g_assert_cmpstr(m3, ==,
			"error preparing tls server config: error decoding fingerprints: "
			"fingerprints must be 32 or 64 bytes for sha256 or sha512");
	/* A CA file without certificates is not a start-up error (Pitfall 18). */
	d = client_params("c", "", "");
	p_str(d, "rootcas", certs.node1_key);
	ASSERT_ADD_OK(store, FALSE, d, "node1");
}

static void
test_config_names_and_lookup(void)
{
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(RcTlsConfig) config = NULL;
	g_autofree char *m = NULL, *m2 = NULL;
	GVariantDict *d;

	/* Empty name: checked after the files, not wrapped. */
	m = add(store, TRUE, server_params("", certs.node1_crt, certs.node1_key), "node1");
	g_assert_cmpstr(m, ==, "must provide a name");
	m2 = add(store, TRUE, server_params("", "/nonexistent.crt", certs.node1_key), "node1");
	g_assert_true(g_str_has_prefix(m2, "error preparing tls server config: open "));

	g_assert_false(rc_tls_store_check(store, "nope", TRUE, &error));
	g_assert_cmpstr(error->message, ==, "unknown TLS config nope");
	g_clear_error(&error);
	/* The built-in `default` client has no pin list (tls.md 1.4). */
	g_assert_false(rc_tls_store_check(store, "default", FALSE, &error));
	g_assert_cmpstr(error->message, ==, "pinned fingerprints missing for default");
	g_clear_error(&error);
	g_assert_false(rc_tls_store_check(store, "default", TRUE, &error));
	g_assert_cmpstr(error->message, ==, "unknown TLS config default");
	g_clear_error(&error);
	ASSERT_ADD_OK(store, FALSE, client_params("default", "", ""), "node1");
	g_assert_true(rc_tls_store_check(store, "default", FALSE, &error));
	g_assert_no_error(error);

	/* Servers and clients are separate namespaces; the last one wins. */
	ASSERT_ADD_OK(store, TRUE, server_params("x", certs.node1_crt, certs.node1_key), "node1");
	g_assert_false(rc_tls_store_check(store, "x", FALSE, NULL));
	d = server_params("x", certs.node1_crt, certs.node1_key);
	p_bool(d, "mintls13", TRUE);
	ASSERT_ADD_OK(store, TRUE, d, "node1");
	config = rc_tls_store_lookup(store, "x", TRUE, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(rc_tls_config_get_name(config), ==, "x");
	g_assert_true(rc_tls_config_is_server(config));
}

static void
test_config_verifypeernodeid_needs_verification(void)
{
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autofree char *m1 = NULL, *m2 = NULL;
	GVariantDict *d = server_params("s", certs.node1_crt, certs.node1_key);
	p_bool(d, "verifypeernodeid", TRUE);
	m1 = add(store, TRUE, d, "node1");
	g_assert_cmpstr(m1, ==,
			"error preparing tls server config: verifypeernodeid needs "
			"requireclientcert or clientcas (no client certificate would be asked for)");
	d = client_params("c", "", "");
	p_bool(d, "verifypeernodeid", TRUE);
	p_bool(d, "insecureskipverify", TRUE);
	m2 = add(store, FALSE, d, "node1");
	g_assert_cmpstr(m2, ==,
			"error preparing tls client config: verifypeernodeid cannot be used with "
			"insecureskipverify (the server certificate would not be verified)");
}

static void
test_entity_descriptors(void)
{
	g_assert_cmpstr(rc_tls_server_entity.name, ==, "tls-server");
	g_assert_cmpstr(rc_tls_client_entity.name, ==, "tls-client");
	g_assert_cmpint(rc_tls_server_entity.kind, ==, RC_ENTITY_RESOURCE);
	g_assert_cmpstr(rc_tls_server_entity.description, ==, "Define a TLS server configuration");
	g_assert_cmpstr(rc_tls_client_entity.params[6].name, ==, "skipreceptornamescheck");
	g_assert_null(rc_tls_client_entity.params[6].default_value);
	g_assert_cmpstr(rc_tls_client_entity.params[6].description, ==,
			"if true, skip verifying ReceptorNames OIDs in certificate at startup");
}

/* ------------------------------------------------------------------ handshakes */

typedef struct {
	GIOStream *stream;
	GError *error;
	gboolean done;
} Wrap;

static void
wrap_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Wrap *w = user_data;
	w->stream = rc_tls_wrap_finish(result, &w->error);
	w->done = TRUE;
}

static gboolean
both_done(gpointer data)
{
	Wrap *w = data;
	return w[0].done && w[1].done;
}

static void
socket_pair(GIOStream **a, GIOStream **b)
{
	int fds[2];
	g_autoptr(GSocket) sa = NULL;
	g_autoptr(GSocket) sb = NULL;
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	sa = g_socket_new_from_fd(fds[0], NULL);
	sb = g_socket_new_from_fd(fds[1], NULL);
	g_assert_nonnull(sa);
	g_assert_nonnull(sb);
	*a = G_IO_STREAM(g_socket_connection_factory_create_connection(sa));
	*b = G_IO_STREAM(g_socket_connection_factory_create_connection(sb));
}

/* w[0] = server, w[1] = client. */
static void
handshake(RcTlsConfig *server, RcTlsConfig *client, const char *server_name, Wrap w[2])
{
	g_autoptr(GIOStream) a = NULL;
	g_autoptr(GIOStream) b = NULL;
	socket_pair(&a, &b);
	memset(w, 0, 2 * sizeof(Wrap));
	rc_tls_wrap_async(server, a, NULL, NULL, wrap_done, &w[0]);
	rc_tls_wrap_async(client, b, server_name, NULL, wrap_done, &w[1]);
	g_assert_true(rc_test_wait_until(both_done, w, "both handshakes", DEADLINE_S));
}

static void
wrap_clear(Wrap w[2])
{
	for (int i = 0; i < 2; i++) {
		g_clear_object(&w[i].stream);
		g_clear_error(&w[i].error);
	}
}

typedef struct {
	GInputStream *in;
	guint8 buf[256];
	gssize n;
	GError *error;
	gboolean done;
} Read;

static void
read_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Read *r = user_data;
	r->n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &r->error);
	r->done = TRUE;
}

static gboolean
read_is_done(gpointer data)
{
	return ((Read *)data)->done;
}

/* Write `text` on `from`, read it on `to` (async, so both ends progress). */
static void
exchange(GIOStream *from, GIOStream *to, const char *text, Read *r)
{
	g_autoptr(GError) error = NULL;
	memset(r, 0, sizeof(*r));
	g_input_stream_read_async(g_io_stream_get_input_stream(to), r->buf, sizeof(r->buf),
				  G_PRIORITY_DEFAULT, NULL, read_done, r);
	g_assert_cmpint(g_pollable_output_stream_write_nonblocking(
				G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(from)), text,
				strlen(text), NULL, &error),
			==, (gssize)strlen(text));
	g_assert_no_error(error);
	g_assert_true(rc_test_wait_until(read_is_done, r, "read", DEADLINE_S));
}

static RcTlsConfig *
lookup(RcTlsStore *store, const char *name, gboolean server)
{
	g_autoptr(GError) error = NULL;
	RcTlsConfig *config = rc_tls_store_lookup(store, name, server, &error);
	g_assert_no_error(error);
	return config;
}

static RcTlsStore *
standard_store(void)
{
	RcTlsStore *store = rc_tls_store_new();
	GVariantDict *d;
	/* mutual TLS */
	d = server_params("mutual", certs.node1_crt, certs.node1_key);
	p_bool(d, "requireclientcert", TRUE);
	p_str(d, "clientcas", certs.ca);
	ASSERT_ADD_OK(store, TRUE, d, "node1");
	d = client_params("mutual", certs.node2_crt, certs.node2_key);
	p_str(d, "rootcas", certs.ca);
	ASSERT_ADD_OK(store, FALSE, d, "node2");
	/* plain server, client without a certificate */
	ASSERT_ADD_OK(store, TRUE, server_params("plain", certs.node1_crt, certs.node1_key),
		      "node1");
	d = client_params("nocert", "", "");
	p_str(d, "rootcas", certs.ca);
	ASSERT_ADD_OK(store, FALSE, d, "node2");
	return store;
}

static void
test_handshake_mutual_both_directions(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = lookup(store, "mutual", TRUE);
	g_autoptr(RcTlsConfig) client = lookup(store, "mutual", FALSE);
	Wrap w[2];
	Read r;
	handshake(server, client, "localhost", w);
	g_assert_no_error(w[0].error);
	g_assert_no_error(w[1].error);
	g_assert_true(rc_tls_is_tls_stream(w[0].stream));
	g_assert_cmpint(gnutls_protocol_get_version(rc_tls_stream_get_session(w[1].stream)), ==,
			GNUTLS_TLS1_3);
	exchange(w[1].stream, w[0].stream, "hello server", &r);
	g_assert_no_error(r.error);
	g_assert_cmpmem(r.buf, r.n, "hello server", 12);
	exchange(w[0].stream, w[1].stream, "hello client", &r);
	g_assert_no_error(r.error);
	g_assert_cmpmem(r.buf, r.n, "hello client", 12);
	wrap_clear(w);
}

static void
test_handshake_rsa_server_suites(void)
{
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autoptr(RcTlsConfig) server = NULL;
	g_autoptr(RcTlsConfig) client = NULL;
	g_autoptr(GError) error = NULL;
	gnutls_session_t s;
	Wrap w[2];
	GVariantDict *d;
	ASSERT_ADD_OK(store, TRUE, server_params("rsa", certs.rsa_crt, certs.rsa_key), "node1");
	d = client_params("c", "", "");
	p_str(d, "rootcas", certs.ca);
	ASSERT_ADD_OK(store, FALSE, d, "node2");
	server = lookup(store, "rsa", TRUE);
	client = lookup(store, "c", FALSE);
	handshake(server, client, "127.0.0.1", w);
	g_assert_no_error(w[0].error);
	g_assert_no_error(w[1].error);
	s = rc_tls_stream_get_session(w[0].stream);
	g_assert_cmpint(gnutls_protocol_get_version(s), ==, GNUTLS_TLS1_3);
	g_assert_cmpint(gnutls_cipher_get(s), ==, GNUTLS_CIPHER_AES_256_GCM);
	wrap_clear(w);
}

static void
test_handshake_untrusted_ca_refused(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = NULL;
	g_autoptr(RcTlsConfig) client = lookup(store, "nocert", FALSE);
	Wrap w[2];
	ASSERT_ADD_OK(store, TRUE, server_params("u", certs.untrusted_crt, certs.untrusted_key),
		      "node1");
	server = lookup(store, "u", TRUE);
	handshake(server, client, "localhost", w);
	g_assert_error(w[1].error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_cmpstr(w[1].error->message, ==,
			"tls: failed to verify certificate: x509: certificate signed by unknown "
			"authority");
	g_assert_nonnull(w[0].error);
	g_assert_cmpstr(w[0].error->message, ==, "remote error: tls: bad certificate");
	wrap_clear(w);
}

static void
test_handshake_expired_refused(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = NULL;
	g_autoptr(RcTlsConfig) client = lookup(store, "nocert", FALSE);
	Wrap w[2];
	ASSERT_ADD_OK(store, TRUE, server_params("e", certs.expired_crt, certs.expired_key),
		      "node1");
	server = lookup(store, "e", TRUE);
	handshake(server, client, "localhost", w);
	g_assert_nonnull(w[1].error);
	g_assert_true(g_str_has_prefix(w[1].error->message,
				       "tls: failed to verify certificate: x509: certificate has "
				       "expired or is not yet valid: current time "));
	wrap_clear(w);
}

static void
test_handshake_hostname_mismatch_refused(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = lookup(store, "plain", TRUE);
	g_autoptr(RcTlsConfig) client = lookup(store, "nocert", FALSE);
	Wrap w[2];
	handshake(server, client, "otherhost", w);
	g_assert_nonnull(w[1].error);
	g_assert_cmpstr(w[1].error->message, ==,
			"tls: failed to verify certificate: x509: certificate is valid for "
			"localhost, not otherhost");
	wrap_clear(w);
	/* An IP literal is checked against IP SANs and never sent as SNI. */
	handshake(server, client, "127.0.0.1", w);
	g_assert_no_error(w[1].error);
	g_assert_no_error(w[0].error);
	wrap_clear(w);
}

static void
test_handshake_insecureskipverify_accepts_anything(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = NULL;
	g_autoptr(RcTlsConfig) client = NULL;
	GVariantDict *d = client_params("insecure", "", "");
	Wrap w[2];
	p_bool(d, "insecureskipverify", TRUE);
	p_strv(d, "pinnedservercert", certs.node2_sha256, NULL);
	ASSERT_ADD_OK(store, FALSE, d, "node2");
	ASSERT_ADD_OK(store, TRUE, server_params("u", certs.untrusted_crt, certs.untrusted_key),
		      "node1");
	server = lookup(store, "u", TRUE);
	client = lookup(store, "insecure", FALSE);
	handshake(server, client, "otherhost", w);
	g_assert_no_error(w[0].error);
	g_assert_no_error(w[1].error);
	wrap_clear(w);
}

static void
test_handshake_server_pins(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = lookup(store, "plain", TRUE);
	g_autoptr(RcTlsConfig) good = NULL;
	g_autoptr(RcTlsConfig) bad = NULL;
	GVariantDict *d;
	Wrap w[2];
	d = client_params("good", "", "");
	p_str(d, "rootcas", certs.ca);
	p_strv(d, "pinnedservercert", certs.node2_sha256, certs.node1_sha512);
	ASSERT_ADD_OK(store, FALSE, d, "node2");
	d = client_params("bad", "", "");
	p_str(d, "rootcas", certs.ca);
	p_strv(d, "pinnedservercert", certs.node2_sha256, NULL);
	ASSERT_ADD_OK(store, FALSE, d, "node2");
	good = lookup(store, "good", FALSE);
	bad = lookup(store, "bad", FALSE);
	handshake(server, good, "localhost", w);
	g_assert_no_error(w[1].error);
	wrap_clear(w);
	g_string_truncate(captured_log, 0);
	handshake(server, bad, "localhost", w);
	g_assert_nonnull(w[1].error);
	g_assert_cmpstr(w[1].error->message, ==,
			"RVF failed: presented certificate does not match any pinned fingerprint");
	g_assert_nonnull(strstr(captured_log->str,
				"RVF failed: presented certificate does not match any pinned "
				"fingerprint\n"));
	wrap_clear(w);
}

static void
test_handshake_client_pins(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = NULL;
	g_autoptr(RcTlsConfig) client = lookup(store, "mutual", FALSE);
	GVariantDict *d = server_params("pinned", certs.node1_crt, certs.node1_key);
	Wrap w[2];
	Read r;
	p_bool(d, "requireclientcert", TRUE);
	p_str(d, "clientcas", certs.ca);
	p_strv(d, "pinnedclientcert", certs.node1_sha256, NULL);
	ASSERT_ADD_OK(store, TRUE, d, "node1");
	server = lookup(store, "pinned", TRUE);
	handshake(server, client, "localhost", w);
	g_assert_nonnull(w[0].error);
	g_assert_cmpstr(w[0].error->message, ==,
			"RVF failed: presented certificate does not match any pinned fingerprint");
	/* TLS 1.3: the client learns it on its first read (Pitfall 20). */
	if (w[1].error == NULL) {
		memset(&r, 0, sizeof(r));
		g_input_stream_read_async(g_io_stream_get_input_stream(w[1].stream), r.buf,
					  sizeof(r.buf), G_PRIORITY_DEFAULT, NULL, read_done, &r);
		g_assert_true(rc_test_wait_until(read_is_done, &r, "client read", DEADLINE_S));
		g_assert_nonnull(r.error);
		g_assert_cmpstr(r.error->message, ==, "remote error: tls: bad certificate");
		g_clear_error(&r.error);
	}
	wrap_clear(w);
}

static void
test_handshake_require_without_client_cert(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = lookup(store, "mutual", TRUE);
	g_autoptr(RcTlsConfig) client = lookup(store, "nocert", FALSE);
	Wrap w[2];
	handshake(server, client, "localhost", w);
	g_assert_nonnull(w[0].error);
	g_assert_cmpstr(w[0].error->message, ==, "tls: client didn't provide a certificate");
	wrap_clear(w);
}

static void
test_handshake_verify_if_given_requires_cert(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = NULL;
	g_autoptr(RcTlsConfig) client = lookup(store, "nocert", FALSE);
	g_autoptr(RcTlsConfig) mutual = lookup(store, "mutual", FALSE);
	GVariantDict *d = server_params("ifgiven", certs.node1_crt, certs.node1_key);
	Wrap w[2];
	p_str(d, "clientcas", certs.ca);
	ASSERT_ADD_OK(store, TRUE, d, "node1");
	server = lookup(store, "ifgiven", TRUE);
	g_string_truncate(captured_log, 0);
	handshake(server, client, "localhost", w);
	g_assert_nonnull(w[0].error);
	g_assert_cmpstr(w[0].error->message, ==, "RVF failed: peer certificate missing");
	g_assert_nonnull(strstr(captured_log->str, "RVF failed: peer certificate missing\n"));
	wrap_clear(w);
	handshake(server, mutual, "localhost", w);
	g_assert_no_error(w[0].error);
	g_assert_no_error(w[1].error);
	wrap_clear(w);
}

static void
test_handshake_client_cert_untrusted_refused(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = lookup(store, "mutual", TRUE);
	g_autoptr(RcTlsConfig) sys_server = NULL;
	g_autoptr(RcTlsConfig) client = NULL;
	GVariantDict *d = client_params("u", certs.untrusted_crt, certs.untrusted_key);
	Wrap w[2];
	p_str(d, "rootcas", certs.ca);
	ASSERT_ADD_OK(store, FALSE, d, "node1");
	client = lookup(store, "u", FALSE);
	/* The server names its clientcas in the request, so the client (like a
	 * Go client) does not offer a certificate from another issuer. */
	handshake(server, client, "localhost", w);
	g_assert_nonnull(w[0].error);
	g_assert_cmpstr(w[0].error->message, ==, "tls: client didn't provide a certificate");
	wrap_clear(w);
	/* Require mode without clientcas: no CA names, system trust. */
	d = server_params("sys", certs.node1_crt, certs.node1_key);
	p_bool(d, "requireclientcert", TRUE);
	ASSERT_ADD_OK(store, TRUE, d, "node1");
	sys_server = lookup(store, "sys", TRUE);
	handshake(sys_server, client, "localhost", w);
	g_assert_nonnull(w[0].error);
	g_assert_cmpstr(w[0].error->message, ==,
			"tls: failed to verify certificate: x509: certificate signed by unknown "
			"authority");
	/* Like Go's server, the alert names the reason (the client learns it on
	 * its first read in TLS 1.3). */
	if (w[1].error == NULL) {
		Read r;
		memset(&r, 0, sizeof(r));
		g_input_stream_read_async(g_io_stream_get_input_stream(w[1].stream), r.buf,
					  sizeof(r.buf), G_PRIORITY_DEFAULT, NULL, read_done, &r);
		g_assert_true(rc_test_wait_until(read_is_done, &r, "client read", DEADLINE_S));
		g_assert_nonnull(r.error);
		g_assert_cmpstr(r.error->message, ==, "remote error: tls: unknown certificate authority");
		g_clear_error(&r.error);
	}
	wrap_clear(w);
}

/* EKU: a serverAuth-only certificate cannot be a client certificate. */
static void
test_handshake_client_cert_wrong_purpose(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = lookup(store, "mutual", TRUE);
	g_autoptr(RcTlsConfig) client = NULL;
	GVariantDict *d = client_params("so", certs.serveronly_crt, certs.serveronly_key);
	Wrap w[2];
	p_str(d, "rootcas", certs.ca);
	ASSERT_ADD_OK(store, FALSE, d, "node1");
	client = lookup(store, "so", FALSE);
	handshake(server, client, "localhost", w);
	g_assert_nonnull(w[0].error);
	g_assert_cmpstr(w[0].error->message, ==,
			"tls: failed to verify certificate: x509: certificate specifies an "
			"incompatible key usage");
	wrap_clear(w);
}

static void
test_handshake_not_tls(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) client = lookup(store, "nocert", FALSE);
	g_autoptr(GIOStream) a = NULL;
	g_autoptr(GIOStream) b = NULL;
	const char *http = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	Wrap w[2];
	memset(w, 0, sizeof(w));
	socket_pair(&a, &b);
	g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(a), http,
						strlen(http), NULL, NULL, NULL));
	w[0].done = TRUE;
	rc_tls_wrap_async(client, b, "localhost", NULL, wrap_done, &w[1]);
	g_assert_true(rc_test_wait_until(both_done, w, "client handshake", DEADLINE_S));
	g_assert_nonnull(w[1].error);
	g_assert_cmpstr(w[1].error->message, ==,
			"tls: first record does not look like a TLS handshake");
	wrap_clear(w);
}

static void
test_handshake_cancelled(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) client = lookup(store, "nocert", FALSE);
	g_autoptr(GIOStream) a = NULL;
	g_autoptr(GIOStream) b = NULL;
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	Wrap w[2];
	memset(w, 0, sizeof(w));
	socket_pair(&a, &b);
	w[0].done = TRUE;
	rc_tls_wrap_async(client, b, "localhost", cancel, wrap_done, &w[1]);
	g_cancellable_cancel(cancel);
	g_assert_true(rc_test_wait_until(both_done, w, "cancelled handshake", DEADLINE_S));
	g_assert_error(w[1].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	wrap_clear(w);
}

/* ------------------------------------------------------------------ bulk data */

typedef struct {
	GByteArray *got;
	gsize want;
	gboolean spliced;
	GError *error;
} Bulk;

static void
bulk_write_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Bulk *b = user_data;
	gsize written = 0;
	g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, &written, &b->error);
	b->spliced = TRUE;
}

static guint8 bulk_buf[4096];

static void bulk_read_next(GInputStream *in, Bulk *b);

static void
bulk_read_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Bulk *b = user_data;
	GError *error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	if (n <= 0) {
		if (error != NULL)
			b->error = error;
		b->want = b->got->len; /* stop */
		return;
	}
	g_byte_array_append(b->got, bulk_buf, (guint)n);
	if (b->got->len < b->want)
		bulk_read_next(G_INPUT_STREAM(source), b);
}

static void
bulk_read_next(GInputStream *in, Bulk *b)
{
	g_input_stream_read_async(in, bulk_buf, sizeof(bulk_buf), G_PRIORITY_DEFAULT, NULL,
				  bulk_read_done, b);
}

static gboolean
bulk_done(gpointer data)
{
	Bulk *b = data;
	return b->spliced && b->got->len >= b->want;
}

/* 4 MiB through the stream with a reader slower than the writer: the
 * writer's async write completes only as the reader drains (backpressure). */
static void
test_stream_bulk_transfer(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = lookup(store, "plain", TRUE);
	g_autoptr(RcTlsConfig) client = lookup(store, "nocert", FALSE);
	g_autofree guint8 *data = g_malloc(4 * 1024 * 1024);
	Bulk b = { g_byte_array_new(), 4 * 1024 * 1024, FALSE, NULL };
	Wrap w[2];
	for (gsize i = 0; i < b.want; i++)
		data[i] = (guint8)(i * 7 + (i >> 12));
	handshake(server, client, "localhost", w);
	g_assert_no_error(w[1].error);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(w[1].stream), data, b.want,
					G_PRIORITY_DEFAULT, NULL, bulk_write_done, &b);
	bulk_read_next(g_io_stream_get_input_stream(w[0].stream), &b);
	g_assert_true(rc_test_wait_until(bulk_done, &b, "bulk transfer", DEADLINE_S * 3));
	g_assert_no_error(b.error);
	g_assert_cmpuint(b.got->len, ==, b.want);
	g_assert_cmpmem(b.got->data, b.got->len, data, b.want);
	g_byte_array_unref(b.got);
	wrap_clear(w);
}

static void
close_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	gboolean *done = user_data;
	g_assert_true(g_io_stream_close_finish(G_IO_STREAM(source), result, NULL));
	*done = TRUE;
}

static gboolean
bool_is_true(gpointer data)
{
	return *(gboolean *)data;
}

/* Closing one end sends close_notify: the other end reads EOF. */
static void
test_stream_close_gives_eof(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = lookup(store, "plain", TRUE);
	g_autoptr(RcTlsConfig) client = lookup(store, "nocert", FALSE);
	gboolean closed = FALSE;
	Read r;
	Wrap w[2];
	handshake(server, client, "localhost", w);
	g_assert_no_error(w[1].error);
	g_io_stream_close_async(w[1].stream, G_PRIORITY_DEFAULT, NULL, close_done, &closed);
	g_assert_true(rc_test_wait_until(bool_is_true, &closed, "close", DEADLINE_S));
	memset(&r, 0, sizeof(r));
	g_input_stream_read_async(g_io_stream_get_input_stream(w[0].stream), r.buf, sizeof(r.buf),
				  G_PRIORITY_DEFAULT, NULL, read_done, &r);
	g_assert_true(rc_test_wait_until(read_is_done, &r, "EOF", DEADLINE_S));
	g_assert_no_error(r.error);
	g_assert_cmpint(r.n, ==, 0);
	wrap_clear(w);
}

/* ------------------------------------------------------------------ node-ID binding */

static void
test_peer_node_binding(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = NULL;
	g_autoptr(RcTlsConfig) client = NULL;
	g_autoptr(RcTlsConfig) plain_client = lookup(store, "mutual", FALSE);
	g_autoptr(RcTlsConfig) plain_server = lookup(store, "mutual", TRUE);
	g_autoptr(GError) error = NULL;
	GVariantDict *d = server_params("bind", certs.node1_crt, certs.node1_key);
	Wrap w[2];
	p_bool(d, "requireclientcert", TRUE);
	p_str(d, "clientcas", certs.ca);
	p_bool(d, "verifypeernodeid", TRUE);
	ASSERT_ADD_OK(store, TRUE, d, "node1");
	d = client_params("bind", certs.node2_crt, certs.node2_key);
	p_str(d, "rootcas", certs.ca);
	p_bool(d, "verifypeernodeid", TRUE);
	ASSERT_ADD_OK(store, FALSE, d, "node2");
	server = lookup(store, "bind", TRUE);
	client = lookup(store, "bind", FALSE);

	handshake(server, client, "localhost", w);
	g_assert_no_error(w[0].error);
	g_assert_no_error(w[1].error);
	/* The server sees node2's certificate, the client node1's. */
	g_assert_true(rc_tls_peer_matches_node(w[0].stream, "node2", &error));
	g_assert_no_error(error);
	g_assert_true(rc_tls_peer_matches_node(w[1].stream, "node1", &error));
	g_assert_no_error(error);
	g_assert_false(rc_tls_peer_matches_node(w[0].stream, "node3", &error));
	g_assert_cmpstr(error->message, ==,
			"x509: certificate is valid for Receptor node ID node2, not node3");
	g_clear_error(&error);
	wrap_clear(w);

	/* Without the option (Go's behaviour) any announced ID is accepted. */
	handshake(plain_server, plain_client, "localhost", w);
	g_assert_no_error(w[0].error);
	g_assert_true(rc_tls_peer_matches_node(w[0].stream, "node3", &error));
	g_assert_no_error(error);
	wrap_clear(w);
	/* Not a TLS stream at all: nothing to bind. */
	g_assert_true(rc_tls_peer_matches_node(NULL, "node3", &error));
}

/* ------------------------------------------------------------------ mesh sessions */

typedef struct {
	gnutls_session_t s[2];
	int r[2];
} Mesh;

/* Drive two raw GnuTLS sessions (set up by rc_tls_setup_session, as the QUIC
 * layer would) over a non-blocking socketpair until both finish. */
static void
mesh_handshake(Mesh *m)
{
	int fds[2];
	gint64 deadline = g_get_monotonic_time() + (gint64)(rc_test_scale(DEADLINE_S) * G_USEC_PER_SEC);
	gboolean done[2] = { FALSE, FALSE };
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), ==, 0);
	for (int i = 0; i < 2; i++)
		gnutls_transport_set_int(m->s[i], fds[i]);
	while (!(done[0] && done[1]) && g_get_monotonic_time() < deadline) {
		for (int i = 0; i < 2; i++) {
			if (done[i])
				continue;
			m->r[i] = gnutls_handshake(m->s[i]);
			if (m->r[i] != GNUTLS_E_AGAIN && m->r[i] != GNUTLS_E_INTERRUPTED) {
				done[i] = TRUE;
				if (m->r[i] < 0)
					close(fds[i]); /* let the other side fail too */
			}
		}
	}
	g_assert_true(done[0] && done[1]);
	close(fds[0]);
	close(fds[1]);
}

static void
test_mesh_session_node_id_checks(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(GError) error = NULL;
	g_autoptr(RcTlsVerify) vs = NULL;
	g_autoptr(RcTlsVerify) vc = NULL;
	Mesh m;

	/* Client dials node1 and the server's certificate names node1; the
	 * server (require mode) expects the connecting node node2. */
	gnutls_init(&m.s[0], GNUTLS_SERVER | GNUTLS_NONBLOCK);
	gnutls_init(&m.s[1], GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	vs = rc_tls_setup_session(store, "mutual", TRUE, m.s[0], "node2", &error);
	g_assert_no_error(error);
	vc = rc_tls_setup_session(store, "mutual", FALSE, m.s[1], "node1", &error);
	g_assert_no_error(error);
	mesh_handshake(&m);
	g_assert_cmpint(m.r[0], ==, 0);
	g_assert_cmpint(m.r[1], ==, 0);
	gnutls_deinit(m.s[0]);
	gnutls_deinit(m.s[1]);
	g_clear_pointer(&vs, rc_tls_verify_free);
	g_clear_pointer(&vc, rc_tls_verify_free);

	/* Dialling "node3": the server's certificate is for node1. */
	g_string_truncate(captured_log, 0);
	gnutls_init(&m.s[0], GNUTLS_SERVER | GNUTLS_NONBLOCK);
	gnutls_init(&m.s[1], GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	vs = rc_tls_setup_session(store, "plain", TRUE, m.s[0], "node2", &error);
	vc = rc_tls_setup_session(store, "mutual", FALSE, m.s[1], "node3", &error);
	g_assert_no_error(error);
	mesh_handshake(&m);
	g_assert_cmpint(m.r[1], <, 0);
	g_assert_cmpstr(rc_tls_verify_get_error(vc), ==,
			"x509: certificate is valid for Receptor node ID node1, not node3");
	g_assert_nonnull(strstr(captured_log->str,
				"RVF ReceptorNameError: expected node3 but found node1\n"));
	gnutls_deinit(m.s[0]);
	gnutls_deinit(m.s[1]);
	g_clear_pointer(&vs, rc_tls_verify_free);
	g_clear_pointer(&vc, rc_tls_verify_free);

	/* Server in require mode: the client certificate must name the
	 * connecting node (node4 here, the certificate says node2). */
	gnutls_init(&m.s[0], GNUTLS_SERVER | GNUTLS_NONBLOCK);
	gnutls_init(&m.s[1], GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	vs = rc_tls_setup_session(store, "mutual", TRUE, m.s[0], "node4", &error);
	vc = rc_tls_setup_session(store, "mutual", FALSE, m.s[1], "node1", &error);
	g_assert_no_error(error);
	mesh_handshake(&m);
	g_assert_cmpint(m.r[0], <, 0);
	g_assert_cmpstr(rc_tls_verify_get_error(vs), ==,
			"x509: certificate is valid for Receptor node ID node2, not node4");
	gnutls_deinit(m.s[0]);
	gnutls_deinit(m.s[1]);

	g_assert_null(rc_tls_setup_session(store, "nope", FALSE, m.s[1], "x", &error));
	g_assert_cmpstr(error->message, ==, "unknown TLS config nope");
}

/* ------------------------------------------------------------------ receptorctl (sync) */

typedef struct {
	RcTlsConfig *config;
	GIOStream *base;
	GIOStream *tls;
	GError *error;
} SyncServer;

static gpointer
sync_server_thread(gpointer data)
{
	SyncServer *s = data;
	s->tls = rc_tls_wrap_sync(s->config, s->base, NULL, NULL, &s->error);
	if (s->tls != NULL) {
		char buf[16] = { 0 };
		gsize n = 0;
		/* echo one message */
		if (g_input_stream_read_all(g_io_stream_get_input_stream(s->tls), buf, 4, &n, NULL,
					    &s->error))
			g_output_stream_write_all(g_io_stream_get_output_stream(s->tls), buf, n,
						  NULL, NULL, &s->error);
	}
	return NULL;
}

/* receptorctl's --insecureskipverify skips only the host-name check. */
static char *
ctl_connect(RcTlsStore *store, const char *server_name, gboolean insecure, const char *server_cfg)
{
	g_autoptr(RcTlsConfig) server = lookup(store, server_cfg, TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcTlsConfig) client =
		rc_tls_config_new_ctl_client(certs.ca, NULL, NULL, insecure, &error);
	g_autoptr(GIOStream) a = NULL;
	g_autoptr(GIOStream) b = NULL;
	g_autoptr(GIOStream) tls = NULL;
	SyncServer s = { server, NULL, NULL, NULL };
	GThread *thread;
	char *result = NULL;
	g_assert_no_error(error);
	socket_pair(&a, &b);
	s.base = a;
	thread = g_thread_new("tls-server", sync_server_thread, &s);
	tls = rc_tls_wrap_sync(client, b, server_name, NULL, &error);
	if (tls != NULL) {
		char buf[8] = { 0 };
		gsize n = 0;
		g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(tls), "ping",
							4, NULL, NULL, &error));
		g_assert_true(g_input_stream_read_all(g_io_stream_get_input_stream(tls), buf, 4, &n,
						      NULL, &error));
		g_assert_cmpmem(buf, n, "ping", 4);
		g_clear_object(&tls);
	} else {
		result = g_strdup(error->message);
		g_clear_object(&b); /* the server sees EOF */
	}
	g_thread_join(thread);
	g_clear_object(&s.tls);
	g_clear_error(&s.error);
	return result;
}

static void
test_ctl_client_sync(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autofree char *ok = NULL, *ok2 = NULL, *host = NULL, *untrusted = NULL;
	ASSERT_ADD_OK(store, TRUE, server_params("u", certs.untrusted_crt, certs.untrusted_key),
		      "node1");
	ok = ctl_connect(store, "localhost", FALSE, "plain");
	g_assert_null(ok);
	host = ctl_connect(store, "otherhost", FALSE, "plain");
	g_assert_cmpstr(host, ==,
			"tls: failed to verify certificate: x509: certificate is valid for "
			"localhost, not otherhost");
	ok2 = ctl_connect(store, "otherhost", TRUE, "plain");
	g_assert_null(ok2);
	untrusted = ctl_connect(store, "localhost", TRUE, "u");
	g_assert_cmpstr(untrusted, ==,
			"tls: failed to verify certificate: x509: certificate signed by unknown "
			"authority");
}

/* A stream made by rc_tls_wrap_sync (receptorctl) still works with async,
 * non-blocking I/O on a loop: a pending read must not block the write that
 * the peer is waiting for (`receptorctl connect` pumps both directions). */
static void
test_ctl_sync_stream_async_io(void)
{
	g_autoptr(RcTlsStore) store = standard_store();
	g_autoptr(RcTlsConfig) server = lookup(store, "plain", TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcTlsConfig) client =
		rc_tls_config_new_ctl_client(certs.ca, NULL, NULL, FALSE, &error);
	g_autoptr(GIOStream) a = NULL;
	g_autoptr(GIOStream) b = NULL;
	g_autoptr(GIOStream) tls = NULL;
	SyncServer srv = { server, NULL, NULL, NULL };
	GThread *thread;
	Read r;
	g_assert_no_error(error);
	socket_pair(&a, &b);
	srv.base = a;
	thread = g_thread_new("tls-server", sync_server_thread, &srv);
	tls = rc_tls_wrap_sync(client, b, "localhost", NULL, &error);
	g_assert_no_error(error);
	memset(&r, 0, sizeof(r));
	g_input_stream_read_async(g_io_stream_get_input_stream(tls), r.buf, sizeof(r.buf),
				  G_PRIORITY_DEFAULT, NULL, read_done, &r);
	g_assert_cmpint(g_pollable_output_stream_write_nonblocking(
				G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(tls)), "pong",
				4, NULL, &error),
			==, 4);
	g_assert_true(rc_test_wait_until(read_is_done, &r, "echo", DEADLINE_S));
	g_assert_no_error(r.error);
	g_assert_cmpmem(r.buf, r.n, "pong", 4);
	g_thread_join(thread);
	g_clear_object(&srv.tls);
	g_clear_error(&srv.error);
}

int
main(int argc, char **argv)
{
	int ret;
	g_test_init(&argc, &argv, NULL);
	/* RVF failures are logged with rc_log_error (WARNING): captured, not fatal. */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	captured_log = g_string_new(NULL);
	g_log_set_writer_func(capture_writer, NULL, NULL);
	make_certs();

	g_test_add_func("/tls/fingerprints/decode-with-colons-and-any-case", test_fingerprints_decode);
	g_test_add_func("/tls/fingerprints/bad-entries-have-go-texts", test_fingerprints_errors);
	g_test_add_func("/tls/pem/parse-skips-garbage-like-go", test_pem_parse_skips_garbage);
	g_test_add_func("/tls/names/node-ids-from-othername-sans", test_names_from_certificate);
	g_test_add_func("/tls/names/othername-encoding-matches-spec", test_names_encoding_matches_spec);
	g_test_add_func("/tls/names/mismatch-texts", test_names_error_texts);
	g_test_add_func("/tls/hostname/go-rules-and-texts", test_hostname_rules);
	g_test_add_func("/tls/config/missing-cert-file", test_config_missing_cert_file);
	g_test_add_func("/tls/config/key-must-match-certificate", test_config_key_mismatch);
	g_test_add_func("/tls/config/pem-input-errors", test_config_pem_inputs);
	g_test_add_func("/tls/config/startup-node-id-check", test_config_node_id_check);
	g_test_add_func("/tls/config/client-cert-and-key-both-or-neither",
			test_config_client_cert_and_key);
	g_test_add_func("/tls/config/ca-files-and-pins", test_config_cas_and_pins);
	g_test_add_func("/tls/config/names-lookup-default-and-last-wins",
			test_config_names_and_lookup);
	g_test_add_func("/tls/config/verifypeernodeid-needs-verification",
			test_config_verifypeernodeid_needs_verification);
	g_test_add_func("/tls/config/entity-descriptors", test_entity_descriptors);
	g_test_add_func("/tls/handshake/mutual-tls-data-both-directions",
			test_handshake_mutual_both_directions);
	g_test_add_func("/tls/handshake/rsa-server-prefers-aes-256-gcm", test_handshake_rsa_server_suites);
	g_test_add_func("/tls/handshake/untrusted-ca-refused", test_handshake_untrusted_ca_refused);
	g_test_add_func("/tls/handshake/expired-certificate-refused", test_handshake_expired_refused);
	g_test_add_func("/tls/handshake/hostname-mismatch-refused",
			test_handshake_hostname_mismatch_refused);
	g_test_add_func("/tls/handshake/insecureskipverify-accepts-anything",
			test_handshake_insecureskipverify_accepts_anything);
	g_test_add_func("/tls/handshake/server-pins-match-and-mismatch", test_handshake_server_pins);
	g_test_add_func("/tls/handshake/client-pin-mismatch-refused", test_handshake_client_pins);
	g_test_add_func("/tls/handshake/require-mode-refuses-missing-client-cert",
			test_handshake_require_without_client_cert);
	g_test_add_func("/tls/handshake/verify-if-given-still-requires-a-cert",
			test_handshake_verify_if_given_requires_cert);
	g_test_add_func("/tls/handshake/untrusted-client-cert-refused",
			test_handshake_client_cert_untrusted_refused);
	g_test_add_func("/tls/handshake/server-only-eku-refused-as-client-cert",
			test_handshake_client_cert_wrong_purpose);
	g_test_add_func("/tls/handshake/plain-text-peer-is-not-tls", test_handshake_not_tls);
	g_test_add_func("/tls/handshake/cancelled", test_handshake_cancelled);
	g_test_add_func("/tls/stream/bulk-transfer-with-backpressure", test_stream_bulk_transfer);
	g_test_add_func("/tls/stream/close-gives-peer-eof", test_stream_close_gives_eof);
	g_test_add_func("/tls/binding/verifypeernodeid-on-and-off", test_peer_node_binding);
	g_test_add_func("/tls/mesh/session-node-id-checks", test_mesh_session_node_id_checks);
	g_test_add_func("/tls/ctl/sync-client-skips-only-hostname", test_ctl_client_sync);
	g_test_add_func("/tls/ctl/sync-stream-async-io-does-not-block", test_ctl_sync_stream_async_io);
	ret = g_test_run();
	rc_test_rmtree(certs.dir);
	return ret;
}
