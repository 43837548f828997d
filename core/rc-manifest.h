/* rc-manifest.h: the per-plugin manifest (<name>.plugin, a GLib key file)
 * that describes a plugin's entities without loading it (STYLE.md 2.4). */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"

/* A manifest read back: descriptors rebuilt from text (ops are NULL). */
typedef struct {
	char *name;        /* "backend-tcp" */
	char *module;      /* absolute path of the .so */
	guint abi_major;
	guint abi_minor;
	char *version;
	char *description;
	GPtrArray *entities; /* RcEntityDesc* (owned, with owned strings and params) */
} RcManifest;

/* Write the manifest of a loaded plugin descriptor to `path`. */
gboolean rc_manifest_write(const RcPluginDesc *desc, const char *module_file, const char *path,
			   GError **error);
/* Serialise to key-file text (transfer full). */
char *rc_manifest_to_data(const RcPluginDesc *desc, const char *module_file);
/* Read a manifest; `module` is resolved relative to the manifest's folder. */
RcManifest *rc_manifest_load(const char *path, GError **error);
RcManifest *rc_manifest_load_data(const char *data, gsize len, const char *dir, GError **error);
void rc_manifest_free(RcManifest *manifest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcManifest, rc_manifest_free)

/* The exported symbol name of a plugin: rc_plugin_<name with - as _>_describe. */
char *rc_manifest_symbol_name(const char *plugin_name);
