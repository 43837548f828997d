/* rc-core.h: RcCore, the context that owns every core module of one node. */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"

typedef struct _RcRegistry RcRegistry;
typedef struct _RcConfig RcConfig;
typedef struct _RcNetceptor RcNetceptor;
typedef struct _RcTlsStore RcTlsStore;
typedef struct _RcControl RcControl;
typedef struct _RcWorkceptor RcWorkceptor;
typedef struct _RcFirewall RcFirewall;

/* One running node.  Two RcCores in one process must work (unit tests rely on
 * it), so nothing of a node lives in a global. */
typedef struct _RcCore {
	GMainLoop *loop;
	RcRegistry *registry;
	RcConfig *config;     /* the parsed configuration in force */
	GPtrArray *entities;  /* RcEntity*, configuration order */
	GHashTable *plugins;  /* plugin name -> const RcPluginDesc* (loaded, resident) */
	char *argv0;          /* as typed, for messages and the work runner re-exec */
	char *reload_file;    /* nullable: the -c/--config file, for reload */

	/* node entity (config.md 11) */
	char *node_id;
	char *data_dir;
	gint64 max_idle_us;   /* maxidleconnectiontimeout */
	GVariant *firewall_rules; /* nullable aa{sv} as configured */

	/* modules, created on demand by the entities that need them */
	RcNetceptor *netceptor;
	RcTlsStore *tls;
	RcControl *control;
	RcWorkceptor *workceptor;

	GPtrArray *cleanups;    /* module teardown, run in reverse order by rc_core_free */
	guint backends_started; /* number of backend entities (incl. local-only) running */
	int exit_code;
} RcCore;

/* (transfer full) */
RcCore *rc_core_new(void);
void rc_core_free(RcCore *core);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcCore, rc_core_free)

/* Register a teardown for a module created on demand (runs in reverse order
 * of registration, before the entities are freed). */
void rc_core_add_cleanup(RcCore *core, GDestroyNotify func, gpointer data);

/* The host table handed to plugins (transfer none, static). */
const RcHost *rc_host_get(void);
