/* rc-cmdline.c: the V1 command-line grammar (config.md 3), after ghjm/cmdline
 * v0.1.2 ParseAndRun, with -c files loaded at their position (config.md 4.6). */
#include "config.h"

#include <string.h>

#include "rc-config-private.h"
#include "rc-config.h"

static gboolean
fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
fail(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG, msg);
	return FALSE;
}

/* Store the entity being accumulated after its required check (config.md 3.9). */
static gboolean
finish_current(RcConfigAccum **current, GPtrArray *accums, GError **error)
{
	if (*current == NULL)
		return TRUE;
	g_autoptr(GError) local = NULL;
	if (!rc_config_accum_check_required(*current, &local))
		return fail(error, "error in %s: %s", (*current)->arg, local->message);
	g_ptr_array_add(accums, *current);
	*current = NULL;
	return TRUE;
}

/* A dash token naming an entity (config.md 3.1 c, 3.2, 3.9 singleton rule). */
static RcConfigAccum *
start_entity(RcRegistry *registry, GPtrArray *accums, const char *name, const char *token,
	     GError **error)
{
	RcLookup lookup;
	RcLookupResult result = rc_registry_lookup(registry, name, &lookup);
	if (result != RC_LOOKUP_FOUND) {
		g_autofree char *msg = rc_config_lookup_error(result, &lookup, name);
		if (result == RC_LOOKUP_UNKNOWN)
			fail(error, "command error: %s", msg);
		else
			fail(error, "%s", msg);
		return NULL;
	}
	if (lookup.desc->flags & RC_ENTITY_SINGLETON) {
		for (guint i = 0; i < accums->len; i++) {
			RcConfigAccum *acc = accums->pdata[i];
			if (g_ascii_strcasecmp(acc->desc->name, lookup.desc->name) == 0) {
				fail(error, "directive \"%s\" is only allowed once", lookup.desc->name);
				return NULL;
			}
		}
	}
	return rc_config_accum_new(lookup.desc, lookup.plugin, token, token);
}

/* A parameter token of the current entity (config.md 3.3, 3.4). */
static gboolean
add_param(RcConfigAccum *acc, const char *token, GError **error)
{
	g_autoptr(GError) local = NULL;
	const char *eq = strchr(token, '=');
	if (eq == NULL) {
		int index = rc_config_param_bare(acc->desc);
		if (index < 0)
			return fail(error, "config error: command does not allow bare values");
		g_autoptr(RcYamlNode) v = rc_yaml_node_new_string(token);
		if (!rc_config_accum_set(acc, index, v, &local)) {
			g_autofree char *field = rc_config_go_field_name(acc->desc->params[index].name);
			return fail(error, "error setting config value for field %s: %s", field,
				    local->message);
		}
		return TRUE;
	}
	g_autofree char *raw_key = g_strndup(token, (gsize)(eq - token));
	g_autofree char *key = rc_config_lower(raw_key);
	int index = rc_config_param_find(acc->desc, key);
	if (index < 0)
		return fail(error, "config error: unknown field name %s", key);
	g_autoptr(RcYamlNode) v = rc_yaml_node_new_string(eq + 1);
	if (!rc_config_accum_set(acc, index, v, &local))
		return fail(error, "error setting config value for field %s: %s", key, local->message);
	return TRUE;
}

RcConfig *
rc_config_parse_argv(RcRegistry *registry, int argc, char **argv, GError **error)
{
	g_return_val_if_fail(registry != NULL, NULL);
	g_return_val_if_fail(argc == 0 || argv != NULL, NULL);

	/* config.md 1: V2 is chosen by an exact token anywhere; receptor-c has no V2. */
	for (int i = 0; i < argc; i++) {
		if (g_strcmp0(argv[i], "--config-v2") == 0) {
			fail(error, "the --config-v2 front end is not supported by receptor-c; use the list-style YAML (-c FILE)");
			return NULL;
		}
	}

	g_autoptr(GPtrArray) accums =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rc_config_accum_free);
	g_autoptr(RcConfigAccum) current = NULL;
	gboolean config_armed = FALSE;
	gboolean show_help = argc == 0; /* config.md 2 step 2 */
	gboolean show_completion = FALSE;

	for (int i = 0; i < argc && !show_help && !show_completion; i++) {
		const char *token = argv[i] != NULL ? argv[i] : "";
		g_autofree char *lc = rc_config_lower(token);

		if (strcmp(lc, "-h") == 0 || strcmp(lc, "--help") == 0) {
			show_help = TRUE;
		} else if (strcmp(lc, "--bash-completion") == 0) {
			show_completion = TRUE;
		} else if (lc[0] == '-') {
			const char *name = g_str_has_prefix(lc, "--") ? lc + 2 : lc + 1;
			if (!finish_current(&current, accums, error))
				return NULL;
			if (strcmp(name, "config") == 0 || strcmp(name, "c") == 0) {
				config_armed = TRUE;
			} else {
				current = start_entity(registry, accums, name, token, error);
				if (current == NULL)
					return NULL;
			}
		} else if (config_armed) {
			config_armed = FALSE;
			if (!rc_config_load_file(registry, token, accums, error))
				return NULL;
		} else if (current == NULL) {
			/* Also an empty token with nothing accumulated (Q11). */
			fail(error, "parameter specified before command");
			return NULL;
		} else if (!add_param(current, token, error)) {
			return NULL;
		}
	}

	RcConfig *config;
	if (show_help || show_completion) {
		config = rc_config_new();
	} else {
		if (!finish_current(&current, accums, error))
			return NULL;
		config = rc_config_finish(registry, g_steal_pointer(&accums), error);
		if (config == NULL)
			return NULL;
	}
	config->show_help = show_help;
	config->show_completion = show_completion;

	/* config.md 2 step 8: the first exact -c/--config token with a following token. */
	for (int i = 0; i + 1 < argc; i++) {
		if (g_strcmp0(argv[i], "-c") == 0 || g_strcmp0(argv[i], "--config") == 0) {
			config->reload_file = g_strdup(argv[i + 1]);
			break;
		}
	}
	return config;
}
