/* rc-ctl-work.c: receptorctl work list/submit/results/cancel/release
 * (control.md 5.5, PyPI receptorctl 1.6.9 cli.py and socket_interface.py). */
#include "config.h"

#include "rc-ctl-work.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rc-ctl-pyfmt.h"

static const char help_submit[] =
	"Usage: %s work submit [OPTIONS] WORKTYPE [CMDPARAMS]...\n"
	"\n"
	"  Submit a new unit of work.\n"
	"\n"
	"Options:\n"
	"  --node TEXT                 Receptor node to run the work on. Defaults to\n"
	"                              the local node.\n"
	"  -p, --payload TEXT          File containing unit of work data. Use - for\n"
	"                              stdin.\n"
	"  -l, --payload-literal TEXT  Use the command line string as the literal unit\n"
	"                              of work data.\n"
	"  -n, --no-payload            Send an empty payload.\n"
	"  --tls-client TEXT           TLS client used when submitting work to a remote\n"
	"                              node\n"
	"  --ttl TEXT                  Time to live until remote work must start, e.g.\n"
	"                              1h20m30s or 30m10s\n"
	"  --signwork                  Digitally sign remote work submissions\n"
	"  -f, --follow                Remain attached to the job and print its results\n"
	"                              to stdout\n"
	"  --rm                        Release unit after completion\n"
	"  -a, --param TEXT            Additional Receptor parameter (key=value format)\n"
	"  --help                      Show this message and exit.";

static const char help_list[] =
	"Usage: %s work list [OPTIONS]\n"
	"\n"
	"  List known units of work.\n"
	"\n"
	"Options:\n"
	"  -q, --quiet        Only list unit IDs with no detail\n"
	"  --node TEXT        Receptor node to list work from. Defaults to the local\n"
	"                     node.\n"
	"  --unit_id TEXT     Only show detail for a specific unit id\n"
	"  --tls-client TEXT  TLS client config name used when connecting to remote\n"
	"                     node\n"
	"  --help             Show this message and exit.";

static const char help_results[] =
	"Usage: %s work results [OPTIONS] UNIT_ID\n"
	"\n"
	"  Get results for a previously or currently running unit of work.\n"
	"\n"
	"Options:\n"
	"  --help  Show this message and exit.";

static const char help_cancel[] = "Usage: %s work cancel [OPTIONS] [UNIT_IDS]...\n"
				  "\n"
				  "  Cancel (kill) one or more units of work.\n"
				  "\n"
				  "Options:\n"
				  "  --help  Show this message and exit.";

static const char help_release[] =
	"Usage: %s work release [OPTIONS] [UNIT_IDS]...\n"
	"\n"
	"  Release (delete) one or more units of work.\n"
	"\n"
	"Options:\n"
	"  --force  Delete locally even if we can't reach the remote node\n"
	"  --all    Delete all work units\n"
	"  --help   Show this message and exit.";

static const RcCtlOpt list_opts[] = {
	{ "--quiet", "-q", "quiet", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ "--node", NULL, "node", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--unit_id", NULL, "unit_id", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--tls-client", NULL, "tlsclient", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ NULL },
};
static const RcCtlCommand list_cmd = { list_opts, NULL, FALSE, FALSE };

static const RcCtlOpt submit_opts[] = {
	{ "--node", NULL, "node", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--payload", "-p", "payload", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--payload-literal", "-l", "payload_literal", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--no-payload", "-n", "no_payload", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ "--tls-client", NULL, "tlsclient", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--ttl", NULL, "ttl", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--signwork", NULL, "signwork", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ "--follow", "-f", "follow", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ "--rm", NULL, "rm", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ "--param", "-a", "param", RC_CTL_OPT_TEXT, TRUE, FALSE, NULL },
	{ NULL },
};
static const RcCtlArg submit_args[] = { { "worktype", 1, TRUE }, { "cmdparams", -1, FALSE },
					{ NULL } };
static const RcCtlCommand submit_cmd = { submit_opts, submit_args, FALSE, FALSE };

static const RcCtlOpt no_opts[] = { { NULL } };
static const RcCtlArg unit_arg[] = { { "unit_id", 1, TRUE }, { NULL } };
static const RcCtlCommand results_cmd = { no_opts, unit_arg, FALSE, FALSE };
static const RcCtlArg unit_ids_arg[] = { { "unit_ids", -1, FALSE }, { NULL } };
static const RcCtlCommand cancel_cmd = { no_opts, unit_ids_arg, FALSE, FALSE };
static const RcCtlOpt release_opts[] = {
	{ "--force", NULL, "force", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ "--all", NULL, "all", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ NULL },
};
static const RcCtlCommand release_cmd = { release_opts, unit_ids_arg, FALSE, FALSE };

static void
print_json(JsonNode *node)
{
	g_autoptr(GString) out = g_string_new(NULL);
	rc_ctl_py_json_dumps(out, node);
	rc_ctl_echo(out->str);
}

/* op_on_unit_ids: "(value, key)" per unit; the first failure ends with 1. */
static int
op_on_unit_ids(RcCtl *ctl, const char *op, GPtrArray *ids)
{
	for (guint i = 0; ids != NULL && i < ids->len; i++) {
		GError *error = NULL;
		const char *id = ids->pdata[i];
		g_autofree char *cmd = g_strdup_printf("work %s %s", op, id);
		g_autoptr(JsonNode) r = rc_ctl_client_simple_command(ctl->rc, cmd, &error);
		g_autoptr(GList) keys = NULL;
		g_autoptr(GString) line = g_string_new("(");

		if (r == NULL) {
			g_autofree char *msg = g_strdup_printf("%s: ERROR: %s", id, error->message);
			g_error_free(error);
			rc_ctl_print_error(msg);
			return 1;
		}
		if (!JSON_NODE_HOLDS_OBJECT(r) ||
		    (keys = json_object_get_members(json_node_get_object(r))) == NULL) {
			g_autofree char *msg = g_strdup_printf("%s: ERROR: list index out of range", id);
			rc_ctl_print_error(msg);
			return 1;
		}
		rc_ctl_py_str(line, json_object_get_member(json_node_get_object(r), keys->data));
		g_string_append_printf(line, ", %s)", (const char *)keys->data);
		rc_ctl_echo(line->str);
	}
	return 0;
}

static int
work_list(RcCtl *ctl, RcCtlParsed *args)
{
	GError *error = NULL;
	const char *node = rc_ctl_get(args, "node");
	const char *unit = rc_ctl_get(args, "unit_id");
	g_autofree char *cmd = NULL;
	g_autoptr(JsonNode) r = NULL;

	if (node != NULL && node[0] != '\0') {
		if (!rc_ctl_client_connect_to_service(ctl->rc, node, "control",
						      rc_ctl_get(args, "tlsclient") ?: "", &error) ||
		    !rc_ctl_client_handshake(ctl->rc, &error))
			return rc_ctl_fail(error);
	}
	cmd = unit != NULL && unit[0] != '\0' ? g_strdup_printf("work list %s", unit)
					      : g_strdup("work list");
	r = rc_ctl_client_simple_command(ctl->rc, cmd, &error);
	if (r == NULL)
		return rc_ctl_fail(error);
	if (rc_ctl_flag(args, "quiet")) {
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		if (JSON_NODE_HOLDS_OBJECT(r)) {
			json_object_iter_init_ordered(&iter, json_node_get_object(r));
			while (json_object_iter_next_ordered(&iter, &name, &member))
				rc_ctl_echo(name);
		}
	} else {
		print_json(r);
	}
	return 0;
}

/* Python json.dumps with default separators and ensure_ascii. */
static void
py_dumps_compact(GString *out, GPtrArray *keys, GHashTable *values)
{
	g_string_append_c(out, '{');
	for (guint i = 0; i < keys->len; i++) {
		g_autoptr(JsonNode) k = json_node_init_string(json_node_alloc(), keys->pdata[i]);
		g_autoptr(JsonNode) v = json_node_init_string(
			json_node_alloc(), g_hash_table_lookup(values, keys->pdata[i]));
		if (i > 0)
			g_string_append(out, ", ");
		rc_ctl_py_json_dumps(out, k);
		g_string_append(out, ": ");
		rc_ctl_py_json_dumps(out, v);
	}
	g_string_append_c(out, '}');
}

static int
work_results_of(RcCtl *ctl, const char *unit)
{
	GError *error = NULL;
	g_autofree char *cmd = g_strdup_printf("work results %s 0\n", unit);
	g_autofree char *line = NULL;
	g_autofree char *status_cmd = NULL;
	g_autoptr(JsonNode) st = NULL;
	JsonNode *state;
	guint8 buf[256];
	gssize n;

	if (!rc_ctl_client_connect(ctl->rc, &error) ||
	    !rc_ctl_client_write(ctl->rc, cmd, strlen(cmd), &error) ||
	    (line = rc_ctl_client_read_line(ctl->rc, &error)) == NULL)
		return rc_ctl_fail(error);
	if (!g_str_has_prefix(line, "Streaming results for work unit ") ||
	    line[strlen("Streaming results for work unit ")] == '\0') {
		g_autoptr(GString) msg = g_string_new("Failed to get results");
		if (g_str_has_prefix(line, "ERROR: "))
			g_string_append_printf(msg, ": %s", line + 7);
		rc_ctl_print_error(msg->str);
		return 1;
	}
	rc_ctl_client_shutdown_write(ctl->rc, NULL);
	while ((n = rc_ctl_client_read(ctl->rc, buf, sizeof buf, NULL)) > 0) {
		fwrite(buf, 1, (gsize)n, stdout);
		fflush(stdout);
	}
	rc_ctl_client_close(ctl->rc);
	status_cmd = g_strdup_printf("work status %s", unit);
	st = rc_ctl_client_simple_command(ctl->rc, status_cmd, &error);
	if (st == NULL)
		return rc_ctl_fail(error);
	state = JSON_NODE_HOLDS_OBJECT(st) ? json_object_get_member(json_node_get_object(st), "State")
					   : NULL;
	if (state != NULL && JSON_NODE_HOLDS_VALUE(state) &&
	    (json_node_get_value_type(state) == G_TYPE_INT64 ||
	     json_node_get_value_type(state) == G_TYPE_DOUBLE) &&
	    json_node_get_double(state) == 3) {
		JsonNode *d = json_object_get_member(json_node_get_object(st), "Detail");
		g_autoptr(GString) msg = g_string_new("Remote unit failed: ");
		if (d != NULL)
			rc_ctl_py_str(msg, d);
		else
			g_string_append(msg, "Unknown");
		g_string_append_c(msg, '\n');
		rc_ctl_print_error(msg->str);
		return 1;
	}
	return 0;
}

static int
work_results(RcCtl *ctl, RcCtlParsed *args)
{
	return work_results_of(ctl, rc_ctl_get(args, "unit_id"));
}

static gboolean
read_all_fd(int fd, GByteArray *out)
{
	guint8 buf[65536];
	for (;;) {
		gssize n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		if (n == 0)
			return TRUE;
		g_byte_array_append(out, buf, (guint)n);
	}
}

/* A Python dict assignment: a new key goes last, an old key keeps its place.
 * Takes `key` and `value`. */
static void
put_param(GPtrArray *keys, GHashTable *values, char *key, char *value)
{
	gpointer orig;

	if (g_hash_table_lookup_extended(values, key, &orig, NULL)) {
		g_hash_table_insert(values, orig, value);
		g_free(key);
		return;
	}
	g_ptr_array_add(keys, key);
	g_hash_table_insert(values, key, value);
}

/* Everything of `submit` after validation; FALSE with *unitid set when known. */
static int
submit_body(RcCtl *ctl, RcCtlParsed *args, GByteArray *payload, char **unitid)
{
	GError *error = NULL;
	const char *node = rc_ctl_get(args, "node");
	GPtrArray *params = rc_ctl_get_all(args, "param");
	GPtrArray *cmdparams = rc_ctl_get_all(args, "cmdparams");
	const char *tls = rc_ctl_get(args, "tlsclient");
	const char *ttl = rc_ctl_get(args, "ttl");
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_autoptr(GHashTable) pvalues = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_autoptr(GPtrArray) pkeys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) json = g_string_new(NULL);
	g_autofree char *line = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *reply;
	const char *re_prefix = "Work unit created with ID ";
	const char *re_suffix = ". Send stdin data and EOF.";

#define SET(k, v)                                                                   \
	do {                                                                        \
		if (!g_hash_table_contains(values, k))                              \
			g_ptr_array_add(keys, g_strdup(k));                          \
		g_hash_table_replace(values, g_ptr_array_index(keys, keys->len - 1), \
				     g_strdup(v));                                   \
	} while (0)

	/* dict(s.split("=", 1) for s in param) */
	for (guint i = 0; params != NULL && i < params->len; i++) {
		const char *p = params->pdata[i];
		const char *eq = strchr(p, '=');
		char *k;
		if (eq == NULL) {
			g_autofree char *msg = g_strdup_printf(
				"dictionary update sequence element #%u has length 1; 2 is required", i);
			rc_ctl_print_error(msg);
			return 101;
		}
		k = g_strndup(p, eq - p);
		put_param(pkeys, pvalues, k, g_strdup(eq + 1));
	}
	if (cmdparams != NULL && cmdparams->len > 0) {
		/* " ".join([params["params"]] + cmdparams) */
		g_autoptr(GString) all = g_string_new(NULL);
		const char *prev = g_hash_table_lookup(pvalues, "params");
		if (prev != NULL)
			g_string_append(all, prev);
		for (guint i = 0; i < cmdparams->len; i++) {
			if (i > 0 || prev != NULL)
				g_string_append_c(all, ' ');
			g_string_append(all, cmdparams->pdata[i]);
		}
		put_param(pkeys, pvalues, g_strdup("params"),
			  g_string_free(g_steal_pointer(&all), FALSE));
	}
	if (node == NULL || node[0] == '\0')
		node = "localhost";
	SET("command", "work");
	SET("subcommand", "submit");
	SET("node", node);
	SET("worktype", rc_ctl_get(args, "worktype"));
	if (tls != NULL && tls[0] != '\0')
		SET("tlsclient", tls);
	if (ttl != NULL && ttl[0] != '\0')
		SET("ttl", ttl);
	if (rc_ctl_flag(args, "signwork"))
		SET("signwork", "true");
	for (guint j = 0; j < pkeys->len; j++) {
		const char *k = pkeys->pdata[j];
		const char *v = g_hash_table_lookup(pvalues, k);
		if (g_hash_table_contains(values, k)) {
			g_autofree char *msg = g_strdup_printf("Duplicate or illegal parameter %s", k);
			rc_ctl_print_error(msg);
			return 101;
		}
		if (v == NULL || v[0] == '\0') {
			rc_ctl_print_error("string index out of range");
			return 101;
		}
		if (v[0] == '@' && v[1] != '@') {
			g_autofree char *contents = NULL;
			if (!g_file_test(v + 1, G_FILE_TEST_EXISTS)) {
				g_autofree char *msg = g_strdup_printf("%s does not exist", v + 1);
				rc_ctl_print_error(msg);
				return 101;
			}
			if (!g_file_get_contents(v + 1, &contents, NULL, NULL)) {
				g_autofree char *msg =
					g_strdup_printf("could not read from file %s", v + 1);
				rc_ctl_print_error(msg);
				return 101;
			}
			SET(k, contents);
		} else {
			SET(k, v);
		}
	}
#undef SET
	py_dumps_compact(json, keys, values);
	g_string_append_c(json, '\n');
	if (!rc_ctl_client_connect(ctl->rc, &error) ||
	    !rc_ctl_client_write(ctl->rc, json->str, json->len, &error) ||
	    (line = rc_ctl_client_read_line(ctl->rc, &error)) == NULL) {
		rc_ctl_print_error(error->message);
		g_error_free(error);
		return 101;
	}
	if (!g_str_has_prefix(line, re_prefix) || !g_str_has_suffix(line, re_suffix) ||
	    strlen(line) < strlen(re_prefix) + strlen(re_suffix) + 1) {
		g_autoptr(GString) msg = g_string_new("Failed to start work unit");
		if (g_str_has_prefix(line, "ERROR: "))
			g_string_append_printf(msg, ": %s", line + 7);
		rc_ctl_print_error(msg->str);
		return 101;
	}
	if (!rc_ctl_client_write(ctl->rc, payload->data, payload->len, &error) ||
	    !rc_ctl_client_shutdown_write(ctl->rc, &error)) {
		rc_ctl_print_error(error->message);
		g_error_free(error);
		return 101;
	}
	g_free(line);
	line = rc_ctl_client_read_line(ctl->rc, &error);
	rc_ctl_client_close(ctl->rc);
	if (line == NULL) {
		rc_ctl_print_error(error->message);
		g_error_free(error);
		return 101;
	}
	if (g_str_has_prefix(line, "ERROR:")) {
		g_autofree char *msg = g_strdup_printf("Remote error: %s", line);
		rc_ctl_print_error(msg);
		return 101;
	}
	if (!json_parser_load_from_data(parser, line, -1, &error) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		rc_ctl_print_error(error != NULL ? error->message : "'result'");
		g_clear_error(&error);
		return 101;
	}
	reply = json_node_get_object(json_parser_get_root(parser));
	if (!json_object_has_member(reply, "result")) {
		rc_ctl_print_error("'result'");
		return 101;
	}
	if (!json_object_has_member(reply, "unitid")) {
		rc_ctl_print_error("'unitid'");
		return 101;
	}
	{
		g_autoptr(GString) u = g_string_new(NULL);
		g_autoptr(GString) res = g_string_new("Result: ");
		rc_ctl_py_str(u, json_object_get_member(reply, "unitid"));
		*unitid = g_strdup(u->str);
		if (rc_ctl_flag(args, "follow"))
			return work_results_of(ctl, *unitid);
		rc_ctl_py_str(res, json_object_get_member(reply, "result"));
		rc_ctl_echo(res->str);
		g_string_prepend(u, "Unit ID: ");
		rc_ctl_echo(u->str);
	}
	return 0;
}

static int
work_submit(RcCtl *ctl, RcCtlParsed *args)
{
	const char *payload = rc_ctl_get(args, "payload");
	const char *literal = rc_ctl_get(args, "payload_literal");
	gboolean none = rc_ctl_flag(args, "no_payload");
	int pcmds = (payload && payload[0]) + none + (literal && literal[0]);
	g_autoptr(GByteArray) data = g_byte_array_new();
	g_autofree char *unitid = NULL;
	int rc;

	if (pcmds < 1) {
		rc_ctl_print_error("Must provide one of --payload, --no-payload or --payload-literal.");
		return 1;
	}
	if (pcmds > 1) {
		rc_ctl_print_error(
			"Cannot provide more than one of --payload, --no-payload and --payload-literal.");
		return 1;
	}
	if (rc_ctl_flag(args, "rm") && !rc_ctl_flag(args, "follow"))
		rc_ctl_print_warning("using --rm without --follow. Unit results will never be seen.");
	if (literal && literal[0]) {
		g_byte_array_append(data, (const guint8 *)literal, (guint)strlen(literal));
		g_byte_array_append(data, (const guint8 *)"\n", 1);
	} else if (payload && payload[0]) {
		if (strcmp(payload, "-") == 0) {
			read_all_fd(STDIN_FILENO, data);
		} else {
			g_autofree char *contents = NULL;
			gsize len = 0;
			g_autoptr(GError) error = NULL;
			if (!g_file_get_contents(payload, &contents, &len, &error)) {
				int e = g_file_test(payload, G_FILE_TEST_EXISTS) ? EACCES : ENOENT;
				g_autofree char *r = NULL;
				g_autofree char *msg = NULL;
				GString *q = g_string_new(NULL);
				rc_ctl_py_str_repr(q, payload);
				r = g_string_free(q, FALSE);
				msg = g_strdup_printf("Failed to load payload file: [Errno %d] %s: %s", e,
						      g_strerror(e), r);
				rc_ctl_print_error(msg);
				return 1;
			}
			g_byte_array_append(data, (const guint8 *)contents, (guint)len);
		}
	}
	rc = submit_body(ctl, args, data, &unitid);
	if (rc_ctl_flag(args, "rm") && unitid != NULL) {
		g_autoptr(GPtrArray) ids = g_ptr_array_new();
		int rc2;
		g_ptr_array_add(ids, unitid);
		rc2 = op_on_unit_ids(ctl, "release", ids);
		if (rc2 != 0)
			rc = rc2;
	}
	return rc;
}

static int
work_cancel(RcCtl *ctl, RcCtlParsed *args)
{
	GPtrArray *ids = rc_ctl_get_all(args, "unit_ids");

	if (ids == NULL || ids->len == 0) {
		rc_ctl_print_warning("No unit IDs supplied: Not doing anything");
		return 0;
	}
	rc_ctl_echo("Cancelled:");
	return op_on_unit_ids(ctl, "cancel", ids);
}

static int
work_release(RcCtl *ctl, RcCtlParsed *args)
{
	GPtrArray *ids = rc_ctl_get_all(args, "unit_ids");
	gboolean all = rc_ctl_flag(args, "all");
	const char *op = rc_ctl_flag(args, "force") ? "force-release" : "release";

	if ((ids == NULL || ids->len == 0) && !all) {
		rc_ctl_print_warning("No unit IDs supplied: Not doing anything");
		return 0;
	}
	rc_ctl_echo("Released:");
	if (all) {
		GError *error = NULL;
		g_autoptr(JsonNode) r = rc_ctl_client_simple_command(ctl->rc, "work list", &error);
		g_autoptr(GPtrArray) keys = g_ptr_array_new();
		if (r == NULL)
			return rc_ctl_fail(error);
		if (JSON_NODE_HOLDS_OBJECT(r)) {
			JsonObjectIter iter;
			const char *name;
			JsonNode *member;
			json_object_iter_init_ordered(&iter, json_node_get_object(r));
			while (json_object_iter_next_ordered(&iter, &name, &member))
				g_ptr_array_add(keys, (gpointer)name);
		}
		return op_on_unit_ids(ctl, op, keys);
	}
	return op_on_unit_ids(ctl, op, ids);
}

static const RcCtlWorkCommand work_commands[] = {
	{ "cancel", &cancel_cmd, help_cancel, work_cancel },
	{ "list", &list_cmd, help_list, work_list },
	{ "release", &release_cmd, help_release, work_release },
	{ "results", &results_cmd, help_results, work_results },
	{ "submit", &submit_cmd, help_submit, work_submit },
};

const RcCtlWorkCommand *
rc_ctl_work_find(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(work_commands); i++) {
		if (g_strcmp0(work_commands[i].name, name) == 0)
			return &work_commands[i];
	}
	return NULL;
}
