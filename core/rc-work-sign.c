/* rc-work-sign.c: work-signing / work-verification and RS512 JWTs
 * (remote-work.md 5, 8). */
#include "config.h"

#include "rc-work-sign.h"

#include <math.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <json-glib/json-glib.h>
#include <nettle/base64.h>

#include "rc-duration.h"
#include "rc-entity.h"
#include "rc-work-status.h"

/* ------------------------------------------------------------ Go durations */

gboolean
rc_go_duration_parse(const char *text, gint64 *out_us, GError **error)
{
	/* one exact (integer) implementation of Go's ParseDuration, shared with
	 * the configuration (a double accumulator was off by 1 us on long input) */
	gint64 ns = 0;
	if (!rc_duration_parse_ns(text, &ns, error))
		return FALSE;
	*out_us = ns / 1000;
	return TRUE;
}

static void
append_frac(GString *s, guint64 v, guint digits)
{
	/* v has `digits` fraction digits; print integer part, then trimmed fraction */
	guint64 pow10 = 1;
	for (guint i = 0; i < digits; i++)
		pow10 *= 10;
	g_string_append_printf(s, "%" G_GUINT64_FORMAT, v / pow10);
	guint64 frac = v % pow10;
	if (frac == 0)
		return;
	char buf[32];
	g_snprintf(buf, sizeof(buf), "%0*" G_GUINT64_FORMAT, (int)digits, frac);
	gsize n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	g_string_append_printf(s, ".%s", buf);
}

char *
rc_go_duration_string(gint64 ns)
{
	GString *s = g_string_new(NULL);
	guint64 u;

	if (ns == 0)
		return g_string_free(s, TRUE), g_strdup("0s");
	if (ns < 0) {
		g_string_append_c(s, '-');
		u = (guint64)(-(ns + 1)) + 1;
	} else {
		u = (guint64)ns;
	}
	if (u < 1000) {
		g_string_append_printf(s, "%" G_GUINT64_FORMAT "ns", u);
	} else if (u < 1000000) {
		append_frac(s, u, 3);
		g_string_append(s, "\xc2\xb5s");
	} else if (u < 1000000000) {
		append_frac(s, u, 6);
		g_string_append(s, "ms");
	} else {
		guint64 secs = u / 1000000000, h = secs / 3600, m = (secs / 60) % 60;
		if (h > 0)
			g_string_append_printf(s, "%" G_GUINT64_FORMAT "h", h);
		if (h > 0 || m > 0)
			g_string_append_printf(s, "%" G_GUINT64_FORMAT "m", m);
		append_frac(s, (secs % 60) * 1000000000 + u % 1000000000, 9);
		g_string_append_c(s, 's');
	}
	return g_string_free(s, FALSE);
}

/* ------------------------------------------------------------ entities */

typedef struct {
	RcEntity *entity;
	char *path;
	gint64 lifetime_us;
} SignConfig;

static void
sign_config_free(gpointer data)
{
	SignConfig *c = data;
	g_free(c->path);
	g_free(c);
}

static gboolean
sign_create_common(RcEntity *entity, const char *key_param, gpointer *data, GError **error)
{
	const char *path = rc_entity_get_string(entity, key_param, "");
	SignConfig *c;

	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "%s does not exist", path);
		return FALSE;
	}
	c = g_new0(SignConfig, 1);
	c->entity = entity;
	c->path = g_strdup(path);
	c->lifetime_us = RC_WORK_SIGN_DEFAULT_LIFETIME_US;
	*data = c;
	return TRUE;
}

static gboolean
signing_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
	       GError **error)
{
	const char *exp = rc_entity_get_string(entity, "tokenexpiration", "");
	gint64 lifetime = RC_WORK_SIGN_DEFAULT_LIFETIME_US;

	if (exp[0] != '\0' && !rc_go_duration_parse(exp, &lifetime, NULL)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "failed to parse TokenExpiration -- valid examples include "
				    "'1.5h', '30m', '30m10s'");
		return FALSE;
	}
	if (!sign_create_common(entity, "privatekey", data, error))
		return FALSE;
	((SignConfig *)*data)->lifetime_us = lifetime;
	return TRUE;
}

static gboolean
verification_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		    GError **error)
{
	return sign_create_common(entity, "publickey", data, error);
}

static const RcParamDesc signing_params[] = {
	{ "privatekey", RC_PARAM_STRING, RC_PARAM_BARE, NULL, "Private key to sign work submissions" },
	{ "tokenexpiration", RC_PARAM_STRING, 0, NULL,
	  "Expiration of the signed json web token, e.g. 3h or 3h30m" },
	{ NULL },
};

static const RcParamDesc verification_params[] = {
	{ "publickey", RC_PARAM_STRING, RC_PARAM_BARE, NULL, "Public key to verify signed work submissions" },
	{ NULL },
};

static const RcEntityOps signing_ops = { .struct_size = sizeof(RcEntityOps),
					 .create = signing_create,
					 .free = sign_config_free };
static const RcEntityOps verification_ops = { .struct_size = sizeof(RcEntityOps),
					      .create = verification_create,
					      .free = sign_config_free };

const RcEntityDesc rc_work_signing_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "work-signing",
	.kind = RC_ENTITY_WORKER,
	.flags = RC_ENTITY_SINGLETON,
	.description = "Private key to sign work submissions",
	.params = signing_params,
	.ops = &signing_ops,
};

const RcEntityDesc rc_work_verification_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "work-verification",
	.kind = RC_ENTITY_WORKER,
	.flags = RC_ENTITY_SINGLETON,
	.description = "Public key to verify work submissions",
	.params = verification_params,
	.ops = &verification_ops,
};

static SignConfig *
find_config(RcCore *core, const RcEntityDesc *desc)
{
	if (core->entities == NULL)
		return NULL;
	for (guint i = 0; i < core->entities->len; i++) {
		RcEntity *e = core->entities->pdata[i];
		if (e->desc == desc && e->created && e->data != NULL)
			return e->data;
	}
	return NULL;
}

const char *
rc_work_sign_verify_key_path(RcCore *core)
{
	SignConfig *c = find_config(core, &rc_work_verification_entity);
	return c != NULL ? c->path : NULL;
}

const char *
rc_work_sign_private_key_path(RcCore *core, gint64 *lifetime_us)
{
	SignConfig *c = find_config(core, &rc_work_signing_entity);
	if (c == NULL)
		return NULL;
	if (lifetime_us != NULL)
		*lifetime_us = c->lifetime_us;
	return c->path;
}

/* ------------------------------------------------------------ PEM rules */

gboolean
rc_work_sign_check_pem(const char *text, gsize len, gboolean private_key, GError **error)
{
	const char *p = text, *end = text + len;
	guint blocks = 0;
	g_autofree char *type = NULL;

	for (;;) {
		const char *begin = g_strstr_len(p, end - p, "-----BEGIN ");
		if (begin == NULL)
			break;
		const char *tstart = begin + 11;
		const char *tend = g_strstr_len(tstart, end - tstart, "-----");
		if (tend == NULL)
			break;
		g_autofree char *t = g_strndup(tstart, tend - tstart);
		g_autofree char *end_marker = g_strdup_printf("-----END %s-----", t);
		const char *e = g_strstr_len(tend, end - tend, end_marker);
		if (e == NULL) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "failed to decode PEM block");
			return FALSE;
		}
		p = e + strlen(end_marker);
		if (!g_str_equal(t, "CERTIFICATE") && !g_str_equal(t, "CERTIFICATE REQUEST") &&
		    !g_str_equal(t, "RSA PRIVATE KEY") && !g_str_equal(t, "PRIVATE KEY") &&
		    !g_str_equal(t, "PUBLIC KEY")) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "unknown block type %s", t);
			return FALSE;
		}
		blocks++;
		g_free(type);
		type = g_steal_pointer(&t);
	}
	if (blocks == 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG, "failed to decode PEM block");
		return FALSE;
	}
	/* at most one line ending after the last END line */
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	if (p != end) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG, "failed to decode PEM block");
		return FALSE;
	}
	if (blocks != 1) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    private_key ? "private key file should contain exactly one item"
						: "public key file should contain exactly one item");
		return FALSE;
	}
	if (private_key && !g_str_equal(type, "RSA PRIVATE KEY") && !g_str_equal(type, "PRIVATE KEY")) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "private key file does not contain private key data");
		return FALSE;
	}
	if (!private_key && !g_str_equal(type, "PUBLIC KEY")) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "public key file does not contain public key data");
		return FALSE;
	}
	return TRUE;
}

static gboolean
read_key(const char *path, char **text, gsize *len, GError **error)
{
	g_autoptr(GError) local = NULL;
	if (!g_file_get_contents(path, text, len, &local)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "%s", local->message);
		return FALSE;
	}
	if (*len > RC_WORK_SIGN_MAX_KEY_FILE) {
		g_clear_pointer(text, g_free);
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "%s: key file too large", path);
		return FALSE;
	}
	return TRUE;
}

/* ------------------------------------------------------------ base64url */

static char *
b64url_encode(const guint8 *data, gsize len)
{
	struct base64_encode_ctx ctx;
	char *out = g_malloc(BASE64_ENCODE_LENGTH(len) + BASE64_ENCODE_FINAL_LENGTH + 1);
	gsize n;

	base64url_encode_init(&ctx);
	n = base64_encode_update(&ctx, out, len, data);
	n += base64_encode_final(&ctx, out + n);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	return out;
}

static guint8 *
b64url_decode(const char *text, gsize len, gsize *out_len, GError **error)
{
	struct base64_decode_ctx ctx;
	g_autoptr(GString) padded = NULL;
	guint8 *out;
	size_t n = 0;

	for (gsize i = 0; i < len; i++) {
		char c = text[i];
		if (!g_ascii_isalnum(c) && c != '-' && c != '_') {
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "illegal base64 data at input byte %" G_GSIZE_FORMAT, i);
			return NULL;
		}
	}
	if (len % 4 == 1) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "illegal base64 data at input byte %" G_GSIZE_FORMAT, len - 1);
		return NULL;
	}
	padded = g_string_new_len(text, len);
	while (padded->len % 4 != 0)
		g_string_append_c(padded, '=');
	out = g_malloc(BASE64_DECODE_LENGTH(padded->len) + 1);
	base64url_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &n, out, padded->len, padded->str) ||
	    !base64_decode_final(&ctx)) {
		g_free(out);
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL, "illegal base64 data at input byte 0");
		return NULL;
	}
	*out_len = n;
	return out;
}

/* ------------------------------------------------------------ sign / verify */

char *
rc_work_sign_token(const char *private_key_path, const char *audience, gint64 lifetime_us,
		   gint64 now_us, GError **error)
{
	g_autofree char *pem = NULL;
	gsize pem_len = 0;
	gnutls_privkey_t key = NULL;
	gnutls_datum_t datum, input, sig = { NULL, 0 };
	g_autoptr(GString) claims = g_string_new("{\"aud\":[");
	g_autofree char *h64 = NULL, *c64 = NULL, *s64 = NULL, *signing_input = NULL;
	int ret;

	if (private_key_path == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG, "signing key is empty");
		return NULL;
	}
	if (!read_key(private_key_path, &pem, &pem_len, error) ||
	    !rc_work_sign_check_pem(pem, pem_len, TRUE, error))
		return NULL;
	gnutls_privkey_init(&key);
	datum.data = (unsigned char *)pem;
	datum.size = (unsigned int)pem_len;
	ret = gnutls_privkey_import_x509_raw(key, &datum, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (ret < 0 || gnutls_privkey_get_pk_algorithm(key, NULL) != GNUTLS_PK_RSA) {
		gnutls_privkey_deinit(key);
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    ret < 0 ? "%s" : "private key file does not contain private key data",
			    gnutls_strerror(ret));
		return NULL;
	}
	rc_work_json_append_string(claims, audience, -1);
	g_string_append_printf(claims, "],\"exp\":%" G_GINT64_FORMAT "}",
			       (now_us + lifetime_us) / G_USEC_PER_SEC);
	h64 = b64url_encode((const guint8 *)"{\"alg\":\"RS512\",\"typ\":\"JWT\"}", 27);
	c64 = b64url_encode((const guint8 *)claims->str, claims->len);
	signing_input = g_strdup_printf("%s.%s", h64, c64);
	input.data = (unsigned char *)signing_input;
	input.size = (unsigned int)strlen(signing_input);
	ret = gnutls_privkey_sign_data2(key, GNUTLS_SIGN_RSA_SHA512, 0, &input, &sig);
	gnutls_privkey_deinit(key);
	if (ret < 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "%s", gnutls_strerror(ret));
		return NULL;
	}
	s64 = b64url_encode(sig.data, sig.size);
	gnutls_free(sig.data);
	return g_strdup_printf("%s.%s", signing_input, s64);
}

static JsonNode *
decode_part(const char *text, gsize len, GError **error)
{
	gsize n = 0;
	g_autofree guint8 *raw = b64url_decode(text, len, &n, error);
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) local = NULL;
	if (raw == NULL)
		return NULL;
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, (const char *)raw, (gssize)n, &local) ||
	    json_parser_get_root(parser) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL, "%s",
			    local != NULL ? local->message : "token part is not a JSON object");
		return NULL;
	}
	return json_node_copy(json_parser_get_root(parser));
}

static gboolean
get_number(JsonObject *obj, const char *key, double *out)
{
	JsonNode *n = json_object_get_member(obj, key);
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n))
		return FALSE;
	GType t = json_node_get_value_type(n);
	if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
		return FALSE;
	*out = json_node_get_double(n);
	return TRUE;
}

#define VERIFY_PREFIX "could not verify signature: "

gboolean
rc_work_sign_verify(const char *public_key_path, const char *token, const char *node_id,
		    gint64 now_us, GError **error)
{
	g_autofree char *pem = NULL;
	gsize pem_len = 0;
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) parts = NULL;
	g_autoptr(JsonNode) header = NULL, claims = NULL;
	const char *alg;
	gnutls_sign_algorithm_t algo = GNUTLS_SIGN_UNKNOWN;
	gnutls_pubkey_t pub = NULL;
	const char *time_error = NULL;
	g_autofree char *expired = NULL;
	double v;

	if (token == NULL || token[0] == '\0') {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    VERIFY_PREFIX "signature is empty");
		return FALSE;
	}
	if (public_key_path == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    VERIFY_PREFIX "verifying key not specified");
		return FALSE;
	}
	if (!read_key(public_key_path, &pem, &pem_len, &local) ||
	    !rc_work_sign_check_pem(pem, pem_len, FALSE, &local)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "could not load verifying key file: %s",
			    local->message);
		return FALSE;
	}
	if (g_ascii_strncasecmp(token, "bearer ", 7) == 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    VERIFY_PREFIX "tokenstring should not contain 'bearer '");
		return FALSE;
	}
	parts = g_strsplit(token, ".", -1);
	if (g_strv_length(parts) != 3) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    VERIFY_PREFIX "token contains an invalid number of segments");
		return FALSE;
	}
	header = decode_part(parts[0], strlen(parts[0]), &local);
	if (header == NULL)
		goto bad;
	claims = decode_part(parts[1], strlen(parts[1]), &local);
	if (claims == NULL)
		goto bad;
	alg = json_object_get_string_member_with_default(json_node_get_object(header), "alg", "");
	if (alg[0] == '\0') {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    VERIFY_PREFIX "signing method (alg) is unspecified.");
		return FALSE;
	}
	if (g_str_equal(alg, "RS256"))
		algo = GNUTLS_SIGN_RSA_SHA256;
	else if (g_str_equal(alg, "RS384"))
		algo = GNUTLS_SIGN_RSA_SHA384;
	else if (g_str_equal(alg, "RS512"))
		algo = GNUTLS_SIGN_RSA_SHA512;
	else if (g_str_equal(alg, "PS256"))
		algo = GNUTLS_SIGN_RSA_PSS_RSAE_SHA256;
	else if (g_str_equal(alg, "PS384"))
		algo = GNUTLS_SIGN_RSA_PSS_RSAE_SHA384;
	else if (g_str_equal(alg, "PS512"))
		algo = GNUTLS_SIGN_RSA_PSS_RSAE_SHA512;
	else if (g_str_equal(alg, "none")) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    VERIFY_PREFIX "'none' signature type is not allowed");
		return FALSE;
	} else if (g_str_has_prefix(alg, "HS") || g_str_has_prefix(alg, "ES") ||
		   g_str_equal(alg, "EdDSA")) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    VERIFY_PREFIX "key is of invalid type");
		return FALSE;
	} else {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    VERIFY_PREFIX "signing method (alg) is unavailable.");
		return FALSE;
	}

	/* step 9: time claims, no leeway */
	JsonObject *c = json_node_get_object(claims);
	double now = (double)now_us / G_USEC_PER_SEC;
	if (get_number(c, "exp", &v) && !(now < v)) {
		/* Go's Time.Sub saturates at the largest Duration; a cast of an
		 * out-of-range double (exp: -1e300) would be undefined. */
		double ns = ((double)now_us - v * G_USEC_PER_SEC) * 1000;
		expired = rc_go_duration_string(ns >= 9223372036854775807.0 ? G_MAXINT64
									 : (gint64)ns);
		time_error = "expired";
	}
	if (get_number(c, "iat", &v) && now < v)
		time_error = "token used before issued";
	if (get_number(c, "nbf", &v) && now < v)
		time_error = "token is not valid yet";

	/* step 10: the signature */
	{
		gnutls_datum_t datum = { (unsigned char *)pem, (unsigned int)pem_len };
		g_autofree char *input_text = g_strdup_printf("%s.%s", parts[0], parts[1]);
		gnutls_datum_t input = { (unsigned char *)input_text,
					 (unsigned int)strlen(input_text) };
		gsize sig_len = 0;
		g_autofree guint8 *sig = b64url_decode(parts[2], strlen(parts[2]), &sig_len, &local);
		int ret;
		if (sig == NULL)
			goto bad;
		gnutls_pubkey_init(&pub);
		ret = gnutls_pubkey_import(pub, &datum, GNUTLS_X509_FMT_PEM);
		if (ret < 0 || gnutls_pubkey_get_pk_algorithm(pub, NULL) != GNUTLS_PK_RSA) {
			gnutls_pubkey_deinit(pub);
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "could not load verifying key file: %s",
				    ret < 0 ? gnutls_strerror(ret)
					    : "public key file does not contain public key data");
			return FALSE;
		}
		gnutls_datum_t sigd = { sig, (unsigned int)sig_len };
		ret = gnutls_pubkey_verify_data2(pub, algo, 0, &input, &sigd);
		gnutls_pubkey_deinit(pub);
		if (ret < 0) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
					    VERIFY_PREFIX "crypto/rsa: verification error");
			return FALSE;
		}
	}
	if (time_error != NULL) {
		if (g_str_equal(time_error, "expired"))
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    VERIFY_PREFIX "token is expired by %s", expired);
		else
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL, VERIFY_PREFIX "%s",
				    time_error);
		return FALSE;
	}
	/* step 11: audience */
	{
		JsonNode *aud = json_object_get_member(c, "aud");
		gboolean match = FALSE;
		if (aud != NULL && JSON_NODE_HOLDS_VALUE(aud) &&
		    json_node_get_value_type(aud) == G_TYPE_STRING)
			match = g_strcmp0(json_node_get_string(aud), node_id) == 0;
		else if (aud != NULL && JSON_NODE_HOLDS_ARRAY(aud)) {
			JsonArray *a = json_node_get_array(aud);
			for (guint i = 0; i < json_array_get_length(a); i++) {
				JsonNode *n = json_array_get_element(a, i);
				if (JSON_NODE_HOLDS_VALUE(n) &&
				    json_node_get_value_type(n) == G_TYPE_STRING &&
				    g_strcmp0(json_node_get_string(n), node_id) == 0)
					match = TRUE;
			}
		}
		if (!match) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
					    "token audience did not match node ID");
			return FALSE;
		}
	}
	return TRUE;
bad:
	g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL, VERIFY_PREFIX "%s", local->message);
	return FALSE;
}
