/* rc-yaml.c: libyaml events into an RcYamlNode tree, resolved the way
 * yaml.v2 v2.4.0 decodes into interface{} (config.md 4.4, P23). */
#include "config.h"

#include "rc-yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "rc-config-private.h"
#include "rc-gostrconv.h"
#include "receptor/receptor-plugin.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

RcYamlNode *
rc_yaml_node_new(RcYamlKind kind, guint line, guint column)
{
	RcYamlNode *n = g_new0(RcYamlNode, 1);
	n->kind = kind;
	n->line = line;
	n->column = column;
	n->refcount = 1;
	n->weight = 1;
	switch (kind) {
	case RC_YAML_SEQ:
		n->tag = "!!seq";
		n->children = g_ptr_array_new_with_free_func((GDestroyNotify)rc_yaml_node_unref);
		break;
	case RC_YAML_MAP:
		n->tag = "!!map";
		n->children = g_ptr_array_new_with_free_func((GDestroyNotify)rc_yaml_node_unref);
		break;
	case RC_YAML_NULL:
		n->tag = "!!null";
		break;
	case RC_YAML_BOOL:
		n->tag = "!!bool";
		break;
	case RC_YAML_INT:
	case RC_YAML_UINT:
		n->tag = "!!int";
		break;
	case RC_YAML_FLOAT:
		n->tag = "!!float";
		break;
	case RC_YAML_STRING:
	default:
		n->tag = "!!str";
		break;
	}
	return n;
}

RcYamlNode *
rc_yaml_node_new_string(const char *text)
{
	RcYamlNode *n = rc_yaml_node_new(RC_YAML_STRING, 0, 0);
	n->text = g_strdup(text);
	return n;
}

RcYamlNode *
rc_yaml_node_ref(RcYamlNode *node)
{
	g_return_val_if_fail(node != NULL, NULL);
	node->refcount++;
	return node;
}

void
rc_yaml_node_unref(RcYamlNode *node)
{
	if (node == NULL)
		return;
	if (--node->refcount > 0)
		return;
	g_free(node->text);
	if (node->children != NULL)
		g_ptr_array_unref(node->children);
	g_free(node);
}

guint
rc_yaml_map_size(const RcYamlNode *map)
{
	return map->children->len / 2;
}

RcYamlNode *
rc_yaml_map_key(const RcYamlNode *map, guint i)
{
	return map->children->pdata[2 * i];
}

RcYamlNode *
rc_yaml_map_value(const RcYamlNode *map, guint i)
{
	return map->children->pdata[2 * i + 1];
}

static gboolean
key_equal(const RcYamlNode *a, const RcYamlNode *b)
{
	if (a->kind != b->kind)
		return FALSE;
	switch (a->kind) {
	case RC_YAML_NULL:
		return TRUE;
	case RC_YAML_BOOL:
		return a->b == b->b;
	case RC_YAML_INT:
		return a->i == b->i;
	case RC_YAML_UINT:
		return a->u == b->u;
	case RC_YAML_FLOAT:
		return a->d == b->d;
	case RC_YAML_STRING:
		return g_strcmp0(a->text, b->text) == 0;
	case RC_YAML_SEQ:
	case RC_YAML_MAP:
	default:
		return a == b;
	}
}

void
rc_yaml_map_set(RcYamlNode *map, RcYamlNode *key, RcYamlNode *value)
{
	for (guint i = 0; i < map->children->len; i += 2) {
		if (key_equal(map->children->pdata[i], key)) {
			rc_yaml_node_unref(map->children->pdata[i]);
			rc_yaml_node_unref(map->children->pdata[i + 1]);
			map->children->pdata[i] = rc_yaml_node_ref(key);
			map->children->pdata[i + 1] = rc_yaml_node_ref(value);
			return;
		}
	}
	g_ptr_array_add(map->children, rc_yaml_node_ref(key));
	g_ptr_array_add(map->children, rc_yaml_node_ref(value));
}

/* ------------------------------------------------------------ resolution */

/* yaml.v2 yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static gboolean
yaml_style_float(const char *s)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (*p == '.') {
		p++;
		if (!g_ascii_isdigit(*p))
			return FALSE;
		while (g_ascii_isdigit(*p))
			p++;
	} else {
		if (!g_ascii_isdigit(*p))
			return FALSE;
		while (g_ascii_isdigit(*p))
			p++;
		if (*p == '.') {
			p++;
			while (g_ascii_isdigit(*p))
				p++;
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!g_ascii_isdigit(*p))
			return FALSE;
		while (g_ascii_isdigit(*p))
			p++;
	}
	return *p == '\0';
}

/* yaml.v2 parseTimestamp, approximated: YYYY-M-D with an optional time part.
 * It only changes the tag shown in messages: a timestamp decodes as a string. */
static gboolean
looks_like_timestamp(const char *s)
{
	for (int i = 0; i < 4; i++) {
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
	}
	if (s[4] != '-' || !g_ascii_isdigit(s[5]))
		return FALSE;
	for (const char *p = s + 5; *p; p++) {
		if (!g_ascii_isdigit(*p) && strchr(":.-+TtZ ", *p) == NULL)
			return FALSE;
	}
	return TRUE;
}

typedef struct {
	const char *text;
	RcYamlKind kind;
	int value; /* bool value, or float: 1 +inf, -1 -inf, 0 nan */
} MapEntry;

static const MapEntry resolve_map[] = {
    {"y", RC_YAML_BOOL, 1},       {"Y", RC_YAML_BOOL, 1},       {"yes", RC_YAML_BOOL, 1},
    {"Yes", RC_YAML_BOOL, 1},     {"YES", RC_YAML_BOOL, 1},     {"true", RC_YAML_BOOL, 1},
    {"True", RC_YAML_BOOL, 1},    {"TRUE", RC_YAML_BOOL, 1},    {"on", RC_YAML_BOOL, 1},
    {"On", RC_YAML_BOOL, 1},      {"ON", RC_YAML_BOOL, 1},      {"n", RC_YAML_BOOL, 0},
    {"N", RC_YAML_BOOL, 0},       {"no", RC_YAML_BOOL, 0},      {"No", RC_YAML_BOOL, 0},
    {"NO", RC_YAML_BOOL, 0},      {"false", RC_YAML_BOOL, 0},   {"False", RC_YAML_BOOL, 0},
    {"FALSE", RC_YAML_BOOL, 0},   {"off", RC_YAML_BOOL, 0},     {"Off", RC_YAML_BOOL, 0},
    {"OFF", RC_YAML_BOOL, 0},     {"", RC_YAML_NULL, 0},        {"~", RC_YAML_NULL, 0},
    {"null", RC_YAML_NULL, 0},    {"Null", RC_YAML_NULL, 0},    {"NULL", RC_YAML_NULL, 0},
    {".nan", RC_YAML_FLOAT, 0},   {".NaN", RC_YAML_FLOAT, 0},   {".NAN", RC_YAML_FLOAT, 0},
    {".inf", RC_YAML_FLOAT, 1},   {".Inf", RC_YAML_FLOAT, 1},   {".INF", RC_YAML_FLOAT, 1},
    {"+.inf", RC_YAML_FLOAT, 1},  {"+.Inf", RC_YAML_FLOAT, 1},  {"+.INF", RC_YAML_FLOAT, 1},
    {"-.inf", RC_YAML_FLOAT, -1}, {"-.Inf", RC_YAML_FLOAT, -1}, {"-.INF", RC_YAML_FLOAT, -1},
};

/* yaml.v2 resolve() for an untagged plain scalar: sets kind/value/tag of n. */
static void
resolve_plain(RcYamlNode *n)
{
	const char *in = n->text;
	char hint;
	n->kind = RC_YAML_STRING;
	n->tag = "!!str";
	if (in[0] == '\0')
		hint = 'N';
	else if (in[0] == '+' || in[0] == '-')
		hint = 'S';
	else if (g_ascii_isdigit(in[0]))
		hint = 'D';
	else if (strchr("yYnNtTfFoO~", in[0]) != NULL)
		hint = 'M';
	else if (in[0] == '.')
		hint = '.';
	else
		return;

	for (gsize i = 0; i < G_N_ELEMENTS(resolve_map); i++) {
		if (strcmp(resolve_map[i].text, in) != 0)
			continue;
		n->kind = resolve_map[i].kind;
		if (n->kind == RC_YAML_BOOL) {
			n->tag = "!!bool";
			n->b = resolve_map[i].value;
		} else if (n->kind == RC_YAML_NULL) {
			n->tag = "!!null";
		} else {
			n->tag = "!!float";
			n->d = resolve_map[i].value == 0 ? NAN : resolve_map[i].value * INFINITY;
		}
		return;
	}
	if (strcmp(in, "<<") == 0) {
		n->tag = "!!merge";
		return;
	}
	if (hint == '.') {
		double d;
		if (rc_go_parse_float(in, &d, NULL)) {
			n->kind = RC_YAML_FLOAT;
			n->tag = "!!float";
			n->d = d;
		}
		return;
	}
	if (hint != 'D' && hint != 'S')
		return;
	if (looks_like_timestamp(in)) {
		n->tag = "!!timestamp";
		return;
	}
	GString *plain = g_string_new(NULL);
	for (const char *p = in; *p; p++) {
		if (*p != '_')
			g_string_append_c(plain, *p);
	}
	g_autofree char *s = g_string_free(plain, FALSE);
	gint64 i;
	guint64 u;
	double d;
	if (rc_go_parse_int(s, &i, NULL)) {
		n->kind = RC_YAML_INT;
		n->tag = "!!int";
		n->i = i;
	} else if (rc_go_parse_uint(s, &u)) {
		n->kind = RC_YAML_UINT;
		n->tag = "!!int";
		n->u = u;
	} else if (yaml_style_float(s) && rc_go_parse_float(s, &d, NULL)) {
		n->kind = RC_YAML_FLOAT;
		n->tag = "!!float";
		n->d = d;
	}
}

/* ------------------------------------------------------------ builder */

typedef struct {
	RcYamlNode *node; /* SEQ or MAP */
	char *anchor;
	GPtrArray *pairs; /* MAP: raw key, value, ... before merging */
} Frame;

typedef struct {
	GArray *stack; /* Frame */
	GHashTable *anchors; /* name -> RcYamlNode* (ref) */
	RcYamlNode *root;
	gboolean root_done;
	gboolean used_alias;
	guint err_line, err_column;
} Builder;

static void
frame_clear(gpointer p)
{
	Frame *f = p;
	rc_yaml_node_unref(f->node);
	g_free(f->anchor);
	if (f->pairs != NULL)
		g_ptr_array_unref(f->pairs);
}

static gboolean
build_fail(Builder *b, guint line, guint column, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

static gboolean
build_fail(Builder *b, guint line, guint column, GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	b->err_line = line;
	b->err_column = column;
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "yaml: %s", msg);
	return FALSE;
}

/* Check the expansion caps of a finished node. */
static gboolean
check_caps(Builder *b, RcYamlNode *n, GError **error)
{
	if (n->height > RC_CONFIG_YAML_MAX_DEPTH)
		return build_fail(b, n->line, n->column, error, "line %u: exceeded max depth of %d",
				  n->line, RC_CONFIG_YAML_MAX_DEPTH);
	if (n->weight > RC_CONFIG_YAML_MAX_NODES) {
		if (b->used_alias)
			return build_fail(b, n->line, n->column, error,
					  "document contains excessive aliasing");
		return build_fail(b, n->line, n->column, error,
				  "document has more than %d nodes", RC_CONFIG_YAML_MAX_NODES);
	}
	return TRUE;
}

static void
account_child(RcYamlNode *parent, const RcYamlNode *child)
{
	parent->weight += child->weight;
	if (parent->weight > (guint64)RC_CONFIG_YAML_MAX_NODES + 1)
		parent->weight = (guint64)RC_CONFIG_YAML_MAX_NODES + 1;
	if (child->height + 1 > parent->height)
		parent->height = child->height + 1;
}

static gboolean
add_node(Builder *b, RcYamlNode *n, GError **error)
{
	if (b->stack->len == 0) {
		b->root = rc_yaml_node_ref(n);
		b->root_done = TRUE;
		return TRUE;
	}
	Frame *f = &g_array_index(b->stack, Frame, b->stack->len - 1);
	if (f->node->kind == RC_YAML_SEQ) {
		g_ptr_array_add(f->node->children, rc_yaml_node_ref(n));
		account_child(f->node, n);
	} else {
		g_ptr_array_add(f->pairs, rc_yaml_node_ref(n));
	}
	return check_caps(b, f->node, error);
}

static void
set_anchor(Builder *b, const yaml_char_t *anchor, RcYamlNode *n)
{
	if (anchor == NULL)
		return;
	g_hash_table_replace(b->anchors, g_strdup((const char *)anchor), rc_yaml_node_ref(n));
}

static gboolean
merge_into(Builder *b, RcYamlNode *map, RcYamlNode *src, GError **error)
{
	for (guint i = 0; i < rc_yaml_map_size(src); i++)
		rc_yaml_map_set(map, rc_yaml_map_key(src, i), rc_yaml_map_value(src, i));
	return TRUE;
}

/* yaml.v2 decoder.mapping + merge: apply the raw pairs in order. */
static gboolean
finish_map(Builder *b, RcYamlNode *map, GPtrArray *pairs, GError **error)
{
	for (guint i = 0; i + 1 < pairs->len; i += 2) {
		RcYamlNode *k = pairs->pdata[i];
		RcYamlNode *v = pairs->pdata[i + 1];
		if (k->is_merge) {
			if (v->kind == RC_YAML_MAP) {
				merge_into(b, map, v, error);
			} else if (v->kind == RC_YAML_SEQ) {
				/* Step backwards as earlier maps take precedence. */
				for (guint j = v->children->len; j > 0; j--) {
					RcYamlNode *e = v->children->pdata[j - 1];
					if (e->kind != RC_YAML_MAP)
						return build_fail(b, e->line, e->column, error,
								  "map merge requires map or sequence of maps as the value");
					merge_into(b, map, e, error);
				}
			} else {
				return build_fail(b, v->line, v->column, error,
						  "map merge requires map or sequence of maps as the value");
			}
			continue;
		}
		if (k->kind == RC_YAML_SEQ || k->kind == RC_YAML_MAP)
			return build_fail(b, k->line, k->column, error, "invalid map key: %s",
					  k->kind == RC_YAML_SEQ ? "a sequence" : "a mapping");
		rc_yaml_map_set(map, k, v);
	}
	map->weight = 1;
	map->height = 1;
	for (guint i = 0; i < map->children->len; i++)
		account_child(map, map->children->pdata[i]);
	return check_caps(b, map, error);
}

static RcYamlNode *
make_scalar(Builder *b, const yaml_event_t *ev, GError **error)
{
	guint line = (guint)ev->start_mark.line + 1, column = (guint)ev->start_mark.column + 1;
	const char *value = (const char *)ev->data.scalar.value;
	gsize length = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;

	if (memchr(value, '\0', length) != NULL) {
		build_fail(b, line, column, error,
			   "line %u: a NUL character in a scalar is not supported", line);
		return NULL;
	}
	g_autoptr(RcYamlNode) n = rc_yaml_node_new(RC_YAML_STRING, line, column);
	n->text = g_strndup(value, length);

	if (tag == NULL && !ev->data.scalar.plain_implicit)
		return g_steal_pointer(&n); /* quoted: always a string */

	if (tag == NULL || tag[0] == '\0') {
		resolve_plain(n);
		n->is_merge = n->kind == RC_YAML_STRING && strcmp(n->text, "<<") == 0;
		return g_steal_pointer(&n);
	}

	const char *short_name = g_str_has_prefix(tag, TAG_PREFIX) ? tag + strlen(TAG_PREFIX) : NULL;
	if (short_name == NULL) {
		n->tag = "!custom";
		return g_steal_pointer(&n); /* unknown tags keep the text */
	}
	if (strcmp(short_name, "str") == 0)
		return g_steal_pointer(&n);
	if (strcmp(short_name, "merge") == 0) {
		n->is_merge = strcmp(n->text, "<<") == 0;
		n->tag = "!!merge";
		return g_steal_pointer(&n);
	}
	if (strcmp(short_name, "binary") == 0) {
		gsize len = 0;
		g_autofree guchar *data = g_base64_decode(n->text, &len);
		if (memchr(data, '\0', len) != NULL || !g_utf8_validate((const char *)data, (gssize)len, NULL)) {
			build_fail(b, line, column, error,
				   "line %u: !!binary data that is not UTF-8 text is not supported", line);
			return NULL;
		}
		g_free(n->text);
		n->text = g_strndup((const char *)data, len);
		return g_steal_pointer(&n);
	}
	static const char *const resolvable[] = {"bool", "int", "float", "null", "timestamp"};
	gboolean known = FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(resolvable); i++)
		known = known || strcmp(short_name, resolvable[i]) == 0;
	if (!known) {
		n->tag = "!custom";
		return g_steal_pointer(&n);
	}
	resolve_plain(n);
	const char *want = NULL;
	if (strcmp(short_name, "bool") == 0)
		want = "!!bool";
	else if (strcmp(short_name, "int") == 0)
		want = "!!int";
	else if (strcmp(short_name, "float") == 0)
		want = "!!float";
	else if (strcmp(short_name, "null") == 0)
		want = "!!null";
	else
		want = "!!timestamp";
	if (strcmp(n->tag, want) == 0)
		return g_steal_pointer(&n);
	if (strcmp(want, "!!float") == 0 && n->kind == RC_YAML_INT) {
		n->kind = RC_YAML_FLOAT;
		n->d = (double)n->i;
		n->tag = "!!float";
		return g_steal_pointer(&n);
	}
	if (strcmp(want, "!!float") == 0 && n->kind == RC_YAML_UINT) {
		n->kind = RC_YAML_FLOAT;
		n->d = (double)n->u;
		n->tag = "!!float";
		return g_steal_pointer(&n);
	}
	build_fail(b, line, column, error, "cannot decode %s `%s` as a %s", n->tag, n->text, want);
	return NULL;
}

/* yaml.v2 parser.fail: the line rule of config.md 4.7. */
static void
syntax_error(Builder *b, const yaml_parser_t *p, const guint8 *data, gsize len, GError **error)
{
	guint line = 0;
	if (p->problem_mark.line != 0) {
		line = (guint)p->problem_mark.line;
		if (p->error == YAML_SCANNER_ERROR)
			line++;
	} else if (p->context_mark.line != 0) {
		line = (guint)p->context_mark.line;
	}
	g_autofree char *where = line != 0 ? g_strdup_printf("line %u: ", line) : g_strdup("");
	const char *msg = p->problem != NULL && p->problem[0] != '\0'
			      ? p->problem
			      : "unknown problem parsing YAML content";
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "yaml: %s%s", where, msg);
	if (p->error == YAML_READER_ERROR) {
		/* Reader errors carry a byte offset, not a mark. */
		guint l = 1, c = 1;
		for (gsize i = 0; i < p->problem_offset && i < len; i++) {
			if (data[i] == '\n') {
				l++;
				c = 1;
			} else {
				c++;
			}
		}
		b->err_line = l;
		b->err_column = c;
	} else {
		b->err_line = (guint)p->problem_mark.line + 1;
		b->err_column = (guint)p->problem_mark.column + 1;
	}
}

static gboolean
handle_event(Builder *b, yaml_event_t *ev, GError **error)
{
	guint line = (guint)ev->start_mark.line + 1, column = (guint)ev->start_mark.column + 1;
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		g_autoptr(RcYamlNode) n = make_scalar(b, ev, error);
		if (n == NULL)
			return FALSE;
		set_anchor(b, ev->data.scalar.anchor, n);
		return add_node(b, n, error);
	}
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		for (guint i = 0; i < b->stack->len; i++) {
			Frame *f = &g_array_index(b->stack, Frame, i);
			if (g_strcmp0(f->anchor, name) == 0)
				return build_fail(b, line, column, error,
						  "anchor '%s' value contains itself", name);
		}
		RcYamlNode *target = g_hash_table_lookup(b->anchors, name);
		if (target == NULL)
			return build_fail(b, line, column, error, "unknown anchor '%s' referenced",
					  name);
		b->used_alias = TRUE;
		return add_node(b, target, error);
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		if (b->stack->len >= RC_CONFIG_YAML_MAX_DEPTH)
			return build_fail(b, line, column, error, "line %u: exceeded max depth of %d",
					  line, RC_CONFIG_YAML_MAX_DEPTH);
		gboolean is_seq = ev->type == YAML_SEQUENCE_START_EVENT;
		Frame f = {0};
		f.node = rc_yaml_node_new(is_seq ? RC_YAML_SEQ : RC_YAML_MAP, line, column);
		f.node->height = 1;
		const yaml_char_t *anchor =
		    is_seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
		f.anchor = anchor != NULL ? g_strdup((const char *)anchor) : NULL;
		if (!is_seq)
			f.pairs = g_ptr_array_new_with_free_func((GDestroyNotify)rc_yaml_node_unref);
		g_array_append_val(b->stack, f);
		return TRUE;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		Frame f = g_array_index(b->stack, Frame, b->stack->len - 1);
		/* Take ownership out of the array before removing the slot. */
		memset(&g_array_index(b->stack, Frame, b->stack->len - 1), 0, sizeof f);
		g_array_set_size(b->stack, b->stack->len - 1);
		g_autoptr(RcYamlNode) n = f.node;
		g_autofree char *anchor = f.anchor;
		g_autoptr(GPtrArray) pairs = f.pairs;
		if (n->kind == RC_YAML_MAP && !finish_map(b, n, pairs, error))
			return FALSE;
		if (anchor != NULL)
			g_hash_table_replace(b->anchors, g_steal_pointer(&anchor), rc_yaml_node_ref(n));
		return add_node(b, n, error);
	}
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
	default:
		return TRUE;
	}
}

RcYamlNode *
rc_yaml_parse(const guint8 *data, gsize len, guint *err_line, guint *err_column, GError **error)
{
	static const guint8 newline[] = "\n";
	yaml_parser_t parser;
	Builder b = {0};
	gboolean ok = TRUE;

	if (len == 0) {
		data = newline; /* as yaml.v2 does */
		len = 1;
	}
	if (!yaml_parser_initialize(&parser)) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "yaml: out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, data, len);
	b.stack = g_array_new(FALSE, TRUE, sizeof(Frame));
	g_array_set_clear_func(b.stack, frame_clear);
	b.anchors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  (GDestroyNotify)rc_yaml_node_unref);

	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_error(&b, &parser, data, len, error);
			ok = FALSE;
			break;
		}
		yaml_event_type_t type = ev.type;
		gboolean handled = handle_event(&b, &ev, error);
		yaml_event_delete(&ev);
		if (!handled) {
			ok = FALSE;
			break;
		}
		/* Only the first document counts (config.md 4.1). */
		if (type == YAML_DOCUMENT_END_EVENT || type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	g_array_unref(b.stack);
	g_hash_table_unref(b.anchors);
	if (!ok) {
		rc_yaml_node_unref(b.root);
		if (err_line != NULL)
			*err_line = b.err_line;
		if (err_column != NULL)
			*err_column = b.err_column;
		return NULL;
	}
	if (b.root == NULL)
		return rc_yaml_node_new(RC_YAML_NULL, 1, 1);
	return b.root;
}

/* ------------------------------------------------------------ config files */


static gboolean
load_fail(GError **error, const char *filename, const RcYamlNode *at, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* "error loading config file: FILE:LINE:COL: <Go's inner text>" (config.md 4.7
 * plus receptor-c's place, docs/differences.md). */
static gboolean
load_fail(GError **error, const char *filename, const RcYamlNode *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "error loading config file: %s:%u:%u: %s",
		    filename, at->line, at->column, msg);
	return FALSE;
}

/* Go's os.ReadFile error texts ("open F: no such file or directory"). */
static gboolean
file_error(GError **error, const char *op, const char *path, int errsv)
{
	g_autofree char *text = g_strdup(g_strerror(errsv));
	text[0] = g_ascii_tolower(text[0]);
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "error loading config file: %s %s: %s", op,
		    path, text);
	return FALSE;
}

gboolean
rc_config_load_file(RcRegistry *registry, const char *path, GPtrArray *accums, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return file_error(error, "open", path, errno);
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > RC_CONFIG_MAX_FILE_SIZE) {
		close(fd);
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "error loading config file: %s: larger than %d bytes", path,
			    RC_CONFIG_MAX_FILE_SIZE);
		return FALSE;
	}
	GByteArray *buf = g_byte_array_new();
	guint8 chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int errsv = errno;
			close(fd);
			g_byte_array_unref(buf);
			return file_error(error, "read", path, errsv);
		}
		if (n == 0)
			break;
		if (buf->len + (gsize)n > RC_CONFIG_MAX_FILE_SIZE) {
			close(fd);
			g_byte_array_unref(buf);
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "error loading config file: %s: larger than %d bytes", path,
				    RC_CONFIG_MAX_FILE_SIZE);
			return FALSE;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	close(fd);
	gboolean ok = rc_config_load_yaml(registry, path, buf->data, buf->len, accums, error);
	g_byte_array_unref(buf);
	return ok;
}

/* yaml.v2 decoder.terror for the top-level value (config.md 4.1, 4.7). */
static char *
unmarshal_error(const RcYamlNode *root)
{
	GString *out = g_string_new(NULL);
	g_string_append_printf(out, "yaml: unmarshal errors:\n  line %u: cannot unmarshal %s",
			       root->line, root->tag);
	if (root->kind != RC_YAML_SEQ && root->kind != RC_YAML_MAP) {
		const char *value = root->text != NULL ? root->text : "";
		if (strlen(value) > 10)
			g_string_append_printf(out, " `%.7s...`", value);
		else
			g_string_append_printf(out, " `%s`", value);
	}
	g_string_append(out, " into []interface {}");
	return g_string_free(out, FALSE);
}

/* Entity keys in YAML are case-sensitive and must be all lower case (config.md 4.3). */
static RcLookupResult
lookup_yaml_key(RcRegistry *registry, const char *key, RcLookup *lookup)
{
	RcLookupResult result = rc_registry_lookup(registry, key, lookup);
	if (result == RC_LOOKUP_UNKNOWN || lookup->name == NULL)
		return RC_LOOKUP_UNKNOWN;
	g_autofree char *lc = g_ascii_strdown(lookup->name, -1);
	if (strcmp(lc, key) != 0)
		return RC_LOOKUP_UNKNOWN;
	return result;
}

/* One top-level item (config.md 4.2). */
static gboolean
load_item(RcRegistry *registry, const char *filename, const RcYamlNode *item,
	  GPtrArray *file_accums, GError **error)
{
	const char *command;
	const RcYamlNode *raw = NULL;
	const RcYamlNode *key_node = item;

	if (item->kind == RC_YAML_STRING) {
		command = item->text;
	} else if (item->kind == RC_YAML_MAP) {
		if (rc_yaml_map_size(item) != 1)
			return load_fail(error, filename, item,
					 "config format invalid: item has multiple names");
		key_node = rc_yaml_map_key(item, 0);
		if (key_node->kind != RC_YAML_STRING)
			return load_fail(error, filename, key_node, "section key is not a string");
		command = key_node->text;
		raw = rc_yaml_map_value(item, 0);
	} else {
		return load_fail(error, filename, item, "unknown config file format");
	}

	RcLookup lookup;
	RcLookupResult result = lookup_yaml_key(registry, command, &lookup);
	if (result != RC_LOOKUP_FOUND) {
		g_autofree char *msg = rc_config_lookup_error(result, &lookup, command);
		if (result == RC_LOOKUP_UNKNOWN)
			return load_fail(error, filename, key_node,
					 "could not get config type for command %s: %s", command, msg);
		return load_fail(error, filename, key_node, "%s", msg);
	}
	const RcEntityDesc *desc = lookup.desc;

	/* Collect the parameters (bare value or map) before the singleton check. */
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) key_nodes = g_ptr_array_new();
	g_autoptr(GPtrArray) values = g_ptr_array_new();
	if (raw != NULL && raw->kind == RC_YAML_STRING) {
		int bare = rc_config_param_bare(desc);
		if (bare < 0)
			return load_fail(error, filename, raw,
					 "could not get barevalue for command %s: command does not allow bare values",
					 command);
		g_ptr_array_add(keys, rc_config_go_field_name(desc->params[bare].name));
		g_ptr_array_add(key_nodes, (gpointer)raw);
		g_ptr_array_add(values, (gpointer)raw);
	} else if (raw != NULL && raw->kind == RC_YAML_MAP) {
		for (guint i = 0; i < rc_yaml_map_size(raw); i++) {
			const RcYamlNode *k = rc_yaml_map_key(raw, i);
			if (k->kind != RC_YAML_STRING)
				return load_fail(error, filename, k, "invalid config format for %s",
						 command);
			g_ptr_array_add(keys, g_strdup(k->text));
			g_ptr_array_add(key_nodes, (gpointer)k);
			g_ptr_array_add(values, rc_yaml_map_value(raw, i));
		}
	} else if (raw != NULL && raw->kind != RC_YAML_NULL) {
		return load_fail(error, filename, raw, "invalid config format for %s", command);
	}

	if (desc->flags & RC_ENTITY_SINGLETON) {
		for (guint i = 0; i < file_accums->len; i++) {
			RcConfigAccum *acc = file_accums->pdata[i];
			if (g_ascii_strcasecmp(acc->desc->name, desc->name) == 0)
				return load_fail(error, filename, item,
						 "only one %s directive is allowed", command);
		}
	}

	g_autofree char *origin = g_strdup_printf("%s:%u:%u", filename, item->line, item->column);
	g_autoptr(RcConfigAccum) acc = rc_config_accum_new(desc, lookup.plugin, origin, command);
	for (guint i = 0; i < keys->len; i++) {
		const char *k = keys->pdata[i];
		int index = rc_config_param_find(desc, k);
		if (index < 0)
			return load_fail(error, filename, key_nodes->pdata[i],
					 "field %s not defined for command %s: unknown field name %s", k,
					 command, k);
		g_autoptr(GError) local = NULL;
		const RcYamlNode *v = values->pdata[i];
		if (!rc_config_accum_set(acc, index, v, &local))
			return load_fail(error, filename, v, "error setting field %s in command %s: %s",
					 k, command, local->message);
	}
	g_autoptr(GError) local = NULL;
	if (!rc_config_accum_check_required(acc, &local))
		return load_fail(error, filename, item, "error in %s: %s", command, local->message);
	g_ptr_array_add(file_accums, g_steal_pointer(&acc));
	return TRUE;
}

gboolean
rc_config_load_yaml(RcRegistry *registry, const char *filename, const guint8 *data, gsize len,
		    GPtrArray *accums, GError **error)
{
	g_return_val_if_fail(filename != NULL, FALSE);
	guint line = 0, column = 0;
	g_autoptr(GError) local = NULL;
	g_autoptr(RcYamlNode) root = rc_yaml_parse(data, len, &line, &column, &local);
	if (root == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "error loading config file: %s:%u:%u: %s",
			    filename, line, column, local->message);
		return FALSE;
	}
	if (root->kind == RC_YAML_NULL)
		return TRUE; /* empty file, comments only, or `~` (config.md 4.1) */
	if (root->kind != RC_YAML_SEQ) {
		g_autofree char *msg = unmarshal_error(root);
		return load_fail(error, filename, root, "%s", msg);
	}
	g_autoptr(GPtrArray) file_accums =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rc_config_accum_free);
	for (guint i = 0; i < root->children->len; i++) {
		if (!load_item(registry, filename, root->children->pdata[i], file_accums, error))
			return FALSE;
	}
	for (guint i = 0; i < file_accums->len; i++)
		g_ptr_array_add(accums, g_steal_pointer(&file_accums->pdata[i]));
	return TRUE;
}
