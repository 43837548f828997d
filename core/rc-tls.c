/* rc-tls.c: tls-server / tls-client on GnuTLS (tls.md).
 *
 * Layout: configs and the store; pure helpers (PEM, fingerprints, node-ID
 * SANs, host names); preparation of a config from entity parameters
 * (tls.md 1.3); Receptor's verification (tls.md 4, 10.4); the TLS GIOStream
 * (RcTlsConn, with pollable input/output streams) and the wrap calls; the
 * QUIC session helper; the entity descriptors. */
#include "config.h"

#include "rc-tls.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libtasn1.h>

#include "rc-entity.h"
#include "rc-host-calls.h"

/* Largest certificate/key/CA file read at start-up.  Go reads any size; a
 * system CA bundle is ~200 KiB, so 8 MiB is generous (docs/differences.md). */
#define RC_TLS_MAX_FILE_BYTES (8 * 1024 * 1024)
/* Plaintext per TLS record (RFC 8446 5.1: at most 2^14 octets). */
#define RC_TLS_MAX_RECORD_BYTES 16384
/* Ciphertext queued towards the base stream before the TLS stream stops
 * accepting writes (backpressure, STYLE 4 "bounded everything"). */
#define RC_TLS_OUTPUT_HIGH_WATER_BYTES (64 * 1024)

/* tls.md 10.2 priority strings. */
#define RC_TLS_PRIO_TCP                                                                      \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:+ECDHE-ECDSA:-CIPHER-ALL:" \
	"+AES-256-GCM:+AES-128-GCM:-GROUP-ALL:+GROUP-SECP521R1:+GROUP-SECP384R1:+GROUP-SECP256R1"
#define RC_TLS_PRIO_TCP13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define RC_TLS_PRIO_MESH                                                                 \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP521R1:+GROUP-SECP384R1:" \
	"+GROUP-SECP256R1:%DISABLE_TLS13_COMPAT_MODE"
#define RC_TLS_PRIO_MESH13 "NORMAL:-VERS-ALL:+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE"
/* receptorctl: TLS 1.2 or 1.3 with the library's suites (tls.md 8.6). */
#define RC_TLS_PRIO_CTL "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define RC_TLS_SERVER_PRECEDENCE ":%SERVER_PRECEDENCE"

typedef enum {
	RC_TLS_CLIENT_AUTH_NONE,
	RC_TLS_CLIENT_AUTH_REQUEST, /* Go VerifyClientCertIfGiven (tls.md 3) */
	RC_TLS_CLIENT_AUTH_REQUIRE  /* Go RequireAndVerifyClientCert */
} RcTlsClientAuth;

struct _RcTlsConfig {
	grefcount ref;
	char *name;
	gboolean server;
	gboolean builtin_default; /* tls.md 1.4: registered without a pin list */
	gboolean mintls13;
	gboolean has_cert;
	gboolean insecureskipverify; /* client */
	gboolean ctl_skip_hostname;  /* receptorctl's --insecureskipverify */
	gboolean verifypeernodeid;   /* receptor-c extension */
	RcTlsClientAuth client_auth; /* server */
	char *cas_path;              /* nullable: rootcas / clientcas, for logs */
	GPtrArray *pins;             /* GBytes*: decoded fingerprints */
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t priority;      /* TCP / websocket */
	gnutls_priority_t mesh_priority; /* QUIC mesh streams */
};

struct _RcTlsStore {
	GHashTable *servers; /* name -> RcTlsConfig* */
	GHashTable *clients; /* name -> RcTlsConfig* */
};

struct _RcTlsVerify {
	RcTlsConfig *config;
	gboolean verify_server; /* TRUE: we are the client and verify a server */
	gboolean receptor_type; /* expected name is a node ID (else DNS type) */
	gboolean use_pins;
	char *expected; /* "" for none */
	char *error;    /* why the last verification failed */
	int alert;      /* alert to send for it (gnutls_alert_description_t) */
};

/* ================================================================== configs */

RcTlsConfig *
rc_tls_config_ref(RcTlsConfig *config)
{
	g_return_val_if_fail(config != NULL, NULL);
	g_ref_count_inc(&config->ref);
	return config;
}

void
rc_tls_config_unref(RcTlsConfig *config)
{
	if (config == NULL || !g_ref_count_dec(&config->ref))
		return;
	g_free(config->name);
	g_free(config->cas_path);
	g_clear_pointer(&config->pins, g_ptr_array_unref);
	if (config->cred != NULL)
		gnutls_certificate_free_credentials(config->cred);
	if (config->priority != NULL)
		gnutls_priority_deinit(config->priority);
	if (config->mesh_priority != NULL)
		gnutls_priority_deinit(config->mesh_priority);
	g_free(config);
}

static RcTlsConfig *
rc_tls_config_alloc(const char *name, gboolean server)
{
	RcTlsConfig *config = g_new0(RcTlsConfig, 1);
	g_ref_count_init(&config->ref);
	config->name = g_strdup(name);
	config->server = server;
	config->pins = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	return config;
}

const char *
rc_tls_config_get_name(RcTlsConfig *config)
{
	g_return_val_if_fail(config != NULL, NULL);
	return config->name;
}

gboolean
rc_tls_config_is_server(RcTlsConfig *config)
{
	g_return_val_if_fail(config != NULL, FALSE);
	return config->server;
}

/* ================================================================== store */

RcTlsStore *
rc_tls_store_new(void)
{
	RcTlsStore *store = g_new0(RcTlsStore, 1);
	RcTlsConfig *def;
	store->servers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)rc_tls_config_unref);
	store->clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)rc_tls_config_unref);
	/* tls.md 1.4: Go's NewWithConsts registers `default` (minimum TLS 1.2,
	 * no certificate) without a pin list, so looking it up fails. */
	def = rc_tls_config_alloc("default", FALSE);
	def->builtin_default = TRUE;
	g_hash_table_replace(store->clients, g_strdup("default"), def);
	return store;
}

void
rc_tls_store_free(RcTlsStore *store)
{
	if (store == NULL)
		return;
	g_hash_table_unref(store->servers);
	g_hash_table_unref(store->clients);
	g_free(store);
}

static void
rc_tls_core_cleanup(gpointer data)
{
	RcCore *core = data;
	g_clear_pointer(&core->tls, rc_tls_store_free);
}

RcTlsStore *
rc_tls_store_get(RcCore *core)
{
	g_return_val_if_fail(core != NULL, NULL);
	if (core->tls == NULL) {
		core->tls = rc_tls_store_new();
		rc_core_add_cleanup(core, rc_tls_core_cleanup, core);
	}
	return core->tls;
}

RcTlsConfig *
rc_tls_store_lookup(RcTlsStore *store, const char *name, gboolean server, GError **error)
{
	RcTlsConfig *config;
	g_return_val_if_fail(store != NULL, NULL);
	g_return_val_if_fail(name != NULL, NULL);
	config = g_hash_table_lookup(server ? store->servers : store->clients, name);
	if (config == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_NOT_FOUND, "unknown TLS config %s", name);
		return NULL;
	}
	if (config->builtin_default) {
		g_set_error(error, RC_ERROR, RC_ERROR_NOT_FOUND,
			    "pinned fingerprints missing for %s", name);
		return NULL;
	}
	return rc_tls_config_ref(config);
}

gboolean
rc_tls_store_check(RcTlsStore *store, const char *name, gboolean server, GError **error)
{
	g_autoptr(RcTlsConfig) config = rc_tls_store_lookup(store, name, server, error);
	return config != NULL;
}

/* ================================================================== pure helpers */

void
rc_pem_block_free(RcPemBlock *block)
{
	if (block == NULL)
		return;
	g_free(block->label);
	g_clear_pointer(&block->der, g_bytes_unref);
	g_free(block);
}

static const guint8 *
rc_mem_find(const guint8 *hay, gsize hay_len, const char *needle)
{
	gsize n = strlen(needle);
	if (n == 0 || hay_len < n)
		return NULL;
	for (gsize i = 0; i + n <= hay_len; i++) {
		if (hay[i] == (guint8)needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	}
	return NULL;
}

/* Decode a base64 body (whitespace allowed, '=' padding) strictly. */
static GBytes *
rc_pem_decode_body(const guint8 *p, gsize len)
{
	g_autoptr(GString) clean = g_string_sized_new(len);
	gsize pad = 0;
	for (gsize i = 0; i < len; i++) {
		guint8 c = p[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
		} else if (pad > 0 || !(g_ascii_isalnum(c) || c == '+' || c == '/')) {
			return NULL;
		}
		g_string_append_c(clean, (char)c);
	}
	if (clean->len % 4 != 0 || pad > 2)
		return NULL;
	if (clean->len == 0)
		return g_bytes_new(NULL, 0);
	{
		gsize out_len = 0;
		guchar *out = g_base64_decode(clean->str, &out_len);
		return g_bytes_new_take(out, out_len);
	}
}

/* Go encoding/pem: a block starts with "-----BEGIN <label>-----" at the start
 * of the data or of a line, optional "Key: value" headers, a base64 body, and
 * "-----END <label>-----".  Anything that does not decode is skipped and the
 * scan resumes after its BEGIN line. */
GPtrArray *
rc_pem_parse(const guint8 *data, gsize len)
{
	GPtrArray *blocks = g_ptr_array_new_with_free_func((GDestroyNotify)rc_pem_block_free);
	gsize pos = 0;
	g_return_val_if_fail(data != NULL || len == 0, blocks);
	while (pos < len) {
		const guint8 *begin = rc_mem_find(data + pos, len - pos, "-----BEGIN ");
		const guint8 *label_start, *label_end, *eol, *body, *end;
		gsize begin_off;
		g_autofree char *label = NULL;
		g_autofree char *end_marker = NULL;
		if (begin == NULL)
			break;
		begin_off = (gsize)(begin - data);
		if (begin_off > 0 && data[begin_off - 1] != '\n') {
			pos = begin_off + 1;
			continue;
		}
		label_start = begin + strlen("-----BEGIN ");
		eol = memchr(label_start, '\n', len - (gsize)(label_start - data));
		if (eol == NULL)
			break;
		label_end = eol;
		if (label_end > label_start && label_end[-1] == '\r')
			label_end--;
		pos = (gsize)(eol - data) + 1;
		if (label_end - label_start < 5 || memcmp(label_end - 5, "-----", 5) != 0)
			continue;
		label = g_strndup((const char *)label_start, (gsize)(label_end - 5 - label_start));
		if (memchr(label, '\0', (gsize)(label_end - 5 - label_start)) != NULL)
			continue;
		/* "Key: value" header lines, then a blank line, are skipped. */
		body = eol + 1;
		{
			const guint8 *q = body;
			gboolean had_header = FALSE;
			while (q < data + len) {
				const guint8 *nl = memchr(q, '\n', len - (gsize)(q - data));
				const guint8 *line_end = nl != NULL ? nl : data + len;
				if (memchr(q, ':', (gsize)(line_end - q)) == NULL)
					break;
				had_header = TRUE;
				q = nl != NULL ? nl + 1 : data + len;
			}
			if (had_header)
				body = q;
		}
		end_marker = g_strdup_printf("-----END %s-----", label);
		end = rc_mem_find(body, len - (gsize)(body - data), end_marker);
		if (end == NULL)
			continue;
		{
			g_autoptr(GBytes) der = rc_pem_decode_body(body, (gsize)(end - body));
			const guint8 *after = end + strlen(end_marker);
			RcPemBlock *block;
			if (der == NULL)
				continue;
			/* The END line must end the line (Go checks the trailer). */
			while (after < data + len && (*after == ' ' || *after == '\t' || *after == '\r'))
				after++;
			if (after < data + len && *after != '\n')
				continue;
			block = g_new0(RcPemBlock, 1);
			block->label = g_steal_pointer(&label);
			block->der = g_steal_pointer(&der);
			g_ptr_array_add(blocks, block);
			pos = (gsize)(after - data);
		}
	}
	return blocks;
}

GPtrArray *
rc_tls_decode_fingerprints(const char *const *fingerprints, GError **error)
{
	g_autoptr(GPtrArray) pins = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	for (gsize i = 0; fingerprints != NULL && fingerprints[i] != NULL; i++) {
		const char *s = fingerprints[i];
		g_autoptr(GByteArray) bytes = g_byte_array_new();
		g_autoptr(GString) hex = g_string_new(NULL);
		for (const char *p = s; *p != '\0'; p++) {
			if (*p != ':')
				g_string_append_c(hex, *p);
		}
		if (hex->len % 2 != 0) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "error decoding fingerprint");
			return NULL;
		}
		for (gsize j = 0; j < hex->len; j += 2) {
			int hi = g_ascii_xdigit_value(hex->str[j]);
			int lo = g_ascii_xdigit_value(hex->str[j + 1]);
			guint8 b;
			if (hi < 0 || lo < 0) {
				g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
						    "error decoding fingerprint");
				return NULL;
			}
			b = (guint8)(hi * 16 + lo);
			g_byte_array_append(bytes, &b, 1);
		}
		if (bytes->len != 32 && bytes->len != 64) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "fingerprints must be 32 or 64 bytes for sha256 or sha512");
			return NULL;
		}
		g_ptr_array_add(pins, g_byte_array_free_to_bytes(g_steal_pointer(&bytes)));
	}
	return g_steal_pointer(&pins);
}

gboolean
rc_tls_pins_match(GPtrArray *pins, const guint8 *der, gsize len)
{
	guint8 sha256[32], sha512[64];
	gboolean have256 = FALSE, have512 = FALSE;
	for (guint i = 0; pins != NULL && i < pins->len; i++) {
		gsize plen = 0;
		const guint8 *pin = g_bytes_get_data(g_ptr_array_index(pins, i), &plen);
		if (plen == 32) {
			if (!have256)
				have256 = gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, sha256) == 0;
			if (have256 && memcmp(pin, sha256, 32) == 0)
				return TRUE;
		} else if (plen == 64) {
			if (!have512)
				have512 = gnutls_hash_fast(GNUTLS_DIG_SHA512, der, len, sha512) == 0;
			if (have512 && memcmp(pin, sha512, 64) == 0)
				return TRUE;
		}
	}
	return FALSE;
}

/* One SAN of a certificate; `data` is owned by the caller's buffer. */
static int
rc_tls_get_san(gnutls_x509_crt_t crt, guint idx, GByteArray *buf, unsigned *type)
{
	for (;;) {
		size_t size = buf->len;
		int r = gnutls_x509_crt_get_subject_alt_name2(crt, idx, buf->data, &size, type, NULL);
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			if (size > 1024 * 1024)
				return GNUTLS_E_ASN1_DER_ERROR;
			g_byte_array_set_size(buf, (guint)size + 1);
			continue;
		}
		if (r >= 0)
			g_byte_array_set_size(buf, (guint)size);
		return r;
	}
}

/* Decode the string inside a node-ID otherName (tls.md 5.1 step 3). */
static char *
rc_tls_decode_name_string(const guint8 *der, gsize len, GError **error)
{
	static const struct {
		unsigned etype;
		const char *what;
	} types[] = {
		{ ASN1_ETYPE_UTF8_STRING, "UTF8String" },
		{ ASN1_ETYPE_PRINTABLE_STRING, "PrintableString" },
		{ ASN1_ETYPE_IA5_STRING, "IA5String" },
		{ ASN1_ETYPE_TELETEX_STRING, "T61String" },
		{ ASN1_ETYPE_NUMERIC_STRING, "NumericString" },
		{ ASN1_ETYPE_GENERALSTRING, "GeneralString" },
		{ ASN1_ETYPE_BMP_STRING, "BMPString" },
	};
	for (gsize t = 0; t < G_N_ELEMENTS(types); t++) {
		const unsigned char *str = NULL;
		unsigned int slen = 0;
		if (len > G_MAXUINT)
			break;
		if (asn1_decode_simple_der(types[t].etype, der, (unsigned int)len, &str, &slen) !=
		    ASN1_SUCCESS)
			continue;
		if (types[t].etype == ASN1_ETYPE_BMP_STRING) {
			g_autoptr(GError) local = NULL;
			char *utf8;
			if (slen % 2 != 0) {
				g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
						    "asn1: invalid BMPString");
				return NULL;
			}
			utf8 = g_convert((const char *)str, slen, "UTF-8", "UTF-16BE", NULL, NULL,
					 &local);
			if (utf8 == NULL) {
				g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
						    "asn1: invalid BMPString");
				return NULL;
			}
			return utf8;
		}
		if (memchr(str, '\0', slen) != NULL) {
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "asn1: %s contains a NUL character", types[t].what);
			return NULL;
		}
		for (unsigned int i = 0; i < slen; i++) {
			guint8 c = str[i];
			gboolean ok = TRUE;
			if (types[t].etype == ASN1_ETYPE_PRINTABLE_STRING)
				ok = g_ascii_isalnum(c) || strchr(" '()+,-./:=?*&", c) != NULL;
			else if (types[t].etype == ASN1_ETYPE_IA5_STRING)
				ok = c < 0x80;
			else if (types[t].etype == ASN1_ETYPE_NUMERIC_STRING)
				ok = g_ascii_isdigit(c) || c == ' ';
			if (!ok) {
				g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
					    "asn1: syntax error: %s contains invalid character",
					    types[t].what);
				return NULL;
			}
		}
		if (types[t].etype == ASN1_ETYPE_UTF8_STRING &&
		    !g_utf8_validate((const char *)str, slen, NULL)) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
					    "asn1: invalid UTF-8 string");
			return NULL;
		}
		return g_strndup((const char *)str, slen);
	}
	g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "asn1: structure error: Receptor node ID is not a string");
	return NULL;
}

GPtrArray *
rc_tls_receptor_names(gnutls_x509_crt_t crt, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GByteArray) buf = g_byte_array_sized_new(256);
	g_return_val_if_fail(crt != NULL, NULL);
	g_byte_array_set_size(buf, 256);
	for (guint i = 0;; i++) {
		unsigned type = 0;
		char oid[128];
		size_t oid_size = sizeof(oid);
		int r;
		g_byte_array_set_size(buf, MAX(buf->len, 256));
		r = rc_tls_get_san(crt, i, buf, &type);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0) {
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "x509: cannot parse subject alternative names: %s",
				    gnutls_strerror(r));
			return NULL;
		}
		if (type != GNUTLS_SAN_OTHERNAME)
			continue;
		r = gnutls_x509_crt_get_subject_alt_othername_oid(crt, i, oid, &oid_size);
		if (r < 0) {
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "x509: cannot parse otherName: %s", gnutls_strerror(r));
			return NULL;
		}
		if (strcmp(oid, RC_TLS_OID_RECEPTOR_NAME) != 0)
			continue;
		{
			char *name = rc_tls_decode_name_string(buf->data, buf->len, error);
			if (name == NULL)
				return NULL;
			g_ptr_array_add(names, name);
		}
	}
	return g_steal_pointer(&names);
}

static char *
rc_tls_join_names(GPtrArray *names, const char *sep)
{
	g_autoptr(GString) s = g_string_new(NULL);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		if (i > 0)
			g_string_append(s, sep);
		g_string_append(s, g_ptr_array_index(names, i));
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

char *
rc_tls_receptor_name_error(GPtrArray *names, const char *expected)
{
	g_autofree char *joined = NULL;
	if (names == NULL || names->len == 0)
		return g_strdup_printf("x509: certificate is not valid for any Receptor node IDs, "
				       "but wanted to match %s",
				       expected);
	joined = rc_tls_join_names(names, ", ");
	return g_strdup_printf("x509: certificate is valid for Receptor node ID%s %s, not %s",
			       names->len > 1 ? "s" : "", joined, expected);
}

static gboolean
rc_tls_names_contain(GPtrArray *names, const char *expected)
{
	for (guint i = 0; i < names->len; i++) {
		if (strcmp(g_ptr_array_index(names, i), expected) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Go crypto/x509 matchHostnames / matchExactly (tls.md 4.4). */
static char *
rc_tls_host_normalise(const char *s)
{
	char *out = g_ascii_strdown(s, -1);
	gsize n = strlen(out);
	if (n > 0 && out[n - 1] == '.')
		out[n - 1] = '\0';
	return out;
}

static gboolean
rc_tls_valid_hostname(const char *host, gboolean is_pattern)
{
	g_auto(GStrv) labels = NULL;
	if (host[0] == '\0')
		return FALSE;
	labels = g_strsplit(host, ".", -1);
	for (guint i = 0; labels[i] != NULL; i++) {
		const char *l = labels[i];
		if (l[0] == '\0')
			return FALSE;
		if (is_pattern && i == 0 && strcmp(l, "*") == 0)
			continue;
		for (const char *c = l; *c != '\0'; c++) {
			if (g_ascii_isalnum(*c) || *c == '-' || *c == '_' ||
			    (*c == ':' && !is_pattern))
				continue;
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
rc_tls_match_hostname(const char *pattern_in, const char *host_in)
{
	g_autofree char *pattern = rc_tls_host_normalise(pattern_in);
	g_autofree char *host = rc_tls_host_normalise(host_in);
	g_auto(GStrv) pp = NULL;
	g_auto(GStrv) hp = NULL;
	if (!rc_tls_valid_hostname(host, FALSE) || !rc_tls_valid_hostname(pattern, TRUE))
		return pattern[0] != '\0' && g_ascii_strcasecmp(pattern, host) == 0;
	pp = g_strsplit(pattern, ".", -1);
	hp = g_strsplit(host, ".", -1);
	if (g_strv_length(pp) != g_strv_length(hp))
		return FALSE;
	for (guint i = 0; pp[i] != NULL; i++) {
		if (i == 0 && strcmp(pp[i], "*") == 0)
			continue;
		if (strcmp(pp[i], hp[i]) != 0)
			return FALSE;
	}
	return TRUE;
}

/* Go net.IP.String for a 4- or 16-octet SAN. */
static char *
rc_tls_ip_to_string(const guint8 *ip, gsize len)
{
	static const guint8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	g_autoptr(GInetAddress) addr = NULL;
	if (len == 16 && memcmp(ip, v4mapped, 12) == 0) {
		ip += 12;
		len = 4;
	}
	if (len == 4)
		addr = g_inet_address_new_from_bytes(ip, G_SOCKET_FAMILY_IPV4);
	else if (len == 16)
		addr = g_inet_address_new_from_bytes(ip, G_SOCKET_FAMILY_IPV6);
	else
		return g_strdup("?");
	return g_inet_address_to_string(addr);
}

static gboolean
rc_tls_ip_equal(const guint8 *a, gsize alen, const guint8 *b, gsize blen)
{
	static const guint8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (alen == 16 && memcmp(a, v4mapped, 12) == 0) {
		a += 12;
		alen = 4;
	}
	if (blen == 16 && memcmp(b, v4mapped, 12) == 0) {
		b += 12;
		blen = 4;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

static gboolean
rc_tls_has_san_extension(gnutls_x509_crt_t crt)
{
	gnutls_datum_t ext = { NULL, 0 };
	unsigned critical = 0;
	int r = gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.17", 0, &ext, &critical);
	gnutls_free(ext.data);
	return r >= 0;
}

gboolean
rc_tls_check_hostname(gnutls_x509_crt_t crt, const char *host_in, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_sized_new(256);
	g_autoptr(GPtrArray) dns = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) ips = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autoptr(GInetAddress) want_ip = NULL;
	g_autofree char *host = NULL;
	g_autofree char *valid = NULL;
	gsize hlen = strlen(host_in);

	g_return_val_if_fail(crt != NULL && host_in != NULL, FALSE);
	/* Go strips the brackets of an IPv6 literal before parsing it. */
	if (hlen >= 2 && host_in[0] == '[' && host_in[hlen - 1] == ']')
		host = g_strndup(host_in + 1, hlen - 2);
	else
		host = g_strdup(host_in);
	want_ip = g_inet_address_new_from_string(host);

	for (guint i = 0;; i++) {
		unsigned type = 0;
		int r;
		g_byte_array_set_size(buf, MAX(buf->len, 256));
		r = rc_tls_get_san(crt, i, buf, &type);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0) {
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "x509: cannot parse subject alternative names: %s",
				    gnutls_strerror(r));
			return FALSE;
		}
		if (type == GNUTLS_SAN_DNSNAME)
			g_ptr_array_add(dns, g_strndup((const char *)buf->data, buf->len));
		else if (type == GNUTLS_SAN_IPADDRESS)
			g_ptr_array_add(ips, g_bytes_new(buf->data, buf->len));
	}

	if (want_ip != NULL) {
		const guint8 *want = g_inet_address_to_bytes(want_ip);
		gsize want_len = g_inet_address_get_native_size(want_ip);
		g_autoptr(GString) s = g_string_new(NULL);
		for (guint i = 0; i < ips->len; i++) {
			gsize len = 0;
			const guint8 *ip = g_bytes_get_data(g_ptr_array_index(ips, i), &len);
			g_autofree char *text = NULL;
			if (rc_tls_ip_equal(ip, len, want, want_len))
				return TRUE;
			text = rc_tls_ip_to_string(ip, len);
			if (s->len > 0)
				g_string_append(s, ", ");
			g_string_append(s, text);
		}
		valid = g_string_free(g_steal_pointer(&s), FALSE);
	} else {
		for (guint i = 0; i < dns->len; i++) {
			if (rc_tls_match_hostname(g_ptr_array_index(dns, i), host))
				return TRUE;
		}
		valid = rc_tls_join_names(dns, ", ");
	}

	/* Go x509.HostnameError.Error() */
	if (!rc_tls_has_san_extension(crt)) {
		char cn[256];
		size_t cn_size = sizeof(cn);
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn,
						  &cn_size) >= 0 &&
		    rc_tls_match_hostname(cn, host)) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
					    "x509: certificate relies on legacy Common Name field, "
					    "use SANs instead");
			return FALSE;
		}
	}
	if (want_ip != NULL && ips->len == 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "x509: cannot validate certificate for %s because it doesn't contain "
			    "any IP SANs",
			    host);
		return FALSE;
	}
	if (valid[0] == '\0') {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "x509: certificate is not valid for any names, but wanted to match %s",
			    host);
		return FALSE;
	}
	g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL, "x509: certificate is valid for %s, not %s",
		    valid, host);
	return FALSE;
}

/* ================================================================== preparation */

/* Go's os.ReadFile error texts: "open <path>: no such file or directory". */
static char *
rc_tls_errno_text(int err)
{
	char *s = g_strdup(g_strerror(err));
	if (s[0] != '\0')
		s[0] = g_ascii_tolower(s[0]);
	return s;
}

static GBytes *
rc_tls_read_file(const char *path, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int err = errno;
		g_autofree char *text = rc_tls_errno_text(err);
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "open %s: %s", path,
			    text);
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > RC_TLS_MAX_FILE_BYTES) {
		close(fd);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "read %s: file larger than %d bytes", path, RC_TLS_MAX_FILE_BYTES);
		return NULL;
	}
	for (;;) {
		guint8 chunk[16384];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			g_autofree char *text = rc_tls_errno_text(err);
			close(fd);
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "read %s: %s",
				    path, text);
			return NULL;
		}
		if (n == 0)
			break;
		if (buf->len + (gsize)n > RC_TLS_MAX_FILE_BYTES) {
			close(fd);
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    "read %s: file larger than %d bytes", path,
				    RC_TLS_MAX_FILE_BYTES);
			return NULL;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	close(fd);
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

static char *
rc_tls_go_list(GPtrArray *items)
{
	g_autofree char *joined = rc_tls_join_names(items, " ");
	return g_strdup_printf("[%s]", joined);
}

static gboolean
rc_tls_import_crt(GBytes *der, gnutls_x509_crt_t *out, GError **error)
{
	gnutls_x509_crt_t crt = NULL;
	gsize len = 0;
	gnutls_datum_t d;
	int r;
	d.data = (unsigned char *)g_bytes_get_data(der, &len);
	d.size = (unsigned int)len;
	r = gnutls_x509_crt_init(&crt);
	if (r >= 0)
		r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
	if (r < 0) {
		if (crt != NULL)
			gnutls_x509_crt_deinit(crt);
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "x509: malformed certificate (%s)",
			    gnutls_strerror(r));
		return FALSE;
	}
	*out = crt;
	return TRUE;
}

typedef struct {
	gnutls_x509_crt_t *crts;
	guint n_crts;
	gnutls_x509_privkey_t key;
} RcTlsKeyPair;

static void
rc_tls_key_pair_clear(RcTlsKeyPair *kp)
{
	for (guint i = 0; i < kp->n_crts; i++)
		gnutls_x509_crt_deinit(kp->crts[i]);
	g_clear_pointer(&kp->crts, g_free);
	kp->n_crts = 0;
	if (kp->key != NULL)
		gnutls_x509_privkey_deinit(kp->key);
	kp->key = NULL;
}

static gboolean
rc_tls_pubkey_der(gnutls_pubkey_t pk, gnutls_datum_t *out)
{
	return gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, out) >= 0;
}

/* Go crypto/tls X509KeyPair, with its error texts (tls.md 1.3 step 3). */
static gboolean
rc_tls_load_key_pair(GBytes *cert_pem, GBytes *key_pem, RcTlsKeyPair *kp, GError **error)
{
	gsize clen = 0, klen = 0;
	const guint8 *cdata = g_bytes_get_data(cert_pem, &clen);
	const guint8 *kdata = g_bytes_get_data(key_pem, &klen);
	g_autoptr(GPtrArray) cblocks = rc_pem_parse(cdata, clen);
	g_autoptr(GPtrArray) kblocks = rc_pem_parse(kdata, klen);
	g_autoptr(GPtrArray) skipped = g_ptr_array_new();
	g_autoptr(GPtrArray) certs = g_ptr_array_new();
	RcPemBlock *key_block = NULL;
	gnutls_pubkey_t pub_crt = NULL, pub_key = NULL;
	gnutls_privkey_t abs_key = NULL;
	gnutls_datum_t d1 = { NULL, 0 }, d2 = { NULL, 0 };
	gboolean ok = FALSE;
	int r;

	for (guint i = 0; i < cblocks->len; i++) {
		RcPemBlock *b = g_ptr_array_index(cblocks, i);
		if (strcmp(b->label, "CERTIFICATE") == 0)
			g_ptr_array_add(certs, b);
		else
			g_ptr_array_add(skipped, b->label);
	}
	if (certs->len == 0) {
		g_autofree char *list = rc_tls_go_list(skipped);
		if (skipped->len == 0)
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "tls: failed to find any PEM data in certificate input");
		else if (skipped->len == 1 &&
			 g_str_has_suffix(g_ptr_array_index(skipped, 0), "PRIVATE KEY"))
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "tls: failed to find certificate PEM data in certificate "
					    "input, but did find a private key; PEM inputs may have "
					    "been switched");
		else
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "tls: failed to find \"CERTIFICATE\" PEM block in certificate "
				    "input after skipping PEM blocks of the following types: %s",
				    list);
		return FALSE;
	}
	g_ptr_array_set_size(skipped, 0);
	for (guint i = 0; i < kblocks->len; i++) {
		RcPemBlock *b = g_ptr_array_index(kblocks, i);
		if (strcmp(b->label, "PRIVATE KEY") == 0 || g_str_has_suffix(b->label, " PRIVATE KEY")) {
			key_block = b;
			break;
		}
		g_ptr_array_add(skipped, b->label);
	}
	if (key_block == NULL) {
		g_autofree char *list = rc_tls_go_list(skipped);
		if (skipped->len == 0)
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "tls: failed to find any PEM data in key input");
		else if (skipped->len == 1 &&
			 strcmp(g_ptr_array_index(skipped, 0), "CERTIFICATE") == 0)
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "tls: found a certificate rather than a key in the PEM "
					    "for the private key");
		else
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "tls: failed to find PEM block with type ending in \"PRIVATE "
				    "KEY\" in key input after skipping PEM blocks of the following "
				    "types: %s",
				    list);
		return FALSE;
	}

	kp->crts = g_new0(gnutls_x509_crt_t, certs->len);
	for (guint i = 0; i < certs->len; i++) {
		RcPemBlock *b = g_ptr_array_index(certs, i);
		if (!rc_tls_import_crt(b->der, &kp->crts[i], error)) {
			rc_tls_key_pair_clear(kp);
			return FALSE;
		}
		kp->n_crts++;
	}
	{
		gsize len = 0;
		gnutls_datum_t d;
		d.data = (unsigned char *)g_bytes_get_data(key_block->der, &len);
		d.size = (unsigned int)len;
		r = gnutls_x509_privkey_init(&kp->key);
		if (r >= 0)
			r = gnutls_x509_privkey_import2(kp->key, &d, GNUTLS_X509_FMT_DER, NULL,
							GNUTLS_PKCS_PLAIN);
		if (r < 0) {
			rc_tls_key_pair_clear(kp);
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "tls: failed to parse private key");
			return FALSE;
		}
	}

	/* The key must match the first certificate's public key. */
	if (gnutls_pubkey_init(&pub_crt) < 0 || gnutls_pubkey_init(&pub_key) < 0 ||
	    gnutls_privkey_init(&abs_key) < 0 ||
	    gnutls_pubkey_import_x509(pub_crt, kp->crts[0], 0) < 0 ||
	    gnutls_privkey_import_x509(abs_key, kp->key, 0) < 0 ||
	    gnutls_pubkey_import_privkey(pub_key, abs_key, 0, 0) < 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "tls: unknown public key algorithm");
	} else if (gnutls_pubkey_get_pk_algorithm(pub_crt, NULL) !=
		   gnutls_pubkey_get_pk_algorithm(pub_key, NULL)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "tls: private key type does not match public key type");
	} else if (!rc_tls_pubkey_der(pub_crt, &d1) || !rc_tls_pubkey_der(pub_key, &d2) ||
		   d1.size != d2.size || memcmp(d1.data, d2.data, d1.size) != 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "tls: private key does not match public key");
	} else {
		ok = TRUE;
	}
	gnutls_free(d1.data);
	gnutls_free(d2.data);
	if (pub_crt != NULL)
		gnutls_pubkey_deinit(pub_crt);
	if (pub_key != NULL)
		gnutls_pubkey_deinit(pub_key);
	if (abs_key != NULL)
		gnutls_privkey_deinit(abs_key);
	if (!ok)
		rc_tls_key_pair_clear(kp);
	return ok;
}

/* tls.md 5.3: the first PEM block of the cert file must name this node. */
static gboolean
rc_tls_check_node_id(GBytes *cert_pem, const char *node_id, const char *cfg_name,
		     const char *cert_path, GError **error)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(cert_pem, &len);
	g_autoptr(GPtrArray) blocks = rc_pem_parse(data, len);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) local = NULL;
	gnutls_x509_crt_t crt = NULL;
	g_autofree char *list = NULL;

	if (blocks->len == 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "failed to parse certfifcate PEM");
		return FALSE;
	}
	if (!rc_tls_import_crt(((RcPemBlock *)g_ptr_array_index(blocks, 0))->der, &crt, error))
		return FALSE;
	names = rc_tls_receptor_names(crt, &local);
	gnutls_x509_crt_deinit(crt);
	if (names == NULL) {
		rc_log_error("RVF failed to get ReceptorNames: %s", local->message);
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (rc_tls_names_contain(names, node_id))
		return TRUE;
	list = rc_tls_go_list(names);
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
		    "nodeID=%s not found in certificate name(s); names found=%s; cfg section=%s; "
		    "server cert=%s",
		    node_id, list, cfg_name, cert_path);
	return FALSE;
}

/* CA bundle: every parseable CERTIFICATE block, the rest skipped silently
 * (Go CertPool.AppendCertsFromPEM, tls.md 1.3 step 5 and Pitfall 18). */
static void
rc_tls_set_trust(gnutls_certificate_credentials_t cred, GBytes *pem)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(pem, &len);
	g_autoptr(GPtrArray) blocks = rc_pem_parse(data, len);
	g_autoptr(GArray) cas = g_array_new(FALSE, FALSE, sizeof(gnutls_x509_crt_t));
	for (guint i = 0; i < blocks->len; i++) {
		RcPemBlock *b = g_ptr_array_index(blocks, i);
		gnutls_x509_crt_t crt = NULL;
		if (strcmp(b->label, "CERTIFICATE") != 0)
			continue;
		if (!rc_tls_import_crt(b->der, &crt, NULL))
			continue;
		g_array_append_val(cas, crt);
	}
	if (cas->len > 0)
		gnutls_certificate_set_x509_trust(cred, (gnutls_x509_crt_t *)(void *)cas->data,
						  (int)cas->len);
	for (guint i = 0; i < cas->len; i++)
		gnutls_x509_crt_deinit(g_array_index(cas, gnutls_x509_crt_t, i));
}

static gboolean
rc_tls_init_priorities(RcTlsConfig *config, const char *tcp, GError **error)
{
	g_autofree char *prio = NULL;
	const char *mesh = config->mintls13 ? RC_TLS_PRIO_MESH13 : RC_TLS_PRIO_MESH;
	const char *err_pos = NULL;
	int r;
	prio = g_strconcat(tcp, config->server ? RC_TLS_SERVER_PRECEDENCE : "", NULL);
	r = gnutls_priority_init2(&config->priority, prio, &err_pos, 0);
	if (r >= 0)
		r = gnutls_priority_init2(&config->mesh_priority, mesh, &err_pos, 0);
	if (r < 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "tls: bad priority string: %s",
			    gnutls_strerror(r));
		return FALSE;
	}
	return TRUE;
}

static const char *
rc_tls_param_string(GVariant *params, const char *key)
{
	const char *value = NULL;
	if (params == NULL || !g_variant_lookup(params, key, "&s", &value))
		return "";
	return value;
}

static gboolean
rc_tls_param_bool(GVariant *params, const char *key)
{
	gboolean value = FALSE;
	if (params == NULL || !g_variant_lookup(params, key, "b", &value))
		return FALSE;
	return value;
}

/* (transfer container) */
static const char **
rc_tls_param_strv(GVariant *params, const char *key)
{
	const char **value = NULL;
	if (params == NULL || !g_variant_lookup(params, key, "^a&s", &value))
		return g_new0(const char *, 1);
	return value;
}

static gboolean
rc_tls_load_cert_key(RcTlsConfig *config, const char *cert_path, const char *key_path,
		     gboolean skip_names, const char *node_id, GError **error)
{
	g_autoptr(GBytes) cert = rc_tls_read_file(cert_path, error);
	g_autoptr(GBytes) key = NULL;
	RcTlsKeyPair kp = { NULL, 0, NULL };
	int r;
	if (cert == NULL)
		return FALSE;
	key = rc_tls_read_file(key_path, error);
	if (key == NULL)
		return FALSE;
	if (!rc_tls_load_key_pair(cert, key, &kp, error))
		return FALSE;
	if (!skip_names &&
	    !rc_tls_check_node_id(cert, node_id, config->name, cert_path, error)) {
		rc_tls_key_pair_clear(&kp);
		return FALSE;
	}
	r = gnutls_certificate_set_x509_key(config->cred, kp.crts, (int)kp.n_crts, kp.key);
	rc_tls_key_pair_clear(&kp);
	if (r < 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "tls: %s", gnutls_strerror(r));
		return FALSE;
	}
	config->has_cert = TRUE;
	return TRUE;
}

static RcTlsConfig *
rc_tls_prepare(gboolean server, GVariant *params, const char *node_id, GError **error)
{
	const char *name = rc_tls_param_string(params, "name");
	const char *cert = rc_tls_param_string(params, "cert");
	const char *key = rc_tls_param_string(params, "key");
	const char *cas = rc_tls_param_string(params, server ? "clientcas" : "rootcas");
	g_autofree const char **pins =
		rc_tls_param_strv(params, server ? "pinnedclientcert" : "pinnedservercert");
	g_autoptr(RcTlsConfig) config = rc_tls_config_alloc(name, server);
	g_autoptr(GError) local = NULL;
	g_autoptr(GPtrArray) decoded = NULL;
	int r;

	config->mintls13 = rc_tls_param_bool(params, "mintls13");
	config->verifypeernodeid = rc_tls_param_bool(params, "verifypeernodeid");
	r = gnutls_certificate_allocate_credentials(&config->cred);
	if (r < 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "tls: %s", gnutls_strerror(r));
		return NULL;
	}
	if (!server && (cert[0] != '\0' || key[0] != '\0') && (cert[0] == '\0' || key[0] == '\0')) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "cert and key must both be supplied or neither");
		return NULL;
	}
	if (server || cert[0] != '\0') {
		if (!rc_tls_load_cert_key(config, cert, key,
					  rc_tls_param_bool(params, "skipreceptornamescheck"),
					  node_id != NULL ? node_id : "", error))
			return NULL;
	}
	if (cas[0] != '\0') {
		g_autoptr(GBytes) pem = rc_tls_read_file(cas, &local);
		if (pem == NULL) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "error reading %s CAs file: %s",
				    server ? "client" : "root", local->message);
			return NULL;
		}
		rc_tls_set_trust(config->cred, pem);
		config->cas_path = g_strdup(cas);
	}
	decoded = rc_tls_decode_fingerprints(pins, &local);
	if (decoded == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "error decoding fingerprints: %s",
			    local->message);
		return NULL;
	}
	g_ptr_array_extend_and_steal(config->pins, g_steal_pointer(&decoded));

	if (server) {
		if (rc_tls_param_bool(params, "requireclientcert"))
			config->client_auth = RC_TLS_CLIENT_AUTH_REQUIRE;
		else if (cas[0] != '\0')
			config->client_auth = RC_TLS_CLIENT_AUTH_REQUEST;
		/* Require mode without clientcas verifies against the system store. */
		if (config->client_auth == RC_TLS_CLIENT_AUTH_REQUIRE && cas[0] == '\0')
			gnutls_certificate_set_x509_system_trust(config->cred);
		if (config->verifypeernodeid && config->client_auth == RC_TLS_CLIENT_AUTH_NONE) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "verifypeernodeid needs requireclientcert or clientcas "
					    "(no client certificate would be asked for)");
			return NULL;
		}
	} else {
		config->insecureskipverify = rc_tls_param_bool(params, "insecureskipverify");
		if (cas[0] == '\0' && !config->insecureskipverify)
			gnutls_certificate_set_x509_system_trust(config->cred);
		if (config->verifypeernodeid && config->insecureskipverify) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "verifypeernodeid cannot be used with insecureskipverify "
					    "(the server certificate would not be verified)");
			return NULL;
		}
	}
	if (!rc_tls_init_priorities(config, config->mintls13 ? RC_TLS_PRIO_TCP13 : RC_TLS_PRIO_TCP,
				    error))
		return NULL;
	return g_steal_pointer(&config);
}

gboolean
rc_tls_store_add(RcTlsStore *store, gboolean server, GVariant *params, const char *node_id,
		 GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(RcTlsConfig) config = NULL;
	g_return_val_if_fail(store != NULL, FALSE);
	config = rc_tls_prepare(server, params, node_id, &local);
	if (config == NULL) {
		g_set_error(error, local->domain, local->code, "error preparing tls %s config: %s",
			    server ? "server" : "client", local->message);
		return FALSE;
	}
	/* Checked after the files, and not wrapped (tls.md 1.1). */
	if (config->name[0] == '\0') {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG, "must provide a name");
		return FALSE;
	}
	{
		char *key = g_strdup(config->name);
		g_hash_table_replace(server ? store->servers : store->clients, key,
				     g_steal_pointer(&config));
	}
	return TRUE;
}

RcTlsConfig *
rc_tls_config_new_ctl_client(const char *rootcas, const char *cert, const char *key,
			     gboolean insecureskipverify, GError **error)
{
	g_autoptr(RcTlsConfig) config = rc_tls_config_alloc("receptorctl", FALSE);
	int r = gnutls_certificate_allocate_credentials(&config->cred);
	if (r < 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "tls: %s", gnutls_strerror(r));
		return NULL;
	}
	if (cert != NULL && cert[0] != '\0' && key != NULL && key[0] != '\0') {
		if (!rc_tls_load_cert_key(config, cert, key, TRUE, "", error))
			return NULL;
	}
	if (rootcas != NULL && rootcas[0] != '\0') {
		g_autoptr(GBytes) pem = rc_tls_read_file(rootcas, error);
		if (pem == NULL)
			return NULL;
		rc_tls_set_trust(config->cred, pem);
		config->cas_path = g_strdup(rootcas);
	} else {
		gnutls_certificate_set_x509_system_trust(config->cred);
	}
	config->ctl_skip_hostname = insecureskipverify;
	if (!rc_tls_init_priorities(config, RC_TLS_PRIO_CTL, error))
		return NULL;
	return g_steal_pointer(&config);
}

/* ================================================================== verification */

static RcTlsVerify *
rc_tls_verify_new(RcTlsConfig *config, gboolean verify_server, gboolean receptor_type,
		  gboolean use_pins, const char *expected)
{
	RcTlsVerify *v = g_new0(RcTlsVerify, 1);
	v->config = rc_tls_config_ref(config);
	v->verify_server = verify_server;
	v->receptor_type = receptor_type;
	v->use_pins = use_pins;
	v->expected = g_strdup(expected != NULL ? expected : "");
	return v;
}

void
rc_tls_verify_free(RcTlsVerify *verify)
{
	if (verify == NULL)
		return;
	rc_tls_config_unref(verify->config);
	g_free(verify->expected);
	g_free(verify->error);
	g_free(verify);
}

const char *
rc_tls_verify_get_error(RcTlsVerify *verify)
{
	g_return_val_if_fail(verify != NULL, NULL);
	return verify->error;
}

static char *
rc_tls_go_time(time_t t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc((gint64)t);
	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

/* Does the trust anchor of the presented chain allow `purpose` (Go checks
 * the EKU of every chain certificate, GnuTLS not the anchor's, Pitfall 8)? */
static gboolean
rc_tls_anchor_allows(gnutls_certificate_credentials_t cred, gnutls_x509_crt_t last,
		     const char *purpose)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t anchor = NULL;
	gboolean ok = TRUE;
	gnutls_certificate_get_trust_list(cred, &tl);
	if (tl == NULL ||
	    gnutls_x509_trust_list_get_issuer(tl, last, &anchor, GNUTLS_TL_GET_COPY) < 0)
		return TRUE;
	for (unsigned i = 0;; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		int r = gnutls_x509_crt_get_key_purpose_oid(anchor, i, oid, &size, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
			ok = (i == 0); /* no EKU at all: any purpose */
			break;
		}
		if (r < 0)
			continue;
		if (strcmp(oid, purpose) == 0 || strcmp(oid, GNUTLS_KP_ANY) == 0) {
			ok = TRUE;
			break;
		}
		ok = FALSE;
	}
	gnutls_x509_crt_deinit(anchor);
	return ok;
}

/* The chain check (tls.md 10.4 chain_ok) with Go-like texts. */
static char *
rc_tls_chain_error(gnutls_session_t session, RcTlsVerify *v, gnutls_x509_crt_t *crts, guint n)
{
	const char *purpose = v->verify_server ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT;
	gnutls_typed_vdata_st data = { GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)purpose, 0 };
	unsigned status = 0;
	int r = gnutls_certificate_verify_peers(session, &data, 1, &status);
	if (r < 0)
		return g_strdup_printf("x509: %s", gnutls_strerror(r));
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED)) {
		time_t now = time(NULL);
		time_t nb = gnutls_x509_crt_get_activation_time(crts[0]);
		time_t na = gnutls_x509_crt_get_expiration_time(crts[0]);
		g_autofree char *now_s = rc_tls_go_time(now);
		if (now > na) {
			g_autofree char *t = rc_tls_go_time(na);
			return g_strdup_printf("x509: certificate has expired or is not yet valid: "
					       "current time %s is after %s",
					       now_s, t);
		}
		if (now < nb) {
			g_autofree char *t = rc_tls_go_time(nb);
			return g_strdup_printf("x509: certificate has expired or is not yet valid: "
					       "current time %s is before %s",
					       now_s, t);
		}
		return g_strdup("x509: certificate has expired or is not yet valid");
	}
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return g_strdup("x509: certificate signed by unknown authority");
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		return g_strdup("x509: certificate specifies an incompatible key usage");
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return g_strdup("x509: certificate signature is invalid");
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return g_strdup("x509: cannot verify signature: insecure algorithm");
	if (status != 0) {
		gnutls_datum_t out = { NULL, 0 };
		char *msg;
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0);
		msg = g_strdup_printf("x509: %s", out.data != NULL ? (char *)out.data : "invalid");
		gnutls_free(out.data);
		return msg;
	}
	if (!rc_tls_anchor_allows(v->config->cred, crts[n - 1], purpose))
		return g_strdup("x509: certificate specifies an incompatible key usage");
	return NULL;
}

static void
rc_tls_verify_fail(RcTlsVerify *v, gboolean log, char *msg)
{
	if (log)
		rc_log_error("%s", msg);
	g_free(v->error);
	v->error = msg;
	v->alert = GNUTLS_A_BAD_CERTIFICATE;
}

/* Receptor's verification (tls.md 4.1-4.3 and 10.4).  TRUE accepts. */
static gboolean
rc_tls_verify_run(RcTlsVerify *v, gnutls_session_t session)
{
	unsigned n = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
	g_autoptr(GPtrArray) list = NULL;
	gnutls_x509_crt_t *crts;
	gboolean standard = !v->verify_server || !v->receptor_type;

	if (peers == NULL || n == 0) {
		rc_tls_verify_fail(v, TRUE, g_strdup("RVF failed: peer certificate missing"));
		return FALSE;
	}
	list = g_ptr_array_new_with_free_func((GDestroyNotify)gnutls_x509_crt_deinit);
	for (unsigned i = 0; i < n; i++) {
		gnutls_x509_crt_t crt = NULL;
		int r = gnutls_x509_crt_init(&crt);
		if (r >= 0) {
			g_ptr_array_add(list, crt);
			r = gnutls_x509_crt_import(crt, &peers[i], GNUTLS_X509_FMT_DER);
		}
		if (r < 0) {
			rc_log_error("RVF failed to parse: %s", gnutls_strerror(r));
			rc_tls_verify_fail(v, FALSE,
					   g_strdup_printf(v->verify_server
								   ? "tls: failed to parse certificate "
								     "from server: %s"
								   : "tls: failed to parse client "
								     "certificate: %s",
							   gnutls_strerror(r)));
			return FALSE;
		}
	}
	crts = (gnutls_x509_crt_t *)list->pdata;

	if (standard) {
		/* What Go's TLS stack checks before it calls the RVF. */
		g_autofree char *why = rc_tls_chain_error(session, v, crts, n);
		if (why != NULL) {
			rc_tls_verify_fail(v, FALSE,
					   g_strdup_printf("tls: failed to verify certificate: %s", why));
			/* Go's server (not its client) names the reason in the alert. */
			if (!v->verify_server &&
			    g_str_has_prefix(why, "x509: certificate signed by unknown authority"))
				v->alert = GNUTLS_A_UNKNOWN_CA;
			else if (!v->verify_server &&
				 g_str_has_prefix(why, "x509: certificate has expired"))
				v->alert = GNUTLS_A_CERTIFICATE_EXPIRED;
			return FALSE;
		}
		if (v->verify_server && !v->receptor_type && v->expected[0] != '\0' &&
		    !v->config->ctl_skip_hostname) {
			g_autoptr(GError) local = NULL;
			if (!rc_tls_check_hostname(crts[0], v->expected, &local)) {
				rc_tls_verify_fail(v, FALSE,
						   g_strdup_printf("tls: failed to verify certificate: %s",
								   local->message));
				return FALSE;
			}
		}
	}
	if (v->use_pins && v->config->pins->len > 0 &&
	    !rc_tls_pins_match(v->config->pins, peers[0].data, peers[0].size)) {
		rc_tls_verify_fail(v, TRUE,
				   g_strdup("RVF failed: presented certificate does not match any "
					    "pinned fingerprint"));
		return FALSE;
	}
	if (!standard) {
		char *why = rc_tls_chain_error(session, v, crts, n);
		if (why != NULL) {
			rc_log_error("RVF failed verify: %s\nRootCAs: %s\nServerName: ", why,
				     v->config->cas_path != NULL ? v->config->cas_path : "<system>");
			rc_tls_verify_fail(v, FALSE, why);
			return FALSE;
		}
	}
	if (v->receptor_type) {
		g_autoptr(GError) local = NULL;
		g_autoptr(GPtrArray) names = rc_tls_receptor_names(crts[0], &local);
		if (names == NULL) {
			rc_log_error("RVF failed to get ReceptorNames: %s", local->message);
			rc_tls_verify_fail(v, FALSE, g_strdup(local->message));
			return FALSE;
		}
		if (!rc_tls_names_contain(names, v->expected)) {
			g_autofree char *joined = rc_tls_join_names(names, ", ");
			rc_log_error("RVF ReceptorNameError: expected %s but found %s", v->expected,
				     joined);
			rc_tls_verify_fail(v, FALSE, rc_tls_receptor_name_error(names, v->expected));
			return FALSE;
		}
	}
	return TRUE;
}

int
rc_tls_verify_session(gnutls_session_t session)
{
	RcTlsVerify *v = gnutls_db_get_ptr(session);
	if (v == NULL)
		return -1;
	return rc_tls_verify_run(v, session) ? 0 : -1;
}

/* Set up one session for `config` (shared by streams and QUIC). */
static RcTlsVerify *
rc_tls_session_configure(RcTlsConfig *config, gnutls_session_t session, gboolean mesh,
			 const char *expected)
{
	RcTlsVerify *v = NULL;
	gnutls_priority_set(session, mesh ? config->mesh_priority : config->priority);
	gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, config->cred);
	if (config->server) {
		if (config->client_auth == RC_TLS_CLIENT_AUTH_NONE)
			return NULL;
		gnutls_certificate_server_set_request(session,
						      config->client_auth ==
								      RC_TLS_CLIENT_AUTH_REQUIRE
							      ? GNUTLS_CERT_REQUIRE
							      : GNUTLS_CERT_REQUEST);
		/* Go sends no CA names when verifying against the system store. */
		if (config->client_auth == RC_TLS_CLIENT_AUTH_REQUIRE && config->cas_path == NULL)
			gnutls_certificate_send_x509_rdn_sequence(session, 1);
		if (mesh && config->client_auth == RC_TLS_CLIENT_AUTH_REQUIRE)
			v = rc_tls_verify_new(config, FALSE, TRUE, FALSE, expected);
		else
			v = rc_tls_verify_new(config, FALSE, FALSE, TRUE, "");
	} else {
		if (config->insecureskipverify)
			return NULL;
		v = rc_tls_verify_new(config, TRUE, mesh, TRUE, expected);
	}
	gnutls_db_set_ptr(session, v);
	gnutls_session_set_verify_function(session, rc_tls_verify_session);
	return v;
}

RcTlsVerify *
rc_tls_setup_session(RcTlsStore *store, const char *name, gboolean server,
		     gnutls_session_t session, const char *expected_node_id, GError **error)
{
	g_autoptr(RcTlsConfig) config = NULL;
	RcTlsVerify *v;
	g_return_val_if_fail(store != NULL && name != NULL && session != NULL, NULL);
	config = rc_tls_store_lookup(store, name, server, error);
	if (config == NULL)
		return NULL;
	v = rc_tls_session_configure(config, session, TRUE, expected_node_id);
	if (v == NULL) {
		/* No verification: keep a state object so ownership stays simple. */
		v = rc_tls_verify_new(config, !server, FALSE, FALSE, "");
	}
	return v;
}

/* ================================================================== the TLS stream */

#define RC_TYPE_TLS_CONN (rc_tls_conn_get_type())
G_DECLARE_FINAL_TYPE(RcTlsConn, rc_tls_conn, RC, TLS_CONN, GIOStream)
#define RC_TYPE_TLS_INPUT (rc_tls_input_get_type())
G_DECLARE_FINAL_TYPE(RcTlsInput, rc_tls_input, RC, TLS_INPUT, GInputStream)
#define RC_TYPE_TLS_OUTPUT (rc_tls_output_get_type())
G_DECLARE_FINAL_TYPE(RcTlsOutput, rc_tls_output, RC, TLS_OUTPUT, GOutputStream)

struct _RcTlsConn {
	GIOStream parent_instance;
	GIOStream *base;
	GInputStream *base_in;
	GOutputStream *base_out;
	GInputStream *in;
	GOutputStream *out;
	RcTlsConfig *config;
	RcTlsVerify *verify;
	gnutls_session_t session;
	gboolean sync_mode;  /* made by rc_tls_wrap_sync: sync flush/close block */
	gboolean base_pollable; /* base streams can poll (required unless sync_mode) */
	gboolean blocking;   /* inside a blocking call: push/pull block */
	GCancellable *blocking_cancellable;
	gboolean handshaken;
	gboolean bye_sent;
	int first_byte;      /* first octet received (-1: none yet), to tell TLS from not-TLS */
	GByteArray *obuf;    /* ciphertext not yet written to base_out */
	GSource *flush_source;
	GError *write_error; /* base_out failed: the stream is broken */
	GError *read_error;  /* last base_in failure */
	GQueue flush_waiters; /* GTask*: completed when obuf is empty */
};

struct _RcTlsInput {
	GInputStream parent_instance;
	GWeakRef conn;
};

struct _RcTlsOutput {
	GOutputStream parent_instance;
	GWeakRef conn;
};

static void rc_tls_input_pollable_init(GPollableInputStreamInterface *iface);
static void rc_tls_output_pollable_init(GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE(RcTlsConn, rc_tls_conn, G_TYPE_IO_STREAM)
G_DEFINE_TYPE_WITH_CODE(RcTlsInput, rc_tls_input, G_TYPE_INPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
					      rc_tls_input_pollable_init))
G_DEFINE_TYPE_WITH_CODE(RcTlsOutput, rc_tls_output, G_TYPE_OUTPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
					      rc_tls_output_pollable_init))

/* Go crypto/tls alert texts ("remote error: tls: bad certificate"). */
static const char *
rc_tls_alert_text(gnutls_alert_description_t alert)
{
	switch ((int)alert) {
	case 0: return "close notify";
	case 10: return "unexpected message";
	case 20: return "bad record MAC";
	case 21: return "decryption failed";
	case 22: return "record overflow";
	case 30: return "decompression failure";
	case 40: return "handshake failure";
	case 42: return "bad certificate";
	case 43: return "unsupported certificate";
	case 44: return "revoked certificate";
	case 45: return "expired certificate";
	case 46: return "unknown certificate";
	case 47: return "illegal parameter";
	case 48: return "unknown certificate authority";
	case 49: return "access denied";
	case 50: return "error decoding message";
	case 51: return "error decrypting message";
	case 70: return "protocol version not supported";
	case 71: return "insufficient security level";
	case 80: return "internal error";
	case 86: return "inappropriate fallback";
	case 90: return "user canceled";
	case 100: return "no renegotiation";
	case 109: return "missing extension";
	case 110: return "unsupported extension";
	case 112: return "unrecognized name";
	case 115: return "unknown PSK identity";
	case 116: return "certificate required";
	case 120: return "no application protocol";
	default: return NULL;
	}
}

/* One GError for a GnuTLS failure on this connection, in Go's words where a
 * peer or test depends on them (tls.md 12 Q7). */
static GError *
rc_tls_conn_error(RcTlsConn *self, int r, gboolean handshake)
{
	const char *text;
	if (self->verify != NULL && self->verify->error != NULL &&
	    (r == GNUTLS_E_CERTIFICATE_ERROR || r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR))
		return g_error_new_literal(G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
					   self->verify->error);
	if (r == GNUTLS_E_PUSH_ERROR && self->write_error != NULL)
		return g_error_copy(self->write_error);
	if (r == GNUTLS_E_PULL_ERROR && self->read_error != NULL)
		return g_error_copy(self->read_error);
	switch (r) {
	case GNUTLS_E_FATAL_ALERT_RECEIVED: {
		gnutls_alert_description_t a = gnutls_alert_get(self->session);
		text = rc_tls_alert_text(a);
		return g_error_new(G_TLS_ERROR,
				   a == GNUTLS_A_BAD_CERTIFICATE || a == GNUTLS_A_UNKNOWN_CA ||
						   a == GNUTLS_A_CERTIFICATE_UNKNOWN ||
						   a == GNUTLS_A_CERTIFICATE_REQUIRED
					   ? G_TLS_ERROR_BAD_CERTIFICATE
					   : G_TLS_ERROR_HANDSHAKE,
				   "remote error: tls: %s",
				   text != NULL ? text : gnutls_alert_get_name(a));
	}
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		if (self->config->server)
			return g_error_new_literal(G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED,
						   "tls: client didn't provide a certificate");
		break;
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_UNEXPECTED_PACKET:
		/* Records start with 0x16 (handshake) or 0x15 (alert). */
		if (handshake && self->first_byte != 0x16 && self->first_byte != 0x15)
			return g_error_new_literal(G_TLS_ERROR, G_TLS_ERROR_NOT_TLS,
						   "tls: first record does not look like a TLS "
						   "handshake");
		if (handshake && self->config->server && r == GNUTLS_E_UNSUPPORTED_VERSION_PACKET)
			return g_error_new_literal(G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
						   "tls: client offered only unsupported versions");
		break;
	case GNUTLS_E_NO_COMMON_KEY_SHARE:
		return g_error_new_literal(G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
					   "tls: no ECDHE curve supported by both client and "
					   "server");
	case GNUTLS_E_PREMATURE_TERMINATION:
		return g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "EOF");
	case GNUTLS_E_RECEIVED_DISALLOWED_NAME:
		/* tls.md Pitfall 6: GnuTLS refuses SNI outside [A-Za-z0-9.-]. */
		return g_error_new_literal(G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
					   "tls: the client sent a server name (SNI) with characters "
					   "GnuTLS refuses (only letters, digits, '-' and '.' are "
					   "accepted)");
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
		return g_error_new_literal(G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE,
					   "tls: no cipher suite supported by both client and "
					   "server");
	default:
		break;
	}
	if (self->write_error != NULL)
		return g_error_copy(self->write_error);
	return g_error_new(G_TLS_ERROR, handshake ? G_TLS_ERROR_HANDSHAKE : G_TLS_ERROR_MISC,
			   "tls: %s", gnutls_strerror(r));
}

static void
rc_tls_conn_complete_waiters(RcTlsConn *self)
{
	GTask *task;
	while ((task = g_queue_pop_head(&self->flush_waiters)) != NULL) {
		if (self->write_error != NULL)
			g_task_return_error(task, g_error_copy(self->write_error));
		else
			g_task_return_boolean(task, TRUE);
		g_object_unref(task);
	}
}

static void
rc_tls_conn_set_write_error(RcTlsConn *self, GError *error)
{
	if (self->write_error == NULL)
		self->write_error = error;
	else
		g_error_free(error);
	g_byte_array_set_size(self->obuf, 0);
}

static gboolean rc_tls_conn_flush_ready(GObject *stream, gpointer user_data);
static gboolean rc_tls_conn_flush_blocking(RcTlsConn *self, GCancellable *cancellable,
					   GError **error);

/* Write as much of obuf as the base takes without blocking; arm a source for
 * the rest; complete flush waiters when obuf is empty. */
static void
rc_tls_conn_flush_nonblocking(RcTlsConn *self)
{
	if (!self->base_pollable) {
		(void)rc_tls_conn_flush_blocking(self, NULL, NULL);
		return;
	}
	while (self->obuf->len > 0 && self->write_error == NULL) {
		GError *local = NULL;
		gssize n = g_pollable_output_stream_write_nonblocking(
			G_POLLABLE_OUTPUT_STREAM(self->base_out), self->obuf->data,
			self->obuf->len, NULL, &local);
		if (n < 0 && g_error_matches(local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			g_error_free(local);
			if (self->flush_source == NULL) {
				self->flush_source = g_pollable_output_stream_create_source(
					G_POLLABLE_OUTPUT_STREAM(self->base_out), NULL);
				g_source_set_callback(self->flush_source,
						      (GSourceFunc)(void (*)(void))rc_tls_conn_flush_ready,
						      self, NULL);
				g_source_attach(self->flush_source,
						g_main_context_get_thread_default());
			}
			return;
		}
		if (n < 0) {
			rc_tls_conn_set_write_error(self, local);
			break;
		}
		g_byte_array_remove_range(self->obuf, 0, (guint)n);
	}
	if (self->flush_source != NULL) {
		g_source_destroy(self->flush_source);
		g_clear_pointer(&self->flush_source, g_source_unref);
	}
	rc_tls_conn_complete_waiters(self);
}

static gboolean
rc_tls_conn_flush_ready(GObject *stream, gpointer user_data)
{
	RcTlsConn *self = user_data;
	/* flush_nonblocking drops the source when done; keep it alive here. */
	GSource *source = g_source_ref(self->flush_source);
	gboolean again;
	rc_tls_conn_flush_nonblocking(self);
	again = self->flush_source == source;
	g_source_unref(source);
	return again ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
rc_tls_conn_flush_blocking(RcTlsConn *self, GCancellable *cancellable, GError **error)
{
	if (self->write_error != NULL) {
		g_propagate_error(error, g_error_copy(self->write_error));
		return FALSE;
	}
	if (self->obuf->len > 0) {
		GError *local = NULL;
		if (!g_output_stream_write_all(self->base_out, self->obuf->data, self->obuf->len,
					       NULL, cancellable, &local)) {
			rc_tls_conn_set_write_error(self, local);
			g_propagate_error(error, g_error_copy(self->write_error));
			rc_tls_conn_complete_waiters(self);
			return FALSE;
		}
		g_byte_array_set_size(self->obuf, 0);
	}
	rc_tls_conn_complete_waiters(self);
	return TRUE;
}

static ssize_t
rc_tls_push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	RcTlsConn *self = ptr;
	if (self->write_error != NULL) {
		gnutls_transport_set_errno(self->session, EPIPE);
		return -1;
	}
	if (!self->blocking && !self->base_pollable) {
		/* A sync-mode stream over a non-pollable base: write through. */
		if (!g_output_stream_write_all(self->base_out, data, len, NULL,
					       self->blocking_cancellable, NULL)) {
			gnutls_transport_set_errno(self->session, EPIPE);
			return -1;
		}
		return (ssize_t)len;
	}
	if (!self->blocking && self->obuf->len == 0) {
		/* Fast path: straight to the socket, queue only the rest. */
		GError *local = NULL;
		gssize n = g_pollable_output_stream_write_nonblocking(
			G_POLLABLE_OUTPUT_STREAM(self->base_out), data, len, NULL, &local);
		if (n < 0 && !g_error_matches(local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			rc_tls_conn_set_write_error(self, local);
			rc_tls_conn_complete_waiters(self);
			gnutls_transport_set_errno(self->session, EPIPE);
			return -1;
		}
		g_clear_error(&local);
		if (n > 0) {
			data = (const guint8 *)data + n;
			len -= (size_t)n;
		}
		if (len == 0)
			return n;
		n = n > 0 ? n : 0;
		g_byte_array_append(self->obuf, data, (guint)len);
		rc_tls_conn_flush_nonblocking(self);
		return n + (ssize_t)len;
	}
	g_byte_array_append(self->obuf, data, (guint)len);
	if (self->blocking) {
		if (!rc_tls_conn_flush_blocking(self, self->blocking_cancellable, NULL)) {
			gnutls_transport_set_errno(self->session, EPIPE);
			return -1;
		}
	} else {
		rc_tls_conn_flush_nonblocking(self);
	}
	/* Queued: GnuTLS never sees EAGAIN on writes, obuf carries them. */
	return (ssize_t)len;
}

static ssize_t
rc_tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	RcTlsConn *self = ptr;
	GError *local = NULL;
	gssize n;
	if (self->blocking || !self->base_pollable)
		n = g_input_stream_read(self->base_in, data, len, self->blocking_cancellable,
					&local);
	else
		n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(self->base_in),
							     data, len, NULL, &local);
	if (n > 0 && self->first_byte < 0)
		self->first_byte = ((const guint8 *)data)[0];
	if (n >= 0)
		return n;
	if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
		g_error_free(local);
		gnutls_transport_set_errno(self->session, EAGAIN);
		return -1;
	}
	g_clear_error(&self->read_error);
	self->read_error = local;
	gnutls_transport_set_errno(self->session, EIO);
	return -1;
}

static int
rc_tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	RcTlsConn *self = ptr;
	if (self->blocking || !self->base_pollable)
		return 1; /* the pull will block */
	if (g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(self->base_in)))
		return 1;
	gnutls_transport_set_errno(self->session, EAGAIN);
	return -1;
}

static gssize
rc_tls_conn_read(RcTlsConn *self, void *buffer, gsize count, gboolean blocking,
		 GCancellable *cancellable, GError **error)
{
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return -1;
	if (!self->handshaken) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
				    "TLS handshake not done");
		return -1;
	}
	if (count == 0)
		return 0;
	for (;;) {
		ssize_t r;
		self->blocking = blocking;
		self->blocking_cancellable = cancellable;
		r = gnutls_record_recv(self->session, buffer, count);
		self->blocking = FALSE;
		self->blocking_cancellable = NULL;
		if (r >= 0)
			return r;
		if (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_REHANDSHAKE)
			continue;
		if (r == GNUTLS_E_AGAIN) {
			if (blocking)
				continue;
			g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
					    "Operation would block");
			return -1;
		}
		/* A peer closing TCP without close_notify ends the stream. */
		if (r == GNUTLS_E_PREMATURE_TERMINATION && self->read_error == NULL)
			return 0;
		g_propagate_error(error, rc_tls_conn_error(self, (int)r, FALSE));
		return -1;
	}
}

static gssize
rc_tls_conn_write(RcTlsConn *self, const void *buffer, gsize count, gboolean blocking,
		  GCancellable *cancellable, GError **error)
{
	ssize_t r;
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return -1;
	if (!self->handshaken) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
				    "TLS handshake not done");
		return -1;
	}
	if (self->write_error != NULL) {
		g_propagate_error(error, g_error_copy(self->write_error));
		return -1;
	}
	if (count == 0)
		return 0;
	if (blocking) {
		if (!rc_tls_conn_flush_blocking(self, cancellable, error))
			return -1;
	} else {
		rc_tls_conn_flush_nonblocking(self);
		if (self->write_error == NULL &&
		    self->obuf->len >= RC_TLS_OUTPUT_HIGH_WATER_BYTES) {
			g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
					    "Operation would block");
			return -1;
		}
	}
	count = MIN(count, RC_TLS_MAX_RECORD_BYTES);
	for (;;) {
		self->blocking = blocking;
		self->blocking_cancellable = cancellable;
		r = gnutls_record_send(self->session, buffer, count);
		self->blocking = FALSE;
		self->blocking_cancellable = NULL;
		if (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN) {
			/* Not produced by our push; retry flushes GnuTLS's buffer. */
			buffer = NULL;
			count = 0;
			continue;
		}
		break;
	}
	if (r < 0) {
		g_propagate_error(error, rc_tls_conn_error(self, (int)r, FALSE));
		return -1;
	}
	return r;
}

/* ---------------------------------------------------------------- input stream */

static RcTlsConn *
rc_tls_input_get_conn(RcTlsInput *self, GError **error)
{
	RcTlsConn *conn = g_weak_ref_get(&self->conn);
	if (conn == NULL)
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "Connection is closed");
	return conn;
}

static gssize
rc_tls_input_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
		  GError **error)
{
	g_autoptr(RcTlsConn) conn = rc_tls_input_get_conn(RC_TLS_INPUT(stream), error);
	if (conn == NULL)
		return -1;
	return rc_tls_conn_read(conn, buffer, count, TRUE, cancellable, error);
}

static gboolean
rc_tls_input_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static void
rc_tls_input_close_async(GInputStream *stream, int io_priority, GCancellable *cancellable,
			 GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(stream, cancellable, callback, user_data);
	g_task_set_source_tag(task, rc_tls_input_close_async);
	g_task_return_boolean(task, TRUE);
}

static gboolean
rc_tls_input_close_finish(GInputStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static gboolean
rc_tls_input_can_poll(GPollableInputStream *stream)
{
	g_autoptr(RcTlsConn) conn = rc_tls_input_get_conn(RC_TLS_INPUT(stream), NULL);
	return conn == NULL || conn->base_pollable;
}

static gboolean
rc_tls_input_is_readable(GPollableInputStream *stream)
{
	g_autoptr(RcTlsConn) conn = rc_tls_input_get_conn(RC_TLS_INPUT(stream), NULL);
	if (conn == NULL || gnutls_record_check_pending(conn->session) > 0)
		return TRUE;
	return g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(conn->base_in));
}

static GSource *
rc_tls_input_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	g_autoptr(RcTlsConn) conn = rc_tls_input_get_conn(RC_TLS_INPUT(stream), NULL);
	g_autoptr(GSource) child = NULL;
	if (conn == NULL || gnutls_record_check_pending(conn->session) > 0)
		child = g_timeout_source_new(0);
	else
		child = g_pollable_input_stream_create_source(
			G_POLLABLE_INPUT_STREAM(conn->base_in), NULL);
	return g_pollable_source_new_full(stream, child, cancellable);
}

static gssize
rc_tls_input_read_nonblocking(GPollableInputStream *stream, void *buffer, gsize count,
			      GError **error)
{
	g_autoptr(RcTlsConn) conn = rc_tls_input_get_conn(RC_TLS_INPUT(stream), error);
	if (conn == NULL)
		return -1;
	return rc_tls_conn_read(conn, buffer, count, FALSE, NULL, error);
}

static void
rc_tls_input_finalize(GObject *object)
{
	g_weak_ref_clear(&RC_TLS_INPUT(object)->conn);
	G_OBJECT_CLASS(rc_tls_input_parent_class)->finalize(object);
}

static void
rc_tls_input_class_init(RcTlsInputClass *klass)
{
	GInputStreamClass *input_class = G_INPUT_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_tls_input_finalize;
	input_class->read_fn = rc_tls_input_read;
	input_class->close_fn = rc_tls_input_close;
	input_class->close_async = rc_tls_input_close_async;
	input_class->close_finish = rc_tls_input_close_finish;
}

static void
rc_tls_input_pollable_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = rc_tls_input_can_poll;
	iface->is_readable = rc_tls_input_is_readable;
	iface->create_source = rc_tls_input_create_source;
	iface->read_nonblocking = rc_tls_input_read_nonblocking;
}

static void
rc_tls_input_init(RcTlsInput *self)
{
	g_weak_ref_init(&self->conn, NULL);
}

/* ---------------------------------------------------------------- output stream */

static RcTlsConn *
rc_tls_output_get_conn(RcTlsOutput *self, GError **error)
{
	RcTlsConn *conn = g_weak_ref_get(&self->conn);
	if (conn == NULL)
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "Connection is closed");
	return conn;
}

static gssize
rc_tls_output_write(GOutputStream *stream, const void *buffer, gsize count,
		    GCancellable *cancellable, GError **error)
{
	g_autoptr(RcTlsConn) conn = rc_tls_output_get_conn(RC_TLS_OUTPUT(stream), error);
	if (conn == NULL)
		return -1;
	return rc_tls_conn_write(conn, buffer, count, TRUE, cancellable, error);
}

/* Synchronous flush: blocks only for sync-mode streams (receptorctl); on the
 * loop it writes what it can and leaves the rest to the flush source. */
static gboolean
rc_tls_output_flush(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	g_autoptr(RcTlsConn) conn = rc_tls_output_get_conn(RC_TLS_OUTPUT(stream), error);
	if (conn == NULL)
		return FALSE;
	if (conn->sync_mode)
		return rc_tls_conn_flush_blocking(conn, cancellable, error);
	rc_tls_conn_flush_nonblocking(conn);
	if (conn->write_error != NULL) {
		g_propagate_error(error, g_error_copy(conn->write_error));
		return FALSE;
	}
	return TRUE;
}

static void
rc_tls_conn_wait_flush(RcTlsConn *self, GTask *task)
{
	rc_tls_conn_flush_nonblocking(self);
	if (self->obuf->len == 0 || self->write_error != NULL) {
		if (self->write_error != NULL)
			g_task_return_error(task, g_error_copy(self->write_error));
		else
			g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	g_queue_push_tail(&self->flush_waiters, task);
}

static void
rc_tls_output_flush_async(GOutputStream *stream, int io_priority, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(stream, cancellable, callback, user_data);
	g_autoptr(RcTlsConn) conn = NULL;
	GError *error = NULL;
	g_task_set_source_tag(task, rc_tls_output_flush_async);
	conn = rc_tls_output_get_conn(RC_TLS_OUTPUT(stream), &error);
	if (conn == NULL) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	rc_tls_conn_wait_flush(conn, task);
}

static gboolean
rc_tls_output_flush_finish(GOutputStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static gboolean
rc_tls_output_close(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static void
rc_tls_output_close_async(GOutputStream *stream, int io_priority, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(stream, cancellable, callback, user_data);
	g_task_set_source_tag(task, rc_tls_output_close_async);
	g_task_return_boolean(task, TRUE);
}

static gboolean
rc_tls_output_close_finish(GOutputStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static gboolean
rc_tls_output_can_poll(GPollableOutputStream *stream)
{
	g_autoptr(RcTlsConn) conn = rc_tls_output_get_conn(RC_TLS_OUTPUT(stream), NULL);
	return conn == NULL || conn->base_pollable;
}

static gboolean
rc_tls_output_is_writable(GPollableOutputStream *stream)
{
	g_autoptr(RcTlsConn) conn = rc_tls_output_get_conn(RC_TLS_OUTPUT(stream), NULL);
	if (conn == NULL || conn->write_error != NULL ||
	    conn->obuf->len < RC_TLS_OUTPUT_HIGH_WATER_BYTES)
		return TRUE;
	return g_pollable_output_stream_is_writable(G_POLLABLE_OUTPUT_STREAM(conn->base_out));
}

static GSource *
rc_tls_output_create_source(GPollableOutputStream *stream, GCancellable *cancellable)
{
	g_autoptr(RcTlsConn) conn = rc_tls_output_get_conn(RC_TLS_OUTPUT(stream), NULL);
	g_autoptr(GSource) child = NULL;
	if (conn == NULL || conn->write_error != NULL ||
	    conn->obuf->len < RC_TLS_OUTPUT_HIGH_WATER_BYTES)
		child = g_timeout_source_new(0);
	else
		child = g_pollable_output_stream_create_source(
			G_POLLABLE_OUTPUT_STREAM(conn->base_out), NULL);
	return g_pollable_source_new_full(stream, child, cancellable);
}

static gssize
rc_tls_output_write_nonblocking(GPollableOutputStream *stream, const void *buffer, gsize count,
				GError **error)
{
	g_autoptr(RcTlsConn) conn = rc_tls_output_get_conn(RC_TLS_OUTPUT(stream), error);
	if (conn == NULL)
		return -1;
	return rc_tls_conn_write(conn, buffer, count, FALSE, NULL, error);
}

static void
rc_tls_output_finalize(GObject *object)
{
	g_weak_ref_clear(&RC_TLS_OUTPUT(object)->conn);
	G_OBJECT_CLASS(rc_tls_output_parent_class)->finalize(object);
}

static void
rc_tls_output_class_init(RcTlsOutputClass *klass)
{
	GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_tls_output_finalize;
	output_class->write_fn = rc_tls_output_write;
	output_class->flush = rc_tls_output_flush;
	output_class->flush_async = rc_tls_output_flush_async;
	output_class->flush_finish = rc_tls_output_flush_finish;
	output_class->close_fn = rc_tls_output_close;
	output_class->close_async = rc_tls_output_close_async;
	output_class->close_finish = rc_tls_output_close_finish;
}

static void
rc_tls_output_pollable_init(GPollableOutputStreamInterface *iface)
{
	iface->can_poll = rc_tls_output_can_poll;
	iface->is_writable = rc_tls_output_is_writable;
	iface->create_source = rc_tls_output_create_source;
	iface->write_nonblocking = rc_tls_output_write_nonblocking;
}

static void
rc_tls_output_init(RcTlsOutput *self)
{
	g_weak_ref_init(&self->conn, NULL);
}

/* ---------------------------------------------------------------- the GIOStream */

static GInputStream *
rc_tls_conn_get_input_stream(GIOStream *stream)
{
	return RC_TLS_CONN(stream)->in;
}

static GOutputStream *
rc_tls_conn_get_output_stream(GIOStream *stream)
{
	return RC_TLS_CONN(stream)->out;
}

static void
rc_tls_conn_send_bye(RcTlsConn *self)
{
	if (!self->handshaken || self->bye_sent || self->write_error != NULL)
		return;
	self->bye_sent = TRUE;
	self->blocking = self->sync_mode;
	(void)gnutls_bye(self->session, GNUTLS_SHUT_WR);
	self->blocking = FALSE;
}

/* Synchronous close (also what GIOStream's dispose runs): never blocks on the
 * loop; close_notify goes out if the socket takes it at once. */
static gboolean
rc_tls_conn_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	RcTlsConn *self = RC_TLS_CONN(stream);
	rc_tls_conn_send_bye(self);
	if (self->sync_mode)
		(void)rc_tls_conn_flush_blocking(self, cancellable, NULL);
	else
		rc_tls_conn_flush_nonblocking(self);
	return g_io_stream_close(self->base, cancellable, error);
}

static void
rc_tls_conn_close_base_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = NULL;
	if (!g_io_stream_close_finish(G_IO_STREAM(source), result, &error))
		g_task_return_error(task, error);
	else
		g_task_return_boolean(task, TRUE);
}

static void
rc_tls_conn_close_flushed(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	RcTlsConn *self = g_task_get_source_object(task);
	int priority = g_task_get_priority(task);
	GCancellable *cancellable = g_task_get_cancellable(task);
	/* A failed flush does not stop the close. */
	g_io_stream_close_async(self->base, priority, cancellable, rc_tls_conn_close_base_done,
				task);
}

static void
rc_tls_conn_close_async(GIOStream *stream, int io_priority, GCancellable *cancellable,
			GAsyncReadyCallback callback, gpointer user_data)
{
	RcTlsConn *self = RC_TLS_CONN(stream);
	GTask *task = g_task_new(stream, cancellable, callback, user_data);
	GTask *flush = g_task_new(stream, cancellable, rc_tls_conn_close_flushed, task);
	g_task_set_source_tag(task, rc_tls_conn_close_async);
	g_task_set_priority(task, io_priority);
	rc_tls_conn_send_bye(self);
	rc_tls_conn_wait_flush(self, flush);
}

static gboolean
rc_tls_conn_close_finish(GIOStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
rc_tls_conn_dispose(GObject *object)
{
	RcTlsConn *self = RC_TLS_CONN(object);
	/* GIOStream's dispose closes the stream (needs the session). */
	G_OBJECT_CLASS(rc_tls_conn_parent_class)->dispose(object);
	if (self->flush_source != NULL) {
		g_source_destroy(self->flush_source);
		g_clear_pointer(&self->flush_source, g_source_unref);
	}
	if (self->write_error == NULL)
		self->write_error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CLOSED,
							"Connection is closed");
	rc_tls_conn_complete_waiters(self);
}

static void
rc_tls_conn_finalize(GObject *object)
{
	RcTlsConn *self = RC_TLS_CONN(object);
	if (self->session != NULL)
		gnutls_deinit(self->session);
	rc_tls_verify_free(self->verify);
	rc_tls_config_unref(self->config);
	g_clear_object(&self->in);
	g_clear_object(&self->out);
	g_clear_object(&self->base);
	g_byte_array_unref(self->obuf);
	g_clear_error(&self->write_error);
	g_clear_error(&self->read_error);
	G_OBJECT_CLASS(rc_tls_conn_parent_class)->finalize(object);
}

static void
rc_tls_conn_class_init(RcTlsConnClass *klass)
{
	GIOStreamClass *io_class = G_IO_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->dispose = rc_tls_conn_dispose;
	G_OBJECT_CLASS(klass)->finalize = rc_tls_conn_finalize;
	io_class->get_input_stream = rc_tls_conn_get_input_stream;
	io_class->get_output_stream = rc_tls_conn_get_output_stream;
	io_class->close_fn = rc_tls_conn_close;
	io_class->close_async = rc_tls_conn_close_async;
	io_class->close_finish = rc_tls_conn_close_finish;
}

static void
rc_tls_conn_init(RcTlsConn *self)
{
	self->obuf = g_byte_array_new();
	self->first_byte = -1;
	g_queue_init(&self->flush_waiters);
}

static RcTlsConn *
rc_tls_conn_new(RcTlsConfig *config, GIOStream *base, const char *server_name,
		gboolean sync_mode, GError **error)
{
	g_autoptr(RcTlsConn) self = g_object_new(RC_TYPE_TLS_CONN, NULL);
	unsigned flags;
	int r;

	self->config = rc_tls_config_ref(config);
	self->base = g_object_ref(base);
	self->base_in = g_io_stream_get_input_stream(base);
	self->base_out = g_io_stream_get_output_stream(base);
	self->sync_mode = sync_mode;
	self->base_pollable =
		G_IS_POLLABLE_INPUT_STREAM(self->base_in) &&
		g_pollable_input_stream_can_poll(G_POLLABLE_INPUT_STREAM(self->base_in)) &&
		G_IS_POLLABLE_OUTPUT_STREAM(self->base_out) &&
		g_pollable_output_stream_can_poll(G_POLLABLE_OUTPUT_STREAM(self->base_out));
	if (!sync_mode && !self->base_pollable) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
				    "TLS needs a pollable base stream");
		return NULL;
	}
	self->in = g_object_new(RC_TYPE_TLS_INPUT, NULL);
	g_weak_ref_set(&RC_TLS_INPUT(self->in)->conn, self);
	self->out = g_object_new(RC_TYPE_TLS_OUTPUT, NULL);
	g_weak_ref_set(&RC_TLS_OUTPUT(self->out)->conn, self);

	flags = config->server ? GNUTLS_SERVER : GNUTLS_CLIENT;
	if (!sync_mode)
		flags |= GNUTLS_NONBLOCK;
	r = gnutls_init(&self->session, flags);
	if (r < 0) {
		self->session = NULL;
		g_set_error(error, G_TLS_ERROR, G_TLS_ERROR_MISC, "tls: %s", gnutls_strerror(r));
		return NULL;
	}
	gnutls_transport_set_ptr(self->session, self);
	gnutls_transport_set_push_function(self->session, rc_tls_push);
	gnutls_transport_set_pull_function(self->session, rc_tls_pull);
	gnutls_transport_set_pull_timeout_function(self->session, rc_tls_pull_timeout);
	gnutls_handshake_set_timeout(self->session, 0);

	if (!config->server && server_name != NULL && server_name[0] != '\0') {
		/* tls.md 4.2: SNI is the host name without trailing dots, never an
		 * IP literal. */
		g_autofree char *host = g_strdup(server_name);
		gsize n = strlen(host);
		if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
			memmove(host, host + 1, n - 2);
			host[n - 2] = '\0';
		}
		while ((n = strlen(host)) > 0 && host[n - 1] == '.')
			host[n - 1] = '\0';
		if (host[0] != '\0' && !g_hostname_is_ip_address(host))
			gnutls_server_name_set(self->session, GNUTLS_NAME_DNS, host, strlen(host));
	}
	self->verify = rc_tls_session_configure(config, self->session, FALSE, server_name);
	return g_steal_pointer(&self);
}

gboolean
rc_tls_is_tls_stream(GIOStream *stream)
{
	return stream != NULL && RC_IS_TLS_CONN(stream);
}

gnutls_session_t
rc_tls_stream_get_session(GIOStream *stream)
{
	if (!rc_tls_is_tls_stream(stream))
		return NULL;
	return RC_TLS_CONN(stream)->session;
}

/* ---------------------------------------------------------------- wrapping */

static gboolean rc_tls_handshake_ready(GObject *stream, gpointer user_data);

/* Tell the peer why the handshake failed (GnuTLS leaves it to us). */
static void
rc_tls_conn_send_alert(RcTlsConn *conn, int r)
{
	if (conn->verify != NULL && conn->verify->error != NULL && conn->verify->alert != 0 &&
	    (r == GNUTLS_E_CERTIFICATE_ERROR || r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR))
		(void)gnutls_alert_send(conn->session, GNUTLS_AL_FATAL,
					(gnutls_alert_description_t)conn->verify->alert);
	else
		(void)gnutls_alert_send_appropriate(conn->session, r);
}

static void
rc_tls_handshake_failed(GTask *task, RcTlsConn *conn, int r)
{
	GError *error = rc_tls_conn_error(conn, r, TRUE);
	/* Tell the peer why (GnuTLS leaves sending the alert to us). */
	if (r != GNUTLS_E_FATAL_ALERT_RECEIVED && conn->write_error == NULL &&
	    r != GNUTLS_E_PREMATURE_TERMINATION && r != GNUTLS_E_PULL_ERROR)
		rc_tls_conn_send_alert(conn, r);
	rc_tls_conn_flush_nonblocking(conn);
	g_task_return_error(task, error);
	g_object_unref(task);
}

static void
rc_tls_handshake_step(GTask *task)
{
	RcTlsConn *conn = g_task_get_task_data(task);
	GSource *source;
	int r;
	if (g_task_return_error_if_cancelled(task)) {
		g_object_unref(task);
		return;
	}
	r = gnutls_handshake(conn->session);
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		if (conn->write_error != NULL) {
			rc_tls_handshake_failed(task, conn, GNUTLS_E_PUSH_ERROR);
			return;
		}
		source = g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(conn->base_in),
							       g_task_get_cancellable(task));
		g_source_set_callback(source, (GSourceFunc)(void (*)(void))rc_tls_handshake_ready,
				      task, NULL);
		g_source_attach(source, g_task_get_context(task));
		g_source_unref(source);
		return;
	}
	if (r < 0) {
		rc_tls_handshake_failed(task, conn, r);
		return;
	}
	conn->handshaken = TRUE;
	g_task_return_pointer(task, g_object_ref(conn), g_object_unref);
	g_object_unref(task);
}

static gboolean
rc_tls_handshake_ready(GObject *stream, gpointer user_data)
{
	rc_tls_handshake_step(user_data);
	return G_SOURCE_REMOVE;
}

void
rc_tls_wrap_async(RcTlsConfig *config, GIOStream *base, const char *server_name,
		  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	GError *error = NULL;
	RcTlsConn *conn;
	g_task_set_source_tag(task, rc_tls_wrap_async);
	conn = rc_tls_conn_new(config, base, server_name, FALSE, &error);
	if (conn == NULL) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	g_task_set_task_data(task, conn, g_object_unref);
	rc_tls_handshake_step(task);
}

GIOStream *
rc_tls_wrap_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

GIOStream *
rc_tls_wrap_sync(RcTlsConfig *config, GIOStream *base, const char *server_name,
		 GCancellable *cancellable, GError **error)
{
	g_autoptr(RcTlsConn) conn = rc_tls_conn_new(config, base, server_name, TRUE, error);
	int r;
	if (conn == NULL)
		return NULL;
	do {
		conn->blocking = TRUE;
		conn->blocking_cancellable = cancellable;
		r = gnutls_handshake(conn->session);
		conn->blocking = FALSE;
		conn->blocking_cancellable = NULL;
	} while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	if (r < 0) {
		GError *local = rc_tls_conn_error(conn, r, TRUE);
		if (r != GNUTLS_E_FATAL_ALERT_RECEIVED && conn->write_error == NULL &&
		    r != GNUTLS_E_PULL_ERROR) {
			conn->blocking = TRUE;
			rc_tls_conn_send_alert(conn, r);
			conn->blocking = FALSE;
		}
		g_propagate_error(error, local);
		return NULL;
	}
	conn->handshaken = TRUE;
	return G_IO_STREAM(g_steal_pointer(&conn));
}

void
rc_tls_store_wrap_async(RcTlsStore *store, const char *name, gboolean server, GIOStream *base,
			const char *server_name, GCancellable *cancellable,
			GAsyncReadyCallback callback, gpointer user_data)
{
	GError *error = NULL;
	g_autoptr(RcTlsConfig) config = rc_tls_store_lookup(store, name, server, &error);
	if (config == NULL) {
		GTask *task = g_task_new(NULL, cancellable, callback, user_data);
		g_task_set_source_tag(task, rc_tls_wrap_async);
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	rc_tls_wrap_async(config, base, server_name, cancellable, callback, user_data);
}

gboolean
rc_tls_peer_matches_node(GIOStream *tls_stream, const char *node_id, GError **error)
{
	RcTlsConn *conn;
	unsigned n = 0;
	const gnutls_datum_t *peers;
	gnutls_x509_crt_t crt = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_return_val_if_fail(node_id != NULL, FALSE);
	if (!rc_tls_is_tls_stream(tls_stream))
		return TRUE;
	conn = RC_TLS_CONN(tls_stream);
	if (!conn->config->verifypeernodeid)
		return TRUE;
	peers = gnutls_certificate_get_peers(conn->session, &n);
	if (peers == NULL || n == 0) {
		g_autoptr(GPtrArray) none = g_ptr_array_new();
		g_autofree char *msg = rc_tls_receptor_name_error(none, node_id);
		g_set_error_literal(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, msg);
		return FALSE;
	}
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) < 0) {
		if (crt != NULL)
			gnutls_x509_crt_deinit(crt);
		g_set_error_literal(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
				    "x509: malformed certificate");
		return FALSE;
	}
	names = rc_tls_receptor_names(crt, error);
	gnutls_x509_crt_deinit(crt);
	if (names == NULL)
		return FALSE;
	if (!rc_tls_names_contain(names, node_id)) {
		g_autofree char *msg = rc_tls_receptor_name_error(names, node_id);
		g_set_error_literal(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, msg);
		return FALSE;
	}
	return TRUE;
}

/* ================================================================== entities */

static gboolean
rc_tls_entity_create(RcEntity *entity, gboolean server, GVariant *params, gpointer *data,
		     GError **error)
{
	RcCore *core = entity->core;
	*data = NULL;
	return rc_tls_store_add(rc_tls_store_get(core), server, params,
				core->node_id != NULL ? core->node_id : "", error);
}

static gboolean
rc_tls_server_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		     GError **error)
{
	return rc_tls_entity_create(entity, TRUE, params, data, error);
}

static gboolean
rc_tls_client_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		     GError **error)
{
	return rc_tls_entity_create(entity, FALSE, params, data, error);
}

#define RC_TLS_VERIFYPEERNODEID_DESC                                                      \
	"receptor-c extension: on backend links, require the peer's certificate to carry " \
	"the node ID the peer announces (Receptor never checks this)"

/* Help strings: config.md Appendix A, verbatim. */
static const RcParamDesc rc_tls_server_params[] = {
	{ "name", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Name of this TLS server configuration" },
	{ "cert", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Server certificate filename" },
	{ "key", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Server private key filename" },
	{ "requireclientcert", RC_PARAM_BOOL, 0, "false", "Require client certificates" },
	{ "clientcas", RC_PARAM_STRING, 0, NULL, "Filename of CA bundle to verify client certs with" },
	{ "pinnedclientcert", RC_PARAM_STRING_LIST, 0, NULL,
	  "Pinned fingerprint of required client certificate" },
	{ "skipreceptornamescheck", RC_PARAM_BOOL, 0, "false",
	  "Skip verifying ReceptorNames OIDs in certificate at startup" },
	{ "mintls13", RC_PARAM_BOOL, 0, "false",
	  "Set minimum TLS version to 1.3. Otherwise the minimum is 1.2" },
	{ "verifypeernodeid", RC_PARAM_BOOL, 0, "false", RC_TLS_VERIFYPEERNODEID_DESC },
	{ NULL },
};

static const RcParamDesc rc_tls_client_params[] = {
	{ "name", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Name of this TLS client configuration" },
	{ "cert", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Client certificate filename" },
	{ "key", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Client private key filename" },
	{ "rootcas", RC_PARAM_STRING, 0, NULL, "Root CA bundle to use instead of system trust" },
	{ "insecureskipverify", RC_PARAM_BOOL, 0, "false", "Accept any server cert" },
	{ "pinnedservercert", RC_PARAM_STRING_LIST, 0, NULL,
	  "Pinned fingerprint of required server certificate" },
	{ "skipreceptornamescheck", RC_PARAM_BOOL, 0, NULL,
	  "if true, skip verifying ReceptorNames OIDs in certificate at startup" },
	{ "mintls13", RC_PARAM_BOOL, 0, "false",
	  "Set minimum TLS version to 1.3. Otherwise the minimum is 1.2" },
	{ "verifypeernodeid", RC_PARAM_BOOL, 0, "false", RC_TLS_VERIFYPEERNODEID_DESC },
	{ NULL },
};

static const RcEntityOps rc_tls_server_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = rc_tls_server_create,
};

static const RcEntityOps rc_tls_client_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = rc_tls_client_create,
};

const RcEntityDesc rc_tls_server_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "tls-server",
	.kind = RC_ENTITY_RESOURCE,
	.description = "Define a TLS server configuration",
	.params = rc_tls_server_params,
	.ops = &rc_tls_server_ops,
};

const RcEntityDesc rc_tls_client_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "tls-client",
	.kind = RC_ENTITY_RESOURCE,
	.description = "Define a TLS client configuration",
	.params = rc_tls_client_params,
	.ops = &rc_tls_client_ops,
};

/* ================================================================== RcHost calls */

gboolean
rc_host_tls_check(RcEntity *entity, const char *name, gboolean server, GError **error)
{
	g_return_val_if_fail(entity != NULL && name != NULL, FALSE);
	return rc_tls_store_check(rc_tls_store_get(entity->core), name, server, error);
}

void
rc_host_tls_wrap_async(RcEntity *entity, const char *name, gboolean server, GIOStream *base,
		       const char *server_name, GCancellable *cancellable,
		       GAsyncReadyCallback callback, gpointer user_data)
{
	rc_tls_store_wrap_async(rc_tls_store_get(entity->core), name, server, base, server_name,
				cancellable, callback, user_data);
}

GIOStream *
rc_host_tls_wrap_finish(RcEntity *entity, GAsyncResult *result, GError **error)
{
	return rc_tls_wrap_finish(result, error);
}
