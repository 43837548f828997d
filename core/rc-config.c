/* rc-config.c: typing and conversion of parameter values (config.md 5),
 * post-parse checks (3.9), defaults (5.7), and the RcConfig result. */
#include "config.h"

#include "rc-config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rc-config-private.h"
#include "rc-duration.h"
#include "rc-gostrconv.h"

/* ------------------------------------------------------------ accumulators */

RcConfigAccum *
rc_config_accum_new(const RcEntityDesc *desc, const char *plugin, const char *origin,
		    const char *arg)
{
	RcConfigAccum *acc = g_new0(RcConfigAccum, 1);
	acc->desc = desc;
	acc->plugin = g_strdup(plugin);
	acc->origin = g_strdup(origin);
	acc->arg = g_strdup(arg);
	while (desc->params != NULL && desc->params[acc->n_params].name != NULL)
		acc->n_params++;
	acc->set = g_new0(gboolean, acc->n_params + 1);
	acc->values = g_new0(GVariant *, acc->n_params + 1);
	acc->lists = g_new0(GPtrArray *, acc->n_params + 1);
	return acc;
}

void
rc_config_accum_free(RcConfigAccum *acc)
{
	if (acc == NULL)
		return;
	for (guint i = 0; i < acc->n_params; i++) {
		g_clear_pointer(&acc->values[i], g_variant_unref);
		g_clear_pointer(&acc->lists[i], g_ptr_array_unref);
	}
	g_free(acc->set);
	g_free(acc->values);
	g_free(acc->lists);
	g_free(acc->plugin);
	g_free(acc->origin);
	g_free(acc->arg);
	g_free(acc);
}

char *
rc_config_lower(const char *s)
{
	if (g_utf8_validate(s, -1, NULL))
		return g_utf8_strdown(s, -1);
	return g_ascii_strdown(s, -1);
}

int
rc_config_param_find(const RcEntityDesc *desc, const char *key)
{
	g_autofree char *lc = rc_config_lower(key);
	for (int i = 0; desc->params != NULL && desc->params[i].name != NULL; i++) {
		if (g_ascii_strcasecmp(desc->params[i].name, lc) == 0)
			return i;
	}
	return -1;
}

int
rc_config_param_bare(const RcEntityDesc *desc)
{
	for (int i = 0; desc->params != NULL && desc->params[i].name != NULL; i++) {
		if (desc->params[i].flags & RC_PARAM_BARE)
			return i;
	}
	return -1;
}

char *
rc_config_go_field_name(const char *param)
{
	/* The Go struct fields behind the bare parameters (config.md 3.4). */
	static const struct {
		const char *param, *field;
	} known[] = {
	    {"id", "ID"},
	    {"privatekey", "PrivateKey"},
	    {"publickey", "PublicKey"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(known); i++) {
		if (g_ascii_strcasecmp(param, known[i].param) == 0)
			return g_strdup(known[i].field);
	}
	char *s = g_strdup(param);
	s[0] = g_ascii_toupper(s[0]);
	return s;
}

static const char *
go_type_name(guint32 type)
{
	switch (type) {
	case RC_PARAM_BOOL:
		return "bool";
	case RC_PARAM_INT:
		return "int";
	case RC_PARAM_FLOAT:
		return "float64";
	case RC_PARAM_STRING_LIST:
		return "[]string";
	case RC_PARAM_FLOAT_MAP:
		return "map[string]float64";
	case RC_PARAM_JSON_MAP:
		return "map[string]interface {}";
	case RC_PARAM_MAP_LIST:
		return "[]netceptor.FirewallRuleData";
	case RC_PARAM_STRING:
	case RC_PARAM_DURATION:
	default:
		return "string";
	}
}

/* ------------------------------------------------------------ Go-style text */

/* fmt "%s" of a decoded value, as Go prints a reflect.Value of it. */
static void
append_go_s(GString *out, const RcYamlNode *v)
{
	switch (v->kind) {
	case RC_YAML_STRING:
		g_string_append(out, v->text);
		break;
	case RC_YAML_INT:
		g_string_append_printf(out, "%%!s(int=%" G_GINT64_FORMAT ")", v->i);
		break;
	case RC_YAML_UINT:
		g_string_append_printf(out, "%%!s(uint64=%" G_GUINT64_FORMAT ")", v->u);
		break;
	case RC_YAML_FLOAT: {
		g_autofree char *f = rc_go_format_float_v(v->d);
		g_string_append_printf(out, "%%!s(float64=%s)", f);
		break;
	}
	case RC_YAML_BOOL:
		g_string_append_printf(out, "%%!s(bool=%s)", v->b ? "true" : "false");
		break;
	case RC_YAML_SEQ:
		g_string_append_c(out, '[');
		for (guint i = 0; i < v->children->len; i++) {
			if (i > 0)
				g_string_append_c(out, ' ');
			append_go_s(out, v->children->pdata[i]);
		}
		g_string_append_c(out, ']');
		break;
	case RC_YAML_MAP: {
		/* fmt prints maps with sorted keys. */
		g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);
		for (guint i = 0; i < rc_yaml_map_size(v); i++) {
			GString *p = g_string_new(NULL);
			append_go_s(p, rc_yaml_map_key(v, i));
			g_string_append_c(p, ':');
			append_go_s(p, rc_yaml_map_value(v, i));
			g_ptr_array_add(pairs, g_string_free(p, FALSE));
		}
		g_ptr_array_sort(pairs, (GCompareFunc)g_strcmp0);
		g_string_append(out, "map[");
		for (guint i = 0; i < pairs->len; i++) {
			if (i > 0)
				g_string_append_c(out, ' ');
			g_string_append(out, pairs->pdata[i]);
		}
		g_string_append_c(out, ']');
		break;
	}
	case RC_YAML_NULL:
	default:
		g_string_append(out, "%!s(<nil>)");
		break;
	}
}

static char *
go_s(const RcYamlNode *v)
{
	GString *out = g_string_new(NULL);
	append_go_s(out, v);
	return g_string_free(out, FALSE);
}

static gboolean
check_utf8(const char *s, GError **error)
{
	if (g_utf8_validate(s, -1, NULL))
		return TRUE;
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "value is not valid UTF-8 text");
	return FALSE;
}

/* ------------------------------------------------------------ JSON text */

/* A validator with Go's encoding/json scanner messages ("invalid character
 * 'x' looking for beginning of value", "unexpected end of JSON input"); it
 * also bounds the nesting depth, since json-glib's parser recurses. */
typedef struct {
	const char *s;
	gsize i, n;
} JsonScan;

static gboolean
json_eof(GError **error)
{
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "unexpected end of JSON input");
	return FALSE;
}

/* Go's quoteChar: the byte as a Latin-1 rune, quoted with single quotes. */
static gboolean
json_bad(guchar c, const char *context, GError **error)
{
	g_autofree char *shown = NULL;
	if (c == '\'')
		shown = g_strdup("'\\''");
	else if (c == '"')
		shown = g_strdup("'\"'");
	else {
		char utf8[8] = {0};
		g_unichar_to_utf8(c, utf8);
		g_autofree char *q = rc_go_quote(utf8);
		q[strlen(q) - 1] = '\0';
		shown = g_strdup_printf("'%s'", q + 1);
	}
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "invalid character %s %s", shown, context);
	return FALSE;
}

static void
json_ws(JsonScan *j)
{
	while (j->i < j->n && strchr(" \t\r\n", j->s[j->i]) != NULL && j->s[j->i] != '\0')
		j->i++;
}

static gboolean
json_string(JsonScan *j, GError **error)
{
	j->i++; /* opening quote */
	for (;;) {
		if (j->i >= j->n)
			return json_eof(error);
		guchar c = (guchar)j->s[j->i];
		if (c == '"') {
			j->i++;
			return TRUE;
		}
		if (c < 0x20)
			return json_bad(c, "in string literal", error);
		j->i++;
		if (c != '\\')
			continue;
		if (j->i >= j->n)
			return json_eof(error);
		c = (guchar)j->s[j->i++];
		if (c == 'u') {
			for (int k = 0; k < 4; k++) {
				if (j->i >= j->n)
					return json_eof(error);
				c = (guchar)j->s[j->i++];
				if (!g_ascii_isxdigit(c))
					return json_bad(c, "in \\u hexadecimal character escape", error);
			}
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
			return json_bad(c, "in string escape code", error);
		}
	}
}

static gboolean
json_digits(JsonScan *j)
{
	gsize start = j->i;
	while (j->i < j->n && g_ascii_isdigit(j->s[j->i]))
		j->i++;
	return j->i > start;
}

static gboolean
json_number(JsonScan *j, GError **error)
{
	if (j->s[j->i] == '-') {
		j->i++;
		if (j->i >= j->n)
			return json_eof(error);
		if (!g_ascii_isdigit(j->s[j->i]))
			return json_bad((guchar)j->s[j->i], "in numeric literal", error);
	}
	if (j->s[j->i] == '0')
		j->i++;
	else
		json_digits(j);
	if (j->i < j->n && j->s[j->i] == '.') {
		j->i++;
		if (j->i >= j->n)
			return json_eof(error);
		if (!json_digits(j))
			return json_bad((guchar)j->s[j->i], "after decimal point in numeric literal",
					error);
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (j->i >= j->n)
			return json_eof(error);
		if (!json_digits(j))
			return json_bad((guchar)j->s[j->i], "in exponent of numeric literal", error);
	}
	return TRUE;
}

static gboolean
json_literal(JsonScan *j, const char *word, GError **error)
{
	for (gsize k = 0; word[k] != '\0'; k++, j->i++) {
		if (j->i >= j->n)
			return json_eof(error);
		if (j->s[j->i] != word[k]) {
			g_autofree char *context =
			    g_strdup_printf("in literal %s (expecting '%c')", word, word[k]);
			return json_bad((guchar)j->s[j->i], context, error);
		}
	}
	return TRUE;
}

static gboolean
json_value(JsonScan *j, int depth, GError **error)
{
	json_ws(j);
	if (j->i >= j->n)
		return json_eof(error);
	guchar c = (guchar)j->s[j->i];
	if (c == '{' || c == '[') {
		if (depth >= RC_CONFIG_JSON_MAX_DEPTH) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "JSON nested deeper than %d levels",
				    RC_CONFIG_JSON_MAX_DEPTH);
			return FALSE;
		}
		gboolean object = c == '{';
		char close = object ? '}' : ']';
		j->i++;
		json_ws(j);
		if (j->i >= j->n)
			return json_eof(error);
		if (j->s[j->i] == close) {
			j->i++;
			return TRUE;
		}
		for (;;) {
			if (object) {
				json_ws(j);
				if (j->i >= j->n)
					return json_eof(error);
				if (j->s[j->i] != '"')
					return json_bad((guchar)j->s[j->i],
							"looking for beginning of object key string", error);
				if (!json_string(j, error))
					return FALSE;
				json_ws(j);
				if (j->i >= j->n)
					return json_eof(error);
				if (j->s[j->i] != ':')
					return json_bad((guchar)j->s[j->i], "after object key", error);
				j->i++;
			}
			if (!json_value(j, depth + 1, error))
				return FALSE;
			json_ws(j);
			if (j->i >= j->n)
				return json_eof(error);
			if (j->s[j->i] == ',') {
				j->i++;
				continue;
			}
			if (j->s[j->i] == close) {
				j->i++;
				return TRUE;
			}
			return json_bad((guchar)j->s[j->i],
					object ? "after object key:value pair" : "after array element",
					error);
		}
	}
	if (c == '"')
		return json_string(j, error);
	if (c == '-' || g_ascii_isdigit(c))
		return json_number(j, error);
	if (c == 't')
		return json_literal(j, "true", error);
	if (c == 'f')
		return json_literal(j, "false", error);
	if (c == 'n')
		return json_literal(j, "null", error);
	return json_bad(c, "looking for beginning of value", error);
}

static gboolean
json_prescan(const char *text, GError **error)
{
	JsonScan j = {text, 0, strlen(text)};
	if (!json_value(&j, 0, error))
		return FALSE;
	json_ws(&j);
	if (j.i < j.n)
		return json_bad((guchar)j.s[j.i], "after top-level value", error);
	return TRUE;
}

static RcYamlNode *
node_from_json(JsonNode *j)
{
	switch (JSON_NODE_TYPE(j)) {
	case JSON_NODE_OBJECT: {
		RcYamlNode *n = rc_yaml_node_new(RC_YAML_MAP, 0, 0);
		JsonObject *o = json_node_get_object(j);
		g_autoptr(GList) members = json_object_get_members(o);
		for (GList *l = members; l != NULL; l = l->next) {
			g_autoptr(RcYamlNode) k = rc_yaml_node_new_string(l->data);
			g_autoptr(RcYamlNode) v = node_from_json(json_object_get_member(o, l->data));
			rc_yaml_map_set(n, k, v);
		}
		return n;
	}
	case JSON_NODE_ARRAY: {
		RcYamlNode *n = rc_yaml_node_new(RC_YAML_SEQ, 0, 0);
		JsonArray *a = json_node_get_array(j);
		for (guint i = 0; i < json_array_get_length(a); i++)
			g_ptr_array_add(n->children, node_from_json(json_array_get_element(a, i)));
		return n;
	}
	case JSON_NODE_VALUE: {
		GType t = json_node_get_value_type(j);
		RcYamlNode *n;
		if (t == G_TYPE_INT64) {
			n = rc_yaml_node_new(RC_YAML_INT, 0, 0);
			n->i = json_node_get_int(j);
		} else if (t == G_TYPE_DOUBLE) {
			n = rc_yaml_node_new(RC_YAML_FLOAT, 0, 0);
			n->d = json_node_get_double(j);
		} else if (t == G_TYPE_BOOLEAN) {
			n = rc_yaml_node_new(RC_YAML_BOOL, 0, 0);
			n->b = json_node_get_boolean(j);
		} else {
			n = rc_yaml_node_new_string(json_node_get_string(j));
		}
		return n;
	}
	case JSON_NODE_NULL:
	default:
		return rc_yaml_node_new(RC_YAML_NULL, 0, 0);
	}
}

/* A string starting with '[' or '{' parsed as JSON (config.md 3.6, 5.6 steps 4, 6). */
static RcYamlNode *
parse_json_text(const char *text, GError **error)
{
	if (!json_prescan(text, error))
		return NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) local = NULL;
	if (!json_parser_load_from_data(parser, text, -1, &local)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "invalid JSON: %s", local->message);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(parser);
	if (root == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "unexpected end of JSON input");
		return NULL;
	}
	return node_from_json(root);
}

/* ------------------------------------------------------------ typed values */

static gint
compare_str_data(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return g_strcmp0(a, b);
}

/* Map keys and list items into strings: strings as they are, integers as
 * decimal text (Q6). FALSE when not convertible. */
static char *
string_of_key(const RcYamlNode *k)
{
	switch (k->kind) {
	case RC_YAML_STRING:
		return g_strdup(k->text);
	case RC_YAML_INT:
		return g_strdup_printf("%" G_GINT64_FORMAT, k->i);
	case RC_YAML_UINT:
		return g_strdup_printf("%" G_GUINT64_FORMAT, k->u);
	case RC_YAML_NULL:
	case RC_YAML_BOOL:
	case RC_YAML_FLOAT:
	case RC_YAML_SEQ:
	case RC_YAML_MAP:
	default:
		return NULL;
	}
}

/* Any decoded value as a GVariant (values of list-of-maps entries). */
static GVariant *
variant_of_node(const RcYamlNode *v, GError **error)
{
	switch (v->kind) {
	case RC_YAML_STRING:
		if (!check_utf8(v->text, error))
			return NULL;
		return g_variant_new_string(v->text);
	case RC_YAML_INT:
		return g_variant_new_int64(v->i);
	case RC_YAML_UINT:
		return g_variant_new_uint64(v->u);
	case RC_YAML_FLOAT:
		return g_variant_new_double(v->d);
	case RC_YAML_BOOL:
		return g_variant_new_boolean(v->b);
	case RC_YAML_SEQ: {
		g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("av"));
		for (guint i = 0; i < v->children->len; i++) {
			GVariant *e = variant_of_node(v->children->pdata[i], error);
			if (e == NULL)
				return NULL;
			g_variant_builder_add(&b, "v", e);
		}
		return g_variant_builder_end(&b);
	}
	case RC_YAML_MAP: {
		g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("a{sv}"));
		for (guint i = 0; i < rc_yaml_map_size(v); i++) {
			const RcYamlNode *k = rc_yaml_map_key(v, i);
			g_autofree char *ks = string_of_key(k);
			if (ks == NULL)
				ks = go_s(k);
			if (!check_utf8(ks, error))
				return NULL;
			GVariant *e = variant_of_node(rc_yaml_map_value(v, i), error);
			if (e == NULL)
				return NULL;
			g_variant_builder_add(&b, "{sv}", ks, e);
		}
		return g_variant_builder_end(&b);
	}
	case RC_YAML_NULL:
	default:
		return g_variant_new_maybe(G_VARIANT_TYPE_VARIANT, NULL);
	}
}

/* Any decoded value as JSON (values of a JSON-dict parameter); object keys
 * sorted so that equal configurations print equally. */
static JsonNode *
json_of_node(const RcYamlNode *v, GError **error)
{
	switch (v->kind) {
	case RC_YAML_STRING:
		if (!check_utf8(v->text, error))
			return NULL;
		return json_node_init_string(json_node_alloc(), v->text);
	case RC_YAML_INT:
		return json_node_init_int(json_node_alloc(), v->i);
	case RC_YAML_UINT:
		return json_node_init_double(json_node_alloc(), (double)v->u);
	case RC_YAML_FLOAT:
		if (!isfinite(v->d))
			return json_node_init_null(json_node_alloc());
		return json_node_init_double(json_node_alloc(), v->d);
	case RC_YAML_BOOL:
		return json_node_init_boolean(json_node_alloc(), v->b);
	case RC_YAML_SEQ: {
		JsonArray *a = json_array_new();
		for (guint i = 0; i < v->children->len; i++) {
			JsonNode *e = json_of_node(v->children->pdata[i], error);
			if (e == NULL) {
				json_array_unref(a);
				return NULL;
			}
			json_array_add_element(a, e);
		}
		JsonNode *n = json_node_init_array(json_node_alloc(), a);
		json_array_unref(a); /* the node took its own reference */
		return n;
	}
	case RC_YAML_MAP: {
		g_autoptr(GTree) sorted = g_tree_new_full(compare_str_data, NULL, g_free,
							  NULL);
		for (guint i = 0; i < rc_yaml_map_size(v); i++) {
			const RcYamlNode *k = rc_yaml_map_key(v, i);
			char *ks = string_of_key(k);
			if (ks == NULL)
				ks = go_s(k);
			g_tree_replace(sorted, ks, rc_yaml_map_value(v, i));
		}
		JsonObject *o = json_object_new();
		for (GTreeNode *n = g_tree_node_first(sorted); n != NULL; n = g_tree_node_next(n)) {
			const char *ks = g_tree_node_key(n);
			JsonNode *e = check_utf8(ks, error) ? json_of_node(g_tree_node_value(n), error)
							    : NULL;
			if (e == NULL) {
				json_object_unref(o);
				return NULL;
			}
			json_object_set_member(o, ks, e);
		}
		JsonNode *node = json_node_init_object(json_node_alloc(), o);
		json_object_unref(o); /* the node took its own reference */
		return node;
	}
	case RC_YAML_NULL:
	default:
		return json_node_init_null(json_node_alloc());
	}
}

static gboolean
type_error(guint32 type, GError **error)
{
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "type error (expected %s)", go_type_name(type));
	return FALSE;
}

static gboolean
invalid_value(const RcYamlNode *v, const char *type, GError **error)
{
	g_autofree char *s = go_s(v);
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "invalid value %s: must be type %s", s, type);
	return FALSE;
}

static gboolean
invalid_key(const RcYamlNode *v, const char *type, GError **error)
{
	g_autofree char *s = go_s(v);
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "invalid key %s: must be type %s", s, type);
	return FALSE;
}

static void
replace_value(RcConfigAccum *acc, int index, GVariant *value)
{
	g_clear_pointer(&acc->values[index], g_variant_unref);
	g_clear_pointer(&acc->lists[index], g_ptr_array_unref);
	if (value != NULL)
		acc->values[index] = g_variant_ref_sink(value);
}

/* config.md 5.6 step 2: a Go string from any scalar. */
static char *
string_of_scalar(const RcYamlNode *v)
{
	switch (v->kind) {
	case RC_YAML_STRING:
		return g_strdup(v->text);
	case RC_YAML_INT:
		return g_strdup_printf("%" G_GINT64_FORMAT, v->i);
	case RC_YAML_UINT:
		return g_strdup_printf("%" G_GUINT64_FORMAT, v->u);
	case RC_YAML_FLOAT:
		return rc_go_format_float_f(v->d);
	case RC_YAML_BOOL:
		return g_strdup(v->b ? "true" : "false");
	case RC_YAML_NULL:
	case RC_YAML_SEQ:
	case RC_YAML_MAP:
	default:
		return NULL;
	}
}

static gboolean
set_string_list(RcConfigAccum *acc, int index, const RcYamlNode *v, GError **error)
{
	const RcParamDesc *p = &acc->desc->params[index];
	g_autoptr(RcYamlNode) parsed = NULL;
	if (v->kind == RC_YAML_STRING && v->text[0] == '[') {
		parsed = parse_json_text(v->text, error);
		if (parsed == NULL)
			return FALSE;
		v = parsed;
	}
	if (v->kind == RC_YAML_STRING) {
		if (!check_utf8(v->text, error))
			return FALSE;
		if (acc->lists[index] == NULL)
			acc->lists[index] = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(acc->lists[index], g_strdup(v->text));
		return TRUE;
	}
	if (v->kind != RC_YAML_SEQ)
		return type_error(p->type, error);
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < v->children->len; i++) {
		const RcYamlNode *e = v->children->pdata[i];
		char *s = string_of_key(e); /* integers become decimal text (Q6) */
		if (s == NULL)
			return invalid_value(e, "string", error);
		g_ptr_array_add(list, s);
		if (!check_utf8(s, error))
			return FALSE;
	}
	replace_value(acc, index, NULL);
	acc->lists[index] = g_steal_pointer(&list);
	return TRUE;
}

static gboolean
set_map(RcConfigAccum *acc, int index, const RcYamlNode *v, GError **error)
{
	const RcParamDesc *p = &acc->desc->params[index];
	g_autoptr(RcYamlNode) parsed = NULL;
	if (v->kind == RC_YAML_STRING && v->text[0] == '{') {
		parsed = parse_json_text(v->text, error);
		if (parsed == NULL)
			return FALSE;
		v = parsed;
	}
	if (v->kind != RC_YAML_MAP)
		return type_error(p->type, error);

	if (p->type == RC_PARAM_FLOAT_MAP) {
		g_autoptr(GTree) sorted = g_tree_new_full(compare_str_data, NULL, g_free,
							  g_free);
		for (guint i = 0; i < rc_yaml_map_size(v); i++) {
			const RcYamlNode *k = rc_yaml_map_key(v, i);
			const RcYamlNode *e = rc_yaml_map_value(v, i);
			g_autofree char *ks = string_of_key(k);
			if (ks == NULL)
				return invalid_key(k, "string", error);
			if (!check_utf8(ks, error))
				return FALSE;
			double d;
			if (e->kind == RC_YAML_INT)
				d = (double)e->i;
			else if (e->kind == RC_YAML_UINT)
				d = (double)e->u;
			else if (e->kind == RC_YAML_FLOAT)
				d = e->d;
			else
				return invalid_value(e, "float64", error);
			g_tree_replace(sorted, g_steal_pointer(&ks), g_memdup2(&d, sizeof d));
		}
		g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("a{sd}"));
		GTreeNode *node = g_tree_node_first(sorted);
		for (; node != NULL; node = g_tree_node_next(node))
			g_variant_builder_add(&b, "{sd}", (const char *)g_tree_node_key(node),
					      *(double *)g_tree_node_value(node));
		replace_value(acc, index, g_variant_builder_end(&b));
		return TRUE;
	}

	/* RC_PARAM_JSON_MAP: string keys, any values, kept as JSON text. */
	for (guint i = 0; i < rc_yaml_map_size(v); i++) {
		const RcYamlNode *k = rc_yaml_map_key(v, i);
		g_autofree char *ks = string_of_key(k);
		if (ks == NULL)
			return invalid_key(k, "string", error);
	}
	g_autoptr(JsonNode) j = json_of_node(v, error);
	if (j == NULL)
		return FALSE;
	g_autofree char *text = json_to_string(j, FALSE);
	replace_value(acc, index, g_variant_new_string(text));
	return TRUE;
}

static gboolean
set_map_list(RcConfigAccum *acc, int index, const RcYamlNode *v, GError **error)
{
	const RcParamDesc *p = &acc->desc->params[index];
	g_autoptr(RcYamlNode) parsed = NULL;
	if (v->kind == RC_YAML_STRING && v->text[0] == '[') {
		/* Go cannot use JSON here (P14); receptor-c accepts it (Q3). */
		parsed = parse_json_text(v->text, error);
		if (parsed == NULL)
			return FALSE;
		v = parsed;
	}
	if (v->kind != RC_YAML_SEQ)
		return type_error(p->type, error);
	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; i < v->children->len; i++) {
		const RcYamlNode *e = v->children->pdata[i];
		if (e->kind != RC_YAML_MAP)
			return invalid_value(e, "netceptor.FirewallRuleData", error);
		GVariant *m = variant_of_node(e, error);
		if (m == NULL)
			return FALSE;
		g_variant_builder_add_value(&b, m);
	}
	replace_value(acc, index, g_variant_builder_end(&b));
	return TRUE;
}

gboolean
rc_config_accum_set(RcConfigAccum *acc, int index, const RcYamlNode *v, GError **error)
{
	g_return_val_if_fail(index >= 0 && (guint)index < acc->n_params, FALSE);
	const RcParamDesc *p = &acc->desc->params[index];
	guint32 type = p->type;
	gboolean ok = FALSE;

	/* Step 1: null resets lists and maps to absent (P32), else is an error. */
	if (v->kind == RC_YAML_NULL) {
		if (type == RC_PARAM_STRING_LIST || type == RC_PARAM_FLOAT_MAP ||
		    type == RC_PARAM_JSON_MAP || type == RC_PARAM_MAP_LIST) {
			replace_value(acc, index, NULL);
			acc->set[index] = TRUE;
			return TRUE;
		}
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "value cannot be nil");
		return FALSE;
	}

	switch (type) {
	case RC_PARAM_STRING:
	case RC_PARAM_DURATION: {
		g_autofree char *s = string_of_scalar(v);
		if (s == NULL)
			return type_error(type, error);
		if (!check_utf8(s, error))
			return FALSE;
		replace_value(acc, index, g_variant_new_string(s));
		ok = TRUE;
		break;
	}
	case RC_PARAM_INT: {
		gint64 i = 0;
		if (v->kind == RC_YAML_INT) {
			i = v->i;
		} else if (v->kind == RC_YAML_FLOAT && isfinite(v->d) && v->d >= -9223372036854775808.0 &&
			   v->d < 9223372036854775808.0) {
			i = (gint64)v->d; /* truncates toward zero, as Go converts */
		} else if (v->kind == RC_YAML_UINT || v->kind == RC_YAML_FLOAT) {
			g_autofree char *s = v->kind == RC_YAML_UINT
						 ? g_strdup_printf("%" G_GUINT64_FORMAT, v->u)
						 : rc_go_format_float_v(v->d);
			g_autofree char *q = rc_go_quote(s);
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "strconv.ParseInt: parsing %s: value out of range", q);
			return FALSE;
		} else if (v->kind == RC_YAML_STRING) {
			if (!rc_go_parse_int(v->text, &i, error))
				return FALSE;
		} else {
			return type_error(type, error);
		}
		replace_value(acc, index, g_variant_new_int64(i));
		ok = TRUE;
		break;
	}
	case RC_PARAM_FLOAT: {
		double d = 0;
		if (v->kind == RC_YAML_INT)
			d = (double)v->i;
		else if (v->kind == RC_YAML_UINT)
			d = (double)v->u;
		else if (v->kind == RC_YAML_FLOAT)
			d = v->d;
		else if (v->kind == RC_YAML_STRING) {
			if (!rc_go_parse_float(v->text, &d, error))
				return FALSE;
		} else
			return type_error(type, error);
		replace_value(acc, index, g_variant_new_double(d));
		ok = TRUE;
		break;
	}
	case RC_PARAM_BOOL: {
		gboolean b = FALSE;
		if (v->kind == RC_YAML_BOOL)
			b = v->b;
		else if (v->kind == RC_YAML_STRING) {
			if (!rc_go_parse_bool(v->text, &b, error))
				return FALSE;
		} else
			return type_error(type, error);
		replace_value(acc, index, g_variant_new_boolean(b));
		ok = TRUE;
		break;
	}
	case RC_PARAM_STRING_LIST:
		ok = set_string_list(acc, index, v, error);
		break;
	case RC_PARAM_FLOAT_MAP:
	case RC_PARAM_JSON_MAP:
		ok = set_map(acc, index, v, error);
		break;
	case RC_PARAM_MAP_LIST:
		ok = set_map_list(acc, index, v, error);
		break;
	default:
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "parameter %s has an unknown type %u",
			    p->name, type);
		return FALSE;
	}
	if (ok)
		acc->set[index] = TRUE;
	return ok;
}

gboolean
rc_config_accum_check_required(RcConfigAccum *acc, GError **error)
{
	g_autoptr(GPtrArray) missing = g_ptr_array_new();
	for (guint i = 0; i < acc->n_params; i++) {
		if ((acc->desc->params[i].flags & RC_PARAM_REQUIRED) && !acc->set[i])
			g_ptr_array_add(missing, (gpointer)acc->desc->params[i].name);
	}
	if (missing->len == 0)
		return TRUE;
	g_ptr_array_add(missing, NULL);
	g_autofree char *list = g_strjoinv(", ", (char **)missing->pdata);
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "required parameter%s missing: %s",
		    missing->len > 2 ? "s" : "", list);
	return FALSE;
}

char *
rc_config_lookup_error(RcLookupResult result, const RcLookup *lookup, const char *name)
{
	switch (result) {
	case RC_LOOKUP_NOT_INSTALLED:
		return g_strdup_printf("%s: provided by plugin %s, which is not installed (package %s)",
				       lookup->name, lookup->plugin, lookup->package);
	case RC_LOOKUP_UNIMPLEMENTED:
		return g_strdup_printf("%s: this Receptor entity is not implemented in receptor-c",
				       lookup->name);
	case RC_LOOKUP_FOUND:
	case RC_LOOKUP_UNKNOWN:
	default:
		return g_strdup_printf("unknown config type %s", name);
	}
}

/* ------------------------------------------------------------ finishing */

static void
config_item_free(gpointer p)
{
	RcConfigItem *item = p;
	g_free(item->plugin);
	g_free(item->origin);
	g_clear_pointer(&item->params, g_variant_unref);
	g_free(item);
}

RcConfig *
rc_config_new(void)
{
	RcConfig *config = g_new0(RcConfig, 1);
	config->items = g_ptr_array_new_with_free_func(config_item_free);
	return config;
}

void
rc_config_free(RcConfig *config)
{
	if (config == NULL)
		return;
	g_ptr_array_unref(config->items);
	g_free(config->reload_file);
	g_free(config);
}

/* A duration parameter's text into microseconds (config.md 5.5). The two
 * Receptor durations keep their entity's message (config.md 9.6, 11.4). */
static GVariant *
duration_value(const RcParamDesc *p, const char *text, GError **error)
{
	gint64 ns = 0;
	g_autoptr(GError) local = NULL;
	if (rc_duration_parse_ns(text, &ns, &local))
		return g_variant_new_int64(ns / 1000);
	if (g_strcmp0(p->name, "maxidleconnectiontimeout") == 0)
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "failed to parse MaxIdleConnectionTimeout from configuration file -- valid examples include '1.5h', '30m', '30m10s'");
	else if (g_strcmp0(p->name, "tokenexpiration") == 0)
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "failed to parse TokenExpiration -- valid examples include '1.5h', '30m', '30m10s'");
	else
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "failed to parse %s: %s", p->name,
			    local->message);
	return NULL;
}

static gint
compare_param_index(gconstpointer a, gconstpointer b, gpointer user_data)
{
	const RcParamDesc *params = user_data;
	return g_strcmp0(params[*(const guint *)a].name, params[*(const guint *)b].name);
}

/* Defaults (config.md 5.7) and the a{sv} of one instance. */
static RcConfigItem *
accum_to_item(RcConfigAccum *acc, GError **error)
{
	const RcParamDesc *params = acc->desc->params;
	for (guint i = 0; i < acc->n_params; i++) {
		const char *def = params[i].default_value;
		if (acc->set[i] || def == NULL || def[0] == '\0')
			continue;
		g_autoptr(RcYamlNode) v = rc_yaml_node_new_string(def);
		g_autoptr(GError) local = NULL;
		if (!rc_config_accum_set(acc, (int)i, v, &local)) {
			g_autofree char *field = rc_config_go_field_name(params[i].name);
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "error setting default value for field %s: %s", field,
				    local->message);
			return NULL;
		}
	}

	g_autoptr(GArray) order = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint i = 0; i < acc->n_params; i++)
		g_array_append_val(order, i);
	g_array_sort_with_data(order, compare_param_index, (gpointer)params);

	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	for (guint n = 0; n < order->len; n++) {
		guint i = g_array_index(order, guint, n);
		GVariant *value = NULL;
		if (params[i].type == RC_PARAM_STRING_LIST) {
			if (acc->lists[i] == NULL)
				continue;
			value = g_variant_new_strv((const char *const *)acc->lists[i]->pdata,
						   acc->lists[i]->len);
		} else if (params[i].type == RC_PARAM_DURATION) {
			if (acc->values[i] == NULL)
				continue;
			const char *text = g_variant_get_string(acc->values[i], NULL);
			if (text[0] == '\0')
				continue; /* the empty string means unset */
			value = duration_value(&params[i], text, error);
			if (value == NULL)
				return NULL;
		} else {
			if (acc->values[i] == NULL)
				continue;
			value = acc->values[i];
		}
		g_variant_builder_add(&b, "{sv}", params[i].name, value);
	}

	RcConfigItem *item = g_new0(RcConfigItem, 1);
	item->desc = acc->desc;
	item->plugin = g_strdup(acc->plugin);
	item->origin = g_strdup(acc->origin);
	item->implicit = acc->implicit;
	item->params = g_variant_ref_sink(g_variant_builder_end(&b));
	return item;
}

RcConfig *
rc_config_finish(RcRegistry *registry, GPtrArray *accums, GError **error)
{
	g_autoptr(GPtrArray) list = accums;
	const RcEntityDesc *exclusive = NULL;

	/* Exclusive entities (config.md 3.9): the first one found decides. */
	for (guint i = 0; i < list->len; i++) {
		RcConfigAccum *acc = list->pdata[i];
		if (acc->desc->flags & RC_ENTITY_EXCLUSIVE) {
			exclusive = acc->desc;
			break;
		}
	}
	if (exclusive != NULL && list->len > 1) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "cannot specify any other options with %s",
			    exclusive->name);
		return NULL;
	}

	/* The implicit node, appended last (config.md 3.9, P19). */
	if (exclusive == NULL) {
		RcLookup lookup;
		if (rc_registry_lookup(registry, "node", &lookup) == RC_LOOKUP_FOUND) {
			gboolean have = FALSE;
			for (guint i = 0; i < list->len && !have; i++) {
				RcConfigAccum *acc = list->pdata[i];
				have = g_ascii_strcasecmp(acc->desc->name, lookup.desc->name) == 0;
			}
			if (!have) {
				RcConfigAccum *acc = rc_config_accum_new(lookup.desc, lookup.plugin,
									 "implicit node", "implicit node");
				acc->implicit = TRUE;
				g_ptr_array_add(list, acc);
				g_autoptr(GError) local = NULL;
				if (!rc_config_accum_check_required(acc, &local)) {
					g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "error in %s: %s",
						    acc->arg, local->message);
					return NULL;
				}
			}
		}
	}

	g_autoptr(RcConfig) config = rc_config_new();
	for (guint i = 0; i < list->len; i++) {
		RcConfigItem *item = accum_to_item(list->pdata[i], error);
		if (item == NULL)
			return NULL;
		g_ptr_array_add(config->items, item);
	}
	return g_steal_pointer(&config);
}

/* ------------------------------------------------------------ public API */

GVariant *
rc_config_convert_text(const RcParamDesc *param, const char *text, GError **error)
{
	g_return_val_if_fail(param != NULL && text != NULL, NULL);
	RcParamDesc params[2] = {*param, {NULL}};
	RcEntityDesc desc = {.struct_size = sizeof desc, .name = "convert", .params = params};
	g_autoptr(RcConfigAccum) acc = rc_config_accum_new(&desc, NULL, NULL, NULL);
	g_autoptr(RcYamlNode) v = rc_yaml_node_new_string(text);
	if (!rc_config_accum_set(acc, 0, v, error))
		return NULL;
	if (param->type == RC_PARAM_STRING_LIST)
		return g_variant_ref_sink(g_variant_new_strv(
		    (const char *const *)acc->lists[0]->pdata, acc->lists[0]->len));
	if (param->type == RC_PARAM_DURATION) {
		if (text[0] == '\0') {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "an empty duration means unset");
			return NULL;
		}
		GVariant *d = duration_value(param, text, error);
		return d != NULL ? g_variant_ref_sink(d) : NULL;
	}
	return g_variant_ref(acc->values[0]);
}

RcConfig *
rc_config_parse_yaml_data(RcRegistry *registry, const char *filename, const guint8 *data,
			  gsize len, GError **error)
{
	g_return_val_if_fail(registry != NULL, NULL);
	GPtrArray *accums = g_ptr_array_new_with_free_func((GDestroyNotify)rc_config_accum_free);
	if (!rc_config_load_yaml(registry, filename, data, len, accums, error)) {
		g_ptr_array_unref(accums);
		return NULL;
	}
	return rc_config_finish(registry, accums, error);
}

RcConfig *
rc_config_parse_file(RcRegistry *registry, const char *path, GError **error)
{
	g_return_val_if_fail(registry != NULL && path != NULL, NULL);
	GPtrArray *accums = g_ptr_array_new_with_free_func((GDestroyNotify)rc_config_accum_free);
	if (!rc_config_load_file(registry, path, accums, error)) {
		g_ptr_array_unref(accums);
		return NULL;
	}
	RcConfig *config = rc_config_finish(registry, accums, error);
	if (config != NULL)
		config->reload_file = g_strdup(path);
	return config;
}

char *
rc_config_dump(RcConfig *config)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; config != NULL && i < config->items->len; i++) {
		RcConfigItem *item = config->items->pdata[i];
		/* Secret values are never shown (RC_PARAM_SECRET). */
		g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
		GVariantIter iter;
		const char *key;
		GVariant *value;
		g_variant_iter_init(&iter, item->params);
		while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
			gboolean secret = FALSE;
			for (const RcParamDesc *p = item->desc->params; p != NULL && p->name != NULL; p++)
				secret = secret || (strcmp(p->name, key) == 0 && (p->flags & RC_PARAM_SECRET));
			if (secret)
				g_variant_builder_add(&b, "{sv}", key, g_variant_new_string("(secret)"));
			else
				g_variant_builder_add(&b, "{sv}", key, value);
			g_variant_unref(value);
		}
		g_autoptr(GVariant) shown = g_variant_ref_sink(g_variant_builder_end(&b));
		g_autofree char *params = g_variant_print(shown, FALSE);
		g_string_append_printf(out, "%s %s\n", item->desc->name, params);
	}
	return g_string_free(out, FALSE);
}
