/* rc-config.h: the command line (config.md 3) and YAML files (config.md 4)
 * into a typed list of entity instances (config.md 5).  Pure: it consults
 * the registry for descriptors and loads nothing. */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "rc-registry.h"

typedef struct {
	const RcEntityDesc *desc; /* descriptor used for typing */
	char *plugin;             /* nullable: providing plugin */
	char *origin;             /* "FILE:LINE:COL" for YAML, "--tcp-peer" (token as typed) for argv */
	GVariant *params;         /* a{sv}: every parameter that was set or has a default */
	gboolean implicit;        /* the implicit `node` appended last */
} RcConfigItem;

struct _RcConfig {
	GPtrArray *items;   /* RcConfigItem*, in configuration order */
	char *reload_file;  /* nullable: first exact "-c"/"--config" token's file (config.md 2 step 8) */
	gboolean show_help; /* -h/--help seen (config.md 3.5) */
	gboolean show_completion; /* --bash-completion seen */
};
typedef struct _RcConfig RcConfig;

void rc_config_free(RcConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcConfig, rc_config_free)

/* Parse argv (argv[0] excluded) exactly as config.md 3 says, loading -c files
 * (config.md 4) at their position, then the post-parse checks of 3.9 and
 * defaults (5.7).  The GError message is the text after "Error: ". */
RcConfig *rc_config_parse_argv(RcRegistry *registry, int argc, char **argv, GError **error);

/* Parse one YAML file alone (used by reload). */
RcConfig *rc_config_parse_file(RcRegistry *registry, const char *path, GError **error);

/* Parse YAML from memory (fuzzing, tests); `filename` is used in messages. */
RcConfig *rc_config_parse_yaml_data(RcRegistry *registry, const char *filename,
				    const guint8 *data, gsize len, GError **error);

/* Convert one text value to a parameter's type by config.md 5.6 (used for
 * defaults too).  (transfer full) */
GVariant *rc_config_convert_text(const RcParamDesc *param, const char *text, GError **error);

/* Print the effective configuration (one line per instance: entity and its
 * params as GVariant text, sorted keys).  Tests compare argv and YAML with it.
 * (transfer full) */
char *rc_config_dump(RcConfig *config);
