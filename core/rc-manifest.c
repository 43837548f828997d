/* rc-manifest.c: plugin manifests as GLib key files (STYLE.md 2.4).  Generated
 * at build time by `receptor --plugin-manifest`, never edited by hand. */
#include "config.h"

#include "rc-manifest.h"

#include <string.h>

#define GROUP_PLUGIN "Plugin"

char *
rc_manifest_symbol_name(const char *plugin_name)
{
	g_autofree char *sym = g_strdup(plugin_name);
	g_strdelimit(sym, "-.", '_');
	return g_strdup_printf("rc_plugin_%s_describe", sym);
}

static void
set_opt(GKeyFile *kf, const char *group, const char *key, const char *value)
{
	if (value != NULL)
		g_key_file_set_string(kf, group, key, value);
}

char *
rc_manifest_to_data(const RcPluginDesc *desc, const char *module_file)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *base = g_path_get_basename(module_file);
	g_key_file_set_string(kf, GROUP_PLUGIN, "Name", desc->name);
	g_key_file_set_string(kf, GROUP_PLUGIN, "Module", base);
	g_key_file_set_integer(kf, GROUP_PLUGIN, "AbiMajor", (gint)desc->abi_major);
	g_key_file_set_integer(kf, GROUP_PLUGIN, "AbiMinor", (gint)desc->abi_minor);
	set_opt(kf, GROUP_PLUGIN, "Version", desc->version);
	set_opt(kf, GROUP_PLUGIN, "Description", desc->description);
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	for (guint i = 0; desc->entities && desc->entities[i]; i++)
		g_ptr_array_add(names, (gpointer)desc->entities[i]->name);
	g_key_file_set_string_list(kf, GROUP_PLUGIN, "Entities",
				   (const char *const *)names->pdata, names->len);
	for (guint i = 0; desc->entities && desc->entities[i]; i++) {
		const RcEntityDesc *e = desc->entities[i];
		g_autofree char *group = g_strdup_printf("Entity %s", e->name);
		g_key_file_set_integer(kf, group, "Kind", (gint)e->kind);
		g_key_file_set_integer(kf, group, "Flags", (gint)e->flags);
		set_opt(kf, group, "Description", e->description);
		g_autoptr(GPtrArray) pnames = g_ptr_array_new();
		for (guint j = 0; e->params && e->params[j].name; j++)
			g_ptr_array_add(pnames, (gpointer)e->params[j].name);
		g_key_file_set_string_list(kf, group, "Params", (const char *const *)pnames->pdata,
					   pnames->len);
		for (guint j = 0; e->params && e->params[j].name; j++) {
			const RcParamDesc *p = &e->params[j];
			g_autofree char *pg = g_strdup_printf("Param %s %s", e->name, p->name);
			g_key_file_set_integer(kf, pg, "Type", (gint)p->type);
			g_key_file_set_integer(kf, pg, "Flags", (gint)p->flags);
			set_opt(kf, pg, "Default", p->default_value);
			set_opt(kf, pg, "Description", p->description);
		}
	}
	return g_key_file_to_data(kf, NULL, NULL);
}

gboolean
rc_manifest_write(const RcPluginDesc *desc, const char *module_file, const char *path,
		  GError **error)
{
	g_autofree char *data = rc_manifest_to_data(desc, module_file);
	return g_file_set_contents(path, data, -1, error);
}

static void
entity_desc_free(gpointer p)
{
	RcEntityDesc *e = p;
	if (e == NULL)
		return;
	for (guint j = 0; e->params && e->params[j].name; j++) {
		g_free((char *)e->params[j].name);
		g_free((char *)e->params[j].default_value);
		g_free((char *)e->params[j].description);
	}
	g_free((RcParamDesc *)e->params);
	g_free((char *)e->name);
	g_free((char *)e->description);
	g_free(e);
}

void
rc_manifest_free(RcManifest *m)
{
	if (m == NULL)
		return;
	g_free(m->name);
	g_free(m->module);
	g_free(m->version);
	g_free(m->description);
	g_clear_pointer(&m->entities, g_ptr_array_unref);
	g_free(m);
}

static char *
get_opt(GKeyFile *kf, const char *group, const char *key)
{
	if (!g_key_file_has_key(kf, group, key, NULL))
		return NULL;
	return g_key_file_get_string(kf, group, key, NULL);
}

RcManifest *
rc_manifest_load_data(const char *data, gsize len, const char *dir, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, error))
		return NULL;
	g_autoptr(RcManifest) m = g_new0(RcManifest, 1);
	m->entities = g_ptr_array_new_with_free_func(entity_desc_free);
	m->name = g_key_file_get_string(kf, GROUP_PLUGIN, "Name", error);
	if (m->name == NULL)
		return NULL;
	g_autofree char *module = g_key_file_get_string(kf, GROUP_PLUGIN, "Module", error);
	if (module == NULL)
		return NULL;
	if (strchr(module, '/') != NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "module name %s must be a file name",
			    module);
		return NULL;
	}
	m->module = g_build_filename(dir, module, NULL);
	m->abi_major = (guint)g_key_file_get_integer(kf, GROUP_PLUGIN, "AbiMajor", error);
	if (error && *error)
		return NULL;
	m->abi_minor = (guint)g_key_file_get_integer(kf, GROUP_PLUGIN, "AbiMinor", error);
	if (error && *error)
		return NULL;
	m->version = get_opt(kf, GROUP_PLUGIN, "Version");
	m->description = get_opt(kf, GROUP_PLUGIN, "Description");
	gsize n = 0;
	g_auto(GStrv) ents = g_key_file_get_string_list(kf, GROUP_PLUGIN, "Entities", &n, error);
	if (ents == NULL)
		return NULL;
	for (gsize i = 0; i < n; i++) {
		g_autofree char *group = g_strdup_printf("Entity %s", ents[i]);
		RcEntityDesc *e = g_new0(RcEntityDesc, 1);
		g_ptr_array_add(m->entities, e);
		e->struct_size = sizeof(RcEntityDesc);
		e->name = g_strdup(ents[i]);
		e->kind = (guint32)g_key_file_get_integer(kf, group, "Kind", error);
		if (error && *error)
			return NULL;
		e->flags = (guint32)g_key_file_get_integer(kf, group, "Flags", NULL);
		e->description = get_opt(kf, group, "Description");
		gsize np = 0;
		g_auto(GStrv) pnames = g_key_file_get_string_list(kf, group, "Params", &np, NULL);
		RcParamDesc *params = g_new0(RcParamDesc, np + 1);
		e->params = params;
		for (gsize j = 0; j < np; j++) {
			g_autofree char *pg = g_strdup_printf("Param %s %s", ents[i], pnames[j]);
			params[j].name = g_strdup(pnames[j]);
			params[j].type = (guint32)g_key_file_get_integer(kf, pg, "Type", NULL);
			params[j].flags = (guint32)g_key_file_get_integer(kf, pg, "Flags", NULL);
			params[j].default_value = get_opt(kf, pg, "Default");
			params[j].description = get_opt(kf, pg, "Description");
			if (params[j].type == RC_PARAM_NONE || params[j].type > RC_PARAM_MAP_LIST) {
				g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
					    "parameter %s of %s has an unknown type", pnames[j],
					    ents[i]);
				return NULL;
			}
		}
	}
	return g_steal_pointer(&m);
}

RcManifest *
rc_manifest_load(const char *path, GError **error)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &data, &len, error))
		return NULL;
	g_autofree char *dir = g_path_get_dirname(path);
	RcManifest *m = rc_manifest_load_data(data, len, dir, error);
	if (m == NULL)
		g_prefix_error(error, "%s: ", path);
	return m;
}
