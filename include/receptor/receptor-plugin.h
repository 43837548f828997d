/* receptor-plugin.h: the plugin ABI of receptor-c.
 *
 * This is the only header a plugin includes (besides GLib/GIO and its own
 * dependencies). It never exposes a core struct layout: plugins see opaque
 * handles and a const table of host functions (RcHost) that is handed to
 * them, so a plugin references no symbol of the daemon and links no
 * receptor library.
 *
 * Rules for changing this file: append only, bump RC_PLUGIN_ABI_MINOR, document
 * every new member with "Since: ABI 1.N" and use it from a test plugin.
 * Removing or reordering anything is a major bump.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

G_BEGIN_DECLS

/* ---------------------------------------------------------------- version */

/* The loader accepts a plugin whose major equals the daemon's and whose
 * minor is not above the daemon's.  Since: ABI 1.0 */
#define RC_PLUGIN_ABI_MAJOR 1
#define RC_PLUGIN_ABI_MINOR 0

/* ---------------------------------------------------------------- handles */

/* One configured instance of an entity (e.g. one `--tcp-peer`).  Owned by the core. */
typedef struct _RcEntity RcEntity;
/* One backend session carrying whole Netceptor messages.  Owned by the core. */
typedef struct _RcLink RcLink;
/* One unit of work.  Owned by the core. */
typedef struct _RcWorkUnit RcWorkUnit;
/* One control-service request being answered.  Owned by the core. */
typedef struct _RcControlRequest RcControlRequest;
/* A mesh service listener (bound service name).  Owned by the core. */
typedef struct _RcListener RcListener;
/* A bound mesh datagram service (udp-server / udp-client, streams.md 7.4-7.5).
 * Owned by the plugin that bound it (mesh_socket_close).  Since: ABI 1.0
 * (appended by the streams issue) */
typedef struct _RcMeshSocket RcMeshSocket;

typedef struct _RcHost RcHost;

/* ---------------------------------------------------------------- errors */

/* Error domain of the core and of plugins. Values are append-only.  Since: ABI 1.0 */
#define RC_ERROR (rc_error_quark_inline())
static inline GQuark
rc_error_quark_inline(void)
{
	return g_quark_from_static_string("rc-error-quark");
}

typedef enum {
	RC_ERROR_FAILED = 0,     /* anything else */
	RC_ERROR_CONFIG = 1,     /* configuration rejected */
	RC_ERROR_NOT_FOUND = 2,  /* a named thing does not exist */
	RC_ERROR_PROTOCOL = 3,   /* a peer or client broke the protocol */
	RC_ERROR_UNSUPPORTED = 4 /* known but not implemented */
} RcError;

/* ---------------------------------------------------------------- logging */

/* Plugins log with these macros; the core's writer prints Receptor's line
 * format ("ERROR 2024/10/24 12:00:00 text") and applies the log level.
 * Set G_LOG_DOMAIN to "receptor-<plugin>" in the plugin's meson.build.
 * rc_log_error is a runtime error, never a g_critical.  Since: ABI 1.0 */
#define rc_log_error(...)                                                               \
	g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "RC_LEVEL", "ERROR", "MESSAGE", \
			 __VA_ARGS__)
#define rc_log_warning(...) g_log(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, __VA_ARGS__)
#define rc_log_info(...)    g_log(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, __VA_ARGS__)
#define rc_log_debug(...)   g_log(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, __VA_ARGS__)

/* ---------------------------------------------------------------- parameters */

/* Parameter types and the GVariant type each one arrives as.  Since: ABI 1.0 */
typedef enum {
	RC_PARAM_NONE = 0,        /* table terminator */
	RC_PARAM_BOOL = 1,        /* "b" */
	RC_PARAM_INT = 2,         /* "x" */
	RC_PARAM_FLOAT = 3,       /* "d" */
	RC_PARAM_STRING = 4,      /* "s" */
	RC_PARAM_STRING_LIST = 5, /* "as" */
	RC_PARAM_FLOAT_MAP = 6,   /* "a{sd}" (node name to cost) */
	RC_PARAM_DURATION = 7,    /* "x" microseconds; given as Go duration text ("1m30s") */
	RC_PARAM_JSON_MAP = 8,    /* "s": a JSON object as text (any values) */
	RC_PARAM_MAP_LIST = 9     /* "aa{sv}": a list of maps (firewall rules) */
} RcParamType;

/* Parameter flags (a bit set stored as guint32).  Since: ABI 1.0 */
typedef enum {
	RC_PARAM_REQUIRED = 1 << 0, /* the key must appear (an empty value counts) */
	RC_PARAM_BARE = 1 << 1,     /* receives the entity's bare value (at most one) */
	RC_PARAM_SECRET = 1 << 2,   /* never logged or shown */
	RC_PARAM_NO_DESC = 1 << 3   /* print no description in --help (as Receptor does) */
} RcParamFlags;

/* One parameter of an entity.  Tables end with an all-zero entry.
 * `default_value` is text parsed by the same rules as user input (NULL: none).
 * Since: ABI 1.0 */
typedef struct {
	const char *name;          /* lower case, as Receptor spells it */
	guint32 type;              /* RcParamType */
	guint32 flags;             /* RcParamFlags */
	const char *default_value; /* nullable */
	const char *description;   /* nullable */
} RcParamDesc;

/* ---------------------------------------------------------------- entities */

/* Entity kinds; the kind also picks the --help section.  Since: ABI 1.0 */
typedef enum {
	RC_ENTITY_GLOBAL = 0,   /* node, log-level, control-service, ... */
	RC_ENTITY_RESOURCE = 1, /* tls-server, tls-client */
	RC_ENTITY_BACKEND = 2,  /* links between nodes */
	RC_ENTITY_SERVICE = 3,  /* services on top of the mesh */
	RC_ENTITY_WORKER = 4,   /* work types and signing */
	RC_ENTITY_CERT = 5      /* certificate commands */
} RcEntityKind;

/* Entity flags.  Since: ABI 1.0 */
typedef enum {
	RC_ENTITY_SINGLETON = 1 << 0,  /* at most once */
	RC_ENTITY_EXCLUSIVE = 1 << 1,  /* must be the only entity; the process exits after it */
	RC_ENTITY_RELOADABLE = 1 << 2, /* may be added/removed by `reload` */
	RC_ENTITY_HIDDEN = 1 << 3      /* not shown in --help */
} RcEntityFlags;

/* Life cycle of one instance.  All run on the main loop and return quickly.
 * create: validate `params` (an a{sv} GVariant, defaults filled in, one entry per
 *         parameter that has a value) and build the instance (Receptor's
 *         Prepare phase); store the instance in *data.
 * start:  bind, dial, register (Receptor's Run phase).
 * stop:   undo start (shutdown or reload). May be NULL.
 * free:   release *data. May be NULL.  Since: ABI 1.0 */
typedef struct {
	gsize struct_size;
	gboolean (*create)(const RcHost *host, RcEntity *entity, GVariant *params,
			   gpointer *data, GError **error);
	gboolean (*start)(gpointer data, GError **error);
	void (*stop)(gpointer data);
	void (*free)(gpointer data);
	gpointer reserved[4];
} RcEntityOps;

/* Description of one entity.  Since: ABI 1.0 */
typedef struct {
	gsize struct_size;
	const char *name; /* as Receptor spells it; matched case-insensitively */
	guint32 kind;     /* RcEntityKind */
	guint32 flags;    /* RcEntityFlags */
	const char *description;
	const RcParamDesc *params; /* terminated by an all-zero entry */
	const RcEntityOps *ops;
	gpointer reserved[4];
} RcEntityDesc;

/* ---------------------------------------------------------------- backends */

/* Result of RcLinkOps.send.  Since: ABI 1.0 */
typedef enum {
	RC_LINK_SEND_OK = 0,   /* accepted; the backend queued or sent it */
	RC_LINK_SEND_FULL = 1, /* not accepted; call host->link_writable when it would be */
	RC_LINK_SEND_ERROR = 2 /* the session is broken; call host->link_closed */
} RcLinkSendResult;

/* What a message-oriented backend (UDP, websocket) provides per session.
 * send:  queue one whole Netceptor message.
 * close: the core ends the session; the backend frees link_data after this and
 *        must not call the host for this link again.  Since: ABI 1.0 */
typedef struct {
	gsize struct_size;
	guint32 (*send)(gpointer link_data, GBytes *message); /* RcLinkSendResult */
	void (*close)(gpointer link_data);
	gpointer reserved[2];
} RcLinkOps;

/* Called once when a link ends (for any reason), so a dialer can redial.
 * `reason` is NULL for a clean end.  Since: ABI 1.0 */
typedef void (*RcLinkEndedFunc)(gpointer user_data, const GError *reason);

/* ---------------------------------------------------------------- services */

/* A mesh stream accepted by a service listener (streams issue).  Since: ABI 1.0 */
typedef void (*RcStreamAcceptFunc)(gpointer user_data, GIOStream *stream,
				   const char *remote_node, const char *remote_service);

/* One mesh datagram received by an RcMeshSocket: the sender's node and
 * service and the payload, all (transfer none).  Since: ABI 1.0 (appended by
 * the streams issue) */
typedef void (*RcMeshDatagramFunc)(gpointer user_data, const char *from_node,
				   const char *from_service, GBytes *payload);

/* ---------------------------------------------------------------- work types */

/* Work-unit states, numbered as Receptor numbers them.  Since: ABI 1.0 */
typedef enum {
	RC_WORK_PENDING = 0,
	RC_WORK_RUNNING = 1,
	RC_WORK_SUCCEEDED = 2,
	RC_WORK_FAILED = 3,
	RC_WORK_CANCELED = 4
} RcWorkState;

/* What a work type provides.  Since: ABI 1.0
 * unit_start:   begin a newly submitted unit whose stdin is complete.
 * unit_restart: adopt a unit found on disk after a daemon restart.
 * unit_cancel:  stop the unit (its whole process tree).
 * unit_release: forget the unit; the core removes its directory afterwards. */
typedef struct {
	gsize struct_size;
	gboolean (*unit_start)(gpointer type_data, RcWorkUnit *unit, GError **error);
	gboolean (*unit_restart)(gpointer type_data, RcWorkUnit *unit, GError **error);
	void (*unit_cancel)(gpointer type_data, RcWorkUnit *unit);
	void (*unit_release)(gpointer type_data, RcWorkUnit *unit);
	gpointer reserved[4];
} RcWorkTypeOps;

/* ---------------------------------------------------------------- control */

/* A control command implemented outside the control module.  `args` is an
 * a{sv} of the command's arguments.  Reply exactly once with
 * host->control_reply or host->control_reply_error (possibly later).
 * Since: ABI 1.0 */
typedef void (*RcControlCommandFunc)(RcControlRequest *request, GVariant *args,
				     gpointer user_data);

/* ---------------------------------------------------------------- host table */

/* The functions the core offers to plugins.  Passed to init and create; members
 * are only ever appended, so test RC_HOST_HAS before calling one that is newer
 * than ABI 1.0.  Since: ABI 1.0 */
struct _RcHost {
	gsize struct_size;
	guint32 abi_major;
	guint32 abi_minor;

	/* identity */
	const char *(*node_id)(RcEntity *entity);        /* (transfer none) */
	const char *(*data_dir)(RcEntity *entity);       /* (transfer none) */
	const char *(*entity_name)(RcEntity *entity);    /* (transfer none) "tcp-peer" */
	const char *(*entity_origin)(RcEntity *entity);  /* (transfer none) file:line:col or --x */

	/* links: stream backends hand over a connected stream and the core does the
	 * framing (2-byte little-endian length, wire.md 9.4); message backends hand
	 * over ops.  The core reads cost/nodecost/allowedpeers from the entity's
	 * parameters.  `peer` describes the remote end for logs.  On success the
	 * core owns the session; `ended` is called once when it is over. */
	RcLink *(*link_open_stream)(RcEntity *entity, GIOStream *stream, const char *peer,
				    RcLinkEndedFunc ended, gpointer user_data, GError **error);
	RcLink *(*link_open)(RcEntity *entity, const RcLinkOps *ops, gpointer link_data,
			     const char *peer, RcLinkEndedFunc ended, gpointer user_data,
			     GError **error);
	void (*link_received)(RcLink *link, GBytes *message); /* message backends */
	void (*link_writable)(RcLink *link);                  /* after RC_LINK_SEND_FULL */
	void (*link_closed)(RcLink *link, const GError *reason); /* the session broke */

	/* TLS by entity name (tls-server / tls-client).  tls_check fails with the
	 * spec's "unknown TLS config <name>" when the name is not defined.
	 * tls_wrap runs the handshake on `base` and gives a stream carrying the
	 * plaintext; `server_name` is checked for clients (nullable). */
	gboolean (*tls_check)(RcEntity *entity, const char *name, gboolean server,
			      GError **error);
	void (*tls_wrap_async)(RcEntity *entity, const char *name, gboolean server,
			       GIOStream *base, const char *server_name,
			       GCancellable *cancellable, GAsyncReadyCallback callback,
			       gpointer user_data);
	GIOStream *(*tls_wrap_finish)(RcEntity *entity, GAsyncResult *result, GError **error);

	/* mesh streams (streams issue): listen on a service name, dial node:service */
	RcListener *(*mesh_listen)(RcEntity *entity, const char *service, const char *tls,
				   GVariant *tags, RcStreamAcceptFunc accept, gpointer user_data,
				   GError **error);
	void (*mesh_unlisten)(RcListener *listener);
	void (*mesh_dial_async)(RcEntity *entity, const char *node, const char *service,
				const char *tls, GCancellable *cancellable,
				GAsyncReadyCallback callback, gpointer user_data);
	GIOStream *(*mesh_dial_finish)(RcEntity *entity, GAsyncResult *result, GError **error);

	/* work types */
	gboolean (*work_type_register)(RcEntity *entity, const char *worktype,
				       const RcWorkTypeOps *ops, gpointer type_data,
				       GError **error);
	const char *(*work_unit_id)(RcWorkUnit *unit);       /* (transfer none) */
	const char *(*work_unit_dir)(RcWorkUnit *unit);      /* (transfer none) */
	GVariant *(*work_unit_params)(RcWorkUnit *unit);     /* (transfer none) a{sv} */
	void (*work_unit_update)(RcWorkUnit *unit, guint32 state, const char *detail,
				 gint64 stdout_size);

	/* control commands */
	gboolean (*control_add_command)(RcEntity *entity, const char *name,
					RcControlCommandFunc func, gpointer user_data,
					GError **error);
	void (*control_reply)(RcControlRequest *request, GVariant *result);
	void (*control_reply_error)(RcControlRequest *request, const char *message);

	/* status: a{sv} merged into the node's status under the entity's name */
	void (*status_set)(RcEntity *entity, GVariant *status);

	/* work-command: launch the supervising command runner for `unit`
	 * (work.md 4.4): the core re-executes receptor with --command-runner,
	 * records the runner's Pid in the unit's status (ExtraData), follows the
	 * status file and reaps the runner.  `command` is the program; the
	 * parameters are the unit's (fixed at allocation, work.md 4.3).
	 * Since: ABI 1.0 (appended by the Workceptor issue) */
	gboolean (*work_unit_launch_runner)(RcWorkUnit *unit, const char *command, GError **error);

	/* mesh datagrams (streams.md 1.1, 7.4-7.5): bind `service` (NULL or ""
	 * = an ephemeral name; errors "service name <s> too long", "service <s>
	 * is already listening"); `tags` (nullable, a{ss}/a{sv}, floating ref
	 * consumed) advertises it with connection type 0.  `recv` gets every
	 * datagram, from the main loop.  send: one datagram to node:service
	 * ("localhost" = this node); errors are Go's texts ("no route to node",
	 * ...).  close: unbind (withdraws the advertisement) and free; accepts
	 * NULL.  Since: ABI 1.0 (appended by the streams issue) */
	RcMeshSocket *(*mesh_socket_bind)(RcEntity *entity, const char *service, GVariant *tags,
					  RcMeshDatagramFunc recv, gpointer user_data,
					  GError **error);
	const char *(*mesh_socket_get_service)(RcMeshSocket *socket); /* (transfer none) */
	gboolean (*mesh_socket_send)(RcMeshSocket *socket, const char *node, const char *service,
				     GBytes *payload, GError **error);
	void (*mesh_socket_close)(RcMeshSocket *socket);

	/* Message backends whose session runs over a stream (websockets over TLS)
	 * name that stream for the link, so the link layer can bind the peer's
	 * announced node ID to its TLS certificate when the TLS config asks for
	 * it (tls.md 5.4, verifypeernodeid).  Call right after link_open.
	 * Since: ABI 1.0 (appended by the UDP/websocket issue) */
	void (*link_set_transport)(RcLink *link, GIOStream *transport);

	gpointer reserved[8];
};

/* TRUE when the host table has `member` (it is newer than the plugin otherwise).
 * Since: ABI 1.0 */
#define RC_HOST_HAS(host, member)                                                  \
	((host)->struct_size >= G_STRUCT_OFFSET(RcHost, member) + sizeof((host)->member) && \
	 (host)->member != NULL)

/* ---------------------------------------------------------------- plugins */

/* The descriptor a plugin returns from its one exported symbol.  Since: ABI 1.0 */
typedef struct {
	guint32 abi_major;
	guint32 abi_minor;
	gsize struct_size;
	const char *name;    /* "backend-tcp" */
	const char *version; /* the plugin's own version */
	const char *description;
	const RcEntityDesc *const *entities; /* NULL-terminated */
	gboolean (*init)(const RcHost *host, GError **error); /* nullable */
	gpointer reserved[4];
} RcPluginDesc;

#define RC_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Define the plugin's descriptor and its exported symbol
 * rc_plugin_<sym>_describe (sym is the plugin name with '-' as '_').
 * Usage: RC_PLUGIN_DEFINE(backend_tcp, "backend-tcp", "1.0", "TCP links",
 *                         NULL, &tcp_listener_entity, &tcp_peer_entity)
 * Since: ABI 1.0 */
#define RC_PLUGIN_DEFINE(sym, plugin_name, plugin_version, plugin_description, init_fn, ...) \
	RC_PLUGIN_DEFINE_IMPL_(sym, plugin_name, plugin_version, plugin_description, init_fn,     \
			       __VA_ARGS__)
/* (the extra level lets `sym` be a macro itself) */
#define RC_PLUGIN_DEFINE_IMPL_(sym, plugin_name, plugin_version, plugin_description, init_fn, ...) \
	static const RcEntityDesc *const rc_plugin_entities_[] = { __VA_ARGS__, NULL };      \
	static const RcPluginDesc rc_plugin_desc_ = {                                         \
		.abi_major = RC_PLUGIN_ABI_MAJOR,                                             \
		.abi_minor = RC_PLUGIN_ABI_MINOR,                                             \
		.struct_size = sizeof(RcPluginDesc),                                          \
		.name = plugin_name,                                                          \
		.version = plugin_version,                                                    \
		.description = plugin_description,                                            \
		.entities = rc_plugin_entities_,                                              \
		.init = init_fn,                                                              \
	};                                                                                    \
	RC_PLUGIN_EXPORT const RcPluginDesc *rc_plugin_##sym##_describe(void);               \
	RC_PLUGIN_EXPORT const RcPluginDesc *rc_plugin_##sym##_describe(void)                \
	{                                                                                     \
		return &rc_plugin_desc_;                                                      \
	}

G_END_DECLS
