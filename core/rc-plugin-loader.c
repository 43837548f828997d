/* rc-plugin-loader.c: load plugins named by the configuration. */
#include "config.h"

#include "rc-plugin-loader.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmodule.h>

#include "rc-manifest.h"
#include "rc-registry.h"

/* Plugin files are code run as the daemon's user: as root, refuse files that
 * someone else could have written (NetworkManager's rule). */
static gboolean
check_file(const char *path, GError **error)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_NOT_FOUND, "%s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "%s: not a regular file", path);
		return FALSE;
	}
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
			    "%s: refusing a plugin file that is not root-owned or is group/world-writable",
			    path);
		return FALSE;
	}
	return TRUE;
}

static const RcPluginDesc *
open_module(const char *path, const char *name, GError **error)
{
	if (!check_file(path, error))
		return NULL;
	g_autofree char *base = g_path_get_basename(path);
	/* BIND_LOCAL: plugins never see each other's symbols; no LAZY, so a
	 * missing symbol fails the load now, not a call an hour later. */
	GModule *module = g_module_open_full(path, G_MODULE_BIND_LOCAL, error);
	if (module == NULL)
		return NULL;
	g_autofree char *sym = rc_manifest_symbol_name(name);
	const RcPluginDesc *(*describe)(void) = NULL;
	if (!g_module_symbol(module, sym, (gpointer *)&describe) || describe == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "%s: symbol %s not found", base, sym);
		g_module_close(module);
		return NULL;
	}
	const RcPluginDesc *desc = describe();
	/* abi_major/abi_minor lead the descriptor, so they can be read whatever
	 * the rest of its layout is. */
	if (desc == NULL || desc->abi_major != RC_PLUGIN_ABI_MAJOR ||
	    desc->abi_minor > RC_PLUGIN_ABI_MINOR) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
			    "%s: built for plugin ABI %u.%u, this receptor provides %u.%u", base,
			    desc ? desc->abi_major : 0, desc ? desc->abi_minor : 0,
			    RC_PLUGIN_ABI_MAJOR, RC_PLUGIN_ABI_MINOR);
		g_module_close(module);
		return NULL;
	}
	if (desc->struct_size < G_STRUCT_OFFSET(RcPluginDesc, init) + sizeof(gpointer) ||
	    g_strcmp0(desc->name, name) != 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
			    "%s: descriptor names plugin '%s', expected '%s'", base,
			    desc->name ? desc->name : "", name);
		g_module_close(module);
		return NULL;
	}
	for (guint i = 0; desc->entities && desc->entities[i]; i++) {
		const RcEntityDesc *e = desc->entities[i];
		if (e->struct_size < G_STRUCT_OFFSET(RcEntityDesc, ops) + sizeof(gpointer) ||
		    e->ops == NULL || e->ops->struct_size < G_STRUCT_OFFSET(RcEntityOps, free) + sizeof(gpointer)) {
			g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
				    "%s: entity %s has an invalid descriptor", base,
				    e->name ? e->name : "?");
			g_module_close(module);
			return NULL;
		}
	}
	/* Plugins are never unloaded (their strings and code stay referenced,
	 * and leak reports keep their symbols). */
	g_module_make_resident(module);
	return desc;
}

const RcEntityDesc *
rc_plugin_find_entity(const RcPluginDesc *desc, const char *entity)
{
	for (guint i = 0; desc->entities && desc->entities[i]; i++) {
		if (g_ascii_strcasecmp(desc->entities[i]->name, entity) == 0)
			return desc->entities[i];
	}
	return NULL;
}

const RcPluginDesc *
rc_plugin_open_file(const char *path, GError **error)
{
	g_autofree char *base = g_path_get_basename(path);
	if (!g_str_has_suffix(base, ".so")) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "%s: not a .so file", base);
		return NULL;
	}
	base[strlen(base) - 3] = '\0';
	/* dlopen searches the library path for a bare file name: make it absolute. */
	g_autofree char *abs = g_canonicalize_filename(path, NULL);
	return open_module(abs, base, error);
}

const RcPluginDesc *
rc_plugin_load(RcCore *core, const char *name, GError **error)
{
	const RcPluginDesc *desc = g_hash_table_lookup(core->plugins, name);
	if (desc != NULL)
		return desc;
	const char *path = rc_registry_plugin_module(core->registry, name);
	if (path == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_NOT_FOUND, "plugin %s is not installed", name);
		return NULL;
	}
	desc = open_module(path, name, error);
	if (desc == NULL)
		return NULL;
	/* The manifest promised these entities; the module must deliver exactly them. */
	guint n = 0;
	gboolean same = TRUE;
	for (; desc->entities && desc->entities[n]; n++) {
		if (!rc_registry_plugin_has_entity(core->registry, name, desc->entities[n]->name))
			same = FALSE;
	}
	if (!same || n != rc_registry_plugin_entity_count(core->registry, name)) {
		g_autofree char *base = g_path_get_basename(path);
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
			    "%s: stale manifest %s.plugin (its entities differ from the module's), rebuild it",
			    base, name);
		return NULL;
	}
	if (desc->init != NULL && !desc->init(rc_host_get(), error)) {
		g_prefix_error(error, "%s: ", name);
		return NULL;
	}
	g_debug("Loaded plugin %s from %s", name, path);
	g_hash_table_insert(core->plugins, g_strdup(name), (gpointer)desc);
	return desc;
}
