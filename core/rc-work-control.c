/* rc-work-control.c: the `work` control command (control.md 3.6). */
#include "config.h"

#include "rc-work-control.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>

#include "rc-control.h"
#include "rc-copy.h"
#include "rc-work-remote.h"
#include "rc-work-sign.h"
#include "rc-work-statusfile.h"
#include "rc-workceptor.h"

/* ------------------------------------------------------------ helpers */

static void
reply_one(RcControlRequest *req, const char *key, const char *value)
{
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(JsonNode) node = NULL;
	json_builder_begin_object(b);
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, value);
	json_builder_end_object(b);
	node = json_builder_get_root(b);
	rc_control_request_reply_json(req, node);
}

/* JSON form string member: "field <name> missing" / "must be a string". */
static const char *
json_str(RcControlRequest *req, JsonObject *obj, const char *name, gboolean required)
{
	JsonNode *n = json_object_get_member(obj, name);
	if (n == NULL) {
		if (required)
			rc_control_request_reply_errorf(req, "field %s missing", name);
		return NULL;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		if (required)
			rc_control_request_reply_errorf(req, "field %s must be a string", name);
		return NULL;
	}
	return json_node_get_string(n);
}

static gboolean
unit_sign_work(RcWorkUnit *unit)
{
	/* remote units carry SignWork in ExtraData (remote-work.md 1.1) */
	const RcWorkStatus *st = unit->status;
	if (st->extra_kind != RC_WORK_EXTRA_RAW || st->extra_raw == NULL)
		return FALSE;
	g_autoptr(JsonNode) n = json_from_string(st->extra_raw, NULL);
	if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
		return FALSE;
	return json_object_get_boolean_member_with_default(json_node_get_object(n), "SignWork",
							   FALSE);
}

/* processSignature (control.md 3.6.3): FALSE means an error was replied. */
static gboolean
check_signature(RcControlRequest *req, RcWorkceptor *wc, gboolean should_verify)
{
	JsonObject *obj = rc_control_request_get_json(req);
	const char *signature = obj != NULL ? json_str(req, obj, "signature", FALSE) : NULL;
	RcCore *core = rc_workceptor_get_core(wc);
	g_autoptr(GError) error = NULL;

	if (!should_verify) {
		if (signature != NULL && signature[0] != '\0') {
			rc_control_request_reply_error(req, "work type did not expect a signature");
			return FALSE;
		}
		return TRUE;
	}
	if (rc_control_request_is_unix(req))
		return TRUE;
	if (!rc_work_sign_verify(rc_work_sign_verify_key_path(core), signature, core->node_id,
				 g_get_real_time(), &error)) {
		rc_control_request_reply_error(req, error->message);
		return FALSE;
	}
	return TRUE;
}

static gboolean
unit_should_verify(RcWorkUnit *unit)
{
	if (g_strcmp0(unit->status->work_type, "remote") == 0)
		return unit_sign_work(unit);
	return unit->type != NULL && unit->type->verify_signature;
}

/* Find the unit or reply "unknown work unit <id>". */
static RcWorkUnit *
find_unit(RcControlRequest *req, RcWorkceptor *wc, const char *id)
{
	RcWorkUnit *unit = rc_workceptor_find_unit(wc, id);
	if (unit == NULL)
		rc_control_request_reply_errorf(req, "unknown work unit %s", id);
	return unit;
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
submit_payload_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Submit *s = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) node = NULL;

	if (rc_copy_finish(result, NULL, &error) < 0) {
		g_autofree char *detail = g_strdup_printf("Error reading input data: %s",
							  error->message);
		rc_work_unit_update_basic(s->unit, RC_WORK_FAILED, detail, 0); /* T3 */
		rc_control_request_reply_error(s->req, error->message);
		submit_free(s);
		return;
	}
	rc_work_unit_update_basic(s->unit, RC_WORK_PENDING, "Starting Worker", -1); /* T4 */
	if (!rc_workceptor_start_unit(s->wc, s->unit, &error)) {
		rc_control_request_reply_error(s->req, error->message);
		submit_free(s);
		return;
	}
	b = json_builder_new_immutable();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "result");
	json_builder_add_string_value(b, "Job Started");
	json_builder_set_member_name(b, "unitid");
	json_builder_add_string_value(b, s->unit->id);
	json_builder_end_object(b);
	node = json_builder_get_root(b);
	rc_control_request_reply_json(s->req, node);
	submit_free(s);
}

static void
submit_header_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Submit *s = user_data;
	g_autoptr(GError) error = NULL;

	if (!rc_control_request_write_finish(s->req, result, &error)) {
		/* the unit persists (control.md 3.6.4); it never gets its payload */
		rc_work_unit_update_basic(s->unit, RC_WORK_FAILED,
					  "Error reading input data: client went away", 0);
		rc_control_request_close(s->req);
		submit_free(s);
		return;
	}
	/* stream the payload into stdin without holding it in memory */
	/* async copy on the main loop, not splice's worker thread (rc-copy.h) */
	rc_copy_async(rc_control_request_get_input(s->req), s->stdin_out, RC_WORK_REMOTE_CHUNK,
		      RC_COPY_CLOSE_OUTPUT, rc_control_request_get_cancellable(s->req),
		      submit_payload_done, s);
}

static void
work_submit(RcControlRequest *req, RcWorkceptor *wc, char **tokens)
{
	RcCore *core = rc_workceptor_get_core(wc);
	JsonObject *obj = rc_control_request_get_json(req);
	g_auto(GVariantBuilder) params = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("a{sv}"));
	const char *node = NULL, *worktype = NULL, *ttl = "";
	g_autoptr(GError) error = NULL;
	RcWorkType *type;
	RcWorkUnit *unit;
	g_autofree char *stdin_path = NULL;
	g_autofree char *header = NULL;
	char buf[128];
	int fd;

	if (obj == NULL) {
		if (g_strv_length(tokens) < 3) {
			rc_control_request_reply_error(
				req, "work submit requires a target node and work type");
			return;
		}
		node = tokens[1];
		worktype = tokens[2];
		if (g_strv_length(tokens) > 3) {
			g_autofree char *joined = g_strjoinv(" ", tokens + 3);
			g_variant_builder_add(&params, "{sv}", "params",
					      g_variant_new_string(joined));
		}
	} else {
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		json_object_iter_init_ordered(&iter, obj);
		while (json_object_iter_next_ordered(&iter, &name, &member)) {
			if (!JSON_NODE_HOLDS_VALUE(member) ||
			    json_node_get_value_type(member) != G_TYPE_STRING) {
				rc_control_request_reply_errorf(
					req, "submit parameters must all be strings and %s is not",
					name);
				return;
			}
		}
		if ((node = json_str(req, obj, "node", TRUE)) == NULL)
			return;
		if ((worktype = json_str(req, obj, "worktype", TRUE)) == NULL)
			return;
		ttl = json_object_get_string_member_with_default(obj, "ttl", "");
		json_object_iter_init_ordered(&iter, obj);
		while (json_object_iter_next_ordered(&iter, &name, &member)) {
			static const char *const reserved[] = { "command", "subcommand", "node",
								"worktype", "tlsclient", "ttl",
								"signwork", "signature", NULL };
			if (g_strv_contains(reserved, name))
				continue;
			g_variant_builder_add(&params, "{sv}", name,
					      g_variant_new_string(json_node_get_string(member)));
		}
	}
	type = rc_workceptor_lookup_type(wc, worktype);
	if (!check_signature(req, wc, type != NULL && type->verify_signature))
		return;
	if (rc_work_remote_is_remote_node(core, node)) {
		const char *tlsclient = obj != NULL ? json_object_get_string_member_with_default(
							      obj, "tlsclient", "")
						    : "";
		const char *signwork = obj != NULL ? json_object_get_string_member_with_default(
							     obj, "signwork", "")
						   : "";
		rc_work_remote_submit(req, wc, node, worktype, tlsclient, ttl,
				      g_strcmp0(signwork, "true") == 0,
				      g_variant_builder_end(&params));
		return;
	}
	if (ttl[0] != '\0') {
		rc_control_request_reply_error(req, "ttl option is intended for remote work only");
		return;
	}
	unit = rc_workceptor_allocate(wc, worktype, g_variant_builder_end(&params), &error);
	if (unit == NULL) {
		rc_control_request_reply_error(req, error->message);
		return;
	}
	stdin_path = g_build_filename(unit->dir, "stdin", NULL);
	fd = open(stdin_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		int saved = errno;
		g_autofree char *msg = g_strdup_printf("open %s: %s", stdin_path,
						       rc_work_errno_text(saved, buf, sizeof(buf)));
		g_autofree char *detail = g_strdup_printf("Error reading input data: %s", msg);
		rc_work_unit_update_basic(unit, RC_WORK_FAILED, detail, 0);
		rc_control_request_reply_error(req, msg);
		return;
	}
	rc_work_unit_update_basic(unit, RC_WORK_PENDING, "Waiting for Input Data", -1); /* T2 */
	Submit *s = g_new0(Submit, 1);
	s->req = req;
	s->wc = wc;
	s->unit = rc_work_unit_ref(unit);
	s->stdin_out = g_unix_output_stream_new(fd, TRUE);
	header = g_strdup_printf("Work unit created with ID %s. Send stdin data and EOF.\n",
				 unit->id);
	rc_control_request_write_async(req, header, -1, submit_header_written, s);
}

/* ------------------------------------------------------------ list / status */

static void
work_list(RcControlRequest *req, RcWorkceptor *wc, const char *only)
{
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GPtrArray) units = NULL;
	g_autoptr(GError) error = NULL;

	if (only != NULL) {
		RcWorkUnit *unit = find_unit(req, wc, only);
		if (unit == NULL)
			return;
		units = g_ptr_array_new();
		g_ptr_array_add(units, unit);
	} else {
		units = rc_workceptor_list_units(wc);
	}
	json_builder_begin_object(b);
	for (guint i = 0; i < units->len; i++) {
		RcWorkUnit *unit = units->pdata[i];
		JsonNode *st = rc_work_unit_status_json(unit, &error);
		if (st == NULL) {
			rc_control_request_reply_error(req, error->message);
			return;
		}
		json_builder_set_member_name(b, unit->id);
		json_builder_add_value(b, st);
	}
	json_builder_end_object(b);
	node = json_builder_get_root(b);
	rc_control_request_reply_json(req, node);
}

static void
work_status(RcControlRequest *req, RcWorkceptor *wc, const char *id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = NULL;
	RcWorkUnit *unit = find_unit(req, wc, id);

	if (unit == NULL)
		return;
	node = rc_work_unit_status_json(unit, &error);
	if (node == NULL) {
		rc_control_request_reply_error(req, error->message);
		return;
	}
	rc_control_request_reply_json(req, node);
}

/* ------------------------------------------------------------ results */

typedef struct {
	RcControlRequest *req;
	RcWorkUnit *unit;
	char *path;
	gint64 offset;
	GInputStream *in;
	guint timer;
	gint64 missing_since_us;
	guint8 buf[RC_WORK_RESULTS_CHUNK];
} Results;

static void results_read(Results *r);
static gboolean results_open(gpointer user_data);

static void
results_end(Results *r)
{
	rc_control_request_close(r->req);
	g_clear_object(&r->in);
	rc_work_unit_unref(r->unit);
	g_free(r->path);
	g_free(r);
}

static gboolean
results_tick(gpointer user_data)
{
	Results *r = user_data;
	r->timer = 0;
	results_read(r);
	return G_SOURCE_REMOVE;
}

/* "complete" for ending a stream: Succeeded/Failed, and (receptor-c) also
 * Canceled, whose stream Go never ends (docs/differences.md). */
static gboolean
unit_done(RcWorkUnit *unit, gint64 *size)
{
	const RcWorkStatus *st = rc_work_unit_get_status(unit, NULL);
	if (st == NULL)
		st = unit->status;
	*size = st->stdout_size;
	if (st->state == RC_WORK_CANCELED)
		*size = 0;
	return rc_work_state_is_complete(st->state) || st->state == RC_WORK_CANCELED;
}

static void
results_at_eof(Results *r)
{
	gint64 size = 0;
	if (r->unit->released) {
		results_end(r);
		return;
	}
	if (unit_done(r->unit, &size) && r->offset >= size) {
		results_end(r);
		return;
	}
	if (!g_file_test(r->path, G_FILE_TEST_EXISTS)) {
		gint64 now = g_get_monotonic_time();
		if (r->missing_since_us == 0)
			r->missing_since_us = now;
		else if (now - r->missing_since_us > RC_WORK_RESULTS_MISSING_US) {
			results_end(r);
			return;
		}
	} else {
		r->missing_since_us = 0;
	}
	r->timer = g_timeout_add(RC_WORK_RESULTS_FOLLOW_MS, results_tick, r);
}

static void
results_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Results *r = user_data;
	gsize written = 0;
	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, &written, NULL)) {
		results_end(r); /* client gone */
		return;
	}
	r->offset += (gint64)written;
	results_read(r);
}

static void
results_read_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Results *r = user_data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	if (n < 0) {
		results_end(r);
		return;
	}
	if (n == 0) {
		results_at_eof(r);
		return;
	}
	g_output_stream_write_all_async(rc_control_request_get_output(r->req), r->buf, (gsize)n,
					G_PRIORITY_DEFAULT,
					rc_control_request_get_cancellable(r->req),
					results_written, r);
}

static void
results_read(Results *r)
{
	g_input_stream_read_async(r->in, r->buf, sizeof(r->buf), G_PRIORITY_DEFAULT,
				  rc_control_request_get_cancellable(r->req), results_read_done, r);
}

static gboolean
results_open(gpointer user_data)
{
	Results *r = user_data;
	g_autoptr(GFile) file = NULL;
	g_autoptr(GFileInputStream) in = NULL;
	gint64 size = 0;

	r->timer = 0;
	if (r->unit->released) {
		results_end(r);
		return G_SOURCE_REMOVE;
	}
	file = g_file_new_for_path(r->path);
	in = g_file_read(file, NULL, NULL);
	if (in == NULL) {
		if (!g_file_test(r->path, G_FILE_TEST_EXISTS)) {
			if (unit_done(r->unit, &size)) {
				g_message("Unit completed without producing any stdout");
				results_end(r);
			} else {
				r->timer = g_timeout_add(RC_WORK_RESULTS_WAIT_STDOUT_MS,
							 results_open, r);
			}
			return G_SOURCE_REMOVE;
		}
		results_end(r);
		return G_SOURCE_REMOVE;
	}
	if (r->offset < 0 ||
	    !g_seekable_seek(G_SEEKABLE(in), r->offset, G_SEEK_SET, NULL, NULL)) {
		results_end(r);
		return G_SOURCE_REMOVE;
	}
	r->in = G_INPUT_STREAM(g_steal_pointer(&in));
	results_read(r);
	return G_SOURCE_REMOVE;
}

static void
results_header_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Results *r = user_data;
	if (!rc_control_request_write_finish(r->req, result, NULL)) {
		results_end(r);
		return;
	}
	results_open(r);
}

static void
work_results(RcControlRequest *req, RcWorkceptor *wc, const char *id, gint64 startpos)
{
	RcWorkUnit *unit = find_unit(req, wc, id);
	g_autofree char *header = NULL;
	Results *r;

	if (unit == NULL || !check_signature(req, wc, unit_should_verify(unit)))
		return;
	r = g_new0(Results, 1);
	r->req = req;
	r->unit = rc_work_unit_ref(unit);
	r->path = g_build_filename(unit->dir, "stdout", NULL);
	r->offset = startpos;
	header = g_strdup_printf("Streaming results for work unit %s\n", id);
	rc_control_request_write_async(req, header, -1, results_header_written, r);
}

/* ------------------------------------------------------------ cancel / release */

typedef struct {
	RcControlRequest *req;
	char *key;
} Pending;

static void
cancel_release_done(RcWorkUnit *unit, const GError *error, gpointer user_data)
{
	Pending *p = user_data;
	if (error != NULL)
		rc_control_request_reply_error(p->req, error->message);
	else
		reply_one(p->req, p->key, unit->id);
	g_free(p->key);
	g_free(p);
}

static void
work_cancel_release(RcControlRequest *req, RcWorkceptor *wc, const char *sub, const char *id)
{
	RcWorkUnit *unit = find_unit(req, wc, id);
	Pending *p;

	if (unit == NULL || !check_signature(req, wc, unit_should_verify(unit)))
		return;
	if (g_strcmp0(unit->status->work_type, "remote") == 0) {
		rc_work_remote_cancel_release(req, wc, unit, sub); /* remote-work.md 4 */
		return;
	}
	p = g_new0(Pending, 1);
	p->req = req;
	if (g_str_equal(sub, "cancel")) {
		p->key = g_strdup("cancelled");
		rc_workceptor_cancel(wc, unit, cancel_release_done, p);
	} else {
		p->key = g_strdup("released");
		rc_workceptor_release(wc, unit, g_str_equal(sub, "force-release"),
				      cancel_release_done, p);
	}
}

/* ------------------------------------------------------------ dispatch */

static gboolean
parse_startpos_text(RcControlRequest *req, const char *text, gint64 *out)
{
	g_autoptr(GError) error = NULL;
	gint64 v = 0;
	if (!g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &v, &error)) {
		gboolean range = g_error_matches(error, G_NUMBER_PARSER_ERROR,
						 G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS) ||
				 (text[0] != '\0' && strspn(text + (text[0] == '-' || text[0] == '+'),
							    "0123456789") ==
							     strlen(text) - (text[0] == '-' || text[0] == '+') &&
				  strlen(text) > 1);
		rc_control_request_reply_errorf(
			req,
			"error converting start position to integer: strconv.ParseInt: parsing \"%s\": %s",
			text, range ? "value out of range" : "invalid syntax");
		return FALSE;
	}
	*out = v;
	return TRUE;
}

static void
work_command(RcControlRequest *req, gpointer user_data)
{
	RcWorkceptor *wc = user_data;
	JsonObject *obj = rc_control_request_get_json(req);
	g_auto(GStrv) tokens = NULL;
	g_autofree char *sub = NULL;
	guint ntok = 0;

	if (obj == NULL) {
		tokens = g_strsplit(rc_control_request_get_rest(req), " ", -1);
		ntok = g_strv_length(tokens);
		sub = g_ascii_strdown(ntok > 0 ? tokens[0] : "", -1);
	} else {
		JsonNode *n = json_object_get_member(obj, "subcommand");
		if (n == NULL) {
			rc_control_request_reply_error(req, "field subcommand missing");
			return;
		}
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
			rc_control_request_reply_error(req, "field subcommand must be a string");
			return;
		}
		sub = g_ascii_strdown(json_node_get_string(n), -1);
	}

	if (g_str_equal(sub, "submit")) {
		work_submit(req, wc, tokens);
	} else if (g_str_equal(sub, "list")) {
		const char *only = NULL;
		if (obj == NULL && ntok >= 2)
			only = tokens[1];
		else if (obj != NULL)
			only = json_str(req, obj, "unitid", FALSE);
		work_list(req, wc, only);
	} else if (g_str_equal(sub, "status") || g_str_equal(sub, "cancel") ||
		   g_str_equal(sub, "release") || g_str_equal(sub, "force-release")) {
		const char *id;
		if (obj == NULL) {
			if (ntok < 2) {
				rc_control_request_reply_errorf(req, "work %s requires a unit ID",
								sub);
				return;
			}
			if (ntok > 2) {
				rc_control_request_reply_errorf(
					req, "work %s does not take parameters after the unit ID",
					sub);
				return;
			}
			id = tokens[1];
		} else if ((id = json_str(req, obj, "unitid", TRUE)) == NULL) {
			return;
		}
		if (g_str_equal(sub, "status"))
			work_status(req, wc, id);
		else
			work_cancel_release(req, wc, sub, id);
	} else if (g_str_equal(sub, "results")) {
		const char *id;
		gint64 startpos = 0;
		if (obj == NULL) {
			if (ntok < 2) {
				rc_control_request_reply_error(req, "work results requires a unit ID");
				return;
			}
			if (ntok > 3) {
				rc_control_request_reply_error(
					req,
					"work results only takes a unit ID and optional start position");
				return;
			}
			id = tokens[1];
			if (ntok == 3 && !parse_startpos_text(req, tokens[2], &startpos))
				return;
		} else {
			JsonNode *n;
			if ((id = json_str(req, obj, "unitid", TRUE)) == NULL)
				return;
			n = json_object_get_member(obj, "startpos");
			if (n == NULL) {
				rc_control_request_reply_error(req, "field startpos missing");
				return;
			}
			if (JSON_NODE_HOLDS_VALUE(n) &&
			    (json_node_get_value_type(n) == G_TYPE_INT64 ||
			     json_node_get_value_type(n) == G_TYPE_DOUBLE)) {
				startpos = (gint64)json_node_get_double(n);
			} else if (JSON_NODE_HOLDS_VALUE(n) &&
				   json_node_get_value_type(n) == G_TYPE_STRING &&
				   g_ascii_string_to_signed(json_node_get_string(n), 10,
							    G_MININT64, G_MAXINT64, &startpos,
							    NULL)) {
				/* accepted (control.md 9 Q5; Go refuses) */
			} else {
				g_autofree char *text =
					JSON_NODE_HOLDS_VALUE(n) &&
							json_node_get_value_type(n) ==
								G_TYPE_STRING
						? g_strdup(json_node_get_string(n))
						: json_to_string(n, FALSE);
				rc_control_request_reply_errorf(
					req, "field startpos value %s is not convertible to an int",
					text);
				return;
			}
		}
		work_results(req, wc, id, startpos);
	} else {
		rc_control_request_reply_error(req, "bad command");
	}
}

gboolean
rc_work_control_register(RcWorkceptor *wc, GError **error)
{
	RcControl *control = rc_control_get(rc_workceptor_get_core(wc));
	return rc_control_add_command(control, "work", work_command, wc, error);
}
