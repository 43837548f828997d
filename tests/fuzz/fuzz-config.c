/* fuzz-config.c: the configuration front end (config.md 3-5) on arbitrary
 * input: the whole input as a YAML file, and the input split on NUL bytes as
 * an argv.  Neither may crash, hang, leak or emit a critical. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "rc-config.h"
#include "rc-registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every parameter type and flag, after config.md 9. */
static const RcParamDesc node_params[] = {
    {"id", RC_PARAM_STRING, RC_PARAM_BARE, NULL, NULL},
    {"datadir", RC_PARAM_STRING, 0, "/tmp/receptor", NULL},
    {"firewallrules", RC_PARAM_MAP_LIST, 0, NULL, NULL},
    {"maxidleconnectiontimeout", RC_PARAM_DURATION, 0, NULL, NULL},
    {NULL}};
static const RcEntityDesc node_entity = {sizeof(RcEntityDesc), "node", RC_ENTITY_GLOBAL,
					 RC_ENTITY_SINGLETON, NULL, node_params, NULL};
static const RcParamDesc listener_params[] = {
    {"bindaddr", RC_PARAM_STRING, 0, "0.0.0.0", NULL},
    {"port", RC_PARAM_INT, RC_PARAM_REQUIRED | RC_PARAM_BARE, NULL, NULL},
    {"cost", RC_PARAM_FLOAT, 0, "1.0", NULL},
    {"nodecost", RC_PARAM_FLOAT_MAP, 0, NULL, NULL},
    {"allowedpeers", RC_PARAM_STRING_LIST, 0, NULL, NULL},
    {"redial", RC_PARAM_BOOL, 0, "true", NULL},
    {NULL}};
static const RcEntityDesc listener_entity = {sizeof(RcEntityDesc), "tcp-listener",
					     RC_ENTITY_BACKEND, 0, NULL, listener_params, NULL};
static const RcParamDesc python_params[] = {
    {"worktype", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, NULL},
    {"config", RC_PARAM_JSON_MAP, 0, NULL, NULL},
    {NULL}};
static const RcEntityDesc python_entity = {sizeof(RcEntityDesc), "work-python",
					   RC_ENTITY_WORKER, 0, NULL, python_params, NULL};
static const RcEntityDesc version_entity = {sizeof(RcEntityDesc), "version", RC_ENTITY_GLOBAL,
					    RC_ENTITY_EXCLUSIVE, NULL, NULL, NULL};

static void
check(RcConfig *config)
{
	if (config == NULL)
		return;
	g_autofree char *dump = rc_config_dump(config);
	g_assert(dump != NULL);
	rc_config_free(config);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	g_autoptr(RcRegistry) registry = rc_registry_new();
	rc_registry_add_core(registry, &node_entity);
	rc_registry_add_core(registry, &listener_entity);
	rc_registry_add_core(registry, &python_entity);
	rc_registry_add_core(registry, &version_entity);

	/* 1. The input as a YAML file. */
	g_autoptr(GError) error = NULL;
	check(rc_config_parse_yaml_data(registry, "fuzz.yml", data, size, &error));
	g_clear_error(&error);

	/* 2. The input as NUL-separated argv tokens.  Tokens that would load a
	 * file (-c/--config) are left out: the fuzzer must not read the disk. */
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	gsize start = 0;
	for (gsize i = 0; i <= size; i++) {
		if (i < size && data[i] != '\0')
			continue;
		char *token = g_strndup((const char *)data + start, i - start);
		g_autofree char *lc = g_ascii_strdown(token, -1);
		const char *name = g_str_has_prefix(lc, "--") ? lc + 2 : lc[0] == '-' ? lc + 1 : NULL;
		if (name != NULL && (strcmp(name, "c") == 0 || strcmp(name, "config") == 0))
			g_free(token);
		else
			g_ptr_array_add(args, token);
		start = i + 1;
	}
	check(rc_config_parse_argv(registry, (int)args->len, (char **)args->pdata, &error));
	return 0;
}
