/* rc-config-private.h: shared by rc-cmdline.c, rc-yaml.c and rc-config.c
 * (the config module) only. */
#pragma once

#include <glib.h>

#include "rc-config.h"
#include "rc-yaml.h"

/* Limits of the config module.  (Kept here while rc-limits.h is being edited
 * by several people; they belong there.) */
/* Largest configuration file read; Go reads the file whole with no limit
 * (config.md 4.1).  Real configurations are a few KiB. */
#define RC_CONFIG_MAX_FILE_SIZE (16 * 1024 * 1024)
/* YAML nesting depth, while parsing and after alias expansion (config.md 4,
 * P23; yaml.v2 allows 10000, a Receptor configuration needs 4). */
#define RC_CONFIG_YAML_MAX_DEPTH 64
/* Nodes of one YAML document after alias expansion (config.md P23; yaml.v2's
 * "document contains excessive aliasing" guard against alias bombs). */
#define RC_CONFIG_YAML_MAX_NODES 1000000
/* Nesting depth of a JSON list/dict given as text (config.md 3.6); json-glib
 * recurses, so deeper text is refused before parsing. */
#define RC_CONFIG_JSON_MAX_DEPTH 64

/* One entity instance being accumulated (Go cmdline's cfgObjInfo). */
typedef struct {
	const RcEntityDesc *desc;
	char *plugin;      /* nullable */
	char *origin;      /* "FILE:LINE:COL" or the dash token as typed */
	char *arg;         /* name used in "error in <arg>": token as typed / YAML key */
	gboolean implicit;
	guint n_params;
	gboolean *set;     /* per parameter: key seen (config.md 5.7) */
	GVariant **values; /* per parameter: current value, NULL = absent */
	GPtrArray **lists; /* per string-list parameter: char*, NULL = absent */
} RcConfigAccum;

RcConfigAccum *rc_config_accum_new(const RcEntityDesc *desc, const char *plugin,
				   const char *origin, const char *arg);
void rc_config_accum_free(RcConfigAccum *acc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcConfigAccum, rc_config_accum_free)

/* Index of the parameter named `key` (case-insensitive, config.md 3.3), or -1. */
int rc_config_param_find(const RcEntityDesc *desc, const char *key);
/* Index of the entity's bare parameter (config.md 3.4), or -1. */
int rc_config_param_bare(const RcEntityDesc *desc);
/* Go struct field name of a parameter, used by bare-value messages ("Port",
 * "ID", "PrivateKey"). (transfer full) */
char *rc_config_go_field_name(const char *param);
/* Lower-case a token as Go's strings.ToLower does. (transfer full) */
char *rc_config_lower(const char *s);

/* Apply one value to parameter `index` (config.md 5.6).  The GError message
 * is the bare reason ("type error (expected int)"); callers add context. */
gboolean rc_config_accum_set(RcConfigAccum *acc, int index, const RcYamlNode *value,
			     GError **error);
/* "required parameter missing: a" / "required parameters missing: a, b"
 * (declaration order, Q7). */
gboolean rc_config_accum_check_required(RcConfigAccum *acc, GError **error);

/* Read and decode one YAML file (config.md 4), appending its instances to
 * `accums` (RcConfigAccum*).  GError messages are complete
 * ("error loading config file: FILE:LINE:COL: ..."). */
gboolean rc_config_load_file(RcRegistry *registry, const char *path, GPtrArray *accums,
			     GError **error);
gboolean rc_config_load_yaml(RcRegistry *registry, const char *filename, const guint8 *data,
			     gsize len, GPtrArray *accums, GError **error);

/* An empty configuration. (transfer full) */
RcConfig *rc_config_new(void);

/* Post-parse checks (config.md 3.9), implicit node, defaults (5.7), typing
 * into RcConfigItems.  Consumes `accums`. (transfer full) */
RcConfig *rc_config_finish(RcRegistry *registry, GPtrArray *accums, GError **error);

/* The entity-name error of a lookup that did not find an entity, without
 * prefix: "unknown config type x", "<e>: provided by plugin ...". */
char *rc_config_lookup_error(RcLookupResult result, const RcLookup *lookup, const char *name);
