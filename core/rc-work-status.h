/* rc-work-status.h: the status record of a unit of work and its file form
 * (work.md 2): one compact JSON object + '\n' written byte for byte like Go's
 * encoding/json (work.md 2.3), parsed leniently like Go (unknown keys ignored,
 * keys matched case-insensitively).  Pure: no file I/O here (see
 * rc-work-statusfile.h). */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"

/* Largest status file accepted (a sanity cap: Go has none; a status holds a
 * Detail and the submit params, work.md 2.1). */
#define RC_WORK_STATUS_MAX_BYTES (4 * 1024 * 1024)
/* JSON nesting accepted in a status file: ExtraData objects are at most two
 * deep (remote-work.md 1.1); json-glib recurses, so refuse deeper input early. */
#define RC_WORK_STATUS_MAX_DEPTH 32

/* What ExtraData holds (work.md 2.2). */
typedef enum {
	RC_WORK_EXTRA_NULL = 0,    /* null / no extra data */
	RC_WORK_EXTRA_COMMAND = 1, /* {"Pid":int,"Params":string} (work-command) */
	RC_WORK_EXTRA_RAW = 2,     /* any other JSON value, kept as Go-encoded text */
	RC_WORK_EXTRA_UNKNOWN = 3  /* replies only: the string "Unknown WorkType" (work.md 5.3) */
} RcWorkExtraKind;

typedef struct {
	gint64 state; /* RcWorkState, or any number found in a file */
	char *detail;
	gint64 stdout_size;
	char *work_type;
	RcWorkExtraKind extra_kind;
	gint64 pid;     /* EXTRA_COMMAND: the runner's PID (0 until launched) */
	char *params;   /* EXTRA_COMMAND: the final parameter string */
	char *extra_raw; /* EXTRA_RAW: compact JSON text */
} RcWorkStatus;

/* (transfer full) a Pending "" record with ExtraData null. */
RcWorkStatus *rc_work_status_new(void);
RcWorkStatus *rc_work_status_copy(const RcWorkStatus *status);
void rc_work_status_free(RcWorkStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcWorkStatus, rc_work_status_free)

void rc_work_status_set_detail(RcWorkStatus *status, const char *detail);
void rc_work_status_set_work_type(RcWorkStatus *status, const char *work_type);
/* ExtraData := {"Pid":pid,"Params":params}. */
void rc_work_status_set_command(RcWorkStatus *status, gint64 pid, const char *params);
/* ExtraData := null. */
void rc_work_status_clear_extra(RcWorkStatus *status);

/* "Pending", "Running", "Succeeded", "Failed", "Canceled" or "Unknown: <n>"
 * (work.md 3.1). (transfer full) */
char *rc_work_state_name(gint64 state);
/* Succeeded or Failed (work.md 3.1: Canceled is not complete). */
gboolean rc_work_state_is_complete(gint64 state);

/* The file form: compact JSON in Go's key order plus '\n' (work.md 2.1-2.3).
 * (transfer full) */
char *rc_work_status_to_file(const RcWorkStatus *status, gsize *len);

/* Parse a status file into `status`: fields present in the file overwrite
 * the record, others are kept (Go's Load, work.md 2.4).  Fails (and leaves
 * `status` unchanged) on anything that is not one JSON object with fields of
 * the right types.  Never reads past data + len. */
gboolean rc_work_status_parse(RcWorkStatus *status, const guint8 *data, gsize len,
			      GError **error);

/* Go encoding/json string escaping (work.md 2.3): append `"..."` to `out`.
 * `len` -1 means NUL-terminated. */
void rc_work_json_append_string(GString *out, const char *str, gssize len);
