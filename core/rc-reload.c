/* rc-reload.c: `reload` (control.md 3.4, config.md 15).
 *
 * Differences from Go (docs/differences.md "Control service"): items are
 * compared after typing (entity name and typed parameters), not as re-marshalled
 * YAML text, so `port: 1` and `port: "1"` count as equal; the non-reloadable
 * items are compared afresh on each reload (Go keeps stale "seen" marks);
 * backends from the command line or a second -c file are restarted from the
 * configuration parsed at start-up (they cannot change anyway). */
#include "config.h"

#include "rc-reload.h"

#include <string.h>

#include "rc-config.h"
#include "rc-entity.h"
#include "rc-startup.h"

static const char *const reloadable_names[] = {
	"tcp-peer", "tcp-listener", "ws-peer", "ws-listener", "udp-peer", "udp-listener",
	"local-only",
};

gboolean
rc_reload_is_reloadable(const char *entity_name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(reloadable_names); i++) {
		if (g_str_has_prefix(entity_name, reloadable_names[i]))
			return TRUE;
	}
	return FALSE;
}

static gboolean
from_file(const RcConfigItem *item, const char *path)
{
	gsize n = strlen(path);
	return item->origin != NULL && strncmp(item->origin, path, n) == 0 &&
	       item->origin[n] == ':';
}

static gboolean
same_item(const RcConfigItem *a, const RcConfigItem *b)
{
	return g_ascii_strcasecmp(a->desc->name, b->desc->name) == 0 &&
	       g_variant_equal(a->params, b->params);
}

static gboolean
free_entities_cb(gpointer data)
{
	GPtrArray *entities = data;
	for (guint i = 0; i < entities->len; i++)
		rc_entity_free(entities->pdata[i]);
	g_ptr_array_set_size(entities, 0);
	return G_SOURCE_REMOVE;
}

/* Every error of a failed reload other than a non-reloadable change is code 4. */
static gboolean
fail4(GError **error, GError *cause)
{
	g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED, cause->message);
	g_error_free(cause);
	return FALSE;
}

gboolean
rc_startup_reload(RcCore *core, GError **error)
{
	g_autoptr(RcConfig) fresh_config = NULL;
	g_autoptr(GPtrArray) snapshot = g_ptr_array_new();
	g_autoptr(GPtrArray) items = g_ptr_array_new();
	g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func((GDestroyNotify)rc_entity_free);
	g_autoptr(GPtrArray) old = g_ptr_array_new();

	g_autofree gboolean *matched = NULL;
	GError *local = NULL;

	g_return_val_if_fail(core != NULL, FALSE);
	if (core->reload_file == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED,
				    "no configuration file was provided, reload function not set");
		return FALSE;
	}
	/* step 1: parse (and below, PreReload = create) */
	fresh_config = rc_config_parse_file(core->registry, core->reload_file, &local);
	if (fresh_config == NULL)
		return fail4(error, local);

	/* steps 2-3, from scratch every time */
	if (core->config != NULL) {
		for (guint i = 0; i < core->config->items->len; i++) {
			RcConfigItem *item = core->config->items->pdata[i];
			if (!item->implicit && from_file(item, core->reload_file) &&
			    !rc_reload_is_reloadable(item->desc->name))
				g_ptr_array_add(snapshot, item);
		}
	}
	matched = g_new0(gboolean, snapshot->len + 1);
	for (guint i = 0; i < fresh_config->items->len; i++) {
		RcConfigItem *item = fresh_config->items->pdata[i];
		gboolean found = FALSE;
		if (item->implicit || rc_reload_is_reloadable(item->desc->name))
			continue;
		for (guint j = 0; j < snapshot->len && !found; j++) {
			if (!matched[j] && same_item(snapshot->pdata[j], item)) {
				matched[j] = TRUE;
				found = TRUE;
			}
		}
		if (!found) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "a non-reloadable config action '%s' was modified or added. Must restart receptor for these changes to take effect",
				    item->desc->name);
			return FALSE;
		}
	}
	for (guint j = 0; j < snapshot->len; j++) {
		if (!matched[j]) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "a non-reloadable config action '%s' was removed. Must restart receptor for changes to take effect",
				    ((RcConfigItem *)snapshot->pdata[j])->desc->name);
			return FALSE;
		}
	}

	/* the reloadable items: the file's new ones plus those from elsewhere */
	if (core->config != NULL) {
		for (guint i = 0; i < core->config->items->len; i++) {
			RcConfigItem *item = core->config->items->pdata[i];
			if (!from_file(item, core->reload_file) &&
			    rc_reload_is_reloadable(item->desc->name))
				g_ptr_array_add(items, item);
		}
	}
	for (guint i = 0; i < fresh_config->items->len; i++) {
		RcConfigItem *item = fresh_config->items->pdata[i];
		if (rc_reload_is_reloadable(item->desc->name))
			g_ptr_array_add(items, item);
	}
	if (!rc_startup_create_entities(core, items, fresh, &local))
		return fail4(error, local);

	/* step 4: stop every backend */
	for (guint i = 0; i < core->entities->len; i++) {
		RcEntity *e = core->entities->pdata[i];
		if (rc_reload_is_reloadable(e->desc->name))
			g_ptr_array_add(old, e);
	}
	rc_startup_stop_entities(core, old);
	for (guint i = 0; i < old->len; i++) {
		guint index;
		if (g_ptr_array_find(core->entities, old->pdata[i], &index))
			g_ptr_array_steal_index(core->entities, index);
	}
	/* Free them only after the callbacks their stop queued have run (a
	 * closed link reports its end from an idle callback to the entity that
	 * opened it). */
	g_idle_add_full(G_PRIORITY_LOW, free_entities_cb, g_ptr_array_ref(old),
			(GDestroyNotify)g_ptr_array_unref);
	g_message("Reloading %u backends (%u before)", fresh->len, old->len);

	/* step 5: start the new set */
	if (!rc_startup_start_entities(core, fresh, &local)) {
		while (fresh->len > 0)
			g_ptr_array_add(core->entities, g_ptr_array_steal_index(fresh, 0));
		return fail4(error, local);
	}
	while (fresh->len > 0)
		g_ptr_array_add(core->entities, g_ptr_array_steal_index(fresh, 0));
	return TRUE;
}
