/* rc-wire.c: the Netceptor message codec (wire.md 1-4, 12, 13). No sockets, no logging. */
#include "config.h"

#include "rc-wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <highwayhash/c_bindings.h>
#include <json-glib/json-glib.h>

#include "receptor/receptor-plugin.h"

/* ------------------------------------------------------------ status */

const char *
rc_wire_status_message(RcWireStatus status)
{
	switch (status) {
	case RC_WIRE_OK:
		return "ok";
	case RC_WIRE_EMPTY:
		return "empty message";
	case RC_WIRE_WRONG_TYPE:
		return "not a data message";
	case RC_WIRE_TOO_SHORT:
		/* wire.md 2.1, exact */
		return "data too short to be a valid message";
	default:
		return "unknown error";
	}
}

/* ------------------------------------------------------------ names */

guint64
rc_wire_name_hash(const char *name, gsize len)
{
	/* wire.md 1.3: HighwayHash-64, 32 zero key bytes; libhighwayhash returns the
	 * same integer as minio's Sum64. */
	const uint64_t key[4] = {0, 0, 0, 0};
	static const char empty[1] = "";

	return HighwayHash64(key, name != NULL ? name : empty, len);
}

gboolean
rc_wire_service_name_valid(const char *svc)
{
	return svc != NULL && strlen(svc) <= RC_WIRE_SERVICE_LEN;
}

void
rc_wire_service_to_fixed(const char *svc, guint8 out[8])
{
	gsize n = svc != NULL ? strnlen(svc, RC_WIRE_SERVICE_LEN) : 0;

	memset(out, 0, RC_WIRE_SERVICE_LEN);
	if (n > 0)
		memcpy(out, svc, n);
}

gsize
rc_wire_service_fixed_len(const guint8 in[8])
{
	gsize n = RC_WIRE_SERVICE_LEN;

	/* wire.md 1.2: strip trailing NULs only */
	while (n > 0 && in[n - 1] == 0)
		n--;
	return n;
}

char *
rc_wire_service_from_fixed(const guint8 in[8])
{
	gsize n = rc_wire_service_fixed_len(in);
	char *s = g_malloc(n + 1);

	/* not g_strndup: interior NULs are part of the name */
	memcpy(s, in, n);
	s[n] = '\0';
	return s;
}

/* ------------------------------------------------------------ data messages */

RcWireStatus
rc_wire_decode_data(const guint8 *msg, gsize len, RcDataHeader *out)
{
	guint64 be;
	gsize n;

	g_return_val_if_fail(out != NULL, RC_WIRE_EMPTY);
	if (msg == NULL || len == 0)
		return RC_WIRE_EMPTY;
	if (msg[0] != RC_MSG_DATA)
		return RC_WIRE_WRONG_TYPE;
	if (len < RC_WIRE_DATA_HEADER_LEN)
		return RC_WIRE_TOO_SHORT;

	out->hops_to_live = msg[1];
	/* bytes 2-3 reserved, ignored on receipt (wire.md 2.1) */
	memcpy(&be, msg + 4, sizeof(be));
	out->from_node = GUINT64_FROM_BE(be);
	memcpy(&be, msg + 12, sizeof(be));
	out->to_node = GUINT64_FROM_BE(be);
	/* interior NULs truncate the C string; rc_wire_service_fixed_len gives the
	 * real length for callers that care */
	n = rc_wire_service_fixed_len(msg + 20);
	memcpy(out->from_service, msg + 20, n);
	out->from_service[n] = '\0';
	n = rc_wire_service_fixed_len(msg + 28);
	memcpy(out->to_service, msg + 28, n);
	out->to_service[n] = '\0';
	out->payload = msg + RC_WIRE_DATA_HEADER_LEN;
	out->payload_len = len - RC_WIRE_DATA_HEADER_LEN;
	return RC_WIRE_OK;
}

GBytes *
rc_wire_encode_data(guint8 hops, guint64 from, guint64 to, const char *from_svc,
		    const char *to_svc, const guint8 *payload, gsize len)
{
	guint8 *buf;
	guint64 be;

	g_return_val_if_fail(payload != NULL || len == 0, NULL);
	g_return_val_if_fail(len <= G_MAXSIZE - RC_WIRE_DATA_HEADER_LEN, NULL);

	buf = g_malloc(RC_WIRE_DATA_HEADER_LEN + len);
	buf[0] = RC_MSG_DATA;
	buf[1] = hops;
	buf[2] = 0;
	buf[3] = 0;
	be = GUINT64_TO_BE(from);
	memcpy(buf + 4, &be, sizeof(be));
	be = GUINT64_TO_BE(to);
	memcpy(buf + 12, &be, sizeof(be));
	rc_wire_service_to_fixed(from_svc, buf + 20);
	rc_wire_service_to_fixed(to_svc, buf + 28);
	if (len > 0)
		memcpy(buf + RC_WIRE_DATA_HEADER_LEN, payload, len);
	return g_bytes_new_take(buf, RC_WIRE_DATA_HEADER_LEN + len);
}

GBytes *
rc_wire_encode_reject(void)
{
	/* wire.md 2.5: type 3 + JSON of an empty string array */
	static const guint8 reject[] = {RC_MSG_REJECT, '[', ']'};

	return g_bytes_new_static(reject, sizeof(reject));
}

/* ------------------------------------------------------------ JSON emitting (3.1) */

/* Shortest decimal digits of |value| that round-trip (like Go's strconv with
 * precision -1): `digits` gets the significant digits without trailing zeros,
 * *exp10 the decimal exponent of the first digit (value = 0.d1d2... * 10^(exp10+1)). */
static void
shortest_digits(double value, char digits[32], int *exp10)
{
	char buf[64];

	for (int p = 1; p <= 17; p++) {
		guint64 m = 0;
		int e = 0;
		char *ep;
		gboolean found = FALSE;

		g_snprintf(buf, sizeof(buf), "%.*e", p - 1, value);
		/* buf is "d.ddde[+-]xx" (or "de[+-]xx" for p == 1) */
		for (const char *c = buf; *c != 'e'; c++) {
			if (*c >= '0' && *c <= '9')
				m = m * 10 + (guint64)(*c - '0');
		}
		ep = strchr(buf, 'e');
		e = (int)strtol(ep + 1, NULL, 10);

		if (g_ascii_strtod(buf, NULL) == value) {
			found = TRUE;
		} else {
			/* The correctly rounded p-digit value may miss the rounding interval
			 * at a power of two (asymmetric interval) while a neighbour hits
			 * it; Go's shortest formatting would pick that neighbour. */
			guint64 cand[2] = {m + 1, m - 1};
			for (int i = 0; i < 2 && !found; i++) {
				char tmp[64];
				if (cand[i] == 0)
					continue;
				g_snprintf(tmp, sizeof(tmp), "%" G_GUINT64_FORMAT "e%d", cand[i],
					   e - (p - 1));
				if (g_ascii_strtod(tmp, NULL) == value) {
					m = cand[i];
					found = TRUE;
				}
			}
		}
		if (found) {
			char mbuf[32];
			int n = g_snprintf(mbuf, sizeof(mbuf), "%" G_GUINT64_FORMAT, m);
			/* a carry (999 -> 1000) adds a digit: the exponent grows */
			e += n - p;
			while (n > 1 && mbuf[n - 1] == '0')
				mbuf[--n] = '\0';
			memcpy(digits, mbuf, (gsize)n + 1);
			*exp10 = e;
			return;
		}
	}
	/* %.17e always round-trips; not reached */
	g_snprintf(digits, 32, "0");
	*exp10 = 0;
}

gboolean
rc_wire_json_append_double(GString *out, double value)
{
	char digits[32];
	int e = 0;
	double a;
	gsize nd;

	g_return_val_if_fail(out != NULL, FALSE);
	if (isnan(value) || isinf(value))
		return FALSE;
	if (signbit(value))
		g_string_append_c(out, '-');
	a = fabs(value);
	if (a == 0) {
		g_string_append_c(out, '0');
		return TRUE;
	}
	shortest_digits(a, digits, &e);
	nd = strlen(digits);

	if (a < 1e-6 || a >= 1e21) {
		/* Go: strconv 'e' format, exponent at least 2 digits, then encoding/json
		 * turns e-0X into e-X */
		g_string_append_c(out, digits[0]);
		if (nd > 1) {
			g_string_append_c(out, '.');
			g_string_append(out, digits + 1);
		}
		g_string_append_c(out, 'e');
		g_string_append_c(out, e < 0 ? '-' : '+');
		if (e < 0)
			g_string_append_printf(out, "%d", -e);
		else
			g_string_append_printf(out, "%02d", e);
		return TRUE;
	}

	/* plain 'f' notation */
	if (e < 0) {
		g_string_append(out, "0.");
		for (int i = 0; i < -e - 1; i++)
			g_string_append_c(out, '0');
		g_string_append(out, digits);
	} else if ((gsize)e + 1 >= nd) {
		g_string_append(out, digits);
		for (gsize i = nd; i < (gsize)e + 1; i++)
			g_string_append_c(out, '0');
	} else {
		g_string_append_len(out, digits, e + 1);
		g_string_append_c(out, '.');
		g_string_append(out, digits + e + 1);
	}
	return TRUE;
}

void
rc_wire_json_append_string_len(GString *out, const char *str, gsize len)
{
	static const char hex[] = "0123456789abcdef";
	gsize i = 0;

	g_string_append_c(out, '"');
	while (i < len) {
		guchar b = (guchar)str[i];
		if (b < 0x80) {
			switch (b) {
			case '"':
				g_string_append(out, "\\\"");
				break;
			case '\\':
				g_string_append(out, "\\\\");
				break;
			case '\n':
				g_string_append(out, "\\n");
				break;
			case '\r':
				g_string_append(out, "\\r");
				break;
			case '\t':
				g_string_append(out, "\\t");
				break;
			case '<':
			case '>':
			case '&':
				/* Go's HTML-safe escaping (wire.md 3.1) */
				g_string_append(out, "\\u00");
				g_string_append_c(out, hex[b >> 4]);
				g_string_append_c(out, hex[b & 0xf]);
				break;
			default:
				if (b < 0x20) {
					/* Go 1.20/1.21 form: \u0008, \u000c too */
					g_string_append(out, "\\u00");
					g_string_append_c(out, hex[b >> 4]);
					g_string_append_c(out, hex[b & 0xf]);
				} else {
					g_string_append_c(out, (char)b);
				}
				break;
			}
			i++;
			continue;
		}
		{
			gunichar c = g_utf8_get_char_validated(str + i, (gssize)(len - i));
			if (c == (gunichar)-1 || c == (gunichar)-2) {
				/* Go replaces each invalid byte by U+FFFD */
				g_string_append(out, "\\ufffd");
				i++;
				continue;
			}
			if (c == 0x2028 || c == 0x2029) {
				g_string_append(out, c == 0x2028 ? "\\u2028" : "\\u2029");
			} else {
				g_string_append_len(out, str + i, g_utf8_skip[b]);
			}
			i += g_utf8_skip[b];
		}
	}
	g_string_append_c(out, '"');
}

void
rc_wire_json_append_string(GString *out, const char *str)
{
	if (str == NULL)
		str = "";
	rc_wire_json_append_string_len(out, str, strlen(str));
}

static void
append_uint64(GString *out, guint64 v)
{
	g_string_append_printf(out, "%" G_GUINT64_FORMAT, v);
}

static gint
cmp_str_bytewise(gconstpointer a, gconstpointer b)
{
	/* Go sorts map keys by byte-wise comparison; strcmp compares as unsigned char */
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of a GHashTable sorted bytewise (transfer container). */
static GPtrArray *
sorted_keys(GHashTable *table)
{
	GPtrArray *keys = g_ptr_array_new();
	GHashTableIter it;
	gpointer k;

	if (table != NULL) {
		g_hash_table_iter_init(&it, table);
		while (g_hash_table_iter_next(&it, &k, NULL))
			g_ptr_array_add(keys, k);
	}
	g_ptr_array_sort(keys, cmp_str_bytewise);
	return keys;
}

/* ------------------------------------------------------------ JSON parsing (3.2) */

/* Before json-glib sees a body: bound its size and nesting depth (json-glib's
 * parser recurses), refuse NUL bytes (invalid JSON anyway), and find where the
 * top-level value ends (*root_end). */
static gboolean
json_prescan(const guint8 *b, gsize len, gsize *root_end, GError **error)
{
	gboolean in_str = FALSE, esc = FALSE;
	guint depth = 0;

	*root_end = len;
	if (len > RC_WIRE_JSON_MAX_BODY) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL, "JSON body too large (%" G_GSIZE_FORMAT " bytes)", len);
		return FALSE;
	}
	for (gsize i = 0; i < len; i++) {
		guint8 c = b[i];
		if (c == 0) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL, "invalid character NUL in JSON");
			return FALSE;
		}
		if (in_str) {
			if (esc)
				esc = FALSE;
			else if (c == '\\')
				esc = TRUE;
			else if (c == '"')
				in_str = FALSE;
			continue;
		}
		switch (c) {
		case '"':
			in_str = TRUE;
			break;
		case '[':
		case '{':
			if (++depth > RC_WIRE_JSON_MAX_DEPTH) {
				g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
					    "JSON nested deeper than %d levels", RC_WIRE_JSON_MAX_DEPTH);
				return FALSE;
			}
			break;
		case ']':
		case '}':
			if (depth > 0 && --depth == 0 && *root_end == len)
				*root_end = i + 1;
			break;
		default:
			break;
		}
	}
	return TRUE;
}

static gboolean
json_is_space(guint8 c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
json_only_space(const guint8 *b, gsize from, gsize len)
{
	for (gsize i = from; i < len; i++)
		if (!json_is_space(b[i]))
			return FALSE;
	return TRUE;
}

typedef struct {
	JsonParser *parser;
} JsonDoc;

static void
json_doc_clear(JsonDoc *doc)
{
	g_clear_object(&doc->parser);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(JsonDoc, json_doc_clear)

/* json-glib 1.6 reads integer literals with strtoull and stores a gint64, so a
 * negative literal, a literal in [2^63, 2^64) and a saturated one (>= 2^64)
 * can look alike (wire.md 3.4). Rewrite every negative or >= 2^64 integer
 * literal as a float literal ("-5" -> "-5.0"): json-glib then parses it with
 * g_ascii_strtod (correctly rounded, keeps -0), and every integer node left is
 * an exact uint64. Go rejects these literals for its unsigned fields anyway,
 * and accepts them as float64 costs. Returns NULL when nothing needs rewriting. */
static char *
json_fix_numbers(const char *t, gsize len)
{
	g_autoptr(GString) out = NULL;
	gboolean in_str = FALSE, esc = FALSE;
	gsize copied = 0, i = 0;

	while (i < len) {
		char c = t[i];
		gsize start, digits = 0, first_digit;
		gboolean is_int = TRUE, neg;

		if (in_str) {
			if (esc)
				esc = FALSE;
			else if (c == '\\')
				esc = TRUE;
			else if (c == '"')
				in_str = FALSE;
			i++;
			continue;
		}
		if (c == '"') {
			in_str = TRUE;
			i++;
			continue;
		}
		if (c != '-' && !g_ascii_isdigit(c)) {
			i++;
			continue;
		}
		start = i;
		neg = c == '-';
		while (i < len && (g_ascii_isdigit(t[i]) || t[i] == '-' || t[i] == '+' ||
				   t[i] == '.' || t[i] == 'e' || t[i] == 'E')) {
			if (g_ascii_isdigit(t[i]))
				digits++;
			else if (i > start)
				is_int = FALSE;
			i++;
		}
		if (!is_int || digits == 0)
			continue;
		first_digit = start + (neg ? 1 : 0);
		while (first_digit < i - 1 && t[first_digit] == '0')
			first_digit++;
		if (!neg) {
			gsize nd = i - first_digit;
			/* 18446744073709551615 = 2^64 - 1 has 20 digits */
			if (nd < 20 || (nd == 20 && memcmp(t + first_digit, "18446744073709551615", 20) <= 0))
				continue;
		}
		if (out == NULL)
			out = g_string_sized_new(len + 16);
		g_string_append_len(out, t + copied, (gssize)(i - copied));
		g_string_append(out, ".0");
		copied = i;
	}
	if (out == NULL)
		return NULL;
	g_string_append_len(out, t + copied, (gssize)(len - copied));
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Parse; *root is NULL for a JSON null document. */
static gboolean
json_doc_load(JsonDoc *doc, const guint8 *body, gsize len, JsonNode **root, GError **error)
{
	g_autofree char *fixed = NULL;
	g_autofree char *numbers = NULL;
	const char *text = (const char *)body;
	g_autoptr(GError) local = NULL;
	JsonNode *r;
	gsize root_end = 0, i = 0;

	*root = NULL;
	if (body == NULL || len == 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL, "unexpected end of JSON input");
		return FALSE;
	}
	if (!json_prescan(body, len, &root_end, error))
		return FALSE;
	/* Every body is an object or null. Checking the document's shape here
	 * also keeps json-glib 1.6 away from input it leaks on: a complete value
	 * followed by more text ("1[]", "{}[]"). */
	while (i < len && json_is_space(body[i]))
		i++;
	if (i < len && body[i] == 'n') {
		i += 4;
		if (i > len || memcmp(body + i - 4, "null", 4) != 0 || !json_only_space(body, i, len)) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL, "invalid JSON");
			return FALSE;
		}
		return TRUE; /* JSON null: *root stays NULL */
	}
	if (i == len || body[i] != '{') {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "cannot unmarshal non-object into a message");
		return FALSE;
	}
	if (!json_only_space(body, root_end, len)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "invalid character after top-level value");
		return FALSE;
	}
	/* Go decodes invalid UTF-8 inside strings as U+FFFD (wire.md 3.2); json-glib
	 * refuses the whole document, so repair first. */
	if (!g_utf8_validate_len(text, len, NULL)) {
		fixed = g_utf8_make_valid(text, (gssize)len);
		text = fixed;
		len = strlen(fixed);
	}
	numbers = json_fix_numbers(text, len);
	if (numbers != NULL) {
		text = numbers;
		len = strlen(numbers);
	}
	doc->parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(doc->parser, text, (gssize)len, &local)) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL, "invalid JSON: %s", local->message);
		return FALSE;
	}
	r = json_parser_get_root(doc->parser);
	if (r == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL, "unexpected end of JSON input");
		return FALSE;
	}
	if (JSON_NODE_HOLDS_NULL(r))
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(r)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "cannot unmarshal non-object into a message");
		return FALSE;
	}
	*root = r;
	return TRUE;
}

/* Go's field matching: exact match preferred, else ASCII case-insensitive; the
 * last member mapping to a field wins. Returns the member node or NULL. */
static JsonNode *
json_field(JsonObject *obj, const char *field)
{
	JsonObjectIter it;
	const char *name;
	JsonNode *node, *found = NULL;

	if (obj == NULL)
		return NULL;
	/* field names never fold to each other, so exact-first is the same as any fold */
	json_object_iter_init(&it, obj);
	while (json_object_iter_next(&it, &name, &node)) {
		if (g_ascii_strcasecmp(name, field) == 0)
			found = node;
	}
	return found;
}

/* json-glib's scanner accepts escapes JSON does not have (octal "\\210"), which
 * can produce invalid UTF-8 from valid input; Go refuses such bodies. */
static gboolean
json_check_text(const char *s, GError **error)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "invalid escape sequence in JSON string");
		return FALSE;
	}
	return TRUE;
}

static gboolean
json_get_string(JsonNode *n, const char *field, char **out, GError **error)
{
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return TRUE; /* keep zero value */
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "cannot unmarshal non-string into field %s of type string", field);
		return FALSE;
	}
	if (!json_check_text(json_node_get_string(n), error))
		return FALSE;
	g_free(*out);
	*out = g_strdup(json_node_get_string(n));
	return TRUE;
}

static gboolean
json_get_bool(JsonNode *n, const char *field, gboolean *out, GError **error)
{
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "cannot unmarshal non-bool into field %s of type bool", field);
		return FALSE;
	}
	*out = json_node_get_boolean(n);
	return TRUE;
}

/* An unsigned integer field: plain integer literal, in range (wire.md 3.2).
 * After json_fix_numbers an integer node is always a literal in [0, 2^64). */
static gboolean
json_get_uint(JsonNode *n, const char *field, guint64 max, guint64 *out, GError **error)
{
	guint64 u;

	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "cannot unmarshal number or non-number into field %s of type uint", field);
		return FALSE;
	}
	u = (guint64)json_node_get_int(n);
	if (u > max) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "cannot unmarshal number into field %s: out of range", field);
		return FALSE;
	}
	*out = u;
	return TRUE;
}

/* A float64 value (Connections costs). */
static gboolean
json_get_double(JsonNode *n, const char *what, double *out, GError **error)
{
	if (n == NULL || JSON_NODE_HOLDS_NULL(n)) {
		*out = 0.0;
		return TRUE;
	}
	if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_DOUBLE) {
		double d = json_node_get_double(n);
		if (isinf(d) || isnan(d)) {
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "cannot unmarshal number into %s: value out of range", what);
			return FALSE;
		}
		*out = d;
		return TRUE;
	}
	if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64) {
		/* a literal in [0, 2^64) (json_fix_numbers); the conversion rounds
		 * correctly, as Go's parser does */
		*out = (double)(guint64)json_node_get_int(n);
		return TRUE;
	}
	g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
		    "cannot unmarshal non-number into %s of type float64", what);
	return FALSE;
}

/* ------------------------------------------------------------ routing update */

static GHashTable *
connections_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

RcRoutingUpdate *
rc_routing_update_new(void)
{
	RcRoutingUpdate *ru = g_new0(RcRoutingUpdate, 1);

	ru->node_id = g_strdup("");
	ru->update_id = g_strdup("");
	ru->forwarding_node = g_strdup("");
	ru->connections = connections_new();
	return ru;
}

RcRoutingUpdate *
rc_routing_update_copy(const RcRoutingUpdate *ru)
{
	RcRoutingUpdate *c;
	GHashTableIter it;
	gpointer k, v;

	g_return_val_if_fail(ru != NULL, NULL);
	c = g_new0(RcRoutingUpdate, 1);
	c->node_id = g_strdup(ru->node_id);
	c->update_id = g_strdup(ru->update_id);
	c->epoch = ru->epoch;
	c->sequence = ru->sequence;
	c->connections = connections_new();
	g_hash_table_iter_init(&it, ru->connections);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(c->connections, g_strdup(k), g_memdup2(v, sizeof(double)));
	c->connections_null = ru->connections_null;
	c->forwarding_node = g_strdup(ru->forwarding_node);
	c->suspected_duplicate = ru->suspected_duplicate;
	return c;
}

void
rc_routing_update_free(RcRoutingUpdate *ru)
{
	if (ru == NULL)
		return;
	g_free(ru->node_id);
	g_free(ru->update_id);
	g_clear_pointer(&ru->connections, g_hash_table_unref);
	g_free(ru->forwarding_node);
	g_free(ru);
}

void
rc_routing_update_set_connection(RcRoutingUpdate *ru, const char *node, double cost)
{
	g_return_if_fail(ru != NULL && node != NULL);
	g_hash_table_insert(ru->connections, g_strdup(node), g_memdup2(&cost, sizeof(cost)));
	ru->connections_null = FALSE;
}

gboolean
rc_routing_update_get_connection(const RcRoutingUpdate *ru, const char *node, double *cost)
{
	const double *v;

	g_return_val_if_fail(ru != NULL && node != NULL, FALSE);
	v = g_hash_table_lookup(ru->connections, node);
	if (v == NULL)
		return FALSE;
	if (cost != NULL)
		*cost = *v;
	return TRUE;
}

RcRoutingUpdate *
rc_routing_update_decode(const guint8 *body, gsize len, GError **error)
{
	g_auto(JsonDoc) doc = {NULL};
	g_autoptr(RcRoutingUpdate) ru = rc_routing_update_new();
	JsonNode *root = NULL;
	JsonObject *obj;
	JsonNode *conns;

	if (!json_doc_load(&doc, body, len, &root, error))
		return NULL;
	ru->connections_null = TRUE;
	if (root == NULL)
		return g_steal_pointer(&ru); /* JSON null: Go leaves every field zero */
	obj = json_node_get_object(root);

	if (!json_get_string(json_field(obj, "NodeID"), "NodeID", &ru->node_id, error) ||
	    !json_get_string(json_field(obj, "UpdateID"), "UpdateID", &ru->update_id, error) ||
	    !json_get_uint(json_field(obj, "UpdateEpoch"), "UpdateEpoch", G_MAXUINT64,
			   &ru->epoch, error) ||
	    !json_get_uint(json_field(obj, "UpdateSequence"), "UpdateSequence",
			   G_MAXUINT64, &ru->sequence, error) ||
	    !json_get_string(json_field(obj, "ForwardingNode"), "ForwardingNode",
			     &ru->forwarding_node, error) ||
	    !json_get_uint(json_field(obj, "SuspectedDuplicate"), "SuspectedDuplicate",
			   G_MAXUINT64, &ru->suspected_duplicate, error))
		return NULL;

	conns = json_field(obj, "Connections");
	if (conns != NULL && !JSON_NODE_HOLDS_NULL(conns)) {
		JsonObjectIter it;
		const char *name;
		JsonNode *node;
		JsonObject *cobj;

		if (!JSON_NODE_HOLDS_OBJECT(conns)) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
					    "cannot unmarshal non-object into field Connections");
			return NULL;
		}
		cobj = json_node_get_object(conns);
		if (json_object_get_size(cobj) > RC_WIRE_MAX_CONNECTIONS) {
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "routing update lists more than %d connections",
				    RC_WIRE_MAX_CONNECTIONS);
			return NULL;
		}
		ru->connections_null = FALSE;
		json_object_iter_init(&it, cobj);
		while (json_object_iter_next(&it, &name, &node)) {
			double cost = 0;
			if (!json_check_text(name, error) ||
			    !json_get_double(node, "Connections value", &cost, error))
				return NULL;
			g_hash_table_insert(ru->connections, g_strdup(name),
					    g_memdup2(&cost, sizeof(cost)));
		}
	}
	return g_steal_pointer(&ru);
}

GBytes *
rc_routing_update_encode(const RcRoutingUpdate *ru)
{
	g_autoptr(GString) s = NULL;
	g_autoptr(GPtrArray) keys = NULL;

	g_return_val_if_fail(ru != NULL, NULL);
	s = g_string_sized_new(160);
	g_string_append_c(s, RC_MSG_ROUTE);
	g_string_append(s, "{\"NodeID\":");
	rc_wire_json_append_string(s, ru->node_id);
	g_string_append(s, ",\"UpdateID\":");
	rc_wire_json_append_string(s, ru->update_id);
	g_string_append(s, ",\"UpdateEpoch\":");
	append_uint64(s, ru->epoch);
	g_string_append(s, ",\"UpdateSequence\":");
	append_uint64(s, ru->sequence);
	g_string_append(s, ",\"Connections\":");
	if (ru->connections_null && g_hash_table_size(ru->connections) == 0) {
		g_string_append(s, "null");
	} else {
		keys = sorted_keys(ru->connections);
		g_string_append_c(s, '{');
		for (guint i = 0; i < keys->len; i++) {
			const char *k = g_ptr_array_index(keys, i);
			const double *v = g_hash_table_lookup(ru->connections, k);
			if (i > 0)
				g_string_append_c(s, ',');
			rc_wire_json_append_string(s, k);
			g_string_append_c(s, ':');
			if (!rc_wire_json_append_double(s, *v))
				return NULL; /* NaN/Inf: Go sends nothing (wire.md 3.1) */
		}
		g_string_append_c(s, '}');
	}
	g_string_append(s, ",\"ForwardingNode\":");
	rc_wire_json_append_string(s, ru->forwarding_node);
	g_string_append(s, ",\"SuspectedDuplicate\":");
	append_uint64(s, ru->suspected_duplicate);
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(g_steal_pointer(&s));
}

/* ------------------------------------------------------------ time (3.5) */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static gint64
days_from_civil(gint64 y, guint m, guint d)
{
	gint64 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(gint64 z, gint64 *y, guint *m, guint *d)
{
	gint64 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (guint)(doy - (153 * mp + 2) / 5 + 1);
	*m = (guint)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static gboolean
parse_digits(const char *s, gsize n, guint *out)
{
	guint v = 0;

	for (gsize i = 0; i < n; i++) {
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
		v = v * 10 + (guint)(s[i] - '0');
	}
	*out = v;
	return TRUE;
}

gboolean
rc_wire_time_parse(const char *text, gsize len, RcWireTime *out)
{
	static const guint mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	guint y, mo, d, h, mi, sec, nsec = 0, dim;
	gsize i;
	gint32 off = 0;

	g_return_val_if_fail(out != NULL, FALSE);
	/* YYYY-MM-DDTHH:MM:SS */
	if (text == NULL || len < 20)
		return FALSE;
	if (!parse_digits(text, 4, &y) || text[4] != '-' || !parse_digits(text + 5, 2, &mo) ||
	    text[7] != '-' || !parse_digits(text + 8, 2, &d) || text[10] != 'T' ||
	    !parse_digits(text + 11, 2, &h) || text[13] != ':' ||
	    !parse_digits(text + 14, 2, &mi) || text[16] != ':' ||
	    !parse_digits(text + 17, 2, &sec))
		return FALSE;
	if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
		return FALSE;
	dim = mdays[mo - 1];
	if (mo == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		dim = 29;
	if (d < 1 || d > dim)
		return FALSE;
	i = 19;
	if (i < len && text[i] == '.') {
		guint nd = 0;
		i++;
		while (i < len && g_ascii_isdigit(text[i])) {
			if (nd < 9) {
				nsec = nsec * 10 + (guint)(text[i] - '0');
				nd++;
			}
			i++;
		}
		if (nd == 0)
			return FALSE;
		for (; nd < 9; nd++)
			nsec *= 10;
	}
	if (i >= len)
		return FALSE;
	if (text[i] == 'Z') {
		i++;
	} else if (text[i] == '+' || text[i] == '-') {
		guint oh, om;
		if (len - i < 6 || !parse_digits(text + i + 1, 2, &oh) || text[i + 3] != ':' ||
		    !parse_digits(text + i + 4, 2, &om) || oh > 23 || om > 59)
			return FALSE;
		off = (gint32)(oh * 3600 + om * 60);
		if (text[i] == '-')
			off = -off;
		i += 6;
	} else {
		return FALSE;
	}
	if (i != len)
		return FALSE;
	out->unix_s = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	out->nsec = nsec;
	out->offset_s = off;
	return TRUE;
}

gboolean
rc_wire_time_append(GString *out, const RcWireTime *t)
{
	gint64 local, days, secs, y;
	guint m, d;

	g_return_val_if_fail(out != NULL && t != NULL, FALSE);
	local = t->unix_s + t->offset_s;
	days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	secs = local - days * 86400;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return FALSE; /* Go: "year outside of range [0,9999]" */
	g_string_append_printf(out, "%04d-%02u-%02uT%02d:%02d:%02d", (int)y, m, d,
			       (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	if (t->nsec > 0) {
		char frac[16];
		int n = g_snprintf(frac, sizeof(frac), "%09u", t->nsec % 1000000000u);
		while (n > 0 && frac[n - 1] == '0')
			frac[--n] = '\0';
		g_string_append_c(out, '.');
		g_string_append(out, frac);
	}
	if (t->offset_s == 0) {
		g_string_append_c(out, 'Z');
	} else {
		gint32 a = ABS(t->offset_s);
		g_string_append_printf(out, "%c%02d:%02d", t->offset_s < 0 ? '-' : '+', a / 3600,
				       a / 60 % 60);
	}
	return TRUE;
}

int
rc_wire_time_compare(const RcWireTime *a, const RcWireTime *b)
{
	if (a->unix_s != b->unix_s)
		return a->unix_s < b->unix_s ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec < b->nsec ? -1 : 1;
	return 0;
}

void
rc_wire_time_now(RcWireTime *out)
{
	gint64 us = g_get_real_time();

	out->unix_s = us / G_USEC_PER_SEC;
	out->nsec = (guint32)(us % G_USEC_PER_SEC) * 1000u;
	out->offset_s = 0;
}

/* ------------------------------------------------------------ service ads (2.3) */

/* Go's zero time.Time, 0001-01-01T00:00:00Z */
#define RC_WIRE_ZERO_TIME_UNIX G_GINT64_CONSTANT(-62135596800)

static void
work_command_free(gpointer p)
{
	RcWorkCommand *wc = p;

	if (wc == NULL)
		return;
	g_free(wc->work_type);
	g_free(wc);
}

RcServiceAd *
rc_service_ad_new(void)
{
	RcServiceAd *ad = g_new0(RcServiceAd, 1);

	ad->node_id = g_strdup("");
	ad->service = g_strdup("");
	ad->time.unix_s = RC_WIRE_ZERO_TIME_UNIX;
	return ad;
}

void
rc_service_ad_set_tag(RcServiceAd *ad, const char *key, const char *value)
{
	g_return_if_fail(ad != NULL && key != NULL);
	if (ad->tags == NULL)
		ad->tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_insert(ad->tags, g_strdup(key), g_strdup(value != NULL ? value : ""));
}

void
rc_service_ad_add_work_command(RcServiceAd *ad, const char *work_type, gboolean secure)
{
	RcWorkCommand *wc;

	g_return_if_fail(ad != NULL);
	if (ad->work_commands == NULL)
		ad->work_commands = g_ptr_array_new_with_free_func(work_command_free);
	wc = g_new0(RcWorkCommand, 1);
	wc->work_type = g_strdup(work_type != NULL ? work_type : "");
	wc->secure = secure;
	g_ptr_array_add(ad->work_commands, wc);
}

RcServiceAd *
rc_service_ad_copy(const RcServiceAd *ad)
{
	RcServiceAd *c;

	g_return_val_if_fail(ad != NULL, NULL);
	c = rc_service_ad_new();
	g_free(c->node_id);
	g_free(c->service);
	c->node_id = g_strdup(ad->node_id);
	c->service = g_strdup(ad->service);
	c->time = ad->time;
	c->conn_type = ad->conn_type;
	c->cancel = ad->cancel;
	if (ad->tags != NULL) {
		GHashTableIter it;
		gpointer k, v;
		c->tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		g_hash_table_iter_init(&it, ad->tags);
		while (g_hash_table_iter_next(&it, &k, &v))
			g_hash_table_insert(c->tags, g_strdup(k), g_strdup(v));
	}
	if (ad->work_commands != NULL) {
		c->work_commands = g_ptr_array_new_with_free_func(work_command_free);
		for (guint i = 0; i < ad->work_commands->len; i++) {
			const RcWorkCommand *wc = g_ptr_array_index(ad->work_commands, i);
			rc_service_ad_add_work_command(c, wc->work_type, wc->secure);
		}
	}
	return c;
}

void
rc_service_ad_free(RcServiceAd *ad)
{
	if (ad == NULL)
		return;
	g_free(ad->node_id);
	g_free(ad->service);
	g_clear_pointer(&ad->tags, g_hash_table_unref);
	g_clear_pointer(&ad->work_commands, g_ptr_array_unref);
	g_free(ad);
}

static gboolean
decode_work_commands(JsonNode *n, RcServiceAd *ad, GError **error)
{
	JsonArray *arr;
	guint len;

	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "cannot unmarshal non-array into field WorkCommands");
		return FALSE;
	}
	arr = json_node_get_array(n);
	len = json_array_get_length(arr);
	if (len > RC_WIRE_MAX_WORK_COMMANDS) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "service advertisement lists more than %d work commands",
			    RC_WIRE_MAX_WORK_COMMANDS);
		return FALSE;
	}
	/* a non-null array, even empty, stays non-null */
	if (ad->work_commands == NULL)
		ad->work_commands = g_ptr_array_new_with_free_func(work_command_free);
	g_ptr_array_set_size(ad->work_commands, 0);
	for (guint i = 0; i < len; i++) {
		JsonNode *e = json_array_get_element(arr, i);
		g_autofree char *wt = g_strdup("");
		gboolean secure = FALSE;

		if (!JSON_NODE_HOLDS_NULL(e)) {
			JsonObject *o;
			if (!JSON_NODE_HOLDS_OBJECT(e)) {
				g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
						    "cannot unmarshal non-object into WorkCommand");
				return FALSE;
			}
			o = json_node_get_object(e);
			if (!json_get_string(json_field(o, "WorkType"), "WorkType", &wt, error) ||
			    !json_get_bool(json_field(o, "Secure"), "Secure", &secure, error))
				return FALSE;
		}
		rc_service_ad_add_work_command(ad, wt, secure);
	}
	return TRUE;
}

static gboolean
decode_tags(JsonNode *n, RcServiceAd *ad, GError **error)
{
	JsonObjectIter it;
	const char *name;
	JsonNode *v;
	JsonObject *o;

	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "cannot unmarshal non-object into field Tags");
		return FALSE;
	}
	o = json_node_get_object(n);
	if (json_object_get_size(o) > RC_WIRE_MAX_TAGS) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "service advertisement has more than %d tags", RC_WIRE_MAX_TAGS);
		return FALSE;
	}
	if (ad->tags == NULL)
		ad->tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	json_object_iter_init(&it, o);
	while (json_object_iter_next(&it, &name, &v)) {
		g_autofree char *s = g_strdup("");
		if (!json_check_text(name, error) || !json_get_string(v, "Tags value", &s, error))
			return FALSE;
		g_hash_table_insert(ad->tags, g_strdup(name), g_steal_pointer(&s));
	}
	return TRUE;
}

RcServiceAd *
rc_service_ad_decode(const guint8 *body, gsize len, GError **error)
{
	static const char *const ad_fields[] = {"NodeID", "Service", "Time",
						"ConnType", "Tags", "WorkCommands"};
	g_auto(JsonDoc) doc = {NULL};
	g_autoptr(RcServiceAd) ad = rc_service_ad_new();
	JsonNode *root = NULL, *n;
	JsonObject *obj;
	gboolean any = FALSE;
	guint64 ct = 0;

	if (!json_doc_load(&doc, body, len, &root, error))
		return NULL;
	obj = root != NULL ? json_node_get_object(root) : NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(ad_fields); i++)
		any = any || json_field(obj, ad_fields[i]) != NULL;
	if (!any) {
		/* Go's embedded pointer stays nil and the process crashes (wire.md 2.3) */
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "service advertisement has none of its fields");
		return NULL;
	}
	if (!json_get_string(json_field(obj, "NodeID"), "NodeID", &ad->node_id, error) ||
	    !json_get_string(json_field(obj, "Service"), "Service", &ad->service, error) ||
	    !json_get_uint(json_field(obj, "ConnType"), "ConnType", G_MAXUINT8, &ct, error) ||
	    !decode_tags(json_field(obj, "Tags"), ad, error) ||
	    !decode_work_commands(json_field(obj, "WorkCommands"), ad, error) ||
	    !json_get_bool(json_field(obj, "Cancel"), "Cancel", &ad->cancel, error))
		return NULL;
	ad->conn_type = (guint8)ct;
	n = json_field(obj, "Time");
	if (n != NULL && !JSON_NODE_HOLDS_NULL(n)) {
		const char *t;
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
					    "Time.UnmarshalJSON: input is not a JSON string");
			return NULL;
		}
		t = json_node_get_string(n);
		if (!rc_wire_time_parse(t, strlen(t), &ad->time)) {
			g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "cannot parse \"%s\" as RFC 3339 time", t);
			return NULL;
		}
	}
	return g_steal_pointer(&ad);
}

GBytes *
rc_service_ad_encode(const RcServiceAd *ad)
{
	g_autoptr(GString) s = NULL;

	g_return_val_if_fail(ad != NULL, NULL);
	s = g_string_sized_new(192);
	g_string_append_c(s, RC_MSG_SERVICE_AD);
	g_string_append(s, "{\"NodeID\":");
	rc_wire_json_append_string(s, ad->node_id);
	g_string_append(s, ",\"Service\":");
	rc_wire_json_append_string(s, ad->service);
	g_string_append(s, ",\"Time\":\"");
	if (!rc_wire_time_append(s, &ad->time))
		return NULL;
	g_string_append(s, "\",\"ConnType\":");
	g_string_append_printf(s, "%u", (guint)ad->conn_type);
	g_string_append(s, ",\"Tags\":");
	if (ad->tags == NULL) {
		g_string_append(s, "null");
	} else {
		g_autoptr(GPtrArray) keys = sorted_keys(ad->tags);
		g_string_append_c(s, '{');
		for (guint i = 0; i < keys->len; i++) {
			const char *k = g_ptr_array_index(keys, i);
			if (i > 0)
				g_string_append_c(s, ',');
			rc_wire_json_append_string(s, k);
			g_string_append_c(s, ':');
			rc_wire_json_append_string(s, g_hash_table_lookup(ad->tags, k));
		}
		g_string_append_c(s, '}');
	}
	g_string_append(s, ",\"WorkCommands\":");
	if (ad->work_commands == NULL) {
		g_string_append(s, "null");
	} else {
		g_string_append_c(s, '[');
		for (guint i = 0; i < ad->work_commands->len; i++) {
			const RcWorkCommand *wc = g_ptr_array_index(ad->work_commands, i);
			if (i > 0)
				g_string_append_c(s, ',');
			g_string_append(s, "{\"WorkType\":");
			rc_wire_json_append_string(s, wc->work_type);
			g_string_append(s, ",\"Secure\":");
			g_string_append(s, wc->secure ? "true" : "false");
			g_string_append_c(s, '}');
		}
		g_string_append_c(s, ']');
	}
	g_string_append(s, ",\"Cancel\":");
	g_string_append(s, ad->cancel ? "true" : "false");
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(g_steal_pointer(&s));
}

/* ------------------------------------------------------------ unreachable (2.4) */

RcUnreachable *
rc_unreachable_new(const char *from_node, const char *to_node, const char *from_service,
		   const char *to_service, const char *problem)
{
	RcUnreachable *u = g_new0(RcUnreachable, 1);

	u->from_node = g_strdup(from_node != NULL ? from_node : "");
	u->to_node = g_strdup(to_node != NULL ? to_node : "");
	u->from_service = g_strdup(from_service != NULL ? from_service : "");
	u->to_service = g_strdup(to_service != NULL ? to_service : "");
	u->problem = g_strdup(problem != NULL ? problem : "");
	return u;
}

void
rc_unreachable_free(RcUnreachable *u)
{
	if (u == NULL)
		return;
	g_free(u->from_node);
	g_free(u->to_node);
	g_free(u->from_service);
	g_free(u->to_service);
	g_free(u->problem);
	g_free(u);
}

RcUnreachable *
rc_unreachable_decode(const guint8 *payload, gsize len, GError **error)
{
	g_auto(JsonDoc) doc = {NULL};
	g_autoptr(RcUnreachable) u = rc_unreachable_new(NULL, NULL, NULL, NULL, NULL);
	JsonNode *root = NULL;
	JsonObject *obj;

	if (!json_doc_load(&doc, payload, len, &root, error))
		return NULL;
	if (root == NULL)
		return g_steal_pointer(&u);
	obj = json_node_get_object(root);
	if (!json_get_string(json_field(obj, "FromNode"), "FromNode", &u->from_node, error) ||
	    !json_get_string(json_field(obj, "ToNode"), "ToNode", &u->to_node, error) ||
	    !json_get_string(json_field(obj, "FromService"), "FromService", &u->from_service,
			     error) ||
	    !json_get_string(json_field(obj, "ToService"), "ToService", &u->to_service, error) ||
	    !json_get_string(json_field(obj, "Problem"), "Problem", &u->problem, error))
		return NULL;
	return g_steal_pointer(&u);
}

GBytes *
rc_unreachable_encode(const RcUnreachable *u)
{
	g_autoptr(GString) s = NULL;

	g_return_val_if_fail(u != NULL, NULL);
	s = g_string_sized_new(128);
	g_string_append(s, "{\"FromNode\":");
	rc_wire_json_append_string(s, u->from_node);
	g_string_append(s, ",\"ToNode\":");
	rc_wire_json_append_string(s, u->to_node);
	g_string_append(s, ",\"FromService\":");
	rc_wire_json_append_string(s, u->from_service);
	g_string_append(s, ",\"ToService\":");
	rc_wire_json_append_string(s, u->to_service);
	g_string_append(s, ",\"Problem\":");
	rc_wire_json_append_string(s, u->problem);
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(g_steal_pointer(&s));
}
