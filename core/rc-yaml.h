/* rc-yaml.h: a YAML document (libyaml events) into a small typed tree, as
 * yaml.v2 decodes it into interface{} (config.md 4.4): YAML 1.1 scalar
 * resolution, anchors/aliases and `<<` merge keys (P23), a nesting-depth cap
 * and an alias-expansion cap.  Pure. */
#pragma once

#include <glib.h>

typedef enum {
	RC_YAML_NULL = 0,
	RC_YAML_BOOL,
	RC_YAML_INT,   /* fits gint64 */
	RC_YAML_UINT,  /* above G_MAXINT64 (yaml.v2 gives uint64) */
	RC_YAML_FLOAT,
	RC_YAML_STRING,
	RC_YAML_SEQ,
	RC_YAML_MAP
} RcYamlKind;

typedef struct _RcYamlNode RcYamlNode;
struct _RcYamlNode {
	RcYamlKind kind;
	guint line;   /* 1-based; 0 when not from a file (JSON, argv) */
	guint column; /* 1-based */
	char *text;   /* scalars: the scalar as written (after YAML unescaping) */
	const char *tag; /* short tag for messages: "!!str", "!!int", "!!map"... */
	gboolean b;
	gint64 i;
	guint64 u;
	double d;
	/* SEQ: elements; MAP: key, value, key, value ... (keys unique, merges
	 * applied, in document order).  Nodes may be shared (aliases). */
	GPtrArray *children;
	guint64 weight; /* nodes when fully expanded */
	guint height;   /* nesting height when fully expanded */
	gboolean is_merge; /* a `<<` merge key (plain or !!merge) */
	guint refcount;
};

RcYamlNode *rc_yaml_node_new(RcYamlKind kind, guint line, guint column);
RcYamlNode *rc_yaml_node_new_string(const char *text);
RcYamlNode *rc_yaml_node_ref(RcYamlNode *node);
void rc_yaml_node_unref(RcYamlNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcYamlNode, rc_yaml_node_unref)

/* Number of key/value pairs of a MAP. */
guint rc_yaml_map_size(const RcYamlNode *map);
/* (transfer none) */
RcYamlNode *rc_yaml_map_key(const RcYamlNode *map, guint i);
RcYamlNode *rc_yaml_map_value(const RcYamlNode *map, guint i);
/* Append a pair to a MAP, replacing the value of an equal key (takes
 * references). */
void rc_yaml_map_set(RcYamlNode *map, RcYamlNode *key, RcYamlNode *value);

/* Parse the first document of `data`.  Returns the root node (a NULL-kind
 * node for an empty document).  On failure the GError message is yaml.v2's
 * text ("yaml: line 4: found character that cannot start any token") and
 * *err_line / *err_column (1-based) give the place concerned.
 * (transfer full) */
RcYamlNode *rc_yaml_parse(const guint8 *data, gsize len, guint *err_line, guint *err_column,
			  GError **error);
