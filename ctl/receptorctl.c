/* receptorctl.c: the command-line client of the control service, behaving
 * like the PyPI receptorctl 1.6.9 (click 8.3) byte for byte on stdout, stderr
 * and exit codes (control.md 5). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "rc-ctl-cli.h"
#include "rc-ctl-client.h"
#include "rc-ctl-pyfmt.h"
#include "rc-ctl-work.h"
#include "rc-yaml.h"
#include "rc-ctl.h"

/* ------------------------------------------------------------------ help texts */

static const char help_main[] =
	"Usage: %s [OPTIONS] COMMAND [ARGS]...\n"
	"\n"
	"Options:\n"
	"  --socket TEXT                 Control socket address to for the Receptor\n"
	"                                connection (The default is 'unix:' for a Unix\n"
	"                                socket, use 'tcp://' for a TCP socket)  [env\n"
	"                                var: RECEPTORCTL_SOCKET; required]\n"
	"  -c, --config TEXT             Config filename configured for receptor  [env\n"
	"                                var: RECEPTORCTL_CONFIG]\n"
	"  --tls-client TEXT             TLS client name specified in config  [env var:\n"
	"                                RECEPTORCTL_TLSCLIENT]\n"
	"  --rootcas TEXT                Root CA bundle to use instead of system trust\n"
	"                                when connecting with tls\n"
	"  --key TEXT                    Client private key filename\n"
	"  --cert TEXT                   Client certificate filename\n"
	"  --insecureskipverify BOOLEAN  Accept any server cert  [default: False]\n"
	"  --help                        Show this message and exit.\n"
	"\n"
	"Commands:\n"
	"  connect     Connect the local terminal to a Receptor service on a...\n"
	"  ping        Ping a Receptor node.\n"
	"  reload      Reload receptor configuration.\n"
	"  status      Show the status of the Receptor network.\n"
	"  traceroute  Do a traceroute to a Receptor node.\n"
	"  version     Show version information for receptorctl and the receptor node\n"
	"  work        Commands related to unit-of-work processing";

static const char help_status[] = "Usage: %s status [OPTIONS]\n"
				  "\n"
				  "  Show the status of the Receptor network.\n"
				  "\n"
				  "Options:\n"
				  "  --json  Print as JSON\n"
				  "  --help  Show this message and exit.";

static const char help_ping[] = "Usage: %s ping [OPTIONS] NODE\n"
				"\n"
				"  Ping a Receptor node.\n"
				"\n"
				"Options:\n"
				"  --count INTEGER  Number of pings to send  [default: 4]\n"
				"  --delay FLOAT    Time to wait between pings  [default: 1.0]\n"
				"  --help           Show this message and exit.";

static const char help_reload[] = "Usage: %s reload [OPTIONS]\n"
				  "\n"
				  "  Reload receptor configuration.\n"
				  "\n"
				  "Options:\n"
				  "  --help  Show this message and exit.";

static const char help_traceroute[] = "Usage: %s traceroute [OPTIONS] NODE\n"
				      "\n"
				      "  Do a traceroute to a Receptor node.\n"
				      "\n"
				      "Options:\n"
				      "  --help  Show this message and exit.";

static const char help_connect[] =
	"Usage: %s connect [OPTIONS] NODE SERVICE\n"
	"\n"
	"  Connect the local terminal to a Receptor service on a remote node.\n"
	"\n"
	"Options:\n"
	"  -r, --raw          Set terminal to raw mode\n"
	"  --tls-client TEXT  TLS client config name used when connecting to remote\n"
	"                     node\n"
	"  --help             Show this message and exit.";

static const char help_version[] =
	"Usage: %s version [OPTIONS]\n"
	"\n"
	"  Show version information for receptorctl and the receptor node\n"
	"\n"
	"Options:\n"
	"  --help  Show this message and exit.";

static const char help_work[] =
	"Usage: %s work [OPTIONS] COMMAND [ARGS]...\n"
	"\n"
	"  Commands related to unit-of-work processing\n"
	"\n"
	"Options:\n"
	"  --help  Show this message and exit.\n"
	"\n"
	"Commands:\n"
	"  cancel   Cancel (kill) one or more units of work.\n"
	"  list     List known units of work.\n"
	"  release  Release (delete) one or more units of work.\n"
	"  results  Get results for a previously or currently running unit of work.\n"
	"  submit   Submit a new unit of work.";

/* Click 8.2+: a group called without arguments fails with its help. */
static int
usage_error_help(RcCtl *ctl, const char *format)
{
	g_autofree char *help = rc_ctl_expand(format, ctl->prog);
	rc_ctl_print_error(help);
	return 1;
}

/* ------------------------------------------------------------------ options */

static const RcCtlOpt main_opts[] = {
	{ "--socket", NULL, "socket", RC_CTL_OPT_TEXT, FALSE, TRUE, "RECEPTORCTL_SOCKET" },
	{ "--config", "-c", "config", RC_CTL_OPT_TEXT, FALSE, FALSE, "RECEPTORCTL_CONFIG" },
	{ "--tls-client", NULL, "tlsclient", RC_CTL_OPT_TEXT, FALSE, FALSE,
	  "RECEPTORCTL_TLSCLIENT" },
	{ "--rootcas", NULL, "rootcas", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--key", NULL, "key", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--cert", NULL, "cert", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ "--insecureskipverify", NULL, "insecureskipverify", RC_CTL_OPT_BOOL, FALSE, FALSE, NULL },
	{ NULL },
};
static const RcCtlCommand main_cmd = { main_opts, NULL, TRUE, TRUE };

static const RcCtlOpt status_opts[] = {
	{ "--json", NULL, "printjson", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ NULL },
};
static const RcCtlCommand status_cmd = { status_opts, NULL, FALSE, FALSE };

static const RcCtlArg node_arg[] = { { "node", 1, TRUE }, { NULL } };
static const RcCtlOpt ping_opts[] = {
	{ "--count", NULL, "count", RC_CTL_OPT_INT, FALSE, FALSE, NULL },
	{ "--delay", NULL, "delay", RC_CTL_OPT_FLOAT, FALSE, FALSE, NULL },
	{ NULL },
};
static const RcCtlCommand ping_cmd = { ping_opts, node_arg, FALSE, FALSE };
static const RcCtlOpt no_opts[] = { { NULL } };
static const RcCtlCommand reload_cmd = { no_opts, NULL, FALSE, FALSE };
static const RcCtlCommand traceroute_cmd = { no_opts, node_arg, FALSE, FALSE };
static const RcCtlCommand version_cmd = { no_opts, NULL, FALSE, FALSE };
static const RcCtlArg connect_args[] = { { "node", 1, TRUE }, { "service", 1, TRUE }, { NULL } };
static const RcCtlOpt connect_opts[] = {
	{ "--raw", "-r", "raw", RC_CTL_OPT_FLAG, FALSE, FALSE, NULL },
	{ "--tls-client", NULL, "tlsclient", RC_CTL_OPT_TEXT, FALSE, FALSE, NULL },
	{ NULL },
};
static const RcCtlCommand connect_cmd = { connect_opts, connect_args, FALSE, FALSE };
static const RcCtlCommand work_cmd = { no_opts, NULL, TRUE, FALSE };

/* ------------------------------------------------------------------ subcommands */

static const char *const status_keys[] = { "Advertisements", "Connections",
					   "KnownConnectionCosts", "NodeID",
					   "RoutingTable", "SystemCPUCount",
					   "SystemMemoryMiB", "Version", NULL };

/* A KeyError as Python prints it: 'Key'. */
static int
key_error(const char *key)
{
	g_autofree char *r = rc_ctl_repr(key);
	rc_ctl_print_error(r);
	return 1;
}

static void
echo_str(const char *label, JsonNode *node)
{
	g_autoptr(GString) line = g_string_new(label);
	rc_ctl_py_str(line, node);
	rc_ctl_echo(line->str);
}

static gboolean
truthy(JsonNode *node)
{
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return FALSE;
	if (JSON_NODE_HOLDS_ARRAY(node))
		return json_array_get_length(json_node_get_array(node)) > 0;
	if (JSON_NODE_HOLDS_OBJECT(node))
		return json_object_get_size(json_node_get_object(node)) > 0;
	return TRUE;
}

static const char *
member_string(JsonObject *obj, const char *key)
{
	JsonNode *n = json_object_get_member(obj, key);
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

static void
print_worktypes(JsonArray *ads, guint width, const char *header, gboolean secure)
{
	gboolean once = TRUE;
	g_autoptr(GPtrArray) seen = g_ptr_array_new();

	for (guint i = 0; i < json_array_get_length(ads); i++) {
		JsonObject *ad = json_array_get_object_element(ads, i);
		JsonNode *wc = ad != NULL ? json_object_get_member(ad, "WorkCommands") : NULL;
		g_autoptr(GString) names = g_string_new(NULL);
		const char *node;
		g_autoptr(GString) line = g_string_new(NULL);

		if (!truthy(wc) || !JSON_NODE_HOLDS_ARRAY(wc))
			continue;
		for (guint j = 0; j < json_array_get_length(json_node_get_array(wc)); j++) {
			JsonObject *c = json_array_get_object_element(json_node_get_array(wc), j);
			JsonNode *s = c != NULL ? json_object_get_member(c, "Secure") : NULL;
			gboolean is_secure = s != NULL && JSON_NODE_HOLDS_VALUE(s) &&
					     json_node_get_value_type(s) == G_TYPE_BOOLEAN &&
					     json_node_get_boolean(s);
			if (c == NULL || is_secure != secure)
				continue;
			if (names->len > 0)
				g_string_append(names, ", ");
			g_string_append(names, member_string(c, "WorkType") ?: "None");
		}
		if (names->len == 0)
			continue;
		node = member_string(ad, "NodeID") ?: "";
		if (g_ptr_array_find_with_equal_func(seen, node, g_str_equal, NULL))
			continue;
		g_ptr_array_add(seen, (gpointer)node);
		if (once) {
			g_autoptr(GString) h = g_string_new(NULL);
			rc_ctl_echo("");
			rc_ctl_py_pad(h, "Node", width);
			g_string_append_printf(h, " %s", header);
			rc_ctl_echo(h->str);
			once = FALSE;
		}
		rc_ctl_py_pad(line, node, width);
		g_string_append_printf(line, " %s", names->str);
		rc_ctl_echo(line->str);
	}
}

static int
cmd_status(RcCtl *ctl, RcCtlParsed *args)
{
	GError *error = NULL;
	g_autoptr(JsonNode) reply = rc_ctl_client_simple_command(ctl->rc, "status", &error);
	JsonObject *st;
	JsonNode *conns, *costs, *routes, *ads;
	guint width = 12;
	const char *first4[] = { "NodeID", "Version", "SystemCPUCount", "SystemMemoryMiB" };
	const char *labels[] = { "Node ID: ", "Version: ", "System CPU Count: ",
				 "System Memory MiB: " };
	g_autoptr(JsonObject) leftover = json_object_new();

	if (reply == NULL)
		return rc_ctl_fail(error);
	if (rc_ctl_flag(args, "printjson")) {
		g_autoptr(GString) out = g_string_new(NULL);
		rc_ctl_py_json_dumps(out, reply);
		rc_ctl_echo(out->str);
		return 0;
	}
	if (!JSON_NODE_HOLDS_OBJECT(reply))
		return key_error("NodeID");
	st = json_node_get_object(reply);
	for (guint i = 0; i < 4; i++) {
		JsonNode *n = json_object_get_member(st, first4[i]);
		if (n == NULL)
			return key_error(first4[i]);
		echo_str(labels[i], n);
	}
	conns = json_object_get_member(st, "Connections");
	costs = json_object_get_member(st, "KnownConnectionCosts");
	routes = json_object_get_member(st, "RoutingTable");
	ads = json_object_get_member(st, "Advertisements");
	if (truthy(conns) && JSON_NODE_HOLDS_ARRAY(conns)) {
		JsonArray *a = json_node_get_array(conns);
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonObject *c = json_array_get_object_element(a, i);
			const char *id = c != NULL ? member_string(c, "NodeID") : NULL;
			if (id != NULL)
				width = MAX(width, (guint)g_utf8_strlen(id, -1));
		}
	}
	if (truthy(costs) && JSON_NODE_HOLDS_OBJECT(costs)) {
		g_autoptr(GList) keys = json_object_get_members(json_node_get_object(costs));
		for (GList *l = keys; l != NULL; l = l->next)
			width = MAX(width, (guint)g_utf8_strlen(l->data, -1));
	}
	if (truthy(conns) && JSON_NODE_HOLDS_ARRAY(conns)) {
		JsonArray *a = json_node_get_array(conns);
		g_autoptr(GString) h = g_string_new(NULL);
		rc_ctl_echo("");
		rc_ctl_py_pad(h, "Connection", width);
		g_string_append(h, " Cost");
		rc_ctl_echo(h->str);
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonObject *c = json_array_get_object_element(a, i);
			g_autoptr(GString) line = g_string_new(NULL);
			if (c == NULL || json_object_get_member(c, "NodeID") == NULL)
				return key_error("NodeID");
			if (json_object_get_member(c, "Cost") == NULL)
				return key_error("Cost");
			rc_ctl_py_pad(line, member_string(c, "NodeID") ?: "", width);
			g_string_append_c(line, ' ');
			rc_ctl_py_str(line, json_object_get_member(c, "Cost"));
			rc_ctl_echo(line->str);
		}
	}
	if (truthy(costs) && JSON_NODE_HOLDS_OBJECT(costs)) {
		JsonObjectIter iter;
		const char *node;
		JsonNode *peers;
		g_autoptr(GString) h = g_string_new(NULL);

		rc_ctl_echo("");
		rc_ctl_py_pad(h, "Known Node", width);
		g_string_append(h, " Known Connections");
		rc_ctl_echo(h->str);
		json_object_iter_init_ordered(&iter, json_node_get_object(costs));
		while (json_object_iter_next_ordered(&iter, &node, &peers)) {
			g_autoptr(GString) line = g_string_new(NULL);
			rc_ctl_py_pad(line, node, width);
			g_string_append_c(line, ' ');
			if (JSON_NODE_HOLDS_OBJECT(peers)) {
				JsonObjectIter pi;
				const char *peer;
				JsonNode *cost;
				json_object_iter_init_ordered(&pi, json_node_get_object(peers));
				while (json_object_iter_next_ordered(&pi, &peer, &cost)) {
					g_string_append_printf(line, "%s: ", peer);
					rc_ctl_py_str(line, cost);
					g_string_append_c(line, ' ');
				}
			}
			rc_ctl_echo(line->str);
		}
	}
	if (truthy(routes) && JSON_NODE_HOLDS_OBJECT(routes)) {
		JsonObjectIter iter;
		const char *node;
		JsonNode *via;
		g_autoptr(GString) h = g_string_new(NULL);

		rc_ctl_echo("");
		rc_ctl_py_pad(h, "Route", width);
		g_string_append(h, " Via");
		rc_ctl_echo(h->str);
		json_object_iter_init_ordered(&iter, json_node_get_object(routes));
		while (json_object_iter_next_ordered(&iter, &node, &via)) {
			g_autoptr(GString) line = g_string_new(NULL);
			rc_ctl_py_pad(line, node, width);
			g_string_append_c(line, ' ');
			rc_ctl_py_str(line, via);
			rc_ctl_echo(line->str);
		}
	}
	if (truthy(ads) && JSON_NODE_HOLDS_ARRAY(ads)) {
		JsonArray *a = json_node_get_array(ads);
		g_autoptr(GString) h = g_string_new(NULL);

		rc_ctl_echo("");
		rc_ctl_py_pad(h, "Node", width);
		g_string_append(h, " Service   Type       Last Seen             Tags");
		rc_ctl_echo(h->str);
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonObject *ad = json_array_get_object_element(a, i);
			g_autoptr(GString) line = g_string_new(NULL);
			g_autoptr(GString) tags = g_string_new(NULL);
			const char *time = ad != NULL ? member_string(ad, "Time") : NULL;
			JsonNode *ct = ad != NULL ? json_object_get_member(ad, "ConnType") : NULL;
			JsonNode *tg = ad != NULL ? json_object_get_member(ad, "Tags") : NULL;
			g_autofree char *seen = NULL;
			const char *type = "";
			gint64 t;

			if (time == NULL)
				return key_error("Time");
			if (ct == NULL)
				return key_error("ConnType");
			t = JSON_NODE_HOLDS_VALUE(ct) ? json_node_get_int(ct) : -1;
			type = t == 0 ? "Datagram" : t == 1 ? "Stream" : t == 2 ? "StreamTLS" : "";
			/* the Time's own wall clock, fraction dropped (control.md 5.5) */
			seen = strlen(time) >= 19 ? g_strdup_printf("%.10s %.8s", time, time + 11)
						  : g_strdup(time);
			if (tg == NULL || JSON_NODE_HOLDS_NULL(tg))
				g_string_append_c(tags, '-');
			else
				rc_ctl_py_repr(tags, tg);
			rc_ctl_py_pad(line, member_string(ad, "NodeID") ?: "", width);
			g_string_append_c(line, ' ');
			rc_ctl_py_pad(line, member_string(ad, "Service") ?: "", 9);
			g_string_append_c(line, ' ');
			rc_ctl_py_pad(line, type, 10);
			g_string_append_c(line, ' ');
			rc_ctl_py_pad(line, seen, 21);
			g_string_append_c(line, ' ');
			rc_ctl_py_pad(line, tags->str, 16);
			rc_ctl_echo(line->str);
		}
		print_worktypes(a, width, "Work Types", FALSE);
		print_worktypes(a, width, "Secure Work Types", TRUE);
	}
	{
		JsonObjectIter iter;
		const char *name;
		JsonNode *member;
		json_object_iter_init_ordered(&iter, st);
		while (json_object_iter_next_ordered(&iter, &name, &member)) {
			if (!g_strv_contains(status_keys, name))
				json_object_set_member(leftover, name, json_node_copy(member));
		}
	}
	if (json_object_get_size(leftover) > 0) {
		g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), leftover);
		g_autoptr(GString) out = g_string_new(NULL);
		rc_ctl_echo("Additional data returned from Receptor:");
		rc_ctl_py_json_dumps(out, n);
		rc_ctl_echo(out->str);
	}
	return 0;
}

static JsonNode *
obj_get(JsonNode *node, const char *key)
{
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return NULL;
	return json_object_get_member(json_node_get_object(node), key);
}

static int
cmd_ping(RcCtl *ctl, RcCtlParsed *args)
{
	const char *node = rc_ctl_get(args, "node");
	gint64 count = rc_ctl_get(args, "count") ? g_ascii_strtoll(rc_ctl_get(args, "count"),
								     NULL, 10)
						 : 4;
	double delay = rc_ctl_get(args, "delay") ? g_ascii_strtod(rc_ctl_get(args, "delay"), NULL)
						 : 1.0;
	g_autofree char *cmd = g_strdup_printf("ping %s", node);
	gboolean failed = FALSE;

	for (gint64 i = 0; i < count; i++) {
		GError *error = NULL;
		g_autoptr(JsonNode) r = rc_ctl_client_simple_command(ctl->rc, cmd, &error);
		JsonNode *ok;
		g_autoptr(GString) line = g_string_new(NULL);

		if (r == NULL)
			return rc_ctl_fail(error);
		ok = obj_get(r, "Success");
		if (ok != NULL && truthy(ok) &&
		    !(JSON_NODE_HOLDS_VALUE(ok) && json_node_get_value_type(ok) == G_TYPE_BOOLEAN &&
		      !json_node_get_boolean(ok))) {
			if (obj_get(r, "From") == NULL)
				return key_error("From");
			if (obj_get(r, "TimeStr") == NULL)
				return key_error("TimeStr");
			g_string_append(line, "Reply from ");
			rc_ctl_py_str(line, obj_get(r, "From"));
			g_string_append(line, " in ");
			rc_ctl_py_str(line, obj_get(r, "TimeStr"));
			rc_ctl_echo(line->str);
		} else {
			failed = TRUE;
			if (obj_get(r, "Error") == NULL)
				return key_error("Error");
			rc_ctl_py_str(line, obj_get(r, "Error"));
			if (obj_get(r, "From") != NULL && obj_get(r, "TimeStr") != NULL) {
				g_string_append(line, " from ");
				rc_ctl_py_str(line, obj_get(r, "From"));
				g_string_append(line, " in ");
				rc_ctl_py_str(line, obj_get(r, "TimeStr"));
			}
			rc_ctl_print_error(line->str);
		}
		if (i < count - 1 && delay > 0)
			g_usleep((gulong)(delay * G_USEC_PER_SEC));
	}
	return failed ? 2 : 0;
}

static gint
cmp_hop(gconstpointer a, gconstpointer b)
{
	gint64 x = g_ascii_strtoll(*(const char *const *)a, NULL, 10);
	gint64 y = g_ascii_strtoll(*(const char *const *)b, NULL, 10);
	return x < y ? -1 : x > y;
}

static int
cmd_traceroute(RcCtl *ctl, RcCtlParsed *args)
{
	GError *error = NULL;
	g_autofree char *cmd = g_strdup_printf("traceroute %s", rc_ctl_get(args, "node"));
	g_autoptr(JsonNode) r = rc_ctl_client_simple_command(ctl->rc, cmd, &error);
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	g_autoptr(GList) members = NULL;

	if (r == NULL)
		return rc_ctl_fail(error);
	if (!JSON_NODE_HOLDS_OBJECT(r))
		return 0;
	members = json_object_get_members(json_node_get_object(r));
	for (GList *l = members; l != NULL; l = l->next)
		g_ptr_array_add(keys, l->data);
	g_ptr_array_sort(keys, cmp_hop);
	for (guint i = 0; i < keys->len; i++) {
		JsonNode *hop = obj_get(r, keys->pdata[i]);
		g_autoptr(GString) line = g_string_new(NULL);
		gboolean err = obj_get(hop, "Error") != NULL;

		g_string_append_printf(line, "%s: ", (const char *)keys->pdata[i]);
		if (err) {
			g_string_append(line, "Error ");
			rc_ctl_py_str(line, obj_get(hop, "Error"));
			g_string_append(line, " from ");
		}
		rc_ctl_py_str(line, obj_get(hop, "From"));
		g_string_append(line, " in ");
		rc_ctl_py_str(line, obj_get(hop, "TimeStr"));
		if (err)
			rc_ctl_print_error(line->str);
		else
			rc_ctl_echo(line->str);
	}
	return 0;
}

static int
cmd_reload(RcCtl *ctl, RcCtlParsed *args)
{
	GError *error = NULL;
	g_autoptr(JsonNode) r = rc_ctl_client_simple_command(ctl->rc, "reload", &error);
	JsonNode *ok;
	g_autoptr(GString) msg = g_string_new(NULL);

	if (r == NULL)
		return rc_ctl_fail(error);
	ok = obj_get(r, "Success");
	if (ok != NULL && JSON_NODE_HOLDS_VALUE(ok) &&
	    json_node_get_value_type(ok) == G_TYPE_BOOLEAN && json_node_get_boolean(ok)) {
		rc_ctl_echo("Reload successful");
		return 0;
	}
	if (obj_get(r, "Error") == NULL)
		return key_error("Error");
	rc_ctl_py_str(msg, obj_get(r, "Error"));
	rc_ctl_print_error(msg->str);
	if (strstr(msg->str, "ERRORCODE 3") != NULL)
		return 3;
	if (strstr(msg->str, "ERRORCODE 4") != NULL)
		return 4;
	return 5;
}

static int
cmd_version(RcCtl *ctl, RcCtlParsed *args)
{
	g_autofree char *a = g_strdup_printf("receptorctl  %s", PACKAGE_VERSION);
	g_autofree char *b = g_strdup_printf("receptor     %s", ctl->receptor_version);
	rc_ctl_echo(a);
	rc_ctl_echo(b);
	return 0;
}

static int
cmd_connect(RcCtl *ctl, RcCtlParsed *args)
{
	GError *error = NULL;
	const char *tls = rc_ctl_get(args, "tlsclient") ?: "";
	struct termios saved;
	gboolean have_tty;
	int fd;

	if (!rc_ctl_client_connect_to_service(ctl->rc, rc_ctl_get(args, "node"),
					      rc_ctl_get(args, "service"), tls, &error))
		return rc_ctl_fail(error);
	/* Python requires a terminal here (control.md 9 Q11); we only set up the
	 * terminal when there is one (docs/differences.md) */
	have_tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (have_tty && rc_ctl_flag(args, "raw")) {
		struct termios raw = saved;
		cfmakeraw(&raw);
		raw.c_lflag &= ~(tcflag_t)ISIG;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	fd = rc_ctl_client_get_fd(ctl->rc);
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };
		char buf[4096];
		gssize n;

		if (rc_ctl_client_buffered(ctl->rc) == 0 && poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (rc_ctl_client_buffered(ctl->rc) > 0 || (p[0].revents & (POLLIN | POLLHUP))) {
			n = rc_ctl_client_read(ctl->rc, buf, sizeof buf, NULL);
			if (n <= 0)
				break;
			fwrite(buf, 1, (gsize)n, stdout);
			fflush(stdout);
			continue;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			n = read(STDIN_FILENO, buf, sizeof buf);
			if (n <= 0)
				break;
			if (!rc_ctl_client_write(ctl->rc, buf, (gsize)n, NULL))
				break;
		}
	}
	if (have_tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	rc_ctl_echo("");
	return 0;
}

/* ------------------------------------------------------------------ the group */

typedef struct {
	char *rootcas;
	char *key;
	char *cert;
	gboolean skip;
	gboolean skip_set;
} TlsSettings;

static void
tls_settings_clear(TlsSettings *t)
{
	g_free(t->rootcas);
	g_free(t->key);
	g_free(t->cert);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TlsSettings, tls_settings_clear)

static const char *
py_type_name(const RcYamlNode *n)
{
	switch (n->kind) {
	case RC_YAML_NULL:
		return "NoneType";
	case RC_YAML_BOOL:
		return "bool";
	case RC_YAML_INT:
	case RC_YAML_UINT:
		return "int";
	case RC_YAML_FLOAT:
		return "float";
	case RC_YAML_SEQ:
		return "list";
	case RC_YAML_STRING:
	case RC_YAML_MAP:
	default:
		return "str";
	}
}

static RcYamlNode *
yaml_get(const RcYamlNode *map, const char *name)
{
	for (guint i = 0; i < rc_yaml_map_size(map); i++) {
		RcYamlNode *k = rc_yaml_map_key(map, i);
		if (k->kind == RC_YAML_STRING && g_strcmp0(k->text, name) == 0)
			return rc_yaml_map_value(map, i);
	}
	return NULL;
}

static gboolean
yaml_truthy(const RcYamlNode *n)
{
	switch (n->kind) {
	case RC_YAML_NULL:
		return FALSE;
	case RC_YAML_BOOL:
		return n->b;
	case RC_YAML_INT:
		return n->i != 0;
	case RC_YAML_UINT:
		return n->u != 0;
	case RC_YAML_FLOAT:
		return n->d != 0;
	case RC_YAML_STRING:
		return n->text != NULL && n->text[0] != '\0';
	case RC_YAML_SEQ:
	case RC_YAML_MAP:
	default:
		return n->children != NULL && n->children->len > 0;
	}
}

/* ReceptorControl.readconfig (control.md 5.1): the rootcas/key/cert/
 * insecureskipverify of the `tls-client` item named `name`. */
static gboolean
read_tls_config(const char *path, const char *name, TlsSettings *out, char **message)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcYamlNode) root = NULL;
	guint line = 0, column = 0;

	if (!g_file_get_contents(path, &data, &len, &error)) {
		int e = g_file_test(path, G_FILE_TEST_EXISTS) ? EACCES : ENOENT;
		g_autofree char *r = rc_ctl_repr(path);
		*message = g_strdup_printf("[Errno %d] %s: %s", e, g_strerror(e), r);
		return FALSE;
	}
	root = rc_yaml_parse((const guint8 *)data, len, &line, &column, &error);
	if (root == NULL) {
		*message = g_strdup(error->message);
		return FALSE;
	}
	if (root->kind != RC_YAML_SEQ) {
		*message = g_strdup_printf("'%s' object is not iterable", py_type_name(root));
		return FALSE;
	}
	for (guint i = 0; i < root->children->len; i++) {
		RcYamlNode *item = root->children->pdata[i];
		RcYamlNode *tc, *n;
		const char *fields[] = { "rootcas", "key", "cert" };
		char **dest[] = { &out->rootcas, &out->key, &out->cert };

		if (item->kind != RC_YAML_MAP) {
			*message = g_strdup_printf("'%s' object has no attribute 'get'",
						   py_type_name(item));
			return FALSE;
		}
		tc = yaml_get(item, "tls-client");
		if (tc == NULL || !yaml_truthy(tc) || tc->kind != RC_YAML_MAP)
			continue;
		n = yaml_get(tc, "name");
		if (n == NULL) {
			*message = g_strdup("'name'");
			return FALSE;
		}
		if (n->text == NULL || g_strcmp0(n->text, name) != 0)
			continue;
		for (guint f = 0; f < G_N_ELEMENTS(fields); f++) {
			RcYamlNode *v = yaml_get(tc, fields[f]);
			if (v != NULL && v->text != NULL) {
				g_free(*dest[f]);
				*dest[f] = g_strdup(v->text);
			}
		}
		n = yaml_get(tc, "insecureskipverify");
		if (n != NULL) {
			out->skip = yaml_truthy(n);
			out->skip_set = TRUE;
		}
		break;
	}
	return TRUE;
}

/* The group callback (control.md 5.4): client, version query, warning. */
static int
connect_and_query_version(RcCtl *ctl, RcCtlParsed *g)
{
	const char *config = rc_ctl_get(g, "config");
	const char *tlsclient = rc_ctl_get(g, "tlsclient");
	const char *rootcas = rc_ctl_get(g, "rootcas");
	const char *key = rc_ctl_get(g, "key");
	const char *cert = rc_ctl_get(g, "cert");
	gboolean skip = FALSE;
	GError *error = NULL;
	g_autoptr(JsonNode) r = NULL;
	JsonNode *v;
	g_auto(TlsSettings) tls = { 0 };

	if (rc_ctl_get(g, "insecureskipverify") != NULL)
		rc_ctl_parse_bool(rc_ctl_get(g, "insecureskipverify"), &skip, NULL);
	if (rc_ctl_get(g, "socket") == NULL)
		return -1;
	if (config != NULL && config[0] != '\0' &&
	    ((rootcas && rootcas[0]) || (key && key[0]) || (cert && cert[0]))) {
		rc_ctl_print_error("Cannot specify both config and rootcas, key, cert");
		return 1;
	}
	if (config != NULL && config[0] != '\0' && (tlsclient == NULL || tlsclient[0] == '\0')) {
		rc_ctl_print_error("Must specify both config and tlsclient");
		return 1;
	}
	if (config != NULL && config[0] != '\0') {
		g_autofree char *msg = NULL;
		if (!read_tls_config(config, tlsclient, &tls, &msg)) {
			rc_ctl_print_error(msg);
			return 1;
		}
		rootcas = tls.rootcas;
		key = tls.key;
		cert = tls.cert;
		if (tls.skip_set)
			skip = tls.skip;
	}
	ctl->rc = rc_ctl_client_new(rc_ctl_get(g, "socket"), rootcas, key, cert, skip);
	r = rc_ctl_client_simple_command(ctl->rc,
					 "{\"command\":\"status\",\"requested_fields\":[\"Version\"]}",
					 &error);
	if (r == NULL)
		return rc_ctl_fail(error);
	v = obj_get(r, "Version");
	if (v == NULL)
		return key_error("Version");
	{
		g_autoptr(GString) s = g_string_new(NULL);
		rc_ctl_py_str(s, v);
		g_free(ctl->receptor_version);
		ctl->receptor_version = g_strdup(s->str);
		if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_STRING ||
		    g_strcmp0(s->str, PACKAGE_VERSION) != 0)
			rc_ctl_print_warning(
				"receptorctl and receptor are different versions, they may not be compatible");
	}
	return -1;
}

typedef struct {
	const char *name;
	const RcCtlCommand *cmd;
	const char *help;
	int (*run)(RcCtl *ctl, RcCtlParsed *args);
} Sub;

static int
run_sub(RcCtl *ctl, const Sub *sub, int argc, char **argv)
{
	GError *error = NULL;
	g_autoptr(RcCtlParsed) p = rc_ctl_parse(sub->cmd, argc, argv, &error);

	if (p == NULL)
		return rc_ctl_fail(error);
	if (p->help) {
		rc_ctl_print_help(ctl, sub->help);
		return 0;
	}
	if (ctl->rc == NULL) {
		/* Python: get_rc() is None here */
		rc_ctl_print_error("'NoneType' object has no attribute 'simple_command'");
		return 1;
	}
	return sub->run(ctl, p);
}

static int
run_work(RcCtl *ctl, int argc, char **argv)
{
	GError *error = NULL;
	g_autoptr(RcCtlParsed) p = NULL;
	const RcCtlWorkCommand *sub;

	if (argc == 0)
		return usage_error_help(ctl, help_work);
	p = rc_ctl_parse(&work_cmd, argc, argv, &error);
	if (p == NULL)
		return rc_ctl_fail(error);
	if (p->help) {
		rc_ctl_print_help(ctl, help_work);
		return 0;
	}
	if (p->rest == NULL || p->rest[0] == NULL) {
		rc_ctl_print_error("Missing command.");
		return 1;
	}
	sub = rc_ctl_work_find(p->rest[0]);
	if (sub == NULL) {
		g_autofree char *msg = g_strdup_printf("No such command '%s'.", p->rest[0]);
		rc_ctl_print_error(msg);
		return 1;
	}
	{
		g_autoptr(RcCtlParsed) sp = rc_ctl_parse(sub->cmd, (int)g_strv_length(p->rest) - 1,
							 p->rest + 1, &error);
		if (sp == NULL)
			return rc_ctl_fail(error);
		if (sp->help) {
			rc_ctl_print_help(ctl, sub->help);
			return 0;
		}
		return sub->run(ctl, sp);
	}
}

static const Sub subs[] = {
	{ "connect", &connect_cmd, help_connect, cmd_connect },
	{ "ping", &ping_cmd, help_ping, cmd_ping },
	{ "reload", &reload_cmd, help_reload, cmd_reload },
	{ "status", &status_cmd, help_status, cmd_status },
	{ "traceroute", &traceroute_cmd, help_traceroute, cmd_traceroute },
	{ "version", &version_cmd, help_version, cmd_version },
	{ "work", NULL, help_work, NULL },
};

static int
run(RcCtl *ctl, int argc, char **argv)
{
	g_autoptr(RcCtlParsed) g = NULL;
	GError *error = NULL;
	const Sub *sub = NULL;
	char **rest;
	int nrest;
	int rc;

	if (argc <= 1)
		return usage_error_help(ctl, help_main);
	g = rc_ctl_parse(&main_cmd, argc - 1, argv + 1, &error);
	if (g == NULL)
		return rc_ctl_fail(error);
	if (g->help) {
		rc_ctl_print_help(ctl, help_main);
		return 0;
	}
	rest = g->rest;
	nrest = (int)g_strv_length(rest);
	if (nrest == 0) {
		rc_ctl_print_error("Missing command.");
		return 1;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(subs); i++) {
		if (g_strcmp0(subs[i].name, rest[0]) == 0)
			sub = &subs[i];
	}
	if (sub == NULL) {
		g_autofree char *msg = g_strdup_printf("No such command '%s'.", rest[0]);
		rc_ctl_print_error(msg);
		return 1;
	}
	rc = connect_and_query_version(ctl, g);
	if (rc >= 0)
		return rc;
	if (sub->cmd == NULL)
		return run_work(ctl, nrest - 1, rest + 1);
	return run_sub(ctl, sub, nrest - 1, rest + 1);
}

int
main(int argc, char **argv)
{
	RcCtl ctl = { 0 };
	int rc;

	ctl.prog = g_path_get_basename(argv[0]);
	ctl.receptor_version = g_strdup("Unknown");
	rc = run(&ctl, argc, argv);
	rc_ctl_client_free(ctl.rc);
	g_free(ctl.receptor_version);
	g_free(ctl.prog);
	return rc;
}
