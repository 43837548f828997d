/* rc-control.h: the control service (control.md 1-3): sessions and their
 * framing, the command table that core modules and plugins extend, and the
 * `control-service` entity.
 *
 * A session runs over any GIOStream (Unix socket, TCP, TLS over TCP, mesh
 * stream), one command at a time (control.md 2.8).  A command gets an
 * RcControlRequest and terminates it exactly once with one of the
 * rc_control_request_reply_* / _finish / _close calls, possibly much later
 * (from an async callback); the session reads the next command line only
 * after that.  Every call here runs on the main loop.
 *
 * Commands that need the raw connection after their command line (work submit
 * reads the payload, work results streams output, connect bridges) use
 * rc_control_request_get_input()/get_output(): the input stream yields the
 * bytes the client sent after the command's '\n' first (control.md 2.2
 * "no read-ahead"), so nothing is lost.  Copy it with rc_copy_async()
 * (rc-copy.h), never g_output_stream_splice_async(): splice reads a buffered
 * stream synchronously in a worker thread, which holds back the buffered bytes
 * until more input arrives and must not touch a mesh stream.
 *
 * Example (work submit, control.md 3.6.4):
 *   static void payload_done(...) {  // after copying the input to the stdin file
 *           rc_control_request_reply_json(req, result_node);   // one JSON line
 *   }
 *   static void header_written(GObject *src, GAsyncResult *res, gpointer req) {
 *           if (!rc_control_request_write_finish(req, res, &error)) {
 *                   rc_control_request_close(req);
 *                   return;
 *           }
 *           rc_copy_async(rc_control_request_get_input(req), file_out, RC_WORK_REMOTE_CHUNK,
 *                   RC_COPY_CLOSE_OUTPUT, rc_control_request_get_cancellable(req),
 *                   payload_done, req);
 *   }
 *   rc_control_request_write_async(req, "Work unit created with ID x. Send stdin data and EOF.\n",
 *                                  -1, header_written, req);
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "receptor/receptor-plugin.h"
#include "rc-core.h"

/* The control-service entity descriptor (config.md 9.2); registered by
 * rc-core-entities.c. */
extern const RcEntityDesc rc_control_service_entity;

/* A core command.  `request` is valid until it is terminated (reply, finish
 * or close).  Validate arguments first: argument errors are one
 * rc_control_request_reply_error() and nothing else (control.md 2.4). */
typedef void (*RcControlFunc)(RcControlRequest *request, gpointer user_data);

/* ------------------------------------------------------------ the module */

/* The control module of `core` (core->control), created on first use with
 * the built-in commands status, ping, traceroute, reload, connect.
 * (transfer none) */
RcControl *rc_control_get(RcCore *core);
/* Free the module: cancels running commands, closes every session and
 * listener.  Accepts NULL.  Called from rc_core_free(). */
void rc_control_free(RcControl *control);

/* Register a command.  `name` is matched exactly against the JSON form's
 * `command` and against the lower-cased first word of the text form
 * (control.md 2.3), so register it in lower case.  Fails with
 * RC_ERROR_CONFIG when the name is taken.  user_data must outlive the
 * control module. */
gboolean rc_control_add_command(RcControl *control, const char *name, RcControlFunc func,
				gpointer user_data, GError **error);

/* Register a plugin command (RcHost.control_add_command): `func` gets the
 * arguments as an a{sv} GVariant:
 *   text form:  {"command": <s name>, "rest": <s everything after the first space>}
 *   JSON form:  every member of the object (strings "s", numbers "d",
 *               booleans "b", null as "mv" nothing, arrays "av", objects "a{sv}").
 * The text form is recognised by the key "rest" together with the absence of
 * any other key than "command". */
gboolean rc_control_add_plugin_command(RcControl *control, const char *name,
				       RcControlCommandFunc func, gpointer user_data,
				       GError **error);

/* Serve one accepted connection as a control session: greeting, then
 * commands until EOF or error (control.md 2).  `is_unix` marks a Unix-domain
 * peer (control.md 1.5); `peer` describes the remote end for logs (nullable).
 * The session takes a reference on `stream`.  When the concurrent-session cap
 * (RC_CONTROL_MAX_SESSIONS) is reached the stream is closed at once. */
void rc_control_serve(RcControl *control, GIOStream *stream, gboolean is_unix,
		      const char *peer);

/* Number of sessions currently open (tests, status). */
guint rc_control_session_count(RcControl *control);

/* ------------------------------------------------------------ a request */

/* The node (transfer none). */
RcCore *rc_control_request_get_core(RcControlRequest *request);
/* The command name as dispatched (lower-cased for the text form). (transfer none) */
const char *rc_control_request_get_command(RcControlRequest *request);
/* TRUE for the JSON form (line starting with '{'). */
gboolean rc_control_request_is_json(RcControlRequest *request);
/* Text form: everything after the first single space, verbatim, possibly
 * empty or with leading/trailing spaces; "" for the JSON form. (transfer none) */
const char *rc_control_request_get_rest(RcControlRequest *request);
/* JSON form: the decoded object; NULL for the text form. (transfer none) */
JsonObject *rc_control_request_get_json(RcControlRequest *request);
/* TRUE when the session's peer is Unix-domain (control.md 1.5). */
gboolean rc_control_request_is_unix(RcControlRequest *request);
/* The peer for logs (transfer none). */
const char *rc_control_request_get_peer(RcControlRequest *request);
/* Cancelled when the control module is freed (shutdown); a command must
 * still terminate the request afterwards (replies then go nowhere).
 * (transfer none) */
GCancellable *rc_control_request_get_cancellable(RcControlRequest *request);

/* ------------------------------------------------------------ terminating a request */

/* One reply object as compact Go-style JSON plus '\n' (control.md 2.5, 2.9).
 * Object members are written in insertion order (json_object_iter_init_ordered):
 * add map keys sorted (strcmp) and struct fields in Go's declaration order.
 * Doubles are printed the Go way (integral values without ".0").
 * (transfer none) on `node`. */
void rc_control_request_reply_json(RcControlRequest *request, JsonNode *node);
/* Same from an a{sv}/any GVariant (the RcHost form; dictionaries are sorted). */
void rc_control_request_reply_variant(RcControlRequest *request, GVariant *value);
/* "ERROR: <message>\n"; CR and LF inside the message become spaces (control.md 2.6). */
void rc_control_request_reply_error(RcControlRequest *request, const char *message);
/* printf-style reply_error. */
void rc_control_request_reply_errorf(RcControlRequest *request, const char *format, ...)
	G_GNUC_PRINTF(2, 3);
/* The command wrote everything itself; the session goes on reading commands. */
void rc_control_request_finish(RcControlRequest *request);
/* Close the connection (a mesh stream: its send side) and end the session
 * (control.md 2.7, after `work results`). */
void rc_control_request_close(RcControlRequest *request);

/* ------------------------------------------------------------ the raw connection */

/* Bytes after the command line: the session's buffered input, which holds any
 * bytes already read past the '\n' and then reads the connection.  Read it
 * only while the request is running.  (transfer none) */
GInputStream *rc_control_request_get_input(RcControlRequest *request);
/* The connection's output.  (transfer none) */
GOutputStream *rc_control_request_get_output(RcControlRequest *request);
/* Write `len` bytes of `data` (len -1: NUL-terminated) completely, then call
 * `callback`; finish with rc_control_request_write_finish().  The data is copied. */
void rc_control_request_write_async(RcControlRequest *request, const char *data, gssize len,
				    GAsyncReadyCallback callback, gpointer user_data);
gboolean rc_control_request_write_finish(RcControlRequest *request, GAsyncResult *result,
					 GError **error);
/* Write `message` (nullable), then bridge the connection with `other` in both
 * directions on the main loop (control.md 3.5 step 4), bytes the client sent
 * after the command line first: the client's EOF shuts `other`'s write side
 * (a mesh stream: FIN) and the reply still flows back; `other`'s EOF or an
 * error in either direction ends the bridge, and the client connection is
 * closed after everything read from `other` was written to it.  Terminates
 * the request.  Takes a reference on `other`. */
void rc_control_request_bridge(RcControlRequest *request, const char *message, GIOStream *other);
