/* rc-ctl-pyfmt.c: Python text forms for receptorctl's output (control.md 5.6). */
#include "config.h"

#include "rc-ctl-pyfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
rc_ctl_py_float_repr(GString *out, double value)
{
	char buf[64];
	char digits[32];
	gsize nd = 0;
	int exp10;
	const char *e;

	if (isnan(value)) {
		g_string_append(out, "NaN");
		return;
	}
	if (isinf(value)) {
		g_string_append(out, value > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (value == 0) {
		g_string_append(out, signbit(value) ? "-0.0" : "0.0");
		return;
	}
	for (int prec = 0; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec, value);
		if (strtod(buf, NULL) == value)
			break;
	}
	for (const char *p = buf; *p != '\0' && *p != 'e'; p++) {
		if (g_ascii_isdigit(*p) && nd < sizeof digits - 1)
			digits[nd++] = *p;
	}
	digits[nd] = '\0';
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	e = strchr(buf, 'e');
	exp10 = e != NULL ? atoi(e + 1) : 0;
	if (value < 0)
		g_string_append_c(out, '-');
	/* Python repr: exponent form when exp < -4 or exp >= 16 */
	if (exp10 < -4 || exp10 >= 16) {
		g_string_append_c(out, digits[0]);
		if (nd > 1) {
			g_string_append_c(out, '.');
			g_string_append(out, digits + 1);
		}
		g_string_append_printf(out, "e%c%02d", exp10 < 0 ? '-' : '+', ABS(exp10));
		return;
	}
	if (exp10 < 0) {
		g_string_append(out, "0.");
		for (int i = -1; i > exp10; i--)
			g_string_append_c(out, '0');
		g_string_append(out, digits);
		return;
	}
	for (int i = 0; i <= exp10; i++)
		g_string_append_c(out, (gsize)i < nd ? digits[i] : '0');
	g_string_append_c(out, '.');
	if ((gsize)exp10 + 1 < nd)
		g_string_append(out, digits + exp10 + 1);
	else
		g_string_append_c(out, '0');
}

/* json.dumps string with ensure_ascii=True. */
static void
json_string(GString *out, const char *text)
{
	g_string_append_c(out, '"');
	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
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
		default:
			if (c >= 0x20 && c <= 0x7e) {
				g_string_append_c(out, (char)c);
			} else if (c > 0xffff) {
				gunichar v = c - 0x10000;
				g_string_append_printf(out, "\\u%04x\\u%04x", 0xd800 + (v >> 10),
						       0xdc00 + (v & 0x3ff));
			} else {
				g_string_append_printf(out, "\\u%04x", c);
			}
			break;
		}
	}
	g_string_append_c(out, '"');
}

static void
json_number(GString *out, JsonNode *node)
{
	if (json_node_get_value_type(node) == G_TYPE_INT64)
		g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
	else
		rc_ctl_py_float_repr(out, json_node_get_double(node));
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
indent(GString *out, guint level)
{
	g_string_append_c(out, '\n');
	for (guint i = 0; i < level * 4; i++)
		g_string_append_c(out, ' ');
}

static void
dumps(GString *out, JsonNode *node, guint level)
{
	switch (json_node_get_node_type(node)) {
	case JSON_NODE_OBJECT: {
		JsonObject *obj = json_node_get_object(node);
		g_autoptr(GList) members = json_object_get_members(obj);
		g_autoptr(GPtrArray) keys = g_ptr_array_new();

		if (members == NULL) {
			g_string_append(out, "{}");
			return;
		}
		for (GList *l = members; l != NULL; l = l->next)
			g_ptr_array_add(keys, l->data);
		g_ptr_array_sort(keys, cmp_str);
		g_string_append_c(out, '{');
		for (guint i = 0; i < keys->len; i++) {
			indent(out, level + 1);
			json_string(out, keys->pdata[i]);
			g_string_append(out, ": ");
			dumps(out, json_object_get_member(obj, keys->pdata[i]), level + 1);
			if (i + 1 < keys->len)
				g_string_append_c(out, ',');
		}
		indent(out, level);
		g_string_append_c(out, '}');
		return;
	}
	case JSON_NODE_ARRAY: {
		JsonArray *array = json_node_get_array(node);
		guint n = json_array_get_length(array);

		if (n == 0) {
			g_string_append(out, "[]");
			return;
		}
		g_string_append_c(out, '[');
		for (guint i = 0; i < n; i++) {
			indent(out, level + 1);
			dumps(out, json_array_get_element(array, i), level + 1);
			if (i + 1 < n)
				g_string_append_c(out, ',');
		}
		indent(out, level);
		g_string_append_c(out, ']');
		return;
	}
	case JSON_NODE_NULL:
		g_string_append(out, "null");
		return;
	case JSON_NODE_VALUE:
	default:
		switch (json_node_get_value_type(node)) {
		case G_TYPE_STRING:
			json_string(out, json_node_get_string(node));
			break;
		case G_TYPE_BOOLEAN:
			g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
			break;
		case G_TYPE_INT64:
		case G_TYPE_DOUBLE:
			json_number(out, node);
			break;
		default:
			g_string_append(out, "null");
			break;
		}
		return;
	}
}

void
rc_ctl_py_json_dumps(GString *out, JsonNode *node)
{
	dumps(out, node, 0);
}

void
rc_ctl_py_str_repr(GString *out, const char *text)
{
	char quote = (strchr(text, '\'') != NULL && strchr(text, '"') == NULL) ? '"' : '\'';

	g_string_append_c(out, quote);
	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c == (gunichar)quote || c == '\\') {
			g_string_append_c(out, '\\');
			g_string_append_c(out, (char)c);
		} else if (c == '\n') {
			g_string_append(out, "\\n");
		} else if (c == '\r') {
			g_string_append(out, "\\r");
		} else if (c == '\t') {
			g_string_append(out, "\\t");
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
			g_string_append_printf(out, "\\x%02x", c);
		} else if (c >= 0x80 && !g_unichar_isprint(c)) {
			if (c <= 0xffff)
				g_string_append_printf(out, "\\u%04x", c);
			else
				g_string_append_printf(out, "\\U%08x", c);
		} else {
			g_string_append_unichar(out, c);
		}
	}
	g_string_append_c(out, quote);
}

void
rc_ctl_py_repr(GString *out, JsonNode *node)
{
	switch (json_node_get_node_type(node)) {
	case JSON_NODE_OBJECT: {
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		gboolean first = TRUE;

		/* dicts keep insertion (reply) order */
		g_string_append_c(out, '{');
		json_object_iter_init_ordered(&iter, json_node_get_object(node));
		while (json_object_iter_next_ordered(&iter, &name, &member)) {
			if (!first)
				g_string_append(out, ", ");
			first = FALSE;
			rc_ctl_py_str_repr(out, name);
			g_string_append(out, ": ");
			rc_ctl_py_repr(out, member);
		}
		g_string_append_c(out, '}');
		return;
	}
	case JSON_NODE_ARRAY: {
		JsonArray *array = json_node_get_array(node);
		g_string_append_c(out, '[');
		for (guint i = 0; i < json_array_get_length(array); i++) {
			if (i > 0)
				g_string_append(out, ", ");
			rc_ctl_py_repr(out, json_array_get_element(array, i));
		}
		g_string_append_c(out, ']');
		return;
	}
	case JSON_NODE_NULL:
		g_string_append(out, "None");
		return;
	case JSON_NODE_VALUE:
	default:
		if (json_node_get_value_type(node) == G_TYPE_STRING)
			rc_ctl_py_str_repr(out, json_node_get_string(node));
		else
			rc_ctl_py_str(out, node);
		return;
	}
}

void
rc_ctl_py_str(GString *out, JsonNode *node)
{
	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		g_string_append(out, "None");
		return;
	}
	if (!JSON_NODE_HOLDS_VALUE(node)) {
		rc_ctl_py_repr(out, node);
		return;
	}
	switch (json_node_get_value_type(node)) {
	case G_TYPE_STRING:
		g_string_append(out, json_node_get_string(node));
		break;
	case G_TYPE_BOOLEAN:
		g_string_append(out, json_node_get_boolean(node) ? "True" : "False");
		break;
	case G_TYPE_INT64:
	case G_TYPE_DOUBLE:
		json_number(out, node);
		break;
	default:
		g_string_append(out, "None");
		break;
	}
}

void
rc_ctl_py_pad(GString *out, const char *text, guint width)
{
	glong len = g_utf8_strlen(text, -1);

	g_string_append(out, text);
	for (glong i = len; i < (glong)width; i++)
		g_string_append_c(out, ' ');
}
