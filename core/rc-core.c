/* rc-core.c: RcCore, one node's context. */
#include "config.h"

#include "rc-core.h"

#include "rc-config.h"
#include "rc-entity.h"
#include "rc-registry.h"

RcCore *
rc_core_new(void)
{
	RcCore *core = g_new0(RcCore, 1);
	core->loop = g_main_loop_new(NULL, FALSE);
	core->registry = rc_registry_new();
	core->entities = g_ptr_array_new_with_free_func((GDestroyNotify)rc_entity_free);
	core->cleanups = g_ptr_array_new();
	core->plugins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	core->max_idle_us = 21 * G_USEC_PER_SEC; /* wire.md 5.6 */
	return core;
}

void
rc_core_free(RcCore *core)
{
	if (core == NULL)
		return;
	/* Entities stop first (they hold links, listeners, units), then the
	 * modules they used, newest first. */
	g_clear_pointer(&core->entities, g_ptr_array_unref);
	for (guint i = core->cleanups->len; i >= 2; i -= 2) {
		GDestroyNotify func = (GDestroyNotify)core->cleanups->pdata[i - 2];
		func(core->cleanups->pdata[i - 1]);
	}
	g_clear_pointer(&core->cleanups, g_ptr_array_unref);
	g_clear_pointer(&core->plugins, g_hash_table_unref);
	g_clear_pointer(&core->entities, g_ptr_array_unref);
	g_clear_pointer(&core->config, rc_config_free);
	g_clear_pointer(&core->registry, rc_registry_free);
	g_clear_pointer(&core->loop, g_main_loop_unref);
	g_clear_pointer(&core->firewall_rules, g_variant_unref);
	g_free(core->argv0);
	g_free(core->reload_file);
	g_free(core->node_id);
	g_free(core->data_dir);
	g_free(core);
}

void
rc_core_add_cleanup(RcCore *core, GDestroyNotify func, gpointer data)
{
	g_ptr_array_add(core->cleanups, (gpointer)func);
	g_ptr_array_add(core->cleanups, data);
}
