/* test-config.c: the configuration front end (config.md 3-5, 7, 13, 14):
 * argv grammar, YAML files, typing, error catalogue, help and completion,
 * and Go durations. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "rc-config.h"
#include "rc-duration.h"
#include "rc-help.h"
#include "rc-registry.h"

/* ------------------------------------------------------------ test entities
 * Small descriptors mirroring config.md 9 / Appendix A. */

static const RcParamDesc node_params[] = {
    {"id", RC_PARAM_STRING, RC_PARAM_BARE, NULL, "Node ID. Defaults to the local hostname."},
    {"datadir", RC_PARAM_STRING, 0, "/tmp/receptor", "Directory in which to store node data."},
    {"firewallrules", RC_PARAM_MAP_LIST, 0, NULL, "Firewall rules, see documentation for syntax."},
    {"maxidleconnectiontimeout", RC_PARAM_DURATION, 0, NULL,
     "Maximum duration with no traffic before a backend connection is timed out and refreshed."},
    {"receptorkubesupportreconnect", RC_PARAM_STRING, RC_PARAM_NO_DESC, NULL, NULL},
    {"receptorkubeclientsetqps", RC_PARAM_STRING, RC_PARAM_NO_DESC, NULL, NULL},
    {"receptorkubeclientsetburst", RC_PARAM_STRING, RC_PARAM_NO_DESC, NULL, NULL},
    {"receptorkubeclientsetratelimiter", RC_PARAM_STRING, RC_PARAM_NO_DESC, NULL, NULL},
    {NULL}};
static const RcEntityDesc node_entity = {
    sizeof(RcEntityDesc), "node", RC_ENTITY_GLOBAL, RC_ENTITY_SINGLETON,
    "Specifies the node configuration of this instance", node_params, NULL};

static const RcParamDesc local_only_params[] = {
    {"local", RC_PARAM_BOOL, RC_PARAM_NO_DESC, NULL, NULL}, {NULL}};
static const RcEntityDesc local_only_entity = {
    sizeof(RcEntityDesc), "local-only", RC_ENTITY_GLOBAL,
    RC_ENTITY_SINGLETON | RC_ENTITY_RELOADABLE, "Runs a self-contained node with no backend",
    local_only_params, NULL};

static const RcParamDesc no_params[] = {{NULL}};
static const RcEntityDesc version_entity = {
    sizeof(RcEntityDesc), "version", RC_ENTITY_GLOBAL, RC_ENTITY_EXCLUSIVE,
    "Displays the Receptor version.", no_params, NULL};

static const RcParamDesc log_level_params[] = {
    {"level", RC_PARAM_STRING, RC_PARAM_BARE, "error", "Log level: Error, Warning, Info or Debug"},
    {NULL}};
static const RcEntityDesc log_level_entity = {
    sizeof(RcEntityDesc), "log-level", RC_ENTITY_GLOBAL, RC_ENTITY_SINGLETON,
    "Specifies the verbosity level for command output", log_level_params, NULL};

static const RcEntityDesc trace_entity = {sizeof(RcEntityDesc), "trace", RC_ENTITY_GLOBAL,
					  RC_ENTITY_SINGLETON, "Enables packet tracing output",
					  NULL, NULL};

static const RcParamDesc control_params[] = {
    {"service", RC_PARAM_STRING, 0, "control", "Receptor service name to listen on"},
    {"filename", RC_PARAM_STRING, 0, NULL,
     "Specifies the filename of a local Unix socket to bind to the service."},
    {"permissions", RC_PARAM_INT, 0, "0600", "Socket file permissions"},
    {"tls", RC_PARAM_STRING, 0, NULL, "Name of TLS server config for the Receptor listener"},
    {"tcplisten", RC_PARAM_STRING, 0, NULL,
     "Local TCP port or host:port to bind to the control service"},
    {"tcptls", RC_PARAM_STRING, 0, NULL, "Name of TLS server config for the TCP listener"},
    {NULL}};
static const RcEntityDesc control_entity = {sizeof(RcEntityDesc), "control-service",
					    RC_ENTITY_GLOBAL, 0, "Runs a control service",
					    control_params, NULL};

static const RcParamDesc tls_server_params[] = {
    {"name", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Name of this TLS server configuration"},
    {"cert", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Server certificate filename"},
    {"key", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Server private key filename"},
    {"requireclientcert", RC_PARAM_BOOL, 0, "false", "Require client certificates"},
    {"clientcas", RC_PARAM_STRING, 0, NULL, "Filename of CA bundle to verify client certs with"},
    {"pinnedclientcert", RC_PARAM_STRING_LIST, 0, NULL,
     "Pinned fingerprint of required client certificate"},
    {"skipreceptornamescheck", RC_PARAM_BOOL, 0, "false",
     "Skip verifying ReceptorNames OIDs in certificate at startup"},
    {"mintls13", RC_PARAM_BOOL, 0, "false",
     "Set minimum TLS version to 1.3. Otherwise the minimum is 1.2"},
    {NULL}};
static const RcEntityDesc tls_server_entity = {
    sizeof(RcEntityDesc), "tls-server", RC_ENTITY_RESOURCE, 0,
    "Define a TLS server configuration", tls_server_params, NULL};

static const RcParamDesc tcp_listener_params[] = {
    {"bindaddr", RC_PARAM_STRING, 0, "0.0.0.0", "Local address to bind to"},
    {"port", RC_PARAM_INT, RC_PARAM_REQUIRED | RC_PARAM_BARE, NULL, "Local TCP port to listen on"},
    {"tls", RC_PARAM_STRING, 0, NULL, "Name of TLS server config"},
    {"cost", RC_PARAM_FLOAT, 0, "1.0", "Connection cost (weight)"},
    {"nodecost", RC_PARAM_FLOAT_MAP, 0, NULL, "Per-node costs"},
    {"allowedpeers", RC_PARAM_STRING_LIST, 0, NULL, "Peer node IDs to allow via this connection"},
    {NULL}};
static const RcEntityDesc tcp_listener_entity = {
    sizeof(RcEntityDesc), "tcp-listener", RC_ENTITY_BACKEND, RC_ENTITY_RELOADABLE,
    "Run a backend listener on a TCP port", tcp_listener_params, NULL};

static const RcParamDesc tcp_peer_params[] = {
    {"address", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_BARE, NULL,
     "Remote address (Host:Port) to connect to"},
    {"redial", RC_PARAM_BOOL, 0, "true", "Keep redialing on lost connection"},
    {"tls", RC_PARAM_STRING, 0, NULL, "Name of TLS client config"},
    {"cost", RC_PARAM_FLOAT, 0, "1.0", "Connection cost (weight)"},
    {"allowedpeers", RC_PARAM_STRING_LIST, 0, NULL, "Peer node IDs to allow via this connection"},
    {NULL}};
static const RcEntityDesc tcp_peer_entity = {
    sizeof(RcEntityDesc), "tcp-peer", RC_ENTITY_BACKEND, RC_ENTITY_RELOADABLE,
    "Make an outbound backend connection to a TCP peer", tcp_peer_params, NULL};

static const RcParamDesc signing_params[] = {
    {"privatekey", RC_PARAM_STRING, RC_PARAM_BARE, "", "Private key to sign work submissions"},
    {"tokenexpiration", RC_PARAM_DURATION, 0, NULL,
     "Expiration of the signed json web token, e.g. 3h or 3h30m"},
    {NULL}};
static const RcEntityDesc signing_entity = {sizeof(RcEntityDesc), "work-signing",
					    RC_ENTITY_WORKER, RC_ENTITY_SINGLETON,
					    "Private key to sign work submissions", signing_params,
					    NULL};

static const RcParamDesc python_params[] = {
    {"worktype", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Name for this worker type"},
    {"plugin", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Python module name of the worker plugin"},
    {"function", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Receptor-exported function to call"},
    {"config", RC_PARAM_JSON_MAP, 0, NULL, "Plugin-specific configuration"},
    {NULL}};
static const RcEntityDesc python_entity = {
    sizeof(RcEntityDesc), "work-python", RC_ENTITY_WORKER, 0,
    "Run a worker using a Python plugin\n[DEPRECATION WARNING] This option is not currently being used. This feature will be removed from receptor in a future release.",
    python_params, NULL};

static const RcParamDesc cert_init_params[] = {
    {"commonname", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL,
     "Common name to assign to the certificate"},
    {"bits", RC_PARAM_INT, RC_PARAM_REQUIRED, NULL,
     "Bit length of the encryption keys of the certificate"},
    {"notbefore", RC_PARAM_STRING, 0, NULL, "Effective (NotBefore) date/time, in RFC3339 format"},
    {"notafter", RC_PARAM_STRING, 0, NULL, "Expiration (NotAfter) date/time, in RFC3339 format"},
    {"outcert", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "File to save the CA certificate to"},
    {"outkey", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "File to save the CA private key to"},
    {NULL}};
static const RcEntityDesc cert_init_entity = {sizeof(RcEntityDesc), "cert-init", RC_ENTITY_CERT,
					      RC_ENTITY_EXCLUSIVE, "Initialize PKI CA",
					      cert_init_params, NULL};

static const RcParamDesc runner_params[] = {
    {"command", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_NO_DESC, NULL, NULL},
    {"params", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_NO_DESC, NULL, NULL},
    {"unitdir", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_NO_DESC, NULL, NULL},
    {NULL}};
static const RcEntityDesc runner_entity = {sizeof(RcEntityDesc), "command-runner",
					   RC_ENTITY_WORKER, RC_ENTITY_HIDDEN, NULL, runner_params,
					   NULL};

static RcRegistry *
test_registry(void)
{
	RcRegistry *r = rc_registry_new();
	/* local-only before node: help must still list the required node first. */
	rc_registry_add_core(r, &local_only_entity);
	rc_registry_add_core(r, &node_entity);
	rc_registry_add_core(r, &version_entity);
	rc_registry_add_core(r, &log_level_entity);
	rc_registry_add_core(r, &trace_entity);
	rc_registry_add_core(r, &tls_server_entity);
	rc_registry_add_core(r, &cert_init_entity);
	rc_registry_add_core(r, &control_entity);
	rc_registry_add_core(r, &tcp_listener_entity);
	rc_registry_add_core(r, &tcp_peer_entity);
	rc_registry_add_core(r, &signing_entity);
	rc_registry_add_core(r, &runner_entity);
	rc_registry_add_core(r, &python_entity);
	return r;
}

/* ------------------------------------------------------------ helpers */

typedef struct {
	RcRegistry *registry;
	char *dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->registry = test_registry();
	f->dir = g_dir_make_tmp("rc-config-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
	const char *name;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(f->dir, name, NULL);
		g_unlink(p);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
	rc_registry_free(f->registry);
}

static char *
write_file(Fixture *f, const char *name, const char *text)
{
	char *path = g_build_filename(f->dir, name, NULL);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static RcConfig *
parse_strv(Fixture *f, const char *const *args, GError **error)
{
	int argc = (int)g_strv_length((char **)args);
	return rc_config_parse_argv(f->registry, argc, (char **)args, error);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
assert_argv_error(Fixture *f, const char *const *args, const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcConfig) config = parse_strv(f, args, &error);
	g_assert_null(config);
	g_assert_nonnull(error);
	g_assert_cmpstr(error->message, ==, expected);
}

static char *
dump_argv(Fixture *f, const char *const *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcConfig) config = parse_strv(f, args, &error);
	g_assert_no_error(error);
	g_assert_nonnull(config);
	return rc_config_dump(config);
}

/* Parse a YAML text as `-c FILE`; compare the error with `expected`, where
 * "@" stands for the file's path. */
static void
assert_yaml_error(Fixture *f, const char *yaml, const char *expected)
{
	g_autofree char *path = write_file(f, "c.yml", yaml);
	g_auto(GStrv) parts = g_strsplit(expected, "@", -1);
	g_autofree char *want = g_strjoinv(path, parts);
	assert_argv_error(f, ARGS("-c", path), want);
}

static char *
dump_yaml(Fixture *f, const char *yaml)
{
	g_autofree char *path = write_file(f, "c.yml", yaml);
	return dump_argv(f, ARGS("-c", path));
}

static GVariant *
item_param(RcConfig *config, guint index, const char *name)
{
	g_assert_cmpuint(index, <, config->items->len);
	RcConfigItem *item = config->items->pdata[index];
	return g_variant_lookup_value(item->params, name, NULL);
}

/* ------------------------------------------------------------ error catalogue (config.md 7) */

static void
test_cli_errors(Fixture *f, gconstpointer data)
{
	assert_argv_error(f, ARGS("--node", "id=a", "--tcp-listner", "27199"),
			  "command error: unknown config type tcp-listner");
	assert_argv_error(f, ARGS("--FOO"), "command error: unknown config type foo");
	assert_argv_error(f, ARGS("--tcp-listener", "port=27199", "Colour=red"),
			  "config error: unknown field name colour");
	assert_argv_error(f, ARGS("--local-only", "yes"),
			  "config error: command does not allow bare values");
	assert_argv_error(f, ARGS("id=a"), "parameter specified before command");
	assert_argv_error(f, ARGS("--node", "id=a", "--tcp-peer", "redial=false"),
			  "error in --tcp-peer: required parameter missing: address");
	assert_argv_error(f, ARGS("--tls-server", "name=srv"),
			  "error in --tls-server: required parameters missing: cert, key");
	assert_argv_error(f, ARGS("--TCP-Peer", "redial=false"),
			  "error in --TCP-Peer: required parameter missing: address");
	assert_argv_error(f, ARGS("--tcp-listener", "port=abc"),
			  "error setting config value for field port: strconv.ParseInt: parsing \"abc\": invalid syntax");
	assert_argv_error(f, ARGS("--tcp-listener", "abc"),
			  "error setting config value for field Port: strconv.ParseInt: parsing \"abc\": invalid syntax");
	assert_argv_error(f, ARGS("--tcp-peer", "a:1", "redial=maybe"),
			  "error setting config value for field redial: could not parse maybe as boolean");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "nodecost=a:1"),
			  "error setting config value for field nodecost: type error (expected map[string]float64)");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "nodecost={\"a\":1"),
			  "error setting config value for field nodecost: unexpected end of JSON input");
	/* JSON syntax errors in Go's encoding/json wording. */
	assert_argv_error(f, ARGS("--tcp-listener", "1", "nodecost={\"a\":x}"),
			  "error setting config value for field nodecost: invalid character 'x' looking for beginning of value");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "nodecost={a:1}"),
			  "error setting config value for field nodecost: invalid character 'a' looking for beginning of object key string");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "nodecost={\"a\":1}x"),
			  "error setting config value for field nodecost: invalid character 'x' after top-level value");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "nodecost={\"a\" 1}"),
			  "error setting config value for field nodecost: invalid character '1' after object key");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "allowedpeers=[\"a\" \"b\"]"),
			  "error setting config value for field allowedpeers: invalid character '\"' after array element");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "allowedpeers=[tru]"),
			  "error setting config value for field allowedpeers: invalid character ']' in literal true (expecting 'e')");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "allowedpeers=[1.]"),
			  "error setting config value for field allowedpeers: invalid character ']' after decimal point in numeric literal");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "allowedpeers=[\"\\q\"]"),
			  "error setting config value for field allowedpeers: invalid character 'q' in string escape code");
	assert_argv_error(f, ARGS("--node", "id=a", "--node", "id=b"),
			  "directive \"node\" is only allowed once");
	assert_argv_error(f, ARGS("--version", "--node", "id=a"),
			  "cannot specify any other options with version");
	assert_argv_error(f, ARGS("-c", "/nope.yml"),
			  "error loading config file: open /nope.yml: no such file or directory");
	assert_argv_error(f, ARGS("--tcp-listener", "port=99999999999999999999"),
			  "error setting config value for field port: strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
	assert_argv_error(f, ARGS("--ID"), "command error: unknown config type id");
	/* config.md 3.1: "--" alone names the empty entity; "---node" is unknown. */
	assert_argv_error(f, ARGS("--"), "command error: unknown config type ");
	assert_argv_error(f, ARGS("---node"), "command error: unknown config type -node");
	assert_argv_error(f, ARGS("--node=foo"), "command error: unknown config type node=foo");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "=x"), "config error: unknown field name ");
	/* After a -c file there is no current entity. */
	g_autofree char *path = write_file(f, "t.yml", "- trace\n");
	assert_argv_error(f, ARGS("-c", path, "port=1"), "parameter specified before command");
	/* --config then a dash token keeps the file armed (config.md 3.1). */
	assert_argv_error(f, ARGS("--config", "--node", "id=x"),
			  "error loading config file: open id=x: no such file or directory");
}

static void
test_cli_singleton_file_then_cli(Fixture *f, gconstpointer data)
{
	g_autofree char *path = write_file(f, "f.yml", "- log-level: info\n");
	assert_argv_error(f, ARGS("-c", path, "--log-level", "debug"),
			  "directive \"log-level\" is only allowed once");
	/* Q4: CLI then file is not detected (Go's detection kept). */
	g_autofree char *dump = dump_argv(f, ARGS("--log-level", "debug", "-c", path));
	g_assert_cmpstr(dump, ==,
			"log-level {'level': <'debug'>}\n"
			"log-level {'level': <'info'>}\n"
			"node {'datadir': <'/tmp/receptor'>}\n");
}

static void
test_cli_lookup_not_installed(Fixture *f, gconstpointer data)
{
	RcLookup lookup;
	RcLookupResult r = rc_registry_lookup(f->registry, "ws-peer", &lookup);
	if (r == RC_LOOKUP_NOT_INSTALLED) {
		g_autofree char *want = g_strdup_printf(
		    "ws-peer: provided by plugin %s, which is not installed (package %s)",
		    lookup.plugin, lookup.package);
		assert_argv_error(f, ARGS("--node", "id=a", "--WS-Peer", "ws://x"), want);
		g_autofree char *want_yaml =
		    g_strdup_printf("error loading config file: @:1:3: %s", want);
		assert_yaml_error(f, "- ws-peer: ws://x\n", want_yaml);
	} else {
		g_test_message("ws-peer is not in this build's plugin catalog");
	}
	g_assert_cmpint(rc_registry_lookup(f->registry, "ip-router", &lookup), ==,
			RC_LOOKUP_UNIMPLEMENTED);
	assert_argv_error(f, ARGS("--ip-router", "networkname=x"),
			  "ip-router: this Receptor entity is not implemented in receptor-c");
	assert_yaml_error(f, "- ip-router: {}\n",
			  "error loading config file: @:1:3: ip-router: this Receptor entity is not implemented in receptor-c");
	/* YAML keys are case-sensitive even for these. */
	assert_yaml_error(f, "- IP-router: {}\n",
			  "error loading config file: @:1:3: could not get config type for command IP-router: unknown config type IP-router");
}

static void
test_cli_config_v2_refused(Fixture *f, gconstpointer data)
{
	assert_argv_error(f, ARGS("--node", "id=a", "--config-v2"),
			  "the --config-v2 front end is not supported by receptor-c; use the list-style YAML (-c FILE)");
}

static void
test_yaml_errors(Fixture *f, gconstpointer data)
{
	assert_yaml_error(f, "- tcp-listner: {port: 27199}\n",
			  "error loading config file: @:1:3: could not get config type for command tcp-listner: unknown config type tcp-listner");
	assert_yaml_error(f, "- Node: {id: a}\n",
			  "error loading config file: @:1:3: could not get config type for command Node: unknown config type Node");
	assert_yaml_error(f, "- tcp-listener: {port: 27199, Colour: red}\n",
			  "error loading config file: @:1:31: field Colour not defined for command tcp-listener: unknown field name Colour");
	assert_yaml_error(f, "- control-service: control\n",
			  "error loading config file: @:1:20: could not get barevalue for command control-service: command does not allow bare values");
	assert_yaml_error(f, "- tcp-listener: 27199\n",
			  "error loading config file: @:1:17: invalid config format for tcp-listener");
	assert_yaml_error(f, "- tcp-peer: {cost: 2}\n",
			  "error loading config file: @:1:3: error in tcp-peer: required parameter missing: address");
	assert_yaml_error(f, "- tcp-listener: {port: true}\n",
			  "error loading config file: @:1:24: error setting field port in command tcp-listener: type error (expected int)");
	assert_yaml_error(f, "- tcp-peer: {address: \"a:1\", redial: 1}\n",
			  "error loading config file: @:1:38: error setting field redial in command tcp-peer: type error (expected bool)");
	assert_yaml_error(f, "- tcp-peer:\n    address: a:1\n    tls:\n",
			  "error loading config file: @:3:9: error setting field tls in command tcp-peer: value cannot be nil");
	assert_yaml_error(f, "- node:\n    id: a\n- tcp-listener:\n\tport: 27199\n",
			  "error loading config file: @:4:1: yaml: line 4: found character that cannot start any token");
	assert_yaml_error(f, "---\nnode:\n  id: a\n",
			  "error loading config file: @:2:1: yaml: unmarshal errors:\n  line 2: cannot unmarshal !!map into []interface {}");
	assert_yaml_error(f, "just a long string\n",
			  "error loading config file: @:1:1: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `just a ...` into []interface {}");
	assert_yaml_error(f, "- node: {id: a}\n  tcp-listener:\n",
			  "error loading config file: @:1:3: config format invalid: item has multiple names");
	assert_yaml_error(f, "- {}\n",
			  "error loading config file: @:1:3: config format invalid: item has multiple names");
	assert_yaml_error(f, "- node: {id: a}\n- node: {id: b}\n",
			  "error loading config file: @:2:3: only one node directive is allowed");
	assert_yaml_error(f, "- 1: x\n",
			  "error loading config file: @:1:3: section key is not a string");
	assert_yaml_error(f, "- [a]\n",
			  "error loading config file: @:1:3: unknown config file format");
	assert_yaml_error(f, "-\n", "error loading config file: @:1:2: unknown config file format");
	assert_yaml_error(f, "- node: {1: x}\n",
			  "error loading config file: @:1:10: invalid config format for node");
	assert_yaml_error(f, "- tcp-listener: \"27199\"\n- node: {id: *nope}\n",
			  "error loading config file: @:2:14: yaml: unknown anchor 'nope' referenced");
	assert_yaml_error(f, "- tcp-listener: \"abc\"\n",
			  "error loading config file: @:1:17: error setting field Port in command tcp-listener: strconv.ParseInt: parsing \"abc\": invalid syntax");
}

static void
test_yaml_empty_and_documents(Fixture *f, gconstpointer data)
{
	g_autofree char *d1 = dump_yaml(f, "");
	g_assert_cmpstr(d1, ==, "node {'datadir': <'/tmp/receptor'>}\n");
	g_autofree char *d2 = dump_yaml(f, "# only a comment\n");
	g_assert_cmpstr(d2, ==, d1);
	/* Only the first document counts. */
	g_autofree char *d3 = dump_yaml(f, "- trace\n---\n- bogus-entity\n");
	g_assert_cmpstr(d3, ==, "trace {}\nnode {'datadir': <'/tmp/receptor'>}\n");
}

/* ------------------------------------------------------------ argv == YAML */

static void
test_equivalence(Fixture *f, gconstpointer data)
{
	g_autofree char *cli = dump_argv(
	    f, ARGS("--node", "id=node1", "datadir=/var/lib/receptor", "--log-level", "info",
		    "--tls-server", "name=srv", "cert=/etc/n.crt", "key=/etc/n.key",
		    "requireclientcert=true", "--tcp-listener", "27199", "tls=srv",
		    "nodecost={\"node3\": 2.5}", "--tcp-peer", "hub.example.net:27199", "cost=1.5",
		    "allowedpeers=hub", "allowedpeers=hub-standby", "--control-service",
		    "service=control", "filename=/run/receptor.sock", "permissions=0660",
		    "--work-signing", "/k.pem", "tokenexpiration=1m30s", "--trace"));
	g_autofree char *yaml2 = dump_yaml(f, "- node:\n"
					      "    id: node1\n"
					      "    datadir: /var/lib/receptor\n"
					      "- log-level: info\n"
					      "- tls-server: {name: srv, cert: /etc/n.crt, key: /etc/n.key,\n"
					      "               requireclientcert: true}\n"
					      "- tcp-listener:\n"
					      "    port: 27199\n"
					      "    tls: srv\n"
					      "    nodecost:\n"
					      "      node3: 2.5\n"
					      "- tcp-peer:\n"
					      "    address: hub.example.net:27199\n"
					      "    cost: 1.5\n"
					      "    allowedpeers: [hub, hub-standby]\n"
					      "- control-service:\n"
					      "    service: control\n"
					      "    filename: /run/receptor.sock\n"
					      "    permissions: 0660\n"
					      "- work-signing:\n"
					      "    privatekey: /k.pem\n"
					      "    tokenexpiration: 1m30s\n"
					      "- trace\n");
	g_assert_cmpstr(cli, ==, yaml2);
	g_assert_nonnull(strstr(cli, "'permissions': <int64 432>"));
	g_assert_nonnull(strstr(cli, "'tokenexpiration': <int64 90000000>"));
	g_assert_nonnull(strstr(cli, "'nodecost': <{'node3': 2.5}>"));
	/* The implicit node is not added when a node is configured. */
	g_assert_null(strstr(cli, "node {'datadir': <'/tmp/receptor'>}"));
}

static void
test_equivalence_firewall_rules(Fixture *f, gconstpointer data)
{
	/* Q3: firewallrules as JSON on the command line. */
	g_autofree char *cli = dump_argv(
	    f, ARGS("--node", "relay",
		    "firewallrules=[{\"action\":\"accept\",\"fromnode\":\"relay\"},{\"action\":\"drop\",\"toservice\":\"control\"}]"));
	g_autofree char *yaml = dump_yaml(f, "- node:\n"
					     "    id: relay\n"
					     "    firewallrules:\n"
					     "      - action: accept\n"
					     "        fromnode: relay\n"
					     "      - action: drop\n"
					     "        toservice: control\n");
	g_assert_cmpstr(cli, ==, yaml);
	assert_argv_error(f, ARGS("--node", "firewallrules=[\"x\"]"),
			  "error setting config value for field firewallrules: invalid value x: must be type netceptor.FirewallRuleData");
	assert_argv_error(f, ARGS("--node", "firewallrules=x"),
			  "error setting config value for field firewallrules: type error (expected []netceptor.FirewallRuleData)");
}

/* ------------------------------------------------------------ conversions (config.md 5) */

static void
test_bool_spellings(Fixture *f, gconstpointer data)
{
	static const char *const yes[] = {"1", "t", "T", "Y", "true", "TRUE", "True", "yes", "Yes", "YES"};
	static const char *const no[] = {"0", "f", "F", "N", "false", "FALSE", "False", "no", "No", "NO"};
	static const char *const bad[] = {"y", "n", "on", "off", "tRuE", ""};
	for (gsize i = 0; i < G_N_ELEMENTS(yes); i++) {
		g_autofree char *tok = g_strconcat("redial=", yes[i], NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(RcConfig) c = parse_strv(f, ARGS("--tcp-peer", "a:1", tok), &error);
		g_assert_no_error(error);
		g_autoptr(GVariant) v = item_param(c, 0, "redial");
		g_assert_true(g_variant_get_boolean(v));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(no); i++) {
		g_autofree char *tok = g_strconcat("redial=", no[i], NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(RcConfig) c = parse_strv(f, ARGS("--tcp-peer", "a:1", tok), &error);
		g_assert_no_error(error);
		g_autoptr(GVariant) v = item_param(c, 0, "redial");
		g_assert_false(g_variant_get_boolean(v));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *tok = g_strconcat("redial=", bad[i], NULL);
		g_autofree char *want = g_strdup_printf(
		    "error setting config value for field redial: could not parse %s as boolean", bad[i]);
		assert_argv_error(f, ARGS("--tcp-peer", "a:1", tok), want);
	}
	/* Unquoted YAML on/y are YAML booleans (config.md 4.4). */
	g_autofree char *d = dump_yaml(f, "- tcp-peer: {address: a, redial: off}\n"
					  "- tcp-peer: {address: b, redial: \"Y\"}\n"
					  "- tcp-peer: {address: c, redial: y}\n");
	g_assert_nonnull(strstr(d, "{'address': <'a'>, 'cost': <1.0>, 'redial': <false>}"));
	g_assert_nonnull(strstr(d, "{'address': <'b'>, 'cost': <1.0>, 'redial': <true>}"));
	g_assert_nonnull(strstr(d, "{'address': <'c'>, 'cost': <1.0>, 'redial': <true>}"));
}

static gint64
cli_port(Fixture *f, const char *value, GError **error)
{
	g_autofree char *tok = g_strconcat("port=", value, NULL);
	g_autoptr(RcConfig) c = parse_strv(f, ARGS("--tcp-listener", tok), error);
	if (c == NULL)
		return -1;
	g_autoptr(GVariant) v = item_param(c, 0, "port");
	return g_variant_get_int64(v);
}

static void
test_int_conversion(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *text;
		gint64 value;
	} ok[] = {
	    {"27199", 27199}, {"0600", 384},   {"010", 8},      {"0x1F", 31},
	    {"0o17", 15},     {"0b101", 5},    {"1_000", 1000}, {"-7", -7},
	    {"+7", 7},        {"0", 0},        {"0X10", 16},    {"9223372036854775807", G_MAXINT64},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_cmpint(cli_port(f, ok[i].text, &error), ==, ok[i].value);
		g_assert_no_error(error);
	}
	static const char *const bad[] = {"08080", "abc", "", "1__0", "_1", "0x", "1.5", "--1"};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		cli_port(f, bad[i], &error);
		g_assert_nonnull(error);
		g_autofree char *want = g_strdup_printf(
		    "error setting config value for field port: strconv.ParseInt: parsing \"%s\": invalid syntax",
		    bad[i]);
		g_assert_cmpstr(error->message, ==, want);
	}
	/* YAML: 010 is octal, 08080 is the float 8080, 1.9 truncates (P6). */
	g_autofree char *d = dump_yaml(f, "- tcp-listener: {port: 010}\n"
					  "- tcp-listener: {port: 08080}\n"
					  "- tcp-listener: {port: 1.9}\n"
					  "- tcp-listener: {port: \"0x10\"}\n");
	g_assert_nonnull(strstr(d, "'port': <int64 8>"));
	g_assert_nonnull(strstr(d, "'port': <int64 8080>"));
	g_assert_nonnull(strstr(d, "'port': <int64 1>"));
	g_assert_nonnull(strstr(d, "'port': <int64 16>"));
}

static void
test_float_and_string_conversion(Fixture *f, gconstpointer data)
{
	g_autofree char *d = dump_argv(f, ARGS("--tcp-peer", "a", "cost=1e3", "--tcp-peer", "b",
					       "cost=0x1p-2", "--tcp-peer", "c", "cost=-Inf",
					       "--tcp-peer", "d", "cost=1_0.5"));
	g_assert_nonnull(strstr(d, "{'address': <'a'>, 'cost': <1000.0>"));
	g_assert_nonnull(strstr(d, "{'address': <'b'>, 'cost': <0.25>"));
	g_assert_nonnull(strstr(d, "{'address': <'c'>, 'cost': <-inf>"));
	g_assert_nonnull(strstr(d, "{'address': <'d'>, 'cost': <10.5>"));
	assert_argv_error(f, ARGS("--tcp-peer", "a", "cost=x"),
			  "error setting config value for field cost: strconv.ParseFloat: parsing \"x\": invalid syntax");
	assert_argv_error(f, ARGS("--tcp-peer", "a", "cost=1e999"),
			  "error setting config value for field cost: strconv.ParseFloat: parsing \"1e999\": value out of range");
	assert_argv_error(f, ARGS("--tcp-peer", "a", "cost=0x1"),
			  "error setting config value for field cost: strconv.ParseFloat: parsing \"0x1\": invalid syntax");

	/* YAML scalars into strings (config.md 5.6 step 2, P8). */
	g_autofree char *y = dump_yaml(f, "- tcp-peer: {address: 1.5}\n"
					  "- tcp-peer: {address: yes}\n"
					  "- tcp-peer: {address: 12}\n"
					  "- tcp-peer: {address: .inf}\n"
					  "- tcp-peer: {address: 2024-01-02}\n"
					  "- tcp-peer: {address: 1_000}\n");
	g_assert_nonnull(strstr(y, "'address': <'1.500000'>"));
	g_assert_nonnull(strstr(y, "'address': <'true'>"));
	g_assert_nonnull(strstr(y, "'address': <'12'>"));
	g_assert_nonnull(strstr(y, "'address': <'+Inf'>"));
	g_assert_nonnull(strstr(y, "'address': <'2024-01-02'>"));
	g_assert_nonnull(strstr(y, "'address': <'1000'>"));
	assert_yaml_error(f, "- tcp-peer: {address: [a]}\n",
			  "error loading config file: @:1:23: error setting field address in command tcp-peer: type error (expected string)");
}

static void
test_lists_and_maps(Fixture *f, gconstpointer data)
{
	/* Repeat appends, JSON replaces, commas are not split (config.md 3.6, P12). */
	g_autofree char *d = dump_argv(f, ARGS("--tcp-peer", "a", "allowedpeers=x", "allowedpeers=y,z",
					       "--tcp-peer", "b", "allowedpeers=x",
					       "allowedpeers=[\"p\",\"q\"]", "allowedpeers=r",
					       "--tcp-peer", "c", "allowedpeers=[]"));
	g_assert_nonnull(strstr(d, "'allowedpeers': <['x', 'y,z']>"));
	g_assert_nonnull(strstr(d, "'allowedpeers': <['p', 'q', 'r']>"));
	g_assert_nonnull(strstr(d, "'allowedpeers': <@as []>"));

	/* P32: YAML null means absent, [] means present and empty. Q6: ints as text. */
	g_autofree char *y = dump_yaml(f, "- tcp-peer: {address: a, allowedpeers: }\n"
					  "- tcp-peer: {address: b, allowedpeers: []}\n"
					  "- tcp-peer: {address: c, allowedpeers: [65, x]}\n"
					  "- tcp-peer: {address: d, allowedpeers: single}\n");
	g_assert_nonnull(strstr(y, "{'address': <'a'>, 'cost': <1.0>, 'redial': <true>}"));
	g_assert_nonnull(strstr(y, "{'address': <'b'>, 'allowedpeers': <@as []>"));
	g_assert_nonnull(strstr(y, "'allowedpeers': <['65', 'x']>"));
	g_assert_nonnull(strstr(y, "'allowedpeers': <['single']>"));
	assert_yaml_error(f, "- tcp-peer: {address: a, allowedpeers: [1.5]}\n",
			  "error loading config file: @:1:40: error setting field allowedpeers in command tcp-peer: invalid value %!s(float64=1.5): must be type string");
	assert_argv_error(f, ARGS("--tcp-listener", "1", "nodecost={\"a\":\"x\"}"),
			  "error setting config value for field nodecost: invalid value x: must be type float64");
	assert_yaml_error(f, "- tcp-listener: {port: 1, nodecost: {a: true}}\n",
			  "error loading config file: @:1:37: error setting field nodecost in command tcp-listener: invalid value %!s(bool=true): must be type float64");

	/* JSON dict of any data: CLI JSON and YAML give the same (sorted) text. */
	g_autofree char *j1 = dump_argv(f, ARGS("--work-python", "worktype=w", "plugin=p",
						"function=f",
						"config={\"b\":[1,\"x\"],\"a\":{\"k\":true}}"));
	g_autofree char *j2 = dump_yaml(f, "- work-python:\n"
					   "    worktype: w\n    plugin: p\n    function: f\n"
					   "    config:\n      b: [1, x]\n      a: {k: true}\n");
	g_assert_cmpstr(j1, ==, j2);
	g_assert_nonnull(strstr(j1, "'config': <'{\"a\":{\"k\":true},\"b\":[1,\"x\"]}'>"));
}

static void
test_defaults_and_required(Fixture *f, gconstpointer data)
{
	/* P31: an empty value satisfies "required" and suppresses defaults. */
	assert_argv_error(f, ARGS("--tcp-peer", "address=", "cost="),
			  "error setting config value for field cost: strconv.ParseFloat: parsing \"\": invalid syntax");
	g_autofree char *d2 = dump_argv(f, ARGS("--tcp-peer", "address=", "--log-level",
						"--tcp-listener", "0", "bindaddr="));
	g_assert_cmpstr(d2, ==,
			"tcp-peer {'address': <''>, 'cost': <1.0>, 'redial': <true>}\n"
			"log-level {'level': <'error'>}\n"
			"tcp-listener {'bindaddr': <''>, 'cost': <1.0>, 'port': <int64 0>}\n"
			"node {'datadir': <'/tmp/receptor'>}\n");
	/* Q11: an empty token is a bare value "". */
	g_autofree char *d3 = dump_argv(f, ARGS("--node", ""));
	g_assert_cmpstr(d3, ==, "node {'datadir': <'/tmp/receptor'>, 'id': <''>}\n");
	assert_argv_error(f, ARGS(""), "parameter specified before command");
	/* Exclusive entities get no implicit node. */
	g_autofree char *d4 = dump_argv(f, ARGS("--VERSION"));
	g_assert_cmpstr(d4, ==, "version {}\n");
	/* Durations: empty means unset; errors keep Go's entity text. */
	g_autofree char *d5 = dump_argv(f, ARGS("--node", "maxidleconnectiontimeout="));
	g_assert_cmpstr(d5, ==, "node {'datadir': <'/tmp/receptor'>}\n");
	assert_argv_error(f, ARGS("--node", "maxidleconnectiontimeout=5"),
			  "failed to parse MaxIdleConnectionTimeout from configuration file -- valid examples include '1.5h', '30m', '30m10s'");
	assert_argv_error(f, ARGS("--work-signing", "k", "tokenexpiration=1d"),
			  "failed to parse TokenExpiration -- valid examples include '1.5h', '30m', '30m10s'");
}

static const RcParamDesc secret_params[] = {
    {"token", RC_PARAM_STRING, RC_PARAM_SECRET | RC_PARAM_BARE, NULL, "A secret"}, {NULL}};
static const RcEntityDesc secret_entity = {sizeof(RcEntityDesc), "secret-thing",
					   RC_ENTITY_SERVICE, 0, NULL, secret_params, NULL};

static void
test_secret_not_dumped(Fixture *f, gconstpointer data)
{
	rc_registry_add_core(f->registry, &secret_entity);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcConfig) c = parse_strv(f, ARGS("--secret-thing", "hunter2"), &error);
	g_assert_no_error(error);
	g_autofree char *d = rc_config_dump(c);
	g_assert_cmpstr(d, ==, "secret-thing {'token': <'(secret)'>}\nnode {'datadir': <'/tmp/receptor'>}\n");
	g_autoptr(GVariant) v = item_param(c, 0, "token");
	g_assert_cmpstr(g_variant_get_string(v, NULL), ==, "hunter2");
}

static void
test_origins_and_flags(Fixture *f, gconstpointer data)
{
	g_autofree char *path = write_file(f, "o.yml", "# comment\n- trace\n-   log-level: debug\n");
	g_autoptr(GError) error = NULL;

	g_autoptr(RcConfig) c2 = parse_strv(f, ARGS("--TCP-Peer", "a:1", "-c", path), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(c2->items->len, ==, 4);
	RcConfigItem *i0 = c2->items->pdata[0], *i1 = c2->items->pdata[1],
		     *i2 = c2->items->pdata[2], *i3 = c2->items->pdata[3];
	g_assert_cmpstr(i0->origin, ==, "--TCP-Peer");
	g_autofree char *o1 = g_strdup_printf("%s:2:3", path);
	g_autofree char *o2 = g_strdup_printf("%s:3:5", path);
	g_assert_cmpstr(i1->origin, ==, o1);
	g_assert_cmpstr(i2->origin, ==, o2);
	g_assert_true(i3->implicit);
	g_assert_false(i0->implicit);
	g_assert_cmpstr(i3->desc->name, ==, "node");
	g_assert_cmpstr(c2->reload_file, ==, path);

	/* Only the exact tokens -c / --config enable reload (P20). */
	g_autoptr(RcConfig) c3 = parse_strv(f, ARGS("--CONFIG", path), &error);
	g_assert_no_error(error);
	g_assert_null(c3->reload_file);

	/* --help anywhere stops parsing; earlier errors still win. */
	g_autoptr(RcConfig) h = parse_strv(f, ARGS("--node", "id=a", "--HELP", "--bogus"), &error);
	g_assert_no_error(error);
	g_assert_true(h->show_help);
	assert_argv_error(f, ARGS("--bogus", "-h"), "command error: unknown config type bogus");
	g_autoptr(RcConfig) b = parse_strv(f, ARGS("--bash-completion"), &error);
	g_assert_no_error(error);
	g_assert_true(b->show_completion);
	g_autoptr(RcConfig) e = rc_config_parse_argv(f->registry, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(e->show_help);
}

/* ------------------------------------------------------------ YAML features (P23) */

static void
test_yaml_anchors_and_merge(Fixture *f, gconstpointer data)
{
	g_autofree char *d = dump_yaml(f, "- tcp-listener: &base\n"
					  "    port: 1\n"
					  "    cost: 2.5\n"
					  "    allowedpeers: &peers [a, b]\n"
					  "- tcp-listener:\n"
					  "    <<: *base\n"
					  "    port: 2\n"
					  "- tcp-listener:\n"
					  "    <<: [{port: 3, tls: x}, {port: 4, tls: y, bindaddr: h}]\n"
					  "- tcp-peer: {address: z, allowedpeers: *peers}\n");
	g_assert_cmpstr(d, ==,
			"tcp-listener {'allowedpeers': <['a', 'b']>, 'bindaddr': <'0.0.0.0'>, 'cost': <2.5>, 'port': <int64 1>}\n"
			"tcp-listener {'allowedpeers': <['a', 'b']>, 'bindaddr': <'0.0.0.0'>, 'cost': <2.5>, 'port': <int64 2>}\n"
			"tcp-listener {'bindaddr': <'h'>, 'cost': <1.0>, 'port': <int64 3>, 'tls': <'x'>}\n"
			"tcp-peer {'address': <'z'>, 'allowedpeers': <['a', 'b']>, 'cost': <1.0>, 'redial': <true>}\n"
			"node {'datadir': <'/tmp/receptor'>}\n");
	assert_yaml_error(f, "- tcp-listener:\n    <<: 5\n",
			  "error loading config file: @:2:9: yaml: map merge requires map or sequence of maps as the value");
	assert_yaml_error(f, "- &a [*a]\n",
			  "error loading config file: @:1:7: yaml: anchor 'a' value contains itself");
	/* Duplicate keys: the last wins (config.md 4.3). */
	g_autofree char *d2 = dump_yaml(f, "- tcp-peer: {address: a, address: b}\n");
	g_assert_nonnull(strstr(d2, "'address': <'b'>"));
}

static void
test_yaml_caps(Fixture *f, gconstpointer data)
{
	/* A billion-laughs document is refused, not expanded. */
	GString *bomb = g_string_new("- node:\n    x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (int i = 1; i < 10; i++)
		g_string_append_printf(bomb, "    x%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
				       i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	g_autofree char *bomb_text = g_string_free(bomb, FALSE);
	g_autofree char *path = write_file(f, "bomb.yml", bomb_text);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcConfig) c = parse_strv(f, ARGS("-c", path), &error);
	g_assert_null(c);
	g_assert_nonnull(strstr(error->message, "yaml: document contains excessive aliasing"));

	/* Deep nesting is refused with the place. */
	GString *deep = g_string_new("- node: {id: ");
	for (int i = 0; i < 200; i++)
		g_string_append_c(deep, '[');
	for (int i = 0; i < 200; i++)
		g_string_append_c(deep, ']');
	g_string_append(deep, "}\n");
	g_autofree char *deep_text = g_string_free(deep, FALSE);
	{
		g_autofree char *p2 = write_file(f, "deep.yml", deep_text);
		g_autoptr(GError) e2 = NULL;
		g_autoptr(RcConfig) c2 = parse_strv(f, ARGS("-c", p2), &e2);
		g_assert_null(c2);
		g_assert_nonnull(strstr(e2->message, "exceeded max depth of 64"));
	}
	/* Deep JSON on the command line too. */
	GString *deepj = g_string_new("allowedpeers=");
	for (int i = 0; i < 100; i++)
		g_string_append_c(deepj, '[');
	g_autofree char *deepj_text = g_string_free(deepj, FALSE);
	assert_argv_error(f, ARGS("--tcp-peer", "a", deepj_text),
			  "error setting config value for field allowedpeers: JSON nested deeper than 64 levels");
}

static void
test_yaml_data_api(Fixture *f, gconstpointer data)
{
	static const char yaml[] = "- log-level: debug\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(RcConfig) c = rc_config_parse_yaml_data(f->registry, "mem.yml", (const guint8 *)yaml,
							  strlen(yaml), &error);
	g_assert_no_error(error);
	g_autofree char *d = rc_config_dump(c);
	g_assert_cmpstr(d, ==, "log-level {'level': <'debug'>}\nnode {'datadir': <'/tmp/receptor'>}\n");
	RcConfigItem *item = c->items->pdata[0];
	g_assert_cmpstr(item->origin, ==, "mem.yml:1:3");

	g_autoptr(RcConfig) bad = rc_config_parse_yaml_data(
	    f->registry, "mem.yml", (const guint8 *)"- a: [", 6, &error);
	g_assert_null(bad);
	g_assert_cmpstr(error->message, ==,
			"error loading config file: mem.yml:2:1: yaml: line 1: did not find expected node content");

	g_autofree char *path = write_file(f, "r.yml", yaml);
	g_clear_error(&error);
	g_autoptr(RcConfig) c2 = rc_config_parse_file(f->registry, path, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(c2->reload_file, ==, path);

	/* rc_config_convert_text: the default path. */
	g_autoptr(GVariant) v = rc_config_convert_text(&control_params[2], "0600", &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_variant_get_int64(v), ==, 384);
	g_autoptr(GVariant) l = rc_config_convert_text(&tcp_peer_params[4], "[\"a\"]", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_variant_get_type_string(l), ==, "as");
	g_autoptr(GVariant) dur = rc_config_convert_text(&signing_params[1], "1.5h", &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_variant_get_int64(dur), ==, G_GINT64_CONSTANT(5400000000));
}

/* ------------------------------------------------------------ help (config.md 13, Appendix A) */

static const char expected_help[] =
    "Usage: receptor [--<action> [<param>=<value> ...] ...]\n"
    "\n"
    "   --help: Show this help\n"
    "\n"
    "   --config <filename>: Load additional config options from a YAML file\n"
    "\n"
    "   --bash-completion: Generate a completion script for the bash shell\n"
    "         Run \". <(receptor --bash-completion)\" to activate now\n"
    "\n"
    "   --node: Specifies the node configuration of this instance (required)\n"
    "      id=<string>: Node ID. Defaults to the local hostname.\n"
    "      datadir=<string>: Directory in which to store node data. (default: /tmp/receptor)\n"
    "      firewallrules=<JSON list of JSON dict of JSON data to JSON data>: Firewall rules, see documentation for syntax.\n"
    "      maxidleconnectiontimeout=<string>: Maximum duration with no traffic before a backend connection is timed out and refreshed.\n"
    "      receptorkubesupportreconnect=<string>\n"
    "      receptorkubeclientsetqps=<string>\n"
    "      receptorkubeclientsetburst=<string>\n"
    "      receptorkubeclientsetratelimiter=<string>\n"
    "\n"
    "   --local-only: Runs a self-contained node with no backend\n"
    "      local=<bool>\n"
    "\n"
    "   --version: Displays the Receptor version.\n"
    "\n"
    "   --log-level: Specifies the verbosity level for command output\n"
    "      level=<string>: Log level: Error, Warning, Info or Debug (default: error)\n"
    "\n"
    "   --trace: Enables packet tracing output\n"
    "\n"
    "   --control-service: Runs a control service\n"
    "      service=<string>: Receptor service name to listen on (default: control)\n"
    "      filename=<string>: Specifies the filename of a local Unix socket to bind to the service.\n"
    "      permissions=<int>: Socket file permissions (default: 0600)\n"
    "      tls=<string>: Name of TLS server config for the Receptor listener\n"
    "      tcplisten=<string>: Local TCP port or host:port to bind to the control service\n"
    "      tcptls=<string>: Name of TLS server config for the TCP listener\n"
    "\n"
    "Commands that configure resources used by other commands:\n"
    "\n"
    "   --tls-server: Define a TLS server configuration\n"
    "      name=<string>: Name of this TLS server configuration (required)\n"
    "      cert=<string>: Server certificate filename (required)\n"
    "      key=<string>: Server private key filename (required)\n"
    "      requireclientcert=<bool>: Require client certificates (default: false)\n"
    "      clientcas=<string>: Filename of CA bundle to verify client certs with\n"
    "      pinnedclientcert=<[]string (may be repeated)>: Pinned fingerprint of required client certificate\n"
    "      skipreceptornamescheck=<bool>: Skip verifying ReceptorNames OIDs in certificate at startup (default: false)\n"
    "      mintls13=<bool>: Set minimum TLS version to 1.3. Otherwise the minimum is 1.2 (default: false)\n"
    "\n"
    "Commands to configure back-ends, which connect Receptor nodes together:\n"
    "\n"
    "   --tcp-listener: Run a backend listener on a TCP port\n"
    "      bindaddr=<string>: Local address to bind to (default: 0.0.0.0)\n"
    "      port=<int>: Local TCP port to listen on (required)\n"
    "      tls=<string>: Name of TLS server config\n"
    "      cost=<float64>: Connection cost (weight) (default: 1.0)\n"
    "      nodecost=<JSON dict of string to float64>: Per-node costs\n"
    "      allowedpeers=<[]string (may be repeated)>: Peer node IDs to allow via this connection\n"
    "\n"
    "   --tcp-peer: Make an outbound backend connection to a TCP peer\n"
    "      address=<string>: Remote address (Host:Port) to connect to (required)\n"
    "      redial=<bool>: Keep redialing on lost connection (default: true)\n"
    "      tls=<string>: Name of TLS client config\n"
    "      cost=<float64>: Connection cost (weight) (default: 1.0)\n"
    "      allowedpeers=<[]string (may be repeated)>: Peer node IDs to allow via this connection\n"
    "\n"
    "Commands to configure workers that process units of work:\n"
    "\n"
    "   --work-signing: Private key to sign work submissions\n"
    "      privatekey=<string>: Private key to sign work submissions\n"
    "      tokenexpiration=<string>: Expiration of the signed json web token, e.g. 3h or 3h30m\n"
    "\n"
    "   --work-python: Run a worker using a Python plugin\n"
    "[DEPRECATION WARNING] This option is not currently being used. This feature will be removed from receptor in a future release.\n"
    "      worktype=<string>: Name for this worker type (required)\n"
    "      plugin=<string>: Python module name of the worker plugin (required)\n"
    "      function=<string>: Receptor-exported function to call (required)\n"
    "      config=<JSON dict with string keys>: Plugin-specific configuration\n"
    "\n"
    "Commands to generate certificates and run a certificate authority\n"
    "\n"
    "   --cert-init: Initialize PKI CA\n"
    "      commonname=<string>: Common name to assign to the certificate (required)\n"
    "      bits=<int>: Bit length of the encryption keys of the certificate (required)\n"
    "      notbefore=<string>: Effective (NotBefore) date/time, in RFC3339 format\n"
    "      notafter=<string>: Expiration (NotAfter) date/time, in RFC3339 format\n"
    "      outcert=<string>: File to save the CA certificate to (required)\n"
    "      outkey=<string>: File to save the CA private key to (required)\n"
    "\n"
    "Plugins:\n"
    "\n"
    "   (no plugins found)\n"
    "\n";

static void
test_help_text(Fixture *f, gconstpointer data)
{
	g_autofree char *help = rc_help_render(f->registry, "/usr/bin/receptor");
	g_assert_cmpstr(help, ==, expected_help);
	g_assert_null(strstr(help, "command-runner"));
}

static void
test_help_completion(Fixture *f, gconstpointer data)
{
	g_autofree char *c = rc_help_completion(f->registry, "./build/receptor");
	g_assert_true(g_str_has_prefix(c, "_receptor()\n{\n  local cur prevdashed count DASHCMDS\n"));
	g_assert_nonnull(strstr(c, "  DASHCMDS=\"--help --bash-completion --config -c --node --local-only "
				   "--version --log-level --trace --tls-server --cert-init "
				   "--control-service --tcp-listener --tcp-peer --work-signing "
				   "--command-runner --work-python\"\n"));
	g_assert_nonnull(strstr(c, "  else    case ${prevdashed} in\n"));
	g_assert_nonnull(strstr(c, "      --trace)\n        COMPREPLY=($(compgen -W \"\" -- ${cur}))\n        ;;\n"));
	g_assert_nonnull(strstr(c, "      --tcp-peer)\n        COMPREPLY=($(compgen -W \"address= redial= tls= cost= allowedpeers=\" -- ${cur}))\n"));
	g_assert_null(strstr(c, "--command-runner)"));
	g_assert_true(g_str_has_suffix(c, "}\ncomplete -F _receptor receptor\n"));
}

/* ------------------------------------------------------------ durations */

static void
test_duration_parse(void)
{
	static const struct {
		const char *text;
		gint64 ns;
	} ok[] = {
	    {"0", 0},
	    {"1ns", 1},
	    {"1m30s", G_GINT64_CONSTANT(90000000000)},
	    {"1.5h", G_GINT64_CONSTANT(5400000000000)},
	    {"300ms", 300000000},
	    {"-1s", -1000000000},
	    {"+2us", 2000},
	    {"3\xc2\xb5s", 3000},
	    {"3\xce\xbcs", 3000},
	    {".5s", 500000000},
	    {"1.s", 1000000000},
	    {"2h45m", G_GINT64_CONSTANT(9900000000000)},
	    {"2562047h47m16.854775807s", G_MAXINT64},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_autoptr(GError) error = NULL;
		gint64 ns = -42;
		g_assert_true(rc_duration_parse_ns(ok[i].text, &ns, &error));
		g_assert_no_error(error);
		g_assert_cmpint(ns, ==, ok[i].ns);
	}
	static const struct {
		const char *text, *message;
	} bad[] = {
	    {"", "time: invalid duration \"\""},
	    {"x", "time: invalid duration \"x\""},
	    {"1", "time: missing unit in duration \"1\""},
	    {"1d", "time: unknown unit \"d\" in duration \"1d\""},
	    {".s", "time: invalid duration \".s\""},
	    {"-", "time: invalid duration \"-\""},
	    {"9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""},
	    {"1\xffs", "time: unknown unit \"\\xffs\" in duration \"1\\xffs\""},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		gint64 ns;
		g_assert_false(rc_duration_parse_ns(bad[i].text, &ns, &error));
		g_assert_cmpstr(error->message, ==, bad[i].message);
	}
	gint64 us = 0;
	g_assert_true(rc_duration_parse("1m30s", &us));
	g_assert_cmpint(us, ==, 90000000);
	g_assert_true(rc_duration_parse("1500ns", &us));
	g_assert_cmpint(us, ==, 1);
	g_assert_false(rc_duration_parse("1x", &us));
}

static void
test_duration_format(void)
{
	static const struct {
		gint64 ns;
		const char *text;
	} cases[] = {
	    {0, "0s"},
	    {1, "1ns"},
	    {1100, "1.1\xc2\xb5s"},
	    {2200000, "2.2ms"},
	    {1500000000, "1.5s"},
	    {G_GINT64_CONSTANT(90000000000), "1m30s"},
	    {G_GINT64_CONSTANT(3600000000000), "1h0m0s"},
	    {G_GINT64_CONSTANT(21000000000), "21s"},
	    {-1000, "-1\xc2\xb5s"},
	    {G_MAXINT64, "2562047h47m16.854775807s"},
	    {G_MININT64, "-2562047h47m16.854775808s"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *s = rc_duration_format_go(cases[i].ns);
		g_assert_cmpstr(s, ==, cases[i].text);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/config/argv/error-catalogue-exact-messages", test_cli_errors);
	ADD("/config/argv/singleton-after-file-detected-before-file-not", test_cli_singleton_file_then_cli);
	ADD("/config/argv/missing-plugin-and-unimplemented-entity-named", test_cli_lookup_not_installed);
	ADD("/config/argv/config-v2-refused", test_cli_config_v2_refused);
	ADD("/config/argv/origins-help-completion-and-reload-file", test_origins_and_flags);
	ADD("/config/dump/secret-values-masked", test_secret_not_dumped);
	ADD("/config/yaml/error-catalogue-with-file-line-column", test_yaml_errors);
	ADD("/config/yaml/empty-file-and-first-document-only", test_yaml_empty_and_documents);
	ADD("/config/yaml/anchors-aliases-and-merge-keys", test_yaml_anchors_and_merge);
	ADD("/config/yaml/alias-bomb-and-deep-nesting-refused", test_yaml_caps);
	ADD("/config/yaml/data-and-file-api", test_yaml_data_api);
	ADD("/config/equivalence/argv-and-yaml-dump-identically", test_equivalence);
	ADD("/config/equivalence/firewall-rules-as-json-on-argv", test_equivalence_firewall_rules);
	ADD("/config/convert/bool-spellings", test_bool_spellings);
	ADD("/config/convert/int-octal-hex-underscore-and-errors", test_int_conversion);
	ADD("/config/convert/float-and-string-rendering", test_float_and_string_conversion);
	ADD("/config/convert/lists-append-replace-and-maps", test_lists_and_maps);
	ADD("/config/convert/defaults-required-and-durations", test_defaults_and_required);
	ADD("/config/help/text-matches-appendix-a", test_help_text);
	ADD("/config/help/bash-completion-script", test_help_completion);
	g_test_add_func("/config/duration/parse-like-go", test_duration_parse);
	g_test_add_func("/config/duration/format-like-go", test_duration_format);
	return g_test_run();
}
