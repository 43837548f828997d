/* rc-work-remote.h: the built-in `remote` work type (remote-work.md): units
 * submitted here to run on another node.  The submitter reaches the
 * executor's control service over a mesh stream (service `control`, 2.2),
 * submits the unit with its payload (2.3), mirrors its status and copies its
 * stdout from the local file size on (3), propagates cancel / release /
 * force-release (4), enforces `ttl` (4.3), signs requests (5) and resumes
 * every unit it owns after a restart (6).
 *
 * All state hangs off the `remote` RcWorkType (type_data); every call runs on
 * the main loop. */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "rc-control.h"
#include "rc-core.h"
#include "rc-work-status.h"
#include "rc-work-unit.h"

/* Connection retry backoff: 1 s, x1.5 per failure, capped at 60 s
 * (remote-work.md 2.2, 7). */
#define RC_WORK_REMOTE_RETRY_FIRST_MS 1000
#define RC_WORK_REMOTE_RETRY_MAX_MS 60000
/* The executor's greeting must arrive within 5 s (remote-work.md 2.2, 7). */
#define RC_WORK_REMOTE_GREETING_TIMEOUT_S 5
/* Status poll interval and results check interval (remote-work.md 3.1, 3.2, 7). */
#define RC_WORK_REMOTE_POLL_MS 1000
#define RC_WORK_REMOTE_FETCH_MS 1000
/* Consecutive local status-write failures tolerated by the poller (3.1, 7). */
#define RC_WORK_REMOTE_MAX_WRITE_FAILURES 3
/* Longest reply line read from an executor: a status reply is one status
 * record, so the status-file cap bounds it (work.md 2.1). */
#define RC_WORK_REMOTE_MAX_LINE RC_WORK_STATUS_MAX_BYTES
/* A results fetch that receives nothing for this long while the executor is
 * known to hold more bytes (mirrored StdoutSize > local size) is abandoned
 * and asked again from the local size, and a status poll unanswered this
 * long reconnects (receptor-c; Go waits for the QUIC idle timeout, which
 * keep-alives can postpone forever, remote-work.md 3.3). */
#define RC_WORK_REMOTE_STALL_US (G_GINT64_CONSTANT(10) * G_USEC_PER_SEC)
/* Results copy chunk: the executor's own read chunk (remote-work.md 7). */
#define RC_WORK_REMOTE_CHUNK 65536

typedef struct _RcWorkType RcWorkType;

/* Give the built-in `remote` work type its ops and state (called once by
 * rc_workceptor_new). */
void rc_work_remote_setup(RcWorkceptor *wc, RcWorkType *remote_type);

/* TRUE when `node` names another node than this one (remote-work.md 1.2). */
gboolean rc_work_remote_is_remote_node(RcCore *core, const char *node);

/* `work submit` for another node (remote-work.md 1.2, 2.3): allocate the
 * remote unit, read the payload into its stdin, make the first start attempt
 * and reply (Job Started / Job Submitted / ERROR).  Terminates `req`.
 * `params` (a{sv} of strings, floating or not) are the RemoteParams. */
void rc_work_remote_submit(RcControlRequest *req, RcWorkceptor *wc, const char *node,
			   const char *worktype, const char *tlsclient, const char *ttl,
			   gboolean signwork, GVariant *params);

/* `work cancel|release|force-release` of a remote unit (remote-work.md 4.1).
 * `sub` is the lower-cased subcommand.  Terminates `req`. */
void rc_work_remote_cancel_release(RcControlRequest *req, RcWorkceptor *wc, RcWorkUnit *unit,
				   const char *sub);

/* The ExtraData of a remote unit for replies, with every RemoteParams key
 * starting with `secret_` (case-insensitive) removed (remote-work.md 1.3).
 * (transfer full) (nullable) when `extra_raw` is not a JSON object. */
JsonNode *rc_work_remote_redacted_extra(const char *extra_raw);

/* The executor's unit ID in its first submit reply: the first
 * `with ID <[a-zA-Z0-9]+>.` (remote-work.md 2.3 step 3), or NULL.
 * (transfer full) */
char *rc_work_remote_parse_created(const char *line);

/* Go's time.Format("Mon Jan 2 15:04:05") with English names
 * (remote-work.md 4.3). (transfer full) */
char *rc_work_remote_format_expiry(GDateTime *time);
