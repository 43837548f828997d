/* rc-core-entities.c: node, local-only, version, log-level, trace and the
 * always-failing work-python (config.md 9.1, 9.6, 11, 12). */
#include "config.h"

#include "rc-core-entities.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rc-control.h"
#include "rc-core.h"
#include "rc-entity.h"
#include "rc-log.h"
#include "rc-netceptor.h"
#include "rc-tls.h"
#include "rc-workceptor.h"
#include "rc-command-runner.h"
#include "rc-work-sign.h"

/* ------------------------------------------------------------------ node */

static const RcParamDesc node_params[] = {
    {"id", RC_PARAM_STRING, RC_PARAM_BARE, NULL, "Node ID. Defaults to the local hostname."},
    {"datadir", RC_PARAM_STRING, 0, "/tmp/receptor", "Directory in which to store node data."},
    {"firewallrules", RC_PARAM_MAP_LIST, 0, NULL,
     "Firewall rules, see documentation for syntax."},
    {"maxidleconnectiontimeout", RC_PARAM_STRING, 0, NULL,
     "Maximum duration with no traffic before a backend connection is timed out and refreshed."},
    {"receptorkubesupportreconnect", RC_PARAM_STRING, RC_PARAM_NO_DESC, NULL, NULL},
    {"receptorkubeclientsetqps", RC_PARAM_STRING, RC_PARAM_NO_DESC, NULL, NULL},
    {"receptorkubeclientsetburst", RC_PARAM_STRING, RC_PARAM_NO_DESC, NULL, NULL},
    {"receptorkubeclientsetratelimiter", RC_PARAM_STRING, RC_PARAM_NO_DESC, NULL, NULL},
    {NULL}};

/* config.md 11.1: the node ID, from `id` or the host name. */
static char *
node_resolve_id(const char *id, GError **error)
{
	if (id != NULL && id[0] != '\0') {
		if (g_ascii_strcasecmp(id, "localhost") == 0) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "node ID \"localhost\" is reserved");
			return NULL;
		}
		/* receptor-c refuses IDs that cannot work on the mesh (wire.md 1.1
		 * recommendations; docs/differences.md). */
		if (!g_utf8_validate(id, -1, NULL) || strchr(id, ':') != NULL ||
		    strpbrk(id, " \t\r\n") != NULL) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "node ID \"%s\" is not usable: it must be valid UTF-8 without ':' or whitespace",
				    id);
			return NULL;
		}
		return g_strdup(id);
	}
	char host[256] = {0};
	if (gethostname(host, sizeof host - 1) != 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "%s", g_strerror(errno));
		return NULL;
	}
	g_autofree char *lower = g_ascii_strdown(host, -1);
	if (g_strcmp0(lower, "localhost") == 0 || g_str_has_prefix(lower, "localhost.")) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "no node ID specified and local host name is localhost");
		return NULL;
	}
	return g_strdup(host);
}

/* Go's time.ParseDuration subset for maxidleconnectiontimeout (config.md 11.4). */
static gboolean
parse_go_duration_us(const char *text, gint64 *out_us)
{
	const char *p = text;
	double total = 0;
	gboolean neg = FALSE;
	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	if (g_strcmp0(p, "0") == 0) {
		*out_us = 0;
		return TRUE;
	}
	if (*p == '\0')
		return FALSE;
	while (*p) {
		char *end = NULL;
		if (!g_ascii_isdigit(*p) && *p != '.')
			return FALSE;
		double v = g_ascii_strtod(p, &end);
		if (end == p)
			return FALSE;
		p = end;
		double unit;
		if (g_str_has_prefix(p, "ns")) {
			unit = 1e-3;
			p += 2;
		} else if (g_str_has_prefix(p, "us") || g_str_has_prefix(p, "\xc2\xb5s")) {
			unit = 1;
			p += (*p == 'u') ? 2 : 3;
		} else if (g_str_has_prefix(p, "ms")) {
			unit = 1e3;
			p += 2;
		} else if (*p == 's') {
			unit = 1e6;
			p++;
		} else if (*p == 'm') {
			unit = 60e6;
			p++;
		} else if (*p == 'h') {
			unit = 3600e6;
			p++;
		} else {
			return FALSE;
		}
		total += v * unit;
	}
	*out_us = (gint64)(neg ? -total : total);
	return TRUE;
}

static gboolean
node_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
	    GError **error)
{
	RcCore *core = entity->core;
	g_autofree char *id = node_resolve_id(rc_entity_get_string(entity, "id", NULL), error);
	if (id == NULL)
		return FALSE;
	const char *datadir = rc_entity_get_string(entity, "datadir", "/tmp/receptor");
	g_autofree char *dd = NULL;
	if (datadir[0] == '\0')
		dd = g_build_filename(g_get_tmp_dir(), "receptor", NULL);
	else
		dd = g_strdup(datadir);

	gint64 idle_us = 21 * G_USEC_PER_SEC; /* wire.md 5.6 */
	const char *idle = rc_entity_get_string(entity, "maxidleconnectiontimeout", "");
	if (idle[0] != '\0') {
		gint64 us = 0;
		if (!parse_go_duration_us(idle, &us)) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "failed to parse MaxIdleConnectionTimeout from configuration file -- valid examples include '1.5h', '30m', '30m10s'");
			return FALSE;
		}
		if (us < 21 * G_USEC_PER_SEC) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "user defined maxIdleConnectionTimeout [%" G_GINT64_FORMAT
				    "] is less than the default default timeout [21000000000]",
				    us * 1000);
			return FALSE;
		}
		idle_us = us;
	}

	g_free(core->node_id);
	core->node_id = g_steal_pointer(&id);
	g_free(core->data_dir);
	core->data_dir = g_steal_pointer(&dd);
	core->max_idle_us = idle_us;
	g_clear_pointer(&core->firewall_rules, g_variant_unref);
	core->firewall_rules = rc_entity_get_value(entity, "firewallrules");

	/* Receptor's Init phase creates the mesh and the work manager here
	 * (config.md 11.5). */
	if (rc_netceptor_ensure(core, error) == NULL)
		return FALSE;
	if (rc_workceptor_get(core, error) == NULL)
		return FALSE;
	return TRUE;
}

static const RcEntityOps node_ops = {.struct_size = sizeof(RcEntityOps), .create = node_create};

const RcEntityDesc rc_node_entity = {
    .struct_size = sizeof(RcEntityDesc),
    .name = "node",
    .kind = RC_ENTITY_GLOBAL,
    .flags = RC_ENTITY_SINGLETON,
    .description = "Specifies the node configuration of this instance",
    .params = node_params,
    .ops = &node_ops,
};

/* ------------------------------------------------------------ local-only */

static const RcParamDesc local_only_params[] = {
    {"local", RC_PARAM_BOOL, RC_PARAM_NO_DESC, NULL, NULL}, {NULL}};

static gboolean
local_only_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		  GError **error)
{
	*data = entity;
	return TRUE;
}

static gboolean
local_only_start(gpointer data, GError **error)
{
	RcEntity *entity = data;
	entity->core->backends_started++;
	return TRUE;
}

static void
local_only_stop(gpointer data)
{
	RcEntity *entity = data;
	if (entity->core->backends_started > 0)
		entity->core->backends_started--;
}

static const RcEntityOps local_only_ops = {.struct_size = sizeof(RcEntityOps),
					   .create = local_only_create,
					   .start = local_only_start,
					   .stop = local_only_stop};

const RcEntityDesc rc_local_only_entity = {
    .struct_size = sizeof(RcEntityDesc),
    .name = "local-only",
    .kind = RC_ENTITY_GLOBAL,
    .flags = RC_ENTITY_SINGLETON | RC_ENTITY_RELOADABLE,
    .description = "Runs a self-contained node with no backend",
    .params = local_only_params,
    .ops = &local_only_ops,
};

/* --------------------------------------------------------------- version */

static gboolean
version_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
	       GError **error)
{
	return TRUE;
}

static gboolean
version_start(gpointer data, GError **error)
{
	/* config.md 9.1, Q12: the version string and a newline on stdout. */
	fputs(PACKAGE_VERSION "\n", stdout);
	fflush(stdout);
	return TRUE;
}

static const RcParamDesc no_params[] = {{NULL}};

static const RcEntityOps version_ops = {
    .struct_size = sizeof(RcEntityOps), .create = version_create, .start = version_start};

const RcEntityDesc rc_version_entity = {
    .struct_size = sizeof(RcEntityDesc),
    .name = "version",
    .kind = RC_ENTITY_GLOBAL,
    .flags = RC_ENTITY_EXCLUSIVE,
    .description = "Displays the Receptor version.",
    .params = no_params,
    .ops = &version_ops,
};

/* ------------------------------------------------------------- log-level */

static const RcParamDesc log_level_params[] = {
    {"level", RC_PARAM_STRING, RC_PARAM_BARE, "error",
     "Log level: Error, Warning, Info or Debug"},
    {NULL}};

static gboolean
log_level_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		 GError **error)
{
	const char *name = rc_entity_get_string(entity, "level", "error");
	RcLogLevel level;
	if (!rc_log_level_from_name(name, &level)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "%s is not a valid log level name",
			    name);
		return FALSE;
	}
	rc_log_set_level(level);
	return TRUE;
}

static const RcEntityOps log_level_ops = {.struct_size = sizeof(RcEntityOps),
					  .create = log_level_create};

const RcEntityDesc rc_log_level_entity = {
    .struct_size = sizeof(RcEntityDesc),
    .name = "log-level",
    .kind = RC_ENTITY_GLOBAL,
    .flags = RC_ENTITY_SINGLETON,
    .description = "Specifies the verbosity level for command output",
    .params = log_level_params,
    .ops = &log_level_ops,
};

/* ----------------------------------------------------------------- trace */

static gboolean
trace_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
	     GError **error)
{
	/* config.md 12.3, Q5: accepted and without effect, as in Go. */
	return TRUE;
}

static const RcEntityOps trace_ops = {.struct_size = sizeof(RcEntityOps), .create = trace_create};

const RcEntityDesc rc_trace_entity = {
    .struct_size = sizeof(RcEntityDesc),
    .name = "trace",
    .kind = RC_ENTITY_GLOBAL,
    .flags = RC_ENTITY_SINGLETON,
    .description = "Enables packet tracing output",
    .params = no_params,
    .ops = &trace_ops,
};

/* ----------------------------------------------------------- work-python */

static const RcParamDesc work_python_params[] = {
    {"worktype", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Name for this worker type"},
    {"plugin", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL,
     "Python module name of the worker plugin"},
    {"function", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL,
     "Receptor-exported function to call"},
    {"config", RC_PARAM_JSON_MAP, 0, NULL, "Plugin-specific configuration"},
    {NULL}};

static gboolean
work_python_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		   GError **error)
{
	return TRUE;
}

static gboolean
work_python_start(gpointer data, GError **error)
{
	/* config.md 9.6, P17: always fails, with Go's exact text. */
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
		    "[DEPRECATION WARNING] 'work-python' option is not currently being used. This feature will be removed from receptor in a future release");
	return FALSE;
}

static const RcEntityOps work_python_ops = {.struct_size = sizeof(RcEntityOps),
					    .create = work_python_create,
					    .start = work_python_start};

const RcEntityDesc rc_work_python_entity = {
    .struct_size = sizeof(RcEntityDesc),
    .name = "work-python",
    .kind = RC_ENTITY_WORKER,
    .flags = 0,
    .description = "Run a worker using a Python plugin\n[DEPRECATION WARNING] This option is not currently being used. This feature will be removed from receptor in a future release.",
    .params = work_python_params,
    .ops = &work_python_ops,
};

/* -------------------------------------------------------------- registry */

void
rc_core_entities_register(RcRegistry *registry)
{
	/* --help order is registration order within a section (config.md 13). */
	rc_registry_add_core(registry, &rc_node_entity);
	rc_registry_add_core(registry, &rc_local_only_entity);
	rc_registry_add_core(registry, &rc_version_entity);
	rc_registry_add_core(registry, &rc_log_level_entity);
	rc_registry_add_core(registry, &rc_trace_entity);
	/* control-service (rc-control.c) */
	rc_registry_add_core(registry, &rc_control_service_entity);
	/* tls-server, tls-client (rc-tls.c) */
	rc_registry_add_core(registry, &rc_tls_server_entity);
	rc_registry_add_core(registry, &rc_tls_client_entity);
	/* work-signing, work-verification, command-runner (rc-workceptor.c) */
	rc_registry_add_core(registry, &rc_work_signing_entity);
	rc_registry_add_core(registry, &rc_work_verification_entity);
	rc_registry_add_core(registry, &rc_command_runner_entity);
	rc_registry_add_core(registry, &rc_work_python_entity);
}
