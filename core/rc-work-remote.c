/* rc-work-remote.c: the `remote` work type (remote-work.md 1-4, 6). */
#include "config.h"

#include "rc-work-remote.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>

#include "rc-control-parse.h"
#include "rc-copy.h"
#include "rc-duration.h"
#include "rc-log.h"
#include "rc-stream.h"
#include "rc-tls.h"
#include "rc-work-sign.h"
#include "rc-work-statusfile.h"
#include "rc-workceptor.h"

#define ZERO_TIME "0001-01-01T00:00:00Z"

typedef struct _RemoteMod RemoteMod;
typedef struct _RemoteUnit RemoteUnit;
typedef struct _Job Job;
typedef struct _Conn Conn;

struct _RemoteMod {
	RcWorkceptor *wc;
	RcCore *core;
	GHashTable *units; /* id -> RemoteUnit* (ref) */
	gboolean closing;
};

/* Per-unit state: the current top job (start, monitor, cancel or release;
 * only one runs at a time, remote-work.md 2.3 "start or monitor process
 * already running"). */
struct _RemoteUnit {
	gint ref;
	RemoteMod *mod;   /* NULL once the module is gone */
	RcWorkUnit *unit; /* (ref) */
	Job *job;         /* (nullable) (weak) the running top job */
};

/* ------------------------------------------------------------ ExtraData */

typedef struct {
	char *node;
	char *work_type;
	GHashTable *params; /* string -> string */
	char *unit_id;
	gboolean started;
	gboolean cancelled;
	gboolean released;
	gboolean sign_work;
	char *tls_client;
	char *expiration; /* RFC 3339 text as stored */
} Extra;

static Extra *
extra_new(void)
{
	Extra *e = g_new0(Extra, 1);
	e->node = g_strdup("");
	e->work_type = g_strdup("");
	e->params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	e->unit_id = g_strdup("");
	e->tls_client = g_strdup("");
	e->expiration = g_strdup(ZERO_TIME);
	return e;
}

static void
extra_free(Extra *e)
{
	if (e == NULL)
		return;
	g_free(e->node);
	g_free(e->work_type);
	g_hash_table_unref(e->params);
	g_free(e->unit_id);
	g_free(e->tls_client);
	g_free(e->expiration);
	g_free(e);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Extra, extra_free)

static void
set_str(char **field, JsonNode *n)
{
	if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
		g_free(*field);
		*field = g_strdup(json_node_get_string(n));
	}
}

static void
set_bool(gboolean *field, JsonNode *n)
{
	if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
		*field = json_node_get_boolean(n);
}

/* Go's json.Unmarshal into RemoteExtraData: keys matched case-insensitively,
 * missing or mistyped fields keep their zero value. */
static Extra *
extra_parse(const char *raw)
{
	Extra *e = extra_new();
	g_autoptr(JsonNode) root = raw != NULL ? json_from_string(raw, NULL) : NULL;
	JsonObjectIter iter;
	const char *name;
	JsonNode *n;

	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return e;
	json_object_iter_init(&iter, json_node_get_object(root));
	while (json_object_iter_next(&iter, &name, &n)) {
		if (g_ascii_strcasecmp(name, "RemoteNode") == 0) {
			set_str(&e->node, n);
		} else if (g_ascii_strcasecmp(name, "RemoteWorkType") == 0) {
			set_str(&e->work_type, n);
		} else if (g_ascii_strcasecmp(name, "RemoteParams") == 0 && JSON_NODE_HOLDS_OBJECT(n)) {
			JsonObjectIter piter;
			const char *pname;
			JsonNode *pn;
			json_object_iter_init(&piter, json_node_get_object(n));
			while (json_object_iter_next(&piter, &pname, &pn)) {
				if (JSON_NODE_HOLDS_VALUE(pn) &&
				    json_node_get_value_type(pn) == G_TYPE_STRING)
					g_hash_table_replace(e->params, g_strdup(pname),
							     g_strdup(json_node_get_string(pn)));
			}
		} else if (g_ascii_strcasecmp(name, "RemoteUnitID") == 0) {
			set_str(&e->unit_id, n);
		} else if (g_ascii_strcasecmp(name, "RemoteStarted") == 0) {
			set_bool(&e->started, n);
		} else if (g_ascii_strcasecmp(name, "LocalCancelled") == 0) {
			set_bool(&e->cancelled, n);
		} else if (g_ascii_strcasecmp(name, "LocalReleased") == 0) {
			set_bool(&e->released, n);
		} else if (g_ascii_strcasecmp(name, "SignWork") == 0) {
			set_bool(&e->sign_work, n);
		} else if (g_ascii_strcasecmp(name, "TLSClient") == 0) {
			set_str(&e->tls_client, n);
		} else if (g_ascii_strcasecmp(name, "Expiration") == 0) {
			set_str(&e->expiration, n);
		}
	}
	return e;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of a string table in Go's map order (bytewise). (transfer container) */
static GPtrArray *
sorted_keys(GHashTable *table)
{
	GPtrArray *keys = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, table);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(keys, key);
	g_ptr_array_sort(keys, compare_strings);
	return keys;
}

static gboolean
is_secret_key(const char *key)
{
	return g_ascii_strncasecmp(key, "secret_", 7) == 0;
}

/* Go-encoded RemoteExtraData in struct order (remote-work.md 1.1). */
static char *
extra_to_json(const Extra *e, gboolean redact)
{
	GString *s = g_string_new("{\"RemoteNode\":");
	g_autoptr(GPtrArray) keys = sorted_keys(e->params);
	gboolean first = TRUE;

	rc_work_json_append_string(s, e->node, -1);
	g_string_append(s, ",\"RemoteWorkType\":");
	rc_work_json_append_string(s, e->work_type, -1);
	g_string_append(s, ",\"RemoteParams\":{");
	for (guint i = 0; i < keys->len; i++) {
		const char *k = keys->pdata[i];
		if (redact && is_secret_key(k))
			continue;
		if (!first)
			g_string_append_c(s, ',');
		first = FALSE;
		rc_work_json_append_string(s, k, -1);
		g_string_append_c(s, ':');
		rc_work_json_append_string(s, g_hash_table_lookup(e->params, k), -1);
	}
	g_string_append(s, "},\"RemoteUnitID\":");
	rc_work_json_append_string(s, e->unit_id, -1);
	g_string_append_printf(s, ",\"RemoteStarted\":%s", e->started ? "true" : "false");
	g_string_append_printf(s, ",\"LocalCancelled\":%s", e->cancelled ? "true" : "false");
	g_string_append_printf(s, ",\"LocalReleased\":%s", e->released ? "true" : "false");
	g_string_append_printf(s, ",\"SignWork\":%s", e->sign_work ? "true" : "false");
	g_string_append(s, ",\"TLSClient\":");
	rc_work_json_append_string(s, e->tls_client, -1);
	g_string_append(s, ",\"Expiration\":");
	rc_work_json_append_string(s, e->expiration, -1);
	g_string_append_c(s, '}');
	return g_string_free(s, FALSE);
}

JsonNode *
rc_work_remote_redacted_extra(const char *extra_raw)
{
	g_autoptr(JsonNode) root = extra_raw != NULL ? json_from_string(extra_raw, NULL) : NULL;
	g_autoptr(Extra) e = NULL;
	g_autofree char *text = NULL;

	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	e = extra_parse(extra_raw);
	text = extra_to_json(e, TRUE);
	return json_from_string(text, NULL);
}

/* The unit's extra data as in memory (the status file is written by this
 * daemon only, so memory is current). (transfer full) */
static Extra *
unit_extra(RcWorkUnit *unit)
{
	const RcWorkStatus *st = unit->status;
	return extra_parse(st->extra_kind == RC_WORK_EXTRA_RAW ? st->extra_raw : NULL);
}

typedef void (*ExtraEditFunc)(Extra *e, RcWorkStatus *status, gpointer user_data);

typedef struct {
	ExtraEditFunc func;
	gpointer user_data;
} ExtraEdit;

static void
extra_edit_cb(RcWorkStatus *status, gpointer user_data)
{
	ExtraEdit *edit = user_data;
	g_autoptr(Extra) e = extra_parse(status->extra_kind == RC_WORK_EXTRA_RAW ? status->extra_raw
										  : NULL);
	edit->func(e, status, edit->user_data);
	rc_work_status_clear_extra(status);
	status->extra_kind = RC_WORK_EXTRA_RAW;
	status->extra_raw = extra_to_json(e, FALSE);
}

/* UpdateFullStatus: read-modify-write of the whole record under the lock. */
static gboolean
unit_update_full(RcWorkUnit *unit, ExtraEditFunc func, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	ExtraEdit edit = { func, user_data };
	if (unit->released)
		return FALSE;
	if (!rc_work_statusfile_update(unit->dir, unit->status, extra_edit_cb, &edit, &error)) {
		rc_log_error("Error updating status file for work unit %s: %s", unit->id,
			     error->message);
		return FALSE;
	}
	return TRUE;
}

/* ------------------------------------------------------------ time */

static const char *const weekday_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

char *
rc_work_remote_format_expiry(GDateTime *time)
{
	return g_strdup_printf("%s %s %d %02d:%02d:%02d",
			       weekday_names[g_date_time_get_day_of_week(time) - 1],
			       month_names[g_date_time_get_month(time) - 1],
			       g_date_time_get_day_of_month(time), g_date_time_get_hour(time),
			       g_date_time_get_minute(time), g_date_time_get_second(time));
}

/* Expiration as a GDateTime, NULL for the zero time or unparsable text. */
static GDateTime *
expiration_parse(const char *text)
{
	GDateTime *t;
	if (text == NULL || g_str_equal(text, ZERO_TIME))
		return NULL;
	t = g_date_time_new_from_iso8601(text, NULL);
	if (t != NULL && g_date_time_get_year(t) <= 1) {
		g_date_time_unref(t);
		return NULL;
	}
	return t;
}

/* ------------------------------------------------------------ module */

static RemoteUnit *
remote_unit_ref(RemoteUnit *ru)
{
	g_atomic_int_inc(&ru->ref);
	return ru;
}

static void
remote_unit_unref(RemoteUnit *ru)
{
	if (ru == NULL || !g_atomic_int_dec_and_test(&ru->ref))
		return;
	rc_work_unit_unref(ru->unit);
	g_free(ru);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RemoteUnit, remote_unit_unref)

static RemoteUnit *
remote_unit_get(RemoteMod *mod, RcWorkUnit *unit)
{
	RemoteUnit *ru = g_hash_table_lookup(mod->units, unit->id);
	if (ru != NULL && ru->unit == unit)
		return ru;
	ru = g_new0(RemoteUnit, 1);
	ru->ref = 1;
	ru->mod = mod;
	ru->unit = rc_work_unit_ref(unit);
	g_hash_table_replace(mod->units, ru->unit->id, ru);
	return ru;
}

static RemoteMod *
mod_from_wc(RcWorkceptor *wc)
{
	RcWorkType *type = rc_workceptor_lookup_type(wc, "remote");
	return type != NULL ? type->type_data : NULL;
}

gboolean
rc_work_remote_is_remote_node(RcCore *core, const char *node)
{
	return g_strcmp0(node, core->node_id) != 0 && g_ascii_strcasecmp(node, "localhost") != 0;
}

/* ------------------------------------------------------------ jobs */

typedef void (*JobWaitFunc)(gpointer user_data);

typedef struct {
	JobWaitFunc func;
	gpointer user_data;
} JobWaiter;

typedef enum { FIRST_OK, FIRST_PENDING, FIRST_ERROR } FirstResult;

/* Reply hook of a job whose first attempt runs inside a client's command. */
typedef void (*FirstFunc)(Job *job, FirstResult result, const GError *error, gpointer user_data);

typedef enum { ACTION_START, ACTION_CANCEL, ACTION_RELEASE } ActionKind;

struct _Job {
	gint active; /* running activities; the job ends when it drops to 0 */
	RemoteUnit *ru; /* (ref) */
	GCancellable *cancel;
	GCancellable *ttl_cancel;
	GSList *waiters;
	ActionKind action;
	gboolean for_release; /* monitor in releasing mode, then delete locally */
	gboolean restart;     /* started by a restart: action errors fail the unit */
	FirstFunc first;
	gpointer first_data;
	/* monitor */
	gulong ttl_handler;
	GCancellable *mon_cancel;
	gulong mon_handler;
	gint mon_active;
	gboolean gone; /* R8 seen by the poller */
};

static RcCore *
job_core(Job *job)
{
	return job->ru->unit->wc != NULL ? rc_workceptor_get_core(job->ru->unit->wc) : NULL;
}

static gboolean
job_dead(Job *job)
{
	return job->ru->mod == NULL || job->ru->mod->closing || job->ru->unit->released;
}

static Job *
job_new(RemoteUnit *ru, ActionKind action, gboolean for_release)
{
	Job *job = g_new0(Job, 1);
	job->ru = remote_unit_ref(ru);
	job->cancel = g_cancellable_new();
	job->ttl_cancel = g_cancellable_new();
	job->action = action;
	job->for_release = for_release;
	job->active = 1;
	ru->job = job;
	return job;
}

static void
job_hold(Job *job)
{
	job->active++;
}

static void
job_drop(Job *job)
{
	GSList *waiters;

	g_assert(job->active > 0);
	if (--job->active > 0)
		return;
	if (job->ru->job == job)
		job->ru->job = NULL;
	waiters = g_steal_pointer(&job->waiters);
	for (GSList *l = waiters; l != NULL; l = l->next) {
		JobWaiter *w = l->data;
		w->func(w->user_data);
	}
	g_slist_free_full(waiters, g_free);
	if (job->mon_cancel != NULL) {
		g_cancellable_disconnect(job->cancel, job->mon_handler);
		g_object_unref(job->mon_cancel);
	}
	if (job->ttl_handler != 0)
		g_cancellable_disconnect(job->cancel, job->ttl_handler);
	g_object_unref(job->ttl_cancel);
	g_object_unref(job->cancel);
	remote_unit_unref(job->ru);
	g_free(job);
}

/* Cancel the unit's running job and call `func` once it has ended (at once
 * when none runs). */
static void
unit_stop_job(RemoteUnit *ru, JobWaitFunc func, gpointer user_data)
{
	Job *job = ru->job;
	if (job == NULL) {
		if (func != NULL)
			func(user_data);
		return;
	}
	if (func != NULL) {
		JobWaiter *w = g_new0(JobWaiter, 1);
		w->func = func;
		w->user_data = user_data;
		job->waiters = g_slist_append(job->waiters, w);
	}
	ru->job = NULL; /* a new job may be installed while this one winds down */
	g_cancellable_cancel(job->cancel);
}

/* Sleep `ms`, or less when `cancel` fires; `func` runs once either way. */
static void
sleep_cancellable(guint ms, GCancellable *cancel, GSourceFunc func, gpointer data)
{
	GSource *t = g_timeout_source_new(ms);
	GSource *c = g_cancellable_source_new(cancel);
	g_source_set_dummy_callback(c);
	g_source_add_child_source(t, c);
	g_source_unref(c);
	g_source_set_callback(t, func, data, NULL);
	g_source_attach(t, NULL);
	g_source_unref(t);
}

/* ------------------------------------------------------------ connections */

typedef void (*ConnOpenFunc)(Conn *conn, const GError *error, gpointer user_data);
typedef void (*ConnLineFunc)(Conn *conn, const char *line, const GError *error,
			     gpointer user_data);
typedef void (*ConnDoneFunc)(Conn *conn, const GError *error, gpointer user_data);

/* One control connection to the executor (remote-work.md 2.2).  At most one
 * operation is pending at a time; stopping goes through `cancel`, which is
 * tied to the owner's cancellable. */
struct _Conn {
	RemoteUnit *ru; /* (ref) */
	char *node;
	RcStream *stream;
	GCancellable *cancel;
	GCancellable *parent;
	gulong parent_handler;
	GString *inbuf; /* received, not yet consumed */
	guint8 *chunk;
	guint greeting_timer;
	gboolean timed_out;
	ConnOpenFunc open_cb;
	ConnLineFunc line_cb;
	ConnDoneFunc done_cb;
	gpointer cb_data;
	GBytes *wbuf;
};

static void
conn_parent_cancelled(GCancellable *parent, gpointer user_data)
{
	GCancellable *own = user_data;
	g_cancellable_cancel(own);
}

static Conn *
conn_new(RemoteUnit *ru, const char *node, GCancellable *parent)
{
	Conn *c = g_new0(Conn, 1);
	c->ru = remote_unit_ref(ru);
	c->node = g_strdup(node);
	c->cancel = g_cancellable_new();
	c->inbuf = g_string_new(NULL);
	c->chunk = g_malloc(RC_WORK_REMOTE_CHUNK);
	if (parent != NULL) {
		c->parent = g_object_ref(parent);
		c->parent_handler = g_cancellable_connect(parent, G_CALLBACK(conn_parent_cancelled),
							  c->cancel, NULL);
	}
	return c;
}

/* End the connection (CONNECTION_CLOSE 0 "normal close") and free it.  No
 * operation may be pending. */
static void
conn_close(Conn *c)
{
	if (c == NULL)
		return;
	if (c->greeting_timer != 0)
		g_source_remove(c->greeting_timer);
	if (c->parent != NULL) {
		g_cancellable_disconnect(c->parent, c->parent_handler);
		g_object_unref(c->parent);
	}
	if (c->stream != NULL) {
		rc_stream_close_connection(c->stream);
		g_object_unref(c->stream);
	}
	g_clear_pointer(&c->wbuf, g_bytes_unref);
	g_object_unref(c->cancel);
	g_string_free(c->inbuf, TRUE);
	g_free(c->chunk);
	g_free(c->node);
	remote_unit_unref(c->ru);
	g_free(c);
}

static void conn_line_step(Conn *c);

static void
conn_line_fail(Conn *c, GError *error)
{
	ConnLineFunc cb = g_steal_pointer(&c->line_cb);
	cb(c, NULL, error, c->cb_data);
	g_error_free(error);
}

static void
conn_line_read_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Conn *c = user_data;
	GError *error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	if (n < 0) {
		conn_line_fail(c, error);
		return;
	}
	if (n == 0) {
		conn_line_fail(c, g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CLOSED, "EOF"));
		return;
	}
	g_string_append_len(c->inbuf, (const char *)c->chunk, n);
	conn_line_step(c);
}

static void
conn_line_step(Conn *c)
{
	const char *nl = c->inbuf->len > 0 ? memchr(c->inbuf->str, '\n', c->inbuf->len) : NULL;
	if (nl != NULL) {
		gsize n = (gsize)(nl - c->inbuf->str) + 1;
		g_autofree char *line = g_strndup(c->inbuf->str, n);
		ConnLineFunc cb = g_steal_pointer(&c->line_cb);
		g_string_erase(c->inbuf, 0, (gssize)n);
		cb(c, line, NULL, c->cb_data);
		return;
	}
	if (c->inbuf->len >= RC_WORK_REMOTE_MAX_LINE) {
		conn_line_fail(c, g_error_new(G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
					      "reply line longer than %d bytes",
					      RC_WORK_REMOTE_MAX_LINE));
		return;
	}
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(c->stream)), c->chunk,
				  RC_WORK_REMOTE_CHUNK, G_PRIORITY_DEFAULT, c->cancel,
				  conn_line_read_done, c);
}

/* Read one line, '\n' included (Go's ReadString). */
static void
conn_read_line(Conn *c, ConnLineFunc cb, gpointer user_data)
{
	c->line_cb = cb;
	c->cb_data = user_data;
	conn_line_step(c);
}

static void
conn_write_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Conn *c = user_data;
	g_autoptr(GError) error = NULL;
	ConnDoneFunc cb = g_steal_pointer(&c->done_cb);
	g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error);
	g_clear_pointer(&c->wbuf, g_bytes_unref);
	cb(c, error, c->cb_data);
}

/* Write `text` (taken) completely. */
static void
conn_write(Conn *c, char *text, ConnDoneFunc cb, gpointer user_data)
{
	gsize len = strlen(text);
	gconstpointer data;
	c->wbuf = g_bytes_new_take(text, len);
	c->done_cb = cb;
	c->cb_data = user_data;
	data = g_bytes_get_data(c->wbuf, &len);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(c->stream)),
					data, len, G_PRIORITY_DEFAULT, c->cancel, conn_write_done, c);
}

static gboolean
greeting_timeout(gpointer user_data)
{
	Conn *c = user_data;
	c->greeting_timer = 0;
	c->timed_out = TRUE;
	g_cancellable_cancel(c->cancel);
	return G_SOURCE_REMOVE;
}

static void
conn_open_fail(Conn *c, const GError *error)
{
	ConnOpenFunc cb = c->open_cb;
	gpointer data = c->cb_data;
	g_autoptr(GError) copy = g_error_copy(error);
	conn_close(c);
	cb(NULL, copy, data);
}

static void
greeting_read(Conn *c, const char *line, const GError *error, gpointer user_data)
{
	g_autoptr(GError) local = NULL;
	if (c->greeting_timer != 0) {
		g_source_remove(c->greeting_timer);
		c->greeting_timer = 0;
	}
	if (line == NULL) {
		if (c->timed_out)
			local = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
						    "context deadline exceeded");
		conn_open_fail(c, local != NULL ? local : error);
		return;
	}
	if (strstr(line, c->node) == NULL) {
		g_autofree char *trimmed = g_strndup(line, strcspn(line, "\n"));
		local = g_error_new(RC_ERROR, RC_ERROR_FAILED,
				    "while expecting node ID %s, got message: %s", c->node, trimmed);
		conn_open_fail(c, local);
		return;
	}
	c->open_cb(c, NULL, c->cb_data);
}

static void
conn_dialled(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Conn *c = user_data;
	g_autoptr(GError) error = NULL;
	c->stream = rc_stream_dial_finish(result, &error);
	if (c->stream == NULL) {
		conn_open_fail(c, error);
		return;
	}
	c->greeting_timer = g_timeout_add_seconds(RC_WORK_REMOTE_GREETING_TIMEOUT_S,
						  greeting_timeout, c);
	c->line_cb = greeting_read;
	conn_line_step(c);
}

/* connectToRemote: one attempt (dial node:control, read the greeting). */
static void
conn_open(RemoteUnit *ru, GCancellable *parent, ConnOpenFunc cb, gpointer user_data)
{
	g_autoptr(Extra) e = unit_extra(ru->unit);
	Conn *c = conn_new(ru, e->node, parent);
	RcCore *core = rc_workceptor_get_core(ru->unit->wc);

	c->open_cb = cb;
	c->cb_data = user_data;
	rc_stream_dial_async(core, e->node, "control", e->tls_client[0] != '\0' ? e->tls_client : NULL,
			     c->cancel, conn_dialled, c);
}

/* ------------------------------------------------------------ getConnection */

typedef struct {
	Job *job;
	GCancellable *cancel;
	guint delay_ms;
	ConnOpenFunc cb;
	gpointer user_data;
} Getter;

static void getter_attempt(Getter *g);

static gboolean
getter_wake(gpointer user_data)
{
	Getter *g = user_data;
	if (g_cancellable_is_cancelled(g->cancel) || job_dead(g->job)) {
		g_autoptr(GError) error =
			g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, "context canceled");
		g->cb(NULL, error, g->user_data);
		g_object_unref(g->cancel);
		g_free(g);
		return G_SOURCE_REMOVE;
	}
	getter_attempt(g);
	return G_SOURCE_REMOVE;
}

static void
tls_fail_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	const char *err = user_data;
	g_autofree char *detail =
		g_strdup_printf("TLS error connecting to remote service: %s", err);
	rc_work_status_set_detail(status, detail);
	if (!e->started)
		status->state = RC_WORK_FAILED;
}

static void
getter_opened(Conn *conn, const GError *error, gpointer user_data)
{
	Getter *g = user_data;
	RcWorkUnit *unit = g->job->ru->unit;

	if (conn != NULL) {
		g->cb(conn, NULL, g->user_data);
		g_object_unref(g->cancel);
		g_free(g);
		return;
	}
	if (!g_cancellable_is_cancelled(g->cancel) && !job_dead(g->job)) {
		g_autoptr(Extra) e = unit_extra(unit);
		g_info("Connection to %s failed with error: %s", e->node, error->message);
		if (strstr(error->message, "CRYPTO_ERROR") != NULL) {
			/* R9: give up when not yet started */
			gboolean started = e->started;
			unit_update_full(unit, tls_fail_edit, error->message);
			if (!started) {
				g->cb(NULL, error, g->user_data);
				g_object_unref(g->cancel);
				g_free(g);
				return;
			}
		}
	}
	sleep_cancellable(g->delay_ms, g->cancel, getter_wake, g);
	g->delay_ms = MIN((guint)(g->delay_ms * 3 / 2), (guint)RC_WORK_REMOTE_RETRY_MAX_MS);
}

static void
getter_attempt(Getter *g)
{
	conn_open(g->job->ru, g->cancel, getter_opened, g);
}

/* Retry connectToRemote with backoff until connected or cancelled (then cb
 * gets NULL).  The backoff restarts at 1 s on every call. */
static void
get_connection(Job *job, GCancellable *cancel, ConnOpenFunc cb, gpointer user_data)
{
	Getter *g = g_new0(Getter, 1);
	g->job = job;
	g->cancel = g_object_ref(cancel);
	g->delay_ms = RC_WORK_REMOTE_RETRY_FIRST_MS;
	g->cb = cb;
	g->user_data = user_data;
	if (g_cancellable_is_cancelled(cancel)) {
		sleep_cancellable(0, cancel, getter_wake, g);
		return;
	}
	getter_attempt(g);
}

/* ------------------------------------------------------------ signing and requests */

static char *
make_signature(RcCore *core, const char *node, GError **error)
{
	gint64 lifetime_us = RC_WORK_SIGN_DEFAULT_LIFETIME_US;
	const char *path = rc_work_sign_private_key_path(core, &lifetime_us);
	g_autoptr(GError) local = NULL;
	char *token;

	if (path == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "cannot sign work: signing key is empty");
		return NULL;
	}
	token = rc_work_sign_token(path, node, lifetime_us, g_get_real_time(), &local);
	if (token == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "could not load signing key file: %s",
			    local->message);
		return NULL;
	}
	return token;
}

/* A compact JSON object line with keys sorted: `table` string -> text that
 * is already JSON. (transfer full) */
static char *
json_line(GHashTable *table)
{
	g_autoptr(GPtrArray) keys = sorted_keys(table);
	GString *s = g_string_new("{");
	for (guint i = 0; i < keys->len; i++) {
		if (i > 0)
			g_string_append_c(s, ',');
		rc_work_json_append_string(s, keys->pdata[i], -1);
		g_string_append_c(s, ':');
		g_string_append(s, g_hash_table_lookup(table, keys->pdata[i]));
	}
	g_string_append(s, "}\n");
	return g_string_free(s, FALSE);
}

static void
table_set_string(GHashTable *table, const char *key, const char *value)
{
	GString *s = g_string_new(NULL);
	rc_work_json_append_string(s, value, -1);
	g_hash_table_replace(table, g_strdup(key), g_string_free(s, FALSE));
}

static GHashTable *
request_table(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/* ------------------------------------------------------------ actions */

typedef void (*ActionDoneFunc)(Job *job, const GError *error);

typedef struct {
	Job *job;
	Conn *conn;
	ActionDoneFunc done;
	GInputStream *stdin_in;
} Action;

static void
action_finish(Action *a, const GError *error)
{
	ActionDoneFunc done = a->done;
	Job *job = a->job;
	g_clear_object(&a->stdin_in);
	conn_close(a->conn); /* CloseConnection when the operation ends (2.2) */
	g_free(a);
	done(job, error);
}

static void
action_failf(Action *a, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
action_failf(Action *a, const char *format, ...)
{
	va_list args;
	g_autoptr(GError) error = NULL;
	va_start(args, format);
	error = g_error_new_valist(RC_ERROR, RC_ERROR_FAILED, format, args);
	va_end(args);
	action_finish(a, error);
}

static void
started_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	e->started = TRUE;
}

static void
start_result_read(Conn *conn, const char *line, const GError *error, gpointer user_data)
{
	Action *a = user_data;
	g_autoptr(Extra) e = unit_extra(a->job->ru->unit);
	const char *err;

	if (line == NULL) {
		action_failf(a, "read error reading from %s: %s", e->node, error->message);
		return;
	}
	err = strstr(line, "ERROR: ");
	if (err != NULL) {
		g_autofree char *text = g_strndup(err + 7, strcspn(err + 7, "\n"));
		action_failf(a, "error from remote: %s", text);
		return;
	}
	unit_update_full(a->job->ru->unit, started_edit, NULL); /* R5 */
	g_cancellable_cancel(a->job->ttl_cancel);
	action_finish(a, NULL);
}

static void
start_payload_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Action *a = user_data;
	g_autoptr(GError) error = NULL;
	if (rc_copy_finish(result, NULL, &error) < 0) {
		action_failf(a, "error sending stdin file: %s", error->message);
		return;
	}
	conn_read_line(a->conn, start_result_read, a);
}

static void
unit_id_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	g_free(e->unit_id);
	e->unit_id = g_strdup(user_data);
}

char *
rc_work_remote_parse_created(const char *line)
{
	const char *p = line;
	while ((p = strstr(p, "with ID ")) != NULL) {
		const char *q = p + 8;
		gsize n = 0;
		while (g_ascii_isalnum(q[n]))
			n++;
		if (n > 0 && q[n] == '.')
			return g_strndup(q, n);
		p++;
	}
	return NULL;
}

static void
start_created_read(Conn *conn, const char *line, const GError *error, gpointer user_data)
{
	Action *a = user_data;
	RcWorkUnit *unit = a->job->ru->unit;
	g_autoptr(Extra) e = unit_extra(unit);
	g_autofree char *id = NULL;
	g_autofree char *stdin_path = NULL;
	g_autoptr(GFile) file = NULL;
	g_autoptr(GError) local = NULL;
	GFileInputStream *in;

	if (line == NULL) {
		action_failf(a, "read error reading from %s: %s", e->node, error->message);
		return;
	}
	id = rc_work_remote_parse_created(line);
	if (id == NULL) {
		g_autofree char *trimmed = g_strndup(line, strcspn(line, "\n"));
		action_failf(a, "could not parse response: %s", trimmed);
		return;
	}
	unit_update_full(unit, unit_id_edit, id); /* R4 */
	stdin_path = g_build_filename(unit->dir, "stdin", NULL);
	file = g_file_new_for_path(stdin_path);
	in = g_file_read(file, NULL, &local);
	if (in == NULL) {
		action_failf(a, "error opening stdin file: %s", local->message);
		return;
	}
	a->stdin_in = G_INPUT_STREAM(in);
	/* the whole stdin, then FIN (closing the output half-closes, 2.3 step 4) */
	rc_copy_async(a->stdin_in, g_io_stream_get_output_stream(G_IO_STREAM(conn->stream)),
		      RC_WORK_REMOTE_CHUNK, RC_COPY_CLOSE_OUTPUT, conn->cancel, start_payload_sent, a);
}

static void
action_request_written(Conn *conn, const GError *error, gpointer user_data)
{
	Action *a = user_data;
	g_autoptr(Extra) e = unit_extra(a->job->ru->unit);
	if (error != NULL) {
		action_failf(a, "write error sending to %s: %s", e->node, error->message);
		return;
	}
	conn_read_line(conn, start_created_read, a);
}

static void
cancel_reply_read(Conn *conn, const char *line, const GError *error, gpointer user_data)
{
	Action *a = user_data;
	g_autoptr(Extra) e = unit_extra(a->job->ru->unit);
	gsize len;

	if (line == NULL) {
		action_failf(a, "read error reading from %s: %s", e->node, error->message);
		return;
	}
	len = strlen(line);
	if (len >= 5 && strncmp(line, "ERROR", 5) == 0) {
		/* Go keeps byte 6 on, newline included (4.2); receptor-c replies
		 * one line (docs/differences.md) */
		g_autofree char *tail = g_strndup(len > 6 ? line + 6 : "",
						  strcspn(len > 6 ? line + 6 : "", "\n"));
		action_failf(a, "error cancelling remote unit: %s", tail);
		return;
	}
	action_finish(a, NULL);
}

static void
cancel_request_written(Conn *conn, const GError *error, gpointer user_data)
{
	Action *a = user_data;
	g_autoptr(Extra) e = unit_extra(a->job->ru->unit);
	if (error != NULL) {
		action_failf(a, "write error sending to %s: %s", e->node, error->message);
		return;
	}
	conn_read_line(conn, cancel_reply_read, a);
}

/* startRemoteUnit / cancelOrReleaseRemoteUnit on a connected `conn`. */
static void
action_run(Job *job, Conn *conn, ActionDoneFunc done)
{
	Action *a = g_new0(Action, 1);
	RcWorkUnit *unit = job->ru->unit;
	g_autoptr(Extra) e = unit_extra(unit);
	g_autoptr(GHashTable) cmd = request_table();
	g_autoptr(GError) error = NULL;

	a->job = job;
	a->conn = conn;
	a->done = done;
	if (job->action == ACTION_START) {
		GHashTableIter iter;
		gpointer k, v;
		g_hash_table_iter_init(&iter, e->params);
		while (g_hash_table_iter_next(&iter, &k, &v))
			table_set_string(cmd, k, v);
		table_set_string(cmd, "command", "work");
		table_set_string(cmd, "subcommand", "submit");
		table_set_string(cmd, "node", e->node);
		table_set_string(cmd, "worktype", e->work_type);
		table_set_string(cmd, "tlsclient", e->tls_client);
	} else {
		table_set_string(cmd, "command", "work");
		table_set_string(cmd, "subcommand",
				 job->action == ACTION_RELEASE ? "release" : "cancel");
		table_set_string(cmd, "unitid", e->unit_id);
	}
	if (e->sign_work) {
		g_autofree char *token = make_signature(job_core(job), e->node, &error);
		if (token == NULL) {
			action_finish(a, error);
			return;
		}
		table_set_string(cmd, "signature", token);
	}
	if (job->action == ACTION_START) {
		conn_write(conn, json_line(cmd), action_request_written, a);
	} else {
		conn_write(conn, json_line(cmd), cancel_request_written, a);
	}
}

/* ------------------------------------------------------------ monitoring */

static void
release_logged(RcWorkUnit *unit, const GError *error, gpointer user_data)
{
	if (error != NULL)
		rc_log_error("Error releasing unit %s: %s", unit->dir, error->message);
}

static void monitor_start(Job *job);

static void
gone_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	const char *dir = user_data;
	status->state = RC_WORK_FAILED;
	rc_work_status_set_detail(status, "Remote work unit is gone");
	/* the bytes still missing will never come: report what is here, so a
	 * `work results` on this node ends (Go keeps the executor's size and
	 * such a stream never ends; docs/differences.md) */
	status->stdout_size = rc_work_statusfile_stdout_size(dir);
}

static void
monitor_member_done(Job *job)
{
	g_cancellable_cancel(job->mon_cancel); /* when either stops, the other is cancelled */
	if (--job->mon_active > 0)
		return;
	if (job->gone && !job_dead(job)) /* the fetcher has stopped: final local size */
		unit_update_full(job->ru->unit, gone_edit, job->ru->unit->dir);
	if (job->for_release && !g_cancellable_is_cancelled(job->cancel) && !job_dead(job)) {
		/* the executor's unit is gone: delete locally (3 tries, 4.1) */
		job_hold(job);
		rc_workceptor_release(job->ru->unit->wc, job->ru->unit, FALSE, release_logged,
				      NULL);
		job_drop(job);
	}
	job_drop(job);
}

/* --- status poller (3.1) */

typedef struct {
	Job *job;
	Conn *conn;
	char *remote_id;
	guint write_failures;
	guint deadline; /* reply deadline of the pending poll */
} Poller;

static void
poller_disarm(Poller *p)
{
	if (p->deadline != 0)
		g_source_remove(p->deadline);
	p->deadline = 0;
}

static gboolean
poller_deadline(gpointer user_data)
{
	Poller *p = user_data;
	p->deadline = 0;
	rc_log_warning("Status of work unit %s from %s stalled; reconnecting", p->job->ru->unit->id,
		       p->conn->node);
	g_cancellable_cancel(p->conn->cancel);
	return G_SOURCE_REMOVE;
}

static void poller_send(Poller *p);

static void
poller_end(Poller *p)
{
	Job *job = p->job;
	poller_disarm(p);
	conn_close(p->conn);
	g_free(p->remote_id);
	g_free(p);
	monitor_member_done(job);
}

static void
poller_connected(Conn *conn, const GError *error, gpointer user_data)
{
	Poller *p = user_data;
	if (conn == NULL) {
		poller_end(p);
		return;
	}
	p->conn = conn;
	poller_send(p);
}

static void
poller_reconnect(Poller *p)
{
	poller_disarm(p);
	g_clear_pointer(&p->conn, conn_close);
	get_connection(p->job, p->job->mon_cancel, poller_connected, p);
}

static gboolean
poller_wake(gpointer user_data)
{
	Poller *p = user_data;
	if (g_cancellable_is_cancelled(p->job->mon_cancel) || job_dead(p->job))
		poller_end(p);
	else
		poller_send(p);
	return G_SOURCE_REMOVE;
}


static void
poller_read(Conn *conn, const char *line, const GError *error, gpointer user_data)
{
	Poller *p = user_data;
	g_autoptr(RcWorkStatus) reply = NULL;

	poller_disarm(p);
	if (line == NULL) {
		if (g_cancellable_is_cancelled(p->job->mon_cancel)) {
			poller_end(p);
			return;
		}
		g_debug("Read error reading from %s: %s", p->conn->node, error->message);
		poller_reconnect(p);
		return;
	}
	if (strncmp(line, "ERROR", 5) == 0) {
		if (strstr(line, "unknown work unit") != NULL) {
			if (!p->job->for_release) {
				g_debug("Work unit %s on node %s is gone.", p->remote_id,
					p->conn->node);
				unit_update_full(p->job->ru->unit, gone_edit,
						 p->job->ru->unit->dir); /* R8 */
				p->job->gone = TRUE;
			}
		} else {
			g_autofree char *text = g_strndup(line + MIN(strlen(line), 6),
							  strcspn(line + MIN(strlen(line), 6), "\n"));
			rc_log_error("Remote error: %s", text);
		}
		poller_end(p);
		return;
	}
	/* Go unmarshals the reply into a status record; the status parser is
	 * depth-limited, so a hostile reply cannot exhaust the stack */
	reply = rc_work_status_new();
	rc_work_status_set_detail(reply, "");
	if (!rc_work_status_parse(reply, (const guint8 *)line, strlen(line), NULL)) {
		g_autofree char *trimmed = g_strndup(line, strcspn(line, "\n"));
		rc_log_error("Error unmarshalling JSON: %s", trimmed);
		poller_end(p);
		return;
	}
	if (!rc_work_unit_update_basic(p->job->ru->unit, reply->state, reply->detail,
				       reply->stdout_size)) { /* R7 */
		if (++p->write_failures > RC_WORK_REMOTE_MAX_WRITE_FAILURES) {
			rc_log_error("Exceeded retries for updating status file for work unit %s",
				     p->job->ru->unit->id);
			poller_end(p);
			return;
		}
	} else {
		p->write_failures = 0;
	}
	sleep_cancellable(RC_WORK_REMOTE_POLL_MS, p->job->mon_cancel, poller_wake, p);
}

static void
poller_written(Conn *conn, const GError *error, gpointer user_data)
{
	Poller *p = user_data;
	if (error != NULL) {
		if (g_cancellable_is_cancelled(p->job->mon_cancel)) {
			poller_end(p);
			return;
		}
		g_debug("Write error sending to %s: %s", p->remote_id, error->message);
		poller_reconnect(p);
		return;
	}
	conn_read_line(conn, poller_read, p);
}

static void
poller_send(Poller *p)
{
	/* a stream that stays alive but delivers nothing would hold the poller
	 * forever: give each poll a deadline (receptor-c, like the fetcher's) */
	p->deadline = g_timeout_add(RC_WORK_REMOTE_STALL_US / 1000, poller_deadline, p);
	conn_write(p->conn, g_strdup_printf("work status %s\n", p->remote_id), poller_written, p);
}

/* --- results fetcher (3.2) */

typedef struct {
	Job *job;
	Conn *conn;
	char *path;
	GOutputStream *out;
	char *remote_id;
	char *node;
	gint64 last_rx_us; /* last byte received on the current copy */
	guint watch;       /* stall watchdog of the current copy */
	gboolean stalled;
} Fetcher;

static gboolean fetcher_check(gpointer user_data);

static void
fetcher_unwatch(Fetcher *f)
{
	if (f->watch != 0)
		g_source_remove(f->watch);
	f->watch = 0;
}

static gboolean
fetcher_watch(gpointer user_data)
{
	Fetcher *f = user_data;
	RcWorkUnit *unit = f->job->ru->unit;
	if (g_get_monotonic_time() - f->last_rx_us < RC_WORK_REMOTE_STALL_US ||
	    unit->status->stdout_size <= rc_work_statusfile_stdout_size(unit->dir))
		return G_SOURCE_CONTINUE;
	rc_log_warning("Results of work unit %s from %s stalled; asking again from byte %" G_GINT64_FORMAT,
		       unit->id, f->node, rc_work_statusfile_stdout_size(unit->dir));
	f->stalled = TRUE;
	f->watch = 0;
	g_cancellable_cancel(f->conn->cancel);
	return G_SOURCE_REMOVE;
}

static void
fetcher_end(Fetcher *f)
{
	Job *job = f->job;
	fetcher_unwatch(f);
	conn_close(f->conn);
	g_clear_object(&f->out);
	g_free(f->path);
	g_free(f->remote_id);
	g_free(f->node);
	g_free(f);
	monitor_member_done(job);
}

static void
fetcher_next(Fetcher *f)
{
	fetcher_unwatch(f);
	f->stalled = FALSE;
	if (f->out != NULL) {
		g_output_stream_close(f->out, NULL, NULL);
		g_clear_object(&f->out);
	}
	g_clear_pointer(&f->conn, conn_close);
	sleep_cancellable(RC_WORK_REMOTE_FETCH_MS, f->job->mon_cancel, fetcher_check, f);
}

static void fetcher_copy_read(Fetcher *f);

static void
fetcher_copy_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fetcher *f = user_data;
	g_autoptr(GError) error = NULL;
	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error)) {
		rc_log_warning("Could not copy to stdout file %s: %s", f->path, error->message);
		fetcher_next(f);
		return;
	}
	fetcher_copy_read(f);
}

static void
fetcher_copy_read_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fetcher *f = user_data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	if (n < 0) {
		if (g_cancellable_is_cancelled(f->job->mon_cancel) || f->stalled) {
			/* abort the read (STOP_SENDING 499), then the connection (3.2) */
			rc_stream_cancel_read(f->conn->stream);
		} else {
			rc_log_warning("Could not copy to stdout file %s: %s", f->path,
				       error->message);
		}
		fetcher_next(f);
		return;
	}
	if (n == 0) {
		fetcher_next(f);
		return;
	}
	f->last_rx_us = g_get_monotonic_time();
	/* append every chunk completely before reading the next (3.3) */
	g_output_stream_write_all_async(f->out, f->conn->chunk, (gsize)n, G_PRIORITY_DEFAULT, NULL,
					fetcher_copy_written, f);
}

static void
fetcher_copy_read(Fetcher *f)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(f->conn->stream)),
				  f->conn->chunk, RC_WORK_REMOTE_CHUNK, G_PRIORITY_DEFAULT,
				  f->conn->cancel, fetcher_copy_read_done, f);
}

static void
fetcher_leftover_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fetcher *f = user_data;
	g_autoptr(GError) error = NULL;
	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error)) {
		rc_log_warning("Could not copy to stdout file %s: %s", f->path, error->message);
		fetcher_next(f);
		return;
	}
	g_string_truncate(f->conn->inbuf, 0);
	fetcher_copy_read(f);
}

static void
fetcher_header_read(Conn *conn, const char *line, const GError *error, gpointer user_data)
{
	Fetcher *f = user_data;
	char buf[128];
	int fd;

	if (line == NULL) {
		if (!g_cancellable_is_cancelled(f->job->mon_cancel))
			rc_log_warning("Read error reading from %s: %s", f->node, error->message);
		fetcher_next(f);
		return;
	}
	if (strstr(line, "Streaming results") == NULL) {
		rc_log_warning("Remote node %s did not stream results", f->node);
		fetcher_next(f);
		return;
	}
	fd = open(f->path, O_CREAT | O_APPEND | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		int saved = errno;
		rc_log_error("Could not open stdout file %s: %s", f->path,
			     rc_work_errno_text(saved, buf, sizeof(buf)));
		fetcher_end(f);
		return;
	}
	f->out = g_unix_output_stream_new(fd, TRUE);
	f->last_rx_us = g_get_monotonic_time();
	if (conn->inbuf->len > 0) {
		g_output_stream_write_all_async(f->out, conn->inbuf->str, conn->inbuf->len,
						G_PRIORITY_DEFAULT, NULL, fetcher_leftover_written,
						f);
		return;
	}
	fetcher_copy_read(f);
}

static void
fetcher_request_written(Conn *conn, const GError *error, gpointer user_data)
{
	Fetcher *f = user_data;
	if (error != NULL) {
		if (!g_cancellable_is_cancelled(f->job->mon_cancel))
			rc_log_warning("Write error sending to %s: %s", f->node, error->message);
		fetcher_next(f);
		return;
	}
	conn_read_line(conn, fetcher_header_read, f);
}

static void
fetcher_connected(Conn *conn, const GError *error, gpointer user_data)
{
	Fetcher *f = user_data;
	g_autoptr(GHashTable) cmd = request_table();
	g_autoptr(Extra) e = NULL;
	g_autoptr(GError) local = NULL;
	gint64 disk;

	if (conn == NULL) {
		fetcher_end(f);
		return;
	}
	f->conn = conn;
	/* the stall watchdog covers the request, the header and the copy */
	f->last_rx_us = g_get_monotonic_time();
	f->watch = g_timeout_add_seconds(1, fetcher_watch, f);
	e = unit_extra(f->job->ru->unit);
	disk = rc_work_statusfile_stdout_size(f->job->ru->unit->dir); /* startpos = file size (3.3) */
	table_set_string(cmd, "command", "work");
	table_set_string(cmd, "subcommand", "results");
	table_set_string(cmd, "unitid", f->remote_id);
	g_hash_table_replace(cmd, g_strdup("startpos"), g_strdup_printf("%" G_GINT64_FORMAT, disk));
	if (e->sign_work) {
		g_autofree char *token = make_signature(job_core(f->job), e->node, &local);
		if (token == NULL) {
			rc_log_error("could not create signature to get results");
			fetcher_end(f);
			return;
		}
		table_set_string(cmd, "signature", token);
	}
	conn_write(conn, json_line(cmd), fetcher_request_written, f);
}

static gboolean
fetcher_check(gpointer user_data)
{
	Fetcher *f = user_data;
	RcWorkUnit *unit = f->job->ru->unit;
	gint64 disk, remote, state;

	if (g_cancellable_is_cancelled(f->job->mon_cancel) || job_dead(f->job)) {
		fetcher_end(f);
		return G_SOURCE_REMOVE;
	}
	disk = rc_work_statusfile_stdout_size(unit->dir);
	remote = unit->status->stdout_size;
	state = unit->status->state;
	/* done: complete and every byte here; receptor-c also ends a Canceled
	 * unit's monitors once its bytes are here (3.4, docs/differences.md) */
	if ((rc_work_state_is_complete(state) || state == RC_WORK_CANCELED) && disk >= remote) {
		fetcher_end(f);
		return G_SOURCE_REMOVE;
	}
	if (disk >= remote) {
		sleep_cancellable(RC_WORK_REMOTE_FETCH_MS, f->job->mon_cancel, fetcher_check, f);
		return G_SOURCE_REMOVE;
	}
	get_connection(f->job, f->job->mon_cancel, fetcher_connected, f);
	return G_SOURCE_REMOVE;
}

static void
monitor_start(Job *job)
{
	g_autoptr(Extra) e = unit_extra(job->ru->unit);
	Poller *p;

	job_hold(job); /* released by the last monitor member */
	job->mon_cancel = g_cancellable_new();
	job->mon_handler = g_cancellable_connect(job->cancel, G_CALLBACK(conn_parent_cancelled),
						 job->mon_cancel, NULL);
	p = g_new0(Poller, 1);
	p->job = job;
	p->remote_id = g_strdup(e->unit_id);
	job->mon_active = 1;
	if (!job->for_release) {
		Fetcher *f = g_new0(Fetcher, 1);
		char buf[128];
		int fd;
		f->job = job;
		f->path = g_build_filename(job->ru->unit->dir, "stdout", NULL);
		f->remote_id = g_strdup(e->unit_id);
		f->node = g_strdup(e->node);
		fd = open(f->path, O_CREAT | O_APPEND | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0) {
			int saved = errno;
			rc_log_error("Could not open stdout file %s: %s", f->path,
				     rc_work_errno_text(saved, buf, sizeof(buf)));
			g_free(f->path);
			g_free(f->remote_id);
			g_free(f->node);
			g_free(f);
		} else {
			close(fd);
			job->mon_active++;
			sleep_cancellable(0, job->mon_cancel, fetcher_check, f);
		}
	}
	get_connection(job, job->mon_cancel, poller_connected, p);
}

/* ------------------------------------------------------------ orphans */

/* A submission that failed or was abandoned after the executor created its
 * unit (a rejected payload, a start error, ttl expiry or a local cancel in
 * the middle of the exchange) leaves that unit behind in Go (pitfall 8).
 * receptor-c asks the executor once to release it. */
typedef struct {
	RemoteUnit *ru; /* (ref) */
	char *rid;
	char *node;
} Orphan;

static void
orphan_free(Orphan *o)
{
	remote_unit_unref(o->ru);
	g_free(o->rid);
	g_free(o->node);
	g_free(o);
}

static void
orphan_read(Conn *conn, const char *line, const GError *error, gpointer user_data)
{
	Orphan *o = user_data;
	g_autofree char *trimmed = line != NULL ? g_strndup(line, strcspn(line, "\n")) : NULL;
	g_info("Released remote unit %s on %s left by a failed submission: %s", o->rid, o->node,
	       trimmed != NULL ? trimmed : error->message);
	conn_close(conn);
	orphan_free(o);
}

static void
orphan_written(Conn *conn, const GError *error, gpointer user_data)
{
	Orphan *o = user_data;
	if (error != NULL) {
		g_info("Could not release remote unit %s on %s: %s", o->rid, o->node,
		       error->message);
		conn_close(conn);
		orphan_free(o);
		return;
	}
	conn_read_line(conn, orphan_read, o);
}

static void
orphan_connected(Conn *conn, const GError *error, gpointer user_data)
{
	Orphan *o = user_data;
	g_autoptr(Extra) e = unit_extra(o->ru->unit);
	g_autoptr(GHashTable) cmd = request_table();
	g_autoptr(GError) local = NULL;

	if (conn == NULL) {
		g_info("Could not release remote unit %s on %s: %s", o->rid, o->node,
		       error->message);
		orphan_free(o);
		return;
	}
	table_set_string(cmd, "command", "work");
	table_set_string(cmd, "subcommand", "release");
	table_set_string(cmd, "unitid", o->rid);
	if (e->sign_work) {
		g_autofree char *token = NULL;
		if (o->ru->mod == NULL ||
		    (token = make_signature(o->ru->mod->core, o->node, &local)) == NULL) {
			g_info("Could not release remote unit %s on %s: %s", o->rid, o->node,
			       local != NULL ? local->message : "no signing key");
			conn_close(conn);
			orphan_free(o);
			return;
		}
		table_set_string(cmd, "signature", token);
	}
	conn_write(conn, json_line(cmd), orphan_written, o);
}

static void
orphan_release(RemoteUnit *ru)
{
	g_autoptr(Extra) e = unit_extra(ru->unit);
	Orphan *o;

	if (e->unit_id[0] == '\0' || e->started || ru->mod == NULL || ru->mod->closing)
		return;
	o = g_new0(Orphan, 1);
	o->ru = remote_unit_ref(ru);
	o->rid = g_strdup(e->unit_id);
	o->node = g_strdup(e->node);
	conn_open(ru, NULL, orphan_connected, o);
}

/* ------------------------------------------------------------ runAndMonitor */

static void
first_report(Job *job, FirstResult result, const GError *error)
{
	FirstFunc first = g_steal_pointer(&job->first);
	if (first != NULL)
		first(job, result, error, job->first_data);
}

static void
restart_failed_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	g_autofree char *detail = g_strdup_printf("Failed to restart: %s", (const char *)user_data);
	status->state = RC_WORK_FAILED;
	rc_work_status_set_detail(status, detail);
}

static void
background_action_done(Job *job, const GError *error)
{
	if (error != NULL) {
		if (!g_cancellable_is_cancelled(job->cancel))
			rc_log_error("Error running action function: %s", error->message);
		if (job->action == ACTION_START) {
			/* Go leaves the unit Pending "Starting Worker" (pitfall 7, Q3):
			 * fail it as the synchronous path does */
			if (!g_cancellable_is_cancelled(job->cancel) && !job_dead(job)) {
				g_autofree char *detail =
					g_strdup_printf("Error starting worker: %s", error->message);
				rc_work_unit_update_basic(job->ru->unit, RC_WORK_FAILED, detail, 0);
			}
			orphan_release(job->ru);
		}
		job_drop(job);
		return;
	}
	monitor_start(job);
	job_drop(job);
}

static void
background_connected(Conn *conn, const GError *error, gpointer user_data)
{
	Job *job = user_data;
	if (conn == NULL) {
		job_drop(job);
		return;
	}
	action_run(job, conn, background_action_done);
}

static void
first_action_done(Job *job, const GError *error)
{
	if (error != NULL) {
		if (job->restart && !job_dead(job))
			unit_update_full(job->ru->unit, restart_failed_edit, error->message);
		first_report(job, FIRST_ERROR, error);
		if (job->action == ACTION_START)
			orphan_release(job->ru);
		job_drop(job);
		return;
	}
	first_report(job, FIRST_OK, NULL);
	monitor_start(job);
	job_drop(job);
}

static void
first_connected(Conn *conn, const GError *error, gpointer user_data)
{
	Job *job = user_data;
	if (conn == NULL) {
		/* could not connect: answer "pending" and keep trying (2.2) */
		first_report(job, FIRST_PENDING, error);
		get_connection(job, job->cancel, background_connected, job);
		return;
	}
	action_run(job, conn, first_action_done);
}

/* The job's main activity (the initial reference from job_new). */
static void
run_and_monitor(Job *job)
{
	conn_open(job->ru, job->cancel, first_connected, job);
}

/* --- ttl (4.3) */

static void
expired_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	g_autoptr(GDateTime) t = expiration_parse(e->expiration);
	g_autofree char *when = t != NULL ? rc_work_remote_format_expiry(t) : g_strdup("");
	g_autofree char *detail = g_strdup_printf("Work unit expired on %s", when);
	rc_work_status_set_detail(status, detail);
	status->state = RC_WORK_FAILED;
}

static gboolean
ttl_fired(gpointer user_data)
{
	Job *job = user_data;
	if (!g_cancellable_is_cancelled(job->ttl_cancel) &&
	    !g_cancellable_is_cancelled(job->cancel) && !job_dead(job)) {
		g_autoptr(Extra) e = unit_extra(job->ru->unit);
		if (!e->started) {
			unit_update_full(job->ru->unit, expired_edit, NULL); /* R10 */
			g_cancellable_cancel(job->cancel);
		}
	}
	job_drop(job);
	return G_SOURCE_REMOVE;
}

static void
ttl_arm(Job *job, GDateTime *expiration)
{
	gint64 now = g_get_real_time();
	gint64 at = g_date_time_to_unix(expiration) * G_USEC_PER_SEC +
		    g_date_time_get_microsecond(expiration);
	gint64 wait_ms = at > now ? (at - now + 999) / 1000 : 0;
	job_hold(job);
	sleep_cancellable((guint)MIN(wait_ms, (gint64)G_MAXUINT), job->ttl_cancel, ttl_fired, job);
	/* the ttl timer also ends with the job */
	job->ttl_handler = g_cancellable_connect(job->cancel, G_CALLBACK(conn_parent_cancelled),
						 job->ttl_cancel, NULL);
}

/* ------------------------------------------------------------ work type ops */

static gboolean
remote_unit_start(gpointer type_data, RcWorkUnit *unit, GError **error)
{
	g_set_error_literal(error, RC_ERROR, RC_ERROR_UNSUPPORTED,
			    "remote units start through work submit");
	return FALSE;
}

static gboolean
remote_unit_restart(gpointer type_data, RcWorkUnit *unit, GError **error)
{
	RemoteMod *mod = type_data;
	g_autoptr(Extra) e = unit_extra(unit);
	RemoteUnit *ru;
	Job *job;

	if (!e->started) {
		/* R13; the local size is reported (6) */
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED,
				    "remote work had not previously started");
		return FALSE;
	}
	ru = remote_unit_get(mod, unit);
	if (ru->job != NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED,
				    "start or monitor process already running");
		return FALSE;
	}
	if (e->released) {
		job = job_new(ru, ACTION_RELEASE, TRUE);
		job->restart = TRUE;
		run_and_monitor(job);
	} else if (e->cancelled) {
		/* receptor-c keeps a cancelled-only unit until it is released
		 * (docs/differences.md, 10 pitfall 9) */
		job = job_new(ru, ACTION_CANCEL, FALSE);
		job->restart = TRUE;
		run_and_monitor(job);
	} else {
		job = job_new(ru, ACTION_START, FALSE);
		monitor_start(job);
		job_drop(job);
	}
	return TRUE;
}

static void
remote_unit_cancel(gpointer type_data, RcWorkUnit *unit)
{
	/* the remote side is handled by rc_work_remote_cancel_release */
}

static void
remote_unit_release(gpointer type_data, RcWorkUnit *unit)
{
	RemoteMod *mod = type_data;
	RemoteUnit *ru = g_hash_table_lookup(mod->units, unit->id);
	if (ru == NULL || ru->unit != unit)
		return;
	unit_stop_job(ru, NULL, NULL);
	g_hash_table_remove(mod->units, unit->id);
}

static const RcWorkTypeOps remote_ops = {
	.struct_size = sizeof(RcWorkTypeOps),
	.unit_start = remote_unit_start,
	.unit_restart = remote_unit_restart,
	.unit_cancel = remote_unit_cancel,
	.unit_release = remote_unit_release,
};

static void
remote_mod_free(RemoteMod *mod)
{
	GHashTableIter iter;
	gpointer value;

	mod->closing = TRUE;
	g_hash_table_iter_init(&iter, mod->units);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RemoteUnit *ru = value;
		ru->mod = NULL;
		unit_stop_job(ru, NULL, NULL);
	}
	g_hash_table_unref(mod->units);
	g_free(mod);
}

void
rc_work_remote_setup(RcWorkceptor *wc, RcWorkType *remote_type)
{
	RemoteMod *mod = g_new0(RemoteMod, 1);
	mod->wc = wc;
	mod->core = rc_workceptor_get_core(wc);
	mod->units = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					   (GDestroyNotify)remote_unit_unref);
	remote_type->ops = &remote_ops;
	remote_type->type_data = mod;
	rc_core_add_cleanup(mod->core, (GDestroyNotify)remote_mod_free, mod);
}

/* ------------------------------------------------------------ submit */

typedef struct {
	RcControlRequest *req;
	RcWorkceptor *wc;
	RcWorkUnit *unit;
	GOutputStream *stdin_out;
} Submit;

static void
submit_free(Submit *s)
{
	g_clear_object(&s->stdin_out);
	rc_work_unit_unref(s->unit);
	g_free(s);
}

static void
reply_pair(RcControlRequest *req, const char *k1, const char *v1, const char *k2,
	   const char *v2)
{
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(JsonNode) node = NULL;
	json_builder_begin_object(b);
	json_builder_set_member_name(b, k1);
	json_builder_add_string_value(b, v1);
	if (k2 != NULL) {
		json_builder_set_member_name(b, k2);
		json_builder_add_string_value(b, v2);
	}
	json_builder_end_object(b);
	node = json_builder_get_root(b);
	rc_control_request_reply_json(req, node);
}

static void
submit_first(Job *job, FirstResult result, const GError *error, gpointer user_data)
{
	Submit *s = user_data;
	switch (result) {
	case FIRST_OK:
		reply_pair(s->req, "result", "Job Started", "unitid", s->unit->id);
		break;
	case FIRST_PENDING:
		reply_pair(s->req, "result", "Job Submitted", "unitid", s->unit->id);
		break;
	case FIRST_ERROR:
	default: {
		/* R6 */
		g_autofree char *detail =
			g_strdup_printf("Error starting worker: %s", error->message);
		rc_work_unit_update_basic(s->unit, RC_WORK_FAILED, detail, 0);
		rc_control_request_reply_error(s->req, error->message);
		break;
	}
	}
	submit_free(s);
}

static void
submit_payload_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Submit *s = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(Extra) e = NULL;
	g_autoptr(GDateTime) expiration = NULL;
	RemoteMod *mod = mod_from_wc(s->wc);
	RemoteUnit *ru;
	Job *job;

	if (rc_copy_finish(result, NULL, &error) < 0) {
		g_autofree char *detail = g_strdup_printf("Error reading input data: %s",
							  error->message);
		rc_work_unit_update_basic(s->unit, RC_WORK_FAILED, detail, 0); /* R3 */
		rc_control_request_reply_error(s->req, error->message);
		submit_free(s);
		return;
	}
	rc_work_unit_update_basic(s->unit, RC_WORK_PENDING, "Starting Worker", -1);
	ru = remote_unit_get(mod, s->unit);
	if (ru->job != NULL) {
		g_autofree char *detail = g_strdup(
			"Error starting worker: start or monitor process already running");
		rc_work_unit_update_basic(s->unit, RC_WORK_FAILED, detail, 0);
		rc_control_request_reply_error(s->req, "start or monitor process already running");
		submit_free(s);
		return;
	}
	e = unit_extra(s->unit);
	job = job_new(ru, ACTION_START, FALSE);
	job->first = submit_first;
	job->first_data = s;
	expiration = expiration_parse(e->expiration);
	if (expiration != NULL)
		ttl_arm(job, expiration);
	run_and_monitor(job);
}

static void
submit_header_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Submit *s = user_data;
	if (!rc_control_request_write_finish(s->req, result, NULL)) {
		rc_work_unit_update_basic(s->unit, RC_WORK_FAILED,
					  "Error reading input data: client went away", 0);
		rc_control_request_close(s->req);
		submit_free(s);
		return;
	}
	/* store and forward: the whole payload goes to stdin first (1.2) */
	rc_copy_async(rc_control_request_get_input(s->req), s->stdin_out, RC_WORK_REMOTE_CHUNK,
		      RC_COPY_CLOSE_OUTPUT, rc_control_request_get_cancellable(s->req),
		      submit_payload_done, s);
}

typedef struct {
	const char *node;
	const char *work_type;
	const char *tls_client;
	const char *expiration;
	gboolean sign_work;
	GVariant *params;
} AllocArgs;

static void
alloc_params_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	AllocArgs *a = user_data;
	GVariantIter iter;
	const char *k;
	GVariant *v;
	g_variant_iter_init(&iter, a->params);
	while (g_variant_iter_next(&iter, "{&sv}", &k, &v)) {
		if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
			g_hash_table_replace(e->params, g_strdup(k),
					     g_variant_dup_string(v, NULL));
		g_variant_unref(v);
	}
}

static void
alloc_final_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	AllocArgs *a = user_data;
	g_free(e->node);
	e->node = g_strdup(a->node);
	g_free(e->work_type);
	e->work_type = g_strdup(a->work_type);
	g_free(e->tls_client);
	e->tls_client = g_strdup(a->tls_client);
	g_free(e->expiration);
	e->expiration = g_strdup(a->expiration);
	e->sign_work = a->sign_work;
}

void
rc_work_remote_submit(RcControlRequest *req, RcWorkceptor *wc, const char *node,
		      const char *worktype, const char *tlsclient, const char *ttl,
		      gboolean signwork, GVariant *params)
{
	RcCore *core = rc_workceptor_get_core(wc);
	g_autoptr(GVariant) owned_params = g_variant_ref_sink(params);
	g_autoptr(GError) error = NULL;
	g_autofree char *expiration = g_strdup(ZERO_TIME);
	g_autofree char *stdin_path = NULL;
	g_autofree char *header = NULL;
	g_autofree char *extra_text = NULL;
	g_autoptr(Extra) e = extra_new();
	AllocArgs args = { 0 };
	GVariantIter iter;
	const char *k;
	RcWorkUnit *unit;
	Submit *s;
	char buf[128];
	int fd;

	if (mod_from_wc(wc) == NULL) {
		rc_control_request_reply_error(req, "remote work is not available");
		return;
	}
	/* step 1 */
	if (tlsclient != NULL && tlsclient[0] != '\0') {
		if (core->tls == NULL) {
			rc_control_request_reply_errorf(req, "unknown TLS config %s", tlsclient);
			return;
		}
		if (!rc_tls_store_check(core->tls, tlsclient, FALSE, &error)) {
			rc_control_request_reply_error(req, error->message);
			return;
		}
	}
	/* step 2 */
	g_variant_iter_init(&iter, owned_params);
	while (g_variant_iter_next(&iter, "{&sv}", &k, NULL)) {
		if (is_secret_key(k) && (tlsclient == NULL || tlsclient[0] == '\0')) {
			rc_control_request_reply_error(
				req, "cannot send secrets over a non-TLS connection");
			return;
		}
	}
	/* step 3: the unit with RemoteParams, everything else empty */
	args.node = node;
	args.work_type = worktype;
	args.tls_client = tlsclient != NULL ? tlsclient : "";
	args.sign_work = signwork;
	args.params = owned_params;
	alloc_params_edit(e, NULL, &args);
	extra_text = extra_to_json(e, FALSE);
	unit = rc_workceptor_allocate_remote(wc, owned_params, extra_text, &error);
	if (unit == NULL) {
		rc_control_request_reply_error(req, error->message);
		return;
	}
	/* step 4: ttl (the unit stays on a parse error, 1.2) */
	if (ttl != NULL && ttl[0] != '\0') {
		gint64 ttl_ns = 0;
		g_autoptr(GDateTime) now = g_date_time_new_now_local();
		g_autoptr(GDateTime) at = NULL;
		if (!rc_duration_parse_ns(ttl, &ttl_ns, &error)) {
			rc_control_request_reply_error(req, error->message);
			return;
		}
		at = g_date_time_add(now, ttl_ns / 1000);
		g_free(expiration);
		expiration = rc_control_format_time(at);
		if (signwork) {
			gint64 lifetime_us = RC_WORK_SIGN_DEFAULT_LIFETIME_US;
			rc_work_sign_private_key_path(core, &lifetime_us);
			if (ttl_ns / 1000 > lifetime_us)
				rc_log_warning("json web token expires before ttl");
		}
	}
	/* step 5 */
	args.expiration = expiration;
	unit_update_full(unit, alloc_final_edit, &args);

	/* the common submit path (work.md 4.2 steps 3-5) */
	stdin_path = g_build_filename(unit->dir, "stdin", NULL);
	fd = open(stdin_path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int saved = errno;
		g_autofree char *msg = g_strdup_printf("open %s: %s", stdin_path,
						       rc_work_errno_text(saved, buf, sizeof(buf)));
		g_autofree char *detail = g_strdup_printf("Error reading input data: %s", msg);
		rc_work_unit_update_basic(unit, RC_WORK_FAILED, detail, 0);
		rc_control_request_reply_error(req, msg);
		return;
	}
	rc_work_unit_update_basic(unit, RC_WORK_PENDING, "Waiting for Input Data", -1);
	s = g_new0(Submit, 1);
	s->req = req;
	s->wc = wc;
	s->unit = rc_work_unit_ref(unit);
	s->stdin_out = g_unix_output_stream_new(fd, TRUE);
	header = g_strdup_printf("Work unit created with ID %s. Send stdin data and EOF.\n",
				 unit->id);
	rc_control_request_write_async(req, header, -1, submit_header_written, s);
}

/* ------------------------------------------------------------ cancel / release */

typedef struct {
	RcControlRequest *req;
	RcWorkceptor *wc;
	RemoteUnit *ru; /* (ref) */
	gboolean release;
	gboolean force;
	char *id;
} CancelOp;

static void
cancel_op_free(CancelOp *op)
{
	remote_unit_unref(op->ru);
	g_free(op->id);
	g_free(op);
}

static void
local_release_done(RcWorkUnit *unit, const GError *error, gpointer user_data)
{
	CancelOp *op = user_data;
	if (error != NULL)
		rc_control_request_reply_error(op->req, error->message);
	else
		reply_pair(op->req, "released", op->id, NULL, NULL);
	cancel_op_free(op);
}

static void
cancel_first(Job *job, FirstResult result, const GError *error, gpointer user_data)
{
	CancelOp *op = user_data;
	const char *key = op->release ? "released" : "cancelled";
	switch (result) {
	case FIRST_OK:
		reply_pair(op->req, key, op->id, NULL, NULL);
		break;
	case FIRST_PENDING:
		reply_pair(op->req, op->release ? "release pending" : "cancel pending", op->id,
			   NULL, NULL);
		break;
	case FIRST_ERROR:
	default:
		rc_control_request_reply_error(op->req, error->message);
		break;
	}
	cancel_op_free(op);
}

static void
force_release_done(Job *job, const GError *error)
{
	CancelOp *op = job->first_data;
	if (error != NULL)
		rc_log_error("Error with connect and run: %s", error->message);
	job->first = NULL;
	job_drop(job);
	rc_workceptor_release(op->wc, op->ru->unit, TRUE, local_release_done, op);
}

static void
force_release_connected(Conn *conn, const GError *error, gpointer user_data)
{
	Job *job = user_data;
	if (conn == NULL) {
		force_release_done(job, error);
		return;
	}
	action_run(job, conn, force_release_done);
}

static void
locally_cancelled_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	status->state = RC_WORK_FAILED;
	rc_work_status_set_detail(status, "Locally Cancelled");
	status->stdout_size = 0;
}

/* After the previous job ended. */
static void
cancel_op_go(gpointer user_data)
{
	CancelOp *op = user_data;
	RemoteUnit *ru = op->ru;
	g_autoptr(Extra) e = unit_extra(ru->unit);
	Job *job;

	if (ru->mod == NULL || ru->unit->released) {
		rc_control_request_reply_errorf(op->req, "unknown work unit %s", op->id);
		cancel_op_free(op);
		return;
	}
	if (!e->started) {
		if (op->release) {
			rc_workceptor_release(op->wc, ru->unit, TRUE, local_release_done, op);
			return;
		}
		unit_update_full(ru->unit, locally_cancelled_edit, NULL); /* R12 */
		reply_pair(op->req, "cancelled", op->id, NULL, NULL);
		cancel_op_free(op);
		return;
	}
	if (op->release && op->force) {
		/* one attempt, errors only logged; then delete locally (4.1) */
		job = job_new(ru, ACTION_RELEASE, FALSE);
		job->first_data = op;
		conn_open(ru, job->cancel, force_release_connected, job);
		return;
	}
	job = job_new(ru, op->release ? ACTION_RELEASE : ACTION_CANCEL, op->release);
	job->first = cancel_first;
	job->first_data = op;
	run_and_monitor(job);
}

static void
cancel_flags_edit(Extra *e, RcWorkStatus *status, gpointer user_data)
{
	CancelOp *op = user_data;
	e->cancelled = TRUE; /* R11 */
	if (op->release)
		e->released = TRUE;
}

void
rc_work_remote_cancel_release(RcControlRequest *req, RcWorkceptor *wc, RcWorkUnit *unit,
			      const char *sub)
{
	RemoteMod *mod = mod_from_wc(wc);
	CancelOp *op;
	RemoteUnit *ru;

	if (mod == NULL) {
		rc_control_request_reply_error(req, "remote work is not available");
		return;
	}
	ru = remote_unit_get(mod, unit);
	op = g_new0(CancelOp, 1);
	op->req = req;
	op->wc = wc;
	op->ru = remote_unit_ref(ru);
	op->id = g_strdup(unit->id);
	op->release = !g_str_equal(sub, "cancel");
	op->force = g_str_equal(sub, "force-release");
	unit_update_full(unit, cancel_flags_edit, op);
	/* stop the start attempt or monitor and wait for it (4.1) */
	unit_stop_job(ru, cancel_op_go, op);
}
