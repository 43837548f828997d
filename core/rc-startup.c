/* rc-startup.c: start-up sequence (config.md 2), phases (config.md 6) and
 * clean shutdown on SIGINT/SIGTERM. */
#include "config.h"

#include "rc-startup.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>

#include "rc-config.h"
#include "rc-core-entities.h"
#include "rc-dbus.h"
#include "rc-entity.h"
#include "rc-help.h"
#include "rc-log.h"
#include "rc-manifest.h"
#include "rc-plugin-loader.h"
#include "rc-registry.h"

static int
print_error(const char *message)
{
	/* config.md 7: errors go to stdout as "Error: <message>", exit 1. */
	fprintf(stdout, "Error: %s\n", message);
	fflush(stdout);
	return 1;
}

static gboolean
is_init_entity(const RcEntityDesc *desc)
{
	return desc == &rc_node_entity || desc == &rc_log_level_entity;
}

static gboolean
create_one(RcEntity *e, GError **error)
{
	if (e->desc->ops != NULL && e->desc->ops->create != NULL &&
	    !e->desc->ops->create(rc_host_get(), e, e->params, &e->data, error))
		return FALSE;
	e->created = TRUE;
	return TRUE;
}

gboolean
rc_startup_create_entities(RcCore *core, GPtrArray *items, GPtrArray *out, GError **error)
{
	g_autoptr(GPtrArray) made = g_ptr_array_new();
	for (guint i = 0; i < items->len; i++) {
		RcConfigItem *item = items->pdata[i];
		RcEntity *e =
		    rc_entity_new(core, item->desc, item->plugin, item->origin, item->params);
		g_ptr_array_add(out, e);
		g_ptr_array_add(made, e);
	}
	/* Init (node, log-level) first: the log level then applies to
	 * everything after it, as in Receptor. */
	for (guint i = 0; i < made->len; i++) {
		RcEntity *e = made->pdata[i];
		if (is_init_entity(e->desc) && !create_one(e, error))
			return FALSE;
	}
	/* The effective configuration, secrets masked (tests compare a command
	 * line and its YAML twin through these lines). */
	RcConfig shown = {.items = items};
	g_autofree char *dump = rc_config_dump(&shown);
	g_auto(GStrv) lines = g_strsplit(dump, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] != '\0')
			g_debug("Config: %s", lines[i]);
	}
	/* Load the plugins the configuration names, and only those, then
	 * Prepare everything else in configuration order. */
	for (guint i = 0; i < made->len; i++) {
		RcEntity *e = made->pdata[i];
		if (e->plugin == NULL)
			continue;
		const RcPluginDesc *pd = rc_plugin_load(core, e->plugin, error);
		if (pd == NULL)
			return FALSE;
		const RcEntityDesc *desc = rc_plugin_find_entity(pd, e->desc->name);
		if (desc == NULL) {
			g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "plugin %s does not provide %s",
				    e->plugin, e->desc->name);
			return FALSE;
		}
		e->desc = desc;
	}
	for (guint i = 0; i < made->len; i++) {
		RcEntity *e = made->pdata[i];
		if (!e->created && !create_one(e, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
rc_startup_start_entities(RcCore *core, GPtrArray *entities, GError **error)
{
	for (guint32 kind = RC_ENTITY_GLOBAL; kind <= RC_ENTITY_CERT; kind++) {
		for (guint i = 0; i < entities->len; i++) {
			RcEntity *e = entities->pdata[i];
			if (e->desc->kind != kind || e->started)
				continue;
			if (e->desc->ops && e->desc->ops->start &&
			    !e->desc->ops->start(e->data, error))
				return FALSE;
			e->started = TRUE;
		}
	}
	return TRUE;
}

void
rc_startup_stop_entities(RcCore *core, GPtrArray *entities)
{
	for (gint32 kind = RC_ENTITY_CERT; kind >= (gint32)RC_ENTITY_GLOBAL; kind--) {
		for (guint i = entities->len; i > 0; i--) {
			RcEntity *e = entities->pdata[i - 1];
			if ((gint32)e->desc->kind != kind || !e->started)
				continue;
			if (e->desc->ops && e->desc->ops->stop)
				e->desc->ops->stop(e->data);
			e->started = FALSE;
		}
	}
}

static gboolean
on_signal(gpointer user_data)
{
	RcCore *core = user_data;
	g_info("Shutting down");
	g_main_loop_quit(core->loop);
	return G_SOURCE_CONTINUE;
}

static int
write_manifest(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s --plugin-manifest MODULE.so OUTPUT.plugin\n", argv[0]);
		return 1;
	}
	g_autoptr(GError) error = NULL;
	const RcPluginDesc *desc = rc_plugin_open_file(argv[2], &error);
	if (desc == NULL || !rc_manifest_write(desc, argv[2], argv[3], &error))
		return print_error(error->message);
	return 0;
}

static guint
count_backends(GPtrArray *entities)
{
	guint n = 0;
	for (guint i = 0; i < entities->len; i++) {
		RcEntity *e = entities->pdata[i];
		if (e->started &&
		    (e->desc->kind == RC_ENTITY_BACKEND || e->desc == &rc_local_only_entity))
			n++;
	}
	return n;
}

static gboolean
has_exclusive(GPtrArray *items)
{
	for (guint i = 0; i < items->len; i++) {
		RcConfigItem *item = items->pdata[i];
		if (item->desc->flags & RC_ENTITY_EXCLUSIVE)
			return TRUE;
	}
	return FALSE;
}

int
rc_startup_main(int argc, char **argv)
{
	rc_log_init();
	if (argc >= 2 && g_strcmp0(argv[1], "--plugin-manifest") == 0)
		return write_manifest(argc, argv);

	g_autoptr(RcCore) core = rc_core_new();
	core->argv0 = g_strdup(argv[0]);
	rc_core_entities_register(core->registry);
	const char *dirs = g_getenv("RECEPTOR_PLUGIN_DIR");
	rc_registry_scan(core->registry, dirs ? dirs : RC_PLUGINDIR);

	g_autofree char *prog = g_path_get_basename(argv[0]);
	if (argc < 2) {
		g_autofree char *help = rc_help_render(core->registry, prog);
		fputs(help, stdout);
		return 0;
	}

	g_autoptr(GError) error = NULL;
	RcConfig *config = rc_config_parse_argv(core->registry, argc - 1, argv + 1, &error);
	if (config == NULL)
		return print_error(error->message);
	core->config = config;
	if (config->show_help) {
		g_autofree char *help = rc_help_render(core->registry, prog);
		fputs(help, stdout);
		return 0;
	}
	if (config->show_completion) {
		g_autofree char *comp = rc_help_completion(core->registry, prog);
		fputs(comp, stdout);
		return 0;
	}
	core->reload_file = g_strdup(config->reload_file);

	/* Signals are caught from before anything starts, so a SIGTERM that
	 * arrives at any point after this shuts down cleanly. */
	guint sigint = g_unix_signal_add(SIGINT, on_signal, core);
	guint sigterm = g_unix_signal_add(SIGTERM, on_signal, core);
	if (!rc_startup_create_entities(core, config->items, core->entities, &error) ||
	    !rc_startup_start_entities(core, core->entities, &error)) {
		int rc = print_error(error->message);
		rc_startup_stop_entities(core, core->entities);
		g_source_remove(sigint);
		g_source_remove(sigterm);
		return rc;
	}
	if (has_exclusive(config->items)) {
		rc_startup_stop_entities(core, core->entities);
		g_source_remove(sigint);
		g_source_remove(sigterm);
		return 0;
	}
	if (count_backends(core->entities) == 0) {
		g_warning("Nothing to do - no backends are running.");
		fprintf(stdout, "Run %s --help for command line instructions.\n", argv[0]);
		fflush(stdout);
		rc_startup_stop_entities(core, core->entities);
		g_source_remove(sigint);
		g_source_remove(sigterm);
		return 1;
	}

	g_info("Initialization complete");
	rc_dbus_start(core); /* optional D-Bus status object */
	g_main_loop_run(core->loop);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	rc_startup_stop_entities(core, core->entities);
	return core->exit_code;
}
