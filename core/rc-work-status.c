/* rc-work-status.c: status record, Go-compatible JSON file form (work.md 2). */
#include "config.h"

#include "rc-work-status.h"

#include <math.h> /* isfinite (macro, no libm) */
#include <string.h>

#include <json-glib/json-glib.h>

RcWorkStatus *
rc_work_status_new(void)
{
	RcWorkStatus *status = g_new0(RcWorkStatus, 1);
	status->detail = g_strdup("");
	status->work_type = g_strdup("");
	return status;
}

RcWorkStatus *
rc_work_status_copy(const RcWorkStatus *status)
{
	RcWorkStatus *copy;

	g_return_val_if_fail(status != NULL, NULL);
	copy = g_new0(RcWorkStatus, 1);
	*copy = *status;
	copy->detail = g_strdup(status->detail);
	copy->work_type = g_strdup(status->work_type);
	copy->params = g_strdup(status->params);
	copy->extra_raw = g_strdup(status->extra_raw);
	return copy;
}

void
rc_work_status_free(RcWorkStatus *status)
{
	if (status == NULL)
		return;
	g_free(status->detail);
	g_free(status->work_type);
	g_free(status->params);
	g_free(status->extra_raw);
	g_free(status);
}

void
rc_work_status_set_detail(RcWorkStatus *status, const char *detail)
{
	g_free(status->detail);
	status->detail = g_strdup(detail != NULL ? detail : "");
}

void
rc_work_status_set_work_type(RcWorkStatus *status, const char *work_type)
{
	g_free(status->work_type);
	status->work_type = g_strdup(work_type != NULL ? work_type : "");
}

void
rc_work_status_clear_extra(RcWorkStatus *status)
{
	status->extra_kind = RC_WORK_EXTRA_NULL;
	status->pid = 0;
	g_clear_pointer(&status->params, g_free);
	g_clear_pointer(&status->extra_raw, g_free);
}

void
rc_work_status_set_command(RcWorkStatus *status, gint64 pid, const char *params)
{
	g_autofree char *copy = g_strdup(params != NULL ? params : "");
	rc_work_status_clear_extra(status);
	status->extra_kind = RC_WORK_EXTRA_COMMAND;
	status->pid = pid;
	status->params = g_steal_pointer(&copy);
}

char *
rc_work_state_name(gint64 state)
{
	switch (state) {
	case RC_WORK_PENDING:
		return g_strdup("Pending");
	case RC_WORK_RUNNING:
		return g_strdup("Running");
	case RC_WORK_SUCCEEDED:
		return g_strdup("Succeeded");
	case RC_WORK_FAILED:
		return g_strdup("Failed");
	case RC_WORK_CANCELED:
		return g_strdup("Canceled");
	default:
		return g_strdup_printf("Unknown: %" G_GINT64_FORMAT, state);
	}
}

gboolean
rc_work_state_is_complete(gint64 state)
{
	return state == RC_WORK_SUCCEEDED || state == RC_WORK_FAILED;
}

/* ------------------------------------------------------------ encoder */

void
rc_work_json_append_string(GString *out, const char *str, gssize len)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = str;
	const char *end;

	if (len < 0)
		len = (gssize)strlen(str);
	end = str + len;
	g_string_append_c(out, '"');
	while (p < end) {
		guchar c = (guchar)*p;
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
			case '<':
			case '>':
			case '&':
				g_string_append_printf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
				break;
			default:
				/* BS and FF as \u0008/\u000c: Go <= 1.21 (work.md 10 Q2) */
				if (c < 0x20)
					g_string_append_printf(out, "\\u00%c%c", hex[c >> 4],
							       hex[c & 15]);
				else
					g_string_append_c(out, (char)c);
				break;
			}
			p++;
			continue;
		}
		gunichar u = g_utf8_get_char_validated(p, end - p);
		if (u == (gunichar)-1 || u == (gunichar)-2) {
			/* one U+FFFD per bad byte, like Go's utf8.DecodeRuneInString */
			g_string_append(out, "\\ufffd");
			p++;
			continue;
		}
		const char *next = g_utf8_next_char(p);
		if (u == 0x2028 || u == 0x2029)
			g_string_append_printf(out, "\\u%04x", (guint)u);
		else
			g_string_append_len(out, p, next - p);
		p = next;
	}
	g_string_append_c(out, '"');
}

/* Go's float64 encoding: integral values without fraction, exponent form only
 * outside [1e-6, 1e21) (control.md 2.9). */
static void
append_double(GString *out, double d)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	double a = d < 0 ? -d : d;

	if (!isfinite(d)) {
		g_string_append(out, "null");
		return;
	}
	if (a < 9e18 && d == (double)(gint64)d) {
		g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64)d);
		return;
	}
	if (a < 1e21 && a >= 9e18) {
		g_string_append_printf(out, "%.0f", d);
		return;
	}
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.17g", d));
		return;
	}
	g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), d));
}

static void
append_node(GString *out, JsonNode *node)
{
	switch (json_node_get_node_type(node)) {
	case JSON_NODE_NULL:
		g_string_append(out, "null");
		break;
	case JSON_NODE_ARRAY: {
		JsonArray *array = json_node_get_array(node);
		g_string_append_c(out, '[');
		for (guint i = 0; i < json_array_get_length(array); i++) {
			if (i > 0)
				g_string_append_c(out, ',');
			append_node(out, json_array_get_element(array, i));
		}
		g_string_append_c(out, ']');
		break;
	}
	case JSON_NODE_OBJECT: {
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		gboolean first = TRUE;
		json_object_iter_init_ordered(&iter, json_node_get_object(node));
		g_string_append_c(out, '{');
		while (json_object_iter_next_ordered(&iter, &name, &member)) {
			if (!first)
				g_string_append_c(out, ',');
			first = FALSE;
			rc_work_json_append_string(out, name, -1);
			g_string_append_c(out, ':');
			append_node(out, member);
		}
		g_string_append_c(out, '}');
		break;
	}
	case JSON_NODE_VALUE:
	default: {
		GType type = json_node_get_value_type(node);
		if (type == G_TYPE_INT64)
			g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
		else if (type == G_TYPE_DOUBLE)
			append_double(out, json_node_get_double(node));
		else if (type == G_TYPE_BOOLEAN)
			g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
		else
			rc_work_json_append_string(out, json_node_get_string(node), -1);
		break;
	}
	}
}

char *
rc_work_status_to_file(const RcWorkStatus *status, gsize *len)
{
	GString *out = g_string_sized_new(128);

	g_string_append_printf(out, "{\"State\":%" G_GINT64_FORMAT ",\"Detail\":", status->state);
	rc_work_json_append_string(out, status->detail != NULL ? status->detail : "", -1);
	g_string_append_printf(out, ",\"StdoutSize\":%" G_GINT64_FORMAT ",\"WorkType\":",
			       status->stdout_size);
	rc_work_json_append_string(out, status->work_type != NULL ? status->work_type : "", -1);
	g_string_append(out, ",\"ExtraData\":");
	switch (status->extra_kind) {
	case RC_WORK_EXTRA_COMMAND:
		g_string_append_printf(out, "{\"Pid\":%" G_GINT64_FORMAT ",\"Params\":", status->pid);
		rc_work_json_append_string(out, status->params != NULL ? status->params : "", -1);
		g_string_append_c(out, '}');
		break;
	case RC_WORK_EXTRA_RAW:
		g_string_append(out, status->extra_raw != NULL ? status->extra_raw : "null");
		break;
	case RC_WORK_EXTRA_UNKNOWN:
		g_string_append(out, "\"Unknown WorkType\"");
		break;
	case RC_WORK_EXTRA_NULL:
	default:
		g_string_append(out, "null");
		break;
	}
	g_string_append(out, "}\n");
	if (len != NULL)
		*len = out->len;
	return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------ parser */

/* Refuse nesting deeper than RC_WORK_STATUS_MAX_DEPTH before json-glib
 * (which recurses) sees the text. */
static gboolean
check_depth(const guint8 *data, gsize len, GError **error)
{
	guint depth = 0;
	gboolean in_string = FALSE;

	for (gsize i = 0; i < len; i++) {
		guint8 c = data[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = FALSE;
			continue;
		}
		if (c == '"') {
			in_string = TRUE;
		} else if (c == '{' || c == '[') {
			if (++depth > RC_WORK_STATUS_MAX_DEPTH) {
				g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
					    "status file nested deeper than %d levels",
					    RC_WORK_STATUS_MAX_DEPTH);
				return FALSE;
			}
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
}

static gboolean
get_int(JsonNode *node, const char *key, gboolean *set, gint64 *out, GError **error)
{
	if (JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "json: cannot unmarshal field %s: not an integer", key);
		return FALSE;
	}
	*out = json_node_get_int(node);
	*set = TRUE;
	return TRUE;
}

static gboolean
get_string(JsonNode *node, const char *key, gboolean *set, const char **out, GError **error)
{
	if (JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "json: cannot unmarshal field %s: not a string", key);
		return FALSE;
	}
	*out = json_node_get_string(node);
	*set = TRUE;
	return TRUE;
}

/* {"Pid":int,"Params":string} in any key order and case → command extra. */
static gboolean
extra_is_command(JsonNode *node, gint64 *pid, const char **params)
{
	JsonObject *obj;
	JsonObjectIter iter;
	const char *name;
	JsonNode *member;
	gboolean have_pid = FALSE, have_params = FALSE;

	if (!JSON_NODE_HOLDS_OBJECT(node))
		return FALSE;
	obj = json_node_get_object(node);
	if (json_object_get_size(obj) != 2)
		return FALSE;
	json_object_iter_init(&iter, obj);
	while (json_object_iter_next(&iter, &name, &member)) {
		if (g_ascii_strcasecmp(name, "Pid") == 0 && JSON_NODE_HOLDS_VALUE(member) &&
		    json_node_get_value_type(member) == G_TYPE_INT64) {
			*pid = json_node_get_int(member);
			have_pid = TRUE;
		} else if (g_ascii_strcasecmp(name, "Params") == 0 &&
			   JSON_NODE_HOLDS_VALUE(member) &&
			   json_node_get_value_type(member) == G_TYPE_STRING) {
			*params = json_node_get_string(member);
			have_params = TRUE;
		}
	}
	return have_pid && have_params;
}

gboolean
rc_work_status_parse(RcWorkStatus *status, const guint8 *data, gsize len, GError **error)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) local_error = NULL;
	JsonNode *root;
	JsonObjectIter iter;
	const char *name;
	JsonNode *member;
	gboolean state_set = FALSE, size_set = FALSE, detail_set = FALSE, type_set = FALSE;
	gint64 state = 0, size = 0;
	const char *detail = NULL, *work_type = NULL;
	JsonNode *extra = NULL;
	gsize i;

	g_return_val_if_fail(status != NULL, FALSE);
	g_return_val_if_fail(data != NULL || len == 0, FALSE);

	for (i = 0; i < len; i++) {
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r')
			break;
	}
	if (i == len) {
		/* Go's text, used in "Failed to restart: ..." (work.md 5.3) */
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "unexpected end of JSON input");
		return FALSE;
	}
	if (len > RC_WORK_STATUS_MAX_BYTES) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL,
			    "status file larger than %d bytes", RC_WORK_STATUS_MAX_BYTES);
		return FALSE;
	}
	if (!check_depth(data, len, error))
		return FALSE;
	if (memchr(data, '\0', len) != NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "invalid character '\\x00' in status file");
		return FALSE;
	}
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, (const char *)data, (gssize)len, &local_error)) {
		g_set_error(error, RC_ERROR, RC_ERROR_PROTOCOL, "%s", local_error->message);
		return FALSE;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_PROTOCOL,
				    "json: cannot unmarshal non-object into status record");
		return FALSE;
	}
	json_object_iter_init(&iter, json_node_get_object(root));
	while (json_object_iter_next(&iter, &name, &member)) {
		if (g_ascii_strcasecmp(name, "State") == 0) {
			if (!get_int(member, "State", &state_set, &state, error))
				return FALSE;
		} else if (g_ascii_strcasecmp(name, "Detail") == 0) {
			if (!get_string(member, "Detail", &detail_set, &detail, error))
				return FALSE;
		} else if (g_ascii_strcasecmp(name, "StdoutSize") == 0) {
			if (!get_int(member, "StdoutSize", &size_set, &size, error))
				return FALSE;
		} else if (g_ascii_strcasecmp(name, "WorkType") == 0) {
			if (!get_string(member, "WorkType", &type_set, &work_type, error))
				return FALSE;
		} else if (g_ascii_strcasecmp(name, "ExtraData") == 0) {
			extra = member;
		}
	}

	if (state_set)
		status->state = state;
	if (detail_set)
		rc_work_status_set_detail(status, detail);
	if (size_set)
		status->stdout_size = size;
	if (type_set)
		rc_work_status_set_work_type(status, work_type);
	if (extra != NULL) {
		gint64 pid = 0;
		const char *params = NULL;
		if (JSON_NODE_HOLDS_NULL(extra)) {
			rc_work_status_clear_extra(status);
		} else if (extra_is_command(extra, &pid, &params)) {
			rc_work_status_set_command(status, pid, params);
		} else {
			GString *raw = g_string_new(NULL);
			append_node(raw, extra);
			rc_work_status_clear_extra(status);
			status->extra_kind = RC_WORK_EXTRA_RAW;
			status->extra_raw = g_string_free(raw, FALSE);
		}
	}
	return TRUE;
}
