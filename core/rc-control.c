/* rc-control.c: control sessions and framing (control.md 2), the command
 * table, and the `control-service` entity with its Unix, TCP(/TLS) and mesh
 * listeners (control.md 1). */
#include "config.h"

#include "rc-control.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>

#include "rc-control-parse.h"
#include "rc-copy.h"
#include "rc-control-private.h"
#include "rc-entity.h"
#include "rc-host-calls.h"
#include "rc-limits.h"
#if RC_CONTROL_WITH_TLS
#include "rc-tls.h"
#endif
#if RC_CONTROL_WITH_STREAMS
#include "rc-stream.h"
#endif

typedef struct {
	RcControlFunc func;
	RcControlCommandFunc plugin_func;
	gpointer user_data;
} RcControlCommand;

struct _RcControl {
	RcCore *core;
	GHashTable *commands; /* name -> RcControlCommand* */
	GHashTable *sessions; /* RcControlSession* set */
	GCancellable *cancellable;
};

typedef struct _RcControlBridge RcControlBridge;

typedef struct {
	gint ref;
	RcControl *control; /* NULL once the module is gone */
	GIOStream *stream;
	GInputStream *in; /* buffered over the stream's input: no byte is lost */
	GOutputStream *out;
	gboolean is_unix;
	char *peer;
	GByteArray *line;
	gboolean eof;
	gboolean closing;
	RcControlRequest *current;
	RcControlBridge *bridge; /* while `connect` bridges the connection */
	GCancellable *cancellable; /* the module's: cancelled at shutdown */
} RcControlSession;

struct _RcControlRequest {
	RcControlSession *session;
	RcControlLine *line;
	gboolean done;
};

static void session_read(RcControlSession *session);
static void session_close(RcControlSession *session);
static void bridge_stop(RcControlBridge *bridge);

/* ------------------------------------------------------------------ sessions */

static RcControlSession *
session_ref(RcControlSession *session)
{
	g_atomic_int_inc(&session->ref);
	return session;
}

static void
session_unref(RcControlSession *session)
{
	if (!g_atomic_int_dec_and_test(&session->ref))
		return;
	g_clear_object(&session->in);
	g_clear_object(&session->stream);
	g_clear_object(&session->cancellable);
	g_free(session->peer);
	g_byte_array_unref(session->line);
	g_free(session);
}

static void
session_closed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlSession *session = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_io_stream_close_finish(G_IO_STREAM(source), res, &error))
		g_debug("control session %s: close: %s", session->peer, error->message);
	session_unref(session);
}

/* End the session: close the connection, forget the session. */
static void
session_close(RcControlSession *session)
{
	if (session->closing)
		return;
	if (session->bridge != NULL) {
		/* the bridge's copies hold the connection: stop them; the
		 * bridge closes the session when they are done */
		bridge_stop(session->bridge);
		return;
	}
	session->closing = TRUE;
	if (session->control != NULL) {
		g_hash_table_remove(session->control->sessions, session);
		/* after a burst of sessions give the freed heap back to the system,
		 * so the daemon's RSS returns to its idle size */
		if (g_hash_table_size(session->control->sessions) == 0)
			malloc_trim(0);
		session->control = NULL;
	}
	g_io_stream_close_async(session->stream, G_PRIORITY_DEFAULT, NULL, session_closed_cb,
				session_ref(session));
	session_unref(session); /* the table's reference */
}

typedef struct {
	RcControlSession *session;
	GBytes *bytes;
	gboolean then_read;
} WriteOp;

static void
session_write_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	WriteOp *op = user_data;
	RcControlSession *session = op->session;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error)) {
		/* a client that went away: end quietly (control.md 2.7) */
		g_debug("control session %s: write: %s", session->peer, error->message);
		session_close(session);
	} else if (op->then_read && !session->closing) {
		session_read(session);
	}
	g_bytes_unref(op->bytes);
	session_unref(session);
	g_free(op);
}

/* Write `text` and then go on reading commands. */
static void
session_write_then_read(RcControlSession *session, GString *text)
{
	WriteOp *op;

	if (session->closing)
		return;
	if (text->len == 0) {
		session_read(session);
		return;
	}
	op = g_new0(WriteOp, 1);
	op->session = session_ref(session);
	op->bytes = g_bytes_new(text->str, text->len);
	op->then_read = TRUE;
	g_output_stream_write_all_async(session->out, g_bytes_get_data(op->bytes, NULL),
					g_bytes_get_size(op->bytes), G_PRIORITY_DEFAULT, NULL,
					session_write_cb, op);
}

static void
append_error_line(GString *out, const char *message)
{
	gsize start;

	g_string_append(out, "ERROR: ");
	start = out->len;
	g_string_append(out, message);
	/* one line whatever the message holds (control.md 2.6) */
	for (gsize i = start; i < out->len; i++) {
		if (out->str[i] == '\n' || out->str[i] == '\r')
			out->str[i] = ' ';
	}
	g_string_append_c(out, '\n');
}

static RcControlRequest *
request_new(RcControlSession *session, RcControlLine *line)
{
	RcControlRequest *req = g_new0(RcControlRequest, 1);
	req->session = session_ref(session);
	req->line = line;
	session->current = req;
	return req;
}

static void
request_free(RcControlRequest *req)
{
	req->session->current = NULL;
	session_unref(req->session);
	rc_control_line_free(req->line);
	g_free(req);
}

static void
dispatch(RcControlSession *session, RcControlLine *line_owned)
{
	g_autoptr(RcControlLine) line = line_owned;
	g_autoptr(GString) out = g_string_new(NULL);
	RcControlCommand *cmd = NULL;
	RcControlRequest *req;

	switch (line->kind) {
	case RC_CONTROL_LINE_EMPTY:
		session_read(session);
		return;
	case RC_CONTROL_LINE_BAD_JSON:
		/* two lines, as Go (control.md 2.3, 9 Q2) */
		append_error_line(out, line->error);
		append_error_line(out, "Unknown command");
		session_write_then_read(session, out);
		return;
	case RC_CONTROL_LINE_TEXT:
	case RC_CONTROL_LINE_JSON:
	default:
		break;
	}
	if (session->control != NULL)
		cmd = g_hash_table_lookup(session->control->commands, line->command);
	if (cmd == NULL) {
		append_error_line(out, "Unknown command");
		session_write_then_read(session, out);
		return;
	}
	req = request_new(session, g_steal_pointer(&line));
	if (cmd->func != NULL) {
		cmd->func(req, cmd->user_data);
	} else {
		g_autoptr(GVariant) args = NULL;
		if (req->line->kind == RC_CONTROL_LINE_JSON) {
			g_autoptr(JsonNode) node =
				json_node_init_object(json_node_alloc(), req->line->json);
			args = rc_control_json_to_variant(node);
		} else {
			GVariantBuilder b;
			g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
			g_variant_builder_add(&b, "{sv}", "command",
					      g_variant_new_string(req->line->command));
			g_variant_builder_add(&b, "{sv}", "rest",
					      g_variant_new_string(req->line->rest));
			args = g_variant_ref_sink(g_variant_builder_end(&b));
		}
		cmd->plugin_func(req, args, cmd->user_data);
	}
}

static void session_fill_cb(GObject *source, GAsyncResult *res, gpointer user_data);

/* Collect bytes up to '\n' from the buffer; dispatch a complete line; fill
 * the buffer when it is empty.  Bytes after the '\n' stay buffered for the
 * next consumer (control.md 2.2). */
static void
session_read(RcControlSession *session)
{
	GBufferedInputStream *bin = G_BUFFERED_INPUT_STREAM(session->in);

	while (!session->closing) {
		gsize avail = g_buffered_input_stream_get_available(bin);
		const guint8 *buf;
		const guint8 *nl;
		gsize take;

		if (avail == 0) {
			if (session->eof) {
				if (session->line->len > 0) {
					/* a last line without '\n' still runs (control.md 2.2) */
					RcControlLine *line = rc_control_line_parse(
						session->line->data, session->line->len);
					g_byte_array_set_size(session->line, 0);
					dispatch(session, line);
				} else {
					session_close(session);
				}
				return;
			}
			g_buffered_input_stream_fill_async(bin, -1, G_PRIORITY_DEFAULT, NULL,
							   session_fill_cb, session_ref(session));
			return;
		}
		buf = g_buffered_input_stream_peek_buffer(bin, &avail);
		nl = memchr(buf, '\n', avail);
		take = nl != NULL ? (gsize)(nl - buf) : avail;
		if (session->line->len + take > RC_CONTROL_MAX_LINE) {
			g_autoptr(GString) out = g_string_new(NULL);
			WriteOp *op;

			rc_log_error("control session %s: command line longer than %d bytes, closing",
				     session->peer, RC_CONTROL_MAX_LINE);
			append_error_line(out, "command line too long");
			op = g_new0(WriteOp, 1);
			op->session = session_ref(session);
			op->bytes = g_bytes_new(out->str, out->len);
			g_output_stream_write_all_async(session->out, out->str, out->len,
							G_PRIORITY_DEFAULT, NULL, session_write_cb,
							op);
			session_close(session);
			return;
		}
		g_byte_array_append(session->line, buf, (guint)take);
		g_input_stream_skip(session->in, take + (nl != NULL ? 1 : 0), NULL, NULL);
		if (nl != NULL) {
			RcControlLine *line =
				rc_control_line_parse(session->line->data, session->line->len);
			g_byte_array_set_size(session->line, 0);
			if (line->kind == RC_CONTROL_LINE_EMPTY) {
				rc_control_line_free(line);
				continue;
			}
			dispatch(session, line);
			return;
		}
	}
}

static void
session_fill_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlSession *session = user_data;
	g_autoptr(GError) error = NULL;
	gssize n = g_buffered_input_stream_fill_finish(G_BUFFERED_INPUT_STREAM(source), res,
						       &error);

	if (n < 0) {
		/* a reset; "normal close" is not worth a line (control.md 2.7) */
		if (!g_str_has_suffix(error->message, "normal close"))
			g_debug("control session %s: read: %s", session->peer, error->message);
		session_close(session);
	} else {
		if (n == 0)
			session->eof = TRUE;
		session_read(session);
	}
	session_unref(session);
}

static void
greeting_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	WriteOp *op = user_data;
	op->then_read = TRUE;
	session_write_cb(source, res, user_data);
}

void
rc_control_serve(RcControl *control, GIOStream *stream, gboolean is_unix, const char *peer)
{
	RcControlSession *session;
	WriteOp *op;
	g_autofree char *greeting = NULL;

	g_return_if_fail(control != NULL);
	g_return_if_fail(G_IS_IO_STREAM(stream));

	if (g_hash_table_size(control->sessions) >= RC_CONTROL_MAX_SESSIONS) {
		g_warning("control: %u sessions open, refusing connection from %s",
			  g_hash_table_size(control->sessions), peer != NULL ? peer : "?");
		g_io_stream_close_async(stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
		return;
	}
	session = g_new0(RcControlSession, 1);
	session->ref = 1; /* the table's */
	session->control = control;
	session->stream = g_object_ref(stream);
	session->in = g_buffered_input_stream_new_sized(g_io_stream_get_input_stream(stream),
							RC_CONTROL_READ_BUFFER);
	g_filter_input_stream_set_close_base_stream(G_FILTER_INPUT_STREAM(session->in), FALSE);
	session->out = g_io_stream_get_output_stream(stream);
	session->is_unix = is_unix;
	session->cancellable = g_object_ref(control->cancellable);
	session->peer = g_strdup(peer != NULL ? peer : "?");
	session->line = g_byte_array_new();
	g_hash_table_add(control->sessions, session);

	/* control.md 2.1 */
	greeting = g_strdup_printf("Receptor Control, node %s\n",
				   control->core->node_id != NULL ? control->core->node_id : "");
	op = g_new0(WriteOp, 1);
	op->session = session_ref(session);
	op->bytes = g_bytes_new(greeting, strlen(greeting));
	g_output_stream_write_all_async(session->out, g_bytes_get_data(op->bytes, NULL),
					g_bytes_get_size(op->bytes), G_PRIORITY_DEFAULT, NULL,
					greeting_cb, op);
}

guint
rc_control_session_count(RcControl *control)
{
	return control != NULL ? g_hash_table_size(control->sessions) : 0;
}

/* ------------------------------------------------------------------ module */

static void
session_forget(gpointer data)
{
	RcControlSession *session = data;
	session->control = NULL;
}

RcControl *
rc_control_get(RcCore *core)
{
	RcControl *control;

	g_return_val_if_fail(core != NULL, NULL);
	if (core->control != NULL)
		return core->control;
	control = g_new0(RcControl, 1);
	control->core = core;
	control->commands = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	control->sessions = g_hash_table_new(g_direct_hash, g_direct_equal);
	control->cancellable = g_cancellable_new();
	core->control = control;
	rc_control_cmds_register(control);
	rc_core_add_cleanup(core, (GDestroyNotify)rc_control_free, control);
	return control;
}

void
rc_control_free(RcControl *control)
{
	g_autoptr(GList) sessions = NULL;

	if (control == NULL)
		return;
	g_cancellable_cancel(control->cancellable);
	sessions = g_hash_table_get_keys(control->sessions);
	for (GList *l = sessions; l != NULL; l = l->next) {
		RcControlSession *session = l->data;
		session_ref(session);
		session_close(session);
		session_forget(session);
		session_unref(session);
	}
	if (control->core->control == control)
		control->core->control = NULL;
	g_hash_table_unref(control->sessions);
	g_hash_table_unref(control->commands);
	g_object_unref(control->cancellable);
	g_free(control);
}

static gboolean
add_command(RcControl *control, const char *name, RcControlFunc func,
	    RcControlCommandFunc plugin_func, gpointer user_data, GError **error)
{
	RcControlCommand *cmd;

	g_return_val_if_fail(control != NULL, FALSE);
	g_return_val_if_fail(name != NULL && name[0] != '\0', FALSE);
	if (g_hash_table_contains(control->commands, name)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "control command %s is already registered", name);
		return FALSE;
	}
	cmd = g_new0(RcControlCommand, 1);
	cmd->func = func;
	cmd->plugin_func = plugin_func;
	cmd->user_data = user_data;
	g_hash_table_insert(control->commands, g_strdup(name), cmd);
	return TRUE;
}

gboolean
rc_control_add_command(RcControl *control, const char *name, RcControlFunc func,
		       gpointer user_data, GError **error)
{
	g_return_val_if_fail(func != NULL, FALSE);
	return add_command(control, name, func, NULL, user_data, error);
}

gboolean
rc_control_add_plugin_command(RcControl *control, const char *name, RcControlCommandFunc func,
			      gpointer user_data, GError **error)
{
	g_return_val_if_fail(func != NULL, FALSE);
	return add_command(control, name, NULL, func, user_data, error);
}

/* ------------------------------------------------------------------ requests */

RcCore *
rc_control_request_get_core(RcControlRequest *request)
{
	RcControl *control = request->session->control;
	return control != NULL ? control->core : NULL;
}

const char *
rc_control_request_get_command(RcControlRequest *request)
{
	return request->line->command;
}

gboolean
rc_control_request_is_json(RcControlRequest *request)
{
	return request->line->kind == RC_CONTROL_LINE_JSON;
}

const char *
rc_control_request_get_rest(RcControlRequest *request)
{
	return request->line->rest;
}

JsonObject *
rc_control_request_get_json(RcControlRequest *request)
{
	return request->line->json;
}

gboolean
rc_control_request_is_unix(RcControlRequest *request)
{
	return request->session->is_unix;
}

const char *
rc_control_request_get_peer(RcControlRequest *request)
{
	return request->session->peer;
}

GCancellable *
rc_control_request_get_cancellable(RcControlRequest *request)
{
	return request->session->cancellable;
}

GInputStream *
rc_control_request_get_input(RcControlRequest *request)
{
	return request->session->in;
}

GOutputStream *
rc_control_request_get_output(RcControlRequest *request)
{
	return request->session->out;
}

/* Terminate with `text` written first (may be empty). */
static void
request_done(RcControlRequest *request, GString *text)
{
	RcControlSession *session = request->session;

	g_return_if_fail(!request->done);
	request->done = TRUE;
	session_ref(session);
	request_free(request);
	session_write_then_read(session, text);
	session_unref(session);
}

void
rc_control_request_reply_json(RcControlRequest *request, JsonNode *node)
{
	g_autoptr(GString) out = g_string_new(NULL);

	rc_control_json_append(out, node);
	g_string_append_c(out, '\n');
	request_done(request, out);
}

void
rc_control_request_reply_variant(RcControlRequest *request, GVariant *value)
{
	g_autoptr(JsonNode) node = rc_control_variant_to_json(value);
	rc_control_request_reply_json(request, node);
}

void
rc_control_request_reply_error(RcControlRequest *request, const char *message)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *valid = g_utf8_make_valid(message != NULL ? message : "", -1);

	append_error_line(out, valid);
	request_done(request, out);
}

void
rc_control_request_reply_errorf(RcControlRequest *request, const char *format, ...)
{
	va_list ap;
	g_autofree char *message = NULL;

	va_start(ap, format);
	message = g_strdup_vprintf(format, ap);
	va_end(ap);
	rc_control_request_reply_error(request, message);
}

void
rc_control_request_finish(RcControlRequest *request)
{
	g_autoptr(GString) out = g_string_new(NULL);
	request_done(request, out);
}

static void
close_output_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlSession *session = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_close_finish(G_OUTPUT_STREAM(source), res, &error))
		g_debug("control session %s: close output: %s", session->peer, error->message);
	session_close(session);
	session_unref(session);
}

void
rc_control_request_close(RcControlRequest *request)
{
	RcControlSession *session = request->session;

	g_return_if_fail(!request->done);
	request->done = TRUE;
	session_ref(session);
	request_free(request);
	if (!session->closing) {
		/* send side first (a mesh stream's FIN), then the rest */
		g_output_stream_close_async(session->out, G_PRIORITY_DEFAULT, NULL,
					    close_output_cb, session_ref(session));
	}
	session_unref(session);
}

typedef struct {
	RcControlRequest *request;
	GBytes *bytes;
} RequestWrite;

static void
request_write_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error))
		g_task_return_error(task, g_steal_pointer(&error));
	else
		g_task_return_boolean(task, TRUE);
	g_object_unref(task);
}

void
rc_control_request_write_async(RcControlRequest *request, const char *data, gssize len,
			       GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(NULL, NULL, callback, user_data);
	GBytes *bytes = g_bytes_new(data, len < 0 ? strlen(data) : (gsize)len);

	g_task_set_source_tag(task, rc_control_request_write_async);
	g_task_set_task_data(task, bytes, (GDestroyNotify)g_bytes_unref);
	g_output_stream_write_all_async(request->session->out, g_bytes_get_data(bytes, NULL),
					g_bytes_get_size(bytes), G_PRIORITY_DEFAULT, NULL,
					request_write_cb, task);
}

gboolean
rc_control_request_write_finish(RcControlRequest *request, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

/* ------------------------------------------------------------------ bridge */

/* control.md 3.5 step 4, on the main loop (rc-copy.h): the client's bytes
 * (those already buffered after the command line first) go to `other`, and
 * `other`'s bytes to the client.  The client's EOF half-closes `other` (a mesh
 * stream's FIN) and the bridge keeps copying `other`'s reply; `other`'s EOF or
 * any error ends the bridge, and the session closes the client connection
 * after everything `other` sent was written to it. */
struct _RcControlBridge {
	RcControlSession *session;
	GIOStream *other;
	GCancellable *up_cancel;   /* client -> other */
	GCancellable *down_cancel; /* other -> client */
	char *message;		   /* written before the copies start */
	guint running;		   /* copies plus the half close in flight */
};

static void
bridge_unref_op(RcControlBridge *bridge)
{
	RcControlSession *session = bridge->session;

	g_assert(bridge->running > 0);
	if (--bridge->running > 0)
		return;
	session->bridge = NULL;
	g_object_unref(bridge->up_cancel);
	g_object_unref(bridge->down_cancel);
	g_free(bridge->message);
	g_io_stream_close_async(bridge->other, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
	g_object_unref(bridge->other);
	g_free(bridge);
	session_close(session);
	session_unref(session);
}

/* Stop both directions (module shutdown, an error). */
static void
bridge_stop(RcControlBridge *bridge)
{
	g_cancellable_cancel(bridge->up_cancel);
	g_cancellable_cancel(bridge->down_cancel);
}

static void
bridge_half_closed(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlBridge *bridge = user_data;
	g_autoptr(GError) error = NULL;

	if (!rc_copy_shutdown_write_finish(res, &error))
		g_debug("control bridge %s: half close: %s", bridge->session->peer,
			error->message);
	bridge_unref_op(bridge);
}

static gboolean
bridge_error_is_quiet(const GError *error)
{
	return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	       g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

static void
bridge_up_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlBridge *bridge = user_data;
	g_autoptr(GError) error = NULL;

	if (rc_copy_finish(res, NULL, &error) < 0) {
		if (!bridge_error_is_quiet(error))
			g_debug("control bridge %s: client to target: %s", bridge->session->peer,
				error->message);
		/* an error ends both directions */
		if (!g_cancellable_is_cancelled(bridge->up_cancel))
			bridge_stop(bridge);
	} else {
		/* the client's EOF half-closes the target (control.md 3.5) */
		bridge->running++;
		rc_copy_shutdown_write_async(bridge->other, bridge->down_cancel,
					     bridge_half_closed, bridge);
	}
	bridge_unref_op(bridge);
}

static void
bridge_down_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlBridge *bridge = user_data;
	g_autoptr(GError) error = NULL;

	if (rc_copy_finish(res, NULL, &error) < 0 && !bridge_error_is_quiet(error))
		g_debug("control bridge %s: target to client: %s", bridge->session->peer,
			error->message);
	/* the target's EOF closes the client connection: stop reading it */
	g_cancellable_cancel(bridge->up_cancel);
	bridge_unref_op(bridge);
}

static void
bridge_start(RcControlBridge *bridge)
{
	RcControlSession *session = bridge->session;

	bridge->running = 2;
	rc_copy_async(session->in, g_io_stream_get_output_stream(bridge->other),
		      RC_CONTROL_BRIDGE_BUFFER, RC_COPY_NONE, bridge->up_cancel, bridge_up_done,
		      bridge);
	rc_copy_async(g_io_stream_get_input_stream(bridge->other), session->out,
		      RC_CONTROL_BRIDGE_BUFFER, RC_COPY_NONE, bridge->down_cancel,
		      bridge_down_done, bridge);
}

static void
bridge_message_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlBridge *bridge = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error)) {
		if (!bridge_error_is_quiet(error))
			g_debug("control bridge %s: write: %s", bridge->session->peer,
				error->message);
		bridge_unref_op(bridge);
	} else if (g_cancellable_is_cancelled(bridge->down_cancel)) {
		bridge_unref_op(bridge); /* the module went away meanwhile */
	} else {
		bridge_start(bridge);
	}
}

void
rc_control_request_bridge(RcControlRequest *request, const char *message, GIOStream *other)
{
	RcControlSession *session = request->session;
	RcControlBridge *bridge;

	g_return_if_fail(!request->done);
	g_return_if_fail(G_IS_IO_STREAM(other));
	request->done = TRUE;
	bridge = g_new0(RcControlBridge, 1);
	bridge->session = session_ref(session);
	bridge->other = g_object_ref(other);
	bridge->up_cancel = g_cancellable_new();
	bridge->down_cancel = g_cancellable_new();
	session->bridge = bridge;
	request_free(request);
	if (session->closing) {
		bridge->running = 1;
		bridge_unref_op(bridge);
		return;
	}
	if (message != NULL && message[0] != '\0') {
		bridge->running = 1;
		bridge->message = g_strdup(message);
		g_output_stream_write_all_async(session->out, bridge->message, strlen(message),
						G_PRIORITY_DEFAULT, bridge->down_cancel,
						bridge_message_cb, bridge);
		return;
	}
	bridge_start(bridge);
}

/* ------------------------------------------------------------------ RcHost */

gboolean
rc_host_control_add_command(RcEntity *entity, const char *name, RcControlCommandFunc func,
			    gpointer user_data, GError **error)
{
	return rc_control_add_plugin_command(rc_control_get(entity->core), name, func, user_data,
					     error);
}

void
rc_host_control_reply(RcControlRequest *request, GVariant *result)
{
	rc_control_request_reply_variant(request, result);
}

void
rc_host_control_reply_error(RcControlRequest *request, const char *message)
{
	rc_control_request_reply_error(request, message);
}

/* ------------------------------------------------------------------ the entity */

typedef struct {
	RcEntity *entity;
	RcCore *core;
	char *service;
	int lock_fd;
	GSocketService *unix_service;
	GSocketService *tcp_service;
#if RC_CONTROL_WITH_TLS
	RcTlsConfig *tcp_tls;
#endif
#if RC_CONTROL_WITH_STREAMS
	RcStreamListener *mesh;
#endif
	GCancellable *cancellable;
} ControlService;

static const RcParamDesc control_service_params[] = {
	{ "service", RC_PARAM_STRING, 0, "control", "Receptor service name to listen on" },
	{ "filename", RC_PARAM_STRING, 0, NULL,
	  "Specifies the filename of a local Unix socket to bind to the service." },
	{ "permissions", RC_PARAM_INT, 0, "0600", "Socket file permissions" },
	{ "tls", RC_PARAM_STRING, 0, NULL, "Name of TLS server config for the Receptor listener" },
	{ "tcplisten", RC_PARAM_STRING, 0, NULL,
	  "Local TCP port or host:port to bind to the control service" },
	{ "tcptls", RC_PARAM_STRING, 0, NULL, "Name of TLS server config for the TCP listener" },
	{ NULL },
};

/* Go's syscall texts are lower case ("no such file or directory"). */
static char *
os_error_text(int errsv)
{
	g_autofree char *text = g_strdup(g_strerror(errsv));
	if (text[0] != '\0' && text[1] != '\0' && g_ascii_islower(text[1]))
		text[0] = g_ascii_tolower(text[0]);
	return g_steal_pointer(&text);
}

static gboolean
control_service_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		       GError **error)
{
	ControlService *cs = g_new0(ControlService, 1);

	cs->entity = entity;
	cs->core = entity->core;
	cs->service = g_strdup(rc_entity_get_string(entity, "service", ""));
	cs->lock_fd = -1;
	cs->cancellable = g_cancellable_new();
	*data = cs;
	return TRUE;
}

static gboolean
incoming_unix_cb(GSocketService *service, GSocketConnection *connection, GObject *source,
		 gpointer user_data)
{
	ControlService *cs = user_data;
	rc_control_serve(rc_control_get(cs->core), G_IO_STREAM(connection), TRUE, "unix");
	return TRUE;
}

static char *
describe_peer(GSocketConnection *connection)
{
	g_autoptr(GSocketAddress) addr = g_socket_connection_get_remote_address(connection, NULL);
	if (addr != NULL && G_IS_INET_SOCKET_ADDRESS(addr)) {
		g_autofree char *ip = g_inet_address_to_string(
			g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr)));
		return g_strdup_printf("%s:%u", ip,
				       g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr)));
	}
	return g_strdup("tcp");
}

#if RC_CONTROL_WITH_TLS
typedef struct {
	ControlService *cs;
	GSocketConnection *connection;
	GCancellable *cancellable;
	guint timeout_id;
	char *peer;
} TlsAccept;

static gboolean
tls_timeout_cb(gpointer user_data)
{
	TlsAccept *ta = user_data;
	ta->timeout_id = 0;
	g_cancellable_cancel(ta->cancellable);
	return G_SOURCE_REMOVE;
}

static void
tls_accept_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	TlsAccept *ta = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) tls = rc_tls_wrap_finish(res, &error);

	g_clear_handle_id(&ta->timeout_id, g_source_remove);
	if (tls == NULL) {
		/* control.md 1.4 */
		rc_log_error("TLS handshake error: %s. Closing socket.", error->message);
		g_io_stream_close_async(G_IO_STREAM(ta->connection), G_PRIORITY_DEFAULT, NULL,
					NULL, NULL);
	} else if (!g_cancellable_is_cancelled(ta->cs != NULL ? ta->cs->cancellable : NULL)) {
		rc_control_serve(rc_control_get(ta->cs->core), tls, FALSE, ta->peer);
	}
	g_object_unref(ta->connection);
	g_object_unref(ta->cancellable);
	g_free(ta->peer);
	g_free(ta);
}
#endif

static gboolean
incoming_tcp_cb(GSocketService *service, GSocketConnection *connection, GObject *source,
		gpointer user_data)
{
	ControlService *cs = user_data;
	g_autofree char *peer = describe_peer(connection);

#if RC_CONTROL_WITH_TLS
	if (cs->tcp_tls != NULL) {
		TlsAccept *ta = g_new0(TlsAccept, 1);
		ta->cs = cs;
		ta->connection = g_object_ref(connection);
		ta->cancellable = g_cancellable_new();
		ta->peer = g_strdup(peer);
		ta->timeout_id = g_timeout_add(RC_CONTROL_TLS_HANDSHAKE_US / 1000, tls_timeout_cb,
					       ta);
		rc_tls_wrap_async(cs->tcp_tls, G_IO_STREAM(connection), NULL, ta->cancellable,
				  tls_accept_cb, ta);
		return TRUE;
	}
#endif
	rc_control_serve(rc_control_get(cs->core), G_IO_STREAM(connection), FALSE, peer);
	return TRUE;
}

/* Remove whatever is at `path` (Go removes even a directory tree). */
static gboolean
remove_path(const char *path, GError **error)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return TRUE;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s",
			    g_strerror(errno));
		return FALSE;
	}
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, error);
		const char *name;
		if (dir == NULL)
			return FALSE;
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			if (!remove_path(child, error))
				return FALSE;
		}
		if (rmdir(path) != 0) {
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s",
				    g_strerror(errno));
			return FALSE;
		}
		return TRUE;
	}
	if (unlink(path) != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s",
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* control.md 1.3 step 4 */
static gboolean
start_unix(ControlService *cs, const char *filename, gint64 permissions, GError **error)
{
	g_autofree char *lock = g_strconcat(filename, ".lock", NULL);
	g_autoptr(GError) local = NULL;
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	const char *prefix = "error opening Unix socket";

	cs->lock_fd = open(lock, O_CREAT | O_RDONLY | O_CLOEXEC, 0600);
	if (cs->lock_fd < 0) {
		g_autofree char *msg = os_error_text(errno);
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "%s: could not acquire lock on socket file: %s", prefix, msg);
		return FALSE;
	}
	if (flock(cs->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int errsv = errno;
		g_autofree char *msg = os_error_text(errsv);
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "%s: could not acquire lock on socket file: %s", prefix,
			    errsv == EWOULDBLOCK ? "fslock is already locked" : msg);
		return FALSE;
	}
	if (!remove_path(filename, &local)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "%s: could not overwrite socket file: %s", prefix, local->message);
		return FALSE;
	}
	sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
			    &local);
	addr = g_unix_socket_address_new(filename);
	if (sock != NULL)
		g_socket_set_listen_backlog(sock, SOMAXCONN); /* Go listens with SOMAXCONN */
	if (sock == NULL || !g_socket_bind(sock, addr, FALSE, &local) ||
	    !g_socket_listen(sock, &local)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "%s: could not listen on socket file: %s", prefix, local->message);
		return FALSE;
	}
	if ((permissions & ~(gint64)0777) != 0)
		g_warning("control-service %s: permissions %#" G_GINT64_MODIFIER
			  "o has bits outside 0777; only 0%03o applies",
			  filename, permissions, (guint)(permissions & 0777));
	if (chmod(filename, (mode_t)(permissions & 0777)) != 0) {
		g_autofree char *msg = os_error_text(errno);
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "%s: error setting socket file permissions: %s", prefix, msg);
		return FALSE;
	}
	cs->unix_service = g_socket_service_new();
	if (!g_socket_listener_add_socket(G_SOCKET_LISTENER(cs->unix_service), sock, NULL,
					  &local)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "%s: could not listen on socket file: %s", prefix, local->message);
		return FALSE;
	}
	g_signal_connect(cs->unix_service, "incoming", G_CALLBACK(incoming_unix_cb), cs);
	return TRUE;
}

static GSocket *
listen_tcp_address(GInetAddress *ip, guint16 port, GError **error)
{
	g_autoptr(GSocket) sock = g_socket_new(g_inet_address_get_family(ip),
					       G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
	g_autoptr(GSocketAddress) addr = NULL;

	if (sock == NULL)
		return NULL;
	addr = g_inet_socket_address_new(ip, port);
	g_socket_set_listen_backlog(sock, SOMAXCONN); /* Go listens with SOMAXCONN */
	/* allow_reuse: SO_REUSEADDR (control.md 1.3 step 5, 8 #13) */
	if (!g_socket_bind(sock, addr, TRUE, error) || !g_socket_listen(sock, error))
		return NULL;
	return g_steal_pointer(&sock);
}

/* control.md 1.3 step 5 */
static gboolean
start_tcp(ControlService *cs, const char *tcplisten, GError **error)
{
	g_autofree char *host = NULL;
	g_autofree char *port_text = NULL;
	const char *colon = strrchr(tcplisten, ':');
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GError) local = NULL;
	guint64 port = 0;

	if (colon != NULL) {
		host = g_strndup(tcplisten, colon - tcplisten);
		port_text = g_strdup(colon + 1);
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			char *inner = g_strndup(host + 1, strlen(host) - 2);
			g_free(host);
			host = inner;
		}
	} else {
		host = g_strdup("");
		port_text = g_strdup(tcplisten);
	}
	if (!g_ascii_string_to_unsigned(port_text, 10, 0, 65535, &port, NULL)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "error listening on TCP socket: listen tcp %s: address %s: invalid port",
			    tcplisten, tcplisten);
		return FALSE;
	}
	if (host[0] == '\0' || g_strcmp0(host, "0.0.0.0") == 0 || g_strcmp0(host, "::") == 0) {
		/* wildcard: dual-stack [::] like Go (control.md 1.3 step 5), IPv4 if no IPv6 */
		g_autoptr(GInetAddress) any6 = g_inet_address_new_any(G_SOCKET_FAMILY_IPV6);
		sock = listen_tcp_address(any6, (guint16)port, &local);
		if (sock == NULL && g_strcmp0(host, "::") != 0) {
			g_autoptr(GInetAddress) any4 = g_inet_address_new_any(G_SOCKET_FAMILY_IPV4);
			g_clear_error(&local);
			sock = listen_tcp_address(any4, (guint16)port, &local);
		}
	} else {
		g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(host);
		if (ip == NULL) {
			/* a host name: resolved once at start-up, before the main loop
			 * runs (control services are not reloadable) */
			g_autoptr(GResolver) resolver = g_resolver_get_default();
			g_autolist(GInetAddress) addrs =
				g_resolver_lookup_by_name(resolver, host, NULL, &local);
			if (addrs != NULL)
				ip = g_object_ref(addrs->data);
		}
		if (ip != NULL)
			sock = listen_tcp_address(ip, (guint16)port, &local);
	}
	if (sock == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "error listening on TCP socket: listen tcp %s: %s", tcplisten,
			    local != NULL ? local->message : "no address");
		return FALSE;
	}
	cs->tcp_service = g_socket_service_new();
	if (!g_socket_listener_add_socket(G_SOCKET_LISTENER(cs->tcp_service), sock, NULL,
					  &local)) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "error listening on TCP socket: %s",
			    local->message);
		return FALSE;
	}
	g_signal_connect(cs->tcp_service, "incoming", G_CALLBACK(incoming_tcp_cb), cs);
	return TRUE;
}

#if RC_CONTROL_WITH_STREAMS
static void
mesh_accept_cb(gpointer user_data, GIOStream *stream, const char *remote_node,
	       const char *remote_service)
{
	ControlService *cs = user_data;
	g_autofree char *peer = g_strdup_printf("%s:%s", remote_node, remote_service);
	rc_control_serve(rc_control_get(cs->core), stream, FALSE, peer);
}
#endif

static gboolean
control_service_start(gpointer data, GError **error)
{
	ControlService *cs = data;
	RcEntity *entity = cs->entity;
	const char *filename = rc_entity_get_string(entity, "filename", "");
	const char *tls = rc_entity_get_string(entity, "tls", "");
	const char *tcplisten = rc_entity_get_string(entity, "tcplisten", "");
	const char *tcptls = rc_entity_get_string(entity, "tcptls", "");
	gint64 permissions = rc_entity_get_int(entity, "permissions", 0600);

	rc_control_get(cs->core);
	/* control.md 1.3 */
	if (tls[0] != '\0' && tcplisten[0] != '\0' && tcptls[0] == '\0')
		g_warning("Control service %s has TLS configured on the Receptor listener but not the TCP listener.",
			  cs->service);
#if RC_CONTROL_WITH_TLS
	if (tls[0] != '\0' && !rc_tls_store_check(rc_tls_store_get(cs->core), tls, TRUE, error))
		return FALSE;
	if (tcplisten[0] != '\0' && tcptls[0] != '\0') {
		cs->tcp_tls = rc_tls_store_lookup(rc_tls_store_get(cs->core), tcptls, TRUE, error);
		if (cs->tcp_tls == NULL)
			return FALSE;
	}
#else
	if (tls[0] != '\0' || (tcplisten[0] != '\0' && tcptls[0] != '\0')) {
		g_set_error(error, RC_ERROR, RC_ERROR_UNSUPPORTED, "unknown TLS config %s",
			    tls[0] != '\0' ? tls : tcptls);
		return FALSE;
	}
#endif
	if (filename[0] != '\0' && !start_unix(cs, filename, permissions, error))
		return FALSE;
	if (tcplisten[0] != '\0' && !start_tcp(cs, tcplisten, error))
		return FALSE;
	if (cs->service[0] != '\0') {
#if RC_CONTROL_WITH_STREAMS
		g_autoptr(GVariant) tags =
			g_variant_ref_sink(g_variant_new_parsed("{'type': 'Control Service'}"));
		cs->mesh = rc_stream_listen(cs->core, cs->service, tls[0] != '\0' ? tls : NULL,
					    TRUE, tags, mesh_accept_cb, cs, error);
		if (cs->mesh == NULL) {
			g_prefix_error(error, "error opening Unix socket: ");
			return FALSE;
		}
#else
		if (strlen(cs->service) > 8) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "error opening Unix socket: service name %s too long",
				    cs->service);
			return FALSE;
		}
		g_debug("control service %s: no mesh streams in this build yet", cs->service);
#endif
	}
	if (filename[0] == '\0' && tcplisten[0] == '\0' && cs->service[0] == '\0') {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG, "no listeners specified");
		return FALSE;
	}
	if (cs->unix_service != NULL)
		g_socket_service_start(cs->unix_service);
	if (cs->tcp_service != NULL)
		g_socket_service_start(cs->tcp_service);
	g_info("Running control service %s", cs->service);
	return TRUE;
}

static void
control_service_stop(gpointer data)
{
	ControlService *cs = data;

	g_cancellable_cancel(cs->cancellable);
	if (cs->unix_service != NULL) {
		g_socket_service_stop(cs->unix_service);
		g_socket_listener_close(G_SOCKET_LISTENER(cs->unix_service));
		g_clear_object(&cs->unix_service);
	}
	if (cs->tcp_service != NULL) {
		g_socket_service_stop(cs->tcp_service);
		g_socket_listener_close(G_SOCKET_LISTENER(cs->tcp_service));
		g_clear_object(&cs->tcp_service);
	}
#if RC_CONTROL_WITH_STREAMS
	g_clear_pointer(&cs->mesh, rc_stream_listener_close);
#endif
}

static void
control_service_free(gpointer data)
{
	ControlService *cs = data;

	control_service_stop(cs);
#if RC_CONTROL_WITH_TLS
	g_clear_pointer(&cs->tcp_tls, rc_tls_config_unref);
#endif
	/* the lock file stays (control.md 1.3 step 4.1); the lock goes with the fd */
	if (cs->lock_fd >= 0)
		close(cs->lock_fd);
	g_object_unref(cs->cancellable);
	g_free(cs->service);
	g_free(cs);
}

static const RcEntityOps control_service_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = control_service_create,
	.start = control_service_start,
	.stop = control_service_stop,
	.free = control_service_free,
};

const RcEntityDesc rc_control_service_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "control-service",
	.kind = RC_ENTITY_GLOBAL,
	.flags = 0,
	.description = "Runs a control service",
	.params = control_service_params,
	.ops = &control_service_ops,
};
