/* rc-control-parse.c: command-line parsing and Go-compatible formatting for
 * the control protocol (control.md 2.2-2.3, 2.9-2.10).  Pure. */
#include "config.h"

#include "rc-control-parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rc-limits.h"

void
rc_control_line_free(RcControlLine *line)
{
	if (line == NULL)
		return;
	g_free(line->command);
	g_free(line->rest);
	g_clear_pointer(&line->json, json_object_unref);
	g_free(line->error);
	g_free(line);
}

/* Deepest nesting of [ and { outside strings; stops counting past `limit`. */
static guint
json_depth(const char *text, guint limit)
{
	guint depth = 0, max = 0;
	gboolean in_string = FALSE, escape = FALSE;

	for (const char *p = text; *p != '\0'; p++) {
		if (in_string) {
			if (escape)
				escape = FALSE;
			else if (*p == '\\')
				escape = TRUE;
			else if (*p == '"')
				in_string = FALSE;
			continue;
		}
		if (*p == '"') {
			in_string = TRUE;
		} else if (*p == '{' || *p == '[') {
			depth++;
			if (depth > max)
				max = depth;
			if (max > limit)
				return max;
		} else if ((*p == '}' || *p == ']') && depth > 0) {
			depth--;
		}
	}
	return max;
}

/* A node owning `obj` (json_node_init_object would add a reference). */
static JsonNode *
object_node(JsonObject *obj)
{
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return node;
}

static JsonNode *
array_node(JsonArray *array)
{
	JsonNode *node = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(node, array);
	return node;
}

/* json-glib decodes lone \uD800-\uDFFF escapes into invalid UTF-8; Go turns
 * them into U+FFFD.  Copy the tree with every string and key made valid. */
static JsonNode *
sanitize_node(JsonNode *node)
{
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObject *obj = json_object_new();
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;

		json_object_iter_init_ordered(&iter, json_node_get_object(node));
		while (json_object_iter_next_ordered(&iter, &name, &member)) {
			g_autofree char *key = g_utf8_make_valid(name, -1);
			json_object_set_member(obj, key, sanitize_node(member));
		}
		return object_node(obj);
	}
	if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *in = json_node_get_array(node);
		JsonArray *out = json_array_sized_new(json_array_get_length(in));

		for (guint i = 0; i < json_array_get_length(in); i++)
			json_array_add_element(out, sanitize_node(json_array_get_element(in, i)));
		return array_node(out);
	}
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
		g_autofree char *text = g_utf8_make_valid(json_node_get_string(node), -1);
		return json_node_init_string(json_node_alloc(), text);
	}
	return json_node_copy(node);
}

static void
parse_json(RcControlLine *line, const char *text)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) root = NULL;
	JsonNode *cmd;

	line->kind = RC_CONTROL_LINE_BAD_JSON;
	if (json_depth(text, RC_CONTROL_JSON_MAX_DEPTH) > RC_CONTROL_JSON_MAX_DEPTH) {
		line->error = g_strdup("JSON nesting too deep");
		return;
	}
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, text, -1, &error)) {
		line->error = g_strdup(error->message);
		return;
	}
	if (json_parser_get_root(parser) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		line->error = g_strdup("JSON is not an object");
		return;
	}
	root = sanitize_node(json_parser_get_root(parser));
	cmd = json_object_get_member(json_node_get_object(root), "command");
	if (cmd == NULL) {
		line->error = g_strdup("JSON did not contain a command");
		return;
	}
	if (!JSON_NODE_HOLDS_VALUE(cmd) || json_node_get_value_type(cmd) != G_TYPE_STRING) {
		line->error = g_strdup("command must be a string");
		return;
	}
	line->kind = RC_CONTROL_LINE_JSON;
	line->command = g_strdup(json_node_get_string(cmd));
	line->json = json_object_ref(json_node_get_object(root));
}

RcControlLine *
rc_control_line_parse(const guint8 *data, gsize len)
{
	g_autoptr(RcControlLine) line = g_new0(RcControlLine, 1);
	g_autoptr(GString) buf = g_string_sized_new(len + 1);
	g_autofree char *text = NULL;
	const char *space;

	g_return_val_if_fail(data != NULL || len == 0, NULL);

	/* every CR is discarded wherever it occurs (control.md 2.2) */
	for (gsize i = 0; i < len; i++) {
		if (data[i] != '\r')
			g_string_append_c(buf, (char)data[i]);
	}
	line->rest = g_strdup("");
	if (buf->len == 0) {
		line->kind = RC_CONTROL_LINE_EMPTY;
		return g_steal_pointer(&line);
	}
	/* NUL bytes cannot travel in C strings; Go would keep them, nothing
	 * legitimate sends them.  Invalid UTF-8 becomes U+FFFD (control.md 2.3). */
	text = g_utf8_make_valid(buf->str, (gssize)strlen(buf->str));

	if (text[0] == '{') {
		parse_json(line, text);
		return g_steal_pointer(&line);
	}
	line->kind = RC_CONTROL_LINE_TEXT;
	space = strchr(text, ' ');
	if (space == NULL) {
		line->command = g_ascii_strdown(text, -1);
	} else {
		line->command = g_ascii_strdown(text, space - text);
		g_free(line->rest);
		line->rest = g_strdup(space + 1);
	}
	return g_steal_pointer(&line);
}

GStrv
rc_control_split_spaces(const char *text)
{
	g_return_val_if_fail(text != NULL, NULL);
	if (*text == '\0') {
		GStrv out = g_new0(char *, 2);
		out[0] = g_strdup("");
		return out;
	}
	return g_strsplit(text, " ", -1);
}

/* ------------------------------------------------------------------ JSON */

void
rc_control_json_append_string(GString *out, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = text;
	const char *end = text + strlen(text);

	g_string_append_c(out, '"');
	while (p < end) {
		guchar c = (guchar)*p;
		gunichar uc;
		const char *next;

		if (c < 0x80) {
			switch (c) {
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
			case '\b':
				g_string_append(out, "\\b");
				break;
			case '\f':
				g_string_append(out, "\\f");
				break;
			case '<':
			case '>':
			case '&':
				g_string_append(out, "\\u00");
				g_string_append_c(out, hex[c >> 4]);
				g_string_append_c(out, hex[c & 0xf]);
				break;
			default:
				if (c < 0x20) {
					g_string_append(out, "\\u00");
					g_string_append_c(out, hex[c >> 4]);
					g_string_append_c(out, hex[c & 0xf]);
				} else {
					g_string_append_c(out, (char)c);
				}
				break;
			}
			p++;
			continue;
		}
		uc = g_utf8_get_char_validated(p, end - p);
		if (uc == (gunichar)-1 || uc == (gunichar)-2) {
			/* invalid UTF-8 byte: U+FFFD, as Go (control.md 2.9) */
			g_string_append(out, "\\ufffd");
			p++;
			continue;
		}
		next = g_utf8_next_char(p);
		if (uc == 0x2028 || uc == 0x2029)
			g_string_append_printf(out, "\\u%04x", uc);
		else
			g_string_append_len(out, p, next - p);
		p = next;
	}
	g_string_append_c(out, '"');
}

void
rc_control_format_double(GString *out, double value)
{
	char buf[64];
	char digits[32];
	int exp10;
	double abs_value;
	gsize ndigits = 0;
	const char *e;

	if (!isfinite(value)) {
		g_string_append_c(out, '0');
		return;
	}
	if (value == 0) {
		g_string_append(out, signbit(value) ? "-0" : "0");
		return;
	}
	/* shortest %e representation that round-trips */
	for (int prec = 0; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec, value);
		if (strtod(buf, NULL) == value)
			break;
	}
	/* buf: [-]d[.ddd]e[+-]XX */
	for (const char *p = buf; *p != '\0' && *p != 'e'; p++) {
		if (g_ascii_isdigit(*p) && ndigits < sizeof digits - 1)
			digits[ndigits++] = *p;
	}
	digits[ndigits] = '\0';
	while (ndigits > 1 && digits[ndigits - 1] == '0')
		digits[--ndigits] = '\0';
	e = strchr(buf, 'e');
	exp10 = e != NULL ? atoi(e + 1) : 0;
	abs_value = fabs(value);
	if (value < 0)
		g_string_append_c(out, '-');
	if (abs_value < 1e-6 || abs_value >= 1e21) {
		/* d[.ddd]e±X (Go strips a leading exponent zero: 1e-07 -> 1e-7) */
		g_string_append_c(out, digits[0]);
		if (ndigits > 1) {
			g_string_append_c(out, '.');
			g_string_append(out, digits + 1);
		}
		g_string_append_printf(out, "e%c%02d", exp10 < 0 ? '-' : '+', ABS(exp10));
		if (ABS(exp10) < 10) {
			/* Go writes at least two exponent digits only for 'e' with
			 * exponents >= 10; "1e-07" becomes "1e-7" */
			gsize l = out->len;
			out->str[l - 2] = out->str[l - 1];
			g_string_truncate(out, l - 1);
		}
		return;
	}
	if (exp10 < 0) {
		g_string_append(out, "0.");
		for (int i = -1; i > exp10; i--)
			g_string_append_c(out, '0');
		g_string_append(out, digits);
		return;
	}
	/* exp10 >= 0: integer part has exp10 + 1 digits */
	for (int i = 0; i <= exp10; i++)
		g_string_append_c(out, (gsize)i < ndigits ? digits[i] : '0');
	if ((gsize)exp10 + 1 < ndigits) {
		g_string_append_c(out, '.');
		g_string_append(out, digits + exp10 + 1);
	}
}

void
rc_control_json_append(GString *out, JsonNode *node)
{
	if (node == NULL) {
		g_string_append(out, "null");
		return;
	}
	switch (json_node_get_node_type(node)) {
	case JSON_NODE_NULL:
		g_string_append(out, "null");
		break;
	case JSON_NODE_OBJECT: {
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		gboolean first = TRUE;

		g_string_append_c(out, '{');
		json_object_iter_init_ordered(&iter, json_node_get_object(node));
		while (json_object_iter_next_ordered(&iter, &name, &member)) {
			if (!first)
				g_string_append_c(out, ',');
			first = FALSE;
			rc_control_json_append_string(out, name);
			g_string_append_c(out, ':');
			rc_control_json_append(out, member);
		}
		g_string_append_c(out, '}');
		break;
	}
	case JSON_NODE_ARRAY: {
		JsonArray *array = json_node_get_array(node);
		guint n = json_array_get_length(array);

		g_string_append_c(out, '[');
		for (guint i = 0; i < n; i++) {
			if (i > 0)
				g_string_append_c(out, ',');
			rc_control_json_append(out, json_array_get_element(array, i));
		}
		g_string_append_c(out, ']');
		break;
	}
	case JSON_NODE_VALUE:
		switch (json_node_get_value_type(node)) {
		case G_TYPE_STRING:
			rc_control_json_append_string(out, json_node_get_string(node));
			break;
		case G_TYPE_INT64:
			g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
			break;
		case G_TYPE_DOUBLE:
			rc_control_format_double(out, json_node_get_double(node));
			break;
		case G_TYPE_BOOLEAN:
			g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
			break;
		default:
			g_string_append(out, "null");
			break;
		}
		break;
	default:
		g_string_append(out, "null");
		break;
	}
}

char *
rc_control_json_to_string(JsonNode *node)
{
	GString *out = g_string_new(NULL);
	rc_control_json_append(out, node);
	return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ durations, times */

/* Go's fmtFrac: fraction digits of v (prec digits), trailing zeros dropped. */
static void
append_frac(GString *out, guint64 v, int prec)
{
	char buf[16];
	int n = 0;
	gboolean print = FALSE;

	for (int i = 0; i < prec; i++) {
		guint digit = (guint)(v % 10);
		print = print || digit != 0;
		if (print)
			buf[n++] = (char)('0' + digit);
		v /= 10;
	}
	if (print) {
		g_string_append_c(out, '.');
		while (n > 0)
			g_string_append_c(out, buf[--n]);
	}
	(void)v;
}

char *
rc_control_format_duration(gint64 ns)
{
	GString *out = g_string_new(NULL);
	guint64 u;
	gboolean neg = ns < 0;

	if (ns == 0) {
		g_string_append(out, "0s");
		return g_string_free(out, FALSE);
	}
	u = neg ? (guint64)(-(ns + 1)) + 1 : (guint64)ns;
	if (neg)
		g_string_append_c(out, '-');
	if (u < 1000) {
		g_string_append_printf(out, "%" G_GUINT64_FORMAT "ns", u);
	} else if (u < 1000000) {
		g_string_append_printf(out, "%" G_GUINT64_FORMAT, u / 1000);
		append_frac(out, u % 1000, 3);
		g_string_append(out, "\302\265s");
	} else if (u < 1000000000) {
		g_string_append_printf(out, "%" G_GUINT64_FORMAT, u / 1000000);
		append_frac(out, u % 1000000, 6);
		g_string_append(out, "ms");
	} else {
		guint64 secs = u / 1000000000;
		guint64 frac = u % 1000000000;
		guint64 hours = secs / 3600;
		guint64 mins = (secs / 60) % 60;

		if (hours > 0)
			g_string_append_printf(out, "%" G_GUINT64_FORMAT "h", hours);
		if (hours > 0 || mins > 0)
			g_string_append_printf(out, "%" G_GUINT64_FORMAT "m", mins);
		g_string_append_printf(out, "%" G_GUINT64_FORMAT, secs % 60);
		append_frac(out, frac, 9);
		g_string_append_c(out, 's');
	}
	return g_string_free(out, FALSE);
}

char *
rc_control_format_time(GDateTime *time)
{
	GString *out = g_string_new(NULL);
	g_autofree char *base = g_date_time_format(time, "%Y-%m-%dT%H:%M:%S");
	gint usec = g_date_time_get_microsecond(time);
	GTimeSpan offset = g_date_time_get_utc_offset(time);

	g_string_append(out, base);
	if (usec > 0) {
		char frac[8];
		int n;
		g_snprintf(frac, sizeof frac, "%06d", usec);
		n = 6;
		while (n > 0 && frac[n - 1] == '0')
			n--;
		frac[n] = '\0';
		g_string_append_printf(out, ".%s", frac);
	}
	if (offset == 0) {
		g_string_append_c(out, 'Z');
	} else {
		gint64 mins = ABS(offset) / G_TIME_SPAN_MINUTE;
		g_string_append_printf(out, "%c%02d:%02d", offset < 0 ? '-' : '+',
				       (int)(mins / 60), (int)(mins % 60));
	}
	return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ GVariant <-> JSON */

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

JsonNode *
rc_control_variant_to_json(GVariant *value)
{
	const GVariantType *type;

	if (value == NULL)
		return json_node_new(JSON_NODE_NULL);
	type = g_variant_get_type(value);
	if (g_variant_type_is_variant(type)) {
		g_autoptr(GVariant) inner = g_variant_get_variant(value);
		return rc_control_variant_to_json(inner);
	}
	if (g_variant_type_is_maybe(type)) {
		g_autoptr(GVariant) inner = g_variant_get_maybe(value);
		return inner == NULL ? json_node_new(JSON_NODE_NULL)
				     : rc_control_variant_to_json(inner);
	}
	if (g_variant_type_is_array(type) &&
	    g_variant_type_is_dict_entry(g_variant_type_element(type))) {
		/* a dictionary: keys sorted bytewise, as Go sorts map keys; a
		 * repeated key keeps its last value (a Go map would) */
		g_autoptr(GHashTable) vals = g_hash_table_new_full(
			g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref);
		g_autofree gpointer *keys = NULL;
		guint nkeys = 0;
		JsonObject *obj = json_object_new();
		JsonNode *node = json_node_new(JSON_NODE_OBJECT);
		GVariantIter iter;
		GVariant *entry;

		g_variant_iter_init(&iter, value);
		while ((entry = g_variant_iter_next_value(&iter)) != NULL) {
			g_autoptr(GVariant) k = g_variant_get_child_value(entry, 0);
			char *key = g_variant_is_of_type(k, G_VARIANT_TYPE_STRING)
					    ? g_variant_dup_string(k, NULL)
					    : g_variant_print(k, FALSE);
			g_hash_table_replace(vals, key, g_variant_get_child_value(entry, 1));
			g_variant_unref(entry);
		}
		keys = g_hash_table_get_keys_as_array(vals, &nkeys);
		qsort(keys, nkeys, sizeof(gpointer), cmp_str);
		for (guint i = 0; i < nkeys; i++) {
			json_object_set_member(
				obj, keys[i],
				rc_control_variant_to_json(g_hash_table_lookup(vals, keys[i])));
		}
		json_node_take_object(node, obj);
		return node;
	}
	if (g_variant_type_is_array(type) || g_variant_type_is_tuple(type)) {
		JsonArray *array = json_array_new();
		JsonNode *node = json_node_new(JSON_NODE_ARRAY);
		gsize n = g_variant_n_children(value);

		for (gsize i = 0; i < n; i++) {
			g_autoptr(GVariant) child = g_variant_get_child_value(value, i);
			json_array_add_element(array, rc_control_variant_to_json(child));
		}
		json_node_take_array(node, array);
		return node;
	}
	switch (g_variant_classify(value)) {
	case G_VARIANT_CLASS_BOOLEAN:
		return json_node_init_boolean(json_node_alloc(), g_variant_get_boolean(value));
	case G_VARIANT_CLASS_BYTE:
		return json_node_init_int(json_node_alloc(), g_variant_get_byte(value));
	case G_VARIANT_CLASS_INT16:
		return json_node_init_int(json_node_alloc(), g_variant_get_int16(value));
	case G_VARIANT_CLASS_UINT16:
		return json_node_init_int(json_node_alloc(), g_variant_get_uint16(value));
	case G_VARIANT_CLASS_INT32:
		return json_node_init_int(json_node_alloc(), g_variant_get_int32(value));
	case G_VARIANT_CLASS_UINT32:
		return json_node_init_int(json_node_alloc(), g_variant_get_uint32(value));
	case G_VARIANT_CLASS_INT64:
		return json_node_init_int(json_node_alloc(), g_variant_get_int64(value));
	case G_VARIANT_CLASS_UINT64:
		return json_node_init_int(json_node_alloc(),
					  (gint64)MIN(g_variant_get_uint64(value), G_MAXINT64));
	case G_VARIANT_CLASS_DOUBLE:
		return json_node_init_double(json_node_alloc(), g_variant_get_double(value));
	case G_VARIANT_CLASS_STRING:
	case G_VARIANT_CLASS_OBJECT_PATH:
	case G_VARIANT_CLASS_SIGNATURE:
		return json_node_init_string(json_node_alloc(), g_variant_get_string(value, NULL));
	default:
		return json_node_new(JSON_NODE_NULL);
	}
}

GVariant *
rc_control_json_to_variant(JsonNode *node)
{
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return g_variant_ref_sink(g_variant_new_maybe(G_VARIANT_TYPE_VARIANT, NULL));
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		GVariantBuilder b;
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;

		g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
		json_object_iter_init_ordered(&iter, json_node_get_object(node));
		while (json_object_iter_next_ordered(&iter, &name, &member)) {
			g_autoptr(GVariant) v = rc_control_json_to_variant(member);
			g_variant_builder_add(&b, "{sv}", name, v);
		}
		return g_variant_ref_sink(g_variant_builder_end(&b));
	}
	if (JSON_NODE_HOLDS_ARRAY(node)) {
		GVariantBuilder b;
		JsonArray *array = json_node_get_array(node);
		guint n = json_array_get_length(array);

		g_variant_builder_init(&b, G_VARIANT_TYPE("av"));
		for (guint i = 0; i < n; i++) {
			g_autoptr(GVariant) v =
				rc_control_json_to_variant(json_array_get_element(array, i));
			g_variant_builder_add(&b, "v", v);
		}
		return g_variant_ref_sink(g_variant_builder_end(&b));
	}
	switch (json_node_get_value_type(node)) {
	case G_TYPE_STRING:
		return g_variant_ref_sink(g_variant_new_string(json_node_get_string(node)));
	case G_TYPE_INT64:
		return g_variant_ref_sink(g_variant_new_double((double)json_node_get_int(node)));
	case G_TYPE_DOUBLE:
		return g_variant_ref_sink(g_variant_new_double(json_node_get_double(node)));
	case G_TYPE_BOOLEAN:
		return g_variant_ref_sink(g_variant_new_boolean(json_node_get_boolean(node)));
	default:
		return g_variant_ref_sink(g_variant_new_maybe(G_VARIANT_TYPE_VARIANT, NULL));
	}
}
