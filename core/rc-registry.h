/* rc-registry.h: entity name -> descriptor, from the core and from plugin
 * manifests (read, never loaded), plus the catalog of first-party plugins that
 * may be missing.  Pure: no dlopen here (rc-plugin-loader does that). */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"

typedef struct _RcRegistry RcRegistry;

typedef enum {
	RC_LOOKUP_FOUND = 0,         /* core entity or installed plugin */
	RC_LOOKUP_NOT_INSTALLED = 1, /* first-party plugin known but not installed */
	RC_LOOKUP_UNIMPLEMENTED = 2, /* a Receptor entity receptor-c does not have */
	RC_LOOKUP_UNKNOWN = 3
} RcLookupResult;

typedef struct {
	const RcEntityDesc *desc; /* FOUND: descriptor (from the core or a manifest stub) */
	const char *plugin;       /* FOUND from a plugin, or NOT_INSTALLED: plugin name */
	const char *package;      /* NOT_INSTALLED: distro package name */
	const char *name;         /* the entity's registered spelling */
} RcLookup;

RcRegistry *rc_registry_new(void);
void rc_registry_free(RcRegistry *registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRegistry, rc_registry_free)

/* Register a compiled-in core entity (descriptor must outlive the registry). */
void rc_registry_add_core(RcRegistry *registry, const RcEntityDesc *desc);
/* Read every *.plugin manifest in the colon-separated `dirs`. Errors in one
 * manifest are logged at debug level and that manifest is skipped. */
void rc_registry_scan(RcRegistry *registry, const char *dirs);
/* Add one manifest (for tests and the scanner). */
gboolean rc_registry_add_manifest(RcRegistry *registry, const char *path, GError **error);

/* Case-insensitive lookup of an entity name (config.md 3.2).  `name` as typed. */
RcLookupResult rc_registry_lookup(RcRegistry *registry, const char *name, RcLookup *out);

/* Every entity known, in --help order (core first by registration, then
 * plugins by name, each in descriptor order). (transfer container) RcLookup* */
GPtrArray *rc_registry_list(RcRegistry *registry);

/* Module path of a plugin found by the scan (transfer none) (nullable). */
const char *rc_registry_plugin_module(RcRegistry *registry, const char *plugin);
/* Manifest entity names of a plugin, for the stale-manifest check. */
gboolean rc_registry_plugin_has_entity(RcRegistry *registry, const char *plugin,
				       const char *entity);
guint rc_registry_plugin_entity_count(RcRegistry *registry, const char *plugin);
