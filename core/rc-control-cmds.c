/* rc-control-cmds.c: the built-in control commands status, ping,
 * traceroute, reload and connect (control.md 3.1-3.5). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#endif
#include "config.h"

#include <sched.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "rc-control-parse.h"
#include "rc-control-private.h"
#include "rc-limits.h"
#include "rc-reload.h"
#if RC_CONTROL_WITH_NETCEPTOR
#include "rc-netceptor.h"
#include "rc-wire.h"
#endif
#if RC_CONTROL_WITH_TLS
#include "rc-tls.h"
#endif
#if RC_CONTROL_WITH_STREAMS
#include "rc-stream.h"
#endif

/* ------------------------------------------------------------------ helpers */

/* A node owning `obj` (json_node_init_object would add a reference). */
static JsonNode *
object_node(JsonObject *obj)
{
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return node;
}

static gint
cmp_strptr(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of a GHashTable sorted bytewise (Go sorts map keys). (transfer container) */
G_GNUC_UNUSED static GPtrArray *
sorted_keys(GHashTable *table)
{
	GPtrArray *keys = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;

	if (table != NULL) {
		g_hash_table_iter_init(&iter, table);
		while (g_hash_table_iter_next(&iter, &key, NULL))
			g_ptr_array_add(keys, key);
	}
	g_ptr_array_sort(keys, cmp_strptr);
	return keys;
}

/* Go runtime.NumCPU: the scheduler affinity mask (control.md 3.1). */
static gint64
system_cpu_count(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set);
	return (gint64)g_get_num_processors();
}

static gint64
system_memory_mib(void)
{
	struct sysinfo info;

	if (sysinfo(&info) != 0)
		return 0;
	return (gint64)((guint64)info.totalram * info.mem_unit / 1048576);
}

/* A JSON member that must be a string: FALSE with the reply sent otherwise. */
static gboolean
json_target(RcControlRequest *req, const char *member, const char *missing,
	    const char *not_string, const char **out)
{
	JsonNode *node = json_object_get_member(rc_control_request_get_json(req), member);

	if (node == NULL) {
		rc_control_request_reply_error(req, missing);
		return FALSE;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		rc_control_request_reply_error(req, not_string);
		return FALSE;
	}
	*out = json_node_get_string(node);
	return TRUE;
}

/* ------------------------------------------------------------------ status */

#if RC_CONTROL_WITH_NETCEPTOR
static JsonNode *
advertisement_node(const RcServiceAd *ad)
{
	JsonObject *obj = json_object_new();
	g_autoptr(GString) time = g_string_new(NULL);

	/* struct order of Go's ServiceAdvertisement (control.md 3.1) */
	json_object_set_string_member(obj, "NodeID", ad->node_id);
	json_object_set_string_member(obj, "Service", ad->service);
	rc_wire_time_append(time, &ad->time);
	json_object_set_string_member(obj, "Time", time->str);
	json_object_set_int_member(obj, "ConnType", ad->conn_type);
	if (ad->tags == NULL) {
		json_object_set_null_member(obj, "Tags");
	} else {
		g_autoptr(GPtrArray) keys = sorted_keys(ad->tags);
		JsonObject *tags = json_object_new();
		for (guint i = 0; i < keys->len; i++)
			json_object_set_string_member(tags, keys->pdata[i],
						      g_hash_table_lookup(ad->tags, keys->pdata[i]));
		json_object_set_object_member(obj, "Tags", tags);
	}
	if (ad->work_commands == NULL) {
		json_object_set_null_member(obj, "WorkCommands");
	} else {
		JsonArray *wc = json_array_new();
		for (guint i = 0; i < ad->work_commands->len; i++) {
			const RcWorkCommand *c = ad->work_commands->pdata[i];
			JsonObject *o = json_object_new();
			json_object_set_string_member(o, "WorkType", c->work_type);
			json_object_set_boolean_member(o, "Secure", c->secure);
			json_array_add_object_element(wc, o);
		}
		json_object_set_array_member(obj, "WorkCommands", wc);
	}
	return object_node(obj);
}
#endif

static gboolean
wanted(const char *const *fields, const char *name)
{
	return fields == NULL || g_strv_contains(fields, name);
}

JsonNode *
rc_control_build_status(RcCore *core, const char *const *fields)
{
	JsonObject *obj = json_object_new();
#if RC_CONTROL_WITH_NETCEPTOR
	RcNetceptor *nc = core->netceptor;
#endif

	/* a map in Go: keys sorted (control.md 3.1) */
	if (wanted(fields, "Advertisements")) {
		JsonArray *ads = json_array_new();
#if RC_CONTROL_WITH_NETCEPTOR
		if (nc != NULL) {
			g_autoptr(GPtrArray) list = rc_netceptor_dup_advertisements(nc);
			for (guint i = 0; i < list->len; i++)
				json_array_add_element(ads, advertisement_node(list->pdata[i]));
		}
#endif
		json_object_set_array_member(obj, "Advertisements", ads);
	}
	if (wanted(fields, "Connections")) {
		JsonArray *conns = json_array_new();
#if RC_CONTROL_WITH_NETCEPTOR
		if (nc != NULL) {
			g_autoptr(GPtrArray) list = rc_netceptor_dup_connections(nc);
			for (guint i = 0; i < list->len; i++) {
				const RcConnectionInfo *ci = list->pdata[i];
				JsonObject *o = json_object_new();
				json_object_set_string_member(o, "NodeID", ci->node_id);
				json_object_set_double_member(o, "Cost", ci->cost);
				json_array_add_object_element(conns, o);
			}
		}
#endif
		json_object_set_array_member(obj, "Connections", conns);
	}
	if (wanted(fields, "KnownConnectionCosts")) {
		JsonObject *known = json_object_new();
#if RC_CONTROL_WITH_NETCEPTOR
		GHashTable *costs = nc != NULL ? rc_netceptor_get_known_costs(nc) : NULL;
		g_autoptr(GPtrArray) nodes = sorted_keys(costs);
		for (guint i = 0; i < nodes->len; i++) {
			GHashTable *peers = g_hash_table_lookup(costs, nodes->pdata[i]);
			g_autoptr(GPtrArray) names = sorted_keys(peers);
			JsonObject *inner = json_object_new();
			for (guint j = 0; j < names->len; j++) {
				const double *cost = g_hash_table_lookup(peers, names->pdata[j]);
				json_object_set_double_member(inner, names->pdata[j], *cost);
			}
			json_object_set_object_member(known, nodes->pdata[i], inner);
		}
#endif
		json_object_set_object_member(obj, "KnownConnectionCosts", known);
	}
	if (wanted(fields, "NodeID"))
		json_object_set_string_member(obj, "NodeID",
					      core->node_id != NULL ? core->node_id : "");
	if (wanted(fields, "RoutingTable")) {
		JsonObject *routes = json_object_new();
#if RC_CONTROL_WITH_NETCEPTOR
		GHashTable *table = nc != NULL ? rc_netceptor_get_routing_table(nc) : NULL;
		g_autoptr(GPtrArray) dests = sorted_keys(table);
		for (guint i = 0; i < dests->len; i++)
			json_object_set_string_member(routes, dests->pdata[i],
						      g_hash_table_lookup(table, dests->pdata[i]));
#endif
		json_object_set_object_member(obj, "RoutingTable", routes);
	}
	if (wanted(fields, "SystemCPUCount"))
		json_object_set_int_member(obj, "SystemCPUCount", system_cpu_count());
	if (wanted(fields, "SystemMemoryMiB"))
		json_object_set_int_member(obj, "SystemMemoryMiB", system_memory_mib());
	if (wanted(fields, "Version"))
		json_object_set_string_member(obj, "Version", PACKAGE_VERSION);
	return object_node(obj);
}

static void
cmd_status(RcControlRequest *req, gpointer user_data)
{
	g_autoptr(JsonNode) reply = NULL;
	g_autoptr(GPtrArray) fields = NULL;

	if (rc_control_request_is_json(req)) {
		JsonNode *rf = json_object_get_member(rc_control_request_get_json(req),
						      "requested_fields");
		if (rf != NULL) {
			JsonArray *array;
			/* Go panics here; we refuse (control.md 3.1, 9 Q1) */
			if (!JSON_NODE_HOLDS_ARRAY(rf)) {
				rc_control_request_reply_error(
					req, "requested_fields must be a list of strings");
				return;
			}
			array = json_node_get_array(rf);
			fields = g_ptr_array_new();
			for (guint i = 0; i < json_array_get_length(array); i++) {
				JsonNode *el = json_array_get_element(array, i);
				if (!JSON_NODE_HOLDS_VALUE(el) ||
				    json_node_get_value_type(el) != G_TYPE_STRING) {
					rc_control_request_reply_error(
						req, "each element of requested_fields must be a string");
					return;
				}
				g_ptr_array_add(fields, (gpointer)json_node_get_string(el));
			}
			g_ptr_array_add(fields, NULL);
		}
	} else if (rc_control_request_get_rest(req)[0] != '\0') {
		rc_control_request_reply_error(req, "status command does not take parameters");
		return;
	}
	reply = rc_control_build_status(rc_control_request_get_core(req),
					fields != NULL ? (const char *const *)fields->pdata : NULL);
	rc_control_request_reply_json(req, reply);
}

/* ------------------------------------------------------------------ ping, traceroute */

static JsonNode *
failure_node(const char *message)
{
	JsonObject *obj = json_object_new();
	json_object_set_string_member(obj, "Error", message);
	json_object_set_boolean_member(obj, "Success", FALSE);
	return object_node(obj);
}

static gboolean
get_target(RcControlRequest *req, const char *what, const char **target)
{
	g_autofree char *missing = g_strdup_printf("no %s target", what);
	g_autofree char *not_string = g_strdup_printf("%s target must be string", what);

	if (rc_control_request_is_json(req))
		return json_target(req, "target", missing, not_string, target);
	*target = rc_control_request_get_rest(req);
	if ((*target)[0] == '\0') {
		rc_control_request_reply_error(req, missing);
		return FALSE;
	}
	return TRUE;
}

#if RC_CONTROL_WITH_NETCEPTOR
static void
ping_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlRequest *req = user_data;
	RcCore *core = rc_control_request_get_core(req);
	g_autoptr(GError) error = NULL;
	g_autofree char *from = NULL;
	gint64 rtt_us = 0;
	g_autoptr(JsonNode) reply = NULL;

	if (core == NULL || core->netceptor == NULL) {
		reply = failure_node("netceptor shutdown");
	} else if (!rc_netceptor_ping_finish(core->netceptor, res, &from, &rtt_us, &error)) {
		reply = failure_node(error->message);
	} else {
		JsonObject *obj = json_object_new();
		g_autofree char *text = rc_control_format_duration(rtt_us * 1000);
		json_object_set_string_member(obj, "From", from);
		json_object_set_boolean_member(obj, "Success", TRUE);
		json_object_set_int_member(obj, "Time", rtt_us * 1000);
		json_object_set_string_member(obj, "TimeStr", text);
		reply = object_node(obj);
	}
	rc_control_request_reply_json(req, reply);
}
#endif

static void
cmd_ping(RcControlRequest *req, gpointer user_data)
{
	const char *target = NULL;
	RcCore *core = rc_control_request_get_core(req);

	if (!get_target(req, "ping", &target))
		return;
#if RC_CONTROL_WITH_NETCEPTOR
	if (core != NULL && core->netceptor != NULL) {
		rc_netceptor_ping_async(core->netceptor, target, RC_CONTROL_TRACEROUTE_MAX_HOPS,
					rc_control_request_get_cancellable(req), ping_done, req);
		return;
	}
#endif
	(void)core;
	{
		g_autoptr(JsonNode) reply = failure_node("netceptor shutdown");
		rc_control_request_reply_json(req, reply);
	}
}

#if RC_CONTROL_WITH_NETCEPTOR
static void
traceroute_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlRequest *req = user_data;
	RcCore *core = rc_control_request_get_core(req);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) hops = NULL;
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) by_key = g_hash_table_new(g_str_hash, g_str_equal);
	JsonObject *obj = json_object_new();
	g_autoptr(JsonNode) reply = object_node(obj);

	if (core != NULL && core->netceptor != NULL)
		hops = rc_netceptor_traceroute_finish(core->netceptor, res, &error);
	if (hops != NULL) {
		for (guint i = 0; i < hops->len; i++) {
			RcTraceHop *hop = hops->pdata[i];
			char *key = g_strdup_printf("%u", hop->hop);
			g_ptr_array_add(keys, key);
			g_hash_table_insert(by_key, key, hop);
		}
	}
	/* keys sorted as strings: "0","1","10",..,"2" (control.md 2.9) */
	g_ptr_array_sort(keys, cmp_strptr);
	for (guint i = 0; i < keys->len; i++) {
		RcTraceHop *hop = g_hash_table_lookup(by_key, keys->pdata[i]);
		JsonObject *h = json_object_new();
		g_autofree char *text = rc_control_format_duration(hop->rtt_us * 1000);
		if (hop->error != NULL)
			json_object_set_string_member(h, "Error", hop->error);
		json_object_set_string_member(h, "From", hop->from);
		json_object_set_int_member(h, "Time", hop->rtt_us * 1000);
		json_object_set_string_member(h, "TimeStr", text);
		json_object_set_object_member(obj, keys->pdata[i], h);
	}
	rc_control_request_reply_json(req, reply);
}
#endif

static void
cmd_traceroute(RcControlRequest *req, gpointer user_data)
{
	const char *target = NULL;
	RcCore *core = rc_control_request_get_core(req);

	if (!get_target(req, "traceroute", &target))
		return;
#if RC_CONTROL_WITH_NETCEPTOR
	if (core != NULL && core->netceptor != NULL) {
		rc_netceptor_traceroute_async(core->netceptor, target,
					      rc_control_request_get_cancellable(req),
					      traceroute_done, req);
		return;
	}
#endif
	(void)core;
	{
		g_autoptr(JsonNode) reply =
			object_node(json_object_new());
		rc_control_request_reply_json(req, reply);
	}
}

/* ------------------------------------------------------------------ reload */

static void
cmd_reload(RcControlRequest *req, gpointer user_data)
{
	RcCore *core = rc_control_request_get_core(req);
	g_autoptr(GError) error = NULL;
	JsonObject *obj = json_object_new();
	g_autoptr(JsonNode) reply = object_node(obj);

	/* `rest` and other JSON members are ignored (control.md 3.4) */
	if (core == NULL || !rc_startup_reload(core, &error)) {
		int code = error != NULL && error->code == RC_ERROR_CONFIG ? 3 : 4;
		g_autofree char *text = g_strdup_printf(
			"%s ERRORCODE %d", error != NULL ? error->message : "netceptor shutdown",
			code);
		g_warning("Reload not successful: %s", error != NULL ? error->message : "");
		json_object_set_string_member(obj, "Error", text);
		json_object_set_boolean_member(obj, "Success", FALSE);
	} else {
		json_object_set_boolean_member(obj, "Success", TRUE);
	}
	rc_control_request_reply_json(req, reply);
}

/* ------------------------------------------------------------------ connect */

#if RC_CONTROL_WITH_STREAMS
static void
connect_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcControlRequest *req = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcStream) stream = rc_stream_dial_finish(res, &error);

	if (stream == NULL) {
		/* the session goes on reading commands (control.md 3.5 step 2) */
		rc_control_request_reply_error(req, error->message);
		return;
	}
	rc_control_request_bridge(req, "Connecting\n", G_IO_STREAM(stream));
}
#endif

static void
cmd_connect(RcControlRequest *req, gpointer user_data)
{
	g_auto(GStrv) tokens = NULL;
	const char *node = NULL, *service = NULL, *tls = "";
	RcCore *core = rc_control_request_get_core(req);

	if (rc_control_request_is_json(req)) {
		JsonNode *t;
		if (!json_target(req, "node", "no connect target node",
				 "connect target node must be string", &node) ||
		    !json_target(req, "service", "no connect target service",
				 "connect target service must be string", &service))
			return;
		t = json_object_get_member(rc_control_request_get_json(req), "tls");
		if (t != NULL) {
			if (!JSON_NODE_HOLDS_VALUE(t) ||
			    json_node_get_value_type(t) != G_TYPE_STRING) {
				rc_control_request_reply_error(req,
							       "connect tls name must be string");
				return;
			}
			tls = json_node_get_string(t);
		}
	} else {
		tokens = rc_control_split_spaces(rc_control_request_get_rest(req));
		if (g_strv_length(tokens) < 2) {
			rc_control_request_reply_error(req, "no connect target");
			return;
		}
		if (g_strv_length(tokens) > 3) {
			rc_control_request_reply_error(req, "too many parameters");
			return;
		}
		node = tokens[0];
		service = tokens[1];
		if (tokens[2] != NULL)
			tls = tokens[2];
	}
#if RC_CONTROL_WITH_TLS
	if (tls[0] != '\0') {
		g_autoptr(GError) error = NULL;
		if (!rc_tls_store_check(rc_tls_store_get(core), tls, FALSE, &error)) {
			rc_control_request_reply_error(req, error->message);
			return;
		}
	}
#endif
#if RC_CONTROL_WITH_STREAMS
	rc_stream_dial_async(core, node, service, tls[0] != '\0' ? tls : NULL,
			     rc_control_request_get_cancellable(req), connect_done, req);
#else
	(void)core;
	(void)node;
	(void)service;
	rc_control_request_reply_error(req, tls[0] != '\0' ? "unknown TLS config" :
			"INTERNAL_ERROR (local): no route to node");
#endif
}

/* ------------------------------------------------------------------ registration */

void
rc_control_cmds_register(RcControl *control)
{
	static const struct {
		const char *name;
		RcControlFunc func;
	} builtins[] = {
		{ "status", cmd_status },   { "ping", cmd_ping },       { "traceroute", cmd_traceroute },
		{ "reload", cmd_reload },   { "connect", cmd_connect },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(builtins); i++) {
		/* the table is fresh: a clash would be a programming error */
		if (!rc_control_add_command(control, builtins[i].name, builtins[i].func, NULL, NULL))
			g_return_if_reached();
	}
}
