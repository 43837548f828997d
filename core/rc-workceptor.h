/* rc-workceptor.h: the node's units of work (work.md): the work-type table,
 * the unit table, unit IDs and folders (work.md 1), allocation (4.2),
 * launching the command runner (4.4), cancel and release (4.7, 4.8), and
 * restoring units found on disk at start-up (5).  One per RcCore
 * (core->workceptor), created by the node entity or on first use. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "receptor/receptor-plugin.h"
#include "rc-core.h"
#include "rc-work-unit.h"

/* Unit IDs: 8 characters of [0-9a-zA-Z] (work.md 1.1). */
#define RC_WORK_UNIT_ID_LEN 8
/* Release retries the directory removal 3 times, 1 s apart (work.md 4.8, 7). */
#define RC_WORK_RELEASE_ATTEMPTS 3
#define RC_WORK_RELEASE_RETRY_MS 1000

struct _RcWorkType {
	char *name;
	RcEntity *entity;         /* (nullable) NULL for the built-in `remote` */
	const RcWorkTypeOps *ops; /* (nullable) */
	gpointer type_data;
	gboolean verify_signature;   /* verifysignature (remote-work.md 5.2) */
	gboolean command_params;     /* the entity has allowruntimeparams (work.md 4.3) */
	gboolean allow_runtime_params;
	char *base_params;
};

/* Create the node's workceptor (core->workceptor must be NULL; datadir and
 * node ID are read from `core`).  Registers the built-in `remote` work type
 * and the control command `work`, and schedules the one start-up scan of
 * <datadir>/<nodeid> (work.md 5.2) to run before the loop serves anything.
 * Nothing is created on disk.  (transfer none: owned by core) */
RcWorkceptor *rc_workceptor_new(RcCore *core, GError **error);
/* core->workceptor, created on first use. (transfer none) (nullable on error) */
RcWorkceptor *rc_workceptor_get(RcCore *core, GError **error);
void rc_workceptor_free(RcWorkceptor *wc);

RcCore *rc_workceptor_get_core(RcWorkceptor *wc);
/* <datadir>/<nodeid>, lexically clean (transfer none) */
const char *rc_workceptor_get_node_dir(RcWorkceptor *wc);
/* The runner mode (command-runner) never scans. */
void rc_workceptor_disable_scan(RcWorkceptor *wc);

gboolean rc_workceptor_register_type(RcWorkceptor *wc, RcEntity *entity, const char *name,
				     const RcWorkTypeOps *ops, gpointer type_data,
				     GError **error);
/* (transfer none) (nullable) */
RcWorkType *rc_workceptor_lookup_type(RcWorkceptor *wc, const char *name);
/* Configured work types (RcWorkType*, registration order, `remote` excluded)
 * for service advertisements (work.md 4.1). (transfer none) */
GPtrArray *rc_workceptor_get_types(RcWorkceptor *wc);

/* Rebuild units from disk (work.md 5.2).  `only_id` (nullable) scans just
 * that ID (a control command naming an unknown unit). */
void rc_workceptor_scan(RcWorkceptor *wc, const char *only_id);

/* TRUE when `id` is a syntactically valid unit ID ([0-9A-Za-z]+, work.md 9
 * pitfall 10). */
gboolean rc_work_unit_id_is_valid(const char *id);
/* Find a unit, rescanning the disk for that one ID first when it is not in
 * the table.  (transfer none) (nullable) */
RcWorkUnit *rc_workceptor_find_unit(RcWorkceptor *wc, const char *id);
/* Every unit, sorted by ID (transfer container) */
GPtrArray *rc_workceptor_list_units(RcWorkceptor *wc);

/* Allocate a local unit of `work_type` with submit parameters `params`
 * (a{sv} of strings, floating consumed): ID, folder, status T1 (work.md 4.2 step 2).
 * Errors: "unknown work type <t>", "extra params provided but not allowed".
 * (transfer none) */
RcWorkUnit *rc_workceptor_allocate(RcWorkceptor *wc, const char *work_type, GVariant *params,
				   GError **error);
/* Allocate a unit of the built-in `remote` type (remote-work.md 1.2 step 3):
 * Pending "Unit Created" with ExtraData `extra_raw` (Go-encoded JSON).
 * (transfer none) */
RcWorkUnit *rc_workceptor_allocate_remote(RcWorkceptor *wc, GVariant *params,
					  const char *extra_raw, GError **error);
/* Start the unit (work.md 4.2 step 4); on error the unit is set to
 * 3 "Error starting worker: <err>" (T7). */
gboolean rc_workceptor_start_unit(RcWorkceptor *wc, RcWorkUnit *unit, GError **error);

typedef void (*RcWorkDoneFunc)(RcWorkUnit *unit, const GError *error, gpointer user_data);
/* Cancel (work.md 4.7); `done` runs once (possibly later, after the runner
 * exited). */
void rc_workceptor_cancel(RcWorkceptor *wc, RcWorkUnit *unit, RcWorkDoneFunc done,
			  gpointer user_data);
/* Release / force-release (work.md 4.8). */
void rc_workceptor_release(RcWorkceptor *wc, RcWorkUnit *unit, gboolean force,
			   RcWorkDoneFunc done, gpointer user_data);

/* The unit status object of control replies (control.md 3.6.2), keys
 * sorted. (transfer full) */
JsonNode *rc_work_unit_status_json(RcWorkUnit *unit, GError **error);

/* Remove a directory tree (no error when it does not exist). */
gboolean rc_work_rmtree(const char *path, GError **error);

/* RcHost work calls (receptor-plugin.h), wired in rc-host.c. */
gboolean rc_host_work_type_register(RcEntity *entity, const char *worktype,
				    const RcWorkTypeOps *ops, gpointer type_data,
				    GError **error);
const char *rc_host_work_unit_id(RcWorkUnit *unit);
const char *rc_host_work_unit_dir(RcWorkUnit *unit);
GVariant *rc_host_work_unit_params(RcWorkUnit *unit);
void rc_host_work_unit_update(RcWorkUnit *unit, guint32 state, const char *detail,
			      gint64 stdout_size);
gboolean rc_host_work_unit_launch_runner(RcWorkUnit *unit, const char *command, GError **error);
