/* fuzz-pem.c: the TLS module's parsers (tls.md 1.3, 5.1, 6): PEM scanning,
 * certificate import with node-ID otherName and host-name extraction, and
 * pinned-fingerprint decoding.  The whole input is scanned as PEM; every
 * CERTIFICATE block (and the whole input taken as DER) goes through the
 * node-ID and host-name code; each input line is decoded as a fingerprint. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "rc-tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_der(const guint8 *der, gsize len)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = { (unsigned char *)der, (unsigned int)len };
	g_autoptr(GPtrArray) names = NULL;
	if (len > G_MAXUINT || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0) {
		names = rc_tls_receptor_names(crt, NULL);
		if (names != NULL) {
			g_autofree char *msg = rc_tls_receptor_name_error(names, "fuzz");
			g_assert_nonnull(msg);
		}
		(void)rc_tls_check_hostname(crt, "localhost", NULL);
		(void)rc_tls_check_hostname(crt, "127.0.0.1", NULL);
		(void)rc_tls_check_hostname(crt, "[::1]", NULL);
		(void)rc_tls_pins_match(NULL, der, len);
	}
	gnutls_x509_crt_deinit(crt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) blocks = rc_pem_parse(data, size);
	g_autofree char *text = g_strndup((const char *)data, size);
	g_auto(GStrv) lines = g_strsplit(text, "\n", 64);
	for (guint i = 0; i < blocks->len; i++) {
		RcPemBlock *b = g_ptr_array_index(blocks, i);
		gsize len = 0;
		const guint8 *der = g_bytes_get_data(b->der, &len);
		g_assert_nonnull(b->label);
		if (strcmp(b->label, "CERTIFICATE") == 0)
			check_der(der, len);
	}
	check_der(data, size);
	for (guint i = 0; lines[i] != NULL; i++) {
		const char *one[] = { lines[i], NULL };
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) pins = rc_tls_decode_fingerprints(one, &error);
		g_assert_true((pins == NULL) != (error == NULL));
		if (pins != NULL)
			g_assert_cmpuint(pins->len, ==, 1);
	}
	return 0;
}
