/* rc-workceptor.c: unit and work-type tables, allocation, runner launch,
 * cancel/release and the start-up scan (work.md 1, 4, 5). */
#define _GNU_SOURCE /* nftw */
#include "config.h"

#include "rc-workceptor.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gnutls/crypto.h>

#include "rc-entity.h"
#include "rc-log.h"
#include "rc-netceptor.h"
#include "rc-wire.h"
#include "rc-work-control.h"
#include "rc-work-remote.h"
#include "rc-work-sign.h"
#include "rc-work-statusfile.h"

struct _RcWorkceptor {
	RcCore *core;
	char *node_dir;
	GHashTable *types;  /* name -> RcWorkType* (owned) */
	GPtrArray *type_list; /* RcWorkType*, registration order, without remote */
	GHashTable *units;  /* id -> RcWorkUnit* (ref) */
	guint scan_idle;
	gboolean scan_disabled;
	gboolean scanned;
};

static void
work_type_free(RcWorkType *type)
{
	g_free(type->name);
	g_free(type->base_params);
	g_free(type);
}

/* Lexical clean of a path (Go's filepath.Clean for the cases that occur:
 * doubled and trailing '/', '.' components, 'x/..'). */
static char *
clean_path(const char *path)
{
	g_auto(GStrv) parts = g_strsplit(path, "/", -1);
	g_autoptr(GPtrArray) out = g_ptr_array_new();
	gboolean absolute = path[0] == '/';
	GString *s;

	for (guint i = 0; parts[i] != NULL; i++) {
		const char *p = parts[i];
		if (p[0] == '\0' || g_str_equal(p, "."))
			continue;
		if (g_str_equal(p, "..") && out->len > 0 &&
		    !g_str_equal(out->pdata[out->len - 1], "..")) {
			g_ptr_array_remove_index(out, out->len - 1);
			continue;
		}
		if (g_str_equal(p, "..") && absolute)
			continue;
		g_ptr_array_add(out, (gpointer)p);
	}
	s = g_string_new(absolute ? "/" : "");
	for (guint i = 0; i < out->len; i++) {
		if (i > 0)
			g_string_append_c(s, '/');
		g_string_append(s, out->pdata[i]);
	}
	if (s->len == 0)
		g_string_append_c(s, '.');
	return g_string_free(s, FALSE);
}

static gboolean
scan_idle_cb(gpointer user_data)
{
	RcWorkceptor *wc = user_data;
	wc->scan_idle = 0;
	if (!wc->scan_disabled)
		rc_workceptor_scan(wc, NULL);
	return G_SOURCE_REMOVE;
}

RcWorkceptor *
rc_workceptor_new(RcCore *core, GError **error)
{
	RcWorkceptor *wc;
	g_autofree char *joined = NULL;

	g_return_val_if_fail(core != NULL, NULL);
	g_return_val_if_fail(core->workceptor == NULL, NULL);
	if (core->node_id == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "work units need a node ID (no node entity)");
		return NULL;
	}
	wc = g_new0(RcWorkceptor, 1);
	wc->core = core;
	joined = g_strdup_printf("%s/%s", core->data_dir != NULL ? core->data_dir : "/tmp/receptor",
				 core->node_id);
	wc->node_dir = clean_path(joined);
	wc->types = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					  (GDestroyNotify)work_type_free);
	wc->type_list = g_ptr_array_new();
	wc->units = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					  (GDestroyNotify)rc_work_unit_unref);

	/* built-in `remote` (remote work is a later issue: its units are only
	 * restored, files untouched) */
	RcWorkType *remote = g_new0(RcWorkType, 1);
	remote->name = g_strdup("remote");
	g_hash_table_insert(wc->types, remote->name, remote);

	core->workceptor = wc;
	rc_core_add_cleanup(core, (GDestroyNotify)rc_workceptor_free, wc);
	rc_work_remote_setup(wc, remote); /* remote-work.md: ops and state of `remote` */
	if (!rc_work_control_register(wc, error))
		return NULL; /* wc stays owned by core */
	/* One scan after every work type registered, before any control
	 * connection is served (work.md 5.2): a high-priority idle runs in the
	 * loop's first iteration, before default-priority sources. */
	wc->scan_idle = g_idle_add_full(G_PRIORITY_HIGH, scan_idle_cb, wc, NULL);
	return wc;
}

RcWorkceptor *
rc_workceptor_get(RcCore *core, GError **error)
{
	if (core->workceptor != NULL)
		return core->workceptor;
	return rc_workceptor_new(core, error);
}

void
rc_workceptor_free(RcWorkceptor *wc)
{
	GHashTableIter iter;
	gpointer value;

	if (wc == NULL)
		return;
	if (wc->scan_idle != 0)
		g_source_remove(wc->scan_idle);
	/* runners keep running (work.md 5.1); just stop watching them */
	g_hash_table_iter_init(&iter, wc->units);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcWorkUnit *unit = value;
		guint watch = unit->runner_watch;
		unit->runner_watch = 0;
		if (watch != 0)
			g_source_remove(watch);
	}
	if (wc->core->workceptor == wc)
		wc->core->workceptor = NULL;
	g_hash_table_unref(wc->units);
	g_ptr_array_unref(wc->type_list);
	g_hash_table_unref(wc->types);
	g_free(wc->node_dir);
	g_free(wc);
}

RcCore *
rc_workceptor_get_core(RcWorkceptor *wc)
{
	return wc->core;
}

const char *
rc_workceptor_get_node_dir(RcWorkceptor *wc)
{
	return wc->node_dir;
}

void
rc_workceptor_disable_scan(RcWorkceptor *wc)
{
	wc->scan_disabled = TRUE;
}

/* ------------------------------------------------------------ work types */

/* {"WorkType":…,"Secure":…} in the node's service advertisements (work.md 4.1). */
static void
publish_work_commands(RcWorkceptor *wc)
{
	g_autoptr(GPtrArray) commands = NULL;
	g_autofree RcWorkCommand *items = NULL;

	if (wc->core->netceptor == NULL)
		return;
	commands = g_ptr_array_new();
	items = g_new0(RcWorkCommand, wc->type_list->len + 1);
	for (guint i = 0; i < wc->type_list->len; i++) {
		RcWorkType *type = wc->type_list->pdata[i];
		items[i].work_type = type->name;
		items[i].secure = type->verify_signature;
		g_ptr_array_add(commands, &items[i]);
	}
	rc_netceptor_set_work_commands(wc->core->netceptor, commands);
}

gboolean
rc_workceptor_register_type(RcWorkceptor *wc, RcEntity *entity, const char *name,
			    const RcWorkTypeOps *ops, gpointer type_data, GError **error)
{
	RcWorkType *type;
	g_autoptr(GVariant) allow = NULL;

	if (name == NULL || name[0] == '\0') {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG, "work type name is empty");
		return FALSE;
	}
	if (g_hash_table_contains(wc->types, name)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "work type %s already registered",
			    name);
		return FALSE;
	}
	type = g_new0(RcWorkType, 1);
	type->name = g_strdup(name);
	type->entity = entity;
	type->ops = ops;
	type->type_data = type_data;
	if (entity != NULL) {
		type->verify_signature = rc_entity_get_bool(entity, "verifysignature", FALSE);
		allow = rc_entity_get_value(entity, "allowruntimeparams");
		type->command_params = allow != NULL;
		type->allow_runtime_params = rc_entity_get_bool(entity, "allowruntimeparams",
								 FALSE);
		type->base_params = g_strdup(rc_entity_get_string(entity, "params", ""));
	}
	if (type->verify_signature && rc_work_sign_verify_key_path(wc->core) == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "VerifySignature for work command '%s' is true, but the work "
			    "verification public key is not specified",
			    name);
		work_type_free(type);
		return FALSE;
	}
	g_hash_table_insert(wc->types, type->name, type);
	g_ptr_array_add(wc->type_list, type);
	publish_work_commands(wc);
	/* a type registered after the start-up scan (reload) adopts its units */
	if (wc->scanned && !wc->scan_disabled && wc->scan_idle == 0)
		wc->scan_idle = g_idle_add_full(G_PRIORITY_HIGH, scan_idle_cb, wc, NULL);
	return TRUE;
}

RcWorkType *
rc_workceptor_lookup_type(RcWorkceptor *wc, const char *name)
{
	return g_hash_table_lookup(wc->types, name);
}

GPtrArray *
rc_workceptor_get_types(RcWorkceptor *wc)
{
	return wc->type_list;
}

/* ------------------------------------------------------------ IDs and scan */

gboolean
rc_work_unit_id_is_valid(const char *id)
{
	if (id == NULL || id[0] == '\0')
		return FALSE;
	for (const char *p = id; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p))
			return FALSE;
	}
	return TRUE;
}

static char *
generate_id(RcWorkceptor *wc)
{
	static const char alphabet[] =
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	for (;;) {
		char id[RC_WORK_UNIT_ID_LEN + 1];
		guint n = 0;
		while (n < RC_WORK_UNIT_ID_LEN) {
			guint8 bytes[16];
			if (gnutls_rnd(GNUTLS_RND_NONCE, bytes, sizeof(bytes)) < 0) {
				for (guint i = 0; i < sizeof(bytes); i++)
					bytes[i] = (guint8)g_random_int_range(0, 248);
			}
			for (guint i = 0; i < sizeof(bytes) && n < RC_WORK_UNIT_ID_LEN; i++) {
				if (bytes[i] >= 248) /* 4 x 62: keep the draw unbiased (work.md 1.1) */
					continue;
				id[n++] = alphabet[bytes[i] % 62];
			}
		}
		id[n] = '\0';
		g_autofree char *dir = g_build_filename(wc->node_dir, id, NULL);
		GStatBuf st;
		if (!g_hash_table_contains(wc->units, id) && g_stat(dir, &st) != 0)
			return g_strdup(id);
	}
}

static void
restore_unit(RcWorkceptor *wc, const char *name, gboolean quiet_missing)
{
	g_autofree char *dir = g_build_filename(wc->node_dir, name, NULL);
	g_autofree char *status_path = g_build_filename(dir, "status", NULL);
	g_autoptr(RcWorkStatus) probe = rc_work_status_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(RcWorkUnit) unit = NULL;
	RcWorkType *type;

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		if (!quiet_missing || g_file_test(dir, G_FILE_TEST_EXISTS))
			g_message("Error locating unit: %s", name);
		return;
	}
	if (g_hash_table_contains(wc->units, name))
		return;
	if (!g_file_test(status_path, G_FILE_TEST_EXISTS)) {
		g_message("Status file has disappeared for %s.", name);
		return;
	}
	if (!rc_work_statusfile_load(dir, probe, &error)) {
		/* work.md 5.3: unreadable status.  An empty file is rewritten as
		 * Failed; a corrupt one is left untouched (the unit can never be
		 * updated) and reported once, clearly. */
		unit = rc_work_unit_new(wc, name, dir, NULL, "");
		g_autofree char *detail = g_strdup_printf("Failed to restart: %s", error->message);
		GStatBuf st;
		if (g_stat(status_path, &st) == 0 && st.st_size == 0) {
			rc_work_unit_update_basic(unit, RC_WORK_FAILED, detail,
						  rc_work_statusfile_stdout_size(dir));
		} else {
			rc_log_error("Work unit %s: status file %s is corrupt (%s); leaving it "
				     "untouched",
				     name, status_path, error->message);
			unit->status->state = RC_WORK_FAILED;
			rc_work_status_set_detail(unit->status, detail);
		}
		unit->follow = FALSE;
		{
		RcWorkUnit *owned = g_steal_pointer(&unit);
		g_hash_table_insert(wc->units, owned->id, owned);
	}
		return;
	}
	type = g_hash_table_lookup(wc->types, probe->work_type);
	unit = rc_work_unit_new(wc, name, dir, type, probe->work_type);
	rc_work_status_free(unit->status);
	unit->status = g_steal_pointer(&probe);
	if (type != NULL && type->command_params) {
		/* work.md 5.3, work-command restart table */
		if (unit->status->state == RC_WORK_PENDING)
			rc_work_unit_update_basic(unit, RC_WORK_FAILED, "Pending at restart",
						  rc_work_statusfile_stdout_size(dir));
	}
	if (type != NULL && type->ops != NULL && type->ops->unit_restart != NULL) {
		if (!type->ops->unit_restart(type->type_data, unit, &error)) {
			g_autofree char *detail =
				g_strdup_printf("Failed to restart: %s", error->message);
			rc_work_unit_update_basic(unit, RC_WORK_FAILED, detail,
						  rc_work_statusfile_stdout_size(dir));
		}
	}
	if (rc_work_state_is_complete(unit->status->state))
		unit->follow = FALSE;
	{
		RcWorkUnit *owned = g_steal_pointer(&unit);
		g_hash_table_insert(wc->units, owned->id, owned);
	}
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
rc_workceptor_scan(RcWorkceptor *wc, const char *only_id)
{
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = NULL;
	const char *name;

	if (only_id == NULL)
		wc->scanned = TRUE;
	if (only_id != NULL) {
		if (rc_work_unit_id_is_valid(only_id))
			restore_unit(wc, only_id, TRUE);
		return;
	}
	dir = g_dir_open(wc->node_dir, 0, NULL);
	if (dir == NULL)
		return; /* nothing created yet (work.md 1.2) */
	names = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names); /* name order (work.md 9.15) */
	for (guint i = 0; i < names->len; i++)
		restore_unit(wc, names->pdata[i], FALSE);
}

RcWorkUnit *
rc_workceptor_find_unit(RcWorkceptor *wc, const char *id)
{
	RcWorkUnit *unit;

	if (!rc_work_unit_id_is_valid(id))
		return NULL;
	unit = g_hash_table_lookup(wc->units, id);
	if (unit == NULL) {
		rc_workceptor_scan(wc, id);
		unit = g_hash_table_lookup(wc->units, id);
	}
	return unit;
}

static gint
compare_units(gconstpointer a, gconstpointer b)
{
	const RcWorkUnit *ua = *(RcWorkUnit *const *)a;
	const RcWorkUnit *ub = *(RcWorkUnit *const *)b;
	return strcmp(ua->id, ub->id);
}

GPtrArray *
rc_workceptor_list_units(RcWorkceptor *wc)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, wc->units);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(out, value);
	g_ptr_array_sort(out, compare_units);
	return out;
}

/* ------------------------------------------------------------ allocation */

RcWorkUnit *
rc_workceptor_allocate(RcWorkceptor *wc, const char *work_type, GVariant *params,
		       GError **error)
{
	RcWorkType *type = g_hash_table_lookup(wc->types, work_type);
	/* a floating `params` is consumed on every path */
	g_autoptr(GVariant) owned = params != NULL ? g_variant_ref_sink(params) : NULL;
	g_autofree char *id = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *combined = NULL;
	g_autoptr(RcWorkUnit) unit = NULL;
	const char *user = NULL;
	char buf[128];

	if (type == NULL || type->entity == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_NOT_FOUND, "unknown work type %s",
			    work_type);
		return NULL;
	}
	if (owned != NULL)
		g_variant_lookup(owned, "params", "&s", &user);
	if (type->command_params) {
		/* work.md 4.3; checked before the folder exists, so no orphan
		 * folder is left (work.md 10 Q6) */
		if (user != NULL && user[0] != '\0' && !type->allow_runtime_params) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "extra params provided but not allowed");
			return NULL;
		}
		if (user == NULL || user[0] == '\0')
			combined = g_strdup(type->base_params);
		else if (type->base_params == NULL || type->base_params[0] == '\0')
			combined = g_strdup(user);
		else
			combined = g_strdup_printf("%s %s", type->base_params, user);
	}
	id = generate_id(wc);
	dir = g_build_filename(wc->node_dir, id, NULL);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "mkdir %s: %s",
			    dir, rc_work_errno_text(saved, buf, sizeof(buf)));
		return NULL;
	}
	unit = rc_work_unit_new(wc, id, dir, type, work_type);
	if (owned != NULL) {
		g_variant_unref(unit->params);
		unit->params = g_variant_ref(owned);
	}
	unit->status->state = RC_WORK_PENDING;
	rc_work_status_set_detail(unit->status, "Unit Created");
	unit->status->stdout_size = 0;
	if (type->command_params)
		rc_work_status_set_command(unit->status, 0, combined);
	if (!rc_work_statusfile_save(dir, unit->status, error))
		return NULL;
	g_hash_table_insert(wc->units, unit->id, rc_work_unit_ref(unit));
	return unit; /* the table holds the reference returned (transfer none) */
}

RcWorkUnit *
rc_workceptor_allocate_remote(RcWorkceptor *wc, GVariant *params, const char *extra_raw,
			      GError **error)
{
	RcWorkType *type = g_hash_table_lookup(wc->types, "remote");
	g_autofree char *id = generate_id(wc);
	g_autofree char *dir = g_build_filename(wc->node_dir, id, NULL);
	g_autoptr(RcWorkUnit) unit = NULL;
	char buf[128];

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "mkdir %s: %s",
			    dir, rc_work_errno_text(saved, buf, sizeof(buf)));
		return NULL;
	}
	unit = rc_work_unit_new(wc, id, dir, type, "remote");
	if (params != NULL) {
		g_variant_unref(unit->params);
		unit->params = g_variant_ref(params);
	}
	unit->status->state = RC_WORK_PENDING;
	rc_work_status_set_detail(unit->status, "Unit Created");
	unit->status->stdout_size = 0;
	unit->status->extra_kind = RC_WORK_EXTRA_RAW;
	unit->status->extra_raw = g_strdup(extra_raw);
	if (!rc_work_statusfile_save(dir, unit->status, error))
		return NULL;
	g_hash_table_insert(wc->units, unit->id, rc_work_unit_ref(unit));
	return unit;
}

gboolean
rc_workceptor_start_unit(RcWorkceptor *wc, RcWorkUnit *unit, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	gboolean ok = TRUE;

	if (unit->type == NULL || unit->type->ops == NULL || unit->type->ops->unit_start == NULL) {
		g_set_error(&local_error, RC_ERROR, RC_ERROR_UNSUPPORTED,
			    "work type %s cannot start units", unit->status->work_type);
		ok = FALSE;
	} else {
		ok = unit->type->ops->unit_start(unit->type->type_data, unit, &local_error);
		if (!ok && local_error == NULL)
			g_set_error_literal(&local_error, RC_ERROR, RC_ERROR_FAILED,
					    "unknown error");
	}
	if (!ok) {
		g_autofree char *detail =
			g_strdup_printf("Error starting worker: %s", local_error->message);
		rc_work_unit_update_basic(unit, RC_WORK_FAILED, detail, -1); /* T7 */
		g_propagate_error(error, g_steal_pointer(&local_error));
	}
	return ok;
}

/* ------------------------------------------------------------ runner */

static void
runner_child_setup(gpointer user_data)
{
	/* work.md 4.4: the runner lives in its own session and process group */
	setsid();
}

static void
clear_extra_edit(RcWorkStatus *status, gpointer user_data)
{
	rc_work_status_clear_extra(status);
}

static void
runner_exited(GPid pid, gint wait_status, gpointer user_data)
{
	RcWorkUnit *unit = user_data;
	g_autoptr(GError) error = NULL;

	unit->runner_watch = 0;
	unit->runner_pid = 0;
	g_spawn_close_pid(pid);
	g_debug("Command runner %d of work unit %s exited (wait status %d)", (int)pid, unit->id,
		wait_status);
	if (!unit->released && g_file_test(unit->dir, G_FILE_TEST_IS_DIR)) {
		/* T17: only the launching daemon clears ExtraData */
		if (!rc_work_statusfile_update(unit->dir, unit->status, clear_extra_edit, NULL,
					       &error))
			rc_log_error("Error updating status file for work unit %s: %s",
				     unit->id, error->message);
		if (rc_work_state_is_complete(unit->status->state))
			unit->follow = FALSE;
	}
	rc_work_unit_runner_exited(unit);
}

typedef struct {
	gint64 pid;
} PidEdit;

static void
pid_edit(RcWorkStatus *status, gpointer user_data)
{
	PidEdit *p = user_data;
	g_autofree char *params = g_strdup(status->params != NULL ? status->params : "");
	rc_work_status_set_command(status, p->pid, params);
}

static gboolean
launch_runner(RcWorkUnit *unit, const char *command, GError **error)
{
	RcCore *core = unit->wc->core;
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *cmd_arg = g_strdup_printf("command=%s", command);
	g_autofree char *params_arg = NULL;
	g_autofree char *dir_arg = g_strdup_printf("unitdir=%s", unit->dir);
	const char *argv0 = core->argv0 != NULL ? core->argv0 : "receptor";
	const char *level = rc_log_level_name(rc_log_get_level());
	GPid pid = 0;
	PidEdit p;
	g_autoptr(GError) local_error = NULL;

	params_arg = g_strdup_printf("params=%s",
				     unit->status->params != NULL ? unit->status->params : "");
	const char *argv[] = { exe != NULL ? exe : argv0,
			       argv0,
			       "--node",
			       "id=worker",
			       "--log-level",
			       level,
			       "--command-runner",
			       cmd_arg,
			       params_arg,
			       dir_arg,
			       NULL };
	GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_FILE_AND_ARGV_ZERO;
	if (exe == NULL && strchr(argv0, '/') == NULL)
		flags |= G_SPAWN_SEARCH_PATH;
	if (!g_spawn_async(NULL, (char **)argv, NULL, flags, runner_child_setup, NULL, &pid,
			   &local_error)) {
		g_autofree char *detail = g_strdup_printf("Failed to start command runner: %s",
							  local_error->message);
		rc_work_unit_update_basic(unit, RC_WORK_FAILED, detail, -1); /* T6 */
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	unit->runner_pid = pid;
	unit->runner_watch = g_child_watch_add_full(G_PRIORITY_DEFAULT, pid, runner_exited,
						    rc_work_unit_ref(unit),
						    (GDestroyNotify)rc_work_unit_unref);
	p.pid = pid;
	if (!rc_work_statusfile_update(unit->dir, unit->status, pid_edit, &p, &local_error))
		rc_log_error("Error updating status file for work unit %s: %s", unit->id,
			     local_error->message);
	g_debug("Work unit %s: command runner %d started", unit->id, (int)pid);
	return TRUE;
}

/* ------------------------------------------------------------ cancel / release */

typedef struct {
	RcWorkceptor *wc;
	gboolean force;
	guint attempts;
	RcWorkDoneFunc done;
	gpointer user_data;
} Op;

static void
cancel_finish(RcWorkUnit *unit, gpointer user_data)
{
	Op *op = user_data;
	/* T16: 4 Canceled, size kept; memory stops following (work.md 4.7) */
	if (!unit->released)
		rc_work_unit_update_basic(unit, RC_WORK_CANCELED, "Canceled", -1);
	unit->follow = FALSE;
	op->done(unit, NULL, op->user_data);
	g_free(op);
}

static void
cancel_start(RcWorkceptor *wc, RcWorkUnit *unit, Op *op)
{
	g_autoptr(GError) error = NULL;
	const RcWorkStatus *st = rc_work_unit_get_status(unit, NULL);
	char buf[128];

	if (st == NULL)
		st = unit->status;
	if (unit->type != NULL && unit->type->ops != NULL && unit->type->ops->unit_cancel != NULL)
		unit->type->ops->unit_cancel(unit->type->type_data, unit);
	unit->follow = FALSE; /* step 1 */
	/* step 2; also skip a unit that is already complete, so a stale PID
	 * after a restart is never signalled (work.md 10 Q4) */
	if (st->extra_kind != RC_WORK_EXTRA_COMMAND || st->pid <= 0 ||
	    rc_work_state_is_complete(st->state)) {
		op->done(unit, NULL, op->user_data);
		g_free(op);
		return;
	}
	if (kill((pid_t)st->pid, SIGINT) < 0) {
		int saved = errno;
		if (saved == ESRCH) {
			op->done(unit, NULL, op->user_data);
		} else {
			g_set_error(&error, RC_ERROR, RC_ERROR_FAILED, "kill: %s",
				    rc_work_errno_text(saved, buf, sizeof(buf)));
			op->done(unit, error, op->user_data);
		}
		g_free(op);
		return;
	}
	/* step 4: wait only for our own child */
	if (unit->runner_pid > 0 && unit->runner_pid == (GPid)st->pid)
		rc_work_unit_wait_runner(unit, cancel_finish, op);
	else
		cancel_finish(unit, op);
}

void
rc_workceptor_cancel(RcWorkceptor *wc, RcWorkUnit *unit, RcWorkDoneFunc done, gpointer user_data)
{
	Op *op = g_new0(Op, 1);
	op->wc = wc;
	op->done = done;
	op->user_data = user_data;
	cancel_start(wc, unit, op);
}

static int
rmtree_one(const char *path, const struct stat *sb, int typeflag, struct FTW *ftwbuf)
{
	if (typeflag == FTW_DP || typeflag == FTW_D)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

gboolean
rc_work_rmtree(const char *path, GError **error)
{
	char buf[128];
	GStatBuf st;
	if (g_lstat(path, &st) != 0 && errno == ENOENT)
		return TRUE;
	if (nftw(path, rmtree_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "remove %s: %s",
			    path, rc_work_errno_text(saved, buf, sizeof(buf)));
		return FALSE;
	}
	return TRUE;
}

static gboolean release_attempt(gpointer user_data);

typedef struct {
	Op *op;
	RcWorkUnit *unit;
} ReleaseJob;

static void
release_drop(ReleaseJob *job)
{
	RcWorkUnit *unit = job->unit;
	unit->released = TRUE;
	if (unit->type != NULL && unit->type->ops != NULL &&
	    unit->type->ops->unit_release != NULL)
		unit->type->ops->unit_release(unit->type->type_data, unit);
	if (g_hash_table_lookup(job->op->wc->units, unit->id) == unit)
		g_hash_table_remove(job->op->wc->units, unit->id);
}

static void
release_job_free(ReleaseJob *job)
{
	rc_work_unit_unref(job->unit);
	g_free(job->op);
	g_free(job);
}

static gboolean
release_attempt(gpointer user_data)
{
	ReleaseJob *job = user_data;
	g_autoptr(GError) error = NULL;

	job->op->attempts++;
	if (!rc_work_rmtree(job->unit->dir, &error)) {
		if (!job->op->force && job->op->attempts < RC_WORK_RELEASE_ATTEMPTS) {
			g_timeout_add(RC_WORK_RELEASE_RETRY_MS, release_attempt, job);
			return G_SOURCE_REMOVE;
		}
		if (!job->op->force) {
			job->op->done(job->unit, error, job->op->user_data);
			release_job_free(job);
			return G_SOURCE_REMOVE;
		}
		g_message("Error removing work unit %s: %s", job->unit->id, error->message);
	}
	release_drop(job);
	job->op->done(job->unit, NULL, job->op->user_data);
	release_job_free(job);
	return G_SOURCE_REMOVE;
}

static void
release_after_cancel(RcWorkUnit *unit, const GError *error, gpointer user_data)
{
	ReleaseJob *job = user_data;
	if (error != NULL && !job->op->force) {
		job->op->done(unit, error, job->op->user_data);
		release_job_free(job);
		return;
	}
	release_attempt(job);
}

void
rc_workceptor_release(RcWorkceptor *wc, RcWorkUnit *unit, gboolean force, RcWorkDoneFunc done,
		      gpointer user_data)
{
	ReleaseJob *job = g_new0(ReleaseJob, 1);
	job->op = g_new0(Op, 1);
	job->op->wc = wc;
	job->op->force = force;
	job->op->done = done;
	job->op->user_data = user_data;
	job->unit = rc_work_unit_ref(unit);
	rc_workceptor_cancel(wc, unit, release_after_cancel, job);
}

/* ------------------------------------------------------------ replies */

JsonNode *
rc_work_unit_status_json(RcWorkUnit *unit, GError **error)
{
	const RcWorkStatus *st = rc_work_unit_get_status(unit, error);
	g_autoptr(JsonBuilder) b = NULL;
	g_autofree char *state_name = NULL;

	if (st == NULL)
		return NULL;
	state_name = rc_work_state_name(st->state);
	b = json_builder_new_immutable();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "Detail");
	json_builder_add_string_value(b, st->detail);
	json_builder_set_member_name(b, "ExtraData");
	if (unit->type == NULL) {
		json_builder_add_string_value(b, "Unknown WorkType");
	} else if (st->extra_kind == RC_WORK_EXTRA_COMMAND) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Pid");
		json_builder_add_int_value(b, st->pid);
		json_builder_set_member_name(b, "Params");
		json_builder_add_string_value(b, st->params != NULL ? st->params : "");
		json_builder_end_object(b);
	} else if (st->extra_kind == RC_WORK_EXTRA_RAW && st->extra_raw != NULL) {
		/* remote units: secret_ parameters redacted (remote-work.md 1.3) */
		JsonNode *raw = g_strcmp0(st->work_type, "remote") == 0
					? rc_work_remote_redacted_extra(st->extra_raw)
					: json_from_string(st->extra_raw, NULL);
		if (raw != NULL)
			json_builder_add_value(b, raw);
		else
			json_builder_add_null_value(b);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "State");
	json_builder_add_int_value(b, st->state);
	json_builder_set_member_name(b, "StateName");
	json_builder_add_string_value(b, state_name);
	json_builder_set_member_name(b, "StdoutSize");
	json_builder_add_int_value(b, st->stdout_size);
	json_builder_set_member_name(b, "WorkType");
	json_builder_add_string_value(b, st->work_type);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

/* ------------------------------------------------------------ RcHost calls */

gboolean
rc_host_work_type_register(RcEntity *entity, const char *worktype, const RcWorkTypeOps *ops,
			   gpointer type_data, GError **error)
{
	RcWorkceptor *wc = rc_workceptor_get(entity->core, error);
	if (wc == NULL)
		return FALSE;
	return rc_workceptor_register_type(wc, entity, worktype, ops, type_data, error);
}

const char *
rc_host_work_unit_id(RcWorkUnit *unit)
{
	return unit->id;
}

const char *
rc_host_work_unit_dir(RcWorkUnit *unit)
{
	return unit->dir;
}

GVariant *
rc_host_work_unit_params(RcWorkUnit *unit)
{
	return unit->params;
}

void
rc_host_work_unit_update(RcWorkUnit *unit, guint32 state, const char *detail,
			 gint64 stdout_size)
{
	rc_work_unit_update_basic(unit, state, detail, stdout_size);
}

gboolean
rc_host_work_unit_launch_runner(RcWorkUnit *unit, const char *command, GError **error)
{
	rc_work_unit_update_basic(unit, RC_WORK_PENDING, "Launching command runner", -1); /* T5 */
	return launch_runner(unit, command, error);
}
